"""The data directory: database, blobs and keys for one ledger.

Layout::

    HOME/config.json        origin of the ledger, optional database URL
    HOME/dadkhahi.sqlite    embedded database (unless DADKHAHI_DATABASE_URL)
    HOME/blobs/             content-addressed originals and derivatives
    HOME/keys/ledger.key    Ed25519 signing key (C2SP private key text), mode 600
    HOME/keys/ledger.pub    verifier key to hand to anyone who checks proofs
    HOME/keys/master.key    wraps per-record data keys, in clear; better kept off disk:
    HOME/keys/master.key.enc  the same, sealed with a passphrase asked at start
                            (``dadkhahi master-key protect``), or neither file and
                            the key given by DADKHAHI_MASTER_KEY_FD (a file descriptor)
                            or DADKHAHI_MASTER_KEY (base64) to a service

Everything in it is owner-only (directories 700, files 600, blobs 400): created
so, and put right (with a warning) when an existing home is opened.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dadkhahi.domain.errors import UserError
from dadkhahi.domain.files import FILE_MODE, make_owner_only, private_dir, write_private_text

ENV_HOME = "DADKHAHI_HOME"
ENV_DATABASE_URL = "DADKHAHI_DATABASE_URL"
ENV_MASTER_KEY = "DADKHAHI_MASTER_KEY"
ENV_MASTER_KEY_FD = "DADKHAHI_MASTER_KEY_FD"

#: Asks for the master key's passphrase (the command line passes one; None: cannot ask).
AskPassphrase = Callable[[], str]


@dataclass(frozen=True)
class Home:
    """Paths and settings of one data directory."""

    path: Path

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def blob_dir(self) -> Path:
        return self.path / "blobs"

    @property
    def key_dir(self) -> Path:
        return self.path / "keys"

    @property
    def signing_key_path(self) -> Path:
        return self.key_dir / "ledger.key"

    @property
    def verifier_key_path(self) -> Path:
        return self.key_dir / "ledger.pub"

    @property
    def master_key_path(self) -> Path:
        return self.key_dir / "master.key"

    @property
    def sqlite_path(self) -> Path:
        return self.path / "dadkhahi.sqlite"

    def exists(self) -> bool:
        """True once ``init`` has run here."""
        return self.config_path.is_file()

    def config(self) -> dict[str, str]:
        """The saved settings; a clear error if this is not an initialised home."""
        if not self.exists():
            raise UserError(f"{self.path} is not a Dadkhahi home; run `dadkhahi init` first")
        data: dict[str, str] = json.loads(self.config_path.read_text("utf-8"))
        return data

    def database_url(self) -> str:
        """DADKHAHI_DATABASE_URL if set, else the embedded SQLite file."""
        url = os.environ.get(ENV_DATABASE_URL)
        if url:
            return url
        configured = self.config().get("database_url") if self.exists() else None
        return configured or f"sqlite:///{self.sqlite_path}"

    @property
    def sealed_master_key_path(self) -> Path:
        return self.key_dir / "master.key.enc"

    def master_key_in_clear(self) -> bool:
        """True while ``keys/master.key`` (unencrypted) sits in the home."""
        return self.master_key_path.is_file()

    def master_key(self, ask: AskPassphrase | None = None) -> bytes:
        """The key-wrapping key, from the first of: DADKHAHI_MASTER_KEY_FD (read once),
        DADKHAHI_MASTER_KEY, ``keys/master.key.enc`` (``ask`` for its passphrase),
        ``keys/master.key``."""
        # Imported here (cryptography): a command that needs only the home's paths does not
        # wait for it (evidence add starts copying first, intake.feed).
        from dadkhahi.store import keyfile

        fd = os.environ.get(ENV_MASTER_KEY_FD)
        if fd is not None:
            if fd not in _HANDED_IN:  # a descriptor can be read once: keep what it gave
                if not fd.isdigit():
                    raise UserError(f"{ENV_MASTER_KEY_FD} must be a file descriptor number")
                _HANDED_IN[fd] = _decode_key(keyfile.read_fd(int(fd)))
            return _HANDED_IN[fd]
        text = os.environ.get(ENV_MASTER_KEY)
        if text is not None:
            return _decode_key(text)
        if self.sealed_master_key_path.is_file():
            if ask is None:
                raise UserError(
                    "the master key is sealed with a passphrase and none can be asked here: "
                    f"run interactively, or give the key through {ENV_MASTER_KEY_FD} or "
                    f"{ENV_MASTER_KEY}")
            return keyfile.unlock(self.sealed_master_key_path.read_text("utf-8"), ask())
        if not self.master_key_path.is_file():
            raise UserError(f"no master key: {self.master_key_path} is missing")
        return _decode_key(self.master_key_path.read_text("ascii"))

    @property
    def pending_master_key_path(self) -> Path:
        """A new clear master key written beside the current one during a rotation."""
        return self.key_dir / "master.key.new"

    @property
    def pending_sealed_master_key_path(self) -> Path:
        """A new sealed master key written beside the current one during a rotation."""
        return self.key_dir / "master.key.enc.new"

    def master_key_candidates(self, ask: AskPassphrase | None = None) -> list[tuple[bytes, bool]]:
        """The master key (see :meth:`master_key`) and, while a rotation is pending
        (``store.rotate``), the new key written beside it: ``(key, pending)`` pairs.

        The passphrase is asked once and tried on both sealed files; a current key
        file that cannot be read is left out when a pending key can.
        """
        from dadkhahi.store import keyfile  # cryptography: see master_key

        pending_clear = self.pending_master_key_path
        pending_sealed = self.pending_sealed_master_key_path
        if not pending_clear.is_file() and not pending_sealed.is_file():
            return [(self.master_key(ask), False)]
        out: list[tuple[bytes, bool]] = []
        problem: UserError | None = None
        handed_in = {ENV_MASTER_KEY, ENV_MASTER_KEY_FD} & set(os.environ)
        if pending_sealed.is_file() and not handed_in:
            if ask is None:
                raise UserError("a master-key rotation was interrupted and its new key is "
                                "sealed with a passphrase: run a command interactively")
            passphrase = ask()
            for path, pending in ((self.sealed_master_key_path, False), (pending_sealed, True)):
                try:
                    out.append((keyfile.unlock(path.read_text("utf-8"), passphrase), pending))
                except (UserError, OSError) as exc:
                    problem = problem or UserError(str(exc))
        else:
            try:
                out.append((self.master_key(ask), False))
            except UserError as exc:
                problem = exc
            if pending_clear.is_file():
                out.append((_decode_key(pending_clear.read_text("ascii")), True))
        if not out:
            raise problem or UserError("no master key")
        return out

    def write_pending_master_key(self, key: bytes, passphrase: str | None) -> Path:
        """Write a rotation's new key beside the current one (sealed like it)."""
        from dadkhahi.store import keyfile  # cryptography: see master_key

        if {ENV_MASTER_KEY, ENV_MASTER_KEY_FD} & set(os.environ):
            raise UserError("the master key is handed in through the environment: rotate it "
                            "where it is kept (unset the variable to rotate a key file here)")
        if self.sealed_master_key_path.is_file():
            if passphrase is None:
                raise UserError("the master key is sealed: a new passphrase is needed")
            path, text = self.pending_sealed_master_key_path, keyfile.lock(key, passphrase)
        elif self.master_key_in_clear():
            if passphrase is not None:
                raise UserError("the master key lies in clear: rotate it, then seal it with "
                                "`dadkhahi master-key protect`")
            path, text = self.pending_master_key_path, base64.b64encode(key).decode()
        else:
            raise UserError(f"no master key file to rotate in {self.key_dir}")
        for old in (self.pending_master_key_path, self.pending_sealed_master_key_path):
            old.unlink(missing_ok=True)  # from a rotation that never committed
        write_private_text(path, text)
        _sync(path)
        return path

    def finish_master_key_rotation(self) -> None:
        """Put the pending new key in place of the current one (atomic rename)."""
        for pending, current in ((self.pending_master_key_path, self.master_key_path),
                                 (self.pending_sealed_master_key_path,
                                  self.sealed_master_key_path)):
            if pending.is_file():
                os.replace(pending, current)
                _sync(self.key_dir)

    def discard_pending_master_key(self) -> None:
        """Remove the new key of a rotation that never committed."""
        for pending in (self.pending_master_key_path, self.pending_sealed_master_key_path):
            pending.unlink(missing_ok=True)

    def protect_master_key(self, passphrase: str) -> None:
        """Seal the clear master key with ``passphrase`` and remove the clear file.

        The clear file is overwritten before it is unlinked (on a copy-on-write or
        journalling file system old blocks may survive anyway: rotate the key if
        the home was ever copied while it lay in clear).
        """
        from dadkhahi.store import keyfile  # cryptography: see master_key

        if not self.master_key_in_clear():
            raise UserError(f"no clear master key to protect at {self.master_key_path}")
        key = _decode_key(self.master_key_path.read_text("ascii"))
        sealed = keyfile.lock(key, passphrase)
        tmp = self.sealed_master_key_path.with_suffix(".enc.tmp")
        write_private_text(tmp, sealed)
        os.replace(tmp, self.sealed_master_key_path)
        size = self.master_key_path.stat().st_size
        with open(self.master_key_path, "r+b") as f:
            f.write(b"\0" * size)
            f.flush()
            os.fsync(f.fileno())
        self.master_key_path.unlink()

    def create(self, origin: str, signing_key_text: str, verifier_key: str) -> None:
        """Lay out a new home; refuses to overwrite an existing one."""
        if self.exists():
            raise UserError(f"{self.path} already holds a Dadkhahi ledger")
        private_dir(self.path)
        private_dir(self.blob_dir)
        private_dir(self.key_dir)
        _write_secret(self.signing_key_path, signing_key_text + "\n")
        if not self.master_key_path.exists() and not {ENV_MASTER_KEY, ENV_MASTER_KEY_FD} & set(
                os.environ):
            _write_secret(self.master_key_path, base64.b64encode(secrets.token_bytes(32)).decode())
        write_private_text(self.verifier_key_path, verifier_key + "\n")
        if self.database_url() == f"sqlite:///{self.sqlite_path}" and not self.sqlite_path.exists():
            # SQLite gives its WAL and shared-memory files the mode of the database
            # file, so an empty owner-only file made here keeps all three private.
            os.close(os.open(self.sqlite_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        config = {"origin": origin}
        write_private_text(self.config_path, json.dumps(config, indent=2) + "\n")

    def make_owner_only(self) -> list[str]:
        """Put right the modes of an existing home; the paths that were readable by others."""
        return make_owner_only(self.path)


#: Keys read from DADKHAHI_MASTER_KEY_FD by this process, by descriptor.
_HANDED_IN: dict[str, bytes] = {}


def _decode_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise UserError("the master key must be 32 bytes, base64-encoded")
    return key


def _sync(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk: a rotation must survive a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(text)


def resolve_home(path: Path | None) -> Home:
    """--home, else DADKHAHI_HOME, else ./dadkhahi-home."""
    if path is None:
        env = os.environ.get(ENV_HOME)
        path = Path(env) if env else Path("dadkhahi-home")
    return Home(path.expanduser().resolve())
