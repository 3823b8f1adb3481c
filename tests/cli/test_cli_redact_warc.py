"""``dadkhahi documents redact``, ``release`` and ``import-warc`` from the command line: a
copy without the words, released at a lower sensitivity; a WARC's responses listed with
URL and time and the HTML's text extracted naming its record; a bad --area refused."""

from __future__ import annotations

import io
from pathlib import Path

from typer.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dadkhahi.cli.main import app
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


def test_redact_and_import_a_warc_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = Store.init(Home(home), "cli.test/ledger", "t")
    note = tmp_path / "note.txt"
    note.write_text("SYNTHETIC SYNTHETICCLINAMEQX met us.", "utf-8")
    [(_, item)] = add_evidence(store, [note], Receipt(actor="t"), new_source=SourceSpec(
        title="SYNTHETIC notes")).added
    store.engine.dispose()
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        done = runner.invoke(app, ["--home", str(home), "documents", *args])
        return done.exit_code, done.output

    code, out = run("redact", item, "--text", "SYNTHETICCLINAMEQX", "--reason", "SYNTHETIC")
    assert code == 0 and "1 span(s) removed" in out and "SYNTHETICCLINAMEQX" not in out, out
    copy = out.split()[1]
    code, out = run("release", copy, "--sensitivity", "public", "--reason", "SYNTHETIC")
    assert code == 0 and f"released   {copy}  restricted -> public" in out, out
    again = runner.invoke(app, ["--home", str(home), "documents", "release", copy,
                                "--sensitivity", "public", "--reason", "SYNTHETIC"])
    assert again.exit_code != 0 and "public already" in str(again.exception)
    code, out = run("redact", item, "--area", "one:1,2,3", "--reason", "SYNTHETIC")
    assert code != 0 and "PAGE:x0,y0,x1,y1" in out
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    writer.write_record(writer.create_warc_record(
        "https://news.example/SYNTHETIC", "response", payload=io.BytesIO(
            b"<html><body><p>SYNTHETICCLIWARCQX an invented page</p></body></html>"),
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                      protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": "2018-03-04T05:06:07Z"}))
    warc = tmp_path / "site.warc.gz"
    warc.write_bytes(buf.getvalue())
    code, out = run("import-warc", str(warc), "--source-title", "SYNTHETIC archive")
    assert code == 0, out
    assert "2018-03-04T05:06:07Z  https://news.example/SYNTHETIC" in out
    assert "1 extracted, 0 failed" in out, out
    response = next(line.split()[1] for line in out.splitlines()
                    if line.startswith("response"))
    code, out = run("text", response, "--json")
    assert code == 0 and "SYNTHETICCLIWARCQX" in out, out
    assert '"target_uri": "https://news.example/SYNTHETIC"' in out
