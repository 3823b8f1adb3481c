"""Mutation testing of one critical module against that module's own tests (mutmut 3).

    .venv/bin/python benchmarks/mutation/run.py ledger.merkle
    .venv/bin/python benchmarks/mutation/run.py store.verify --every 3 --seed 1   # a third
    .venv/bin/python benchmarks/mutation/run.py ledger          # every ledger.* target in turn
    .venv/bin/python benchmarks/mutation/run.py --list
    .venv/bin/python benchmarks/mutation/run.py --equivalent ledger.merkle NAME "reason"

Targets (module + tests) are in ``targets.toml`` beside this file; survivors judged
equivalent, each with its reason, in ``equivalent.toml``. A run copies the files git
knows (tracked or new, not ignored) to ``build/mutation/<target>/``, so it neither
touches the work tree nor sees edits made while it runs, writes mutmut's settings for
that one target into the copy's pyproject.toml and runs ``nice -n 19 mutmut run``
there. Tests of the PostgreSQL path are not run (SQLite only), to keep a run short.

It prints, and writes to ``summary.json`` in the run's folder: mutants generated,
killed, timeouts, survived, equivalent, not reached by any selected test, and the score
``detected / (generated - equivalent)`` where detected = killed + timeout + segfault.
``survivors.md`` beside it shows the diff of each mutant that was not detected, with
its recorded reason when it is equivalent.

``--recheck BUILD`` runs again only the survivors of earlier runs kept in BUILD (after
tests were added: the killed ones keep their result). ``--every K --seed S`` runs a
deterministic subset for modules whose full run is too
long: a mutant is kept when ``sha256(f"{S}:{name}")`` is divisible by K, so the same
mutants are picked on every run and for every unchanged function. ``TARGET:K`` gives one
target its own K (``access.policy access.reads:18 --every 3``). ``--tests PATH`` (repeated)
runs other tests than the targets' own: a quick pass with a module's fast tests, whose
survivors are only candidates until the full selection has run them.

Targets named together that have the same tests run in one mutmut session (one copy,
one stats phase, one clean run: for the access targets, whose tests take most of a run,
that is most of the time); each still gets its own ``build/mutation/<target>/`` results.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BUILD = ROOT / "build" / "mutation"
VENV_BIN = Path(sys.executable).parent
DETECTED = {"killed", "timeout", "segfault", "caught by type check"}


def load_targets() -> dict[str, dict[str, list[str]]]:
    with open(HERE / "targets.toml", "rb") as f:
        raw = tomllib.load(f)
    # [ledger.merkle] parses as {"ledger": {"merkle": {...}}}: flatten to dotted names.
    return {f"{pkg}.{mod}": spec for pkg, mods in raw.items() for mod, spec in mods.items()}


def load_equivalent() -> dict[str, dict[str, str]]:
    with open(HERE / "equivalent.toml", "rb") as f:
        return tomllib.load(f)


def git_state() -> tuple[str, bool]:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    return head, dirty


def copy_tree(dest: Path) -> None:
    """Copy the files git knows (tracked, or new and not ignored) into ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if not src.is_file():  # deleted in the work tree but still in the index
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def write_config(dest: Path, spec: dict[str, list[str]]) -> None:
    lines = [
        "",
        "[tool.mutmut]",
        'source_paths = ["src/"]',
        f"only_mutate = {json.dumps(spec['files'])}",
        f"pytest_add_cli_args_test_selection = {json.dumps(spec['tests'])}",
        # A target's "deselect": tests that cannot run on mutated code (the offline kit's
        # standalone test runs the module's own source, which mutmut rewrites).
        # --timeout=0: pytest-timeout's 600 s (pyproject) is for `make test`; under
        # mutmut's tracing at load 23 the access matrix took longer, failed the stats
        # phase and so the whole run (stop 26). mutmut times each mutant out itself.
        # -p no:xdist: mutmut runs pytest in its own process and forks each mutant from
        # it; `make test`'s workers (-n, Makefile) must never start here.
        "pytest_add_cli_args = "
        + json.dumps(["-p", "no:cacheprovider", "-p", "no:xdist", "--timeout=0",
                      *(a for t in spec.get("deselect", []) for a in ("--deselect", t))]),
        # Specification tests read the documentation (tests/access_spec.py's tables are
        # checked against docs/ARCHITECTURE.md); mutmut copies only src/ and tests/.
        'also_copy = ["docs/"]',
        "",
    ]
    with open(dest / "pyproject.toml", "a", encoding="utf-8") as f:
        f.write("\n".join(lines))
    # Under load (and under mutmut's tracing) Hypothesis's 200 ms deadline fails healthy
    # tests, which would count as kills: no deadlines in the copy.
    with open(dest / "tests" / "conftest.py", "a", encoding="utf-8") as f:
        f.write(
            "\n\nfrom hypothesis import settings as _mutation_settings\n\n"
            '_mutation_settings.register_profile("mutation", deadline=None)\n'
            '_mutation_settings.load_profile("mutation")\n'
            + FRESH_CACHES
        )


