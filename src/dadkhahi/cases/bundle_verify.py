"""Check a court bundle offline, trusting nothing in it but the key you bring.

This module is the verifier twice over: ``dadkhahi bundle verify`` imports it, and
every bundle carries it as ``verify_bundle.py`` (standard library only, with the
project's offline kit embedded verbatim), so the court's technician and the project
run one implementation. It checks:

* the bag (RFC 8493, BagIt 1.0): ``bagit.txt``; every payload file listed in both
  payload manifests (SHA-256 and SHA-512) with matching hashes, nothing listed that is
  missing and nothing present that is unlisted; every tag file in both tag manifests;
  ``Payload-Oxum``;
* ``data/checkpoint.txt``: a C2SP checkpoint signed by the key given;
* every proof in ``data/proofs/``: an RFC 9162 inclusion proof of its event to that
  checkpoint's root; a selective proof also discloses rows of a batch event (each with
  its path to the event's rows root) and sealed fields (each against its salted
  commitment), all checked; a redacted event's proof (``redacted``) proves its stored
  leaf only, so no check below rests on what its body says;
* every exhibit file: its hash equals the intake hash in its proven ``item.added`` event;
* every exhibit's capture (``exhibit.json``): the claimed time and place are the fields of
  the source's proven registration, and each verification shown is a proven
  ``item.capture_verified`` event of the exhibit's original, saying exactly that;
* every derivative's ``cut_by`` (who cut an excerpt): its proven ``derived`` custody step,
  by that pseudonym at that time, named as its custody line names the custodian;
* every custody line (but a withheld one: another bundle's transfer written with its
  recipient in clear, not in the bundle): the very bytes of a proven
  ``custody.recorded`` event of that exhibit's item, ending with the transfer to this
  bundle's recipient (sealed in the ledger, disclosed and proven by the event's
  selective proof), its disclosed sealed fields the ones the event's selective proof
  proves;
* the export event (proven): the matrix, report and withheld-list files are the ones it names,
  and so are the custody logs and every ``exhibit.json``, through ``exhibit-manifest.txt``
  (which it names; a bundle written before names none, and its custody logs and exhibit
  descriptions rest on the bag's unsigned manifests alone);
* every linkage decision the matrix lists (``linkage``: a record put with its person by a
  ``link.run``): a disclosed row of that proven run says exactly that.

The key is an argument on purpose: a forger could re-sign a bundle with their own key
and ship a matching verifier. Obtain the key independently.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dadkhahi.offline import kit  # embedded verbatim in verify_bundle.py

BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
ALGORITHMS = ("sha256", "sha512")
CHUNK = 4 * 1024 * 1024
EXPORT_EVENT = "case.exported"
#: The file the export event names that names every custody log and ``exhibit.json``.
DESCRIBED = "exhibit-manifest.txt"


def hash_file(path: Path) -> dict[str, str]:
    """SHA-256 and SHA-512 of a file, read once in large chunks."""
    hashes = {name: hashlib.new(name) for name in ALGORITHMS}
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            for h in hashes.values():
                h.update(chunk)
    return {name: h.hexdigest() for name, h in hashes.items()}


def _decode_path(text: str) -> str:
    # RFC 8493 §2.1.3: CR, LF and % in a path are percent-encoded.
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def encode_path(text: str) -> str:
    """A path as a manifest line writes it (RFC 8493 §2.1.3)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _read_manifest(root: Path, name: str, problems: list[str]) -> dict[str, str]:
    path = root / name
    if not path.is_file():
        problems.append(f"{name}: missing")
        return {}
    entries: dict[str, str] = {}
    for number, line in enumerate(path.read_text("utf-8", "replace").splitlines(), 1):
        digest, _, rel = line.strip().partition(" ")
        rel = _decode_path(rel.strip())
        if not digest or not rel:
            problems.append(f"{name} line {number}: not '<hash> <path>'")
        elif rel in entries:
            problems.append(f"{name} line {number}: {rel} listed twice")
        else:
            entries[rel] = digest.lower()
    return entries


