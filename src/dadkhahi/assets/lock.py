"""The assets lock and the fingerprints of the files under ``static/``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
VENDOR = STATIC / "vendor"
LOCK = HERE / "lock.json"
WANTED = HERE / "assets.toml"
#: Hex digits of a file's SHA-256 in its URL (64 bits: no accidental collision).
DIGEST_CHARS = 16


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_lock(path: Path = LOCK) -> dict[str, Any]:
    """The lock as written by ``scripts/vendor-assets``."""
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


@dataclass(frozen=True)
class Problem:
    """A vendored file that does not match the lock."""

    path: str
    what: str


def check(lock: dict[str, Any] | None = None, vendor: Path = VENDOR) -> list[Problem]:
    """Every way the committed vendored files differ from the lock (empty: they match).

    Each locked file must exist with its SHA-256 and size, every package must name
    its version, registry integrity and licence, and no file may sit under
    ``vendor/`` without being locked.
    """
    lock = load_lock() if lock is None else lock
    problems: list[Problem] = []
    locked: set[Path] = set()
    for package in lock["packages"]:
        name = package.get("name", "?")
        for field in ("version", "integrity", "license"):
            if not package.get(field):
                problems.append(Problem(name, f"no {field} in the lock"))
        if not str(package.get("integrity", "")).startswith("sha512-"):
            problems.append(Problem(name, "integrity is not the registry's sha512"))
        for entry in package["files"]:
            path = vendor / name / entry["to"]
            locked.add(path.resolve())
            shown = f"{name}/{entry['to']}"
            if not path.is_file():
                problems.append(Problem(shown, "missing"))
            elif path.stat().st_size != entry["size"] or sha256_file(path) != entry["sha256"]:
                problems.append(Problem(shown, "differs from the lock"))
    if vendor.is_dir():
        for path in sorted(vendor.rglob("*")):
            if path.is_file() and path.resolve() not in locked:
                problems.append(Problem(str(path.relative_to(vendor)), "not in the lock"))
    return problems


@cache
def manifest(root: Path = STATIC) -> dict[str, str]:
    """Path under ``static/`` (POSIX) → digest of every file there (computed once)."""
    return {p.relative_to(root).as_posix(): sha256_file(p)[:DIGEST_CHARS]
            for p in sorted(root.rglob("*")) if p.is_file()}


def url(path: str, prefix: str = "/assets") -> str:
    """The fingerprinted URL of a file under ``static/`` (KeyError if there is none)."""
    return f"{prefix}/{manifest()[path]}/{path}"
