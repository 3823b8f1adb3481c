"""The public memorial (issue 17): a static, bilingual, signed site of the victims.

``dadkhahi publish`` turns the approved public part of the store into files that need
no server: a page per victim, lists, a "how many" page, each readable and printable
without JavaScript, Persian first with an English mirror.

* :mod:`dadkhahi.publish.gate`: the editorial gate (sources approved for publication,
  no pending review pair, a victim) and families' withdrawals;
* :mod:`dadkhahi.publish.collect`: what may be shown, read through the one disclosure
  rule (``access.disclosure``) for the public audience and an allow-list of fields;
* :mod:`dadkhahi.publish.site`: the pages (Jinja2) and their files;
* :mod:`dadkhahi.publish.manifest`: the signed, sequenced manifest and the
  publication key announced in the ledger;
* :mod:`dadkhahi.publish.verify`: the standard-library verifier, shipped inside the
  site as ``verify_site.py`` with the offline kit embedded.

It may import domain, ledger, store, persian, access, offline and assets; the CLI
calls it. Search shards and their script join the site as an ``index/`` folder.
"""
