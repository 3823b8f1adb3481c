"""Second factors: WebAuthn security keys (recommended), TOTP (RFC 6238) and recovery codes.

State-linked attackers phish one-time codes in real time; a WebAuthn key signs
for the site's own origin only, so a phishing page gets nothing it can replay.
TOTP is the fallback for people without a key, recovery codes the way back in
when a key is lost.

A factor is added and removed by ledger events (``user.factor_added`` /
``user.factor_removed``) whose secret part (TOTP secret, the key's public key
and credential ID, hashes of the recovery codes) is sealed under the factor's
own data key: removing a factor destroys that key. How far a factor has been
used (the key's signature counter, the last TOTP time step, recovery codes
spent) changes at every sign-in and lives in ``factor_state``, outside the ledger.

An admin may require a second factor (setting ``second_factor``): of everyone
(``all``), of every account holding a grant on protected material
(``protected``), or of no one (``none``, the default).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, delete, insert, select, update

from dadkhahi.access.policy import Principal
from dadkhahi.access.sessions import CHALLENGE_TTL
from dadkhahi.domain.errors import NotFoundError, UserError, ValidationError
from dadkhahi.domain.ids import new_id
from dadkhahi.store import schema as s
from dadkhahi.store.db import write_transaction
from dadkhahi.store.erase import mark_scrub_due
from dadkhahi.store.sealed import KeyRing
from dadkhahi.store.store import Store, utc_now

WEBAUTHN = "webauthn"
TOTP = "totp"
RECOVERY = "recovery"
#: Factors that can stand as the second step of a sign-in, strongest first.
KINDS = (WEBAUTHN, TOTP, RECOVERY)

SETTING = "second_factor"
REQUIRE = ("none", "protected", "all")

#: Recovery codes per set; each is 16 base32 characters (80 random bits), so a plain
#: SHA-256 of it cannot be reversed by guessing (unlike a password, it is not chosen
#: by a person), and a set is shown once.
RECOVERY_CODES = 10
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


# --- the requirement -------------------------------------------------------------

def requirement(conn: Connection) -> str:
    """Who must use a second factor: ``none``, ``protected`` or ``all``."""
    a = s.access_settings.c
    value = conn.execute(select(a.value).where(a.name == SETTING)
                         .order_by(a.ledger_index.desc()).limit(1)).scalar()
    return "none" if value is None else str(value)


def required_for(conn: Connection, user_id: str) -> bool:
    """Whether this user must sign in with a second factor."""
    rule = requirement(conn)
    if rule == "all":
        return True
    if rule == "protected":
        g = s.access_grants.c
        return conn.execute(select(g.scope_id).where(g.user_id == user_id).limit(1)).first() \
            is not None
    return False


def end_sessions_without_factor(conn: Connection, user_ids: list[str] | None = None) -> int:
    """End sessions opened without a second factor of users who now need one."""
    a = s.auth_sessions.c
    stmt = delete(s.auth_sessions).where(a.second_factor == 0)
    if user_ids is not None:
        stmt = stmt.where(a.user_id.in_(user_ids))
    needing = [u for u in _users_with_sessions(conn, user_ids) if required_for(conn, u)]
    if not needing:
        return 0
    return int(conn.execute(stmt.where(a.user_id.in_(needing))).rowcount)


def _users_with_sessions(conn: Connection, user_ids: list[str] | None) -> list[str]:
    a = s.auth_sessions.c
    stmt = select(a.user_id).distinct()
    if user_ids is not None:
        stmt = stmt.where(a.user_id.in_(user_ids))
    return [str(u) for u in conn.execute(stmt).scalars()]


def set_requirement(store: Store, value: str, actor: str) -> int:
    """Change who must use a second factor; their sessions without one end at once."""
    if value not in REQUIRE:
        raise ValidationError(f"second factor requirement must be one of {', '.join(REQUIRE)}")
    with store.transaction(actor) as tx:
        index = tx.emit("access.setting_changed", {"name": SETTING, "value": value})
        tx.flush()  # the new rule must be visible to the check below
        end_sessions_without_factor(tx.conn)
        return index


# --- factors of a user -----------------------------------------------------------

def list_factors(conn: Connection, user_id: str) -> list[dict[str, Any]]:
    """A user's factors (kind, when added; never their secrets), oldest first."""
    f = s.user_factors.c
    rows = conn.execute(select(f.id, f.kind, f.created_at).where(f.user_id == user_id)
                        .order_by(f.created_at, f.id)).mappings()
    return [dict(r) for r in rows]


def kinds_of(conn: Connection, user_id: str) -> list[str]:
    """The kinds of factor a user can sign in with, strongest first."""
    present = {str(r["kind"]) for r in list_factors(conn, user_id)}
    return [k for k in KINDS if k in present]


def _add(store: Store, principal: Principal, kind: str, secret: dict[str, Any],
         counter: int = 0) -> str:
    assert principal.user_id is not None
    factor_id = new_id("factor")
    with store.transaction(principal.name) as tx:
        tx.emit("user.factor_added", {
            "id": factor_id, "user_id": principal.user_id, "kind": kind,
            "created_at": utc_now(), "sealed": tx.seal(secret, factor_id),
        })
        tx.conn.execute(insert(s.factor_state).values(factor_id=factor_id, counter=counter,
                                                      used=[]))
    return factor_id


