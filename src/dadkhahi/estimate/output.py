"""Presenting results: the JSON contract, a Rich table, and a matplotlib figure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text

from dadkhahi.domain.errors import UserError
from dadkhahi.estimate.diagnostics import Description
from dadkhahi.estimate.result import EstimateResult

PLOT_SUFFIXES = (".png", ".svg")


def _number(value: float) -> float | None:
    """JSON has no infinity: an unbounded end is written as null."""
    return float(value) if math.isfinite(value) else None


def _json_safe(value: object) -> Any:
    """Diagnostics as plain JSON: NumPy values unwrapped, non-finite numbers as null."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return _number(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _stratum_json(result: EstimateResult) -> dict[str, Any]:
    return {
        "stratum": result.stratum,
        "documented": result.documented,
        "estimate": _number(result.estimate),
        "interval": [_number(result.interval[0]), _number(result.interval[1])],
        "method": result.method,
        "lists": [{"name": s.name, "size": s.size} for s in result.lists],
        "warnings": list(result.warnings),
        "diagnostics": _json_safe(result.diagnostics),
    }


def to_json(result: EstimateResult, others: Sequence[EstimateResult] = ()) -> dict[str, Any]:
    """The JSON contract of ``dadkhahi estimate --json``.

    ``{"documented", "estimate", "interval": [low, high], "method", "lists":
    [{"name", "size"}], "strata": [...]}`` with each stratum carrying the same
    fields plus its name; also ``level``, ``warnings`` and the method's
    ``diagnostics`` (for LCMCR: chains, sweeps run, R-hat, ESS, whether the
    chains converged and each convergence check). An unbounded
    interval end is ``null``. ``others`` (from ``--method all``) go under
    ``"methods"``, each in the same shape. An estimate over drawn linkages
    adds ``"linkage_uncertainty"``: ``{"partitions", "interval" (the
    combined one, as above), "interval_linkage_fixed", "estimate_linkage_fixed",
    "width_share" (of the combined width the linkage adds), "variance_share",
    "calibration", "drawn_from" ("audit" or "calibrated pair probabilities"),
    "audit" (the recorded audit the draws come from, or null)}``.
    """
    out = _stratum_json(result)
    del out["stratum"]
    out["level"] = result.level
    out["strata"] = [_stratum_json(s) for s in result.strata]
    if "estimand" in result.diagnostics:
        out["estimand"] = result.diagnostics["estimand"]
    linkage = result.diagnostics.get("linkage")
    if linkage:
        out["linkage_uncertainty"] = _json_safe({
            "partitions": linkage["partitions"],
            "interval": out["interval"],
            "interval_linkage_fixed": linkage["fixed"]["interval"],
            "estimate_linkage_fixed": linkage["fixed"]["estimate"],
            "width_share": linkage["width_share"],
            "variance_share": linkage["variance_share"],
            "calibration": linkage.get("calibration"),
            "drawn_from": linkage.get("drawn_from"),
            "audit": linkage.get("audit"),
        })
    if others:
        out["methods"] = [to_json(o) for o in others]
    return out


def description_json(d: Description) -> dict[str, Any]:
    """``dadkhahi estimate --describe --json``: the lists before any model.

    ``{"documented", "lists": [{"name", "size"}], "overlap": {list: {list:
    people on both}}, "pairwise": [{"list_a", "list_b", "n11", "n10", "n01",
    "n00", "odds_ratio", "chapman"}], "capture_frequencies": [f1, f2, ...],
    "warnings"}``; an odds ratio that cannot be computed is null. With
    ``--by``, ``"strata"`` lists each stratum's ``{"stratum", "documented",
    "lists", "capture_frequencies", "problem", "warnings"}`` (``problem``:
    why no model can estimate it, else null). A store's lists add ``"estimand"``;
    ``--merge-sparse`` adds ``"merged_strata": {"into", "strata", "minimum"}`` (as an
    estimate's diagnostics do).
    """
    out: dict[str, Any] = {
        **({"estimand": d.estimand} if d.estimand is not None else {}),
        "documented": d.documented,
        "lists": [{"name": s.name, "size": s.size} for s in d.lists],
        "overlap": _json_safe(d.overlap.to_dict(orient="index")),
        "pairwise": _json_safe(d.pairwise.to_dict(orient="records")),
        "capture_frequencies": list(d.capture_frequencies),
        "warnings": list(d.warnings),
    }
    if d.strata:
        out["strata"] = [
            {
                "stratum": s.stratum,
                "documented": s.documented,
                "lists": [{"name": x.name, "size": x.size} for x in s.lists],
                "capture_frequencies": list(s.capture_frequencies),
                "problem": s.problem,
                "warnings": list(s.warnings),
            }
            for s in d.strata
        ]
    if d.merged is not None:
        out["merged_strata"] = d.merged.as_dict()
    return out


