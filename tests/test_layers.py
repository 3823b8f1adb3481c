"""Arrows point down: the faces (api, web, cli) never import each other, and nothing below
them imports a face (docs/ARCHITECTURE.md, "Layers and where code lives").

Every module of ``src/dadkhahi`` is parsed (never imported) and each ``import`` in it,
at the top or inside a function, is checked against the rules below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "dadkhahi"

#: The three faces: thin shells over the same services, never over one another.
FACES = frozenset({"api", "web", "cli"})
#: Above every face: the entry point and the composition of the API with the pages.
ABOVE_FACES = frozenset({"__main__", "server"})
#: The HTTP plumbing both HTTP faces share (below them, above everything else).
SHARED_HTTP = "http"
#: Web frameworks `services` must not import (it serves the command line too).
FRAMEWORKS = ("fastapi", "starlette")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name_of(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, src: Path = SRC) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``, relative ones resolved."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    module = _name_of(path, src)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == "dadkhahi":  # ``from dadkhahi import api`` imports the face
                found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, target))
    return found


def _layer(module: str) -> str | None:
    """The package of ours a module name belongs to (``api`` for ``dadkhahi.api.deps``)."""
    parts = module.split(".")
    if parts[0] != "dadkhahi" or len(parts) < 2:
        return None
    return parts[1]


def violations(path: Path, src: Path = SRC) -> list[str]:
    """What ``path`` imports against the layer rules, one line per import."""
    own = _layer(_name_of(path, src))
    out: list[str] = []
    for line, target in imports_of(path, src):
        where = f"{path.relative_to(src)}:{line} imports {target}"
        theirs = _layer(target)
        if own == "services" and target.split(".")[0] in FRAMEWORKS:
            out.append(f"{where}: services never import a web framework")
        if theirs is None or own is None or theirs == own:
            continue
        if own in ABOVE_FACES:
            continue
        if own in FACES and theirs in FACES:
            out.append(f"{where}: a face never imports another face")
        elif own in FACES and theirs in ABOVE_FACES:
            if not (own == "cli" and theirs == "server"):
                out.append(f"{where}: only the command line starts the server")
        elif own not in FACES and (theirs in FACES or theirs in ABOVE_FACES):
            out.append(f"{where}: {own} sits below the faces")
        elif own not in FACES and own != SHARED_HTTP and theirs == SHARED_HTTP:
            out.append(f"{where}: only the HTTP faces use the shared HTTP plumbing")
    return out


def test_every_module_is_parsed() -> None:
    names = {_name_of(p) for p in _modules()}
    assert {"dadkhahi.api", "dadkhahi.web", "dadkhahi.cli.main", "dadkhahi.services"} <= names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    assert violations(path) == []


def test_the_rule_sees_a_violation(tmp_path: Path) -> None:
    """The checker itself fails on each kind of upward import (so a green run means
    something): web → api, api → web, a lower package → a face, relative and nested."""
    cases = {
        "web/pages/bad.py": "from dadkhahi.api.deps import client_ip\n",
        "api/bad.py": "def f():\n    import dadkhahi.web.app\n",
        "services/bad.py": "from dadkhahi import cli\nimport fastapi\n",
        "linkage/bad.py": "from ..api import create_app\n",
        "domain/bad.py": "from dadkhahi.http import errors\n",
    }
    for relative, text in cases.items():
        path = tmp_path / "dadkhahi" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        assert violations(path, tmp_path), relative
    assert len(violations(tmp_path / "dadkhahi/services/bad.py", tmp_path)) == 2
