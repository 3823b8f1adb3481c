"""The court bundle: a BagIt 1.0 bag a court can check without trusting Dadkhahi.

Layout (RFC 8493)::

    bagit.txt  bag-info.txt  manifest-sha{256,512}.txt  tagmanifest-sha{256,512}.txt
    VERIFY.txt  verify_bundle.py
    data/exhibits/<n>/exhibit.json + the original and the derivatives used
    data/custody/<n>.jsonl        each exhibit's chain of custody (ledger events, verbatim)
    data/proofs/<index>.json      RFC 9162 inclusion proofs, all to one checkpoint
    data/checkpoint.txt           the signed C2SP checkpoint
    data/matrix.csv, matrix.json  the evidence matrix and the gaps
    data/report.html, report.pdf  the same for a person to read (charges, elements, facts,
                                  evidence, gaps, each file's hash and proof), the PDF
                                  with its font embedded and Persian shaped
    data/withheld.csv             what was withheld and why (never who)
    data/exhibit-manifest.txt     the SHA-256 of every custody log and exhibit.json

Exhibit files are streamed from the blob store once: both manifest hashes are taken
from the bytes as they are written, and the SHA-256 must equal the intake hash or the
export stops before anything is recorded. Exhibit numbers are stable: in the order the
case's links first reached each item. The export is a custody event ("transferred to"
the recipient) on every exhibit file and a ``case.exported`` event; the checkpoint is
signed after them, so the bundle proves its own transfer. The export event names the
matrix, the report, the withheld list and ``exhibit-manifest.txt`` (hence every custody log
and exhibit description) by their SHA-256: the bag's manifests are not signed. The
recipient is sealed in both (who holds a case can warn a suspect): the custody line
discloses it to the court beside the event, proven by the event's selective proof.

What may go is decided at export, item by item, by the one disclosure rule
(:func:`dadkhahi.access.disclosure.may_disclose`) for the court, to which the sources of
the case's exhibits are shown; a protected item goes only where its witness consented to
that court (the testimony consent rule, :mod:`dadkhahi.intake.testimonies`). Where the
original may not go, a derivative that may goes in its place: a redacted copy released at
a lower sensitivity by a recorded decision (``intake.redactions.release_copy``). Withheld
items keep their exhibit number and appear in ``withheld.csv`` with a reason that names
no one. ``bagit`` (PyPI) validates the result as an independent implementation.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import io
import json
import mimetypes
import os
import shutil
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.access.disclosure import Audience, AudienceKind, disclosable
from dadkhahi.cases import bundle_proofs, bundle_verify
from dadkhahi.cases.bundle_capture import CaptureReader
from dadkhahi.cases.case import Case, load_case
from dadkhahi.cases.encrypt import encrypt_bundle, parse_recipient
from dadkhahi.cases.frameworks import Framework
from dadkhahi.cases.matrix import (
    DEFAULT_THRESHOLD,
    ElementRow,
    element_rows,
    gap_report,
    matrix_csv,
    matrix_records,
)
from dadkhahi.cases.report import ExhibitFile, ExhibitLine, render_report, report_pdf
from dadkhahi.domain.errors import IntegrityError, UserError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.protected import (
    BUNDLE_LOCATION,
    clear_court_transfer,
    court_transfer_placeholder,
)
from dadkhahi.domain.vocab import CustodyAction, Direction, Sensitivity
from dadkhahi.intake import testimonies
from dadkhahi.intake.evidence import item_content
from dadkhahi.ledger import merkle
from dadkhahi.ledger.checkpoint import Checkpoint, unverified_note_text
from dadkhahi.ledger.proofs import make_bundle
from dadkhahi.offline.embed import standalone_script
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.actors import name_of
from dadkhahi.store.sealed import KeyRing
from dadkhahi.store.store import Store, utc_now

SCOPES = ("court",)
#: ``progress(done, total, note)``: told of the export's progress.
Progress = Callable[[int, int, str], None]
SOFTWARE = "Dadkhahi court bundle (dadkhahi-bundle/v1)"


@dataclass
class Exhibit:
    """One exhibit: an item the case's links reach, with what goes into the bag."""

    number: str
    item: dict[str, Any]
    directions: set[str] = field(default_factory=set)
    files: list[dict[str, Any]] = field(default_factory=list)  # the items that go
    withheld: str | None = None

    @property
    def direction(self) -> str:
        if len(self.directions) == 1:
            return next(iter(self.directions))
        return str(Direction.MIXED)


