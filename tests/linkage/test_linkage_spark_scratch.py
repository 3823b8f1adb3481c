"""A Spark run leaves no record's name on disk (witness safety), reproducing the attack.

Splink on Spark cuts the lineage of the tables it reuses by writing them out (Spark's
checkpoint files for a small input, Parquet for a large one) into the session's
checkpoint directory: the records' names, a protected list's too. Until attack35 that
directory (``dadkhahi-spark-*/checkpoints`` under the temporary folder) was never
removed: the files stayed after the run, after the session stopped and after the process
ended, where no erasure reaches them; and its shuffle files (in the JVM's /tmp, whatever
TMPDIR says) stayed while the session lived, which the server's worker keeps. The
attacker is whoever later reads the machine's temporary folder as the operator (or root,
or a backup of it). SYNTHETIC name.

Starts a real JVM (about 20 s wall on a quiet machine), in a subprocess with its own
temporary folder, as ``test_linkage_spark_session.py`` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark")

MARKER = "Qzvxspillwitness"

RUN = f"""
from pathlib import Path

from splink.internals.pipeline import CTEPipeline

from dadkhahi.linkage import run

with run._db_api("spark", None, "1GB", records=15) as (api, _):
    spark = api.spark
    frame = spark.createDataFrame([("{MARKER}", i) for i in range(15)], ["name", "id"])
    frame.createOrReplaceTempView("records")
    pipeline = CTEPipeline()
    pipeline.enqueue_sql("SELECT name, id FROM records", "__splink__df_comparison_vectors")
    table = api.sql_pipeline_to_splink_dataframe(pipeline)  # checkpointed, as a run does
    print(len(spark.sql(f"SELECT * FROM {{table.physical_name}}").collect()))
    held = [str(p) for p in Path(run.tempfile.gettempdir()).rglob("*")
            if p.is_file() and b"{MARKER}" in p.read_bytes()]
    print("during", len(held))
    # Spark's shuffle and spill folder is in the temporary folder too (not the JVM's /tmp).
    print("local", any(p.name.startswith("blockmgr-")
                       for p in Path(run.tempfile.gettempdir()).rglob("*")))
# After the run, with the session still up (the server's worker keeps it for the next run).
left = [str(p) for p in Path(run.tempfile.gettempdir()).rglob("*")
        if p.is_file() and b"{MARKER}" in p.read_bytes()]
print("after", left)
"""


def _holding(folder: Path) -> list[str]:
    return [str(p.relative_to(folder)) for p in folder.rglob("*")
            if p.is_file() and MARKER.encode() in p.read_bytes()]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_spark_run_leaves_no_name_in_the_temporary_folder(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True,
                          env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split("\n")
    # The attack's premise: the run did write the name out while it ran (its checkpoint
    # and a shuffle file), in the temporary folder.
    during = [int(line.split()[1]) for line in lines if line.startswith("during ")]
    assert "15" in lines and during and during[0] >= 1 and "local True" in lines, proc.stdout
    assert "after []" in lines, proc.stdout  # gone once the run is over
    assert _holding(scratch) == []  # and nothing left once the process has ended
    assert [p for p in scratch.iterdir() if p.name.startswith("dadkhahi-spark")] == []
