"""The one list of job kinds: name -> the service function that does the work.

Functions are named as ``module:function`` text and imported only when a job of that kind
runs, so enqueueing (the API, the CLI) never loads what the work needs (Splink, say), and
this package depends on no service at import time. Each function has the signature
``(store, ctx: JobContext, params: dict) -> dict | None``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from dadkhahi.domain.errors import ValidationError

#: The kind that finds mentions and proposes claims once a text is ready: queued by the
#: extraction and capture jobs (which cannot import the finder: it reads their texts).
MENTIONS_FIND = "mentions.find"

#: Job kinds and the functions that run them.
KINDS: dict[str, str] = {
    "ledger.verify": "dadkhahi.jobs.kinds:verify_ledger_job",
    "documents.extract": "dadkhahi.intake.documents:extract_job",
    "documents.capture": "dadkhahi.intake.capture:capture_job",
    MENTIONS_FIND: "dadkhahi.mentions.jobs:find_job",
    "linkage.run": "dadkhahi.linkage.jobs:run_linkage_job",
    "linkage.apply": "dadkhahi.linkage.jobs:run_apply_job",
    "estimate.store": "dadkhahi.analysis.jobs:estimate_job",
    "case.bundle": "dadkhahi.cases.jobs:bundle_job",
    "memorial.publish": "dadkhahi.publish.jobs:publish_job",
}

JobFunction = Callable[[Any, Any, dict[str, Any]], dict[str, Any] | None]


def resolve(kind: str) -> JobFunction:
    """The function that runs jobs of ``kind``."""
    target = KINDS.get(kind)
    if target is None:
        raise ValidationError(f"no job kind {kind!r}")
    module_name, _, attribute = target.partition(":")
    function: JobFunction = getattr(importlib.import_module(module_name), attribute)
    return function