@dataclass(frozen=True)
class BundleResult:
    path: Path
    export_id: str
    exhibits: int
    withheld: int
    files: int
    bytes: int
    checkpoint_size: int
    #: The age-encrypted archive, when the bundle was encrypted for its recipient.
    encrypted: Path | None = None


#: Why an item stays home, naming no one.
NO_CONSENT = "protected material: no recorded consent of the witness for this recipient"
NOT_DISCLOSABLE = "not disclosable to this recipient"
#: The bundle's scope → the audience kind the disclosure rule knows it as.
_AUDIENCES = {"court": AudienceKind.COURT}
# The testimony consent rule must be registered before a bundle asks (it is, on import).
assert testimonies.CONSENT_RULES


def court_audience(recipient: str, scope: str, exhibits: Sequence[Exhibit]) -> Audience:
    """The recipient as the disclosure rule's audience: the sources of the case's
    exhibits are what is shared with it."""
    return Audience.outside(_AUDIENCES[scope], recipient.strip(),
                            {str(ex.item["source_id"]) for ex in exhibits})


def withheld_reasons(conn: Connection, items: Sequence[dict[str, Any]], audience: Audience
                     ) -> dict[str, str]:
    """Item ID → why it may not go to ``audience`` (absent: it may), naming no one.

    One rule for every output (:func:`dadkhahi.access.disclosure.disclosable`): a
    protected item goes only with its witness's consent for this recipient.
    """
    ids = [str(item["id"]) for item in items]
    going = disclosable(conn, "item", ids, audience) if ids else set()
    return {str(item["id"]): NO_CONSENT if item["sensitivity"] == Sensitivity.PROTECTED
            else NOT_DISCLOSABLE for item in items if str(item["id"]) not in going}


#: IDs per ``IN (…)`` list: far below every driver's parameter limit.
_BATCH = 500


def _rows_where_in(conn: Connection, table: Any, column: str, ids: Sequence[Any]
                   ) -> list[dict[str, Any]]:
    """Rows whose ``column`` is among ``ids``, read in batches, in ledger order."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(ids), _BATCH):
        part = list(ids[start:start + _BATCH])
        out.extend(dict(r) for r in conn.execute(
            select(table).where(table.c[column].in_(part))).mappings())
    return sorted(out, key=lambda r: (int(r.get("ledger_index") or 0), str(r.get("id"))))


def _exhibits(conn: Connection, rows: Sequence[ElementRow]) -> list[Exhibit]:
    """Items reached by the case's links, numbered in the order they were first reached."""
    first: dict[str, set[str]] = {}
    links = sorted(((lk, ev) for r in rows for lk, ev in r.links),
                   key=lambda pair: pair[0].ledger_index)
    for lk, ev in links:
        for e in ev:
            if e.item_id is not None:
                first.setdefault(e.item_id, set()).add(lk.direction)
    items = {r["id"]: r for r in _rows_where_in(conn, s.items, "id", list(first))}
    return [Exhibit(f"{n:03d}", items[item_id], directions)
            for n, (item_id, directions) in enumerate(first.items(), start=1)]


def _plan(conn: Connection, exhibits: Sequence[Exhibit], audience: Audience) -> None:
    """Decide per exhibit which files go: the original, or else a derivative that may."""
    children: dict[str, list[dict[str, Any]]] = {}
    for row in _rows_where_in(conn, s.items, "derived_from",
                              [ex.item["id"] for ex in exhibits]):
        children.setdefault(str(row["derived_from"]), []).append(row)
    refused = withheld_reasons(conn, [*(ex.item for ex in exhibits),
                                      *(d for ds in children.values() for d in ds)], audience)
    for ex in exhibits:
        derivatives = children.get(str(ex.item["id"]), [])
        reason = refused.get(str(ex.item["id"]))
        allowed = [d for d in derivatives if str(d["id"]) not in refused]
        if reason is None:
            ex.files = [ex.item, *allowed]
        elif allowed:
            ex.files = allowed
        else:
            ex.withheld = reason


def _extension(media_type: str) -> str:
    return mimetypes.guess_extension(media_type, strict=False) or ".bin"


def _file_name(item: dict[str, Any]) -> str:
    # Never the original file name: it can name a witness.
    role = "original" if item["derived_from"] is None else f"derivative-{item['derivation']}"
    return f"{role}-{item['sha256'][:12]}{_extension(str(item['media_type']))}"


