"""What the cases tests share: the demo case's store, IDs and court bundle."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from dadkhahi.cases.bundle import BundleResult
from dadkhahi.cases.case import Scope, add_charge, create_case, link_fact
from dadkhahi.demo.case import DemoCase
from dadkhahi.domain.vocab import Credibility, Direction, Reliability
from dadkhahi.store.store import Store


@dataclass(frozen=True)
class World:
    store: Store
    demo: DemoCase
    bundle: BundleResult


def murder_case(store: Store, title: str, suspect: str, act: str, element: str,
                fact: tuple[str, str], how: str) -> str:
    """The smallest case a bundle is written of: ``suspect`` charged with murder (the
    national template, as instigator), one fact (kind, ID) linked to ``element``."""
    case_id = create_case(store, "analyst", title, Scope((suspect,), (act,)))
    charge = add_charge(store, "analyst", case_id, suspect, "national-murder", "murder",
                        "instigator")
    link_fact(store, "analyst", case_id, charge, element, fact[0], fact[1],
              reliability=Reliability.C, credibility=Credibility.POSSIBLY_TRUE, how=how,
              direction=Direction.INCRIMINATING)
    return case_id


def run_script(folder: Path, key: str, script: Path | None = None
               ) -> subprocess.CompletedProcess[str]:
    """Run a bundle's ``verify_bundle.py`` (or ``script``) on it as a court would: an empty
    environment and ``-I``, so the script must stand alone (no dadkhahi importable)."""
    return subprocess.run(
        [sys.executable, "-I", str(script or folder / "verify_bundle.py"), str(folder),
         "--key", key], capture_output=True, text=True, env={}, check=False, timeout=120)


def rebag(folder: Path) -> None:
    """Rebuild a bag's manifests after a forger's edit (they are not signed)."""
    for algorithm in ("sha256", "sha512"):
        for kind, files in (("manifest", sorted(p for p in (folder / "data").rglob("*")
                                                  if p.is_file())),):
            lines = "".join(f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  "
                            f"{p.relative_to(folder).as_posix()}\n" for p in files)
            (folder / f"{kind}-{algorithm}.txt").write_text(lines)
    tags = sorted(p for p in folder.iterdir() if p.is_file()
                  and not p.name.startswith("tagmanifest-"))
    for algorithm in ("sha256", "sha512"):
        (folder / f"tagmanifest-{algorithm}.txt").write_text("".join(
            f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  {p.name}\n" for p in tags))
