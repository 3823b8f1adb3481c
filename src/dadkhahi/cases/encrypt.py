"""Encrypt a finished bundle for its recipient with age (https://age-encryption.org/v1).

The bag is streamed through tar into ``pyrage`` (the Rust ``age`` implementation's Python
binding) so no clear archive is written; the clear folder is removed afterwards, leaving
``bundle.tar.age`` and ``DECRYPT.txt``. The recipient decrypts with any age tool (``age``,
``rage``, ``pyrage``) and then verifies the bag inside as usual. Tar entries carry no
owner names or IDs: the operator's account name could identify them.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import threading
from pathlib import Path
from typing import Any

from dadkhahi.domain.errors import UserError

ARCHIVE = "bundle.tar.age"

DECRYPT_TEXT = """\
This folder holds a Dadkhahi court bundle encrypted with age for its recipient
({name}, a tar archive of the bag).

Decrypt it with the recipient's age identity, then verify the bag inside:

    age -d -i RECIPIENT-KEY.txt {name} | tar -x
    cd {folder} && sha256sum verify_bundle.py && python3 verify_bundle.py . --key 'VERIFIER-KEY'

(rage or pyrage decrypt it too.) Read VERIFY.txt inside the bag before running anything.
"""


def parse_recipient(text: str) -> Any:
    """An age recipient (``age1…``) or an SSH public key (``ssh-ed25519 …``, ``ssh-rsa …``).

    Checked before anything is written, so a mistyped recipient stops the export before
    any event is recorded.
    """
    import pyrage

    value = text.strip()
    try:
        if value.startswith("ssh-"):
            return pyrage.ssh.Recipient.from_str(value)
        return pyrage.x25519.Recipient.from_str(value)
    except (pyrage.RecipientError, ValueError) as exc:
        raise UserError("--encrypt-to is not an age recipient (age1…) or an SSH public key "
                        "(ssh-ed25519 …)") from exc


def anonymous_tar_info(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """A tar member without its owner's names or IDs (an account name can identify)."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def encrypt_bundle(folder: Path, recipient: Any) -> Path:
    """Replace the bag at ``folder`` by ``folder/bundle.tar.age`` (and ``DECRYPT.txt``)."""
    import pyrage

    staging = folder.with_name(f".{folder.name}.age")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    target = staging / ARCHIVE
    read_end, write_end = os.pipe()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            with os.fdopen(write_end, "wb") as pipe, tarfile.open(fileobj=pipe, mode="w|") as tar:
                tar.add(folder, arcname=folder.name, filter=anonymous_tar_info)
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)

    producer = threading.Thread(target=produce, name="bundle-tar", daemon=True)
    producer.start()
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(read_end, "rb") as source, os.fdopen(fd, "wb") as out:
            pyrage.encrypt_io(source, out, [recipient])
        producer.join()
        if failure:
            raise failure[0]
        _text(staging / "DECRYPT.txt", DECRYPT_TEXT.format(name=ARCHIVE, folder=folder.name))
        shutil.rmtree(folder)
        staging.rename(folder)
    except BaseException:
        producer.join(timeout=5)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder / ARCHIVE


def _text(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


__all__ = ["ARCHIVE", "DECRYPT_TEXT", "anonymous_tar_info", "encrypt_bundle",
           "parse_recipient"]
