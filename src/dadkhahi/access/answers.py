"""Answers of reads kept while the ledger stands still, one per audience the rule tells
apart (the dashboard's counts and its acts by month, prison and province, which the
page and each of its charts ask for again).

A kept answer is found by the store, the ledger's
:func:`~dadkhahi.store.ledger_log.version` (the projected tables change only with an
event, grants and erasures included) and
:func:`~dadkhahi.access.policy.disclosure_key` of the reader for the tables the read
depends on: every reader the rule treats alike (every viewer, say) shares one answer,
a team member (whose grants the rule reads) has their own, and no reader is ever served
an answer made for a key of another. What an answer read of protected objects is still
audited on every request by the caller.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Table

from dadkhahi.access.policy import Principal, disclosure_key
from dadkhahi.store import ledger_log
from dadkhahi.store.store import Store

T = TypeVar("T")

#: Answers kept across every read (a few ledger states × the readers' keys × reads).
KEPT = 128
_ANSWERS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_LOCK = threading.Lock()


def kept(store: Store, principal: Principal, read: str, tables: tuple[Table, ...],
         compute: Callable[[], T]) -> T:
    """The answer of ``compute()`` (the read named ``read``, under the rule over
    ``tables``) for this reader and the ledger as it stands: kept from an earlier call
    when one was made for the same key, else computed and kept. The version is read
    before the answer, so an answer is never older than the version it is kept under."""
    with store.reading() as conn:
        key = (str(store.engine.url), ledger_log.version(conn), read,
               disclosure_key(principal, tables))
    with _LOCK:
        if key in _ANSWERS:
            _ANSWERS.move_to_end(key)
            found: T = _ANSWERS[key]
            return found
    answer = compute()
    with _LOCK:
        _ANSWERS[key] = answer
        while len(_ANSWERS) > KEPT:
            _ANSWERS.popitem(last=False)
    return answer


def forget() -> None:
    """Drop every kept answer (tests)."""
    with _LOCK:
        _ANSWERS.clear()


__all__ = ["KEPT", "forget", "kept"]
