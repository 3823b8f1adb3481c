"""Who may see and do what: users, roles, grants, the visibility policy and the audit trail.

Every read path (API, web, exports) filters through :mod:`dadkhahi.access.policy`
and every read of protected data is written to the ledger by
:mod:`dadkhahi.access.audit`.
"""
