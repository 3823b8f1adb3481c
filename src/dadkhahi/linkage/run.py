"""Link records: features, training, prediction, clustering, review queue.

``link`` is the one entry point. It is a pure function of its inputs (records,
human labels, settings): the lead's store calls it and records the outcome; human
decisions are passed back in on every run, so they survive re-runs.

Training, in order: the prior probability of a match from deterministic rules,
each record counted at most once per list (:func:`model.prior_from_rules`), save
on a list the scoring finds full of duplicates (then trained and scored again);
u from every pair of a seeded sample of records (:func:`u_sample`); m by EM, in
sessions on blocks that leave the other comparisons free; then, with enough human
"same" labels, m from the labels as one more estimate (Splink averages it with the EM estimates).

Determinism: the same records (by ``record_id``), labels and settings give the
same result on every run and machine. Records are put in ``record_id`` order
first; u is counted on records chosen by a seeded hash of ``record_id`` computed
here, not by the backend (:func:`u_sample`), so DuckDB and Spark train on the same
pairs (above 50,000 records EM trains on a sample Splink draws by the backend's own
hash: there they differ); DuckDB trains on one thread, so its floating-point sums add up in
one order; trained m and u are rounded to :data:`PARAMETER_DIGITS` significant
digits and match weights to :data:`WEIGHT_DECIMALS` decimals before any
threshold, so the last bits of a sum (Spark's partial sums, another CPU's
``log2``) move a pair across a threshold only when it sits there to the last
digits. What may still differ between DuckDB and Spark: docs/ARCHITECTURE.md
("DuckDB and Spark"). Every tie-break uses record ids. Callers that hold random
ids (the store) pass keys the same in every home.
"""

from __future__ import annotations

import atexit
import copy
import hashlib
import logging
import math
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from splink import DuckDBAPI, Linker

from dadkhahi.linkage.clusters import (
    DEFAULT_THRESHOLD,
    DUPLICATE_THRESHOLD,
    MAX_DUPLICATE_SHARE,
    cluster_with_chain_check,
    duplicate_lists,
    ordered_pairs,
)
from dadkhahi.linkage.features import record_features
from dadkhahi.linkage.field_weights import PREFIX as FIELD_PREFIX
from dadkhahi.linkage.field_weights import weigh_fields, with_field_weights
from dadkhahi.linkage.model import (
    CONFLICT_LEVELS,
    M_CEILINGS,
    NEUTRAL_LEVELS,
    TRAINING_BLOCKING,
    WEIGHED_AS,
    blocking_keys,
    blocking_rules,
    model_settings,
    prior_from_rules,
)

Backend = Literal["duckdb", "spark"]
DECISIONS = frozenset({"same", "different"})
# Below this many "same" labels, m from labels is noise next to EM.
MIN_SAME_LABELS_FOR_M = 30
#: Pairs kept for human review per run: the least certain first. Each review is a
#: person's time; a queue longer than a team can answer is noise (and storage).
REVIEW_LIMIT = 50_000
M_FLOOR = 2e-3
U_FLOOR = 1e-6
#: Significant digits kept of every trained m and u probability (see the module docstring).
PARAMETER_DIGITS = 9
#: Decimals (of a bit) kept of every match weight before thresholds and orderings.
WEIGHT_DECIMALS = 6
#: Seed of Splink's sampling when the caller gives none.
DEFAULT_SEED = 1
_log = logging.getLogger(__name__)
_PAIR_COLUMNS = ["record_id_l", "record_id_r", "match_probability", "match_weight"]


@dataclass(frozen=True)
class LinkResult:
    """Scored pairs, clusters and the review queue of one linkage run."""

    pairs: pd.DataFrame  # record_id_l, record_id_r, match_probability, match_weight
    clusters: pd.DataFrame  # record_id, cluster_id
    review_candidates: pd.DataFrame  # as pairs + linked (bool), most informative first
    conflicts: pd.DataFrame  # "same" labels that contradict "different" ones
    model: dict[str, Any]  # Splink settings with trained parameters (JSON-able)
    stats: dict[str, float] = field(default_factory=dict)


