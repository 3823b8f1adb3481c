"""Issue 18's named mutants, each applied to a copy of ``src/`` and run against the tests
that must catch it.

    .venv/bin/python benchmarks/mutation/named.py                      # every mutant
    .venv/bin/python benchmarks/mutation/named.py fsync_removed chao_interval_halved
    .venv/bin/python benchmarks/mutation/named.py --list

The issue names ten wrong versions of the code that the suite once let pass ("the
lawyer given erase and manage_users", "every os.fsync of the blob store removed", ...).
mutmut (``run.py``) cannot make most of them: it does not mutate module-level tables
(``ROLE_PERMISSIONS``), does not delete statements or conditions, and does not swap an
SQL text's AND for OR. So each is written here as a textual edit of one file: the text
it replaces must occur exactly the stated number of times, or the run stops (the code
moved on: write the mutant again). The edit is made in a temporary copy of ``src/``;
the tests run from this work tree with ``PYTHONPATH`` on the copy (a test that starts
``python -m dadkhahi``, like the strace durability test, runs the mutated copy too).

First the tests of every selected mutant run once on the unmutated copy (they must
pass: a test failing for another reason would count as a kill), then each mutant alone.
A mutant is killed when at least one of its tests fails or errors. PostgreSQL variants
skip (``DADKHAHI_TEST_DATABASE_URL`` is unset for the runs). Writes
``build/mutation/named/summary.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "mutation" / "named"


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str  # the words
    path: str  # under src/dadkhahi/
    old: str
    new: str
    tests: tuple[str, ...]
    count: int = 1  # occurrences of ``old`` replaced (all of them)


MUTANTS = [
    Mutant(
        "lawyer_erase_manage_users",
        "the lawyer role given erase and manage_users",
        "access/policy.py",
        "    Role.LAWYER: frozenset({Permission.REVIEW}),",
        "    Role.LAWYER: frozenset({Permission.REVIEW, Permission.ERASE,"
        " Permission.MANAGE_USERS}),",
        ("tests/access/test_access_spec.py",),
    ),
    Mutant(
        "claim_every_support_dropped",
        "a claim citing two protected sources shown to someone granted only one",
        "access/disclosure.py",
        '        return and_(self.gate(t, "claims", scoped), every_support, about)',
        '        return and_(self.gate(t, "claims", scoped), about)',
        ("tests/access/test_access_disclosure.py::test_mixed_dependencies",
         "tests/api/test_api_access_properties.py"),
    ),
    Mutant(
        "involvement_act_dropped",
        "a public involvement of a protected act shown to anyone",
        "access/disclosure.py",
        '            self._ok("acts", t.c.act_id),\n',
        "",
        ("tests/access/test_access_disclosure.py::test_mixed_dependencies",
         "tests/api/test_api_access_properties.py"),
    ),
    Mutant(
        "session_expiry_removed",
        "session expiry removed",
        "access/sessions.py",
        "    if str(row.expires_at) <= _iso(now) or last_seen <= _iso(now - idle):",
        "    if last_seen <= _iso(now - idle):",
        ("tests/web/test_web_security.py::"
         "test_expired_and_idle_sessions_leave_the_visitor_anonymous",
         "tests/api/test_api_signin.py::test_sessions_expire_idle_are_purged_and_can_be_ended",
         "tests/access/test_access_sessions.py"),
    ),
    Mutant(
        "checkpoint_beyond_end_unreported",
        "a checkpoint beyond the log's end no longer reported",
        "store/verify.py",
        "        elif cp.size > len(levels[0]):\n"
        "            report.findings.append(\n"
        "                Finding(\"checkpoint\", f\"checkpoint {size} is beyond the log's end\","
        " len(levels[0]))\n"
        "            )\n",
        "        elif cp.size > len(levels[0]):\n"
        "            pass\n",
        ("tests/store/test_store_verify.py",),
    ),
    Mutant(
        "duplicates_across_sources",
        "duplicate detection widened from one source to all sources",
        "intake/evidence.py",
        "            and_(i.source_id == source_id, i.sha256 == sha256,"
        " i.derived_from.is_(None))",
        "            and_(i.sha256 == sha256, i.derived_from.is_(None))",
        ("tests/intake/test_intake_evidence_mutants.py::"
         "test_the_same_file_in_two_sources_is_two_items",
         "tests/intake/test_intake_evidence.py"),
    ),
    Mutant(
        "fsync_removed",
        "every os.fsync of the blob store removed",
        "store/blobs.py",
        "os.fsync(",
        "(lambda _fd: None)(",
        ("tests/intake/test_intake_durability.py", "tests/store/test_store_blobs_mutants.py"),
        count=4,
    ),
    Mutant(
        "chao_interval_halved",
        "the Chao interval halved",
        "estimate/reference.py",
        "        c = math.exp(_z(level) * math.sqrt(math.log(1 + var / f0**2)))",
        "        c = math.exp(_z(level) / 2 * math.sqrt(math.log(1 + var / f0**2)))",
        ("tests/estimate/test_estimate_pinned.py",),
    ),
    Mutant(
        "weights_exp_minus_2_delta",
        "model-averaging weights exp(-2 delta) instead of exp(-delta/2)",
        "estimate/loglinear.py",
        "    weights = np.exp(-delta / 2)",
        "    weights = np.exp(-2 * delta)",
        ("tests/estimate/test_estimate_pinned.py::"
         "test_model_averaging_weights_are_exp_minus_half_delta",),
    ),
    Mutant(
        "swapped_names_or",
        "the swapped-names rule of linkage changed from AND to OR",
        "linkage/model.py",
        # Since 485a7bb both names agree crosswise as one side-by-side column (given then
        # family against family then given): the mutant asks one crosswise name only.
        '        "names_gf_l = names_fg_r OR names_gf_coarse_l = names_fg_coarse_r)"',
        '        "given_skel_l = family_skel_r OR family_skel_l = given_skel_r OR "\n'
        '        "given_coarse_l = family_coarse_r OR family_coarse_l = given_coarse_r)"',
        ("tests/linkage/test_linkage_rules.py",),
    ),
    # Item 5's other rules (not named as mutants in the issue; each has purpose-made records).
    Mutant(
        "initials_in_order",
        "initials blocking key not order-free (swapped names no longer share it)",
        "linkage/features.py",
        "    out[both] = np.where(gb <= fb, gb + fb, fb + gb)",
        "    out[both] = gb + fb",
        ("tests/linkage/test_linkage_rules.py",),
    ),
    Mutant(
        "leading_title_kept",
        "a leading title (Seyed) kept as part of the given name",
        "persian/names.py",
        "        if len(words) > 1 and fold(words[0]) in TITLES:",
        "        if False:",
        ("tests/linkage/test_linkage_rules.py",),
    ),
    Mutant(
        "zwnj_not_split",
        "a name part joined by ZWNJ not split into its pieces",
        "persian/keys.py",
        '        if lex.resolve(word) is None and ("-" in word or ZWNJ in word):',
        '        if lex.resolve(word) is None and ("-" in word):',
        ("tests/linkage/test_linkage_rules.py",),
    ),
    Mutant(
        "jalali_month_one_day",
        "a Solar Hijri month read as its first day only",
        "persian/dates.py",
        "    return first, following - timedelta(days=1)",
        "    return first, first",
        ("tests/linkage/test_linkage_rules.py",),
    ),
]


def apply(copy: Path, mutant: Mutant) -> None:
    path = copy / "dadkhahi" / mutant.path
    text = path.read_text(encoding="utf-8")
    found = text.count(mutant.old)
    if found != mutant.count:
        raise SystemExit(f"{mutant.name}: {mutant.path} holds its text {found} times, "
                         f"not {mutant.count}: the code changed; write the mutant again")
    path.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")


def run_tests(src: Path, tests: list[str], report: Path) -> dict[str, str]:
    """Outcome of each test (passed, failed, error, skipped), run on the code in ``src``."""
    env = {k: v for k, v in os.environ.items() if k != "DADKHAHI_TEST_DATABASE_URL"}
    env["PYTHONPATH"] = str(src)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
           f"--junitxml={report}", *tests]
    subprocess.run(cmd, cwd=ROOT, env=env, check=False, capture_output=True)
    if not report.exists():
        raise SystemExit(f"pytest wrote no report for {tests}")
    outcome = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        outcome[name] = ("failed" if "failure" in kinds else "error" if "error" in kinds
                         else "skipped" if "skipped" in kinds else "passed")
    report.unlink()
    return outcome


def fresh_copy(work: Path) -> Path:
    copy = work / "src"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(ROOT / "src", copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mutants", nargs="*", help="names (default: all; see --list)")
    ap.add_argument("--list", action="store_true", help="list the mutants and stop")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the run of the tests on the unmutated copy")
    args = ap.parse_args()
    by_name = {m.name: m for m in MUTANTS}
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:34} {m.what}\n{'':34} <- {' '.join(m.tests)}")
        return
    unknown = set(args.mutants) - set(by_name)
    if unknown:
        raise SystemExit(f"unknown mutants: {', '.join(sorted(unknown))} (see --list)")
    chosen = [by_name[n] for n in args.mutants] if args.mutants else MUTANTS
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {"commit": head}
    outcomes: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="named-mutants-") as tmp:
        work = Path(tmp)
        for m in chosen:  # every edit must still apply before anything runs
            apply(fresh_copy(work), m)
        if not args.no_baseline:
            tests = sorted({t for m in chosen for t in m.tests})
            started = time.monotonic()
            base = run_tests(fresh_copy(work), tests, work / "junit.xml")
            bad = {k: v for k, v in base.items() if v in ("failed", "error")}
            print(f"baseline: {len(base)} tests, {len(bad)} failing "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
            if bad:
                raise SystemExit(f"tests fail on the unmutated code: {sorted(bad)}")
            results["baseline"] = base
        for m in chosen:
            copy = fresh_copy(work)
            apply(copy, m)
            started = time.monotonic()
            outcome = run_tests(copy, list(m.tests), work / "junit.xml")
            failing = sorted(k for k, v in outcome.items() if v in ("failed", "error"))
            ran = sum(v != "skipped" for v in outcome.values())
            status = "killed" if failing else "SURVIVED"
            seconds = round(time.monotonic() - started)
            print(f"{m.name:34} {status:8} {len(failing)} of {ran} tests fail ({seconds} s)",
                  flush=True)
            for name in failing:
                print(f"{'':36}{name}", flush=True)
            outcomes[m.name] = {
                "what": m.what, "file": f"src/dadkhahi/{m.path}", "status": status,
                "failing": failing, "tests_run": ran, "seconds": seconds,
            }
    results["mutants"] = outcomes
    (OUT / "summary.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