def render_description(d: Description) -> Group:
    """Rich tables of the lists before any model: overlaps and pairwise dependence."""
    names = [s.name for s in d.lists]
    overlap = Table(title=f"People on both lists (documented: {d.documented:,})")
    overlap.add_column("")
    for name in names:
        overlap.add_column(Text(name), justify="right")
    both = d.overlap.loc[names, names].to_numpy(dtype=np.int64)
    for name, row in zip(names, both, strict=True):
        overlap.add_row(Text(name), *(f"{v:,}" for v in row))
    pairs = Table(title="Pairwise dependence (odds ratio among people on other lists; "
                        "> 1: the pair names the same people more than chance)")
    for column in ("lists", "both", "first only", "second only", "odds ratio", "Chapman"):
        pairs.add_column(column, justify="left" if column == "lists" else "right")
    for pair in d.pairwise.to_dict(orient="records"):
        odds = float(pair["odds_ratio"])
        pairs.add_row(
            Text(f"{pair['list_a']} & {pair['list_b']}"), f"{pair['n11']:,}", f"{pair['n10']:,}",
            f"{pair['n01']:,}", f"{odds:.2f}" if math.isfinite(odds) else "-",
            _fmt(float(pair["chapman"])),
        )
    freq = ", ".join(
        f"{k} list{'s' if k > 1 else ''}: {f:,}" for k, f in enumerate(d.capture_frequencies, 1)
    )
    parts: list[Any] = [overlap, pairs, Text(f"People named on exactly {freq}")]
    if d.estimand is not None:
        parts.append(Text(f"Described: {d.estimand}"))
    if d.strata:
        strata = Table(title="Strata")
        for column in ("stratum", "documented", "on 1, 2, ... lists"):
            strata.add_column(column, justify="left" if column == "stratum" else "right")
        for st in d.strata:
            strata.add_row(Text(st.stratum), f"{st.documented:,}",
                           ", ".join(f"{f:,}" for f in st.capture_frequencies))
        parts.append(strata)
        if d.merged is not None:
            parts.append(Text(d.merged.sentence()))
        parts.extend(
            Text(f"stratum {st.stratum}: {st.problem}: no model can use it "
                 "(see --merge-sparse)", style="yellow")
            for st in d.strata if st.problem
        )
    parts.extend(Text(f"warning: {w}", style="yellow") for w in d.warnings)
    return Group(*parts)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if math.isfinite(value) else "unbounded"


def _convergence_line(result: EstimateResult) -> str | None:
    """One line on how an MCMC run ended, for results that ran chains."""
    d = result.diagnostics
    if "ess" not in d or "iterations" not in d:
        return None
    where = f"{result.method}" + (f" ({result.stratum})" if result.stratum else "")
    rhat = f"R-hat {d['rhat']:.3f}, " if d.get("rhat") is not None else ""
    state = "converged" if d.get("converged") else "NOT converged"
    return (
        f"{where}: {d.get('chains', 1)} chains x {d['iterations']:,} sweeps, "
        f"{rhat}ESS {d['ess']:,.0f}: {state}"
    )


