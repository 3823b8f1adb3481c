"""Print the common-words list of ``dadkhahi.search.grams`` from its data (issue 15).

    pip install wordfreq==3.1.1   # in a scratch venv: not a dependency of the project
    python benchmarks/documents/make_common_words.py

The list is every word of wordfreq 3.1.1's Persian (``fa``) and English (``en``) lists
used at least once in a thousand words (``word_frequency >= 0.001``): such a word is on
about 86% of 2,000-word pages (1 - e^-2), so a phrase holding one is matched on most pages
unless it is indexed as a pair. Each word is put through the project's tokenizer; a word
that becomes two tokens (``it's``) is left out, one that becomes another word's token
(``كه`` is ``که``) counted once. The words are printed most frequent first, both languages
merged, as the module keeps them (the benchmark gives its vocabulary's head that order).
"""

from __future__ import annotations

from importlib.metadata import version

import wordfreq  # type: ignore[import-not-found]

from dadkhahi.search.tokens import tokenize

THRESHOLD = 1e-3
LANGUAGES = ("fa", "en")


def main() -> None:
    found: dict[str, float] = {}
    for lang in LANGUAGES:
        for word in wordfreq.top_n_list(lang, 1000):
            freq = wordfreq.word_frequency(word, lang)
            if freq < THRESHOLD:
                continue
            tokens = [t.text for t in tokenize(word)]
            if len(tokens) == 1:
                found[tokens[0]] = max(freq, found.get(tokens[0], 0.0))
    ordered = sorted(found, key=lambda w: (-found[w], w))
    print(f"# wordfreq {version('wordfreq')} {'+'.join(LANGUAGES)} >= {THRESHOLD}: "
          f"{len(ordered)} words")
    for first in range(0, len(ordered), 10):
        print("    " + " ".join(f'"{w}",' for w in ordered[first:first + 10]))


if __name__ == "__main__":
    main()
