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

IHRDC_DEADLY_FATWA = SourceSpec(
    title="Deadly Fatwa: Iran's 1988 Prison Massacre",
    kind=SourceKind.DOCUMENT,
    sensitivity=Sensitivity.PUBLIC,
    reliability=Reliability.B,
    credibility=Credibility.PROBABLY_TRUE,
    collected_by="Iran Human Rights Documentation Center (IHRDC)",
    location="https://iranhrdc.org/deadly-fatwa-irans-1988-prison-massacre",
    language="en",
    citation="Iran Human Rights Documentation Center, Deadly Fatwa: Iran's 1988 Prison "
    "Massacre, iranhrdc.org",
    notes="States that thousands of political prisoners were executed; gives no number.",
)

IRAN_HRM_VICTIMS = SourceSpec(
    title="The victims of 1988 Massacre",
    kind=SourceKind.ARTICLE,
    sensitivity=Sensitivity.PUBLIC,
    reliability=Reliability.D,
    credibility=Credibility.POSSIBLY_TRUE,
    collected_by="Iran Human Rights Monitor (close to the PMOI/MEK, a party to the events)",
    location="https://call4justice.iran-hrm.com/index.php/the-victims/",
    language="en",
    citation="Iran Human Rights Monitor, The victims of 1988 Massacre, "
    "call4justice.iran-hrm.com",
    notes="Partisan source: rated D/3. States that its list gives the names and "
    "particulars of over 3,200 executed prisoners.",
)

WIKIPEDIA_1988 = SourceSpec(
    title="1988 executions of Iranian political prisoners (Wikipedia)",
    kind=SourceKind.ARTICLE,
    sensitivity=Sensitivity.PUBLIC,
    reliability=Reliability.C,
    credibility=Credibility.POSSIBLY_TRUE,
    collected_by="Wikipedia contributors",
    location="https://en.wikipedia.org/wiki/1988_executions_of_Iranian_political_prisoners",
    language="en",
    citation="Wikipedia, 1988 executions of Iranian political prisoners",
    notes="Tertiary: reports that Hussein-Ali Montazeri's memoirs put the number between "
    "2,800 and 3,800; the memoirs themselves are not the source here.",
)

#: Figures published by others, as each source states them (``facts.figures`` values).
FIGURES = (
    ("ihrdc", {"words": "thousands"}),
    ("iran_hrm", {"at_least": 3200, "what": "names listed"}),
    ("wikipedia", {"at_least": 2800, "at_most": 3800,
                   "qualifier": "as it reports Hussein-Ali Montazeri's memoirs"}),
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