def _check_labels(labels: pd.DataFrame | None) -> pd.DataFrame | None:
    if labels is None or labels.empty:
        return None
    missing = {"record_id_l", "record_id_r", "decision"} - set(labels.columns)
    if missing:
        raise ValueError(f"labels need columns record_id_l, record_id_r, decision: {missing}")
    bad = set(labels["decision"].unique()) - DECISIONS
    if bad:
        raise ValueError(f"label decisions must be 'same' or 'different', not {sorted(bad)}")
    out = labels[["record_id_l", "record_id_r", "decision"]].copy()
    out["record_id_l"] = out["record_id_l"].astype(str)
    out["record_id_r"] = out["record_id_r"].astype(str)
    return out


#: Records per shuffle partition (and per core) when Spark is sized for an input.
SPARK_RECORDS_PER_PARTITION = 20_000
#: Below this many records Spark broadcasts whole tables in joins (no shuffle).
SPARK_BROADCAST_BELOW = 200_000
#: Below this many records a local session runs on one core with a small heap and a
#: JVM that compiles little: a small input gains nothing from parallel tasks or
#: optimised code, and every core and GiB is taken from a machine that may be shared
#: (``make test`` runs one on two shared cores).
SPARK_SMALL_BELOW = SPARK_RECORDS_PER_PARTITION

def spark_sizing(records: int, cores: int = 2) -> dict[str, str]:
    """Spark settings for an input of ``records`` records on ``cores`` local cores.

    Spark's defaults (200 shuffle partitions, 10 MB broadcasts) suit clusters and
    big inputs; a small input then pays for hundreds of near-empty tasks in each of
    training's many small jobs. One partition per core and per
    :data:`SPARK_RECORDS_PER_PARTITION` records, and broadcast joins below
    :data:`SPARK_BROADCAST_BELOW` records, keep the work proportional to the input.
    """
    partitions = max(cores, min(400, cores * math.ceil(records / SPARK_RECORDS_PER_PARTITION)))
    broadcast = 256 * 1024 * 1024 if records < SPARK_BROADCAST_BELOW else 10 * 1024 * 1024
    return {
        "spark.sql.shuffle.partitions": str(partitions),
        "spark.default.parallelism": str(partitions),
        "spark.sql.autoBroadcastJoinThreshold": str(broadcast),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        # Generated Java for each of training's hundreds of small queries costs more
        # than it saves on a small input (Janino compiles every plan).
        "spark.sql.codegen.wholeStage": "false" if records < SPARK_SMALL_BELOW else "true",
        # Splink's queries carry wide CASE expressions over dozens of derived columns.
        # Catalyst infers every constraint those projections imply, a set that grows
        # combinatorially: checkpointing the comparison vectors (``spark_api``) spent
        # over 15 minutes of CPU in it (jstack: ``LogicalRDD.fromDataset`` →
        # ``getAllValidConstraints``) on 15 records. Splink's filters gain nothing from
        # inferred ones.
        "spark.sql.constraintPropagation.enabled": "false",
    }


#: How late a local session's executor may be with its heartbeat before Spark gives it
#: up (see :func:`local_spark_session`): a day, i.e. never while a run lasts.
LOCAL_HEARTBEAT_TIMEOUT_MS = 24 * 3600 * 1000

#: Spark's logging for a local session: to stderr, at the level given (error unless
#: --verbose), from the JVM's first line.
_SPARK_LOG4J2 = """\
rootLogger.level = {level}
rootLogger.appenderRef.stderr.ref = stderr
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n%ex
"""


def local_spark_shape(records: int) -> tuple[int, str]:
    """(cores, driver memory) of a local session for ``records`` records."""
    if records < SPARK_SMALL_BELOW:
        return 1, "1g"
    return max(1, min(os.cpu_count() or 2, 8)), "4g"


