"""Search narrowed by the caller, on both stores: to some sources, to documents' pages or
to testimonies' passages, before anything is ranked (a page of one hit is the best of
what was asked, not what is left of the best of all), from the engine, the command line
and the API body. SYNTHETIC texts; qzmark is the marker word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dadkhahi.cli.main import app
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake import testimonies as tm
from dadkhahi.intake.documents import extract_items
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.search.engine import Filters, search
from dadkhahi.store.store import Store


def _document(store: Store, tmp: Path, name: str, body: str) -> tuple[str, str]:
    path = tmp / f"{name}.txt"
    path.write_text(body, "utf-8")
    report = add_evidence(store, [path], Receipt(actor="t"), new_source=SourceSpec(
        title=f"SYNTHETIC {name}", sensitivity=Sensitivity.PUBLIC))
    [(_, item)] = report.added
    extract_items(store, [item], "t")
    assert report.source_id is not None
    return report.source_id, item


def test_a_search_is_narrowed_before_it_is_ranked(store: Store, tmp_path: Path) -> None:
    # The strong page says the marker five times, the weak one once.
    strong_source, strong = _document(store, tmp_path, "strong",
                                      "SYNTHETIC qzmark qzmark qzmark qzmark qzmark list.")
    weak_source, weak = _document(store, tmp_path, "weak", "SYNTHETIC a long report that "
                                  "names qzmark once among many other words here.")
    made = tm.add_testimony(store, tm.TestimonySpec(
        title="SYNTHETIC interview", language="en", sensitivity=Sensitivity.PUBLIC), "t")
    tm.add_segments(store, made["testimony_id"], [
        tm.SegmentSpec("SYNTHETIC: they read qzmark from a paper.", "direct", 3.0, 9.0)], "t")

    def found(filters: Filters | None, limit: int = 20) -> list[str | None]:
        hits = search(store, None, "qzmark", limit=limit, filters=filters).hits
        return [h.item_id or (h.passage.testimony_id if h.passage else None) for h in hits]

    assert set(found(None)) == {strong, weak, made["testimony_id"]}
    assert found(None, limit=1) == [strong]
    # One source asked: its page is the page of one, though another ranks above it.
    assert found(Filters((weak_source,)), limit=1) == [weak]
    assert set(found(Filters((weak_source, made["source_id"])))) == {
        weak, made["testimony_id"]}
    assert set(found(Filters(kind="document"))) == {strong, weak}
    assert found(Filters(kind="testimony"), limit=1) == [made["testimony_id"]]
    assert found(Filters((strong_source,), kind="testimony")) == []
    with pytest.raises(ValidationError, match="kind 'letters'"):
        Filters(kind="letters")
    # The command line's --source and --kind.
    home = str(store.home.path)
    store.engine.dispose()
    runner = CliRunner()
    shown = runner.invoke(app, ["--home", home, "search", "qzmark", "--source", weak_source,
                                "--json"])
    assert shown.exit_code == 0, shown.output
    assert [h["item_id"] for h in json.loads(shown.stdout)["hits"]] == [weak]
    shown = runner.invoke(app, ["--home", home, "search", "qzmark", "--kind", "testimony",
                                "--json"])
    assert shown.exit_code == 0, shown.output
    assert [h["passage"]["testimony_id"] for h in json.loads(shown.stdout)["hits"]] == [
        made["testimony_id"]]
