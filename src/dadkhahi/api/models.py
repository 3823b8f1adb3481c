"""Request and response bodies (pydantic), as the OpenAPI schema shows them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dadkhahi.access.policy import Role
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.vocab import (
    ActType,
    Credibility,
    EntityKind,
    InvolvementRole,
    ListKind,
    PlaceKind,
    PlaceStatus,
    Reliability,
    Sensitivity,
)
from dadkhahi.http.models import LONG, SHORT, StrictIn

Text = str
_SHORT = SHORT
_LONG = LONG
_ID = Field(min_length=1, max_length=64)

JsonScalar = str | int | float | bool | None


_In = StrictIn


class LoginIn(_In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class LoginOut(BaseModel):
    """A session. With ``stage`` ``second_factor`` the token may only be used to finish
    signing in (``POST /api/auth/second-factor``); with ``enrol`` only to enrol a second
    factor (``/api/auth/factors/...``), which the account must have."""

    token: str
    token_type: str = "bearer"  # noqa: S105 - the scheme, not a secret
    expires_at: str
    user: dict[str, Any]
    stage: Literal["full", "second_factor", "enrol"] = "full"
    #: Second factors the user can give now, strongest first.
    methods: list[str] = []
    #: Options for ``navigator.credentials.get`` when a security key can be used.
    webauthn: dict[str, Any] | None = None


class SecondFactorIn(_In):
    """Exactly one proof: a TOTP code, a recovery code, or a WebAuthn assertion
    (the ``PublicKeyCredential`` as JSON)."""

    totp: str | None = Field(default=None, min_length=6, max_length=10)
    recovery_code: str | None = Field(default=None, min_length=16, max_length=40)
    webauthn: dict[str, Any] | None = None


class StageOut(BaseModel):
    stage: str
    factor: str | None = None


class PasswordChangeIn(_In):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=12, max_length=1024)


class SessionOut(BaseModel):
    id: str
    created_at: str
    last_seen_at: str
    expires_at: str
    ip: str | None
    stage: str
    second_factor: bool
    current: bool


class EndedOut(BaseModel):
    ended: int


class FactorOut(BaseModel):
    id: str
    kind: str
    created_at: str


class TotpSecretOut(BaseModel):
    """A fresh TOTP secret: put it in an authenticator app (``uri`` as a QR code), then
    send it back with a code from the app to ``POST /api/auth/factors/totp``."""

    secret: str
    uri: str


class TotpIn(_In):
    secret: str = Field(min_length=16, max_length=128)
    code: str = Field(min_length=6, max_length=10)


class WebAuthnIn(_In):
    """The ``PublicKeyCredential`` from ``navigator.credentials.create``, as JSON."""

    credential: dict[str, Any]


class RecoveryCodesOut(BaseModel):
    """Shown once; each works once. Keep them somewhere safe and apart from the key."""

    codes: list[str]


class SecondFactorRuleIn(_In):
    require: Literal["none", "protected", "all"]


class Me(BaseModel):
    signed_in: bool
    user_id: str | None
    username: str | None
    role: str | None
    permissions: list[str]


class FindIn(_In):
    """A search of one kind of object: its words (and filters by a value people type,
    such as a list's own record ID) in the body, never in the address."""

    q: str | None = Field(None, min_length=1, max_length=200,
                          description="Words the searchable fields must contain")
    filters: dict[str, str] = Field(
        default_factory=dict, max_length=16,
        description="The list's filters (codes and IDs, as its query string takes them)")
    sort: str = Field("id", max_length=64, pattern="^-?[a-z_]+$")
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = Field(None, max_length=2048)
    count: bool = False


class Page(BaseModel):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next one."""

    data: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None


class RecordIn(_In):
    source_id: str = _ID
    item_id: str | None = Field(None, min_length=1, max_length=64)
    external_id: str | None = Field(None, max_length=_SHORT)
    verbatim: dict[str, JsonScalar] = Field(max_length=200)
    normalized: dict[str, JsonScalar] | None = Field(None, max_length=200)
    sensitivity: Sensitivity | None = None


class PersonIn(_In):
    label: str = Field(min_length=1, max_length=_SHORT)
    sensitivity: Sensitivity = Sensitivity.RESTRICTED
    synthetic: bool = False


class OrganizationIn(_In):
    name: str = Field(min_length=1, max_length=_SHORT)
    kind: str | None = Field(None, max_length=64)
    sensitivity: Sensitivity = Sensitivity.PUBLIC


class PlaceIn(_In):
    name: str = Field(min_length=1, max_length=_SHORT)
    kind: PlaceKind
    name_fa: str | None = Field(None, max_length=_SHORT)
    parent_id: str | None = Field(None, min_length=1, max_length=64)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    status: PlaceStatus = PlaceStatus.UNKNOWN
    sensitivity: Sensitivity = Sensitivity.PUBLIC


class DateIn(_In):
    earliest: date | None = None
    latest: date | None = None
    text: str | None = Field(None, max_length=_SHORT)

    def to_range(self) -> DateRange:
        return DateRange(self.earliest, self.latest, self.text)


class SupportIn(_In):
    source_id: str = _ID
    record_id: str | None = Field(None, min_length=1, max_length=64)
    item_id: str | None = Field(None, min_length=1, max_length=64)
    locator: str | None = Field(None, max_length=_SHORT)


class ActIn(_In):
    """A new act and the source that tells it (an act without one is refused)."""

    type: ActType
    place_id: str | None = Field(None, min_length=1, max_length=64)
    date: DateIn | None = None
    description: str | None = Field(None, max_length=_LONG)
    sensitivity: Sensitivity = Sensitivity.RESTRICTED
    support: SupportIn


class ActChangeIn(_In):
    """An act as corrected (its whole kind, place, date and description) and the source
    that tells it so."""

    type: ActType
    place_id: str | None = Field(None, min_length=1, max_length=64)
    date: DateIn | None = None
    description: str | None = Field(None, max_length=_LONG)
    support: SupportIn


class InvolvementIn(_In):
    """A person or organisation in an act, in a role, as the ``support`` sources say."""

    act_id: str = _ID
    role: InvolvementRole
    person_id: str | None = Field(None, min_length=1, max_length=64)
    organization_id: str | None = Field(None, min_length=1, max_length=64)
    sensitivity: Sensitivity = Sensitivity.RESTRICTED
    support: list[SupportIn] = Field(default_factory=list, max_length=50)


class ClaimIn(_In):
    entity_kind: EntityKind
    entity_id: str = _ID
    property: str = Field(min_length=1, max_length=128)
    value: JsonScalar | dict[str, JsonScalar] | list[JsonScalar]
    support: list[SupportIn] = Field(min_length=1, max_length=50)
    date: DateIn | None = None
    sensitivity: Sensitivity = Sensitivity.RESTRICTED


class ClaimStatusIn(_In):
    status: str = Field(pattern="^(asserted|corroborated|disputed|retracted)$")


class PlaceStatusIn(_In):
    status: PlaceStatus


class UserIn(_In):
    username: str = Field(min_length=2, max_length=64)
    role: Role
    password: str = Field(min_length=12, max_length=1024)


class UserPatch(_In):
    role: Role | None = None
    disabled: bool | None = None


class GrantIn(_In):
    scope_id: str = _ID
    user: str = Field(min_length=1, max_length=64)


class EraseIn(_In):
    reason: str = Field(min_length=1, max_length=_SHORT)


class EstimateIn(_In):
    """A capture-history table: one row per pattern of lists (0/1), with its count."""

    lists: list[str] = Field(min_length=2, max_length=8)
    patterns: list[list[int]] = Field(min_length=1, max_length=255)
    counts: list[int] = Field(min_length=1, max_length=255)
    method: str = Field("loglinear", pattern="^(loglinear|loglinear-bic|lp|chao)$")
    level: float = Field(0.95, gt=0.5, lt=1)


# --- uploads (multipart fields sent before the file; never in the URL) ----------------


class ListUploadIn(_In):
    """The fields of a list import."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str | None = Field(None, min_length=1, max_length=_SHORT, description=(
        "An existing source's ID or exact title; if none matches, a new source of kind "
        "`list` with this title is registered. Required unless `new_version_of` is given"))
    new_version_of: str | None = Field(None, min_length=1, max_length=_SHORT, description=(
        "A list's exact ID (`lst_…`): the file becomes its next version, superseding the "
        "current one (a corrected file, or the same file with other options); records "
        "match by `id_column`, else by row. The list keeps its source and description; "
        "give no `source` and no description fields"))
    id_column: str | None = Field(None, max_length=_SHORT, description=(
        "Column holding the list's own record ids (must be unique)"))
    map: list[str] = Field(default_factory=list, max_length=50, description=(
        "FIELD=COLUMN, repeatable (full_name, given_name, family_name, father_name, sex, "
        "birth_year, age, city, province, prison, death_date, burial_place, affiliation, "
        "id_number, notes)"))
    sensitivity: Sensitivity | None = Field(None, description=(
        "Of the records (default: the source's; restricted for a new source)"))
    name: str | None = Field(None, max_length=1024, description=(
        "Original file name (default: the file part's filename)"))
    encoding: str | None = Field(None, max_length=40, description=(
        "Text encoding of a CSV (default: detected)"))
    sheet: str | None = Field(None, max_length=200, description=(
        "XLSX sheet (default: the first)"))
    multiline_cells: bool = Field(False, description=(
        "Accept quoted cells whose lines read as rows of the file (listed in `warnings`); "
        "without it such a file is refused, as a quote left open would swallow rows"))
    reliability: Reliability = Field(Reliability.F, description="New source: Admiralty A-F")
    credibility: Credibility = Field(Credibility.CANNOT_JUDGE,
                                     description="New source: Admiralty 1-6")
    from_party: str | None = Field(None, alias="from", max_length=_SHORT,
                                   description="Who handed the list over")
    how: str | None = Field(None, max_length=_SHORT, description="How it was obtained")
    list_kind: ListKind = Field(ListKind.VICTIMS, description=(
        "What the list lists: victims (the dead), detainees (survivors too), perpetrators "
        "or other"))
    province: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=40, description=(
            "A province the list covers, repeatable (any script); none: not limited"))
    period: str | None = Field(None, max_length=100, description=(
        "Period of the events listed: FROM..TO, either end open, Solar Hijri or Gregorian"))
    derived_from: list[Annotated[str, _ID]] = Field(
        default_factory=list, max_length=20, description=(
            "List (lst_/imp_) or source (src_) IDs this list was copied or extracted from"))
    compiled_by: list[Annotated[str, _ID]] = Field(
        default_factory=list, max_length=20, description=(
            "List (lst_/imp_) or source (src_) IDs of whoever compiled this list"))


