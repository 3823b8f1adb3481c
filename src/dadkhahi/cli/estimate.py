"""``dadkhahi estimate``: how many in all, from the overlaps between lists.

:func:`register` adds it to the ``dadkhahi`` app over the store's linked lists;
:func:`make_estimate_command` builds it around any source of capture histories.
``--table FILE.csv`` works without a store.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dadkhahi.cli.common import console, count_progress
from dadkhahi.domain.errors import UserError

if TYPE_CHECKING:
    import pandas as pd
    from rich.progress import Progress, TaskID

    from dadkhahi.estimate import EstimateResult, Options

# The numerical stack (SciPy, statsmodels, Matplotlib) costs ~1.5 s to import,
# so it is loaded when the command runs, not whenever any command starts.

#: ``loader(language)``: the linked store's capture histories, places named in
#: ``language`` (``en`` or ``fa``).
HistoriesLoader = Callable[[str], "pd.DataFrame"]

#: Methods computed in closed form, at once: shown without a progress bar.
CLOSED_FORMS = frozenset({"chao", "lp"})


@dataclass(frozen=True)
class StoreRequest:
    """What ``estimate`` asks of the store: one method, maybe over drawn linkages."""

    method: str
    options: Options
    by: str | None
    language: str
    merge_below: int | None
    draws: int | None  # partitions to draw; None holds the linkage fixed
    #: Not told either way: draw ``draws`` linkages when the last run has a recorded
    #: audit, else hold the linkage fixed and say so (analysis.estimates.WhenAudited).
    when_audited: bool = False


#: ``estimator(request, progress)``: the result, the id of its ``estimate.computed``
#: and the capture-history table it estimated from (the store's own partition).
StoreEstimator = Callable[
    [StoreRequest, "Callable[[str, int, int], None]"],
    "tuple[EstimateResult, str, pd.DataFrame]",
]


def default_language() -> str:
    """``fa`` when the user's locale is Persian (``LC_ALL``, ``LC_MESSAGES``, ``LANG``)."""
    import os

    for name in ("DADKHAHI_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "fa" if value.lower().startswith("fa") else "en"
    return "en"


def _lists_of(persons: pd.DataFrame) -> list[str]:
    """The list columns of a person-level frame: ``attrs["lists"]`` or the 0/1 columns."""
    import pandas as pd

    declared = persons.attrs.get("lists")
    if declared:
        return [str(c) for c in declared]
    return [
        str(c) for c in persons.columns
        if (pd.api.types.is_integer_dtype(persons[c]) or pd.api.types.is_bool_dtype(persons[c]))
        and bool(persons[c].isin([0, 1]).all())
    ]


@dataclass(frozen=True)
class Histories:
    """The capture-history table to estimate from, and what it counts (from the store:
    its estimand sentence and warnings; from a file or a plain loader: none)."""

    table: pd.DataFrame
    estimand: str | None = None
    warnings: tuple[str, ...] = ()


def _from_store(loader: HistoriesLoader | None, by: str | None, language: str) -> Histories:
    if loader is None:
        raise UserError("no linked store to read lists from here: give --table FILE.csv")
    persons = loader(language)
    lists = _lists_of(persons)
    if by is not None and by not in persons.columns:
        others = [str(c) for c in persons.columns if c not in lists]
        raise UserError(
            f"cannot stratify by {by!r}: available are {', '.join(others) or 'none'}"
        )
    from dadkhahi.estimate import histories_to_table

    return Histories(histories_to_table(persons, lists, stratum_column=by),
                     persons.attrs.get("estimand"),
                     tuple(persons.attrs.get("estimand_warnings", ())))


def _from_file(path: Path, by: str | None) -> pd.DataFrame:
    from dadkhahi.estimate import read_table
    from dadkhahi.estimate.table import STRATUM

    table = read_table(path)
    if by is not None and STRATUM not in table.columns:
        raise UserError(
            f"--by {by} needs a '{STRATUM}' column in {path.name} naming each row's stratum"
        )
    return table


def _check_paths(table: Path | None, plot_path: Path | None, replication: Path | None) -> None:
    """Refuse a missing table or an unusable figure or replication path up front."""
    from dadkhahi.estimate.output import PLOT_SUFFIXES

    if table is not None and not table.is_file():
        raise UserError(f"--table: no such file {table}")
    if plot_path is not None:
        if plot_path.suffix.lower() not in PLOT_SUFFIXES:
            raise UserError(f"--plot needs a .png or .svg file name, got {plot_path.name!r}")
        if plot_path.is_dir():
            raise UserError(f"--plot: {plot_path} is a folder, not a file name")
        if not plot_path.parent.is_dir():
            raise UserError(f"--plot: no folder {plot_path.parent} to write {plot_path.name} in")
    if replication is not None and replication.exists() and not replication.is_dir():
        raise UserError(f"--replication: {replication} is a file, not a folder")


def make_estimate_command(
    histories_loader: HistoriesLoader | None = None,
    store_estimator: StoreEstimator | None = None,
) -> Callable[..., None]:
    """Build the ``estimate`` command around a source of capture histories.

    ``histories_loader(language)`` is called only when ``--table`` is not given. It
    must return one row per linked person with one 0/1 integer column per
    list (named in ``df.attrs["lists"]``; without that, every 0/1 integer or
    boolean column is taken as a list) and any columns to stratify by
    (``province``, ``city``, ``prison``, ``period`` …) as text. People on no
    list may be included; they are dropped. Errors are raised as
    :class:`UserError` with one line. ``store_estimator`` (when given) runs
    one method on the store itself, over drawn linkages when asked, and
    records the estimate in the ledger; without it the histories are
    estimated here and nothing is recorded.
    """

    def estimate_command(
        ctx: typer.Context,
        table: Annotated[
            Path | None,
            typer.Option("--table", help="Capture-history CSV: one 0/1 column per list and "
                         "'count' (optionally 'stratum'). Default: the linked store."),
        ] = None,
        method: Annotated[
            str,
            typer.Option("--method", help="lcmcr | loglinear | loglinear-bic | loglinear-avg "
                         "| loglinear-avg-bic | lp | chao | all"),
        ] = "lcmcr",
        by: Annotated[
            str | None,
            typer.Option("--by", help="Estimate per stratum and sum: province, city, prison, "
                         "period (with --table: the 'stratum' column)."),
        ] = None,
        json_out: Annotated[
            bool, typer.Option("--json", help="Print the result as JSON.")
        ] = False,
        describe_only: Annotated[
            bool,
            typer.Option("--describe", help="Only describe the lists (sizes, overlaps, "
                         "pairwise dependence, capture frequencies); fit no model."),
        ] = False,
        plot_path: Annotated[
            Path | None,
            typer.Option("--plot", help="Write a figure (posterior, strata) to FILE.png or .svg."),
        ] = None,
        seed: Annotated[
            int, typer.Option("--seed", help="Random seed: every random step is seeded from "
                              "it, and it is recorded with the estimate.")
        ] = 1,
        linkage_uncertainty: Annotated[
            bool | None,
            typer.Option("--linkage-uncertainty/--no-linkage-uncertainty",
                         help="Carry the linkage's uncertainty into the interval: estimate on "
                         "--linkage-draws partitions drawn from the last run's recorded "
                         "audit (dadkhahi link audit record), else from the calibrated "
                         "match probabilities, and pool the posterior draws (store only). "
                         "Default: on when the last run has a recorded audit (the "
                         "validated way), else off with a warning."),
        ] = None,
        linkage_draws: Annotated[
            int, typer.Option("--linkage-draws", min=2, max=500, metavar="M",
                              help="Partitions drawn with --linkage-uncertainty.")
        ] = 20,
        replication: Annotated[
            Path | None,
            typer.Option("--replication", metavar="DIR",
                         help="Also write what an opposing expert needs to rerun the "
                         "estimate: capture histories (per stratum), seeds, settings, "
                         "versions and an R script (LCMCR, Rcapture). DIR must be new or "
                         "empty."),
        ] = None,
        iterations: Annotated[
            int, typer.Option("--iterations", min=8, help="LCMCR Gibbs sweeps per chain.")
        ] = 20_000,
        max_iterations: Annotated[
            int | None,
            typer.Option("--max-iterations", min=8, help="LCMCR: run on in blocks of "
                         "--iterations until R-hat < 1.01 and ESS >= 400, at most this many "
                         "sweeps per chain (default 10 x --iterations; equal to --iterations "
                         "for a fixed length)."),
        ] = None,
        chains: Annotated[int, typer.Option("--chains", min=1, help="LCMCR chains.")] = 4,
        burnin: Annotated[
            int | None,
            typer.Option("--burnin", min=0, help="LCMCR sweeps discarded (default a quarter)."),
        ] = None,
        max_classes: Annotated[
            int, typer.Option("--max-classes", min=2, help="LCMCR latent classes (K*).")
        ] = 10,
        interval: Annotated[
            str, typer.Option("--interval", help="Log-linear interval: profile | bootstrap.")
        ] = "profile",
        level: Annotated[
            float, typer.Option("--level", min=0.5, max=0.999, help="Interval level.")
        ] = 0.95,
        merge_sparse: Annotated[
            int | None,
            typer.Option("--merge-sparse", min=1, metavar="PEOPLE",
                         help="With --by: merge every stratum with fewer documented people "
                         "than this (or nobody on two lists) into one stratum 'other', "
                         "reported with the result (with --describe: the strata an "
                         "estimate would use, and what was merged)."),
        ] = None,
        language: Annotated[
            str | None,
            typer.Option("--language", help="Names of places in strata: en | fa (default: "
                         "fa when the locale is Persian, else en)."),
        ] = None,
    ) -> None:
        """Estimate how many people in all, documented or not, with an interval.

        `estimate release EST --audience public` records that an estimate went to an
        audience (what the memorial and bundles cite).
        """
        if ctx.invoked_subcommand is not None:
            return  # registered as a group's callback: the subcommand does the work
        from dadkhahi.estimate import (
            METHODS,
            Options,
            describe,
            description_json,
            estimate,
            estimate_all,
            render_description,
        )

        if method != "all" and method not in METHODS:
            raise UserError(f"unknown method {method!r}: choose {', '.join(METHODS)} or all")
        # Every option is checked before the histories are read or a model runs.
        _check_paths(table, plot_path, replication)
        if interval not in ("profile", "bootstrap"):
            raise UserError(f"--interval must be profile or bootstrap, not {interval!r}")
        lang = language or default_language()
        if lang not in ("en", "fa"):
            raise UserError(f"--language must be en or fa, not {lang!r}")
        if merge_sparse is not None and by is None:
            raise UserError("--merge-sparse merges strata: give --by too")
        if linkage_uncertainty is True and (table is not None or method == "all"):
            raise UserError("--linkage-uncertainty needs the linked store and one method "
                            "(not --table, not --method all)")
        options = Options(
            iterations=iterations, burnin=burnin, chains=chains, max_classes=max_classes,
            seed=seed, level=level, interval=interval, max_iterations=max_iterations,
        )
        if replication is not None and (method == "all" or describe_only):
            raise UserError("--replication writes one estimate: give one --method, "
                            "not all, and leave out --describe")
        if replication is not None and replication.exists() and any(replication.iterdir()):
            raise UserError(f"--replication needs a new or empty folder: {replication} "
                            "is not empty")
        if (table is None and store_estimator is not None and not describe_only
                and method != "all"):
            request = StoreRequest(method, options, by, lang, merge_sparse,
                                   linkage_draws if linkage_uncertainty is not False else None,
                                   when_audited=linkage_uncertainty is None)
            with count_progress() as bar:
                tasks: dict[str, TaskID] = {}

                def report(label: str, done: int, at_most: int) -> None:
                    if label not in tasks:
                        tasks[label] = bar.add_task(label, total=at_most)
                    bar.update(tasks[label], completed=done, total=at_most)

                result, estimate_id, used = store_estimator(request, report)
            _replicate(replication, used, result, options, estimate_id)
            _show([result], json_out, plot_path, estimate_id)
            return
        if linkage_uncertainty is True:
            raise UserError("--linkage-uncertainty needs the linked store")
        read = (_from_store(histories_loader, by, lang) if table is None
                else Histories(_from_file(table, by)))
        data = read.table
        if describe_only:
            merged = None
            if merge_sparse is not None:  # describe the strata an estimate would use
                from dadkhahi.estimate.run import merge_sparse as merge

                data, merged = merge(data, merge_sparse)
            description = describe(data)
            description = replace(description, estimand=read.estimand, merged=merged,
                                  warnings=(*read.warnings, *description.warnings))
            if json_out:
                typer.echo(json.dumps(description_json(description), indent=2))
            else:
                # The console that shows stored text (list titles) and never obeys it.
                console.print(render_description(description))
            return
        stratified = by is not None
        # The closed forms (Chao, Lincoln-Petersen) take milliseconds: no bar, nor Rich's
        # progress machinery and its refresh thread (start-up, issue 12 item 17).
        shown: Progress | None = count_progress() if method not in CLOSED_FORMS else None
        with shown or nullcontext():
            tasks = {}

            def report(label: str, done: int, at_most: int) -> None:
                if shown is None:
                    return
                if label not in tasks:
                    tasks[label] = shown.add_task(label, total=at_most)
                shown.update(tasks[label], completed=done, total=at_most)

            try:
                results: list[EstimateResult] = (
                    estimate_all(data, stratified, options, report, merge_sparse)
                    if method == "all"
                    else [estimate(data, method, stratified, options, report, merge_sparse)]
                )
            except UserError as exc:
                if read.estimand is None:
                    raise
                from dadkhahi.analysis.estimates import refusal_with_estimand

                raise refusal_with_estimand(exc, read.estimand) from None
        if read.estimand is not None:  # the store's lists: say what was counted
            results = [replace(r, warnings=(*read.warnings, *r.warnings),
                               diagnostics={"estimand": read.estimand, **r.diagnostics})
                       for r in results]
        if method != "all":
            _replicate(replication, data, results[0], options, None)
        _show(results, json_out, plot_path, None)

    return estimate_command


def release_command(
    estimate_id: Annotated[str, typer.Argument(metavar="EST", help="The estimate's ID, as "
                                               "printed when it was computed (est_…), or a "
                                               "unique prefix of it")],
    audience: Annotated[str, typer.Option(
        help="Who it goes to: team, partner, court, un_mechanism or public (the memorial "
             "shows only estimates released to the public)")],
    note: Annotated[str | None, typer.Option(help="Why, or in which document")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """Record that an estimate went to an audience: an event naming its lists, linkage
    run, method, seed and software versions."""
    from dadkhahi.analysis.estimates import release_estimate, released_estimates
    from dadkhahi.cli.common import console, current_actor, open_store
    from dadkhahi.cli.refs import resolve_id

    store = open_store()
    estimate_id = resolve_id(store, None, estimate_id, "estimate")
    release_id = release_estimate(store, current_actor(), estimate_id, audience, note)
    done = next(r for r in released_estimates(store, audience) if r.id == release_id)
    if as_json:
        typer.echo(json.dumps(done.as_dict(), ensure_ascii=False, indent=2))
        return
    console.print(f"released {estimate_id} to {audience} as {release_id}: {done.method}, "
                  f"{done.estimate} ({done.low}-{done.high}), seed {done.seed}, "
                  f"linkage run {done.link_run_id}, {len(done.lists)} lists", highlight=False)


def _replicate(folder: Path | None, table: pd.DataFrame, result: EstimateResult,
               options: Options, estimate_id: str | None) -> None:
    if folder is None:
        return
    from dadkhahi.analysis.estimates import software_versions, table_sha256
    from dadkhahi.estimate.replication import write_replication

    settings = {**options.settings(), "versions": software_versions(),
                "inputs_sha256": table_sha256(table), "estimate_id": estimate_id}
    if "linkage" in result.diagnostics:
        settings["linkage"] = result.diagnostics["linkage"]
    write_replication(folder, table, result, settings)
    import sys

    print(f"replication written to {folder}", file=sys.stderr)


def _show(results: list[EstimateResult], json_out: bool, plot_path: Path | None,
          estimate_id: str | None) -> None:
    from dadkhahi.estimate import plot, render, to_json

    if plot_path is not None:
        plot(results, plot_path)
    if json_out:
        out = to_json(results[0], results[1:])
        if estimate_id is not None:
            out["estimate_id"] = estimate_id
        typer.echo(json.dumps(out, indent=2))
        return
    console.print(render(results))
    if estimate_id is not None:
        typer.echo(f"recorded in the ledger as {estimate_id} (estimate.computed)")
    if plot_path is not None:
        typer.echo(f"figure written to {plot_path}")


def demo_histories(seed: int = 0, people: int = 3000) -> pd.DataFrame:
    """SYNTHETIC capture histories for trying the command: no real people.

    Four lists, two latent classes with different chances of being listed,
    and a synthetic ``province`` column.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    hidden = rng.random(people) < 0.4
    probs = np.where(hidden[:, None], [0.08, 0.12, 0.05, 0.1], [0.45, 0.35, 0.3, 0.4])
    seen = (rng.random(probs.shape) < probs).astype(np.int64)
    frame = pd.DataFrame(seen, columns=["list_a", "list_b", "list_c", "list_d"])
    frame["province"] = rng.choice(["north", "south"], size=people)
    frame.attrs["lists"] = ["list_a", "list_b", "list_c", "list_d"]
    return frame


def _linked_histories(language: str) -> pd.DataFrame:
    """Capture histories of the store's victims' lists, as a single method's estimate
    reads them, with every stratum column (issue 4) and the estimand in ``attrs``
    (a list of detainees is left out of ``--describe`` and ``--method all`` too)."""
    from dadkhahi.analysis.estimates import store_histories
    from dadkhahi.cli.common import open_store

    persons, chosen = store_histories(open_store(), "all", language)
    persons.attrs["estimand"] = chosen.text
    persons.attrs["estimand_warnings"] = list(chosen.warnings)
    return persons


def _store_estimate(
    request: StoreRequest, progress: Callable[[str, int, int], None]
) -> tuple[EstimateResult, str, pd.DataFrame]:
    """Estimate the store's lists (over drawn linkages if asked) and record it (issue 13)."""
    from dadkhahi.analysis.estimates import WhenAudited, estimate_store, record_estimate
    from dadkhahi.cli.common import current_actor, open_store
    from dadkhahi.linkage.draws import DrawSettings

    store = open_store()
    uncertainty: DrawSettings | WhenAudited | None = None
    if request.draws is not None:
        uncertainty = (WhenAudited(request.draws) if request.when_audited
                       else DrawSettings(draws=request.draws))
    done = estimate_store(
        store, request.method, request.options, by=request.by, language=request.language,
        merge_below=request.merge_below, uncertainty=uncertainty, progress=progress,
    )
    return done.result, record_estimate(store, current_actor(), done), done.table


def register(root: typer.Typer) -> None:
    """Add ``estimate`` (over the store's linked lists, or ``--table``) and ``estimate
    release`` to the ``dadkhahi`` app."""
    estimate_app = typer.Typer(invoke_without_command=True)
    estimate_app.callback(invoke_without_command=True)(
        make_estimate_command(_linked_histories, _store_estimate))
    estimate_app.command("release")(release_command)
    root.add_typer(estimate_app, name="estimate")
