"""`make audit`: known vulnerabilities in the installed dependencies, via pip-audit.

pip-audit asks PyPI's vulnerability data about each installed package at its version.
Three outcomes, told apart so that "could not look" never reads as "nothing found":
- vulnerabilities found: they are listed and the audit fails (exit 1), always;
- the service answered for the packages: the audit passes (exit 0);
- the service could not be reached, or knew none of the packages (a registry mirror that
  serves no per-version data answers 404 for every one): the audit says so plainly and
  exits 0, or 1 with `AUDIT_STRICT=1`. It does not block `make check` by default, because
  a machine that cannot reach the service cannot fix that by changing the code.

Usage: python -m tools.audit_dependencies [pip-audit executable]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

COMMAND = ["--skip-editable", "--progress-spinner", "off", "--format", "json"]
TIMEOUT_S = 600


@dataclass
class Verdict:
    """What the audit found: vulnerable packages, packages it could not check, and why."""

    vulnerable: list[str] = field(default_factory=list)
    audited: int = 0
    skipped: int = 0
    unreachable: str = ""

    @property
    def could_not_audit(self) -> bool:
        return bool(self.unreachable) or (self.audited == 0 and self.skipped > 0)


def verdict(returncode: int, stdout: str, stderr: str) -> Verdict:
    """Read pip-audit's JSON report (or its failure) into a verdict."""
    try:
        report: dict[str, Any] = json.loads(stdout)
    except ValueError:
        last = stderr.strip().splitlines()[-1:] or [f"exit status {returncode}"]
        return Verdict(unreachable=last[0])
    found = Verdict()
    for dependency in report.get("dependencies", []):
        if dependency.get("skip_reason"):
            found.skipped += 1
            continue
        found.audited += 1
        for vulnerability in dependency.get("vulns", []):
            fixes = ", ".join(vulnerability.get("fix_versions", [])) or "no fix yet"
            found.vulnerable.append(
                f"{dependency['name']} {dependency['version']}: {vulnerability['id']}"
                f" (fixed in {fixes})"
            )
    return found


def report(found: Verdict, *, strict: bool) -> int:
    """Print the outcome; the exit status `make` sees."""
    if found.vulnerable:
        print("dependency audit FAILED: known vulnerabilities")
        print("\n".join(f"  {line}" for line in found.vulnerable))
        return 1
    if found.could_not_audit:
        why = found.unreachable or f"the service knew none of the {found.skipped} packages"
        print(f"dependency audit NOT DONE: could not reach the vulnerability service ({why}).")
        print("  Nothing was checked; run `make audit` where PyPI's JSON API answers.")
        return 1 if strict else 0
    print(f"dependency audit passed: {found.audited} packages, no known vulnerabilities", end="")
    print(f" ({found.skipped} could not be checked)" if found.skipped else "")
    return 0


def main(argv: list[str]) -> int:
    executable = argv[1] if len(argv) > 1 else "pip-audit"
    try:
        done = subprocess.run(
            [executable, *COMMAND], capture_output=True, text=True, timeout=TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        found = Verdict(unreachable=f"no answer within {TIMEOUT_S} s")
    else:
        found = verdict(done.returncode, done.stdout, done.stderr)
    return report(found, strict=os.environ.get("AUDIT_STRICT") == "1")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