def local_spark_session(
    cores: int | None = None, memory: str | None = None, *, records: int = 0,
    verbose: bool = False,
) -> Any:
    """A local Spark session set up for Splink (similarity jar, checkpoints, Arrow).

    Sized for ``records`` (:func:`local_spark_shape` for cores and memory unless given,
    :func:`spark_sizing` for partitions and broadcasts). Quiet unless ``verbose``: Spark
    logs errors only once the session runs and shows no console progress bars (the
    JVM's three start-up lines still print: Spark reads no log configuration given
    after it starts).
    """
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    # Python workers must run this interpreter (with pandas and pyarrow), not
    # whatever `python3` is first on the PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # A local session talks to itself: no "hostname resolves to a loopback" warning.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    shape = local_spark_shape(records)
    cores, memory = cores or shape[0], memory or shape[1]
    scratch = Path(tempfile.mkdtemp(prefix="dadkhahi-spark-"))
    # What a caller checkpoints outside a run (a run's own go in a folder of the run's,
    # :func:`_run_checkpoints`) holds records too: gone when the process ends.
    atexit.register(shutil.rmtree, scratch, True)
    # Spark's log level set after start-up comes too late for the JVM's first lines
    # ("WARN NativeCodeLoader …", "Using Spark's default log4j profile"): a log4j2
    # file given on the JVM's command line applies from its first line.
    log_config = scratch / "log4j2.properties"
    log_config.write_text(_SPARK_LOG4J2.format(level="warn" if verbose else "error"),
                          "utf-8")
    java_options = [f"-Dlog4j2.configurationFile={log_config.as_uri()}", "-XX:+UseSerialGC"]
    if records < SPARK_SMALL_BELOW:
        java_options.append("-XX:TieredStopAtLevel=1")
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("dadkhahi-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", memory)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "true" if verbose else "false")
        # A local session needs no event log, and its JVM only a serial collector (no
        # parallel GC threads fighting the Python side for the cores); for a small input,
        # only the JIT's quick tier (its optimising tier costs more than it saves).
        .config("spark.eventLog.enabled", "false")
        # Its shuffle and spill files (records, names included) in the session's own
        # owner-only scratch, removed at exit with it, not in the JVM's /tmp (which
        # ignores TMPDIR, and keeps them if the JVM is killed).
        .config("spark.local.dir", str(scratch / "local"))
        .config("spark.driver.extraJavaOptions", " ".join(java_options))
        # The local executor lives in the driver's JVM and cannot be lost, but Spark
        # expires it all the same when its heartbeat is late by more than this (default:
        # spark.network.timeout, 120 s); it then cannot register again in local mode and
        # exits 60 heartbeats later, killing the run. A shared machine that stalls for
        # two minutes (another process's memory thrashing the page cache) did that to a
        # 1,000,000-record run at stop 33.
        .config("spark.storage.blockManagerHeartbeatTimeoutMs", str(LOCAL_HEARTBEAT_TIMEOUT_MS))
    )
    for key, value in spark_sizing(records, cores).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    size_spark(spark, records, cores)
    spark.sparkContext.setCheckpointDir(str(scratch / "checkpoints"))
    spark.sparkContext.setLogLevel("WARN" if verbose else "ERROR")
    return spark


def size_spark(spark: Any, records: int, cores: int = 2) -> None:
    """Size a running session for this input (a session outlives one run)."""
    for key, value in spark_sizing(records, cores).items():
        if key != "spark.default.parallelism":  # fixed once the context runs
            spark.conf.set(key, value)


def spark_api(spark: Any, records: int) -> Any:
    """Splink's Spark API on ``spark`` for a run of ``records`` records.

    Splink cuts the lineage of the tables it reuses (comparison vectors, blocked pairs,
    term frequencies) so that later queries read them instead of recomputing them: a
    large input its own way (Parquet files written and read back, outside Databricks),
    a small one by checkpointing them (Spark's own files in the session's checkpoint
    directory, without Parquet's encoding). Not ``persist``: it cuts nothing, it only
    lets Spark's cache stand in for a table whose plan it recognises, and under Splink
    it recognised none, so every EM iteration analysed, optimised and recomputed the
    comparison vectors from the input (a plan of 132 input scans; stop 24's profile:
    about 43 s per iteration at load 19 on 15 records).
    """
    from splink import SparkAPI

    api: Any = SparkAPI  # Splink's constructor is untyped
    lineage = "checkpoint" if records < SPARK_SMALL_BELOW else None
    return api(spark_session=spark, break_lineage_method=lineage)


