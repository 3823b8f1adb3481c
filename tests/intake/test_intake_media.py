"""Media types from content: libmagic loaded without forking a process (issue 12 item 17)."""

from __future__ import annotations

import subprocess
import sys

import pytest

_PROBE = """
import os, subprocess
def refuse(*args, **kwargs):
    raise AssertionError(f"a process was started: {args[:1]}")
subprocess.Popen = refuse
os.fork = os.posix_spawn = os.posix_spawnp = refuse
from dadkhahi.intake.media import sniff
print(sniff(b"%PDF-1.4\\n%SYNTHETIC\\n"))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the soname is tried first on Linux only")
def test_libmagic_is_found_without_starting_a_process() -> None:
    # python-magic searched for libmagic with ctypes.util.find_library, which runs
    # `ldconfig -p` (and a C compiler when that finds nothing) on every command.
    proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "application/pdf"
