"""The map's data as the one map script (``static/map/map.js``) reads it.

The memorial must draw its map from ``file://``, where a page may not ``fetch``, import
modules or run WebAssembly, so the map takes its data from classic scripts that call a
global callback: the country outlines (``static/map/outlines.js``: world-atlas's
Natural Earth TopoJSON, wrapped by :func:`outlines_script` when ``scripts/vendor-assets``
vendors it, and re-checked by a test) and the places (:func:`places_script`: the
memorial writes it as a file, the workspace serves it per request). The workspace loads
the same files the same way, so one script serves both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dadkhahi.assets.lock import STATIC

#: The map script, the wrapped outlines and the vendored outlines, under ``static/``.
SCRIPT = "map/map.js"
OUTLINES = "map/outlines.js"
OUTLINES_SOURCE = "vendor/world-atlas/countries-110m.json"


def outlines_script(static: Path = STATIC) -> bytes:
    """The vendored country outlines as a classic script calling ``dadkhahiOutlines``."""
    return (b"dadkhahiOutlines(" + (static / OUTLINES_SOURCE).read_bytes().strip()
            + b");\n")


def places_script(places: list[dict[str, Any]]) -> bytes:
    """Places (each with ``id``, ``name``, ``lat``, ``lon``, ``status``) as a classic
    script calling ``dadkhahiPlaces``: JSON, whose strings no value can leave."""
    return ("dadkhahiPlaces(" + json.dumps(places, ensure_ascii=False, sort_keys=True,
                                           separators=(",", ":")) + ");\n").encode("utf-8")


__all__ = ["OUTLINES", "OUTLINES_SOURCE", "SCRIPT", "outlines_script", "places_script"]
