"""Check a copy of the memorial offline, trusting nothing in it but the key you bring.

This module is the verifier twice over: ``dadkhahi publish verify`` imports it, and
every site carries it as ``verify_site.py`` (standard library only, with the project's
offline kit embedded verbatim), so a reader with a USB stick and the project run one
implementation. It checks:

* ``manifest.note``: a C2SP signed note signed by the publication key given;
* every file the manifest lists: present, with its SHA-256; no file present unlisted;
* ``checkpoint.note``: the ledger checkpoint the manifest names (size and root), and its
  signature when the ledger's key is given too;
* ``--seen FILE``: the highest build this reader has seen of this memorial; a copy
  serving an older build (or another build under the same number) is flagged.

The key is an argument on purpose: a forger could re-sign a site with their own key and
ship a matching verifier. Obtain the key independently.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from dadkhahi.offline import kit  # embedded verbatim in verify_site.py

FORMAT = "dadkhahi-memorial/v1"
MANIFEST = "manifest.note"
CHECKPOINT = "checkpoint.note"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _header(lines: list[str]) -> dict[str, str]:
    names = ("origin", "sequence", "previous", "checkpoint", "files")
    if not lines or lines[0] != FORMAT or len(lines) < 1 + len(names):
        raise kit.KitError(f"the manifest is not a {FORMAT} manifest")
    head: dict[str, str] = {}
    for name, line in zip(names, lines[1:1 + len(names)], strict=True):
        key, _, value = line.partition(" ")
        if key != name or not value:
            raise kit.KitError(f"the manifest's line {name!r} is missing or malformed")
        head[name] = value
    return head


def verify(root: Path, key: str, ledger_key: str | None = None,
           seen: Path | None = None) -> tuple[list[str], dict[str, Any]]:
    """Problems found in the copy at ``root`` (empty: it is the signed build) and the
    build's header (origin, sequence, previous, checkpoint)."""
    problems: list[str] = []
    try:
        note = (root / MANIFEST).read_text("utf-8")
        text = kit.open_note(note, kit.Verifier(key))
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{MANIFEST}: cannot be read ({type(exc).__name__})"], {}
    except kit.KitError as exc:
        return [f"{MANIFEST}: {exc}"], {}
    lines = text[:-1].split("\n")
    try:
        head = _header(lines)
    except kit.KitError as exc:
        return [f"{MANIFEST}: {exc}"], {}
    listed: dict[str, str] = {}
    for line in lines[6:]:
        digest, _, rel = line.partition(" ")
        if len(digest) != 64 or not rel or rel.startswith("/") or ".." in rel.split("/"):
            problems.append(f"{MANIFEST}: malformed file line {line[:80]!r}")
            continue
        listed[rel] = digest
    if str(len(listed)) != head["files"]:
        problems.append(f"{MANIFEST}: says {head['files']} files but lists {len(listed)}")
    for rel in sorted(listed):
        path = root / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif _sha256(path) != listed[rel]:
            problems.append(f"{rel}: differs from the signed manifest")
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel != MANIFEST and rel not in listed:
            problems.append(f"{rel}: not in the signed manifest")
    problems += _checkpoint(root, head, ledger_key)
    if seen is not None:
        problems += _seen(seen, head, _sha256(root / MANIFEST))
    return problems, head


def _checkpoint(root: Path, head: dict[str, str], ledger_key: str | None) -> list[str]:
    size_text, _, root_b64 = head["checkpoint"].partition(" ")
    try:
        note = (root / CHECKPOINT).read_text("utf-8")
        if ledger_key is not None:
            checkpoint = kit.open_checkpoint(note, kit.Verifier(ledger_key), head["origin"])
        else:
            checkpoint = kit.parse_checkpoint(note.split("\n\n", 1)[0] + "\n")
    except (OSError, UnicodeDecodeError):
        return [f"{CHECKPOINT}: cannot be read"]
    except kit.KitError as exc:
        return [f"{CHECKPOINT}: {exc}"]
    if str(checkpoint.size) != size_text or base64.b64encode(
            checkpoint.root_hash).decode("ascii") != root_b64:
        return [f"{CHECKPOINT}: not the checkpoint the manifest names"]
    return []


def _seen(path: Path, head: dict[str, str], manifest_sha256: str) -> list[str]:
    """Compare with (and remember) the newest build seen of this memorial."""
    try:
        known: dict[str, Any] = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return [f"{path}: not a file of builds seen (JSON)"]
    sequence = int(head["sequence"])
    before = known.get(head["origin"])
    if before is not None:
        if sequence < int(before["sequence"]):
            return [f"this copy serves build {sequence}, older than build "
                    f"{before['sequence']} seen before: it may be stale or held back"]
        if sequence == int(before["sequence"]) and before["manifest"] != manifest_sha256:
            return [f"build {sequence} seen before had another manifest: two different "
                    "sites carry the same build number"]
    known[head["origin"]] = {"sequence": sequence, "manifest": manifest_sha256}
    path.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n", "utf-8")
    return []


def key_text(value: str) -> str:
    """A key given as its text or as a file holding it."""
    path = Path(value)
    return path.read_text("utf-8").strip() if path.is_file() else value.strip()


def main(argv: list[str] | None = None) -> int:
    """``verify_site.py DIR --key KEY [--ledger-key KEY] [--seen FILE]``."""
    import argparse

    parser = argparse.ArgumentParser(description="Check a copy of the Dadkhahi memorial.")
    parser.add_argument("site", type=Path)
    parser.add_argument("--key", required=True,
                        help="the publication key (text, or a file holding it)")
    parser.add_argument("--ledger-key", help="the ledger's verifier key, to check the checkpoint")
    parser.add_argument("--seen", type=Path, help="JSON file of the newest builds seen")
    args = parser.parse_args(argv)
    try:
        problems, head = verify(args.site, key_text(args.key),
                                key_text(args.ledger_key) if args.ledger_key else None,
                                args.seen)
    except kit.KitError as exc:
        problems, head = [str(exc)], {}
    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        return 1
    print(f"OK build {head['sequence']} of {head['origin']}: {head['files']} files match "
          "the signed manifest")
    return 0


def verifier_script() -> str:
    """``verify_site.py``: this module with the offline kit embedded verbatim."""
    from dadkhahi.offline.embed import standalone_script

    return standalone_script(__file__, _MARKER)


_MARKER = "from dadkhahi.offline import kit  # embedded verbatim in verify_site.py\n"


if __name__ == "__main__":
    sys.exit(main())