def _files(root: Path, under: str) -> Iterator[str]:
    base = root / under
    for folder, dirs, names in os.walk(base):
        dirs.sort()
        for name in sorted(names):
            yield (Path(folder) / name).relative_to(root).as_posix()


def _tag_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()
                  if p.is_file() and not p.name.startswith("tagmanifest-"))


def check_bag(root: Path, problems: list[str]) -> dict[str, dict[str, str]]:
    """Check the bag's structure and every hash; return each payload file's hashes."""
    bagit_txt = root / "bagit.txt"
    if not bagit_txt.is_file() or bagit_txt.read_bytes() != BAGIT_TXT.encode():
        problems.append("bagit.txt: missing or not 'BagIt-Version: 1.0' with UTF-8 tag files")
    present = list(_files(root, "data"))
    computed = {rel: hash_file(root / rel) for rel in present}
    for kind, listed_files, actual in (
        ("manifest", present, computed),
        ("tagmanifest", _tag_files(root), None),
    ):
        hashes = actual if actual is not None else {r: hash_file(root / r) for r in listed_files}
        for algorithm in ALGORITHMS:
            name = f"{kind}-{algorithm}.txt"
            listed = _read_manifest(root, name, problems)
            for rel in listed_files:
                if rel not in listed:
                    problems.append(f"{rel}: present but not listed in {name}")
                elif listed[rel] != hashes[rel][algorithm]:
                    problems.append(f"{rel}: {algorithm} does not match {name}")
            for rel in sorted(set(listed) - set(listed_files)):
                problems.append(f"{rel}: listed in {name} but missing")
    info = _bag_info(root, problems)
    oxum = f"{sum((root / r).stat().st_size for r in present)}.{len(present)}"
    if info.get("Payload-Oxum") != oxum:
        problems.append(f"bag-info.txt: Payload-Oxum {info.get('Payload-Oxum')!r} "
                        f"but the payload is {oxum}")
    return computed


def _bag_info(root: Path, problems: list[str]) -> dict[str, str]:
    path = root / "bag-info.txt"
    if not path.is_file():
        problems.append("bag-info.txt: missing")
        return {}
    info: dict[str, str] = {}
    for line in path.read_text("utf-8", "replace").splitlines():
        label, sep, value = line.partition(":")
        if sep:
            info[label.strip()] = value.strip()
    return info


