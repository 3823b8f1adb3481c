"""Public facts used by the demo, each with the published source it comes from.

Only facts stated in the cited publications are used; nothing here ties a
real person to the synthetic victims of the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Credibility, Reliability, Sensitivity, SourceKind

AMNESTY_2018 = SourceSpec(
    title="Blood-soaked secrets: Why Iran's 1988 prison massacres are ongoing crimes "
    "against humanity",
    kind=SourceKind.DOCUMENT,
    sensitivity=Sensitivity.PUBLIC,
    reliability=Reliability.B,
    credibility=Credibility.PROBABLY_TRUE,
    collected_by="Amnesty International",
    collected_at="2018-12-04",
    location="https://www.amnesty.org/en/documents/mde13/9421/2018/en/",
    language="en",
    citation="Amnesty International, Blood-soaked secrets, 4 December 2018, "
    "AI Index MDE 13/9421/2018",
)

NCRI_ARTICLE_2021 = SourceSpec(
    title="International conference calls for prosecution of Raisi, Khamenei",
    kind=SourceKind.ARTICLE,
    sensitivity=Sensitivity.PUBLIC,
    reliability=Reliability.D,
    credibility=Credibility.POSSIBLY_TRUE,
    collected_by="PMOI/MEK website (advocacy organisation; a party to the events)",
    collected_at="2021-09-21",
    language="en",
    citation="PMOI/MEK, report of a conference in Stockholm, 21 September 2021",
    notes="Partisan source: rated D/3. Kept because it states the 30,000 figure.",
)

GEONAMES = SourceSpec(
    title="GeoNames gazetteer (city centre coordinates)",
    kind=SourceKind.DATASET,
    sensitivity=Sensitivity.PUBLIC,
    reliability=Reliability.B,
    credibility=Credibility.PROBABLY_TRUE,
    location="https://www.geonames.org/",
    citation="GeoNames, geonames.org, CC BY 4.0",
)


@dataclass(frozen=True)
class City:
    name: str
    name_fa: str
    latitude: float
    longitude: float


CITIES = (
    City("Tehran", "تهران", 35.69439, 51.42151),
    City("Karaj", "کرج", 35.83266, 50.99155),
    City("Mashhad", "مشهد", 36.29807, 59.60567),
)

#: (name, Persian name, city) — prisons named in the Amnesty report.
PRISONS = (
    ("Evin Prison", "زندان اوین", "Tehran"),
    ("Gohardasht Prison", "زندان گوهردشت", "Karaj"),
    ("Vakilabad Prison", "زندان وکیل‌آباد", "Mashhad"),
)

#: Burial site named in the Amnesty report; status left unknown in the demo.
KHAVARAN = ("Khavaran cemetery", "خاوران", "Tehran")

#: Members of the Tehran "death commission" as named in Amnesty 2018.
TEHRAN_COMMISSION = (
    ("Hossein Ali Nayyeri", "religious judge"),
    ("Morteza Eshraghi", "prosecutor of Tehran"),
    ("Ebrahim Raisi", "deputy prosecutor of Tehran"),
    ("Mostafa Pour Mohammadi", "representative of the Ministry of Intelligence"),
)
