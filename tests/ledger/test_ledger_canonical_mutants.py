"""Canonical JSON cases mutants of ``ledger/canonical.py`` survived."""

from __future__ import annotations

import re

import pytest

from dadkhahi.ledger.canonical import canonical_json
from dadkhahi.ledger.errors import LedgerInputError


def test_non_ascii_keys_are_ordered_by_utf16_code_units() -> None:
    # RFC 8785 sorts keys by UTF-16 code units: U+10000 (D800 DC00) before U+FFFF, the
    # opposite of code-point order, which the fast encoder would use.
    assert canonical_json({"\uffff": 1, "\U00010000": 2}) == (
        '{"\U00010000":2,"\uffff":1}'.encode()
    )
    assert canonical_json({"b": {"\uffff": 1, "\U00010000": 2}, "a": [1]}) == (
        '{"a":[1],"b":{"\U00010000":2,"\uffff":1}}'.encode()
    )


def test_a_lone_surrogate_is_refused_with_its_reason() -> None:
    with pytest.raises(LedgerInputError, match=re.escape(
            "cannot canonicalise JSON: 'utf-8' codec can't encode character '\\ud800'")):
        canonical_json({"a": "\ud800"})