def _json(root: Path, rel: str, problems: list[str]) -> Any:
    try:
        return json.loads((root / rel).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problems.append(f"{rel}: not readable JSON ({type(exc).__name__})")
        return None


def check_proofs(root: Path, verifier: kit.Verifier, problems: list[str]
                 ) -> tuple[kit.Checkpoint | None, dict[int, dict[str, Any]]]:
    """The signed checkpoint and every proven event (index → parsed event)."""
    note_path = root / "data" / "checkpoint.txt"
    try:
        note = note_path.read_text("utf-8")
        checkpoint = kit.open_checkpoint(note, verifier)
    except (OSError, UnicodeDecodeError, kit.KitError) as exc:
        problems.append(f"data/checkpoint.txt: {exc}")
        return None, {}
    events: dict[int, dict[str, Any]] = {}
    for rel in _files(root, "data/proofs"):
        document = _json(root, rel, problems)
        if not isinstance(document, dict):
            continue
        # A selective proof wraps the event's inclusion proof with the rows and sealed
        # fields it discloses; those are checked once the event is proven.
        selective = document.get("format") == kit.SELECTIVE_FORMAT
        proof = document.get("inclusion") if selective else document
        if not isinstance(proof, dict):
            problems.append(f"{rel}: a selective proof without its inclusion proof")
            continue
        index, event_text = proof.get("index"), proof.get("event")
        inclusion = proof.get("inclusion")
        if (not isinstance(index, int) or not isinstance(event_text, str)
                or not isinstance(inclusion, list)
                or not all(isinstance(h, str) and len(h) == 64 for h in inclusion)):
            problems.append(f"{rel}: not an inclusion proof (index, event, inclusion)")
            continue
        if Path(rel).name != f"{index}.json":
            problems.append(f"{rel}: names event {index}")
        if proof.get("checkpoint") != note or proof.get("tree_size") != checkpoint.size:
            problems.append(f"{rel}: proven to another checkpoint than data/checkpoint.txt")
        leaf = kit.leaf_hash(event_text.encode("utf-8"))
        stated = proof.get("leaf_hash")
        if _redacted(event_text) and isinstance(stated, str) and len(stated) == 64:
            # Redacted since it was written (words a witness's erasure took out): its body
            # no longer hashes to its leaf; the leaf the ledger keeps is what is proven.
            leaf = bytes.fromhex(stated) if _is_hex(stated) else leaf
        try:
            path = [bytes.fromhex(h) for h in inclusion]
        except ValueError:
            problems.append(f"{rel}: inclusion hashes are not hex")
            continue
        if stated != leaf.hex():
            problems.append(f"{rel}: leaf_hash is not the hash of the event")
        elif not kit.verify_inclusion(leaf, index, checkpoint.size, path, checkpoint.root_hash):
            problems.append(f"{rel}: inclusion proof does not lead to the checkpoint's root")
        else:
            try:
                events[index] = {"text": event_text, **json.loads(event_text)}
            except ValueError:
                problems.append(f"{rel}: the event is not JSON")
                continue
            if selective:
                try:
                    events[index]["disclosed"] = kit.check_selective(event_text, document)
                except kit.KitError as exc:
                    problems.append(f"{rel}: {exc}")
    return checkpoint, events


def _redacted(event_text: str) -> bool:
    """Whether a proven event's text is a redacted form (dadkhahi.ledger.redaction): an
    event whose identifying fields were removed after it was written, marked by a
    top-level ``redacted`` member no event as written has."""
    try:
        parsed = json.loads(event_text)
    except ValueError:
        return False
    return isinstance(parsed, dict) and isinstance(parsed.get("redacted"), dict)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _event(events: dict[int, dict[str, Any]], index: object, kind: str, where: str,
           problems: list[str]) -> dict[str, Any] | None:
    event = events.get(index) if isinstance(index, int) else None
    if event is None:
        problems.append(f"{where}: event {index} is not among the proven events")
        return None
    if event.get("type") != kind:
        problems.append(f"{where}: event {index} is a {event.get('type')}, not a {kind}")
        return None
    if _redacted(event["text"]):
        # Only a redacted event's stored leaf is proven: its body is whatever the bundle
        # carries, so nothing (an exhibit's hash, a custody line) may rest on what it says.
        problems.append(f"{where}: event {index} is redacted: only its leaf is proven, "
                        "not what it says")
        return None
    data: dict[str, Any] = event["data"]
    return data


def check_exhibits(root: Path, events: dict[int, dict[str, Any]],
                   hashes: dict[str, dict[str, str]], recipient: str | None,
                   problems: list[str]) -> int:
    """Every exhibit file against its intake hash, every custody line against the ledger."""
    exhibits = sorted(p for p in (root / "data" / "exhibits").glob("*") if p.is_dir()) \
        if (root / "data" / "exhibits").is_dir() else []
    described: set[str] = set()
    for folder in exhibits:
        rel_meta = f"data/exhibits/{folder.name}/exhibit.json"
        meta = _json(root, rel_meta, problems)
        if not isinstance(meta, dict) or not isinstance(meta.get("files"), list):
            problems.append(f"{rel_meta}: no list of files")
            continue
        described.add(rel_meta)
        items: set[str] = set()
        originals: dict[str, dict[str, Any]] = {}
        cuts: list[tuple[str, str, Any]] = []
        for entry in meta["files"]:
            rel = f"data/exhibits/{folder.name}/{entry.get('path')}"
            described.add(rel)
            data = _event(events, entry.get("item_event"), "item.added", rel, problems)
            if data is None:
                continue
            if data.get("id") != entry.get("item_id"):
                problems.append(f"{rel}: the proven intake event is of another item")
            if rel not in hashes:
                problems.append(f"{rel}: missing")
            elif hashes[rel]["sha256"] != data.get("sha256"):
                problems.append(f"{rel}: its SHA-256 is not the intake hash in the ledger")
            items.add(str(data.get("id")))
            if data.get("derived_from") is None:
                originals[str(data.get("id"))] = data
            elif "cut_by" in entry:  # a bundle written before says nothing of it
                cuts.append((rel, str(data.get("id")), entry["cut_by"]))
        _check_capture(rel_meta, meta.get("capture"), originals, events, problems)
        named = _check_custody(root, folder.name, items, events, recipient, problems)
        for rel, item, cut in cuts:
            _check_cut(rel, item, cut, events, named, problems)
    for rel in hashes:
        if rel.startswith("data/exhibits/") and rel not in described:
            problems.append(f"{rel}: not described by its exhibit.json")
    return len(exhibits)


#: ``exhibit.json`` capture claim → the source's field that holds it.
CLAIMED = {"time": "collected_at", "place": "location"}
#: The fields of a capture verification ``exhibit.json`` shows, as its event names them.
VERIFIED = ("at", "actor", "method", "result", "time", "place", "note")


def _proven_value(event: dict[str, Any], name: str) -> Any:
    """A field of a proven event: disclosed by its selective proof, else as it stands."""
    fields = (event.get("disclosed") or {}).get("fields", {})
    return fields[(None, name)] if (None, name) in fields else event["data"].get(name)


def _check_capture(rel: str, capture: Any, originals: dict[str, dict[str, Any]],
                   events: dict[int, dict[str, Any]], problems: list[str]) -> None:
    """The capture time and place an exhibit claims and the verifications it shows, each
    against its proven event: the source's registration, ``item.capture_verified`` of the
    exhibit's original. (A bundle written before shows no events here: nothing to check.)"""
    if not isinstance(capture, dict):
        return
    claimed = capture.get("claimed")
    if isinstance(claimed, dict) and "event" in claimed:
        index = claimed["event"]
        if index is None:
            if any(claimed.get(k) is not None for k in CLAIMED):
                problems.append(f"{rel}: a claimed capture time or place without its event")
        elif (data := _event(events, index, "source.registered", f"{rel} claimed capture",
                             problems)) is not None:
            if not any(o.get("source_id") == data.get("id") for o in originals.values()):
                problems.append(f"{rel}: the claimed capture is another source's (event "
                                f"{index})")
            for shown, field in CLAIMED.items():
                if claimed.get(shown) != _proven_value(events[index], field):
                    problems.append(f"{rel}: claimed capture {shown} is not what the proven "
                                    f"event {index} says")
    verified = capture.get("verified")
    for n, entry in enumerate(verified if isinstance(verified, list) else [], 1):
        where = f"{rel} verification {n}"
        index = entry.get("event") if isinstance(entry, dict) else None
        data = _event(events, index, "item.capture_verified", where, problems)
        if data is None or not isinstance(entry, dict) or not isinstance(index, int):
            continue
        if data.get("item_id") not in originals:
            problems.append(f"{where}: event {index} verifies another item than this "
                            "exhibit's original")
        for name in VERIFIED:
            if entry.get(name) != _proven_value(events[index], name):
                problems.append(f"{where}: {name} is not what the proven event {index} says")


def _check_cut(rel: str, item: str, cut: Any, events: dict[int, dict[str, Any]],
               named: dict[int, Any], problems: list[str]) -> None:
    """Who cut a derivative: a proven ``derived`` custody step of that very file, by that
    pseudonym at that time, the custodian named as its custody line names them."""
    where = f"{rel} cut_by"
    if not isinstance(cut, dict):
        problems.append(f"{where}: says no one cut this derivative")
        return
    index = cut.get("custody_event")
    data = _event(events, index, "custody.recorded", where, problems)
    if data is None or not isinstance(index, int):
        return
    if (data.get("item_id") != item or data.get("action") != "derived"
            or data.get("actor") != cut.get("actor") or data.get("at") != cut.get("at")):
        problems.append(f"{where}: not what the proven custody event {index} (the derivative "
                        "made) says")
    if named.get(index) != cut.get("name"):
        problems.append(f"{where}: names {cut.get('name')!r}, the custody line of event "
                        f"{index} {named.get(index)!r}")


def _check_custody(root: Path, number: str, items: set[str],
                   events: dict[int, dict[str, Any]], recipient: str | None,
                   problems: list[str]) -> dict[int, Any]:
    """Each custody line against its proven event; returns the custodian each line names,
    by event."""
    rel = f"data/custody/{number}.jsonl"
    named: dict[int, Any] = {}
    try:
        lines = (root / rel).read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        problems.append(f"{rel}: missing or unreadable")
        return named
    transferred: set[str] = set()
    for number_, line in enumerate(lines, 1):
        where = f"{rel} line {number_}"
        try:
            entry = json.loads(line)
        except ValueError:
            problems.append(f"{where}: not JSON")
            continue
        if isinstance(entry, dict) and set(entry) == {"index", "withheld"}:
            continue  # another bundle's transfer naming its recipient in clear
        index = entry.get("index")
        data = _event(events, index, "custody.recorded", where, problems)
        if data is None:
            continue
        if entry.get("event") != events[index]["text"]:
            problems.append(f"{where}: differs from the proven custody event {index}")
        named[index] = entry.get("custodian")
        proven_fields = (events[index].get("disclosed") or {}).get("fields", {})
        for name, value in dict(entry.get("disclosed") or {}).items():
            if (None, name) not in proven_fields or proven_fields[(None, name)] != value:
                problems.append(f"{where}: disclosed field {name} is not the one the "
                                f"selective proof of event {index} proves")
        if data.get("item_id") not in items:
            problems.append(f"{where}: custody of an item that is not in this exhibit")
        # The recipient is sealed in the transfer's event (since it was no longer written
        # in clear): what the selective proof proves of it counts, never the line's copy.
        how = proven_fields.get((None, "how"), data.get("how"))
        if (data.get("action") == "transferred" and recipient
                and f"transferred to {recipient} in court bundle " in str(how)):
            transferred.add(str(data.get("item_id")))
    for item in sorted(items - transferred):
        problems.append(f"{rel}: no proven transfer of {item} to the recipient")
    return named


def described_manifest(digests: dict[str, str]) -> str:
    """``exhibit-manifest.txt``: ``<sha256>  <path under data/>`` per custody log and
    ``exhibit.json``, sorted (the export event names this file by its SHA-256)."""
    return "".join(f"{digests[rel]}  {encode_path(rel)}\n" for rel in sorted(digests))


def _described(rel: str) -> bool:
    """A custody log or an exhibit's description (what ``exhibit-manifest.txt`` names)."""
    return rel.startswith("data/custody/") or (
        rel.startswith("data/exhibits/") and rel.endswith("/exhibit.json"))


def check_export(root: Path, events: dict[int, dict[str, Any]], info: dict[str, str],
                 hashes: dict[str, dict[str, str]], problems: list[str]) -> None:
    """The export event names the matrix, report and withheld files by their SHA-256, and
    (through ``exhibit-manifest.txt``) every custody log and ``exhibit.json``."""
    text = info.get("Export-Event", "")
    data = _event(events, int(text) if text.isdigit() else None, EXPORT_EVENT,
                  "bag-info.txt Export-Event", problems)
    if data is None:
        return
    digests = dict(data.get("digests") or {})
    for rel, digest in sorted(digests.items()):
        path = f"data/{rel}"
        if path not in hashes:
            problems.append(f"{path}: named by the export event but missing")
        elif hashes[path]["sha256"] != digest:
            problems.append(f"{path}: not the file the export event names")
    if DESCRIBED not in digests or f"data/{DESCRIBED}" not in hashes:
        return  # written before the export event named them (or missing: said above)
    named = _read_manifest(root, f"data/{DESCRIBED}", problems)
    for path in sorted(p for p in hashes if _described(p)):
        if path[len("data/"):] not in named:
            problems.append(f"{path}: not named by the export event ({DESCRIBED})")
        elif named[path[len("data/"):]] != hashes[path]["sha256"]:
            problems.append(f"{path}: not the file the export event names ({DESCRIBED})")
    for rel in sorted(set(named) - {p[len("data/"):] for p in hashes if _described(p)}):
        problems.append(f"data/{rel}: named by the export event ({DESCRIBED}) but missing")


LINK_EVENT = "link.run"


def check_linkage(root: Path, events: dict[int, dict[str, Any]], problems: list[str]) -> int:
    """Each linkage decision ``data/matrix.json`` relies on against the proven row of its
    run (the matrix itself is named by the export event); the number checked."""
    matrix = _json(root, "data/matrix.json", problems) if (root / "data/matrix.json"
                                                           ).is_file() else None
    listed = matrix.get("linkage") if isinstance(matrix, dict) else None
    if not isinstance(listed, list):
        return 0
    for n, entry in enumerate(listed, 1):
        where = f"data/matrix.json linkage {n}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: not an object")
            continue
        if _event(events, entry.get("event"), LINK_EVENT, where, problems) is None:
            continue
        rows = (events[entry["event"]].get("disclosed") or {}).get("rows", {})
        row = rows.get(entry.get("row"))
        decision = entry.get("decision")
        if (not isinstance(row, dict) or decision not in ("assign", "move")
                or row.get("id") != entry.get("record")
                or row.get(decision) != entry.get("person")):
            problems.append(f"{where}: record {entry.get('record')} with person "
                            f"{entry.get('person')} is not what row {entry.get('row')} of "
                            f"the proven link.run event {entry.get('event')} says")
    return len(listed)


