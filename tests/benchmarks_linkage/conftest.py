"""Load the linkage benchmark scripts (benchmarks/linkage/*.py) as modules.

They are scripts, not a package; they are loaded by path under names unique
to this folder so they cannot clash with other modules called `metrics`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "linkage"


def load_bench_module(name: str) -> ModuleType:
    """Import benchmarks/linkage/<name>.py as `bench_linkage_<name>`."""
    alias = f"bench_linkage_{name}"
    if alias in sys.modules:
        return sys.modules[alias]
    if str(BENCH_DIR) not in sys.path:  # the scripts import their synth_* helpers
        sys.path.insert(0, str(BENCH_DIR))
    spec = importlib.util.spec_from_file_location(alias, BENCH_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def gen() -> ModuleType:
    return load_bench_module("generate")


@pytest.fixture(scope="session")
def met() -> ModuleType:
    return load_bench_module("metrics")


@pytest.fixture(scope="session")
def roman() -> ModuleType:
    return load_bench_module("synth_romanise")


@pytest.fixture(scope="session")
def che_ceiling() -> ModuleType:
    return load_bench_module("study_che_ceiling")
