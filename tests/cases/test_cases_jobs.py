"""A court bundle as a job: queued by a team member, written by the worker, downloaded by
whoever asked for it, the download audited; the recipient sealed in the unsealed jobs
table and named in no progress note, result, error or log line. SQLite and PostgreSQL;
every name is SYNTHETIC."""

from __future__ import annotations

import logging
import secrets
import stat
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select

from dadkhahi.access.policy import Principal, Role
from dadkhahi.access.users import add_user
from dadkhahi.cases import service
from dadkhahi.cases.bundle_verify import verify
from dadkhahi.cases.jobs import bundle_archive, bundle_folder
from dadkhahi.demo.case import build_demo_case
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.vocab import PlaceKind
from dadkhahi.facts.entities import create_place
from dadkhahi.jobs import queue, worker
from dadkhahi.jobs.queue import JobState
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

PASSWORD = "SYNTHETIC correct horse battery staple"


def _user(store: Store, name: str, role: Role) -> Principal:
    return Principal(user_id=add_user(store, name, role, PASSWORD, "tester"), username=name,
                     role=role)


def _jobs_table(store: Store) -> str:
    with store.reading() as conn:
        return "\n".join(repr(tuple(r)) for r in conn.execute(select(s.jobs)))


def _audited(store: Store, action: str) -> list[bytes]:
    with store.reading() as conn:
        return [b for b in conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.type == "audit.read")).scalars() if action.encode() in b]


def test_a_bundle_is_queued_written_by_the_worker_and_downloaded_by_its_owner(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    lawyer = _user(store, "lawyer", Role.LAWYER)
    colleague = _user(store, "colleague", Role.LAWYER)
    outsider = _user(store, "outsider", Role.ADMIN)
    with store.transaction("tester") as tx:
        evin = create_place(tx, "Evin Prison", PlaceKind.PRISON)
    demo = build_demo_case(store, "analyst", evin,
                           members=(str(lawyer.user_id), str(colleague.user_id)))
    # A fresh marker each run: PostgreSQL's files outlive a test database.
    court = f"SYNTHETIC Court Qzv{secrets.token_hex(6)}"
    caplog.set_level(logging.DEBUG)

    queued = service.request_bundle(store, lawyer, demo.case_id, f"  {court} ")
    assert queued["state"] == "queued" and "params" not in queued
    # Off the team: the case's 404, nothing queued; a bad age recipient: refused first.
    with pytest.raises(NotFoundError):
        service.request_bundle(store, outsider, demo.case_id, court)
    with pytest.raises(UserError):
        service.request_bundle(store, lawyer, demo.case_id, court, encrypt_to="age1nope")
    with pytest.raises(UserError):
        service.request_bundle(store, lawyer, demo.case_id, "  ")
    assert len(queue.list_jobs(store)) == 1
    assert court not in _jobs_table(store)

    done = worker.run_next(store)
    assert done is not None and done.state is JobState.SUCCEEDED, done
    assert done.result is not None and done.result["exhibits"] >= 1
    assert done.result["withheld"] >= 1 and done.result["export_id"].startswith("exp_")
    # The grep attack: the recipient is in no column of the jobs table (parameters,
    # progress notes, result, error) and in no log line of the run.
    assert court not in _jobs_table(store)
    assert "Qzv" not in _jobs_table(store)
    assert court not in caplog.text
    # It is sealed in the parameters, and opened by the job alone.
    assert set(done.params) == {"case_id", "scope", "sealed", "actor"}

    listed = service.case_bundles(store, lawyer, demo.case_id)
    assert [b["id"] for b in listed] == [done.id] and listed[0]["state"] == "succeeded"
    # A colleague on the team did not ask for it: neither listed nor downloaded.
    assert service.case_bundles(store, colleague, demo.case_id) == []
    for who in (colleague, outsider):
        with pytest.raises(NotFoundError):
            service.bundle_download(store, who, demo.case_id, done.id)
    assert _audited(store, "cases.bundle_download") == []

    path = service.bundle_download(store, lawyer, demo.case_id, done.id)
    assert path == bundle_archive(store, done.id)
    audited = _audited(store, "cases.bundle_download")
    assert len(audited) == 1 and demo.case_id.encode() in audited[0]
    assert done.result["export_id"].encode() in audited[0]
    # Owner-only on disk: the folder and the archive; the bag itself is not left beside it.
    assert stat.S_IMODE(bundle_folder(store, done.id).stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in bundle_folder(store, done.id).iterdir()] == [path.name]

    out = tmp_path / "received"
    with tarfile.open(path) as tar:
        assert {m.uname for m in tar.getmembers()} == {""}
        tar.extractall(out, filter="data")
    bag = out / f"bundle-{done.id}"
    assert verify(bag, store.verifier_key()) == []
    # The bag (the recipient's copy) names its recipient, as the CLI's does.
    assert f"Recipient: {court}" in (bag / "bag-info.txt").read_text("utf-8")


def test_an_error_names_no_recipient_and_a_lost_worker_does_not_export_twice(
    store: Store,
) -> None:
    lawyer = _user(store, "lawyer", Role.LAWYER)
    with store.transaction("tester") as tx:
        evin = create_place(tx, "Evin Prison", PlaceKind.PRISON)
    demo = build_demo_case(store, "analyst", evin, members=(str(lawyer.user_id),))
    court = f"SYNTHETIC Court Qzv{secrets.token_hex(6)}"
    job_id = service.request_bundle(store, lawyer, demo.case_id, court)["id"]
    # The first attempt wrote the bag, recorded the export and saved its result; its
    # worker died before the archive. The second attempt archives; no second export.
    job = queue.claim(store)
    assert job is not None
    first = worker.run_job(store, job)
    assert first.state is JobState.SUCCEEDED
    exports = _exports(store)
    archive = bundle_archive(store, job_id)
    archive.unlink()
    (bundle_folder(store, job_id) / "bag").mkdir()
    again = queue.get(store, job_id)
    rerun = worker.run_job(store, again)
    assert rerun.state is JobState.SUCCEEDED and archive.is_file()
    assert _exports(store) == exports
    assert rerun.result is not None and rerun.result["export_id"] == first.result["export_id"]  # type: ignore[index]

    # An export refused in words that quote the recipient: the job's error (unsealed)
    # has it replaced.
    failing = service.request_bundle(store, lawyer, demo.case_id, court)["id"]
    with pytest.MonkeyPatch.context() as mp:
        from dadkhahi.cases import jobs as bundle_jobs

        def refuse(*_a: object, **_k: object) -> object:
            raise UserError(f"SYNTHETIC failure while writing for {court}")

        mp.setattr(bundle_jobs, "write_bundle", refuse)
        failed = worker.run_next(store)
    assert failed is not None and failed.id == failing and failed.state is JobState.FAILED
    assert failed.error is not None and "[the recipient]" in failed.error
    assert court not in _jobs_table(store)


def _exports(store: Store) -> int:
    with store.reading() as conn:
        return len(conn.execute(select(s.ledger_events.c.idx).where(
            s.ledger_events.c.type == "case.exported")).all())
