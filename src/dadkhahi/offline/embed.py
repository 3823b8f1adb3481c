"""Standalone verifier scripts: a module of ours with the offline kit embedded verbatim.

A verifier shipped inside a court bundle or a memorial site must run with Python's
standard library alone, and must be the very code the project runs. So the module
imports the kit on one marked line, and the script replaces that line with the kit's
source (:func:`dadkhahi.offline.kit.source`) loaded as a module of the same name.
"""

from __future__ import annotations

from pathlib import Path

from dadkhahi.offline import kit


def standalone_script(module_file: str, marker: str) -> str:
    """The source of ``module_file`` with its ``marker`` line replaced by the kit itself."""
    kit_source = kit.source()
    if "'''" in kit_source or kit_source.endswith("\\"):
        raise ValueError("the offline kit cannot be embedded as a raw string")
    own = Path(module_file).read_text("utf-8")
    if marker not in own:
        raise ValueError(f"{Path(module_file).name} lost its embedding marker")
    loader = (
        "import types as _types\n\n"
        "# dadkhahi.offline.kit, verbatim (standard library only).\n"
        f"_KIT_SOURCE = r'''{kit_source}'''\n"
        "kit = _types.ModuleType('dadkhahi_offline_kit')\n"
        "exec(compile(_KIT_SOURCE, 'dadkhahi/offline/kit.py', 'exec'), kit.__dict__)\n")
    return "#!/usr/bin/env python3\n" + own.replace(marker, loader)
