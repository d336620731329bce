"""`make audit` tells "vulnerable", "clean" and "could not look" apart."""

from __future__ import annotations

import json

import pytest

from tools.audit_dependencies import Verdict, report, verdict


def _report(*dependencies: dict[str, object]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


CLEAN = {"name": "jinja2", "version": "3.1.6", "vulns": []}
SKIPPED = {"name": "absl-py", "skip_reason": "Dependency not found on PyPI"}
VULNERABLE = {
    "name": "jinja2",
    "version": "3.1.2",
    "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"], "aliases": []}],
}


def test_vulnerabilities_fail_even_when_not_strict(capsys: pytest.CaptureFixture[str]) -> None:
    found = verdict(1, _report(CLEAN, VULNERABLE, SKIPPED), "")
    assert found.vulnerable == ["jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)"]
    assert report(found, strict=False) == 1
    assert "FAILED" in capsys.readouterr().out


def test_clean_audit_passes(capsys: pytest.CaptureFixture[str]) -> None:
    found = verdict(0, _report(CLEAN, SKIPPED), "")
    assert (found.audited, found.skipped, found.could_not_audit) == (1, 1, False)
    assert report(found, strict=True) == 0
    assert "passed: 1 packages" in capsys.readouterr().out


@pytest.mark.parametrize(
    "found",
    [
        verdict(0, _report(SKIPPED, SKIPPED), ""),  # a mirror that knows no package
        verdict(1, "", "Traceback ...\nrequests.exceptions.ConnectionError: refused"),
        Verdict(unreachable="no answer within 600 s"),
    ],
)
def test_could_not_audit_is_said_and_fails_only_when_strict(
    found: Verdict, capsys: pytest.CaptureFixture[str]
) -> None:
    assert found.could_not_audit
    assert report(found, strict=False) == 0
    assert "NOT DONE" in capsys.readouterr().out
    assert report(found, strict=True) == 1