@contextmanager
def _run_checkpoints(spark: Any) -> Iterator[None]:
    """The checkpoints of one run on a local session, in an owner-only folder of the run's
    own, removed when the run ends.

    Splink writes the tables it reuses (the records, their comparisons: names, a protected
    list's too) to the session's checkpoint directory, and Spark never removes them: they
    stayed in the temporary folder after the session and the process had ended, where no
    erasure reaches them. A session outlives a run (the server's worker keeps it), so the
    folder goes with the run. A cluster's checkpoint directory (a shared file system) is
    its operator's, left as it is.
    """
    if not str(spark.sparkContext.master).startswith("local"):
        yield
        return
    folder = tempfile.mkdtemp(prefix="dadkhahi-spark-run-")  # 700, whatever the umask
    spark.sparkContext.setCheckpointDir(folder)
    try:
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _db_api(
    backend: Backend, spark: Any, memory_limit: str, records: int = 0, verbose: bool = False
) -> Iterator[tuple[Any, Any]]:
    """Splink's database API for one run and, on DuckDB, its connection.

    DuckDB's connection and spill folder go after the run, and so do Spark's checkpoints
    of it (:func:`_run_checkpoints`) and a session started for it (with its shuffle and
    spill files).
    """
    if backend == "duckdb":
        import duckdb

        with tempfile.TemporaryDirectory(prefix="dadkhahi-duckdb-") as spill, \
                duckdb.connect() as con:
            con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute("SET preserve_insertion_order = false")
            con.execute(f"SET temp_directory = '{spill}'")
            yield DuckDBAPI(connection=con), con
        return
    if backend == "spark":
        own = spark is None
        if spark is None:
            spark = local_spark_session(records=records, verbose=verbose)
        else:
            size_spark(spark, records)
        try:
            with _run_checkpoints(spark):
                yield spark_api(spark, records), None
        finally:
            if own:
                # Stopping it deletes its shuffle and spill files (the records' names):
                # a session kept for the next run kept them until Spark's cleaner came by.
                spark.stop()
        return
    raise ValueError(f"unknown backend {backend!r} (duckdb or spark)")


def _fresh_api(db_api: Any, con: Any, backend: Backend, records: int) -> Any:
    """A second Splink API on the same session (Spark) or connection ``con`` (DuckDB),
    with its own cache."""
    if backend == "spark":
        return spark_api(db_api.spark, records)
    return DuckDBAPI(connection=con)


@contextmanager
def _one_thread(con: Any) -> Iterator[None]:
    """DuckDB on one thread: training's sums then add up in one order on every run."""
    if con is None:
        yield
        return
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        con.execute(f"SET threads = {int(threads)}")


def _register(db_api: Any, backend: Backend, frame: pd.DataFrame, name: str) -> Any:
    # A fresh physical name per run: a Spark session outlives one run (a server links
    # many times), and Splink refuses to overwrite a table it did not name itself.
    unique = f"__dadkhahi_{name.strip('_')}_{secrets.token_hex(6)}"
    if backend == "spark":
        spark = db_api.spark
        # Arrow-backed strings and nullable ints: hand Spark plain objects and floats.
        plain = frame.astype(
            {c: "object" for c in frame.columns if str(frame[c].dtype).startswith("string")}
        )
        plain = plain.astype(
            {c: "float64" for c in frame.columns if str(frame[c].dtype) == "Int32"}
        )
        plain = plain.astype(object).where(plain.notna(), None)
        return db_api.register(
            spark.createDataFrame(plain), dataset_display_name=name, table_name=unique
        )
    return db_api.register(frame, dataset_display_name=name, table_name=unique)


#: Most record pairs u is counted on: every pair of a sample of records, here up to 3,162.
U_MAX_PAIRS = 5_000_000


