"""A memorial build as a job: queued through the job service (who may publish), run by
the worker into the home's memorial folder with its progress, signed and verifiable,
the same bytes as a build from the command line; a second build of the same store
records nothing new."""

from __future__ import annotations

from pathlib import Path

import pytest
from world import World

from dadkhahi.access.policy import ForbiddenError, Principal, Role
from dadkhahi.domain.errors import ValidationError
from dadkhahi.jobs.worker import run_next
from dadkhahi.publish.build import STEPS, build
from dadkhahi.publish.jobs import memorial_folder
from dadkhahi.publish.manifest import announced_key
from dadkhahi.publish.site import Options
from dadkhahi.publish.verify import verify
from dadkhahi.services.jobs import enqueue_publication, job_for

ADMIN = Principal(user_id="usr_publisher", username="tester", role=Role.ADMIN)


def _all_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_only_who_may_publish_queues_a_build(world: World) -> None:
    for role in (Role.ANALYST, Role.INVESTIGATOR, Role.LAWYER, Role.VIEWER):
        with pytest.raises(ForbiddenError):
            enqueue_publication(world.store, Principal(user_id="usr_x", username="x",
                                                       role=role))
    with pytest.raises(ForbiddenError):
        enqueue_publication(world.store, Principal())
    with pytest.raises(ValidationError):
        enqueue_publication(world.store, ADMIN, languages=("fa", "de"))


def test_a_queued_build_is_the_command_line_s_build(world: World, tmp_path: Path) -> None:
    store = world.store
    job = enqueue_publication(store, ADMIN, contact="SYNTHETIC corrections desk")
    assert (job["kind"], job["state"]) == ("memorial.publish", "queued")
    # Settings and the actor's ledger pseudonym only: the jobs table is not sealed.
    assert job["params"]["actor"].startswith("actor_") and "tester" not in str(job)
    assert job["params"]["languages"] == ["fa", "en"] and job["params"]["book"] is False

    assert run_next(store) is not None
    done = job_for(store, ADMIN, job["id"])
    assert done["state"] == "succeeded", done["error"]
    # Each step was reported; the last one before the files were written.
    assert done["progress"] == {"done": len(STEPS), "total": len(STEPS),
                                "note": "writing the files"}
    result = done["result"]
    assert result["sequence"] == 1 and result["recorded"] is True
    assert result["published"] == 3 and result["files"] > 0
    assert "held" not in result  # it counts persons the asker may not see
    folder = memorial_folder(store)
    with store.reading() as conn:
        key = announced_key(conn)
    assert key is not None
    problems, head = verify(folder, key, store.verifier_key())
    assert problems == [] and int(head["sequence"]) == 1
    victim = folder / "en" / "victims" / f"{world.persons['A-1']}.html"
    assert "SYNTHETIC corrections desk" in victim.read_text("utf-8")

    # The command line's build of the same store: the same bytes, not recorded again.
    direct = build(store, "tester", tmp_path / "direct",
                   Options(contact="SYNTHETIC corrections desk"))
    assert not direct.recorded and direct.sequence == 1
    assert _all_bytes(tmp_path / "direct") == _all_bytes(folder)
    # Queued again over the build before: nothing to write, nothing recorded.
    again = enqueue_publication(store, ADMIN, contact="SYNTHETIC corrections desk")
    assert run_next(store) is not None
    second = job_for(store, ADMIN, again["id"])["result"]
    assert (second["recorded"], second["sequence"], second["written"]) == (False, 1, 0)


def test_the_command_line_queues_a_build_for_the_worker(world: World) -> None:
    from typer.testing import CliRunner

    from dadkhahi.cli.main import app as cli
    from dadkhahi.jobs import queue

    home = ["--home", str(world.store.home.path)]
    runner = CliRunner()
    refused = runner.invoke(cli, [*home, "publish", "--queue", "--out", "x"])
    assert refused.exit_code == 2 and not queue.list_jobs(world.store)
    queued = runner.invoke(cli, [*home, "publish", "--queue", "--languages", "en",
                                 "--actor", "leila"])
    assert queued.exit_code == 0, queued.output
    job = queue.get(world.store, queued.stdout.strip())
    assert job.kind == "memorial.publish" and job.params["languages"] == ["en"]
    assert job.params["actor"].startswith("actor_")  # a pseudonym, not "leila"
    assert run_next(world.store) is not None
    done = queue.get(world.store, job.id)
    assert done.state.value == "succeeded" and done.result is not None
    assert (memorial_folder(world.store) / "en" / "index.html").is_file()
    assert not (memorial_folder(world.store) / "fa").exists()
