"""Schema migrations (Alembic), run programmatically on init and open.

Opening a home must be quick: the database's revision is read with one query and
compared with :data:`HEAD_REVISION`, so Alembic (and the parsing and compiling of every
migration script it does each time it looks) is loaded only when there is something to
migrate. ``tests/store/test_store_migrations.py`` checks the constant against the scripts.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest migration shipped with this version (``head_revision()`` of the scripts).
HEAD_REVISION = "0001"


def alembic_config() -> Config:
    """Alembic configuration pointing at the packaged migration scripts."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    """The newest migration among the scripts (loads and compiles every one of them)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None if never migrated)."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no alembic_version table yet
        return None


#: Imported by Mako (which Alembic loads to write new migration scripts) when Pygments
#: is installed (Rich brings it): every lexer and the HTML formatter, to colour Mako's
#: HTML error pages. Running a migration renders no template; :func:`_alembic_command`
#: keeps it out.
_MAKO_PYGMENTS = "mako.ext.pygmentplugin"


def _alembic_command() -> ModuleType:
    """``alembic.command``, imported without Pygments (issue 12: ``init`` in < 1 s).

    Loading Pygments' lexers took about 50 ms of ``init``'s start-up. A ``None`` in
    ``sys.modules`` makes an import fail (Python's documented import rule), and Mako
    then falls back to plain text; the entry is removed again straight after.
    """
    blocked = _MAKO_PYGMENTS not in sys.modules
    if blocked:
        sys.modules[_MAKO_PYGMENTS] = None  # type: ignore[assignment]
    try:
        from alembic import command
    finally:
        if blocked and sys.modules.get(_MAKO_PYGMENTS, ...) is None:
            del sys.modules[_MAKO_PYGMENTS]
    return command


def upgrade(engine: Engine) -> None:
    """Bring the database schema to the newest migration (no-op when current)."""
    if current_revision(engine) == HEAD_REVISION:
        return
    command = _alembic_command()
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
