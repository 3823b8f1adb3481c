"""A local Spark session survives a machine that stalls (stop 33).

    .venv/bin/python benchmarks/linkage/study_spark_stall.py [--stall 200] [--minutes 14]

Starts the linker's local session (``linkage.run.local_spark_session``), stops its JVM
(SIGSTOP) for ``--stall`` seconds, as a shared machine thrashing for memory stalls it,
then runs a small query every 20 s for ``--minutes`` and prints each outcome. With
Spark's default heartbeat timeout (``spark.network.timeout``, 120 s) the driver gives up
its own local executor after such a stall; the executor cannot register again in local
mode ("Cannot find endpoint: spark://CoarseGrainedScheduler") and exits after 60 failed
heartbeats, about 10 minutes later, taking the run with it. Queries fail from then on.
"""

from __future__ import annotations

import argparse
import os
import signal
import time

from dadkhahi.linkage.run import local_spark_session


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stall", type=int, default=200, help="seconds the JVM is stopped")
    parser.add_argument("--minutes", type=float, default=14.0,
                        help="how long to keep querying after the stall")
    args = parser.parse_args()
    spark = local_spark_session(records=15)
    timeout = spark.sparkContext.getConf().get("spark.storage.blockManagerHeartbeatTimeoutMs",
                                               "unset (spark.network.timeout, 120 s)")
    print(f"heartbeat timeout (ms): {timeout}", flush=True)
    jvm = spark.sparkContext._gateway.proc.pid  # the JVM PySpark started for this session
    print(f"JVM {jvm}: first query {spark.range(100).count()}", flush=True)
    os.kill(jvm, signal.SIGSTOP)
    print(f"{time.strftime('%H:%M:%S')} JVM stopped for {args.stall} s", flush=True)
    time.sleep(args.stall)
    os.kill(jvm, signal.SIGCONT)
    print(f"{time.strftime('%H:%M:%S')} JVM continued", flush=True)
    end, answered = time.time() + args.minutes * 60, 0
    while time.time() < end:
        try:
            spark.range(1000).selectExpr("sum(id)").collect()
        except Exception as error:  # what a dead session raises varies (Py4J, socket)
            print(f"{time.strftime('%H:%M:%S')} query failed after {answered} answers: "
                  f"{str(error).splitlines()[0][:200]}", flush=True)
            return 1
        answered += 1
        time.sleep(20)
    print(f"{time.strftime('%H:%M:%S')} {answered} queries answered after the stall", flush=True)
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
