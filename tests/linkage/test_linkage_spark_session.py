"""A local Spark session for a small input: one core, a small heap, one partition, no
whole-stage codegen, and quiet from the JVM's first line (issue 12 item 18).

This is the Spark run of ``make test``: it starts a real JVM (about half a minute) and
runs one query, then one table through Splink's Spark API as a run sets it up, whose
lineage must be cut: a later query reads the stored table instead of recomputing it
(issue 12 item 18: with ``persist`` every EM iteration recomputed the comparison
vectors from the input). The whole Splink run on Spark against DuckDB is
``tests/cli/test_cli_link_spark.py`` (opt-in) and ``benchmarks/linkage/bench_dadkhahi.py
--backend spark``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("pyspark")

SESSION = """
from splink.internals.pipeline import CTEPipeline

from dadkhahi.linkage.run import local_spark_session, spark_api

spark = local_spark_session(records=15)
conf = spark.sparkContext.getConf()
print(spark.sparkContext.master, conf.get("spark.driver.memory"),
      spark.conf.get("spark.sql.shuffle.partitions"),
      spark.conf.get("spark.sql.codegen.wholeStage"),
      spark.conf.get("spark.sql.constraintPropagation.enabled"),
      conf.get("spark.storage.blockManagerHeartbeatTimeoutMs", "120 s, Spark's default"))
df = spark.range(15)
print(df.groupBy((df.id % 3).alias("k")).count().count())
df.createOrReplaceTempView("ids")
pipeline = CTEPipeline()
pipeline.enqueue_sql("SELECT id, id % 3 AS k FROM ids", "__splink__df_comparison_vectors")
table = spark_api(spark, 15).sql_pipeline_to_splink_dataframe(pipeline)
query = spark.sql(f"SELECT k, count(*) FROM {table.physical_name} GROUP BY k")
plan = query._jdf.queryExecution().optimizedPlan().toString()
# The stored table is read as it is: Spark's plan no longer reaches back to range().
print("recomputed" if "Range" in plan else "stored", len(query.collect()))
spark.stop()
"""


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_small_local_session_is_small_quiet_and_cuts_lineage() -> None:
    proc = subprocess.run([sys.executable, "-c", SESSION], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    # A heartbeat late by Spark's default 120 s (a shared machine stalled) lost the
    # session's own executor and, 60 heartbeats later, the run (stop 33); a day is never.
    assert proc.stdout.split() == ["local[1]", "1g", "1", "false", "false", "86400000",
                                 "3", "stored", "3"], \
        proc.stdout
    # Only the JVM's own notes may come before log4j takes over; no log line of Spark's
    # (not even the start-up warnings) and no stage progress bars.
    noisy = [line for line in proc.stderr.splitlines()
             if " WARN " in line or " INFO " in line or "[Stage" in line
             or "log4j" in line]
    assert not noisy, proc.stderr
