"""The files ``make test``'s workers are handed first (``tests/worker_order.py``) are real
test files: a renamed or removed file would silently fall back to xdist's own order."""

from __future__ import annotations

from pathlib import Path

from worker_order import FIRST_FILES

ROOT = Path(__file__).resolve().parent.parent


def test_the_files_handed_out_first_are_test_files_listed_once() -> None:
    assert FIRST_FILES
    assert len(set(FIRST_FILES)) == len(FIRST_FILES)
    for name in FIRST_FILES:
        path = ROOT / name
        assert path.is_file() and path.name.startswith("test_"), name
