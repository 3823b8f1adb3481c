"""The reader's key of kept answers (:func:`dadkhahi.access.policy.disclosure_key`)."""

from __future__ import annotations

from sqlalchemy import BindParameter, Table
from sqlalchemy.sql import visitors

from dadkhahi.access import disclosure
from dadkhahi.access.policy import Principal, Role, disclosure_key, params, visible
from dadkhahi.store import schema as s

TABLES = (s.records, s.persons, s.acts, s.places)


def _walked(principal: Principal, tables: tuple[Table, ...]) -> tuple[object, ...]:
    """The key as the rule's SQL says, walked anew at each call."""
    read = {found.key for table in tables for found in visitors.iterate(
        visible(principal, table)) if isinstance(found, BindParameter)}
    bound = params(principal)
    return tuple((name, repr(bound[name])) for name in sorted(read) if name in bound)


def test_the_key_names_the_parameters_the_rule_reads_and_follows_its_build() -> None:
    """The parameters are found once per build of the rule (kept), yet the key is what a
    walk of the rule's SQL gives for every kind of reader, two team members never share
    one, two viewers do, and a consent rule coming or going changes every key."""
    readers = [Principal(), Principal(user_id="usr_v1", role=Role.VIEWER),
               Principal(user_id="usr_v2", role=Role.VIEWER),
               Principal(user_id="usr_a1", role=Role.ANALYST),
               Principal(user_id="usr_a2", role=Role.ADMIN)]
    for reader in readers:
        for _ in range(2):
            key = disclosure_key(reader, TABLES)
            assert key[1] == disclosure.generation()
            assert key[2] == _walked(reader, TABLES), reader
    assert disclosure_key(readers[1], TABLES) == disclosure_key(readers[2], TABLES)
    assert disclosure_key(readers[3], TABLES) != disclosure_key(readers[4], TABLES)
    assert any("usr_a1" in value for _, value in disclosure_key(readers[3], TABLES)[2])

    def consents(table: object, tier: disclosure.Tier) -> None:
        return None  # a consent rule that adds no condition: the rule's build changes

    before = disclosure_key(readers[3], TABLES)
    disclosure.register_consent("records", consents)  # type: ignore[arg-type]
    try:
        after = disclosure_key(readers[3], TABLES)
        assert after[1] != before[1] and after[2] == _walked(readers[3], TABLES)
    finally:
        disclosure.unregister_consent("records", consents)  # type: ignore[arg-type]
    assert disclosure_key(readers[3], TABLES)[1] not in (before[1], after[1])