def render(results: Sequence[EstimateResult]) -> Group:
    """A Rich summary: one row per method, then lists, strata and warnings."""
    first = results[0]
    summary = Table(title=f"Estimated total (documented: {first.documented:,})")
    for column in ("method", "estimate", f"{first.level:.0%} interval", "undocumented"):
        summary.add_column(column, justify="left" if column == "method" else "right")
    for r in results:
        summary.add_row(
            r.method, _fmt(r.estimate),
            f"{_fmt(r.interval[0])} – {_fmt(r.interval[1])}", _fmt(r.undocumented),
        )
    parts: list[Any] = [summary]
    if "estimand" in first.diagnostics:
        parts.append(Text(f"Estimated: {first.diagnostics['estimand']}"))
    lists = Table(title="Lists")
    lists.add_column("list")
    lists.add_column("size", justify="right")
    for s in first.lists:
        lists.add_row(Text(s.name), f"{s.size:,}")
    parts.append(lists)
    for r in results:
        if not r.strata:
            continue
        strata = Table(title=f"Strata ({r.method})")
        for column in ("stratum", "documented", "estimate", f"{r.level:.0%} interval"):
            strata.add_column(column, justify="left" if column == "stratum" else "right")
        for part in r.strata:
            strata.add_row(
                Text(part.stratum or ""), f"{part.documented:,}", _fmt(part.estimate),
                f"{_fmt(part.interval[0])} – {_fmt(part.interval[1])}",
            )
        parts.append(strata)
    for r in results:
        linkage = r.diagnostics.get("linkage")
        if linkage:
            low, high = linkage["fixed"]["interval"]
            share = linkage["width_share"]
            parts.append(Text(
                f"{r.method}: linkage uncertainty from {linkage['partitions']} drawn "
                f"linkages; with the linkage held fixed {_fmt(linkage['fixed']['estimate'])} "
                f"({_fmt(low)} – {_fmt(high)})"
                + ("" if share is None else f"; the linkage adds {share:.0%} of the width")
            ))
    for r in results:
        for part in (r, *r.strata):
            line = _convergence_line(part)
            if line:
                parts.append(Text(line, style="dim"))
    notes = [f"{r.method}: {w}" for r in results for w in r.warnings]
    for note in dict.fromkeys(notes):
        parts.append(Text(f"warning: {note}", style="yellow"))
    return Group(*parts)


def plot(result: EstimateResult | Sequence[EstimateResult], path: Path | str) -> Path:
    """Draw the posterior (when there are draws), the strata and the methods to PNG/SVG.

    Panels: a histogram of the total's posterior (or bootstrap) draws with the
    estimate and interval marked; each stratum's estimate with its interval;
    and, for several methods, each method's estimate with its interval.
    Unbounded interval ends are drawn to the edge with an arrow.
    """
    out = Path(path)
    if out.suffix.lower() not in PLOT_SUFFIXES:
        raise UserError(f"--plot needs a .png or .svg file name, got {out.name!r}")
    results = [result] if isinstance(result, EstimateResult) else list(result)
    if not results:
        raise UserError("nothing to plot")
    main = results[0]
    with_draws = next((r for r in results if r.draws is not None and r.draws.size), None)
    panels: list[str] = []
    if with_draws is not None:
        panels.append("draws")
    if main.strata:
        panels.append("strata")
    if len(results) > 1 or not panels:
        panels.append("methods")
    # The object API with the Agg canvas: no pyplot state, no GUI backend. Imported here:
    # Matplotlib costs a large part of a second, and only a plot needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.2 * len(panels)))
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(panels), 1, squeeze=False)
    for ax, panel in zip(axes[:, 0], panels, strict=True):
        if panel == "draws" and with_draws is not None and with_draws.draws is not None:
            ax.hist(with_draws.draws, bins=60, color="#6b8fb3")
            ax.axvline(with_draws.estimate, color="black", label="estimate")
            for end in with_draws.interval:
                if math.isfinite(end):
                    ax.axvline(end, color="black", linestyle="--")
            ax.axvline(with_draws.documented, color="#b33", label="documented")
            ax.set_title(f"Total: {with_draws.method} draws")
            ax.set_xlabel("people")
            ax.legend()
        elif panel == "strata":
            _intervals(ax, [s.stratum or "" for s in main.strata], list(main.strata))
            ax.set_title(f"Per stratum ({main.method}, {main.level:.0%} intervals)")
        else:
            _intervals(ax, [r.method for r in results], results)
            ax.set_title(f"By method ({main.level:.0%} intervals)")
    fig.tight_layout()
    fig.savefig(out)
    return out


def _intervals(ax: Any, labels: list[str], results: list[EstimateResult]) -> None:
    finite_highs = [r.interval[1] for r in results if math.isfinite(r.interval[1])]
    finite_points = [r.estimate for r in results if math.isfinite(r.estimate)]
    edge = max([*finite_highs, *finite_points, 1.0]) * 1.15
    for y, r in enumerate(results):
        high = r.interval[1] if math.isfinite(r.interval[1]) else edge
        est = r.estimate if math.isfinite(r.estimate) else edge
        ax.plot([r.interval[0], high], [y, y], color="#33557a", linewidth=2)
        ax.plot([est], [y], "o", color="black")
        ax.plot([r.documented], [y], "|", color="#b33", markersize=12)
        if not math.isfinite(r.interval[1]):
            ax.annotate("", xy=(edge, y), xytext=(edge * 0.97, y),
                        arrowprops={"arrowstyle": "->"})
    ax.set_yticks(range(len(results)), labels)
    ax.set_xlabel("people (| documented, • estimate)")
