"""What of a list record linkage reads (shared by intake's list versions and linkage)."""

from __future__ import annotations

#: The normalised record fields the linkage model compares. A new version of a list
#: keeps a review decision on a record only while none of these fields changed.
LINKAGE_FIELDS = (
    "given_name",
    "family_name",
    "full_name",
    "father_name",
    "sex",
    "birth_year",
    "age",
    "city",
    "province",
    "prison",
    "death_earliest",
    "death_latest",
    "burial_place",
    "affiliation",
    "id_number",
)