def u_sample(record_ids: pd.Series, seed: int, max_pairs: float | None = None) -> np.ndarray:
    """Positions, in order, of the records whose every pair u is counted on.

    Every record when all pairs fit in ``max_pairs`` (:data:`U_MAX_PAIRS`); else the
    ``k`` records (``k`` the most whose pairs fit) of smallest seeded hash of
    ``record_id`` (pandas' SipHash, ties by ``record_id``): the same records on DuckDB
    and Spark, and in every home that passes the same keys, whatever their order.
    Splink's own sample hashed the id with each backend's hash (DuckDB's 64-bit
    ``hash``, Spark's 32-bit Murmur3), so the two trained u on different people.
    """
    n = len(record_ids)
    cap = U_MAX_PAIRS if max_pairs is None else max_pairs
    k = int((1 + math.isqrt(1 + 8 * int(cap))) // 2)  # k (k - 1) / 2 <= cap
    if n <= k:
        return np.arange(n)
    ids = record_ids.astype(str).to_numpy(dtype=object)
    key = hashlib.sha256(f"dadkhahi-u-sample-{seed}".encode()).hexdigest()[:16]
    hashes = pd.util.hash_array(ids, hash_key=key, categorize=False)
    return np.sort(np.lexsort((ids, hashes))[:k])


def estimate_u(settings: Any, sample: Any, n_sample: int) -> dict[str, Any]:
    """The model ``settings`` with u counted over every pair of ``sample`` (registered).

    ``sample`` holds the records :func:`u_sample` chose (``n_sample`` of them). Splink
    is asked for at least all their pairs, so it samples nothing itself, and with
    ``min_count_per_level=None`` it reads every chunk: its default stops at a 1% probe
    once each level has 100 pairs, and a rare level's u (different sex, another
    province) then rested on some thirty records. Splink still cuts the right-hand
    side into ten chunks by the backend's hash (one chunk gives the same u but holds
    1 GiB more at 5e6 pairs); that decides only the order in which whole-number counts
    are added, which changes no sum, so u is the same on every backend.
    """
    sampler = Linker(sample, settings, log_level=logging.WARNING)
    sampler.training.estimate_u_using_random_sampling(
        max_pairs=float(max(1e4, n_sample * n_sample)),
        min_count_per_level=None,
    )
    model: dict[str, Any] = sampler.misc.save_model_to_json()
    return model


def _train(
    linker: Linker,
    n_records: int,
    labels: pd.DataFrame | None,
    db_api: Any,
    backend: Backend,
) -> Linker:
    """Train ``linker`` (its u set) in place where possible; returns the linker to carry
    on with."""
    # On a large input EM needs a sample, not every blocked pair.
    em_pairs = 2e6 if n_records > 50_000 else None
    table = linker._input_tables_dict
    for rule in TRAINING_BLOCKING:
        before = linker.misc.save_model_to_json()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                blocking_rules([rule])[0], max_pairs=em_pairs
            )
        except Exception:
            # Splink leaves a failed session half-applied: go back to the model before it.
            _log.info("EM on %s skipped", rule)
            linker = Linker(list(table.values()), before, log_level=logging.WARNING)
    if labels is not None:
        same = labels[labels["decision"] == "same"][["record_id_l", "record_id_r"]]
        if len(same) >= MIN_SAME_LABELS_FOR_M:
            registered = _register(db_api, backend, same, "__dadkhahi_labels")
            training: Any = linker.training  # untyped in Splink
            training.estimate_m_from_pairwise_labels(registered)
    return linker


def _significant(value: float, digits: int = PARAMETER_DIGITS) -> float:
    return float(f"{value:.{digits - 1}e}")


def _floored(model: dict[str, Any]) -> dict[str, Any]:
    """Model with every m and u at least a floor, m renormalised per comparison.

    A level never seen among training matches gets m = 0, an infinite penalty: one
    unlucky field (a rare spelling, a wrong surname) would veto a pair that every
    other field supports. Real lists make such errors, so no level may veto. A
    conflict level's m is then held at most its u (it never counts for a match), and
    a level no training can estimate takes the m and u of the level it is weighed as
    (:data:`~dadkhahi.linkage.model.WEIGHED_AS`) or is made neutral (m = u:
    :data:`~dadkhahi.linkage.model.NEUTRAL_LEVELS`).
    Every probability is then rounded to :data:`PARAMETER_DIGITS` significant digits.
    """
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for key, floor in (("m_probability", M_FLOOR), ("u_probability", U_FLOOR)):
            values = [max(float(lv.get(key) or 0.0), floor) for lv in levels]
            total = sum(values)
            for level, value in zip(levels, values, strict=True):
                level[key] = _significant(value / total)
        for level in levels:
            # A conflict is never evidence for a match (see model.CONFLICT_LEVELS).
            if level.get("label_for_charts") in CONFLICT_LEVELS:
                level["m_probability"] = min(level["m_probability"], level["u_probability"])
            # Namesakes only ever raise these (see model.M_CEILINGS).
            ceiling = M_CEILINGS.get(str(level.get("label_for_charts")))
            if ceiling is not None:
                level["m_probability"] = min(level["m_probability"], ceiling)
        # An untrainable level weighs as the level it names, or as nothing
        # (see model.WEIGHED_AS and NEUTRAL_LEVELS).
        by_label = {lv.get("label_for_charts"): lv for lv in levels}
        for label, like in WEIGHED_AS.items():
            if label in by_label and like in by_label:
                for key in ("m_probability", "u_probability"):
                    by_label[label][key] = by_label[like][key]
        for label in NEUTRAL_LEVELS & by_label.keys():
            by_label[label]["m_probability"] = by_label[label]["u_probability"]
    # Splink names each linker at random; the name is no part of the model.
    model.pop("linker_uid", None)
    prior = model.get("probability_two_random_records_match")
    if prior is not None:
        model["probability_two_random_records_match"] = _significant(float(prior))
    return model