def remove_factor(store: Store, principal: Principal, factor_id: str) -> int:
    """Remove one of the principal's factors; its sealed secret is destroyed."""
    with store.transaction(principal.name) as tx:
        f = s.user_factors.c
        row = tx.conn.execute(select(s.user_factors).where(
            f.id == factor_id, f.user_id == principal.user_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no factor {factor_id!r}")
        if row["sealed"]:
            KeyRing.destroy(tx.conn, row["sealed"]["key_id"])
        tx.conn.execute(delete(s.factor_state).where(s.factor_state.c.factor_id == factor_id))
        index = tx.emit("user.factor_removed", {"id": factor_id})
        if row["sealed"]:
            # The secret's wrapped key stays in free pages until a scrub (store.erase).
            mark_scrub_due(tx.conn, ("data_keys",), index)
        return index


def _factors(store: Store, conn: Connection, user_id: str,
             kind: str) -> list[tuple[str, dict[str, Any], int, list[Any]]]:
    """(id, unsealed secret, counter, used) of a user's factors of one kind."""
    f, st = s.user_factors.c, s.factor_state.c
    rows = conn.execute(
        select(f.id, f.sealed, st.counter, st.used)
        .join(s.factor_state, st.factor_id == f.id)
        .where(f.user_id == user_id, f.kind == kind).order_by(f.created_at, f.id)).all()
    found = []
    for row in rows:
        secret = store.keys.unseal(conn, row.sealed, str(row.id)) if row.sealed else None
        if secret is not None:
            found.append((str(row.id), secret, int(row.counter), list(row.used or [])))
    return found


def _advance(store: Store, factor_id: str, old: int, new: int,
             used: list[Any] | None = None) -> bool:
    """Move a factor's state on, only if nobody else used it meanwhile (no replay)."""
    st = s.factor_state.c
    values: dict[str, Any] = {"counter": new}
    if used is not None:
        values["used"] = used
    with write_transaction(store.engine) as conn:
        result = conn.execute(update(s.factor_state).where(
            st.factor_id == factor_id, st.counter == old).values(**values))
        return result.rowcount == 1


# --- TOTP (RFC 6238) ---------------------------------------------------------------

def new_totp_secret() -> str:
    """A fresh TOTP secret (base32, 160 bits as RFC 4226 recommends)."""
    import pyotp

    return pyotp.random_base32(32)


def totp_uri(secret: str, username: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (as a QR code or typed)."""
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def _totp_step(secret: str, code: str, after: int, at: float | None = None) -> int | None:
    """The time step (30 s) ``code`` belongs to, within one step of now and later than
    ``after``; None if it matches none (RFC 6238 section 5.2: each code is used once)."""
    import pyotp

    totp = pyotp.TOTP(secret)
    at = time.time() if at is None else at
    now = totp.timecode(_utc(at))
    code = code.strip().replace(" ", "")
    for step in (now - 1, now, now + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _utc(at: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(at, UTC)


def add_totp(store: Store, principal: Principal, secret: str, code: str) -> str:
    """Enrol a TOTP secret once a code from it shows the app holds it."""
    try:
        base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    except ValueError:
        raise ValidationError("secret: not base32") from None
    if len(secret) < 26:
        raise ValidationError("secret: shorter than 128 bits")
    step = _totp_step(secret, code, -1)
    if step is None:
        raise ValidationError("code: does not match the secret (is the clock right?)")
    return _add(store, principal, TOTP, {"secret": secret}, counter=step)


def check_totp(store: Store, user_id: str, code: str) -> bool:
    """True if ``code`` is a fresh code of one of the user's TOTP secrets (then spent)."""
    with store.reading() as conn:
        factors = _factors(store, conn, user_id, TOTP)
    for factor_id, secret, counter, _ in factors:
        step = _totp_step(str(secret["secret"]), code, counter)
        if step is not None and _advance(store, factor_id, counter, step):
            return True
    return False


# --- recovery codes ----------------------------------------------------------------

def _normal_code(code: str) -> str:
    return "".join(c for c in code.upper() if c in _B32)


def _code_hash(code: str) -> str:
    return hashlib.sha256(_normal_code(code).encode()).hexdigest()


def new_recovery_codes(store: Store, principal: Principal) -> list[str]:
    """A new set of recovery codes (shown once; only their hashes are kept).

    The previous set stops working.
    """
    assert principal.user_id is not None
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_B32) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    with store.reading() as conn:
        old = [f["id"] for f in list_factors(conn, principal.user_id) if f["kind"] == RECOVERY]
    for factor_id in old:
        remove_factor(store, principal, factor_id)
    _add(store, principal, RECOVERY, {"hashes": [_code_hash(c) for c in codes]})
    return codes


def check_recovery_code(store: Store, user_id: str, code: str) -> bool:
    """True if ``code`` is an unspent recovery code of the user (then spent)."""
    wanted = _code_hash(code)
    with store.reading() as conn:
        factors = _factors(store, conn, user_id, RECOVERY)
    for factor_id, secret, counter, used in factors:
        for i, known in enumerate(secret["hashes"]):
            if i not in used and hmac.compare_digest(known, wanted):
                return _advance(store, factor_id, counter, counter + 1, [*used, i])
    return False


# --- WebAuthn (security keys) -------------------------------------------------------

@dataclass(frozen=True)
class RelyingParty:
    """Who the keys sign for: the site's domain (RP ID) and its exact origin."""

    origin: str
    name: str = "Dadkhahi"

    @property
    def id(self) -> str:
        host = urlsplit(self.origin).hostname
        if not host:
            raise ValidationError(f"not an origin: {self.origin!r}")
        return host


#: The options' ``timeout`` (milliseconds): as long as the server keeps the challenge.
_TIMEOUT_MS = int(CHALLENGE_TTL.total_seconds() * 1000)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def registration_options(store: Store, principal: Principal,
                         rp: RelyingParty) -> tuple[dict[str, Any], str]:
    """(options for ``navigator.credentials.create``, the challenge to remember)."""
    import webauthn
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        UserVerificationRequirement,
    )

    assert principal.user_id is not None
    assert principal.username is not None
    with store.reading() as conn:
        known = _factors(store, conn, principal.user_id, WEBAUTHN)
    options = webauthn.generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_name=principal.username,
        user_id=principal.user_id.encode(),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=_unb64(str(sec["credential_id"])))
                             for _, sec, _, _ in known],
        authenticator_selection=AuthenticatorSelectionCriteria(
            user_verification=UserVerificationRequirement.PREFERRED),
        timeout=_TIMEOUT_MS,
    )
    return json.loads(webauthn.options_to_json(options)), _b64(options.challenge)


