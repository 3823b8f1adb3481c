"""``python -m dadkhahi``."""

from dadkhahi.cli.main import run

run()
