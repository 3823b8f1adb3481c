"""The small-number rule: no count shown outside the team is under :data:`SMALL_CELL`.

A count of 1 to 4 people in a narrow group (a province, a prison, a month) can single
them out, and a small cell hidden beside a published total can be got back by
subtraction. So every figure shown outside the team goes through this module: a lone
count is suppressed (:func:`is_small`), and a table's small cells are merged into one
"other" cell that is itself at least :data:`SMALL_CELL` (:func:`merge_small`), folding
in the smallest shown cells when the small ones alone do not reach it. A zero is shown:
it singles nobody out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

#: Counts below this are not shown to readers outside the team.
SMALL_CELL = 5

K = TypeVar("K")


def is_small(count: int) -> bool:
    """Whether ``count`` may not be shown outside the team (1 to ``SMALL_CELL - 1``)."""
    return 0 < count < SMALL_CELL


@dataclass(frozen=True)
class Merged(Generic[K]):
    """A table of counts as it may be shown.

    ``shown``: the cells shown with their counts, in the order given; ``merged``: the
    cells counted only together in ``other`` (None when nothing was merged); ``total``:
    the table's total, None when it is small itself (then nothing is shown but that).
    """

    shown: list[tuple[K, int]] = field(default_factory=list)
    merged: list[K] = field(default_factory=list)
    other: int | None = None
    total: int | None = None


def merge_small(cells: Iterable[tuple[K, int]]) -> Merged[K]:
    """Merge a table's small cells so that no shown figure, nor the difference of two
    shown figures, is a small count."""
    cells = list(cells)
    total = sum(n for _, n in cells)
    if is_small(total):
        return Merged(merged=[k for k, _ in cells])
    small = [i for i, (_, n) in enumerate(cells) if is_small(n)]
    if not small:
        return Merged(shown=cells, total=total)
    out = set(small)
    other = sum(cells[i][1] for i in small)
    # The merged cell is total minus the shown ones: it must not be small either.
    rest = sorted((n, i) for i, (_, n) in enumerate(cells) if i not in out and n > 0)
    while other < SMALL_CELL and rest:
        n, i = rest.pop(0)
        out.add(i)
        other += n
    return Merged(shown=[c for i, c in enumerate(cells) if i not in out],
                  merged=[k for i, (k, _) in enumerate(cells) if i in out],
                  other=other, total=total)


__all__ = ["SMALL_CELL", "Merged", "is_small", "merge_small"]
