"""The memorial's text goes through the one catalogue mechanism, and is complete."""

from __future__ import annotations

import re

from dadkhahi.catalogue import load
from dadkhahi.publish.text import CATALOGUE, extract, translate

_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def test_every_message_of_the_memorial_has_a_persian_translation() -> None:
    wanted = {str(m.id) for m in extract() if m.id}
    # Templates, page code and marked constants are all found.
    assert {"How many", "Burial place", "By prison", "fewer than {n}", "Unknown",
            "male"} <= wanted
    catalogue = {str(m.id): m for m in load(CATALOGUE) if m.id}
    missing = sorted(wanted - catalogue.keys())
    assert missing == [], f"run scripts/memorial-messages, then translate: {missing}"
    for message in sorted(wanted):
        entry = catalogue[message]
        assert entry.string and not entry.fuzzy, f"no Persian translation: {message}"
        assert sorted(_PLACEHOLDER.findall(str(entry.string))) == sorted(
            _PLACEHOLDER.findall(message)), message
        assert translate("fa", message) == entry.string
    assert translate("en", "How many") == "How many"
