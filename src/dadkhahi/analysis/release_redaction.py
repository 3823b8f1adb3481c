"""Releases recorded before 715f23b: the titles of lists withheld from their audience,
redacted from their ``estimate.released`` events (revision 0008).

Since 715f23b a release names a list the disclosure rule withholds from its audience
"a withheld list (n)" (``analysis.estimates.released_lists``), in the event it records.
A release recorded before then holds every list's title and kind in clear in its
event's ``lists`` and its sentence (``estimand``, "left out: <title> (<kind>)"), where no
erasure reaches: a restricted list's title is in the ledger the public's release came
from, and in every export of it. Each such body is redacted through the one mechanism
(``store.redact.redact_events``): its ``lists`` nulled, and its ``estimand`` when it
names such a list, its leaf hash kept, one ``event.redacted`` each. The rest stays: IDs,
audience, note, release time, method, figures, level, partitions, seed, linkage run,
inputs' hash and versions (the note is the releaser's own words, copied as written
since 715f23b too: not judged here). ``released_estimates`` reads the lists and the
sentence from the estimate's row, through the rule, so a redacted release reads as
before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.analysis.estimates import WITHHELD_LIST, released_lists, withheld_names
from dadkhahi.ledger.checkpoint import NoteSigner
from dadkhahi.ledger.redaction import redacted_fields
from dadkhahi.store import schema as s
from dadkhahi.store.redact import WITHHELD_LIST_NAMED, redact_events
from dadkhahi.store.sealed import KeyRing
from dadkhahi.store.store import upgrade_transaction

#: Who the ledger says redacted at the upgrade (a pseudonym of it, as of every actor).
ACTOR = "dadkhahi upgrade 0008"


def _named(value: Any, names: dict[str, str]) -> bool:
    return isinstance(value, str) and any(name in value for name in names)


def withheld_in_clear(conn: Connection) -> dict[int, list[str]]:
    """Each ``estimate.released`` event (index → fields to redact) whose body names by
    title or kind a list the rule, as it stands, withholds from its audience: its
    ``lists``, and its ``estimand`` (the sentence) when it names such a list. A release
    that names each such list "a withheld list (n)" (715f23b on) is left."""
    e = s.ledger_events.c
    found: dict[int, list[str]] = {}
    for index, body in conn.execute(select(e.idx, e.body).where(
            e.type == "estimate.released").order_by(e.idx)):
        data = json.loads(body)["data"]
        lists = [x for x in data.get("lists") or () if isinstance(x, dict)]
        if not lists:
            continue
        shown, _ = released_lists(conn, lists, None, str(data.get("audience")))
        clear = [(n, x) for n, (x, y) in enumerate(zip(lists, shown, strict=True), 1)
                 if y.get("title") == WITHHELD_LIST.format(n=n)
                 and (x.get("title") != y.get("title") or x.get("kind") is not None)]
        if not clear:
            continue
        names = withheld_names([x for _, x in clear], set())
        fields = {"lists"} | ({"estimand"} if _named(data.get("estimand"), names) else set())
        fields -= set(redacted_fields(body))
        if fields:
            found[int(index)] = sorted(fields)
    return found


def redact_withheld_lists(conn: Connection, keys: Callable[[], KeyRing] | None,
                          signer: Callable[[], NoteSigner] | None) -> int:
    """Revision 0008, in its transaction: redact every release of :func:`withheld_in_clear`
    (no row holds its lists or sentence: ``estimate_releases`` keeps the note, the
    estimate's row the rest); a signed checkpoint after them. ``keys`` and ``signer`` are the
    home's, asked for only when there is something to redact. The scrub is marked due
    (``scrub_due``): ``Store.open`` runs it. Returns how many events were redacted."""
    targets = withheld_in_clear(conn)
    if not targets:
        return 0
    with upgrade_transaction(conn, ACTOR, keys, signer, f"{len(targets)} estimate "
                             "release(s) naming in clear lists withheld from their audience",
                             "redacts") as tx:
        done = redact_events(tx, targets, WITHHELD_LIST_NAMED)
    return len(done)


__all__ = ["ACTOR", "redact_withheld_lists", "withheld_in_clear"]
