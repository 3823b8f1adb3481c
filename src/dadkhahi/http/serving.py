"""A process that serves an app for a long time (``dadkhahi serve``, its workers)."""

from __future__ import annotations

import gc
import sys

from fastapi import FastAPI

#: Seconds a thread may hold the interpreter before a waiting thread gets it.
SWITCH_INTERVAL = 0.0005


def served(app: FastAPI) -> FastAPI:
    """Tune this process for serving ``app`` for a long time; returns ``app``.

    Reads run on the event loop and writes in worker threads: at Python's default
    5 ms switch interval a writer can wait up to 5 ms for the interpreter after each
    of its SQLite calls while the loop is busy, so writes crawl under load. The
    objects built at start-up (some 137,000) are frozen out of the cyclic garbage
    collector, whose full passes over them took 86 ms here, stalling every request
    in flight (``benchmarks/api/bench_read_path.py``).
    """
    sys.setswitchinterval(SWITCH_INTERVAL)
    gc.collect()
    gc.freeze()
    return app


__all__ = ["SWITCH_INTERVAL", "served"]