# --- lists and linkage ----------------------------------------------------------------


class ListOut(BaseModel):
    """What a list lists, covers and came from, and its current version.

    ``provinces`` null: not limited to some provinces; ``period_from``/``period_to``
    (ISO, Gregorian) null: that end open or not stated. ``derived_from`` and
    ``compiled_by`` name lists (``lst_``) or sources (``src_``) you may see.
    """

    id: str
    kind: ListKind
    provinces: list[str] | None
    province_keys: list[str] | None
    period_from: str | None
    period_to: str | None
    period_text: str | None
    derived_from: list[str]
    compiled_by: list[str]
    current_import_id: str
    versions: int
    sensitivity: Sensitivity
    version: int


class ListDescriptionIn(_In):
    """Fields to change; a field left out stays as it is, null (or []) clears it."""

    kind: ListKind | None = Field(default=None, description="Null or absent: unchanged")
    provinces: list[Annotated[str, Field(max_length=200)]] | None = Field(
        default=None, max_length=40,
        description="Province names (any script); null or []: not limited")
    period: str | None = Field(
        default=None, max_length=100,
        description="FROM..TO, either end open, Solar Hijri or Gregorian; null: not stated")
    derived_from: list[Annotated[str, _ID]] | None = Field(
        default=None, max_length=20, description="List (lst_/imp_) or source (src_) IDs")
    compiled_by: list[Annotated[str, _ID]] | None = Field(
        default=None, max_length=20, description="List (lst_/imp_) or source (src_) IDs")