def probability_from_weight(weight: np.ndarray | pd.Series) -> np.ndarray:
    """Match probability of a match weight (bits): 2^w / (1 + 2^w)."""
    w = np.asarray(weight, dtype="float64")
    return np.asarray(1.0 / (1.0 + np.exp2(-w)))


def weight_from_probability(probability: float) -> float:
    """The match weight (bits) of a probability strictly between 0 and 1."""
    return math.log2(probability / (1.0 - probability))


def _query(linker: Any, sql: str) -> pd.DataFrame:
    """Run SQL on the linker's backend (DuckDB or Spark); Splink's method is untyped."""
    frame: pd.DataFrame = linker.misc.query_sql(sql, output_type="pandas")
    return frame


def _review_queue(
    pairs: pd.DataFrame,
    labels: pd.DataFrame | None,
    band: tuple[float, float],
    clusters: pd.DataFrame,
    limit: int,
) -> pd.DataFrame:
    """Undecided pairs in the uncertain band, the least certain first (at most ``limit``).

    ``linked`` says whether the two records ended up in one cluster, so a reviewer
    sees what a "different" (split) or "same" (merge) answer would change.
    """
    low, high = band
    queue = pairs[(pairs["match_probability"] >= low) & (pairs["match_probability"] < high)]
    if len(queue) > limit:
        # Keep the least certain first, with room for labelled pairs dropped below;
        # at a million records the band holds millions of pairs no one will review.
        spare = 0 if labels is None else len(labels)
        order = np.argsort(queue["match_weight"].abs().to_numpy(), kind="stable")
        queue = queue.iloc[np.sort(order[: limit + spare])]
    if labels is not None:
        ordered = np.sort(labels[["record_id_l", "record_id_r"]].to_numpy(dtype=str), axis=1)
        decided = pd.MultiIndex.from_arrays([ordered[:, 0], ordered[:, 1]])
        keys = pd.MultiIndex.from_frame(queue[["record_id_l", "record_id_r"]])
        queue = queue[~keys.isin(decided)]
    cluster = clusters.set_index("record_id")["cluster_id"]
    queue = queue.assign(
        linked=queue["record_id_l"].map(cluster).to_numpy()
        == queue["record_id_r"].map(cluster).to_numpy(),
        certainty=queue["match_weight"].abs(),
    )
    # Most informative first: the model is least sure where the weight is near 0.
    queue = queue.sort_values(["certainty", "record_id_l", "record_id_r"], kind="stable")
    fields = [c for c in queue.columns if c.startswith(FIELD_PREFIX)]
    return queue[[*_PAIR_COLUMNS, "linked", *fields]].head(limit).reset_index(drop=True)


#: Most times one run trains and scores (see :func:`link`: a prior that counts the lists
#: found full of duplicates in full).
MAX_SCORINGS = 3


