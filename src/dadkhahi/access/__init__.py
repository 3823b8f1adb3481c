"""Who may see and do what: users, roles, grants, the disclosure rule and the audit trail.

Every output (API, web, exports, bundles) decides what to show through the one
disclosure rule, :func:`dadkhahi.access.disclosure.may_disclose` and its SQL form
(:mod:`dadkhahi.access.policy` applies it to a signed-in principal), and every
read of protected data is written to the ledger by :mod:`dadkhahi.access.audit`.
"""

from dadkhahi.access.disclosure import Audience, AudienceKind, may_disclose

__all__ = ["Audience", "AudienceKind", "may_disclose"]
