"""What an estimate rests on (issue 14): ``estimate.computed`` keeps the capture-history
table itself (aggregate; its hash is ``inputs_sha256``) and the estimator's diagnostics,
the same in two recordings; the estimates page's detail shows the table, the overlap of
each pair of lists and the diagnostics, small cells merged outside the team (the one
small-number rule), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from api_world import World
from sqlalchemy import select

from dadkhahi.access.policy import Principal
from dadkhahi.analysis.estimates import (
    StoreEstimate,
    record_estimate,
    release_estimate,
    table_sha256,
)
from dadkhahi.domain.vocab import Role, Sensitivity
from dadkhahi.estimate import Options, estimate, table_from_counts
from dadkhahi.services.estimates import estimate_detail
from dadkhahi.store import schema as s

LISTS = ["SYNTHETIC list A", "SYNTHETIC list B", "SYNTHETIC list C"]
PATTERNS = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]]
COUNTS = [2100, 1500, 600, 200, 90, 19, 3]


def _recorded(world: World) -> str:
    """A real log-linear estimate of a SYNTHETIC table, recorded as the job records it."""
    table = table_from_counts(LISTS, np.asarray(PATTERNS, dtype=np.int64),
                              np.asarray(COUNTS, dtype=np.int64))
    options = Options(seed=3)
    result = estimate(table, "loglinear", options=options)
    pub = world.objects[Sensitivity.PUBLIC]
    lists = [{"list": pub.list_id, "import": pub.list_import, "title": "SYNTHETIC list A",
              "kind": "victims", "used": True}]
    result = replace(result, diagnostics={**result.diagnostics, "lists": lists})
    return record_estimate(world.store, "setup",
                           StoreEstimate(result, table, "loglinear", options))


def test_the_table_and_diagnostics_are_kept_and_shown_by_the_rule(world: World) -> None:
    first, second = _recorded(world), _recorded(world)
    e = s.estimates.c
    with world.store.reading() as conn:
        rows = {r.id: r for r in conn.execute(
            select(e.id, e.capture, e.diagnostics, e.inputs_sha256)
            .where(e.id.in_([first, second])))}
    # The same estimate recorded twice keeps the same table and diagnostics.
    assert rows[first].capture == rows[second].capture
    assert rows[first].diagnostics == rows[second].diagnostics
    assert rows[first].diagnostics["selected_model"] and "models" in rows[first].diagnostics
    team = Principal(user_id=world.user_ids["analyst"], username="analyst",
                     role=Role.ANALYST)
    shown = estimate_detail(world.store, team, first)
    assert shown is not None and shown["capture"]["verified"]
    cap = shown["capture"]
    assert cap["lists"] == LISTS and cap["total"] == sum(COUNTS)
    assert sorted(n for _, n in cap["cells"]) == sorted(COUNTS)  # the team: every cell
    assert cap["overlaps"] == [(LISTS[0], LISTS[1], 203), (LISTS[0], LISTS[2], 93),
                               (LISTS[1], LISTS[2], 22)]
    # Outside the team (a viewer, once released to the public): the cell of 3 is merged
    # with the smallest other (19) into one "other" row of 22; no shown cell is small.
    release_estimate(world.store, "setup", first, "public")
    viewer = Principal(user_id=world.user_ids["viewer_g"], username="viewer_g",
                       role=Role.VIEWER)
    outside = estimate_detail(world.store, viewer, first)
    assert outside is not None
    assert outside["capture"]["other"] == 22 and outside["capture"]["merged"] == 2
    assert all(n >= 5 for _, n in outside["capture"]["cells"])
    assert estimate_detail(world.store, viewer, second) is None  # not released to it
    # The hash recorded is the estimated table's (so "verified" above checked it).
    assert table_sha256(table_from_counts(LISTS, np.asarray(PATTERNS, dtype=np.int64),
                                          np.asarray(COUNTS, dtype=np.int64))) == \
        rows[first].inputs_sha256


def test_a_stratum_naming_a_protected_place_is_withheld_outside_the_team(
        world: World) -> None:
    """An estimate by prison released to the public: a protected detention site's name,
    a stratum label taken from the records, reached anonymous visitors and viewers in the
    capture table's rows, warnings and merged strata (strata35). Outside the team it is a
    withheld stratum (a label shows only as a place the reader may see); the public
    prison and the unknown stratum are shown; the team (the grant's holder) sees it."""
    import json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))
    from page_data import SITE, add_estimate_by_prison

    from dadkhahi.access.policy import ANONYMOUS
    from dadkhahi.services.estimates import stored_estimates

    found = add_estimate_by_prison(world)
    viewer = Principal(user_id=world.user_ids["viewer_g"], username="viewer_g",
                       role=Role.VIEWER)
    for outside in (ANONYMOUS, viewer):
        detail = estimate_detail(world.store, outside, found)
        rows = stored_estimates(world.store, outside, only=found)
        assert detail is not None and detail["capture"]["verified"]
        shown = json.dumps([detail, rows], default=str)
        assert SITE not in shown
        assert {c[0][1] for c in detail["capture"]["cells"]} == {
            "Evin", "a withheld stratum (2)", "unknown"}
        assert detail["diagnostics"]["warnings"] == ["stratum a withheld stratum (2): SYNTHETIC"]
    team = Principal(user_id=world.user_ids["investigator_g"], username="investigator_g",
                     role=Role.INVESTIGATOR)
    detail = estimate_detail(world.store, team, found)
    assert detail is not None and SITE in {c[0][1] for c in detail["capture"]["cells"]}
    assert "a withheld stratum" not in json.dumps(detail, default=str)
