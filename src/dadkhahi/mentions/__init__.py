"""Mentions in extracted text (persons, places, dates, counts) and the claims proposed from
them for a person to review (issue 15)."""
