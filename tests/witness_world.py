"""A witness who will ask for erasure, and an investigator who reads what she told: the
start of the erasure tests of ``intake.erasure`` and of revision 0005
(``store.case_erasure``). Every name is SYNTHETIC."""

from __future__ import annotations

from dadkhahi.access.grants import grant
from dadkhahi.access.policy import Principal, Role
from dadkhahi.access.users import add_user
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.facts.entities import create_person
from dadkhahi.intake.sources import register_source
from dadkhahi.store.store import Store


def witness_and_reader(store: Store) -> tuple[str, str, str, Principal]:
    """A protected witness's source, another protected source, a protected person, and
    an investigator (``investigator``) granted all three."""
    protected = Sensitivity.PROTECTED
    with store.transaction("tester") as tx:
        witness = register_source(store, tx, SourceSpec(title="SYNTHETIC witness",
                                                        sensitivity=protected))
        other = register_source(store, tx, SourceSpec(title="SYNTHETIC report",
                                                      sensitivity=protected))
        person = create_person(tx, "SYNTHETIC person", sensitivity=protected)
    user = add_user(store, "investigator", Role.INVESTIGATOR, "SYNTHETIC pass 1", "tester")
    for scope in (witness, other, person):
        grant(store, scope, user, "tester")
    return witness, other, person, Principal(user_id=user, username="investigator",
                                             role=Role.INVESTIGATOR)
