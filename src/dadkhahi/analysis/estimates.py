"""The estimate of the store's lists, with linkage uncertainty, and its ledger record.

:func:`estimate_store` runs an estimator on the capture histories of the
store's linked persons and, when asked, on M partitions drawn from the
linkage's uncertainty, pooling their posterior draws
(:mod:`dadkhahi.estimate.pooled`). :func:`record_estimate` writes the
``estimate.computed`` event: the result, the interval with the linkage held
fixed, the seed, every setting, the software versions and a hash of the
capture histories, so anyone can rerun it; :func:`release_estimate` writes
``estimate.released`` when an estimate is given to an audience (a court, a
UN mechanism, the public memorial).
"""

from __future__ import annotations

import hashlib
import math
import platform
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from dadkhahi.access.disclosure import Audience, AudienceKind, disclosable
from dadkhahi.analysis.estimand import Estimand, estimand_of
from dadkhahi.analysis.linkage_draws import LinkageDraws, linkage_draws
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.estimate import EstimateResult, Options, estimate, histories_to_table
from dadkhahi.estimate.pooled import estimate_over_partitions
from dadkhahi.estimate.run import Progress
from dadkhahi.estimate.table import STRATUM
from dadkhahi.linkage.audit import latest_audit_result
from dadkhahi.linkage.draws import DrawSettings
from dadkhahi.linkage.store_io import latest_run
from dadkhahi.linkage.views import (
    _import_order,
    capture_histories,
    histories_of,
    linked_records,
    list_labels,
)
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, utc_now

#: Packages whose versions go into the ledger with every estimate.
PACKAGES = ("dadkhahi", "numpy", "scipy", "statsmodels", "pandas", "splink", "duckdb")
#: Audiences an estimate can be released to (the disclosure rule decides the rest).
AUDIENCES = ("team", "partner", "court", "un_mechanism", "public")


