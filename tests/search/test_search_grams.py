"""Common grams: which adjacent pairs become one more lexeme, in clear and keyed, and the
shipped list of common words (issue 15)."""

from __future__ import annotations

from dadkhahi.search.grams import COMMON, COMMON_WORDS, JOIN, VERSION, pairing
from dadkhahi.search.index import hash_token
from dadkhahi.search.tokens import tokenize


def test_a_pair_is_written_where_either_word_is_common() -> None:
    words = ["zanjir", "in", "the", "evin", "prison", "و", "در", "زندان"]
    assert pairing().pairs(words) == [
        "zanjir" + JOIN + "in", "in" + JOIN + "the", "the" + JOIN + "evin",
        "prison" + JOIN + "و", "و" + JOIN + "در", "در" + JOIN + "زندان"]
    # No common word, no pair ("evin prison"); one word, none.
    assert pairing().pairs(["evin", "prison"]) == [] and pairing().pairs(["the"]) == []


def test_a_protected_pair_is_a_keyed_hash_of_its_words_hashes() -> None:
    key = b"k" * 32
    hashed = [hash_token(key, w) for w in ["zanjir", "in", "evin"]]
    pairs = pairing(key).pairs(hashed)
    # "in" is common whatever its form: both pairs, as keyed hashes (no word, no JOIN).
    assert pairs == [hash_token(key, hashed[0] + JOIN + hashed[1]),
                     hash_token(key, hashed[1] + JOIN + hashed[2])]
    assert all(len(p) == 20 and p.isalpha() and p.isascii() for p in pairs)
    assert pairing(b"o" * 32).pairs(hashed) == []  # another key: its own common hashes


def test_the_shipped_list_is_of_tokens_and_names_itself() -> None:
    assert len(COMMON_WORDS) == len(COMMON) == 192
    for word in COMMON_WORDS:
        assert [t.text for t in tokenize(word)] == [word], word
        assert JOIN not in word
    assert {"the", "of", "و", "در", "که", "ها", "می"} <= COMMON
    # No token ever holds the joiner, so no query word reaches a pair.
    assert [t.text for t in tokenize("the" + JOIN + "of")] == ["theof"]
    assert VERSION.startswith("1:") and len(VERSION) == 18
