"""Benchmarks: generated terms solved with the product's defaults, measured side by side.

Owns the runner (`python -m bench.run`); results go to bench/results/, where the summaries
(`*.md`, `*.summary.json`) are committed and the rest (schedules, traces, plots) is not.
"""