def software_versions() -> dict[str, str]:
    """Python and the versions of the packages the estimate depends on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def table_sha256(table: pd.DataFrame) -> str:
    """SHA-256 of a capture-history table as sorted CSV: the same people, the same hash."""
    ordered = table.reindex(columns=sorted(table.columns))
    ordered = ordered.sort_values(list(ordered.columns), kind="stable").reset_index(drop=True)
    return hashlib.sha256(ordered.to_csv(index=False, lineterminator="\n").encode()).hexdigest()


@dataclass(frozen=True)
class StoreEstimate:
    """An estimate of the store's lists and what it rests on."""

    result: EstimateResult
    table: pd.DataFrame
    method: str
    options: Options
    linkage: LinkageDraws | None = None
    partition_options: Options | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def partition_options(options: Options, partitions: int) -> Options:
    """LCMCR settings for each drawn partition: shorter runs, pooled afterwards.

    Two chains of an eighth of the sweeps (at least 1,000), extended until
    R-hat < 1.01 and ESS >= 100, at most four times that; M such runs pool
    to an ESS of at least 100 M. They start where the fixed partition's
    chains ended (a drawn partition differs from it by a few people), so a
    quarter of their sweeps is ample burn-in.
    """
    iterations = max(1000, options.iterations // 8)
    return replace(options, chains=2, iterations=iterations, burnin=None,
                   max_iterations=4 * iterations, min_ess=100.0)


def store_estimand(store: Store) -> Estimand:
    """What an estimate of the store counts: the linked records of its victims' lists,
    current versions only, derived lists merged (:func:`analysis.estimand.estimand_of`).

    Refused when no such record is linked, saying which lists were left out.
    """
    chosen = estimand_of(store, linked_records(store))
    if chosen.records.dropna(subset=["person_id"]).empty:
        raise UserError(f"no linked records of victims' lists to estimate from "
                        f"({chosen.text})")
    return chosen


def refusal_with_estimand(exc: UserError, chosen_text: str) -> UserError:
    """A method's refusal ("needs at least 3 lists") over the store's lists, saying what
    was counted: a list left out (detainees, say) is why there are fewer lists than
    were imported."""
    if "left out:" not in chosen_text:
        return exc
    return UserError(f"{exc} (counted: {chosen_text})")


def store_histories(store: Store, by: str | None = None,
                    language: str = "en") -> tuple[pd.DataFrame, Estimand]:
    """The capture histories an estimate of the store uses (one row per person, a 0/1
    column per list of :func:`store_estimand`, ``by`` as in ``capture_histories``), and
    the estimand they come from: what ``estimate --describe`` and ``--method all``
    read, so they describe and estimate the lists a single method estimates."""
    chosen = store_estimand(store)
    persons = histories_of(chosen.records,
                           list_labels(store, _import_order(chosen.records)), by, language)
    return persons, chosen


#: Partitions drawn when an estimate carries the linkage's uncertainty without being told
#: how many: the M of issue 13's coverage study, where draws fed by a recorded audit
#: covered the truth in 48 of 50 populations with a relative bias of -4.2% on stop 33's
#: linker, 46 of 50 with -5.2% on stop 34's, where the linkage held fixed covered 43 of 50
#: with -6.1%. Of that -5.2%, LCMCR's own bias on the true persons is -8.7% (R's LCMCR
#: package gives the same) and the draws move the estimate +3.5% (SE 0.4) per population
#: (stop 35's decomposition; benchmarks/README.md). The calibrated-probability draws did
#: not pass and are never the default.
DEFAULT_LINKAGE_DRAWS = 20

@dataclass(frozen=True)
class WhenAudited:
    """``estimate_store(uncertainty=WhenAudited())``: draw ``draws`` linkages when the
    linkage can be drawn the validated way, else hold it fixed and say why (see
    :func:`default_uncertainty`). What the CLI and the API do when not told."""

    draws: int = DEFAULT_LINKAGE_DRAWS


def default_uncertainty(store: Store, draws: int = DEFAULT_LINKAGE_DRAWS
                        ) -> tuple[DrawSettings | None, str | None]:
    """Whether an estimate not told otherwise carries the linkage's uncertainty.

    Yes, over ``draws`` partitions, when the last linkage run has a recorded blind audit
    (``dadkhahi link audit record``): the only way of drawing linkages the coverage
    study validated. Otherwise the linkage is held fixed, and the second value says so
    and why, as a warning to print with the estimate: its interval then omits the
    linkage's error.
    """
    with store.reading() as conn:
        run = latest_run(conn, "model")
        audited = run is not None and latest_audit_result(conn, str(run["id"])) is not None
    if audited:
        return DrawSettings(draws=draws), None
    return None, ("the interval holds the linkage fixed, so it leaves out the linkage's "
                  "error: the last linkage run has no recorded audit (dadkhahi link audit "
                  "draw, then record); with one, the estimate draws "
                  f"{draws} linkages from it by default")


def estimate_store(
    store: Store, method: str, options: Options, *, by: str | None = None,
    language: str = "en", merge_below: int | None = None,
    uncertainty: DrawSettings | WhenAudited | None = None,
    progress: Progress | None = None, records: pd.DataFrame | None = None,
) -> StoreEstimate:
    """Estimate the total from the store's linked lists (see the module docstring).

    ``uncertainty`` draws that many partitions and pools (``options.seed``
    must be set: every step is seeded). ``records`` limits the estimate to
    these records (the eligible ones).
    """
    if options.seed is None:
        raise UserError("an estimate from the store needs a seed (--seed)")
    if isinstance(uncertainty, WhenAudited):
        uncertainty, held_fixed = default_uncertainty(store, uncertainty.draws)
        done = estimate_store(store, method, options, by=by, language=language,
                              merge_below=merge_below, uncertainty=uncertainty,
                              progress=progress, records=records)
        if held_fixed is None:
            return done
        return replace(done, result=replace(
            done.result, warnings=(*done.result.warnings, held_fixed)))
    stratified = by is not None
    if records is None:
        chosen = store_estimand(store)
        records = chosen.records
        try:
            done = estimate_store(store, method, options, by=by, language=language,
                                  merge_below=merge_below, uncertainty=uncertainty,
                                  progress=progress, records=records)
        except UserError as exc:
            raise refusal_with_estimand(exc, chosen.text) from None
        result = replace(done.result, warnings=(*chosen.warnings, *done.result.warnings),
                         diagnostics={**done.result.diagnostics, "estimand": chosen.text,
                                      "lists": list(chosen.lists)})
        return replace(done, result=result, extra={**done.extra, "estimand": chosen.text})

    def table_of(persons: pd.DataFrame) -> pd.DataFrame:
        return histories_to_table(persons, list(persons.attrs["lists"]), stratum_column=by)

    if uncertainty is None:
        if records is None:
            persons = capture_histories(store, by, language)
        else:
            persons = histories_of(records, list_labels(store, _import_order(records)), by,
                                   language)
        table = table_of(persons)
        result = estimate(table, method, stratified, options, progress, merge_below)
        return StoreEstimate(result, table, method, options)
    drawn = linkage_draws(store, replace(uncertainty, seed=options.seed), by, language,
                          records)
    fixed = table_of(drawn.fixed)
    per_partition = partition_options(options, uncertainty.draws)

    def run(table: pd.DataFrame, seed: int, fixed: EstimateResult | None) -> EstimateResult:
        if fixed is None:
            return estimate(table, method, stratified, options, None, merge_below)
        # Short runs only where they can start warm (one unstratified LCMCR run).
        shorter = per_partition if fixed.state is not None else options
        how = replace(shorter, seed=seed, start=fixed.state)
        return estimate(table, method, stratified, how, None, merge_below)

    def heard(done: int, total: int) -> None:
        if progress is not None:
            progress(f"{method} over {total} drawn linkages", done, total)

    result = estimate_over_partitions(fixed, [table_of(t) for t in drawn.drawn], run,
                                      options.seed, heard)
    linkage = {
        **result.diagnostics["linkage"],
        "drawn_from": "audit" if drawn.audit is not None else "calibrated pair probabilities",
        "audit": drawn.audit,
        "calibration": drawn.calibration.as_json(),
        "draw_settings": drawn.settings.as_json(),
        "draw_stats": drawn.stats,
        "partition_lcmcr": {"chains": per_partition.chains,
                            "iterations": per_partition.iterations,
                            "max_iterations": per_partition.max_iterations,
                            "min_ess": per_partition.min_ess},
    }
    warnings = (*result.warnings, *drawn.warnings)
    if drawn.audit is None and not drawn.calibration.fitted:
        warnings = (*warnings, f"match probabilities not calibrated: "
                               f"{drawn.calibration.note}; the drawn linkages are centred "
                               "on the run's own partition, so they add its uncertainty "
                               "but cannot correct its errors (review pairs: dadkhahi link "
                               "review)")
    result = replace(result, warnings=tuple(dict.fromkeys(warnings)),
                     diagnostics={**result.diagnostics, "linkage": linkage})
    return StoreEstimate(result, fixed, method, options, drawn, per_partition)


def _plain(value: Any) -> Any:
    """JSON the ledger takes: no NaN or infinity (null instead), no NumPy scalars."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def capture_json(table: pd.DataFrame) -> dict[str, Any]:
    """A capture-history table as ``estimate.computed`` keeps it: its columns (a 0/1
    column per list, ``count`` and, stratified, ``stratum``) and rows, in order. It is
    aggregate (counts per pattern of lists, never a person) and its hash is the event's
    ``inputs_sha256`` (:func:`capture_table` gives it back, :func:`table_sha256` checks)."""
    return {"columns": [str(c) for c in table.columns],
            "rows": _plain(table.to_numpy(dtype=object).tolist())}


def capture_table(capture: dict[str, Any]) -> pd.DataFrame:
    """The table :func:`capture_json` kept, typed as it was (0/1 and counts integers)."""
    table = pd.DataFrame(capture["rows"], columns=capture["columns"])
    for column in table.columns:
        if column != STRATUM:
            table[column] = table[column].astype("int64")
    return table


#: Significant digits kept of every number of an estimate's diagnostics (the same
#: figures in two homes, whatever the last bits of a CPU's arithmetic).
DIAGNOSTIC_DIGITS = 6


def _significant(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _significant(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_significant(v) for v in value]
    if isinstance(value, float) and value != 0:
        return float(f"{value:.{DIAGNOSTIC_DIGITS}g}")
    return value


def diagnostics_json(result: EstimateResult) -> dict[str, Any]:
    """What the estimator recorded about its run (model, latent classes, seed, chain
    length and convergence, the models compared, interval method …) and its warnings,
    as plain JSON to :data:`DIAGNOSTIC_DIGITS` significant digits. The linkage part is
    in the settings already."""
    kept = {k: v for k, v in result.diagnostics.items() if k not in ("linkage", "lists")}
    out: dict[str, Any] = _significant(_plain({**kept, "warnings": list(result.warnings)}))
    return out


def _rounded(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 1)


def record_estimate(store: Store, actor: str, done: StoreEstimate,
                    estimand: str | None = None) -> str:
    """Write ``estimate.computed`` for an estimate of the store; returns its id.

    Numbers are rounded to 0.1 person (as printed, and identical in two
    homes); the settings hold every option, the draw settings, the
    calibration and the per-partition LCMCR settings.
    """
    r = done.result
    linkage = r.diagnostics.get("linkage")
    fixed = (linkage or {}).get("fixed", {}).get("interval", [None, None])
    settings: dict[str, Any] = {"options": done.options.settings(), "method": done.method}
    if done.linkage is not None and linkage is not None:
        settings["linkage"] = {
            "run_id": done.linkage.run_id,
            "draw_settings": linkage["draw_settings"],
            "drawn_from": linkage["drawn_from"],
            "audit": linkage["audit"],
            "calibration": linkage["calibration"],
            "partition_lcmcr": linkage["partition_lcmcr"],
            "width_share": linkage["width_share"],
            "variance_share": linkage["variance_share"],
        }
    if "lists" in r.diagnostics:
        # Which lists (and which version of each) the estimate rests on, so a release
        # names them (``estimate.released``).
        settings["lists"] = r.diagnostics["lists"]
    settings = _plain(settings)
    estimate_id = f"est_{secrets.token_hex(10)}"
    with store.transaction(actor) as tx:
        run_id = None
        if done.linkage is not None:
            run_id = done.linkage.run_id
        else:
            from dadkhahi.linkage.store_io import latest_run

            last = latest_run(tx.conn)
            run_id = None if last is None else str(last["id"])
        tx.emit("estimate.computed", {
            "id": estimate_id,
            "method": r.method,
            "estimand": estimand or done.extra.get("estimand"),
            "documented": r.documented,
            "estimate": _rounded(r.estimate),
            "low": _rounded(r.interval[0]),
            "high": _rounded(r.interval[1]),
            "level": r.level,
            "fixed_low": _rounded(fixed[0]),
            "fixed_high": _rounded(fixed[1]),
            "partitions": None if done.linkage is None else len(done.linkage.drawn),
            "seed": done.options.seed,
            "link_run_id": run_id,
            "inputs_sha256": table_sha256(done.table),
            "capture": capture_json(done.table),
            "diagnostics": diagnostics_json(r),
            "settings": settings,
            "versions": software_versions(),
            "computed_at": utc_now(),
        })
    return estimate_id


def release_estimate(store: Store, actor: str, estimate_id: str, audience: str,
                     note: str | None = None) -> str:
    """Record that an estimate was given to ``audience`` (``estimate.released``).

    The event names what was released, so it can be cited and rerun from the ledger
    alone: the figures, the lists (and each list's version), the linkage run, the
    method, the seed and the software versions. An estimate that does not name its
    lists or linkage run (one computed before they were recorded) is refused:
    compute it again. Nothing is written on a refusal.
    """
    if audience not in AUDIENCES:
        raise UserError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    release_id = f"rel_{secrets.token_hex(10)}"
    with store.transaction(actor) as tx:
        row = tx.conn.execute(
            select(s.estimates).where(s.estimates.c.id == estimate_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no estimate {estimate_id!r}")
        lists = (row["settings"] or {}).get("lists")
        if not lists or row["link_run_id"] is None:
            raise UserError(f"estimate {estimate_id} does not name its lists and linkage run: "
                            "compute it again (dadkhahi estimate) and release that one")
        # The event records what the audience was given, decided by the disclosure rule
        # here, at release time: the ledger, which no erasure reaches, then never holds a
        # withheld list's title or kind beside a release (the estimate.computed event
        # keeps them for the team, as before).
        shown, estimand = released_lists(tx.conn, lists, row["estimand"], audience)
        tx.emit("estimate.released", {
            "id": release_id, "estimate_id": estimate_id, "audience": audience,
            "note": note, "released_at": utc_now(),
            **{k: row[k] for k in _RELEASED}, "estimand": estimand, "lists": shown,
        })
    return release_id


#: What a release repeats of its estimate (beside the lists).
_RELEASED = ("method", "estimand", "documented", "estimate", "low", "high", "level",
             "partitions", "seed", "link_run_id", "inputs_sha256", "versions")


def _list_named(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry.get(k) for k in ("list", "import", "title", "kind", "used",
                                      "merged_into")}


#: How a release names a list the disclosure rule withholds from its audience: by its
#: place among the estimate's lists, never by its title or kind.
WITHHELD_LIST = "a withheld list ({n})"

#: The reader each audience of a release is (``access.disclosure``). A release names no
#: recipient and shares no scope, so a partner, court or UN mechanism is given the lists
#: the public may see, and the team those without a witness's protection (fail closed).
_READER = {"team": Audience.case_team("estimate release", ()),
           "partner": Audience.outside(AudienceKind.PARTNER, "", ()),
           "court": Audience.outside(AudienceKind.COURT, "", ()),
           "un_mechanism": Audience.outside(AudienceKind.UN_MECHANISM, "", ()),
           "public": Audience.public()}


def withheld_names(lists: list[dict[str, Any]], shown: set[str]) -> dict[str, str]:
    """What names each list of ``lists`` not in ``shown`` (list IDs a reader may see):
    its title, and "title (kind)" as :mod:`analysis.estimand` writes a left-out list,
    each mapped to :data:`WITHHELD_LIST` with the list's position."""
    names: dict[str, str] = {}
    for n, entry in enumerate(lists, 1):
        title = entry.get("title")
        if str(entry.get("list")) not in shown and title:
            label = WITHHELD_LIST.format(n=n)
            names[f"{title} ({entry.get('kind')})"] = label
            names[str(title)] = label
    return names


#: How a stratum whose label its reader may not see is shown (its position among the
#: estimate's strata, in sort order).
WITHHELD_STRATUM = "a withheld stratum ({n})"


def withheld_strata(strata: Iterable[str], shown: Callable[[str], bool]) -> dict[str, str]:
    """Each label of ``strata`` that ``shown`` refuses, mapped to :data:`WITHHELD_STRATUM`
    with its position among ``strata`` sorted (as :func:`without_names` takes names)."""
    return {label: WITHHELD_STRATUM.format(n=n)
            for n, label in enumerate(sorted(set(strata)), 1) if not shown(label)}


def without_names(value: Any, names: dict[str, str]) -> Any:
    """``value`` (JSON: strings, lists, dicts, keys too) with every name of ``names``
    replaced by its label, the longest first (a title inside another is caught)."""
    if isinstance(value, str):
        for name in sorted(names, key=len, reverse=True):
            value = value.replace(name, names[name])
        return value
    if isinstance(value, dict):
        return {without_names(k, names): without_names(v, names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_names(v, names) for v in value]
    return value


def released_lists(conn: Connection, lists: list[dict[str, Any]], estimand: str | None,
                   audience: str) -> tuple[list[dict[str, Any]], str | None]:
    """The estimate's lists and sentence as ``audience`` may be given them.

    A list the disclosure rule withholds from the audience is named
    :data:`WITHHELD_LIST` (its position), in the lists and in the sentence (which names
    the lists it leaves out); its kind is dropped. IDs, imports and whether it was used
    stay: they are opaque and let the estimate be rerun by the team.
    """
    named = [_list_named(entry) for entry in lists]
    ids = {str(x["list"]) for x in named if x.get("list")}
    shown = disclosable(conn, "list", ids, _READER[audience])
    names = withheld_names(named, shown)
    for n, entry in enumerate(named, 1):
        if str(entry.get("list")) not in shown:
            entry.update(title=WITHHELD_LIST.format(n=n), kind=None)
    text: str | None = without_names(estimand, names)
    return named, text


@dataclass(frozen=True)
class ReleasedEstimate:
    """An estimate as released to an audience: the figures and what they rest on."""

    id: str
    estimate_id: str
    audience: str
    released_at: str
    note: str | None
    method: str
    estimand: str | None
    documented: int
    estimate: float | None
    low: float | None
    high: float | None
    level: float
    partitions: int | None
    seed: int
    link_run_id: str | None
    versions: dict[str, str]
    lists: tuple[dict[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = dict(self.__dict__)
        out["lists"] = list(self.lists)
        return out


def released_estimates(store: Store, audience: str = "public") -> list[ReleasedEstimate]:
    """Estimates released to ``audience``, latest release first (the memorial's "how
    many" page takes ``public``). The figures, lists, run, method, seed and versions are
    those the release event names (copied from the estimate, which never changes)."""
    if audience not in AUDIENCES:
        raise UserError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    r, e = s.estimate_releases.c, s.estimates.c
    out = []
    with store.reading() as conn:
        rows = conn.execute(
            select(r.id, r.estimate_id, r.released_at, r.note, *(e[k] for k in _RELEASED),
                   e.settings)
            .join(s.estimates, e.id == r.estimate_id)
            .where(r.audience == audience)
            .order_by(r.ledger_index.desc())).mappings().all()
        for row in rows:
            # Read from the estimate (which holds every title for the team), so the rule
            # is applied again here: as it stands now, and to releases recorded before
            # release_estimate applied it.
            lists, estimand = released_lists(
                conn, list((row["settings"] or {}).get("lists") or ()), row["estimand"],
                audience)
            out.append(ReleasedEstimate(
                str(row["id"]), str(row["estimate_id"]), audience, str(row["released_at"]),
                row["note"], str(row["method"]), estimand, int(row["documented"]),
                row["estimate"], row["low"], row["high"], float(row["level"]),
                row["partitions"], int(row["seed"]), row["link_run_id"],
                dict(row["versions"] or {}), tuple(lists)))
    return out
