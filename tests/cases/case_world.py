"""What the cases tests share: the demo case's store, IDs and court bundle."""

from __future__ import annotations

from dataclasses import dataclass

from dadkhahi.cases.bundle import BundleResult
from dadkhahi.demo.case import DemoCase
from dadkhahi.store.store import Store


@dataclass(frozen=True)
class World:
    store: Store
    demo: DemoCase
    bundle: BundleResult
