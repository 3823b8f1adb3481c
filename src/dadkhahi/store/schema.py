"""Database tables.

Two families live here:

* ledger tables (``ledger_*``): the append-only log itself — event bytes, the
  perfect-subtree hashes of the RFC 9162 tree, and signed checkpoints;
* projected tables: what the events say, in a shape that is quick to query.
  Every projected row carries ``ledger_index``, the event that last wrote it, so
  a row that disagrees with a replay names the event to look at.

``data_keys`` is neither: per-record keys for sealed payloads live outside the
ledger so that destroying one erases the payload while the tree stays intact.

Times are ISO-8601 text (UTC, ``Z``) and dates ISO ``YYYY-MM-DD`` text, so that
a replay compares equal on SQLite and PostgreSQL alike.

A change here is half a schema change: the other half is a NEW Alembic revision after
the head (``store/migrations/versions``; ``store.migrate.HEAD_REVISION`` names it), never
an edit of a revision already on main (homes are stamped with it and never run it
again). ``tests/store/test_store_migrations.py`` fails on either half alone.
"""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    event,
    text,
)

from dadkhahi.domain.vocab import Sensitivity

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def _ledger_index() -> Column[int]:
    return Column("ledger_index", BigInteger, nullable=False)


# --- the ledger -------------------------------------------------------------

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("origin", Text, nullable=False),
)

ledger_events = Table(
    "ledger_events",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("leaf_hash", LargeBinary, nullable=False),
    Column("type", Text, nullable=False),
    Column("body", LargeBinary, nullable=False),
)

ledger_nodes = Table(
    "ledger_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary, nullable=False),
)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