class ListImportOut(BaseModel):
    """One imported file of a list (a version): its source, its item, what was read."""

    id: str
    list_id: str
    list_version: int
    superseded_by: str | None
    list: ListOut
    source_id: str
    source_title: str
    item_id: str
    original_name: str | None
    sha256: str
    format: str
    encoding: str | None
    rows: int
    columns: dict[str, str]
    id_column: str | None
    sensitivity: Sensitivity
    imported_at: str
    linked_persons: int
    version: int
    #: A later version: how its records matched the one before and what changed.
    matched_by: str | None = None
    added: int | None = None
    removed: int | None = None
    changed: int | None = None


class ListVersionChangesOut(BaseModel):
    """What a new version of a list changed (records matched by the list's own IDs,
    ``external_id``, or by row contents, ``row``) and what became of review decisions."""

    previous_import: str
    previous_version: int
    matched_by: str
    added: int
    removed: int
    changed: int
    unchanged: int
    linkage_changed: int
    persons_kept: int
    decisions_carried: int
    decisions_returned: int
    decisions_lapsed: int
    review_moved: int


class ListImportCreated(ListImportOut):
    """A new import, with what the import itself noticed (``changes``: a new version's)."""

    source_created: bool
    unmapped: list[str]
    warnings: list[str]
    changes: ListVersionChangesOut | None = None