#: Module caches of values built by mutable functions: the disclosure rule's conditions
#: (and every ``functools.cache``, found by type). mutmut runs the tests with the original
#: code in its own process (stats, then the clean run) and forks each mutant's run from
#: it, so a value cached there is inherited: a mutant of a function that only builds it
#: is never called, and the stats credit only the one test that built it first. Emptied
#: before every test in the copy (the rebuilding costs milliseconds a test).
MODULE_CACHES = {"dadkhahi.access.disclosure": "_BUILT"}
FRESH_CACHES = f'''

import functools as _mutation_functools
import sys as _mutation_sys

import pytest as _mutation_pytest


@_mutation_pytest.fixture(autouse=True)
def _mutation_fresh_caches() -> None:
    for _name, _module in list(_mutation_sys.modules.items()):
        if _name.startswith("dadkhahi."):
            for _value in list(vars(_module).values()):
                if isinstance(_value, _mutation_functools._lru_cache_wrapper):
                    _value.cache_clear()
    for _name, _attribute in {MODULE_CACHES!r}.items():
        if _name in _mutation_sys.modules:
            getattr(_mutation_sys.modules[_name], _attribute).clear()


# tests/conftest.py's check of the same name fails a test when gc's count of frozen objects
# changed, to catch a test leaving the process frozen as a server. mutmut freezes its own
# process before forking each mutant's run, so there a test that frees any object of the
# parent's lowers the count and failed as if frozen: every mutant whose tests did so
# counted as killed (stop 30's first linkage runs). In the copy only a growth counts.
@_mutation_pytest.fixture(autouse=True)
def _serving_tuning_restored():  # type: ignore[no-untyped-def]
    import gc

    switch = _mutation_sys.getswitchinterval()
    frozen = gc.get_freeze_count()
    yield
    leaked = gc.get_freeze_count() > frozen or _mutation_sys.getswitchinterval() != switch
    _mutation_sys.setswitchinterval(switch)
    if leaked:
        _mutation_pytest.fail("this test left the process tuned as a server")
'''


#: A fixture decorator with a scope wider than one test (``@pytest.fixture(scope="module")``).
WIDE_SCOPE = re.compile(
    r"""@pytest\.fixture\([^)]*scope=["'](?:module|class|package|session)["']"""
)
#: Appended to the copy's conftest with ``--whole-files``: in mutmut's stats phase, a
#: function any test of a listed file reached counts as reached by every test of that file,
#: and a test's set-up time counts in its duration (mutmut's CPU limit for a mutant is
#: 30 times the duration of its tests plus 30 s, and it counts only the calls).
WHOLE_FILES = """

import os as _mutation_os


@_mutation_pytest.hookimpl(trylast=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    if call.when == "setup" and _mutation_os.environ.get("MUTANT_UNDER_TEST") == "stats":
        from mutmut.state import state

        state().duration_by_test[item.nodeid] += call.duration


@_mutation_pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    if _mutation_os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return
    from mutmut.state import state

    def file_of(test):  # type: ignore[no-untyped-def]
        return test.removeprefix("mutants/").split("::")[0]

    tests_of = {{}}
    for test in state().duration_by_test:
        tests_of.setdefault(file_of(test), set()).add(test.removeprefix("mutants/"))
    for tests in state().tests_by_mangled_function_name.values():
        for file in {{file_of(t) for t in tests}} & {files!r}:
            tests |= tests_of.get(file, set())
"""


