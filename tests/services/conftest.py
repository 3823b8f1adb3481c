"""Fixtures of the services tests: the API tests' synthetic world, called directly."""

from __future__ import annotations

import sys
from pathlib import Path

# The synthetic world of the API tests (one of everything at each sensitivity).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))