def verify(root: Path, key_text: str) -> list[str]:
    """Every check on the bundle at ``root``; the problems found (empty: it verifies)."""
    problems: list[str] = []
    try:
        verifier = kit.Verifier(key_text)
    except kit.KitError as exc:
        return [f"--key: {exc}"]
    if not root.is_dir():
        return [f"{root}: not a folder"]
    hashes = check_bag(root, problems)
    _, events = check_proofs(root, verifier, problems)
    info = _bag_info(root, [])
    check_exhibits(root, events, hashes, info.get("Recipient"), problems)
    check_export(root, events, info, hashes, problems)
    check_linkage(root, events, problems)
    return problems


def main(argv: list[str] | None = None) -> int:
    """``verify_bundle.py DIR --key VKEY`` (VKEY: the key text, or a file holding it)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3 or args[1] != "--key":
        print("usage: python3 verify_bundle.py DIR --key VKEY", file=sys.stderr)
        return 2
    key = args[2]
    if os.path.isfile(key):
        key = Path(key).read_text("utf-8").strip()
    problems = verify(Path(args[0]), key)
    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        print(f"the bundle does NOT verify ({len(problems)} problem(s))")
        return 1
    print("OK: bag, hashes, checkpoint signature, inclusion and selective proofs, intake "
          "hashes, capture claims and verifications, custody, export event and linkage "
          "decisions all verify")
    return 0


if __name__ == "__main__":
    sys.exit(main())
