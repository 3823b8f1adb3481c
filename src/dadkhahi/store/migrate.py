"""Schema migrations (Alembic), run programmatically on init and open.

Opening a home must be quick: the database's revision is read with one query and
compared with :data:`HEAD_REVISION`, so Alembic (and the parsing and compiling of every
migration script it does each time it looks) is loaded only when there is something to
migrate. ``tests/store/test_store_migrations.py`` checks the constant against the scripts.

A new, empty database is built from the declared tables and stamped at the head
revision, Alembic's own recipe for a database built from scratch ("Building an Up to
Date Database from Scratch" in its cookbook): ``init`` then loads no Alembic at all
(about 0.1 s of importing its dialects and script machinery, and 0.05 s of replaying the
migration's operations; issue 12: ``init`` in < 1 s). The migrations stay the way an
existing database changes; ``tests/store/test_store_migrations.py`` checks that both
ways give the same schema, on SQLite and PostgreSQL.

Every command opens its home through :func:`upgrade` (``Store.open``): a home built by an
older Dadkhahi is migrated to the head as it is opened, and one a newer Dadkhahi
migrated (a revision these scripts lack) is refused in one line.

The revisions are frozen once on main: 0001 is the schema of d70a0c9 (the last main
homes were built at before the chain began; until then changes were edited into 0001,
which a home stamped 0001 never ran again, stop 32), and each schema change since is
``schema.py`` plus a new revision after the head, with :data:`HEAD_REVISION` moved to
it. A new column or table that is a projection of ledger events must be filled by its
revision from what the events already hold (``store.refill.refill(op.get_bind(), table,
columns)``), so an upgraded home answers as a home built anew from the same ledger
(``ledger verify`` compares the two row by row).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from dadkhahi.domain.errors import UserError
from dadkhahi.store.db import write_transaction
from dadkhahi.store.schema import ledger_events, ledger_head, metadata

if TYPE_CHECKING:
    from collections.abc import Callable

    from alembic.config import Config

    from dadkhahi.ledger.checkpoint import NoteSigner
    from dadkhahi.store.sealed import KeyRing

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest migration shipped with this version (``head_revision()`` of the scripts).
HEAD_REVISION = "0008"
#: Where a home stamped 0001 is completed from the declared tables
#: (:func:`complete_from_declared`): the last revision before the first that reads rows
#: and writes the ledger (0004; 0005 too), which must find every column the code
#: declares. A later revision that changes the schema must look before it adds (as 0002
#: and 0003 do): a home from 0001 already has what the declared tables hold when it runs.
COMPLETED_AT = "0003"
#: PostgreSQL advisory lock key held while a database is migrated (any fixed number
#: unused elsewhere: the bytes of "dadkhahi" read as a signed 64-bit integer).
UPGRADE_LOCK = int.from_bytes(b"dadkhahi", "big", signed=True)


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


#: Alembic's version table, as Alembic itself declares it (``DefaultImpl.
#: version_table_impl``): a stamped database must look to Alembic like a migrated one.
VERSION_TABLE = Table(
    "alembic_version", MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def create_at_head(conn: Connection) -> None:
    """Build the newest schema in an empty database and stamp it at :data:`HEAD_REVISION`.

    The declared tables (``store.schema``, with PostgreSQL's search vector) are the
    schema every migration leads to; the stamp tells Alembic no migration is due.
    """
    metadata.create_all(conn, checkfirst=False)
    VERSION_TABLE.create(conn)
    conn.execute(VERSION_TABLE.insert().values(version_num=HEAD_REVISION))


def require_rum(conn: Connection) -> None:
    """Make sure the database has PostgreSQL's ``rum`` extension (full-text search ranks
    from a RUM index; there is no other index path), creating it when this account may.

    Creating an extension that is not marked trusted (``rum`` is not) needs a superuser;
    managed servers often give none, or lack the package. Instead of the migration's
    ``CREATE EXTENSION`` failing with the server's words, one line says what to do.
    """
    if conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'rum'")).first():
        return
    try:
        with conn.begin_nested():  # a failure rolls back to here, the transaction lives
            conn.execute(text("CREATE EXTENSION rum"))
    except DBAPIError as exc:
        available = conn.execute(text(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")).first()
        if not available:
            major = (conn.dialect.server_version_info or ("NN",))[0]
            raise UserError(
                "this PostgreSQL server has no rum extension, which full-text search "
                f"needs: install its package (Debian: postgresql-{major}-rum, as "
                "scripts/install-system-deps.sh does), then a superuser must run "
                "'CREATE EXTENSION rum' in this database once") from None
        diag = getattr(exc.orig, "diag", None)
        reason = getattr(diag, "message_primary", None) or type(exc.orig).__name__
        raise UserError(
            "this PostgreSQL database has no rum extension, which full-text search needs, "
            f"and this account may not create it ({reason}): a superuser must run "
            "'CREATE EXTENSION rum' in this database once") from None


def _refuse_unknown(cfg: Config, revision: str | None) -> None:
    """A database at a revision these scripts do not have was migrated by a newer
    Dadkhahi: say so in one line (Alembic's own words are "Can't locate revision")."""
    from alembic.script import ScriptDirectory

    if revision is None:
        return
    known = {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}
    if revision not in known:
        raise UserError(
            f"this home's database is at schema revision {revision}, which this version "
            f"of dadkhahi does not know (its newest is {HEAD_REVISION}): it was upgraded "
            "by a newer dadkhahi; run that version (or install it) to open this home")


def complete_from_declared(conn: Connection) -> list[str]:
    """Create what a database migrated to the head still lacks of the declared schema:
    tables, nullable columns and indexes; a projected table or column made here is
    filled from the ledger (``store.refill``), as a replay of the log would fill it.
    Returns what was made (``table`` or ``table.column`` or the index's name).

    Only for homes that were stamped 0001: 0001 was edited in place until d70a0c9
    (stop 32), so a home built before then holds an earlier 0001, lacking what later
    edits added, and no revision can know which. Run at :data:`COMPLETED_AT`, before
    the revisions that read rows and write the ledger: the declared tables are the
    head's schema (``tests/store/test_store_migrations.py``) and no revision since
    :data:`COMPLETED_AT` changes a table, so they say what is missing. What cannot be
    added in place (a required column) is refused in one line.
    """
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    from dadkhahi.store.refill import refill
    from dadkhahi.store.schema import PROJECTED

    ops = Operations(MigrationContext.configure(conn))
    look = inspect(conn)
    found = set(look.get_table_names())
    made: list[str] = []
    fill: dict[str, list[str] | None] = {}
    for table in metadata.sorted_tables:
        if table.name not in found:
            table.create(conn)  # with its indexes
            made.append(table.name)
            fill[table.name] = None
            continue
        columns = {c["name"] for c in look.get_columns(table.name)}
        added: list[str] = []
        for column in table.c:
            if column.name in columns:
                continue
            if not column.nullable and column.server_default is None:
                raise UserError(
                    f"this home's database was built by an early development version of "
                    f"dadkhahi (before d70a0c9): its table {table.name} lacks the required "
                    f"column {column.name}, which cannot be added in place; build a new "
                    "home and take the data in again")
            ops.add_column(table.name, Column(column.name, column.type, nullable=True))
            made.append(f"{table.name}.{column.name}")
            added.append(column.name)
        if added:
            fill[table.name] = added
        indexes = {i["name"] for i in look.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(conn)
                made.append(str(index.name))
    for name, columns_made in fill.items():
        if metadata.tables[name] in PROJECTED:
            refill(conn, name, columns_made)
    return made


@dataclass(frozen=True)
class Upgraded:
    """What opening a home changed in it, for the one who opens it (counts only)."""

    #: The schema revision the database was at.
    revision: str
    #: Acts the upgrade raised to their sources' level (0004), and how many of them to
    #: protected (now readable only by those granted them).
    acts_raised: int = 0
    acts_protected: int = 0
    #: Case links and gap marks earlier erasures left readable, erased (0005).
    links_erased: int = 0
    marks_erased: int = 0
    #: Data keys the upgrade destroyed, all told (``Store.open`` then scrubs the store).
    keys_destroyed: int = 0
    #: Ledger events revision 0006 redacted (``store.redact``): the clear words of acts
    #: whose raised version was erased before; the links kept in clear of facts not
    #: public it erased, with the gap marks kept in clear on their elements.
    acts_redacted: int = 0
    clear_links_erased: int = 0
    clear_marks_erased: int = 0
    #: Estimate releases recorded before 715f23b whose events named in clear lists the
    #: disclosure rule withholds from their audience, redacted by revision 0008
    #: (``analysis.release_redaction``).
    releases_redacted: int = 0

    def notes(self) -> list[str]:
        """What opening the home upgraded, one line each (a command prints them on stderr,
        the API logs them): the revisions, the acts raised to their sources' level, the
        case links and gap marks erased, the events redacted. Counts only: which acts is
        for those granted them to see, and what was erased is gone."""
        said = [f"this home's database was upgraded from schema revision {self.revision} "
                f"to {HEAD_REVISION} (this version of dadkhahi's)"]
        if self.acts_raised:
            protected = (f"; {self.acts_protected} of them now protected, readable only by "
                         "users granted them (dadkhahi users grant NAME ACT_ID)"
                         if self.acts_protected else "")
            said.append(f"the upgrade raised {self.acts_raised} act(s) recorded less "
                        "protected than the sources their accounts cite to those sources' "
                        f"level{protected}")
        if self.links_erased:
            said.append(f"the upgrade erased {self.links_erased} case link(s) to facts "
                        "an earlier erasure erased, left readable by it")
        if self.marks_erased:
            said.append(f"the upgrade erased {self.marks_erased} gap mark(s) left "
                        "readable by an earlier erasure (a note may quote the erased witness)")
        if self.acts_redacted:
            said.append(f"the upgrade redacted from the ledger {self.acts_redacted} "
                        "event(s) holding in clear the words of acts whose source was erased")
        if self.clear_links_erased or self.clear_marks_erased:
            said.append(f"the upgrade erased {self.clear_links_erased} link(s) kept in "
                        "clear by unsealed cases of facts not public, with "
                        f"{self.clear_marks_erased} gap mark(s) kept in clear on their elements "
                        "(each case counts them as erased)")
        if self.releases_redacted:
            said.append(f"the upgrade redacted from the ledger {self.releases_redacted} "
                        "estimate release(s) naming in clear lists withheld from their audience")
        return said



def upgrade(engine: Engine, *, keys: Callable[[], KeyRing] | None = None,
            signer: Callable[[], NoteSigner] | None = None) -> Upgraded | None:
    """Bring the database schema to the newest migration (no-op when current).

    An empty database is built at the newest schema directly (:func:`create_at_head`);
    a database holding tables is migrated by Alembic, from whatever revision it is at
    (every command opens a home through here: an older home is upgraded as it is
    opened). A database at a revision newer than this code's is refused (UserError).
    Returns the revision a migrated database was at, the acts it raised and the links and
    marks it erased (None when nothing was migrated).
    ``keys`` and ``signer``: the home's (``Store.open``), for a revision that writes the
    ledger (0004: ``store.act_levels``; 0005: ``store.case_erasure``; 0006:
    ``store.redact``; 0008: ``analysis.release_redaction``); asked for only when it has
    something to write (0005: to read, when the home has sealed case links and erasures).
    """
    if current_revision(engine) == HEAD_REVISION:
        return None
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            require_rum(conn)
        if not inspect(conn).get_table_names():
            create_at_head(conn)
            return None
    command = _alembic_command()
    cfg = alembic_config()
    # One process migrates, the others wait and find the head: ``serve --workers N``
    # opens the home in every worker at once (each saw the old revision and migrated, and
    # all but the first failed). SQLite: the write lock from BEGIN; PostgreSQL: a lock of
    # this transaction's, taken before the revision is read again.
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        revision = conn.execute(VERSION_TABLE.select()).scalar()
        if revision == HEAD_REVISION:
            return None
        _refuse_unknown(cfg, revision)
        size = conn.execute(select(ledger_head.c.size)).scalar() or 0
        cfg.attributes.update(connection=conn, keys=keys, signer=signer)
        if revision == "0001":
            # Completed before any revision reads the rows or writes the ledger (0004
            # copies every column of an act into its event): all in this transaction.
            command.upgrade(cfg, COMPLETED_AT)
            complete_from_declared(conn)
        command.upgrade(cfg, "head")
        from dadkhahi.store.act_levels import raised_since
        from dadkhahi.store.case_erasure import swept_since
        from dadkhahi.store.redact import redacted_since

        raised, protected = raised_since(conn, size)
        links, marks = swept_since(conn, size)
        destroyed = conn.execute(select(func.count()).select_from(ledger_events).where(
            ledger_events.c.type == "key.destroyed", ledger_events.c.idx >= size)).scalar_one()
        redacted, clear_links, clear_marks, releases = redacted_since(conn, size)
    return Upgraded(str(revision), raised, protected, links, marks, int(destroyed),
                    redacted, clear_links, clear_marks, releases)