class LinkRunIn(_In):
    """A linkage run over HTTP uses DuckDB; runs on Spark are for the command line."""

    backend: Literal["duckdb"] = "duckdb"
    threshold: float | None = Field(
        default=None, ge=0.01, le=0.99,
        description="Match probability at which a pair links (default: the linker's "
                    "tuned default, as for `dadkhahi link run`)")
    seed: int | None = Field(
        default=None, ge=0, le=2**31 - 1,
        description="Seed of the model's sampling (default 1), recorded with the run")


class LinkRunOut(BaseModel):
    """What one linkage run found and changed (counts only)."""

    run_id: str
    kind: str
    records: int
    persons: int
    new_persons: int
    reused_persons: int
    assigned: int
    moved: int
    claims_added: int
    claims_retired: int
    pairs: int
    review: int
    decisions: int
    conflicts: int
    seconds: float
    ledger_index: int


class JobProgressOut(BaseModel):
    done: int
    total: int | None
    note: str | None


class JobOut(BaseModel):
    """A job: poll ``url`` until ``state`` is final; ``result`` then holds IDs and counts."""

    id: str
    kind: str
    params: dict[str, Any]
    state: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    created_at: str
    started_at: str | None
    finished_at: str | None
    attempts: int
    progress: JobProgressOut
    cancel_requested: bool
    result: dict[str, Any] | None
    error: str | None
    url: str
    result_url: str | None


#: The memorial's languages by default, its main one first.
_BOTH_LANGUAGES: list[Literal["fa", "en"]] = ["fa", "en"]


class MemorialBuildIn(_In):
    """A build of the public memorial, run as a job into the home's memorial folder."""

    languages: list[Literal["fa", "en"]] = Field(
        default_factory=lambda: _BOTH_LANGUAGES.copy(), min_length=1, max_length=2,
        description="Languages of the site, the first its main one")
    base_url: str | None = Field(default=None, min_length=1, max_length=_SHORT,
                                 description="Public address of the site (hreflang links)")
    contact: str | None = Field(default=None, min_length=1, max_length=_SHORT,
                                description="Where families send corrections")
    book: bool = Field(default=False, description="Also lay out the printable book")


class EstimateRunIn(_In):
    """An estimate of the store's linked lists, run as a job and recorded when done."""

    method: Literal["lcmcr", "loglinear", "loglinear-bic", "loglinear-avg",
                    "loglinear-avg-bic", "lp", "chao"] = "lcmcr"
    by: Literal["province", "city", "prison", "period"] | None = Field(
        default=None, description="Estimate per stratum and sum")
    seed: int = Field(default=1, ge=0, le=2**31 - 1,
                      description="Every random step is seeded from it; recorded")
    level: float = Field(0.95, gt=0.5, lt=1)
    iterations: int | None = Field(default=None, ge=8, le=1_000_000,
                                   description="LCMCR Gibbs sweeps per chain")
    chains: int | None = Field(default=None, ge=1, le=16, description="LCMCR chains")
    linkage_uncertainty: bool | None = Field(
        default=None,
        description="Carry the linkage's uncertainty into the interval (drawn linkages, "
        "pooled). Not given: on when the last linkage run has a recorded audit, else off "
        "with a warning in the result")
    linkage_draws: int | None = Field(
        default=None, ge=2, le=500,
        description="Draw this many linkages and pool (linkage uncertainty; default 20)")


class PreviousDecisionOut(BaseModel):
    """A decision made on a pair before a new version of a list changed a linkage field
    of one of its records: shown with the pair, no longer in force."""

    id: str
    decision: str
    actor: str
    decided_at: str
    note: str | None