data_keys = Table(
    "data_keys",
    metadata,
    Column("id", Text, primary_key=True),
    Column("wrapped", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

# The tables whose old bytes a scrub must still rewrite (``store.erase.scrub``): one row
# per table and ledger event that made it due (a ``key.destroyed``: ``data_keys``; an
# ``event.redacted``: ``store.erase.REDACTED_TABLES``), written in that event's
# transaction and deleted only after the scrub went through, so a crash or a failed scrub
# after the commit is scrubbed by the next ``Store.open`` or erasure. Operational, no
# event projects it.
scrub_due = Table(
    "scrub_due",
    metadata,
    Column("table_name", Text, primary_key=True),
    Column("ledger_index", BigInteger, primary_key=True, autoincrement=False),
)

# --- projected tables --------------------------------------------------------

sources = Table(
    "sources",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("title", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("collected_by", Text),
    Column("collected_at", Text),
    Column("method", Text),
    Column("location", Text),
    Column("language", Text),
    Column("reliability", Text, nullable=False),
    Column("credibility", Text, nullable=False),
    Column("sensitivity", Text, nullable=False),
    Column("citation", Text),
    Column("notes", Text),
    Column("created_at", Text, nullable=False),
    _ledger_index(),
)

items = Table(
    "items",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("sha256", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("media_type", Text, nullable=False),
    Column("original_name", Text),
    Column("received_at", Text, nullable=False),
    Column("derived_from", Text, ForeignKey("items.id")),
    Column("derivation", Text),
    Column("sensitivity", Text, nullable=False),
    # The ``item.released`` event that lowered a redacted copy's sensitivity (ledger_index
    # stays the intake event, which a court bundle proves the file by).
    Column("release_index", BigInteger),
    _ledger_index(),
    Index("ix_items_sha256", "sha256"),
    Index("ix_items_source_id", "source_id"),
)

custody = Table(
    "custody",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("item_id", Text, ForeignKey("items.id"), nullable=False),
    Column("action", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("from_party", Text),
    Column("how", Text),
    Column("location", Text),
    Column("sha256", Text, nullable=False),
    Column("at", Text, nullable=False),
    Column("notes", Text),
    _ledger_index(),
    Index("ix_custody_item_id", "item_id"),
)

# A verification of an item's capture time and/or place (``item.capture_verified``): who
# (pseudonym), when, how, what was found and whether it is consistent with the source's
# claim. A protected item's time, place, method and note are sealed like its own fields.
capture_verifications = Table(
    "capture_verifications",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("item_id", Text, ForeignKey("items.id"), nullable=False),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("actor", Text, nullable=False),
    Column("at", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("result", Text, nullable=False),
    Column("time", Text),
    Column("place", Text),
    Column("note", Text),
    Column("sensitivity", Text, nullable=False),
    _ledger_index(),
    Index("ix_capture_verifications_item_id", "item_id"),
)

# What the public copy of an image left out (camera, times, GPS …): one row per
# original, always protected and sealed, whatever the item's own sensitivity.
item_metadata = Table(
    "item_metadata",
    metadata,
    Column("item_id", Text, ForeignKey("items.id"), primary_key=True),
    Column("derivative_id", Text, ForeignKey("items.id"), nullable=False),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("sensitivity", Text, nullable=False),
    Column("sealed", JSON, nullable=False),
    _ledger_index(),
)

records = Table(
    "records",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("item_id", Text, ForeignKey("items.id")),
    Column("import_id", Text),
    Column("row_number", Integer),
    Column("external_id", Text),
    Column("verbatim", JSON, nullable=False),
    Column("normalized", JSON, nullable=False),
    Column("sensitivity", Text, nullable=False),
    _ledger_index(),
    Index("ix_records_source_id", "source_id"),
    # The person search indexes records written since it last looked (search.persons).
    Index("ix_records_ledger_index", "ledger_index", "id"),
    # Counts group records by what their disclosure rule reads (access.disclosure
    # COUNTED_BY) along this index, without reading the rows: 30 ms at 146,341 records
    # against 198 ms scanning and sorting them.
    Index("ix_records_counted", "source_id", "import_id", "item_id", "sensitivity"),
)

persons = Table(
    "persons",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("label", Text, nullable=False),
    Column("sensitivity", Text, nullable=False),
    Column("synthetic", Integer, nullable=False),
    _ledger_index(),
)

organizations = Table(
    "organizations",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("name", Text, nullable=False),
    Column("kind", Text),
    Column("sensitivity", Text, nullable=False),
    _ledger_index(),
)

places = Table(
    "places",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("kind", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("name_fa", Text),
    Column("parent_id", Text, ForeignKey("places.id")),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("status", Text, nullable=False),
    Column("sensitivity", Text, nullable=False),
    _ledger_index(),
)

def _dated_by_level(table: str) -> list[Index]:
    """``ix_<table>_dated_<level>``: the table's rows of one level in (date, id) order, for
    the timeline's walk (``services.facts._dated_rows``, a statement per level).

    Partial, one per level, not one index led by the level: a statement can use one only
    where it states that level, so the rule's test of a row's level (an OR of the levels
    a reader may see) is never answered by walking whole levels; with an index led by
    the level, SQLite did that for a page's claim supports (561 ms at 100,000 claims)."""
    return [Index(f"ix_{table}_dated_{level}", "date_earliest", "id",
                  sqlite_where=text(f"sensitivity = '{level}'"),
                  postgresql_where=text(f"sensitivity = '{level}'"))
            for level in Sensitivity]


acts = Table(
    "acts",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("type", Text, nullable=False),
    Column("place_id", Text, ForeignKey("places.id")),
    Column("date_earliest", Text),
    Column("date_latest", Text),
    Column("date_text", Text),
    Column("description", Text),
    Column("sensitivity", Text, nullable=False),
    _ledger_index(),
    # The timeline walks each level's dated acts in date order and stops at a page (without
    # them, every dated row was checked and sorted for each page; along one index of all
    # levels, a reader who may see few rows had every dated row walked).
    *_dated_by_level("acts"),
)

involvements = Table(
    "involvements",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("act_id", Text, ForeignKey("acts.id"), nullable=False),
    Column("person_id", Text, ForeignKey("persons.id")),
    Column("organization_id", Text, ForeignKey("organizations.id")),
    Column("role", Text, nullable=False),
    Column("sensitivity", Text, nullable=False),
    _ledger_index(),
    Index("ix_involvements_act_id", "act_id"),
)

claims = Table(
    "claims",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("entity_kind", Text, nullable=False),
    Column("entity_id", Text, nullable=False),
    Column("property", Text, nullable=False),
    Column("value", JSON, nullable=False),
    Column("date_earliest", Text),
    Column("date_latest", Text),
    Column("date_text", Text),
    Column("sensitivity", Text, nullable=False),
    Column("status", Text, nullable=False),
    _ledger_index(),
    # An entity's claims in the person page's order (property, then ledger order): a
    # page of them is read along the index and the rule checked only on the claims up
    # to that page's end, not on every claim of the entity before sorting.
    Index("ix_claims_entity_page", "entity_kind", "entity_id", "property", "ledger_index",
          "id"),
    # The timeline walks each level's dated claims in date order (as acts').
    *_dated_by_level("claims"),
)

claim_support = Table(
    "claim_support",
    metadata,
    Column("claim_id", Text, ForeignKey("claims.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("record_id", Text, ForeignKey("records.id")),
    Column("item_id", Text, ForeignKey("items.id")),
    Column("locator", Text),
    _ledger_index(),
)

erasures = Table(
    "erasures",
    metadata,
    Column("key_id", Text, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("at", Text, nullable=False),
    _ledger_index(),
)

# --- access (issue 5) ---
# Users, their grants and the audit trail are projected from events like everything
# else, so `ledger verify` replays them too. The Argon2 hash of a password is kept
# sealed (per-user data key) in ``users.sealed``: the ledger never holds it in clear,
# and destroying the key revokes the credential. Login sessions are not evidence and
# live only in ``auth_sessions`` (no ledger_index, not replayed).

users = Table(
    "users",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("username", Text, nullable=False, unique=True),
    Column("role", Text, nullable=False),
    Column("disabled", Integer, nullable=False, default=0),
    Column("created_at", Text, nullable=False),
    _ledger_index(),
)

access_grants = Table(
    "access_grants",
    metadata,
    # A source ID (its items, records and claims follow) or a protected entity's ID.
    Column("scope_id", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id"), primary_key=True),
    Column("granted_at", Text, nullable=False),
    _ledger_index(),
    Index("ix_access_grants_user_id", "user_id"),
)

audit_reads = Table(
    "audit_reads",
    metadata,
    Column("ledger_index", BigInteger, primary_key=True, autoincrement=False),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("user_id", Text),
    Column("username", Text),
    Column("action", Text, nullable=False),
    Column("object_kind", Text, nullable=False),
    Column("object_id", Text, nullable=False),
    Column("ip", Text),
    # Since pseudonyms: the reader's pseudonym and a keyed hash of the address
    # (store.actors); username and ip stay NULL in new entries.
    Column("actor", Text),
    Column("ip_hash", Text),
    Column("at", Text, nullable=False),
    Index("ix_audit_reads_user_id", "user_id"),
    Index("ix_audit_reads_object_id", "object_id"),
)

auth_sessions = Table(
    "auth_sessions",
    metadata,
    # SHA-256 of the bearer token: a stolen database does not yield live tokens.
    Column("token_sha256", Text, primary_key=True),
    # A handle to show and end a session by, unrelated to the token.
    Column("id", Text, nullable=False, unique=True),
    Column("user_id", Text, ForeignKey("users.id"), nullable=False),
    Column("created_at", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
    # Refreshed at most once a minute (a write per request would cost every read).
    Column("last_seen_at", Text, nullable=False),
    Column("ip", Text),
    # "full"; "second_factor": the password was right, a second factor is still due;
    # "enrol": a second factor must be enrolled before anything else.
    Column("stage", Text, nullable=False),
    # 1 when this session was opened with a second factor.
    Column("second_factor", Integer, nullable=False),
    # The WebAuthn challenge this session was last given (base64url), if any, and when
    # it stops being accepted (ISO 8601, UTC).
    Column("challenge", Text),
    Column("challenge_expires_at", Text),
    Index("ix_auth_sessions_user_id", "user_id"),
)

# Failed sign-ins per account and per address (keyed hashes, never the name or address
# typed), for exponential back-off; not evidence, forgotten after a quiet day.
auth_throttle = Table(
    "auth_throttle",
    metadata,
    Column("key", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", Float, nullable=False),  # Unix seconds
    Column("blocked_until", Float, nullable=False),
)

# Failed sign-ins as the audit trail shows them (projected from ``auth.sign_in_failed``).
failed_sign_ins = Table(
    "failed_sign_ins",
    metadata,
    Column("ledger_index", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", Text),  # NULL when no such account exists
    Column("reason", Text, nullable=False),
    Column("at", Text, nullable=False),
)

# Second factors (WebAuthn keys, TOTP, recovery codes); what they hold is sealed.
user_factors = Table(
    "user_factors",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Text, ForeignKey("users.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("sealed", JSON(none_as_null=True)),
    _ledger_index(),
    Index("ix_user_factors_user_id", "user_id"),
)

# How far each factor has been used (WebAuthn signature counter, last TOTP time step,
# recovery codes spent): changes at every sign-in, so it is state, not evidence.
factor_state = Table(
    "factor_state",
    metadata,
    Column("factor_id", Text, primary_key=True),
    Column("counter", BigInteger, nullable=False),
    Column("used", JSON(none_as_null=True)),
)

# Access settings an admin changes (``access.setting_changed``), e.g. who needs a
# second factor: one row per change, the latest row of a name is its value.
access_settings = Table(
    "access_settings",
    metadata,
    Column("ledger_index", BigInteger, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("value", Text, nullable=False),
)

# --- lists and linkage (issue 3) ---
# One row per list import (projected from its ``records.imported`` event), the
# human link decisions, the linkage runs with their review queues, and which
# person each record currently belongs to (``person_records``: moved, never
# deleted, when a later run puts a record with another person).

# A *list* is what a team calls "the Memorial list": one row here, whatever file
# version of it is current. What it lists (``kind``), what it covers (provinces
# and a period of events) and where it came from (``derived_from`` and
# ``compiled_by``: list or source IDs) decide whether and how an estimate may use
# it; ``list.described`` events change them. Each file imported for it is a
# version (a row of ``list_imports``); only ``current_import_id`` counts.
lists = Table(
    "lists",
    metadata,
    Column("id", Text, primary_key=True),
    # A protected list: what it lists and covers (kind, provinces, period) sealed
    # (domain.protected.CLEAR_FIELDS["list"]); opened by intake.list_description.
    Column("sealed", JSON(none_as_null=True)),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("kind", Text, nullable=False),
    # Names as given (script-normalised) and their place keys; NULL: not limited.
    Column("provinces", JSON(none_as_null=True)),
    Column("province_keys", JSON(none_as_null=True)),
    # Period of the events listed, as a Gregorian interval (ISO dates, either
    # end open) and the text it was given as; NULL: not stated.
    Column("period_from", Text),
    Column("period_to", Text),
    Column("period_text", Text),
    Column("derived_from", JSON, nullable=False),
    Column("compiled_by", JSON, nullable=False),
    Column("current_import_id", Text, nullable=False),
    Column("versions", Integer, nullable=False),
    Column("sensitivity", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    _ledger_index(),
    Index("ix_lists_source_id", "source_id"),
)

list_imports = Table(
    "list_imports",
    metadata,
    Column("id", Text, primary_key=True),
    # A protected import: its column names, ID column and sheet name (and the event's
    # header) sealed (domain.protected.CLEAR_FIELDS["list_import"]).
    Column("sealed", JSON(none_as_null=True)),
    Column("list_id", Text, ForeignKey("lists.id"), nullable=False),
    # 1 for the first file of a list; a later version supersedes the one before.
    Column("list_version", Integer, nullable=False),
    Column("superseded_by", Text),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("item_id", Text, ForeignKey("items.id"), nullable=False),
    Column("sha256", Text, nullable=False),
    Column("format", Text, nullable=False),
    Column("encoding", Text),
    Column("delimiter", Text),
    Column("sheet", Text),
    Column("id_column", Text),
    Column("columns", JSON, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("sensitivity", Text, nullable=False),
    Column("imported_at", Text, nullable=False),
    # A later version: how its records were matched to the version before
    # (``external_id`` or ``row``: a hash of the row) and what changed (NULL for 1).
    Column("matched_by", Text),
    Column("added", Integer),
    Column("removed", Integer),
    Column("changed", Integer),
    _ledger_index(),
    Index("ix_list_imports_sha256", "sha256"),
    Index("ix_list_imports_list_id", "list_id"),
)

link_runs = Table(
    "link_runs",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("backend", Text),
    Column("threshold", Float, nullable=False),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text, nullable=False),
    Column("records", Integer, nullable=False),
    Column("persons", Integer, nullable=False),
    Column("pairs", Integer, nullable=False),
    Column("decisions", Integer, nullable=False),
    Column("stats", JSON, nullable=False),
    Column("model", JSON(none_as_null=True)),
    # Seed, settings, software versions and input hashes (dadkhahi.linkage.service).
    Column("provenance", JSON(none_as_null=True)),
    _ledger_index(),
)

link_review = Table(
    "link_review",
    metadata,
    Column("run_id", Text, ForeignKey("link_runs.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("record_a", Text, ForeignKey("records.id"), nullable=False),
    Column("record_b", Text, ForeignKey("records.id"), nullable=False),
    # NULL: a pair returned to the queue by a new list version that the model never
    # scored (its earlier decision was made outside the queue).
    Column("probability", Float),
    Column("weight", Float),
    # A decision made before a new list version changed a linkage field of one of
    # the pair's records: shown with the pair, no longer in force.
    Column("previous_decision", Text),
    # The match weight (bits, to 0.001) of each compared field, {comparison: bits}
    # (dadkhahi.linkage.field_weights); NULL for runs recorded before they were kept.
    Column("fields", JSON(none_as_null=True)),
    _ledger_index(),
)

# The links that hold each person of a run together (issue 14): per cluster, the
# maximum spanning tree of its scored pairs (dadkhahi.linkage.field_weights.spanning_links),
# with each field's match weight, so a person page shows how its records were linked.
person_links = Table(
    "person_links",
    metadata,
    Column("run_id", Text, ForeignKey("link_runs.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("record_a", Text, ForeignKey("records.id"), nullable=False),
    Column("record_b", Text, ForeignKey("records.id"), nullable=False),
    Column("probability", Float, nullable=False),
    Column("weight", Float, nullable=False),
    Column("fields", JSON(none_as_null=True)),
    _ledger_index(),
    Index("ix_person_links_record_a", "record_a", "run_id"),
)

link_decisions = Table(
    "link_decisions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("record_a", Text, ForeignKey("records.id"), nullable=False),
    Column("record_b", Text, ForeignKey("records.id"), nullable=False),
    Column("decision", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("note", Text),
    Column("run_id", Text),
    Column("probability", Float),
    Column("decided_at", Text, nullable=False),
    # A decision carried over to the records of a new list version: the one it copies.
    Column("carried_from", Text),
    # A decision on a protected record: its note sealed (domain.protected.CLEAR_FIELDS).
    Column("sealed", JSON(none_as_null=True)),
    _ledger_index(),
    Index("ix_link_decisions_pair", "record_a", "record_b"),
)

# Audits of a linkage run (issue 13): the blind sample drawn (``link.audit_drawn``:
# pairs of record ids with their stratum, each stratum's size) and the estimates
# from its labels (``link.audited``: per stratum, precision and recall with intervals).
link_audits = Table(
    "link_audits",
    metadata,
    Column("id", Text, primary_key=True),
    Column("run_id", Text, ForeignKey("link_runs.id"), nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("size", Integer, nullable=False),
    Column("strata", JSON, nullable=False),
    Column("pairs", JSON, nullable=False),
    Column("actor", Text, nullable=False),
    Column("drawn_at", Text, nullable=False),
    _ledger_index(),
)

link_audit_results = Table(
    "link_audit_results",
    metadata,
    Column("id", Text, primary_key=True),
    Column("audit_id", Text, ForeignKey("link_audits.id"), nullable=False),
    Column("run_id", Text, ForeignKey("link_runs.id"), nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("level", Float, nullable=False),
    Column("strata", JSON, nullable=False),
    Column("precision", JSON, nullable=False),
    Column("recall", JSON, nullable=False),
    Column("recall_scope", Text, nullable=False),
    Column("labelled", Integer, nullable=False),
    Column("disputed", Integer, nullable=False),
    Column("unsure", Integer, nullable=False),
    Column("reviewers", Integer, nullable=False),
    Column("agreement", Float),
    Column("actor", Text, nullable=False),
    Column("recorded_at", Text, nullable=False),
    _ledger_index(),
    Index("ix_link_audit_results_audit_id", "audit_id"),
)

person_records = Table(
    "person_records",
    metadata,
    Column("record_id", Text, ForeignKey("records.id"), primary_key=True),
    Column("person_id", Text, ForeignKey("persons.id"), nullable=False),
    Column("run_id", Text, nullable=False),
    _ledger_index(),
    Index("ix_person_records_person_id", "person_id"),
)

# Where a run moved records from one person to another (merges and splits), so that
# an address once published can be followed to the person its records belong to now.
person_lineage = Table(
    "person_lineage",
    metadata,
    Column("run_id", Text, primary_key=True),
    Column("from_person", Text, ForeignKey("persons.id"), primary_key=True),
    Column("to_person", Text, ForeignKey("persons.id"), primary_key=True),
    Column("records", Integer, nullable=False),
    _ledger_index(),
    Index("ix_person_lineage_to_person", "to_person"),
)

# --- jobs (the one job mechanism) ---
# Long work waiting for or running in a `dadkhahi worker`. Operational state, not evidence:
# no ledger_index, never replayed. Parameters hold IDs and settings only.

jobs = Table(
    "jobs",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("params", JSON, nullable=False),
    Column("state", Text, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("created_by", Text),
    Column("created_at", Text, nullable=False),
    Column("started_at", Text),
    Column("finished_at", Text),
    Column("heartbeat_at", Text),
    Column("worker", Text),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("progress_done", BigInteger, nullable=False),
    Column("progress_total", BigInteger),
    Column("progress_note", Text),
    Column("cancel_requested", Integer, nullable=False),
    Column("resume", JSON(none_as_null=True)),
    Column("result", JSON(none_as_null=True)),
    Column("error", Text),
    Index("ix_jobs_state_priority", "state", "priority", "created_at"),
    Index("ix_jobs_created_by", "created_by"),
)

# --- person search (issue 12, dadkhahi.search.persons) ---
# The cross-script name keys of each public or restricted record, derived from its
# normalised name (never from a protected record: a sealed name is never keyed in
# clear). Operational, not evidence: no ledger_index, rebuilt from the records at
# will; ``indexed_through`` is the highest records.ledger_index already keyed.

name_keys = Table(
    "name_keys",
    metadata,
    Column("key", Text, primary_key=True),
    # The record's place in ledger order (its event, then its row): a key's records are
    # read in that order straight from the primary key, a few at a time.
    Column("record_index", BigInteger, primary_key=True, autoincrement=False),
    Column("record_row", Integer, primary_key=True, autoincrement=False),
    Column("record_id", Text, primary_key=True),
    Index("ix_name_keys_record_id", "record_id", "key"),
)

# Pseudonyms of actors and their sealed names (store.actors); operational, not
# ledgered: destroying a name's key forgets who the pseudonym was.
actor_names = Table(
    "actor_names",
    metadata,
    Column("pseudonym", Text, primary_key=True),
    Column("sealed", JSON, nullable=False),
    Column("created_at", Text, nullable=False),
)

name_keys_state = Table(
    "name_keys_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("indexed_through", BigInteger, nullable=False),
)

# --- estimates (issue 13) ---
# Each estimate computed from the store (``estimate.computed``: method, result,
# seed, settings, software versions and a hash of its inputs, so it can be rerun)
# and each release of one to an audience (``estimate.released``).

estimates = Table(
    "estimates",
    metadata,
    Column("id", Text, primary_key=True),
    Column("method", Text, nullable=False),
    Column("estimand", Text),
    Column("documented", Integer, nullable=False),
    Column("estimate", Float),
    Column("low", Float),
    Column("high", Float),
    Column("level", Float, nullable=False),
    Column("fixed_low", Float),
    Column("fixed_high", Float),
    Column("partitions", Integer),
    Column("seed", BigInteger, nullable=False),
    Column("link_run_id", Text),
    Column("inputs_sha256", Text, nullable=False),
    Column("settings", JSON, nullable=False),
    Column("versions", JSON, nullable=False),
    Column("computed_at", Text, nullable=False),
    # The capture-history table itself (aggregate counts per pattern of lists, its
    # hash is ``inputs_sha256``) and the estimator's diagnostics (issue 14); NULL on
    # estimates recorded before they were kept.
    Column("capture", JSON(none_as_null=True)),
    Column("diagnostics", JSON(none_as_null=True)),
    _ledger_index(),
)

estimate_releases = Table(
    "estimate_releases",
    metadata,
    Column("id", Text, primary_key=True),
    Column("estimate_id", Text, ForeignKey("estimates.id"), nullable=False),
    Column("audience", Text, nullable=False),
    Column("note", Text),
    Column("released_at", Text, nullable=False),
    _ledger_index(),
    Index("ix_estimate_releases_estimate_id", "estimate_id"),
)

# --- documents (issue 15) ---
# Text extracted from an original item is a derivative item (its own hash, pointing back
# to the original, sealed like it when protected); ``extractions`` records each attempt
# (tools and versions, or why it failed) and ``document_pages`` the pages of each text
# derivative (no text here: the text lives in the derivative's blob, sealed if protected).

extractions = Table(
    "extractions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("item_id", Text, ForeignKey("items.id"), nullable=False),
    Column("state", Text, nullable=False),  # "done" or "failed"
    Column("text_item_id", Text, ForeignKey("items.id")),
    Column("tools", JSON(none_as_null=True)),
    Column("page_count", Integer),
    Column("languages", JSON(none_as_null=True)),
    Column("low_confidence", JSON(none_as_null=True)),
    Column("notes", JSON(none_as_null=True)),
    Column("error", Text),
    Column("at", Text, nullable=False),
    _ledger_index(),
    Index("ix_extractions_item_id", "item_id"),
)

document_pages = Table(
    "document_pages",
    metadata,
    Column("text_item_id", Text, ForeignKey("items.id"), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("item_id", Text, ForeignKey("items.id"), nullable=False),
    Column("method", Text, nullable=False),
    Column("language", Text),
    Column("confidence", Float),
    Column("chars", Integer, nullable=False),
    _ledger_index(),
)

# A person's transcription of one page (handwriting, or OCR too unsure to trust): each is
# a derivative item (the typed text, sealed like the original when protected) pointing to
# the original. ``kind`` is ``transcription`` (typed blind to any other of the same page)
# or ``resolution`` (the text chosen where two independent transcriptions differ);
# ``transcriber`` is the ledger pseudonym, never a name. ``transcription_requests`` asks
# for pages beyond those routed by a low OCR confidence, and for two independent
# transcriptions (an exhibit).

transcriptions = Table(
    "transcriptions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("item_id", Text, ForeignKey("items.id"), nullable=False),
    Column("page", Integer, nullable=False),
    Column("text_item_id", Text, ForeignKey("items.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("transcriber", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("parent_sha256", Text, nullable=False),
    Column("resolves", JSON(none_as_null=True)),
    Column("at", Text, nullable=False),
    _ledger_index(),
    Index("ix_transcriptions_item_page", "item_id", "page"),
)

transcription_requests = Table(
    "transcription_requests",
    metadata,
    Column("id", Text, primary_key=True),
    Column("item_id", Text, ForeignKey("items.id"), nullable=False),
    Column("page", Integer, nullable=False),
    Column("required", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", Text, nullable=False),
    _ledger_index(),
    Index("ix_transcription_requests_item_page", "item_id", "page"),
)

# The full-text index: one row per page (or part of a long page) of a text derivative,
# and one per passage of a testimony's transcript or translation (or part of a long one),
# tokens from the one tokenizer (``dadkhahi.search.tokens``) joined by spaces. Not evidence
# and not replayed (no ledger_index): rebuilt from the text derivatives, segments and
# translations. Protected rows hold keyed hashes of their tokens and neither text nor
# spans (see ``dadkhahi.search.index``). A page's row names its item and text derivative;
# a passage's names its testimony, segment and (for a translation) translation, no item,
# and ``page`` holds the segment's order (``seq``). No foreign key to the testimony's
# tables (made after this one): the rows go with the testimony's erasure.

search_segments = Table(
    "search_segments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Text, ForeignKey("items.id")),
    Column("text_item_id", Text, ForeignKey("items.id")),
    Column("testimony_id", Text),
    Column("segment_id", Text),
    Column("translation_id", Text),
    Column("source_id", Text, nullable=False),
    Column("page", Integer, nullable=False),
    Column("part", Integer, nullable=False),
    Column("partition", Text, nullable=False),
    Column("tokens", Text, nullable=False),
    Column("token_count", Integer, nullable=False),
    Column("spans", JSON(none_as_null=True)),
    Column("text", Text),
    Index("ix_search_segments_item_id", "item_id"),
    Index("ix_search_segments_testimony_id", "testimony_id"),
    Index("ix_search_segments_partition", "partition"),
)
# PostgreSQL also has a stored generated column ``tsv`` = to_tsvector('simple', tokens)
# under a RUM index (extension rum: positions in the index, so search ranks from it; see
# the migration), made by raw SQL (PostgreSQL only, so not declared as a column; the
# schema comparison skips both): by the migration, and by these statements when a new
# database is built from this module (``store.migrate.create_at_head``; the two are
# compared by tests/store/test_store_migrations.py). SQLite has FTS5 tables per
# visibility partition instead (``dadkhahi.search.index``).
SEARCH_VECTOR_DDL = (
    "ALTER TABLE search_segments ADD COLUMN tsv tsvector GENERATED ALWAYS "
    "AS (to_tsvector('simple'::regconfig, tokens)) STORED",
    "CREATE EXTENSION IF NOT EXISTS rum",
    "CREATE INDEX ix_search_segments_tsv ON search_segments USING rum (tsv rum_tsvector_ops)",
)
for _statement in SEARCH_VECTOR_DDL:
    # SQLAlchemy's DDL() has no annotations (its stubs leave __init__ untyped).
    _ddl = DDL(_statement)  # type: ignore[no-untyped-call]
    event.listen(search_segments, "after_create", _ddl.execute_if(dialect="postgresql"))

# Which common words the pair lexemes of every search_segments row were made with
# (``search.grams.VERSION``; ``search.index.pairs_ready``): written before the first row
# of an empty index and by ``documents reindex``. No row, or another list: phrases are
# found by positions alone. Operational, not evidence.
fulltext_state = Table(
    "fulltext_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("pairs", Text, nullable=False),
)

# --- testimonies (issue 15) ---
# A testimony's interview (everything but IDs, pseudonym and time sealed when protected)
# and consent per recipient (latest event per recipient wins; a withdrawal lists what had
# already been disclosed).

testimonies = Table(
    "testimonies",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("pseudonym", Text, nullable=False, unique=True),
    Column("sensitivity", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("witness_name", Text),
    Column("witness_contact", Text),
    Column("interview_date", Text),
    Column("interview_place", Text),
    Column("interviewer", Text),
    Column("others_present", JSON(none_as_null=True)),
    Column("interpreter", Text),
    Column("language", Text),
    Column("read_back", Boolean),
    Column("materials_shown", JSON(none_as_null=True)),
    Column("prior_statements", JSON(none_as_null=True)),
    _ledger_index(),
    Index("ix_testimonies_source_id", "source_id"),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Text, primary_key=True),
    Column("testimony_id", Text, ForeignKey("testimonies.id"), nullable=False),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("recipient_kind", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("date", Text, nullable=False),
    Column("how", Text),
    Column("informed_defence", Boolean, nullable=False),
    Column("disclosed", JSON, nullable=False),
    Column("at", Text, nullable=False),
    _ledger_index(),
    Index("ix_consents_source_id", "source_id"),
)

# A testimony's transcript divided into segments (exact text, direct or hearsay, time
# codes) and translations kept beside each segment; sealed like the testimony.

testimony_segments = Table(
    "testimony_segments",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("testimony_id", Text, ForeignKey("testimonies.id"), nullable=False),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("text", Text),
    Column("knowledge", Text),
    Column("start", Float),
    Column("end", Float),
    Column("note", Text),
    Column("sensitivity", Text, nullable=False),
    _ledger_index(),
    Index("ix_testimony_segments_testimony_id", "testimony_id"),
)

segment_translations = Table(
    "segment_translations",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("segment_id", Text, ForeignKey("testimony_segments.id"), nullable=False),
    Column("testimony_id", Text, ForeignKey("testimonies.id"), nullable=False),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("language", Text),
    Column("text", Text),
    Column("translator", Text),
    Column("method", Text),
    Column("created_at", Text, nullable=False),
    Column("sensitivity", Text, nullable=False),
    _ledger_index(),
    Index("ix_segment_translations_testimony_id", "testimony_id"),
)

# --- mentions and proposed claims (issue 15) ---
# What a text names (persons, places, dates, counts), found in an extracted text with its
# page and character span, and the claims proposed from it for a person to accept or
# reject. Both take their original item's sensitivity; a protected item's mentions and
# proposals are sealed (``domain.protected.CLEAR_FIELDS``) and reach only who sees it.

mentions = Table(
    "mentions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("run_id", Text, nullable=False),
    Column("item_id", Text, ForeignKey("items.id"), nullable=False),
    Column("text_item_id", Text, ForeignKey("items.id"), nullable=False),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", Text, nullable=False),  # person, place, date, count
    Column("page", Integer),
    Column("start", Integer),
    Column("end", Integer),
    Column("text", Text),
    Column("value", JSON(none_as_null=True)),
    Column("sensitivity", Text, nullable=False),
    _ledger_index(),
    Index("ix_mentions_item_id", "item_id"),
)

proposals = Table(
    "proposals",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    Column("run_id", Text, nullable=False),
    Column("item_id", Text, ForeignKey("items.id"), nullable=False),
    Column("text_item_id", Text, ForeignKey("items.id"), nullable=False),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("entity_kind", Text),
    Column("entity_id", Text),
    Column("property", Text, nullable=False),
    Column("value", JSON(none_as_null=True)),
    Column("date_earliest", Text),
    Column("date_latest", Text),
    Column("date_text", Text),
    Column("candidates", JSON(none_as_null=True)),
    Column("mention_ids", JSON(none_as_null=True)),
    Column("page", Integer),
    Column("locator", Text),
    Column("sentence", Text),
    Column("sensitivity", Text, nullable=False),
    Column("status", Text, nullable=False),  # pending, accepted, rejected
    Column("claim_id", Text, ForeignKey("claims.id")),
    _ledger_index(),
    Index("ix_proposals_item_id", "item_id"),
    Index("ix_proposals_status", "status"),
)

# --- facts and cases (issue 16) ---
# Sources are independent unless a provenance link joins them (derived from, cites,
# same compiler, same interview session); an involvement names the sources that say
# so, like a claim does; a case, its charges and the links of facts to the elements
# of each charge are sealed by default (``sealed`` holds them; the clear columns are
# then NULL), because a leaked case can warn a suspect who travels.

source_links = Table(
    "source_links",
    metadata,
    Column("id", Text, primary_key=True),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("other_source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("note", Text),
    Column("sensitivity", Text, nullable=False),
    _ledger_index(),
    Index("ix_source_links_source_id", "source_id"),
)

involvement_support = Table(
    "involvement_support",
    metadata,
    Column("involvement_id", Text, ForeignKey("involvements.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("source_id", Text, ForeignKey("sources.id"), nullable=False),
    Column("record_id", Text, ForeignKey("records.id")),
    Column("item_id", Text, ForeignKey("items.id")),
    Column("locator", Text),
    _ledger_index(),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sealed", JSON(none_as_null=True)),
    # Title and scope (suspects, acts, places, period) when not sealed.
    Column("title", Text),
    Column("scope", JSON(none_as_null=True)),
    Column("sensitivity", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    _ledger_index(),
)

case_charges = Table(
    "case_charges",
    metadata,
    Column("id", Text, primary_key=True),
    Column("case_id", Text, ForeignKey("cases.id"), nullable=False),
    Column("sealed", JSON(none_as_null=True)),
    # suspect_id, framework_id, crime_id, mode_id when not sealed.
    Column("charge", JSON(none_as_null=True)),
    Column("created_at", Text, nullable=False),
    _ledger_index(),
    Index("ix_case_charges_case_id", "case_id"),
)

case_links = Table(
    "case_links",
    metadata,
    Column("id", Text, primary_key=True),
    Column("case_id", Text, ForeignKey("cases.id"), nullable=False),
    Column("charge_id", Text, ForeignKey("case_charges.id"), nullable=False),
    Column("sealed", JSON(none_as_null=True)),
    # element, fact, assessment, how it proves the element, direction when not sealed.
    Column("link", JSON(none_as_null=True)),
    Column("linked_by", Text, nullable=False),
    Column("linked_at", Text, nullable=False),
    _ledger_index(),
    Index("ix_case_links_case_id", "case_id"),
)

# A lawyer's mark on a gap of the evidence (element of a charge with too little support):
# status and note, the latest mark of an element standing. Never support; never in a
# court bundle (investigative work product). Sealed with its case.
case_gap_marks = Table(
    "case_gap_marks",
    metadata,
    Column("id", Text, primary_key=True),
    Column("case_id", Text, ForeignKey("cases.id"), nullable=False),
    Column("charge_id", Text, ForeignKey("case_charges.id"), nullable=False),
    Column("sealed", JSON(none_as_null=True)),
    # element_id, status and note when the case is not sealed.
    Column("mark", JSON(none_as_null=True)),
    Column("marked_by", Text, nullable=False),
    Column("marked_at", Text, nullable=False),
    _ledger_index(),
    Index("ix_case_gap_marks_case_id", "case_id"),
)

case_exports = Table(
    "case_exports",
    metadata,
    Column("id", Text, primary_key=True),
    Column("case_id", Text, ForeignKey("cases.id"), nullable=False),
    Column("sealed", JSON(none_as_null=True)),
    Column("scope", Text, nullable=False),
    Column("exhibits", Integer, nullable=False),
    Column("withheld", Integer, nullable=False),
    Column("exported_at", Text, nullable=False),
    _ledger_index(),
    Index("ix_case_exports_case_id", "case_id"),
)

# --- the public memorial (issue 17, dadkhahi.publish) ---
# The editorial gate (sources approved for publication, families' withdrawals with a
# sealed reason), the publication key announced in the ledger, and every build's
# signed manifest (sequence, hash, the previous one's hash, the checkpoint it rests on).

publication_approvals = Table(
    "publication_approvals",
    metadata,
    Column("source_id", Text, ForeignKey("sources.id"), primary_key=True),
    Column("ledger_index", BigInteger, primary_key=True, autoincrement=False),
)

publication_withdrawals = Table(
    "publication_withdrawals",
    metadata,
    Column("person_id", Text, ForeignKey("persons.id"), primary_key=True),
    Column("ledger_index", BigInteger, primary_key=True, autoincrement=False),
    # The family's reason, sealed under its own data key (never in clear).
    Column("sealed", JSON, nullable=False),
)

publication_keys = Table(
    "publication_keys",
    metadata,
    Column("ledger_index", BigInteger, primary_key=True, autoincrement=False),
    Column("verifier_key", Text, nullable=False),
)

publications = Table(
    "publications",
    metadata,
    Column("sequence", Integer, primary_key=True, autoincrement=False),
    Column("manifest_sha256", Text, nullable=False),
    Column("content_sha256", Text, nullable=False),
    Column("previous_sha256", Text),
    Column("checkpoint_size", BigInteger, nullable=False),
    Column("files", Integer, nullable=False),
    _ledger_index(),
)

# Every person whose page a recorded build published, with the first such build: the
# memorial keeps each of these addresses answering (a redirect after a merge).
publication_addresses = Table(
    "publication_addresses",
    metadata,
    Column("person_id", Text, ForeignKey("persons.id"), primary_key=True),
    Column("sequence", Integer, nullable=False),
    _ledger_index(),
)

# Every list page (a path under a language's folder, e.g. ``lists/province-fars.html``)
# a recorded build published, with the first such build: a list that relinking or
# review empties leaves a redirect page at its address, never a 404.
publication_pages = Table(
    "publication_pages",
    metadata,
    Column("path", Text, primary_key=True),
    Column("sequence", Integer, nullable=False),
    _ledger_index(),
)

# Pages of a source's records and items in ID order (the API's default) come straight
# from these, without sorting every row of the source.
Index("ix_records_source_id_id", records.c.source_id, records.c.id)
Index("ix_items_source_id_id", items.c.source_id, items.c.id)

#: Tables rebuilt by replaying the ledger, in foreign-key order (``scrub_due`` names
#: ledger events but no event projects it: ``ledger verify`` found its marks "not produced
#: by any event").
PROJECTED: tuple[Table, ...] = tuple(
    t for t in metadata.sorted_tables if "ledger_index" in t.c and t is not scrub_due
)
