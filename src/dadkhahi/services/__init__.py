"""What Dadkhahi does on a user's behalf, with its access rules, for every face.

``api``, ``web`` and ``cli`` are thin: they read the request, the form or the command line,
call a function here with the acting :class:`~dadkhahi.access.policy.Principal`, and show
what it returns. Each function checks visibility first (an invisible object is "not
found", never "forbidden"), then the permission, then writes through the packages that own
the capability (``intake``, ``facts``, ``linkage``, ``analysis``, ``access``) and audits
every protected object it returns. No rule is written twice: a page and a route that do
the same thing call the same function here.

Modules: :mod:`~dadkhahi.services.objects` (sources, records, persons, places, acts,
claims: creation and status changes), :mod:`~dadkhahi.services.items` (file checks,
previews and erasure), :mod:`~dadkhahi.services.lists_linkage` (list imports, linkage
runs, the review queue, link statistics), :mod:`~dadkhahi.services.estimates`,
:mod:`~dadkhahi.services.ledger` (proofs), :mod:`~dadkhahi.services.admin` (users,
grants, the audit trail) and :mod:`~dadkhahi.services.person_search` (the person search's
filters, suggestions and pickers, as the pages use it).
"""
