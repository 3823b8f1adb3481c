"""Charts drawn on the server as SVG with matplotlib (no script, nothing from elsewhere).

A chart carries numbers only, no words: matplotlib does not shape Persian script, so
every label lives in the page around it, and each chart has its data table beside it
for screen readers. Digits follow the page's language. The SVG is the same bytes for
the same data (a fixed hash salt, no date in its metadata).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from dadkhahi.web.i18n import language

#: Colours of the estimate chart (contrast above 4.5:1 on white).
INTERVAL, POINT, DOCUMENTED = "#1d4f91", "#0b2545", "#8a3b00"


def estimates_svg(rows: Sequence[dict[str, Any]], lang: str) -> bytes:
    """Each estimate as a row, numbered from 1 at the top like the table beside it: its
    interval as a line, its point estimate as a dot and the documented count as a
    square. Matplotlib is imported here: it takes a second to load."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    shown = language(lang)
    height = 0.9 + 0.45 * max(1, len(rows))
    with matplotlib.rc_context({"svg.hashsalt": "dadkhahi", "svg.fonttype": "path",
                                "font.size": 10}):
        figure = Figure(figsize=(7.0, height), dpi=96)
        axes = figure.add_subplot()
        for n, row in enumerate(rows, start=1):
            if row.get("low") is not None and row.get("high") is not None:
                axes.hlines(n, row["low"], row["high"], colors=INTERVAL, linewidth=3)
            if row.get("estimate") is not None:
                axes.plot([row["estimate"]], [n], "o", color=POINT, markersize=7)
            axes.plot([row["documented"]], [n], "s", color=DOCUMENTED, markersize=6)
        axes.set_ylim(len(rows) + 0.7, 0.3)
        axes.set_yticks(range(1, len(rows) + 1))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: shown.digits(f"{v:.0f}")))
        axes.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _: shown.number(int(v))))
        axes.grid(axis="x", color="#d0d7de", linewidth=0.8)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        if lang == "fa":  # rows read from the right on a right-to-left page
            axes.yaxis.tick_right()
            axes.spines["left"].set_visible(False)
            axes.spines["right"].set_visible(True)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


#: Colour of the dashboard's bars (contrast above 4.5:1 on white).
BAR = "#1d4f91"


def bars_svg(counts: Sequence[int], lang: str) -> bytes:
    """A bar per row of the table beside it, numbered from 1 as the table's rows are
    (a month, a prison, a province: their names are in the table, not in the chart),
    read from the right on a right-to-left page. Kept for the same numbers: drawing one
    costs matplotlib 190 ms of CPU (``benchmarks/web/bench_pages.py``), and a chart holds
    nothing but its numbers, so whoever asks the same numbers may have the same bytes."""
    return _bars(tuple(int(n) for n in counts), lang)


@lru_cache(maxsize=64)
def _bars(counts: tuple[int, ...], lang: str) -> bytes:
    """:func:`bars_svg` (matplotlib is imported here: it takes a second to load)."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    shown = language(lang)
    with matplotlib.rc_context({"svg.hashsalt": "dadkhahi", "svg.fonttype": "path",
                                "font.size": 10}):
        figure = Figure(figsize=(7.0, 2.6), dpi=96)
        axes = figure.add_subplot()
        axes.bar(range(1, len(counts) + 1), counts, color=BAR, width=0.8)
        axes.set_xlim(0.3, max(1, len(counts)) + 0.7)
        if lang == "fa":
            axes.invert_xaxis()
            axes.yaxis.tick_right()
            axes.spines["left"].set_visible(False)
            axes.spines["right"].set_visible(True)
        # A tick per row up to ten rows, else every step-th row: always whole row numbers.
        axes.set_xticks(range(1, len(counts) + 1, max(1, math.ceil(len(counts) / 10))))
        axes.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _: shown.digits(f"{v:.0f}")))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: shown.number(int(v))))
        axes.grid(axis="y", color="#d0d7de", linewidth=0.8)
        axes.set_axisbelow(True)
        axes.spines["top"].set_visible(False)
        axes.spines["left" if lang == "fa" else "right"].set_visible(False)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