class ReviewPairOut(BaseModel):
    """An uncertain pair of the last model run, both records shown in full.

    A pair returned to the queue by a new list version comes first, with
    ``previous_decision``; its ``probability`` is null when the model never scored it."""

    run_id: str
    seq: int
    probability: float | None
    weight: float | None
    left: dict[str, Any]
    right: dict[str, Any]
    previous_decision: PreviousDecisionOut | None = None


class DecisionIn(_In):
    """A reviewer's decision on two records: ``same`` or ``different`` person, or
    ``unsure``: not a decision in force, the pair goes to another reviewer (it leaves
    this reviewer's queue and is shown to the next with this doubt beside it)."""

    record_a: str = _ID
    record_b: str = _ID
    decision: Literal["same", "different", "unsure"]
    note: str | None = Field(None, max_length=_LONG)


class DecisionOut(BaseModel):
    """A recorded decision (a ``link.decided`` ledger event; ``event`` is its index)."""

    id: str
    record_a: str
    record_b: str
    decision: str
    actor: str
    note: str | None
    run_id: str | None
    probability: float | None
    decided_at: str
    event: int


class ListCount(BaseModel):
    list: str
    source_id: str
    records: int
    persons: int


class Overlap(BaseModel):
    """Persons on both lists (row, column); the diagonal is the persons on each list."""

    lists: list[str]
    persons: list[list[int]]


class LinkStatsOut(BaseModel):
    """Linkage counts over the list records visible to the caller."""

    records: int
    linked_records: int
    persons: int
    lists: list[ListCount]
    overlap: Overlap
    last_run: dict[str, Any] | None
    decisions: int
    review_pending: int


class PersonSearchIn(_In):
    """A person search: the name travels in the body, never in a URL (nor a log line)."""

    name: str = Field(min_length=1, max_length=200,
                      description="A name in any script: Persian finds Latin spellings "
                                  "and the reverse")
    limit: int = Field(20, ge=1, le=100, description="Most hits to return")
    min_score: float = Field(0.7, ge=0.0, le=1.0,
                             description="Leave out hits scoring below this (0-1)")
    suggest: bool = Field(False, description="Search-as-you-type: never a protected hit, "
                                             "nothing audited, no filters")
    # The search page's filters, on the matched records (empty: not asked).
    list_: str | None = Field(None, alias="list", max_length=200,
                              description="Only records of this list (its source's ID)")
    province: str | None = Field(None, max_length=200, description="Province, any script")
    prison: str | None = Field(None, max_length=200, description="Prison, any script")
    date_from: str | None = Field(None, max_length=200, description=(
        "Died on or after this date, in either calendar (1367/05/12, 1988-08-03)"))
    date_to: str | None = Field(None, max_length=200, description=(
        "Died on or before this date, in either calendar"))
    sex: str | None = Field(None, max_length=1, description="m or f")
    affiliation: str | None = Field(None, max_length=200,
                                    description="Political affiliation, any script")

    def filters(self) -> dict[str, str]:
        """The filters asked for, named as the page names them."""
        values = {"list": self.list_, "province": self.province, "prison": self.prison,
                  "date_from": self.date_from, "date_to": self.date_to, "sex": self.sex,
                  "affiliation": self.affiliation}
        return {k: v for k, v in values.items() if v}


class MatchedRecordOut(BaseModel):
    record_id: str
    source_id: str
    external_id: str | None
    name: str
    score: float
    reasons: list[str]


class PersonHitOut(BaseModel):
    """A person (``person_id`` null: a record not linked to anyone yet), best record
    first, with why it matched."""

    person_id: str | None
    label: str
    score: float
    reasons: list[str]
    records: list[MatchedRecordOut]


class PersonSearchOut(BaseModel):
    query: str
    candidates: int = Field(description="Visible records sharing any key with the name")
    keys: list[str] = Field(description="The name's cross-script keys that were looked up")
    hits: list[PersonHitOut]
class SearchIn(_In):
    """A full-text query: words, "quoted phrases" and prefixes*, all required; narrowed,
    before ranking, to these sources and to documents' pages or testimonies' passages."""

    q: str = Field(min_length=1, max_length=500)
    limit: int = Field(default=20, ge=1, le=100)
    sources: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=50, description="Only these sources' texts")
    kind: Literal["document", "testimony"] | None = Field(
        default=None, description="Only documents' pages, or only testimonies' passages")


class AcceptIn(_In):
    """Accepting a proposed claim: optionally its subject, as ``KIND:ID``, and the person
    or organisation the statement is attributed to (``person:ID``, ``organization:ID``)."""

    entity: str | None = Field(default=None, max_length=100)
    attributed_to: str | None = Field(default=None, max_length=100)