def _train_and_score(
    table: Any,
    prior: float,
    n_records: int,
    labels: pd.DataFrame | None,
    backend_api: tuple[Any, Any, Backend],
    u_model: dict[str, Any],
    threshold: float,
    review_band: tuple[float, float],
    review_limit: int,
    stats: dict[str, float],
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """Train the model with ``prior`` and score: the model, the pairs that can link and
    the least certain weaker ones in the review band. Adds its times to ``stats``.

    ``u_model``: the settings with u trained (:func:`estimate_u`); u does not depend on
    the prior, so each scoring starts from the same u.
    """
    db_api, con, backend = backend_api
    settings = copy.deepcopy(u_model)
    settings["probability_two_random_records_match"] = prior
    trainer = Linker(table, settings, log_level=logging.WARNING)
    tick = time.perf_counter()
    with _one_thread(con):
        trainer = _train(trainer, n_records, labels, db_api, backend)
        model = _floored(trainer.misc.save_model_to_json())
    linker = Linker(table, model, log_level=logging.WARNING)
    stats["seconds_training"] = stats.get("seconds_training", 0.0) + time.perf_counter() - tick

    tick = time.perf_counter()
    # Splink's own cut sits a little below ours: rounding the weights below must
    # decide which pairs pass, not the last bits of Splink's probability.
    keep_from = min(review_band[0], threshold) * 0.99
    predictions: Any = linker.inference.predict(threshold_match_probability=keep_from)
    # Only pairs that can link come back whole; of the weaker ones in the review band
    # only the least certain few. At a million records the band holds ~15 million
    # pairs, and holding them in pandas would cost gigabytes for nothing.
    # The SQL below holds only Splink's own table name and numbers we formatted.
    scored = predictions.physical_name
    weight = f"round(match_weight, {int(WEIGHT_DECIMALS)})"
    columns = f"record_id_l, record_id_r, {weight} AS match_weight"
    cut = weight_from_probability(float(threshold))
    low = weight_from_probability(float(review_band[0]))
    room = int(review_limit) + (0 if labels is None else len(labels))
    strong_sql = f"SELECT {columns} FROM {scored} WHERE {weight} >= {cut!r}"  # noqa: S608
    weak_sql = (
        f"SELECT {columns} FROM {scored} "  # noqa: S608
        f"WHERE {weight} < {cut!r} AND {weight} >= {low!r} "
        f"ORDER BY abs({weight}), record_id_l, record_id_r LIMIT {room}"
    )
    pairs = _scored_pairs(_query(linker, strong_sql))
    weak = _scored_pairs(_query(linker, weak_sql))
    stats["seconds_predict"] = stats.get("seconds_predict", 0.0) + time.perf_counter() - tick
    count_sql = f"SELECT count(*) AS n FROM {scored}"  # noqa: S608
    stats["pairs_scored"] = float(_query(linker, count_sql)["n"].iloc[0])
    stats["pairs_kept"] = float(len(pairs))
    return model, pairs, weak


def link(
    records: pd.DataFrame,
    labels: pd.DataFrame | None = None,
    backend: Backend = "duckdb",
    threshold: float = DEFAULT_THRESHOLD,
    *,
    seed: int = DEFAULT_SEED,
    review_band: tuple[float, float] = (0.02, 0.9),
    review_limit: int = REVIEW_LIMIT,
    within_list_constraint: bool = True,
    duplicate_threshold: float = DUPLICATE_THRESHOLD,
    max_duplicate_share: float = MAX_DUPLICATE_SHARE,
    spark: Any = None,
    memory_limit: str = "4GB",
    verbose: bool = False,
) -> LinkResult:
    """Link records into persons (see the module docstring).

    ``records``: canonical columns (see :mod:`dadkhahi.linkage.features`), unique
    ``record_id``; the result depends on the set of records, not their order.
    ``labels``: human decisions, columns ``record_id_l``,
    ``record_id_r``, ``decision`` ("same"/"different"); they train the model and
    override it in clustering. ``threshold``: match probability at which a pair links.
    ``seed``: seeds the sample of records u is counted on (:func:`u_sample`).
    ``within_list_constraint``: a cluster holds two records of one list only when
    those two link at ``duplicate_threshold``, for every list where at most
    ``max_duplicate_share`` of the records have a near-certain duplicate (see
    :mod:`dadkhahi.linkage.clusters`).
    ``review_band``: probabilities [low, high) that go to the review queue, of which
    the ``review_limit`` least certain pairs are kept.
    ``spark``: an existing SparkSession for ``backend="spark"`` (else a local one,
    sized for the input and quiet unless ``verbose``).
    """
    checked = _check_labels(labels)
    started = time.perf_counter()
    stats: dict[str, float] = {"records": float(len(records))}
    ordered = records.assign(record_id=records["record_id"].astype(str))
    ordered = ordered.sort_values("record_id", kind="stable").reset_index(drop=True)
    features = record_features(ordered)

    features = pd.concat([features, blocking_keys(features)], axis=1)
    stats["seconds_features"] = time.perf_counter() - started
    with _db_api(backend, spark, memory_limit, len(features), verbose) as (db_api, con):
        table = _register(db_api, backend, features, "records")
        # u from the records our own key chose (u_sample), the same on every backend;
        # through an API of its own, so nothing Splink caches for the sample (its
        # tables are named by their role, not their input) serves the whole input.
        tick = time.perf_counter()
        sample = u_sample(features["record_id"], seed)
        u_api = _fresh_api(db_api, con, backend, len(features))
        u_table = _register(u_api, backend, features.iloc[sample], "u_sample")
        with _one_thread(con):
            u_model = estimate_u(model_settings(), u_table, len(sample))
        stats["u_sample_records"] = float(len(sample))
        stats["seconds_training"] = time.perf_counter() - tick
        # The prior is counted here, not by Splink: Splink counts every pair its
        # rules find, which namesakes inflate (see model.prior_from_rules). A list the
        # scoring finds full of duplicates (a list being deduplicated, which the
        # clustering exempts from the one-record-per-list rule) names people more than
        # once: the prior then counts its pairs in full, and the model is trained and
        # scores again with that prior, until the lists found are the lists counted.
        repeating: tuple[str, ...] = ()
        for scoring in range(1, MAX_SCORINGS + 1):
            prior = prior_from_rules(features, repeating=repeating)
            model, pairs, weak = _train_and_score(
                table, prior, len(features), checked, (db_api, con, backend), u_model,
                threshold, review_band, review_limit, stats)
            stats["scorings"] = float(scoring)
            if not within_list_constraint:
                break
            found = duplicate_lists(features["record_id"], features["source_id"], pairs,
                                    max_duplicate_share)
            if found == repeating:
                break
            repeating = found
        stats["prior_repeating_lists"] = float(len(repeating))
        # Each field's weight for the pairs kept (see linkage.field_weights).
        tick = time.perf_counter()
        weights = weigh_fields(table, model, pd.concat([pairs, weak], ignore_index=True),
                               db_api, lambda frame, name: _register(db_api, backend,
                                                                     frame, name))
        pairs, weak = with_field_weights(pairs, weights), with_field_weights(weak, weights)
        stats["seconds_field_weights"] = time.perf_counter() - tick

    # Clustering works on pandas: DuckDB and its memory are released by now.
    tick = time.perf_counter()
    clustering, kept_apart, split = cluster_with_chain_check(
        features["record_id"],
        pairs,
        threshold,
        checked,
        features,
        sources=features["source_id"] if within_list_constraint else None,
        duplicate_threshold=duplicate_threshold,
        max_duplicate_share=max_duplicate_share,
    )
    # How many pairs the chain check kept apart and how many clusters it added.
    stats["chain_conflicts"] = float(kept_apart)
    stats["clusters_split_by_conflicts"] = float(split)
    stats["duplicate_lists"] = float(len(clustering.duplicate_lists))
    stats["seconds_cluster"] = time.perf_counter() - tick
    stats["clusters"] = float(clustering.clusters["cluster_id"].nunique())
    review = _review_queue(
        pd.concat([pairs, weak], ignore_index=True), checked, review_band,
        clustering.clusters, review_limit,
    )
    stats["seconds_total"] = time.perf_counter() - started
    stats["prior"] = float(model.get("probability_two_random_records_match", math.nan))
    return LinkResult(
        pairs=pairs.sort_values(["record_id_l", "record_id_r"]).reset_index(drop=True),
        clusters=clustering.clusters,
        review_candidates=review,
        conflicts=clustering.conflicts,
        model=model,
        stats=stats,
    )


def _scored_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Pairs (smaller id left) with the probability of their rounded weight."""
    out = ordered_pairs(frame[["record_id_l", "record_id_r", "match_weight"]])
    out["match_weight"] = out["match_weight"].astype("float64")
    out["match_probability"] = probability_from_weight(out["match_weight"])
    return out[_PAIR_COLUMNS]
