"""Where a PDF's bytes go: each object's bytes in the file, by what it is.

    .venv/bin/python benchmarks/publish/book_size.py FILE.pdf [FILE.pdf ...]

For the book of memory (issue 17): laying it out in parts and joining them with pypdf
made it bigger than one WeasyPrint document; this says by how much each kind of object
grew. An object's bytes are its span in the file (from its ``N 0 obj`` to the next
object or the cross-reference section). Objects WeasyPrint packs into object streams
(``/ObjStm``, compressed together) are counted in those streams, not one by one; how
many of each kind they hold is given beside them.

Kinds: page content streams, font programs (``/FontFile2``), text maps (``/ToUnicode``),
other streams, object streams, the cross-reference section, and the plain objects by
what they are (pages, fonts and CID fonts with their widths, font descriptors, outline
items, named destinations, annotations, resource dictionaries, other).
"""

from __future__ import annotations

import argparse
import io
from collections import Counter
from pathlib import Path
from typing import Any


def _kind(obj: Any, contents: set[int], idnum: int) -> str:
    """What an object is (see the module's notes)."""
    from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

    if isinstance(obj, StreamObject):
        kind = obj.get("/Type")
        if kind == "/ObjStm":
            return "object streams"
        if kind == "/XRef":
            return "cross-reference"
        if idnum in contents:
            return "page contents"
        if "/Length1" in obj:  # a TrueType program's own length
            return "font programs"
        if obj.get_data().lstrip().startswith(b"/CIDInit"):
            return "text maps (ToUnicode)"
        return f"other streams ({obj.get('/Subtype', obj.get('/Type', '-'))})"
    if isinstance(obj, DictionaryObject):
        kind = obj.get("/Type")
        if kind == "/Page":
            return "pages"
        if kind == "/Font":
            return "fonts (CID, widths)" if "/W" in obj else "fonts"
        if kind in ("/FontDescriptor", "/Annot", "/Pages", "/Catalog", "/Outlines"):
            return str(kind)[1:]
        if "/Title" in obj and "/Parent" in obj:
            return "outline items"
        if "/D" in obj:
            return "named destinations"
        if "/Font" in obj or "/ExtGState" in obj or "/ProcSet" in obj:
            return "resources"
        if "/Names" in obj or "/Kids" in obj or "/Limits" in obj:
            return "name trees"
        return "other dictionaries"
    if isinstance(obj, ArrayObject):
        return "arrays (destinations, contents)"
    return "other"


def _contents(reader: Any) -> set[int]:
    """The object numbers of the pages' content streams."""
    from pypdf.generic import ArrayObject, IndirectObject

    found: set[int] = set()
    for page in reader.pages:
        contents = page.raw_get("/Contents") if "/Contents" in page else None
        if isinstance(contents, IndirectObject):
            found.add(contents.idnum)
            contents = contents.get_object()
        if isinstance(contents, ArrayObject):
            found.update(ref.idnum for ref in contents if isinstance(ref, IndirectObject))
    return found


def sizes(data: bytes) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """A PDF's bytes by kind, how many objects of each kind stand alone in the file, and
    how many of each kind its object streams hold."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    contents = _contents(reader)
    offsets = sorted((offset, idnum) for gen in reader.xref.values()
                     for idnum, offset in gen.items() if idnum != 0)
    # The last object ends where the table starts, or (a cross-reference stream, which
    # is an object itself) where the file's trailer starts.
    table = reader._startxref not in {offset for offset, _ in offsets}
    last = reader._startxref if table else data.rindex(b"startxref")
    ends = [offset for offset, _ in offsets[1:]] + [last]
    bytes_by: Counter[str] = Counter()
    alone: Counter[str] = Counter()
    for (offset, idnum), end in zip(offsets, ends, strict=True):
        obj = reader.get_object(idnum)
        kind = _kind(obj, contents, idnum)
        bytes_by[kind] += end - offset
        alone[kind] += 1
    if table:
        bytes_by["cross-reference"] += len(data) - reader._startxref
    packed: Counter[str] = Counter()
    for idnum in reader.xref_objStm:
        packed[_kind(reader.get_object(idnum), contents, idnum)] += 1
    return bytes_by, alone, packed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pdfs", type=Path, nargs="+")
    for path in parser.parse_args().pdfs:
        data = path.read_bytes()
        bytes_by, alone, packed = sizes(data)
        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(data)).pages)
        print(f"{path}: {len(data):,} bytes, {pages:,} pages "
              f"({len(data) / pages:,.0f} bytes a page)")
        for kind, n in bytes_by.most_common():
            print(f"  {kind:34} {n:>12,} bytes {100 * n / len(data):5.1f}%  "
                  f"{alone[kind]:>7,} objects")
        if packed:
            held = ", ".join(f"{kind} {n:,}" for kind, n in packed.most_common())
            print(f"  the object streams hold: {held}")


if __name__ == "__main__":
    main()