class TranscriptionIn(_In):
    """A page's text as a person typed it beside the page image."""

    text: str = Field(min_length=1, max_length=100_000)


class TranscriptionRequestIn(_In):
    """Pages to transcribe; ``required`` 2 asks for two independent transcriptions."""

    pages: list[int] = Field(min_length=1, max_length=5000)
    required: int = Field(default=1, ge=1, le=2)


class CaptureIn(_In):
    """A web page to capture as evidence (the address travels in the body, never a URL)."""

    url: str = Field(min_length=8, max_length=2000)
    source_id: str | None = Field(default=None, max_length=100)
    sensitivity: Sensitivity = Sensitivity.RESTRICTED
    title: str | None = Field(default=None, max_length=500)


class RedactionAreaIn(_In):
    """A rectangle to remove: page (1-based) and box x0, y0, x1, y1 (PDF points, or
    pixels of an image)."""

    page: int = Field(ge=1, le=100_000)
    box: tuple[float, float, float, float]


class RedactionIn(_In):
    """What to remove from a copy of an item, and why (the words are never stored)."""

    reason: str = Field(min_length=1, max_length=1000)
    texts: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=200)
    areas: list[RedactionAreaIn] = Field(default_factory=list, max_length=1000)


class ReleaseIn(_In):
    """Releasing a redacted copy at a lower sensitivity than its original, and why."""

    sensitivity: Sensitivity
    reason: str = Field(min_length=1, max_length=1000)


class TestimonyIn(_In):
    """A testimony: the title and interview details (all sealed when protected)."""

    title: str = Field(min_length=1, max_length=500)
    witness_name: str | None = Field(default=None, max_length=500)
    witness_contact: str | None = Field(default=None, max_length=1000)
    interview_date: str | None = Field(default=None, max_length=100)
    interview_place: str | None = Field(default=None, max_length=500)
    interviewer: str | None = Field(default=None, max_length=500)
    others_present: list[str] = Field(default_factory=list, max_length=50)
    interpreter: str | None = Field(default=None, max_length=500)
    language: str | None = Field(default=None, max_length=35)
    read_back: bool | None = None
    materials_shown: list[str] = Field(default_factory=list, max_length=200)
    prior_statements: list[str] = Field(default_factory=list, max_length=200)
    sensitivity: Sensitivity = Sensitivity.PROTECTED


class InterviewIn(_In):
    """A change of a testimony's interview: only the fields sent change (``null`` or an
    empty list clears one); sealed when the testimony is protected."""

    interview_date: str | None = Field(default=None, max_length=100)
    interview_place: str | None = Field(default=None, max_length=500)
    interviewer: str | None = Field(default=None, max_length=500)
    others_present: list[str] | None = Field(default=None, max_length=50)
    interpreter: str | None = Field(default=None, max_length=500)
    language: str | None = Field(default=None, max_length=35)
    read_back: bool | None = None
    materials_shown: list[str] | None = Field(default=None, max_length=200)
    prior_statements: list[str] | None = Field(default=None, max_length=200)


class ConsentIn(_In):
    """Consent for one recipient, or its withdrawal (listing what was disclosed)."""

    recipient_kind: str = Field(max_length=20)
    recipient: str | None = Field(default=None, max_length=500)
    status: str = Field(max_length=20)
    date: str | None = Field(default=None, max_length=10)
    how: str | None = Field(default=None, max_length=1000)
    informed_defence: bool = False
    disclosed: list[str] = Field(default_factory=list, max_length=1000)


class SegmentIn(_In):
    """One passage of a transcript, exactly as transcribed."""

    text: str = Field(min_length=1, max_length=100_000)
    knowledge: str = Field(max_length=10)
    start: float | None = Field(default=None, ge=0)
    end: float | None = Field(default=None, ge=0)
    note: str | None = Field(default=None, max_length=2000)


class SegmentsIn(_In):
    """Segments to add after the testimony's last one, in order."""

    segments: list[SegmentIn] = Field(min_length=1, max_length=5000)


class TranslationIn(_In):
    """A translation of one segment, kept beside it."""

    language: str = Field(min_length=1, max_length=35)
    text: str = Field(min_length=1, max_length=100_000)
    translator: str | None = Field(default=None, max_length=500)
