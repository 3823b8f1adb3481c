"""Verification that needs only the standard library (see :mod:`dadkhahi.offline.kit`)."""
