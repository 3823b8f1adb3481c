"""The master key at rest: sealed with a passphrase, or handed in from outside.

Anyone who copies a home with ``keys/master.key`` in it can unseal every
protected field. The key can instead be kept in ``keys/master.key.enc``,
encrypted under a key derived from a passphrase (scrypt, N=2^15, r=8, p=1:
about 32 MiB and a tenth of a second per guess on a laptop, so a guessed
passphrase costs an attacker that much each; AES-256-GCM over the key), or
never stored in the home at all and handed to the process by a service
manager, through a file descriptor or an environment variable.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from dadkhahi.domain.errors import UserError

_N, _R, _P = 2**15, 8, 1
_FORMAT = "dadkhahi master key, scrypt + AES-256-GCM"


def _kek(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def lock(master_key: bytes, passphrase: str) -> str:
    """The master key encrypted under a passphrase, as JSON text for ``master.key.enc``."""
    if len(passphrase) < 12:
        raise UserError("a passphrase for the master key needs at least 12 characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_kek(passphrase, salt, _N, _R, _P)).encrypt(nonce, master_key,
                                                                _FORMAT.encode())
    fields = {"format": _FORMAT, "n": _N, "r": _R, "p": _P, "salt": salt, "nonce": nonce,
              "ct": sealed}
    return json.dumps({k: base64.b64encode(v).decode() if isinstance(v, bytes) else v
                       for k, v in fields.items()}, indent=2) + "\n"


def unlock(text: str, passphrase: str) -> bytes:
    """The master key from ``master.key.enc``; a clear error for a wrong passphrase."""
    try:
        data = json.loads(text)
        salt, nonce, ct = (base64.b64decode(data[k]) for k in ("salt", "nonce", "ct"))
        kek = _kek(passphrase, salt, int(data["n"]), int(data["r"]), int(data["p"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"the encrypted master key file is damaged ({exc})") from None
    try:
        return AESGCM(kek).decrypt(nonce, ct, _FORMAT.encode())
    except InvalidTag:
        raise UserError("wrong passphrase for the master key") from None


def read_fd(fd: int) -> str:
    """Everything readable from file descriptor ``fd`` (then closed): a key handed in
    by a service manager (e.g. systemd's ``LoadCredential`` piped, or ``3<file``)."""
    chunks = []
    try:
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    except OSError as exc:
        raise UserError(f"cannot read the master key from file descriptor {fd}: "
                        f"{exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
    return b"".join(chunks).decode("ascii", errors="replace")