def whole_files(dest: Path, tests: list[str]) -> list[str]:
    """Credit every test of a selected file that has a wider fixture with what any reached.

    mutmut's stats phase credits a function to the test running when it was called. A
    module-scoped fixture runs once, inside the first test using it, so the file's other
    tests were never run against a mutant of what the fixture calls: in stop 29's narrowed
    linkage pass, ``tests/linkage/test_linkage_rules.py``'s ``found`` fixture (every rule's
    levels, one Splink query) made only its first test count, and mutants that three of its
    tests fail "survived" (``_name_comparison`` 6, checked in mutmut's copy). Each mutant's
    own pytest run still builds the fixture once. Returns the files credited whole.
    """
    files: set[Path] = set()
    for selection in tests:
        path = dest / selection.split("::", 1)[0]
        files.update(path.rglob("*.py") if path.is_dir() else [path])
    wide = sorted(str(f.relative_to(dest)) for f in files
                  if f.name.startswith("test_") and WIDE_SCOPE.search(f.read_text("utf-8")))
    with open(dest / "tests" / "conftest.py", "a", encoding="utf-8") as f:
        f.write(WHOLE_FILES.format(files=set(wide)))
    return wide


def mutmut_env(dest: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DADKHAHI_TEST_DATABASE_URL", None)
    # Not PYTHONPATH=mutants/src: with it mutmut records no test as reaching any mutant.
    # So tests that start a child process (CLI, kill -9) run unmutated code and kill nothing.
    env.pop("PYTHONPATH", None)
    return env


def mutmut(dest: Path, args: list[str], log: Path, niceness: int) -> int:
    cmd = ["nice", "-n", str(niceness), str(VENV_BIN / "mutmut"), *args]
    with open(log, "ab") as out:
        return subprocess.run(cmd, cwd=dest, env=mutmut_env(dest), stdout=out,
                              stderr=subprocess.STDOUT, check=False).returncode


def generate_only(dest: Path) -> list[str]:
    """Create the mutants without running anything; return every mutant's name."""
    code = (
        "import os\n"
        "from mutmut.__main__ import (copy_src_dir, copy_also_copy_files, create_mutants,\n"
        "    makedirs, set_mutant_under_test, setup_source_paths,\n"
        "    store_lines_covered_by_tests)\n"
        "set_mutant_under_test('mutant_generation')\n"
        "makedirs('mutants', exist_ok=True)\n"
        "copy_src_dir(); copy_also_copy_files(); setup_source_paths()\n"
        "store_lines_covered_by_tests(); create_mutants(1)\n"
    )
    subprocess.run([str(VENV_BIN / "python"), "-c", code], cwd=dest, env=mutmut_env(dest),
                   check=True, capture_output=True)
    names: list[str] = []
    for meta in sorted((dest / "mutants").rglob("*.py.meta")):
        names.extend(json.loads(meta.read_text())["exit_code_by_key"])
    return sorted(names)


def sampled(names: list[str], every: int, seed: int) -> list[str]:
    return [n for n in names
            if int(hashlib.sha256(f"{seed}:{n}".encode()).hexdigest(), 16) % every == 0]


def collect(dest: Path) -> dict[str, Any]:
    """Statuses and diffs of every mutant, read with mutmut's own code (run in ``dest``)."""
    code = (
        "import json\n"
        "from mutmut.mutation.data import SourceFileMutationData\n"
        "from mutmut.mutation.diff_apply import get_diff_for_mutant\n"
        "from mutmut.stats import status_by_exit_code\n"
        "from mutmut.utils.file_utils import walk_mutatable_files\n"
        "out = {}\n"
        "for path in walk_mutatable_files():\n"
        "    m = SourceFileMutationData(path=path); m.load()\n"
        "    for k, v in m.exit_code_by_key.items():\n"
        "        st = status_by_exit_code[v]\n"
        "        out[k] = {'status': st,\n"
        "                  'diff': '' if st == 'killed' else get_diff_for_mutant(k, path=path)}\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([str(VENV_BIN / "python"), "-c", code], cwd=dest,
                          env=mutmut_env(dest), check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def change_of(diff: str) -> str:
    """The removed and added lines of a mutant's diff (what equivalent.toml records)."""
    return "\n".join(
        line.rstrip() for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def summarise(target: str, results: dict[str, Any], picked: list[str] | None,
              equivalent: dict[str, dict[str, str]]) -> dict[str, Any]:
    if picked is not None:
        chosen = set(picked)
        results = {k: v for k, v in results.items() if k in chosen}
    counts: dict[str, int] = {}
    equiv, stale = [], []
    for name, r in sorted(results.items()):
        status = r["status"]
        known = equivalent.get(name)
        if status not in DETECTED and known is not None:
            if change_of(r["diff"]) == known["change"].strip():
                status = "equivalent"
                equiv.append(name)
            else:
                stale.append(name)  # the code under it changed: judge it again
        r["final"] = status
        counts[status] = counts.get(status, 0) + 1
    total = len(results)
    detected = sum(counts.get(s, 0) for s in DETECTED)
    relevant = total - counts.get("equivalent", 0)
    return {
        "target": target,
        "generated": total,
        "killed": counts.get("killed", 0),
        "timeout": counts.get("timeout", 0),
        "segfault": counts.get("segfault", 0),
        "survived": counts.get("survived", 0),
        "no_tests": counts.get("no tests", 0),
        "suspicious": counts.get("suspicious", 0),
        "not_checked": counts.get("not checked", 0),
        "equivalent": counts.get("equivalent", 0),
        "stale_equivalent": stale,
        "detected": detected,
        "score": round(detected / relevant, 4) if relevant else 1.0,
        "score_without_equivalents": round(detected / total, 4) if total else 1.0,
    }


def write_survivors(path: Path, results: dict[str, Any],
                    equivalent: dict[str, dict[str, str]]) -> None:
    out = []
    for name, r in sorted(results.items()):
        if r.get("final") in DETECTED or "final" not in r:
            continue
        label = r["final"]
        reason = equivalent.get(name, {}).get("reason", "")
        out.append(f"### {name}: {label}" + (f" ({reason})" if label == "equivalent" else ""))
        out.append("```diff\n" + change_of(r["diff"]) + "\n```\n")
    path.write_text("\n".join(out), encoding="utf-8")


def toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def mark_equivalent(target: str, name: str, reason: str, build: Path) -> None:
    """Record a survivor of the last run of ``target`` as equivalent, with its reason."""
    results = json.loads((build / target / "results.json").read_text())
    if name not in results:
        raise SystemExit(f"{name} is not a mutant of the last {target} run")
    if results[name]["status"] in DETECTED:
        raise SystemExit(f"{name} was {results[name]['status']}: nothing to judge")
    if name in load_equivalent():
        raise SystemExit(f"{name} is already in equivalent.toml")
    with open(HERE / "equivalent.toml", "a", encoding="utf-8") as f:
        f.write(f"\n[{toml_string(name)}]\nreason = {toml_string(reason)}\n"
                f"change = {toml_string(change_of(results[name]['diff']))}\n")


def module_of(mutant: str) -> str:
    """``dadkhahi.access.policy`` for ``dadkhahi.access.policy.xǁPrincipalǁcan__mutmut_3``."""
    return mutant.rsplit(".", 1)[0]


def modules(spec: dict[str, list[str]]) -> set[str]:
    """The dotted modules of a target's files (``src/dadkhahi/x/y.py`` -> ``dadkhahi.x.y``)."""
    return {f.removeprefix("src/").removesuffix(".py").replace("/", ".") for f in spec["files"]}


def run_group(group: list[tuple[str, int]], targets: dict[str, dict[str, list[str]]],
              args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run the targets of ``group`` (same tests; each with its ``--every``) in one session."""
    names = [t for t, _ in group]
    first = targets[names[0]]
    dest = args.build / "+".join(names)
    # An earlier run's results are read before any folder of this run is emptied.
    previous: dict[str, dict[str, Any]] = {}
    if args.recheck:
        previous = {t: json.loads((args.recheck / t / "results.json").read_text())
                    for t in names}
    for folder in {dest, *(args.build / t for t in names)}:
        if folder.exists():
            shutil.rmtree(folder)
    dest.mkdir(parents=True)
    head, dirty = git_state()
    copy_tree(dest)
    write_config(dest, {**first, "files": [f for t in names for f in targets[t]["files"]]})
    if args.whole_files:
        print(f"credited whole: {', '.join(whole_files(dest, first['tests'])) or 'none'}",
              flush=True)
    log = dest / "mutmut.log"
    started = time.monotonic()
    equivalent = load_equivalent()
    # The mutants each target runs; None = all of its module's (nothing named to mutmut).
    picked: dict[str, list[str] | None] = {t: None for t in names}
    if args.recheck or any(every > 1 for _, every in group):
        generated = generate_only(dest)
        for target, every in group:
            own = [n for n in generated if module_of(n) in modules(targets[target])]
            if args.recheck:
                # Only the survivors of an earlier run of the same mutants are run again; the
                # others keep their earlier result (tests were added, so a kill stays a kill).
                previous[target] = {k: v for k, v in previous[target].items() if k in set(own)}
                picked[target] = [k for k, v in previous[target].items()
                                  if v["status"] not in DETECTED and k not in equivalent]
            elif every > 1:
                picked[target] = sampled(own, every, args.seed)
                if not picked[target]:
                    raise SystemExit(f"{target}: the sample is empty; use a smaller --every")
            else:
                picked[target] = own
    named = [n for p in picked.values() for n in p or []]
    mutmut_args = ["run", "--max-children", str(args.children), *named]
    results: dict[str, Any] = {}
    if named or not args.recheck:
        code = mutmut(dest, mutmut_args, log, args.nice)
        if code != 0:
            raise SystemExit(f"{'+'.join(names)}: mutmut exited with {code}; see {log}")
        results = collect(dest)
    seconds = round(time.monotonic() - started)
    summaries = []
    for target, every in group:
        spec = targets[target]
        own_results = {k: v for k, v in results.items() if module_of(k) in modules(spec)}
        chosen = picked[target]
        if args.recheck:
            own_results = {**previous[target], **{k: own_results[k] for k in chosen or []}}
            chosen = None
        summary = summarise(target, own_results, chosen, equivalent)
        summary.update({
            "commit": head + ("+uncommitted" if dirty else ""),
            "files": spec["files"],
            "tests": spec["tests"],
            "sample": (f"survivors of {args.recheck / target} rechecked" if args.recheck
                       else f"1 in {every}, seed {args.seed}" if every > 1 else "all"),
            "seconds": seconds,
            "run_with": [t for t in names if t != target],
            "command": "benchmarks/mutation/run.py " + target
            + (f" --recheck {args.recheck}" if args.recheck
               else f" --every {every} --seed {args.seed}" if every > 1 else "")
            + "".join(f" --tests {t}" for t in args.tests or [])
            + (" --whole-files" if args.whole_files else ""),
        })
        if chosen is not None:
            own_results = {k: v for k, v in own_results.items() if k in set(chosen)}
        out = args.build / target
        out.mkdir(parents=True, exist_ok=True)
        write_survivors(out / "survivors.md", own_results, equivalent)
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        (out / "results.json").write_text(json.dumps(own_results, indent=1) + "\n")
        summaries.append(summary)
    return summaries


def rescore(dest: Path) -> dict[str, Any]:
    """Recount a finished run (same mutants) after equivalent.toml changed."""
    results = json.loads((dest / "results.json").read_text())
    old = json.loads((dest / "summary.json").read_text())
    equivalent = load_equivalent()
    summary = summarise(old["target"], results, None, equivalent)
    for key in ("commit", "files", "tests", "sample", "seconds", "command"):
        summary[key] = old[key]
    write_survivors(dest / "survivors.md", results, equivalent)
    (dest / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("targets", nargs="*", help="target names or package prefixes (see --list)")
    ap.add_argument("--list", action="store_true", help="list the targets and stop")
    ap.add_argument("--children", type=int, default=2, help="mutants run at once (default 2)")
    ap.add_argument("--every", type=int, default=1,
                    help="run every K-th mutant only (TARGET:K for one target)")
    ap.add_argument("--nice", type=int, default=19,
                    help="niceness added to mutmut's (default 19)")
    ap.add_argument("--seed", type=int, default=0, help="which subset --every picks")
    ap.add_argument("--equivalent", nargs=3, metavar=("TARGET", "MUTANT", "REASON"),
                    help="record a survivor of TARGET's last run as equivalent")
    ap.add_argument("--build", type=Path, default=BUILD, help=f"run folder (default {BUILD})")
    ap.add_argument("--recheck", type=Path, metavar="BUILD",
                    help="run again only the survivors of the runs kept in BUILD")
    ap.add_argument("--tests", action="append", metavar="PATH",
                    help="run these tests instead of the targets' own (repeat for more): "
                         "a quick first pass; survivors are then only candidates")
    ap.add_argument("--whole-files", action="store_true",
                    help="a selected test file with a module-, class- or session-scoped "
                         "fixture runs whole for every mutant any of its tests reaches "
                         "(else only the test that first built the fixture counts)")
    ap.add_argument("--rescore", action="store_true",
                    help="recount the last runs of the targets with the current equivalent.toml")
    args = ap.parse_args()
    if args.equivalent:
        mark_equivalent(*args.equivalent, build=args.build)
        return
    if args.rescore:
        for target in args.targets:
            print(json.dumps(rescore(args.build / target), indent=1))
        return
    targets = load_targets()
    if args.tests:
        targets = {name: {**spec, "tests": args.tests} for name, spec in targets.items()}
    if args.list or not args.targets:
        for name, spec in targets.items():
            print(f"{name:22} {' '.join(spec['files'])}  <- {' '.join(spec['tests'])}")
        return
    every_of: dict[str, int] = {}
    for arg in args.targets:
        name, _, k = arg.partition(":")
        matched = [t for t in targets if t == name or t.startswith(name + ".")]
        if not matched:
            raise SystemExit(f"unknown target: {name} (see --list)")
        for t in matched:
            every_of[t] = int(k) if k else args.every
    # Targets with the same tests (and deselected tests) share one mutmut session.
    groups: dict[str, list[tuple[str, int]]] = {}
    for t, every in every_of.items():
        key = json.dumps([targets[t]["tests"], targets[t].get("deselect", [])])
        groups.setdefault(key, []).append((t, every))
    header = (f"{'target':22} {'generated':>9} {'killed':>6} {'timeout':>7} {'survived':>8} "
              f"{'no tests':>8} {'equiv':>5} {'score':>6} {'time':>6}  commit")
    print(header, flush=True)
    for group in groups.values():
        for r in run_group(group, targets, args):
            print(f"{r['target']:22} {r['generated']:9} {r['killed']:6} {r['timeout']:7} "
                  f"{r['survived']:8} {r['no_tests']:8} {r['equivalent']:5} "
                  f"{r['score']:6.1%} {r['seconds']:5}s  {r['commit'][:12]}"
                  + ("" if r["sample"] == "all" else f"  ({r['sample']})")
                  + (f"  (one session with {', '.join(r['run_with'])})" if r["run_with"]
                     else ""), flush=True)
            if r["stale_equivalent"]:
                print(f"  equivalent.toml entries whose code changed (judge again): "
                      f"{', '.join(r['stale_equivalent'])}", flush=True)


if __name__ == "__main__":
    main()