def add_webauthn(store: Store, principal: Principal, credential: dict[str, Any],
                 challenge: str, rp: RelyingParty) -> str:
    """Verify a new key's attestation against the challenge and origin; enrol it."""
    import webauthn
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=_unb64(challenge),
            expected_rp_id=rp.id, expected_origin=rp.origin)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(f"credential: {exc}") from None
    return _add(store, principal, WEBAUTHN, {
        "credential_id": _b64(verified.credential_id),
        "public_key": _b64(verified.credential_public_key),
    }, counter=verified.sign_count)


def authentication_options(store: Store, user_id: str,
                           rp: RelyingParty) -> tuple[dict[str, Any], str] | None:
    """(options for ``navigator.credentials.get``, challenge), or None without keys."""
    import webauthn
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

    with store.reading() as conn:
        known = _factors(store, conn, user_id, WEBAUTHN)
    if not known:
        return None
    options = webauthn.generate_authentication_options(
        rp_id=rp.id, timeout=_TIMEOUT_MS,
        allow_credentials=[PublicKeyCredentialDescriptor(id=_unb64(str(sec["credential_id"])))
                           for _, sec, _, _ in known])
    return json.loads(webauthn.options_to_json(options)), _b64(options.challenge)


def check_webauthn(store: Store, user_id: str, credential: dict[str, Any], challenge: str,
                   rp: RelyingParty) -> bool:
    """True if ``credential`` is a valid assertion by one of the user's keys for this
    challenge and origin, with a signature counter that moved on (no cloned key)."""
    import webauthn
    from webauthn.helpers.exceptions import WebAuthnException

    with store.reading() as conn:
        known = _factors(store, conn, user_id, WEBAUTHN)
    raw_id = str(credential.get("rawId") or credential.get("id") or "")
    for factor_id, secret, counter, _ in known:
        if not hmac.compare_digest(str(secret["credential_id"]), raw_id):
            continue
        try:
            verified = webauthn.verify_authentication_response(
                credential=credential, expected_challenge=_unb64(challenge),
                expected_rp_id=rp.id, expected_origin=rp.origin,
                credential_public_key=_unb64(str(secret["public_key"])),
                credential_current_sign_count=counter)
        except (WebAuthnException, ValueError, KeyError, TypeError):
            return False
        # Keys that keep no counter always report 0; any other key must move it on.
        new = max(verified.new_sign_count, counter)
        return _advance(store, factor_id, counter, new) or new == counter == 0
    return False


def check(store: Store, user_id: str, *, totp: str | None = None,
          recovery_code: str | None = None, webauthn_credential: dict[str, Any] | None = None,
          challenge: str | None = None, rp: RelyingParty | None = None) -> str | None:
    """The kind of factor that was proved, or None (exactly one proof is expected)."""
    given = [x for x in (totp, recovery_code, webauthn_credential) if x is not None]
    if len(given) != 1:
        raise UserError("give exactly one of totp, recovery_code or webauthn")
    if webauthn_credential is not None:
        if challenge is None or rp is None:
            return None
        return WEBAUTHN if check_webauthn(store, user_id, webauthn_credential, challenge,
                                          rp) else None
    if totp is not None:
        return TOTP if check_totp(store, user_id, totp) else None
    assert recovery_code is not None
    return RECOVERY if check_recovery_code(store, user_id, recovery_code) else None
