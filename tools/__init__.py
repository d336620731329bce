"""Developer tools run by the Makefile (not installed with the project)."""
