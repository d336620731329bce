"""`ipe` output files are replaced whole: a kill -9 while one is written leaves the old
file, never a truncated schedule. The writer runs in a child process that kills itself
at the named moment (os.fsync and os.replace are patched to SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.cli import write_atomically

KILL_AT = """
import os, signal, sys
from pathlib import Path
from scheduler.cli import write_atomically

def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)

setattr(os, sys.argv[2], die)
write_atomically(Path(sys.argv[1]), b"NEW" * 100_000)
"""


@pytest.mark.parametrize("moment", ["fsync", "replace"])
def test_a_kill_while_writing_leaves_the_old_file(tmp_path: Path, moment: str) -> None:
    target = tmp_path / "schedule.json"
    target.write_text("old schedule\n")
    child = subprocess.run(
        [sys.executable, "-c", KILL_AT, str(target), moment], capture_output=True, check=False
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert target.read_text() == "old schedule\n"


def test_a_write_replaces_the_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "schedule.json"
    target.write_text("old schedule\n")
    write_atomically(target, b"new schedule\n")
    assert target.read_text() == "new schedule\n"
    assert [p.name for p in tmp_path.iterdir()] == ["schedule.json"]
    mask = os.umask(0o022)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(OSError):
        write_atomically(folder, b"x")
    assert list(tmp_path.iterdir()) == [folder]
    assert list(folder.iterdir()) == []
