"""Labels shared by several pages: a list's fields and the linkage model's comparisons."""

from __future__ import annotations

from dadkhahi.web.nav import N_

#: The fields a list's columns map to, with labels.
FIELD_LABELS = {
    "full_name": N_("Full name"), "given_name": N_("Given name"),
    "family_name": N_("Family name"), "father_name": N_("Father's name"),
    "sex": N_("Sex"), "birth_year": N_("Year of birth"), "age": N_("Age"),
    "city": N_("City"), "province": N_("Province"), "prison": N_("Prison"),
    "death_date": N_("Date of death"), "burial_place": N_("Burial place"),
    "affiliation": N_("Political affiliation"), "id_number": N_("Identity number"),
    "notes": N_("Notes"),
}
#: The linkage model's comparisons (``linkage.model``), as a pair's weights name them: a
#: list's own fields by their labels, birth and death as the model compares them.
COMPARISONS = {
    **{k: FIELD_LABELS[k] for k in ("given_name", "family_name", "father_name")},
    "birth": N_("Birth (date or age)"), "death": N_("Date of death"),
    **{k: FIELD_LABELS[k] for k in ("sex", "city", "province", "prison", "burial_place",
                                    "affiliation", "id_number")},
}