class _Writer:
    """Writes payload files owner-only, hashing each (SHA-256 and SHA-512) as written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hashes: dict[str, dict[str, str]] = {}
        self.bytes = 0
        self._folders: set[Path] = set()

    def stream(self, rel: str, chunks: Iterable[bytes]) -> dict[str, str]:
        path = self.root / rel
        if path.parent not in self._folders:  # a mkdir per file was a tenth of the copy
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._folders.add(path.parent)
        hashes = {name: hashlib.new(name) for name in bundle_verify.ALGORITHMS}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                for h in hashes.values():
                    h.update(chunk)
                self.bytes += len(chunk)
        self.hashes[rel] = {n: h.hexdigest() for n, h in hashes.items()}
        return self.hashes[rel]

    def text(self, rel: str, text: str) -> dict[str, str]:
        return self.stream(rel, [text.encode("utf-8")])


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _compact_json(value: Any) -> str:
    # Proofs are read by programs, one file per proven event: without indentation the
    # json module's C encoder writes them (indenting falls back to its Python encoder,
    # which took a tenth of a 500-exhibit bundle's time).
    return json.dumps(value, ensure_ascii=False, sort_keys=True) + "\n"


def write_bundle(
    store: Store, actor: str, case_ref: str, out: Path, *, recipient: str,
    scope: str = "court", threshold: int = DEFAULT_THRESHOLD,
    available: Sequence[Framework] | None = None, encrypt_to: str | None = None,
    progress: Progress | None = None,
) -> BundleResult:
    """Write the court bundle of a case into ``out`` (which must not exist yet).

    ``encrypt_to``: an age recipient (or SSH public key); the bag is then encrypted for
    it (``cases.encrypt``) and ``out`` holds only ``bundle.tar.age`` and ``DECRYPT.txt``.
    ``progress(done, total, note)`` is told of each exhibit file copied (a job reports it,
    and may stop the export there by raising: nothing is recorded before every file is
    copied, and the partial folder is removed).
    """
    age_recipient = None if encrypt_to is None else parse_recipient(encrypt_to)
    # Named alike in custody and in bag-info.txt (one line), which the verifiers compare.
    recipient = recipient.replace("\r", " ").replace("\n", " ").strip()
    if scope not in SCOPES:
        raise UserError(f"a bundle's scope is one of {', '.join(SCOPES)}, not {scope!r}")
    if not recipient.strip():
        raise UserError("name the recipient (--recipient)")
    if out.exists():
        raise UserError(f"{out} already exists; give a new folder")
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True, mode=0o700)
    try:
        result = _write(store, actor, case_ref, staging, recipient, scope, threshold, available,
                        progress or _silent)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    encrypted = None if age_recipient is None else encrypt_bundle(out, age_recipient)
    return BundleResult(out, *result, encrypted=encrypted)


def _silent(_done: int, _total: int, _note: str) -> None:
    return None


def _write(store: Store, actor: str, case_ref: str, root: Path, recipient: str, scope: str,
           threshold: int, available: Sequence[Framework] | None, progress: Progress
           ) -> tuple[str, int, int, int, int, int]:
    writer = _Writer(root)
    with store.reading() as conn:
        case = load_case(store, conn, case_ref)
        rows = element_rows(store, conn, case, available=available)
        exhibits = _exhibits(conn, rows)
        audience = court_audience(recipient, scope, exhibits)
        _plan(conn, exhibits, audience)
        synthetic = any(conn.execute(select(s.persons.c.synthetic).where(
            s.persons.c.id.in_([c.suspect_id for c in case.charges]))).scalars())
    numbers = {ex.item["id"]: ex.number for ex in exhibits}
    lines = [ExhibitLine(ex.number, ex.direction, ex.withheld is not None, tuple(
        ExhibitFile(_file_name(item), str(item["sha256"]), int(item["ledger_index"]))
        for item in ex.files)) for ex in exhibits]
    report = (case.id, case.title, rows, threshold, numbers, lines, synthetic)
    # The PDF is laid out while the exhibit files are copied: it needs only the plan, and
    # the copy waits on the disk and on hashing, which release the GIL (the PDF of a
    # 500-exhibit case took longer than copying its files).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-pdf") as pool:
        pdf = pool.submit(report_pdf, *report)
        total = sum(len(ex.files) for ex in exhibits)
        progress(0, total, "copying exhibit files")
        with store.reading() as conn:
            # Exhibit files first: a hash that does not match the intake stops everything
            # before a single event is written.
            for ex in exhibits:
                for item in ex.files:
                    rel = f"data/exhibits/{ex.number}/{_file_name(item)}"
                    got = writer.stream(rel, item_content(store, conn, item))
                    if got["sha256"] != item["sha256"]:
                        pdf.cancel()
                        raise IntegrityError(f"exhibit {ex.number}: item {item['id']} does "
                                             "not match its intake hash; nothing was exported")
                    progress(len(writer.hashes), total, "copying exhibit files")
        report_pdf_bytes = pdf.result()
    going_ids = {item["id"] for ex in exhibits for item in ex.files}
    cited = bundle_proofs.cited_records(rows, going_ids)
    with store.reading() as conn:
        # Each cited record's person rests on a linkage decision: its run's row is proven.
        linkage, link_rows = bundle_proofs.link_decisions(conn, cited)
    records = matrix_records(rows, threshold, numbers)
    matrix = {"case": {"id": case.id, "title": case.title}, "threshold": threshold,
              "wording": "supported by N independent sources; never 'proven'",
              "elements": records, "gaps": gap_report(rows, threshold), "linkage": linkage,
              "exhibits": {ex.number: {"direction": ex.direction,
                                       "withheld": ex.withheld is not None}
                           for ex in exhibits}}
    payload = {"matrix.json": _json_text(matrix).encode(),
               "matrix.csv": matrix_csv(records).encode(),
               "withheld.csv": _withheld_csv(exhibits).encode(),
               "report.html": render_report(*report).encode(),
               "report.pdf": report_pdf_bytes}
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in payload.items()}
    export_id, now = new_id("export"), utc_now()
    going = [(ex, item) for ex in exhibits for item in ex.files]
    with store.transaction(actor) as tx:
        for ex, item in going:
            custody_id = new_id("custody")
            # The recipient is sealed in the step (row and event), whatever the item's
            # sensitivity: who holds a case can warn a suspect. The event commits to the
            # sealed field, so this bundle discloses it to the court with a field proof;
            # in the ledger and to readers of the item it reads as the placeholder.
            tx.emit("custody.recorded", tx.seal_protected("custody", {
                "id": custody_id, "item_id": item["id"],
                "action": str(CustodyAction.TRANSFERRED), "actor": tx.actor, "from_party": None,
                "how": f"transferred to {recipient} in court bundle {export_id} "
                       f"(exhibit {ex.number})",
                "location": f"{BUNDLE_LOCATION}{export_id}", "sha256": item["sha256"],
                "at": now, "notes": None}, custody_id, placeholders={
                    "how": court_transfer_placeholder(export_id, ex.number)}), time=now)
        # The custody logs (this export's transfers in them) and the exhibits' descriptions
        # are made here, so that the export event names them, through
        # ``exhibit-manifest.txt``, as it names the matrix: the bag's own manifests are not
        # signed, and whoever rebuilt them could otherwise rename a custodian or turn an
        # exculpatory exhibit incriminating with every verifier still saying OK.
        tx.flush()  # the transfers' rows and events, for the reads below
        custody, proven, custody_fields = _custody_logs(tx.conn, store.keys, exhibits,
                                                        export_id)
        meta = _MetaReader(tx.conn, store.keys, [ex for ex in exhibits if ex.files],
                           audience)
        described = {**custody, **{
            f"exhibits/{ex.number}/exhibit.json": _json_text(meta.exhibit(ex)).encode()
            for ex in exhibits if ex.files}}
        payload[bundle_verify.DESCRIBED] = bundle_verify.described_manifest(
            {rel: hashlib.sha256(data).hexdigest() for rel, data in described.items()}
        ).encode()
        digests[bundle_verify.DESCRIBED] = hashlib.sha256(
            payload[bundle_verify.DESCRIBED]).hexdigest()
        export_index = tx.emit("case.exported", {
            "id": export_id, "case_id": case.id, "scope": scope,
            "exhibits": sum(1 for ex in exhibits if ex.files),
            "withheld": sum(1 for ex in exhibits if ex.withheld), "exported_at": now,
            "sealed": tx.seal({"recipient": recipient}, export_id), "digests": digests,
        }, time=now)
    note = store.checkpoint()
    for name, data in [*payload.items(), *described.items()]:
        writer.stream(f"data/{name}", [data])
    writer.text("data/checkpoint.txt", note)
    with store.reading() as conn:
        proven |= {export_index, case.ledger_index} | meta.capture.proven
        proven |= {lk.ledger_index for lk in case.links}
        proven |= _charge_indices(conn, case)
        # Cited rows of list imports whose file goes: proven alone (bundle_proofs).
        disclosed = bundle_proofs.merge(custody_fields, bundle_proofs.record_disclosures(
            conn, store.keys, cited), link_rows, meta.capture.disclosed)
        proven |= set(disclosed)
        cp_size = Checkpoint.parse(unverified_note_text(note)).size
        bodies = _event_bodies(conn, sorted(proven))
        leaves = _event_bodies(conn, sorted(proven), "leaf_hash")
        for index, proof in _inclusion_proofs(conn, sorted(proven), cp_size):
            # A redacted event goes redacted, its stored leaf proven (ledger.redaction).
            writer.text(f"data/proofs/{index}.json", _compact_json(bundle_proofs.proof_document(
                make_bundle(index, bodies[index], proof, note, leaves[index]),
                disclosed.get(index))))
    _finish_bag(root, writer, recipient, export_index, case)
    return (export_id, sum(1 for ex in exhibits if ex.files),
            sum(1 for ex in exhibits if ex.withheld), len(writer.hashes), writer.bytes, cp_size)


def _charge_indices(conn: Connection, case: Case) -> set[int]:
    ch = s.case_charges.c
    return {int(i) for i in conn.execute(select(ch.ledger_index).where(ch.case_id == case.id))
            .scalars()}


def _event_bodies(conn: Connection, indices: Sequence[int], column: str = "body"
                  ) -> dict[int, bytes]:
    """The stored bytes of many events (or another bytes ``column`` of theirs: their
    ``leaf_hash``), read in batches."""
    e = s.ledger_events.c
    out: dict[int, bytes] = {}
    for start in range(0, len(indices), _BATCH):
        part = list(indices[start:start + _BATCH])
        out.update((int(i), bytes(b)) for i, b in conn.execute(
            select(e.idx, e[column]).where(e.idx.in_(part))))
    return out


class _KeysOnly:
    """A node reader that records which tree nodes a proof needs (they depend on the
    index and the size only) and answers with placeholders."""

    def __init__(self) -> None:
        self.keys: set[tuple[int, int]] = set()

    def get_nodes(self, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        self.keys.update(keys)
        return dict.fromkeys(keys, bytes(32))


class _Known:
    def __init__(self, nodes: Mapping[tuple[int, int], bytes]) -> None:
        self.nodes = nodes

    def get_nodes(self, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        return {k: self.nodes[k] for k in keys}


def _inclusion_proofs(conn: Connection, indices: Sequence[int], size: int
                      ) -> Iterator[tuple[int, list[bytes]]]:
    """Inclusion proofs of many events to one tree size, from one batched read of the
    tree's nodes (one query per proof was most of a large bundle's time)."""
    current, _ = ledger_log.head(conn)
    if size > current:
        raise IntegrityError(f"a checkpoint of size {size} is ahead of the log ({current})")
    wanted = _KeysOnly()
    for index in indices:
        merkle.inclusion_proof(index, size, wanted)
    known = _Known(ledger_log.SqlNodes(conn).get_nodes(wanted.keys))
    for index in indices:
        yield index, merkle.inclusion_proof(index, size, known)


def _custody_line(conn: Connection, keys: KeyRing, index: int, body: bytes,
                  disclosed: bundle_proofs.Disclosure | None = None,
                  names: dict[str, str] | None = None) -> dict[str, Any]:
    """One custody line: the event verbatim, and its custodian named (a court bundle is
    where custodians are named: from their sealed pseudonym mapping; a name erased
    since stays unnamed). The name is disclosed beside the proven event, not proven by it.
    Sealed fields with commitments are disclosed in ``disclosed``, proven by the event's
    selective proof."""
    text = body.decode("utf-8")
    actor = str(json.loads(text)["data"].get("actor") or "")
    line: dict[str, Any] = {"index": index, "event": text}
    if actor:
        # One unsealing per custodian, not per line (most lines share a few custodians).
        known = names if names is not None else {}
        if actor not in known:
            known[actor] = name_of(conn, keys, actor) or "[name erased]"
        line["custodian"] = known[actor]
    if disclosed is not None:
        line["disclosed"] = disclosed.values()
    return line


#: A custody line in place of another bundle's court transfer that names its recipient in
#: clear (written before 8e1750f): the event is not in the bundle.
WITHHELD_TRANSFER = "a transfer in another court bundle, its recipient in clear"


def _custody_logs(conn: Connection, keys: KeyRing, exhibits: Sequence[Exhibit],
                  export_id: str,
                  ) -> tuple[dict[str, bytes], set[int], dict[int, bundle_proofs.Disclosure]]:
    """Each exhibit's chain of custody (``custody/<n>.jsonl`` → its bytes): the events
    verbatim, oldest first, custodians named, sealed fields disclosed (and proven by
    selective proofs: the third result; the second, the events to prove), except
    those of a transfer in any other bundle than ``export_id``'s, this case's earlier ones
    included: each recipient is disclosed to its own court only (a court, the defence it
    discloses to, or a leak of it would otherwise learn which other court or prosecutor
    holds the case, which can warn a suspect who travels). The case's team reads them all
    (``access.reads.custody_of``)."""
    proven: set[int] = set()
    files: dict[str, bytes] = {}
    chains: dict[str, list[int]] = {}
    going = [item["id"] for ex in exhibits for item in ex.files]
    for row in _rows_where_in(conn, s.custody, "item_id", going):
        chains.setdefault(str(row["item_id"]), []).append(int(row["ledger_index"]))
    bodies = _event_bodies(conn, sorted({i for chain in chains.values() for i in chain}))
    ours = f"{BUNDLE_LOCATION}{export_id}"
    data = {i: json.loads(body)["data"] for i, body in bodies.items()}
    theirs = {i for i, d in data.items() if str(d.get("location") or "").startswith(
        BUNDLE_LOCATION) and d.get("location") != ours}
    # Another bundle's transfer written before 8e1750f names its recipient in clear: its
    # event cannot go, not even in its proof; the line keeps its place, withheld.
    withheld = {i for i in theirs if clear_court_transfer(data[i]) is not None}
    disclosed = bundle_proofs.custody_disclosures(
        conn, keys, {i: body for i, body in bodies.items() if i not in theirs})
    names: dict[str, str] = {}
    for ex in exhibits:
        if not ex.files:
            continue
        indices = sorted(i for item in ex.files for i in chains.get(str(item["id"]), []))
        lines = [json.dumps({"index": i, "withheld": WITHHELD_TRANSFER} if i in withheld
                            else _custody_line(conn, keys, i, bodies[i], disclosed.get(i),
                                               names), ensure_ascii=False) for i in indices]
        proven.update(set(indices) - withheld)
        files[f"custody/{ex.number}.jsonl"] = ("\n".join(lines) + "\n").encode("utf-8")
        proven |= {int(item["ledger_index"]) for item in ex.files}
    return files, proven, disclosed


def direct_or_hearsay(conn: Connection, keys: KeyRing, source_id: str) -> str:
    """What the witness knew directly and what by hearsay, from the testimony's segments
    (each marked so at intake; a protected testimony's marks are sealed and opened here,
    for an exhibit already cleared to go). Counted, never judged: a court weighs it."""
    g = s.testimony_segments.c
    counts = dict.fromkeys(testimonies.KNOWLEDGE, 0)
    for segment_id, knowledge, sealed in conn.execute(
            select(g.id, g.knowledge, g.sealed).where(g.source_id == source_id)):
        if knowledge not in counts and sealed:
            payload = keys.unseal(conn, sealed, str(segment_id))
            knowledge = None if payload is None else payload.get("knowledge")
        if knowledge in counts:
            counts[knowledge] += 1
    direct, hearsay = counts["direct"], counts["hearsay"]
    if not direct and not hearsay:
        return "not assessed (no testimony segment of this source is marked)"
    if not hearsay:
        return f"direct ({direct} segment{'s' if direct != 1 else ''})"
    if not direct:
        return f"hearsay ({hearsay} segment{'s' if hearsay != 1 else ''})"
    return f"mixed: {direct} segment{'s' if direct != 1 else ''} direct, {hearsay} hearsay"


class _MetaReader:
    """What ``exhibit.json`` says of each exhibit, read in batches: the exhibits' sources,
    their capture (claimed and verified, :mod:`dadkhahi.cases.bundle_capture`), and direct
    or hearsay once per source (three queries per exhibit were a large share of a
    500-exhibit bundle's time)."""

    def __init__(self, conn: Connection, keys: KeyRing, exhibits: Sequence[Exhibit],
                 audience: Audience) -> None:
        self._conn, self._keys = conn, keys
        self._sources = {str(r["id"]): r for r in _rows_where_in(
            conn, s.sources, "id", sorted({str(ex.item["source_id"]) for ex in exhibits}))}
        self.capture = CaptureReader(conn, keys, [ex.item for ex in exhibits
                                                  if _original_goes(ex)], audience)
        self._knowledge: dict[str, str] = {}
        # Who cut each derivative that goes (an excerpt, a redacted copy, a transcription):
        # the custodian of its first custody step, "derived" (rows come in ledger order).
        self._cuts: dict[str, dict[str, Any]] = {}
        for row in _rows_where_in(conn, s.custody, "item_id", [
                str(item["id"]) for ex in exhibits for item in ex.files
                if item["derived_from"] is not None]):
            if row["action"] == CustodyAction.DERIVED:
                self._cuts.setdefault(str(row["item_id"]), row)
        self._names: dict[str, str] = {}

    def cut_by(self, item: Mapping[str, Any]) -> dict[str, Any] | None:
        """Who cut a derivative (named beside the pseudonym, as on its custody line, not
        proven), when, and the custody event that records it; None for an original."""
        row = self._cuts.get(str(item["id"]))
        if row is None:
            return None
        actor = str(row["actor"])
        if actor not in self._names:
            self._names[actor] = name_of(self._conn, self._keys, actor) or "[name erased]"
        return {"name": self._names[actor], "actor": actor, "at": row["at"],
                "custody_event": int(row["ledger_index"])}

    def exhibit(self, ex: Exhibit) -> dict[str, Any]:
        source_id = str(ex.item["source_id"])
        source = self._sources[source_id]
        if not _original_goes(ex):
            # Counted from the testimony's (sealed) segments only when the original goes:
            # a released redacted copy going alone discloses nothing more of its source.
            return _exhibit_meta(ex, source, self.capture.capture(ex.item, False),
                                 "not shown: only a redacted copy of the original goes",
                                 self.cut_by)
        if source_id not in self._knowledge:
            self._knowledge[source_id] = direct_or_hearsay(self._conn, self._keys, source_id)
        return _exhibit_meta(ex, source, self.capture.capture(ex.item, True),
                             self._knowledge[source_id], self.cut_by)


def _original_goes(ex: Exhibit) -> bool:
    return any(item["id"] == ex.item["id"] for item in ex.files)


def _exhibit_meta(ex: Exhibit, source: Mapping[str, Any], capture: dict[str, Any],
                  knowledge: str,
                  cut_by: Callable[[Mapping[str, Any]], dict[str, Any] | None]
                  ) -> dict[str, Any]:
    return {
        "exhibit": ex.number,
        "direction": ex.direction,
        "source_kind": source["kind"],
        "capture": capture,
        "direct_or_hearsay": knowledge,
        "files": [{
            "path": _file_name(item), "item_id": item["id"], "sha256": item["sha256"],
            "size": item["size"], "media_type": item["media_type"],
            "item_event": int(item["ledger_index"]),
            "original_or_excerpt": "original" if item["derived_from"] is None
            else f"derivative ({item['derivation']}) of {item['derived_from']}",
            "cut_by": cut_by(item),
        } for item in ex.files],
    }


def _withheld_csv(exhibits: Sequence[Exhibit]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["exhibit", "reason"])
    for ex in exhibits:
        if ex.withheld:
            w.writerow([ex.number, ex.withheld])
    return buf.getvalue()


def verifier_script() -> str:
    """``verify_bundle.py``: the bundle verifier with the offline kit embedded verbatim."""
    try:
        return standalone_script(
            bundle_verify.__file__,
            "from dadkhahi.offline import kit  # embedded verbatim in verify_bundle.py\n")
    except ValueError as exc:
        raise IntegrityError(str(exc)) from None


def verifier_sha256() -> str:
    """The SHA-256 of :func:`verifier_script` (hex): what each release publishes
    (``dadkhahi bundle verifier --sha256``) and each bundle's ``VERIFY.txt`` repeats."""
    return hashlib.sha256(verifier_script().encode("utf-8")).hexdigest()


VERIFY_TEXT = """\
HOW TO VERIFY THIS BUNDLE (Dadkhahi court bundle)
================================================

This folder is a BagIt 1.0 bag (RFC 8493). It holds exhibits, their chains of custody,
the evidence matrix, and RFC 9162 inclusion proofs of every ledger event it relies on,
all to one signed checkpoint (data/checkpoint.txt, a C2SP signed note).

1. Obtain the ledger's verifier key INDEPENDENTLY of this bundle: from the
   organisation's website, from earlier filings, or from witness cosignatures. Do not
   take it from the bundle or from whoever delivered it: a forger could re-sign a
   bundle with their own key and ship a verifier that agrees with it.

2. Check the verifier script before running it. Its SHA-256 must equal the one the
   Dadkhahi release that wrote this bundle publishes (Dadkhahi {version}; the release's
   own copy prints it: dadkhahi bundle verifier --sha256). Compare with the published
   value, not with the line below, which comes with the bundle:

       sha256sum verify_bundle.py
       this bundle says: {script_sha256}

3. Run it (Python 3.11 or later, standard library only, no network):

       python3 verify_bundle.py . --key 'VERIFIER-KEY-TEXT'

   It checks the bag and both manifests, the checkpoint's signature, every inclusion
   proof, each exhibit's hash against the intake hash recorded in the ledger, each
   exhibit's capture time and place (claimed, verified) against the events recording
   them, each custody line against the ledger, and that the matrix, report, withheld list, custody
   logs and exhibit descriptions (exhibit.json, through data/exhibit-manifest.txt) are
   the ones the export event names. Any failure is printed with the file it concerns.
   The bag's manifests are not signed, so step 4 alone proves only that the files agree
   with them; the export event, proven to the signed checkpoint, is what fixes them.

4. As an independent check of the bag alone (another implementation):

       bagit.py --validate .      (from the 'bagit' package on PyPI)

What is withheld: data/withheld.csv lists exhibits left out and why, never who.
Matrix wording: "supported by N independent sources" is a count of sources not joined
by a recorded provenance link; it is not a finding that anything is proven.
The matrix lists every element below the threshold ("gaps"), and every element linked to
a fact withdrawn since (its "withdrawn_at": the link stays, counted as support of nothing);
the team's internal marks on those gaps (a status and a note: investigative work product)
are not in this bundle.
A derivative (an excerpt, a redacted copy, a transcription) says who cut it ("cut_by": the
custodian named as on its custody line, and the custody event recording it, proven).
Custody lines are the ledger's events verbatim; fields sealed in the ledger stay sealed,
except those disclosed beside them ("disclosed"), each proven by a selective proof in
data/proofs/ (the field's value and salt hash to the commitment the event carries).
The transfer to this bundle's recipient is one: the ledger keeps the recipient sealed
(who holds a case is not public), and its custody line discloses it, proven. A transfer
in any other bundle (another case's, or an earlier bundle of this case, to this or another
recipient) stays sealed: each bundle names its own recipient only. One written before
recipients were sealed, naming its recipient in clear, is withheld: its line gives only its
index ("withheld").
Capture: each exhibit.json gives when and where the exhibit was made as its source claims
it (the source's registration event, proven) and as verifiers found it ("verified": each
verification's event, proven; the verifier named beside it, not proven), or "verified":
null when none is recorded. A verification's result says whether what was found is
consistent with the claim; it is not a finding that anything is proven.
A fact resting on a row of an imported list is proven by that row alone: its bytes and
an inclusion path to the root the import event commits to; the other rows stay home.
A record's person rests on a linkage decision: data/matrix.json lists each one the cited
records rely on ("linkage"), and the proof of its link.run event discloses that decision's
row alone; the verifier checks the two agree.

No conformance with the ICC's e-Court protocol (or any court's filing format) is
claimed. This bundle is for a court's technician to verify; admissibility is for the
court.
"""


def _finish_bag(root: Path, writer: _Writer, recipient: str, export_index: int,
                case: Case) -> None:
    payload = sorted(writer.hashes)
    for algorithm in bundle_verify.ALGORITHMS:
        lines = "".join(f"{writer.hashes[rel][algorithm]}  {bundle_verify.encode_path(rel)}\n"
                        for rel in payload)
        _tag(root, f"manifest-{algorithm}.txt", lines)
    size = sum((root / rel).stat().st_size for rel in payload)
    _tag(root, "bagit.txt", bundle_verify.BAGIT_TXT)
    _tag(root, "bag-info.txt", "".join(f"{k}: {v}\n" for k, v in (
        ("Bag-Software-Agent", SOFTWARE),
        ("Bagging-Date", utc_now()[:10]),
        ("Payload-Oxum", f"{size}.{len(payload)}"),
        ("Recipient", recipient.replace("\n", " ")),
        ("Export-Event", str(export_index)),
        ("External-Description", f"Court bundle of case {case.id}"),
    )))
    script = verifier_script()
    _tag(root, "verify_bundle.py", script, mode=0o700)
    _tag(root, "VERIFY.txt", VERIFY_TEXT.format(
        script_sha256=hashlib.sha256(script.encode()).hexdigest(),
        version=importlib.metadata.version("dadkhahi")))
    tags = sorted(p.name for p in root.iterdir()
                  if p.is_file() and not p.name.startswith("tagmanifest-"))
    for algorithm in bundle_verify.ALGORITHMS:
        lines = "".join(
            f"{hashlib.new(algorithm, (root / n).read_bytes()).hexdigest()}  {n}\n" for n in tags)
        _tag(root, f"tagmanifest-{algorithm}.txt", lines)


def _tag(root: Path, name: str, text: str, mode: int = 0o600) -> None:
    fd = os.open(root / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


__all__ = ["SCOPES", "VERIFY_TEXT", "BundleResult", "Exhibit", "direct_or_hearsay",
           "verifier_script", "verifier_sha256", "withheld_reasons", "write_bundle"]
