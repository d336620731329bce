"""Privacy rules of student records that do not depend on storage: which needs a clinical
site may learn, and how a student who opted out of directory information is shown to
other students.

A `needs` entry is free text in the scenario, so it can hold a diagnosis. A site is told
only the needs it must act on, from a fixed list of codes; anything else stays with the
school (the coordinator and the solver).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

SITE_NEEDS: Final = ("accessible",)
"""Need codes a placement site must act on, and so may see: `accessible` (step-free
access). Any other `needs` entry is never shown to a partner."""

OPTED_OUT_NAME: Final = "A student (directory opt-out)"
"""What other students see instead of the name of a student who opted out."""


def site_needs(needs: Iterable[str]) -> list[str]:
    """The needs a site may see: known codes only, each once, in `SITE_NEEDS` order."""
    given = {need.strip().lower() for need in needs}
    return [code for code in SITE_NEEDS if code in given]
