"""The project's one mechanism for front-end assets (issue 11 item 12).

Third-party files come from the npm registry through ``scripts/vendor-assets``,
which checks each tarball against the registry's integrity hash, copies the
files named in ``assets.toml`` to ``static/vendor/<package>/`` and writes
``lock.json`` (name, version, integrity, licence, every file with its SHA-256).
The files are committed, so a wheel or an offline copy needs no network; a test
re-checks every committed file against the lock. Project files (``static/``
outside ``vendor/``) sit beside them.

Everything under ``static/`` is served at ``/assets/<digest>/<path>``, where the
digest is the first hex digits of the file's SHA-256: the URL changes when the
file does, so it may be cached ``immutable`` (:func:`url` builds it). This layer
imports nothing of ours: the API's docs, the web pages and the static memorial
all take their files from here.
"""

from dadkhahi.assets.lock import STATIC, url

__all__ = ["STATIC", "url"]
