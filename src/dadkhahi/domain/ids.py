"""Identifiers for stored things.

IDs are minted by the service that writes the event, so that replaying the
ledger rebuilds exactly the same rows; a prefix tells a person what an ID names.
"""

from __future__ import annotations

import secrets

PREFIXES = {
    "source": "src",
    "item": "itm",
    "extraction": "ext",
    "testimony": "tst",
    "consent": "cns",
    "custody": "cus",
    "record": "rec",
    "person": "per",
    "organization": "org",
    "place": "plc",
    "act": "act",
    "involvement": "inv",
    "claim": "clm",
    "import": "imp",
    "list": "lst",
    "user": "usr",
    "key": "key",
    "job": "job",
    "session": "ses",
    "factor": "fct",
    # Cases (issue 16): source provenance links, cases, charges, links, exports, gap marks.
    "sourcelink": "sln",
    "case": "cas",
    "charge": "chg",
    "caselink": "cln",
    "export": "exp",
    "gapmark": "gap",
    # Mentions found in a text, the run that found them, and the claims proposed.
    "mentionrun": "mnr",
    "mention": "men",
    "proposal": "prp",
    # A testimony's segments and their translations.
    "segment": "seg",
    "translation": "trn",
    "transcription": "tsc",
    # A redacted copy released at a lower sensitivity (intake.redactions).
    "release": "rls",
    # A verification of an item's capture time and place (intake.capture_checks).
    "captureverification": "cvf",
}


def new_id(kind: str) -> str:
    """Return a fresh random ID such as ``src_5f1c0e9a2b7d4c3e8a61`` (80 random bits)."""
    return f"{PREFIXES[kind]}_{secrets.token_hex(10)}"
