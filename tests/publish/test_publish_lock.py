"""One build of a memorial at a time: the race of two builds into one folder, reproduced.

Build A is held after it has taken its sequence number and signed its manifest, before
it writes a file (its progress hook), while build B of other content starts. Without the
lock B took the same sequence, wrote and recorded it, then A wrote its files over B's
and its record failed on the sequence already taken: the folder's signed manifest was
not the build recorded. With it, B fails at once (the command line) or waits for A to
end (a queued job), and each build is whole, numbered in turn, and verifies.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from world import World

from dadkhahi.jobs import queue
from dadkhahi.jobs.queue import JobState
from dadkhahi.jobs.worker import run_next
from dadkhahi.publish import lock
from dadkhahi.publish.build import STEPS, BuildReport, build
from dadkhahi.publish.jobs import WAITING, memorial_folder, queue_publish
from dadkhahi.publish.manifest import MANIFEST, announced_key
from dadkhahi.publish.site import Options
from dadkhahi.publish.verify import verify
from dadkhahi.store import schema as s

WAIT = 120  # seconds: bounds for a stuck thread, never slept


def _recorded(world: World) -> list[tuple[int, str]]:
    p = s.publications.c
    with world.store.reading() as conn:
        return [(int(q), str(m)) for q, m in conn.execute(
            select(p.sequence, p.manifest_sha256).order_by(p.sequence))]


def _check_folder(world: World, out: Path, sequence: int, contact: str) -> None:
    """The folder is build ``sequence`` whole: it verifies, and its manifest is the one
    the ledger recorded under that number."""
    with world.store.reading() as conn:
        key = announced_key(conn)
    assert key is not None
    problems, head = verify(out, key, world.store.verifier_key())
    assert problems == [] and int(head["sequence"]) == sequence
    manifest = hashlib.sha256((out / MANIFEST).read_bytes()).hexdigest()
    assert dict(_recorded(world))[sequence] == manifest
    victim = out / "en" / "victims" / f"{world.persons['A-1']}.html"
    assert contact in victim.read_text("utf-8")


def _held_build(world: World, out: Path, contact: str) -> tuple[threading.Thread,
                                                                 threading.Event,
                                                                 list[Any]]:
    """Start build A in a thread; return once it has signed and before it writes."""
    paused, go = threading.Event(), threading.Event()
    outcome: list[Any] = []

    def hold(done: int, total: int, note: str) -> None:
        if done == len(STEPS) - 1:  # sequence taken, manifest signed, nothing written
            paused.set()
            assert go.wait(WAIT)

    def run() -> None:
        try:
            outcome.append(build(world.store, "tester", out, Options(contact=contact),
                                 progress=hold))
        except BaseException as exc:  # reported by the test
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert paused.wait(WAIT)
    return thread, go, outcome


def test_a_second_build_into_the_folder_fails_clearly_or_waits(world: World,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "site"
    thread, go, outcome = _held_build(world, out, "SYNTHETIC desk A")
    try:
        # The command line's build: refused at once, nothing written or recorded.
        with pytest.raises(lock.BuildBusyError, match="another build"):
            build(world.store, "tester", out, Options(contact="SYNTHETIC desk B"))
        assert _recorded(world) == [] and not (out / MANIFEST).exists()
        # A build that waits (a queued job's): A goes on once B is waiting.
        heard: list[int] = []

        def waiting() -> None:
            heard.append(1)
            go.set()

        second = build(world.store, "tester", out, Options(contact="SYNTHETIC desk B"),
                       waiting=waiting)
    finally:
        go.set()
        thread.join(WAIT)
    first = outcome[0]
    assert isinstance(first, BuildReport), first
    assert heard and (first.sequence, second.sequence) == (1, 2)
    assert first.recorded and second.recorded
    _check_folder(world, out, 2, "SYNTHETIC desk B")


def test_builds_of_one_home_into_two_folders_take_turns(world: World,
                                                        tmp_path: Path) -> None:
    """The sequence is the home's: a build into another folder waits too, so the two
    builds are numbered 1 and 2, each recorded with its own manifest."""
    thread, go, outcome = _held_build(world, tmp_path / "one", "SYNTHETIC desk A")
    try:
        with pytest.raises(lock.BuildBusyError, match="this home"):
            build(world.store, "tester", tmp_path / "two", Options(contact="SYNTHETIC B"))
        second = build(world.store, "tester", tmp_path / "two",
                       Options(contact="SYNTHETIC desk B"), waiting=go.set)
    finally:
        go.set()
        thread.join(WAIT)
    assert isinstance(outcome[0], BuildReport), outcome
    assert (outcome[0].sequence, second.sequence) == (1, 2)
    _check_folder(world, tmp_path / "one", 1, "SYNTHETIC desk A")
    _check_folder(world, tmp_path / "two", 2, "SYNTHETIC desk B")


def test_a_queued_build_waits_for_the_command_line_s_build(world: World,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """The worker's build of the home's folder waits while another holds the lock (its
    note says so), then builds; a copy of the folder waits for a build the same way."""
    store = world.store
    folder = memorial_folder(store)
    job = queue_publish(store, "tester", contact="SYNTHETIC desk")
    notes: list[str | None] = []
    released = threading.Event()
    monkeypatch.setattr(lock, "POLL", 0.01)
    original = queue.report

    def report(st: Any, job_id: str, **fields: Any) -> bool:
        notes.append(fields.get("note"))
        if fields.get("note") == WAITING:
            released.set()
        return original(st, job_id, **fields)

    monkeypatch.setattr(queue, "report", report)
    with lock.building(store, folder):
        runner = threading.Thread(target=run_next, args=(store,))
        runner.start()
        # Held until the job has said it waits (it reports at most once a second).
        assert released.wait(WAIT)
        assert queue.get(store, job.id).state is JobState.RUNNING
        assert not (folder / MANIFEST).exists()
    runner.join(WAIT)
    done = queue.get(store, job.id)
    assert done.state is JobState.SUCCEEDED, done.error
    assert WAITING in notes and done.result is not None and done.result["sequence"] == 1
    _check_folder(world, folder, 1, "SYNTHETIC desk")
