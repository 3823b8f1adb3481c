"""The court bundle's human-readable report (``data/report.html`` and ``data/report.pdf``).

Charges, each element with its status ("supported by N independent sources", never
"proven"), the facts linked to it with the analyst's assessment and the proof of the link
event, the evidence behind each fact by exhibit number (withheld exhibits marked so), the
gap report, and every exhibit file with its SHA-256 and the proof of its intake event.
User text (titles, names, how a fact proves an element) is set with ``dir="auto"`` so
Persian reads right to left; when the case holds Persian text the headings carry their
Persian translation too. A case about invented people (any suspect marked synthetic) has
"SYNTHETIC — NOT EVIDENCE" on every page: a fixed banner in the HTML, the page's top
margin in the PDF (:func:`report_pdf`, through the project's one PDF mechanism,
:mod:`dadkhahi.pdf`, which shapes Persian and embeds the font).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jinja2 import Environment

from dadkhahi.cases.matrix import ElementRow, Evidence, gap_report
from dadkhahi.pdf import FONTS, html_to_pdf

#: The mark on every page of a report about invented people.
SYNTHETIC_STAMP = "SYNTHETIC — NOT EVIDENCE"

_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\uFB50-\uFDFF\uFE70-\uFEFF]")

#: Headings in English and, for a case with Persian material, Persian.
HEADINGS = {
    "report": ("Case report", "گزارش پرونده"),
    "charges": ("Charges and elements", "اتهام‌ها و ارکان"),
    "gaps": ("Gaps", "کاستی‌ها"),
    "exhibits": ("Exhibits", "مدارک"),
    "withheld": ("withheld", "نگه‌داشته‌شده"),
}


@dataclass(frozen=True)
class ExhibitFile:
    """One file of an exhibit as the report cites it."""

    path: str
    sha256: str
    #: The ledger event that registered the item (its proof is ``data/proofs/<n>.json``).
    event: int


@dataclass(frozen=True)
class ExhibitLine:
    """One exhibit as the report lists it: its files, or why it was withheld."""

    number: str
    direction: str
    withheld: bool
    files: tuple[ExhibitFile, ...] = ()


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ h("report") }}</title>
<style>
/* The vendored fonts first (pdf.FONTS): a PDF must not take letters from the machine. */
body { font-family: {{ fonts }}, "Noto Sans Arabic", "DejaVu Sans", sans-serif;
       margin: 2.5rem 2rem; line-height: 1.45; }
.stamp { position: fixed; inset-block-start: 0; inset-inline: 0; text-align: center;
         background: #b00020; color: #fff; font-weight: bold; padding: .3rem; }
/* Fixed layout: the column widths are set, not measured from every cell's content
   (WeasyPrint's automatic table layout took half the PDF's time on a 500-exhibit case). */
table { table-layout: fixed; border-collapse: collapse; width: 100%;
        margin-block: .5rem 1.2rem; }
th, td { border: 1px solid #999; padding: .25rem .4rem; text-align: start;
         vertical-align: top; }
.gap { color: #8a1c00; }
/* One preformatted block, not a table: a 500-exhibit table took most of the PDF's time. */
.files { font-family: inherit; font-size: .8em; white-space: pre-wrap; line-height: 1.3; }
@media print { .stamp { position: fixed; } h2 { break-before: page; } }
</style>
</head>
<body>
{% if synthetic and banner %}<div class="stamp">{{ stamp }}</div>{% endif %}
<h1>{{ h("report") }}: <bdi dir="auto">{{ title }}</bdi></h1>
<p>Case <bdi dir="ltr">{{ case_id }}</bdi>. Threshold: {{ threshold }} independent
sources. The words are "supported by N independent sources": a count of sources not joined
by a recorded provenance link, never a finding that anything is proven.</p>
<h2>{{ h("charges") }}</h2>
{% for charge in charges %}
<h3><bdi dir="auto">{{ charge.suspect }}</bdi> — <bdi dir="auto">{{ charge.crime }}</bdi>
({{ charge.framework }}; mode of liability {{ charge.mode }})</h3>
<table><colgroup><col style="width: 6%"><col style="width: 30%"><col style="width: 20%">
<col style="width: 44%"></colgroup>
<tr><th>#</th><th>Element</th><th>Status</th><th>Facts linked</th></tr>
{% for el in charge.elements %}
<tr{% if el.gap %} class="gap"{% endif %}>
<td>{{ el.number }}</td><td><bdi dir="auto">{{ el.text }}</bdi></td><td>{{ el.status }}</td>
<td>{% for f in el.facts %}<p>{{ f.kind }} <bdi dir="ltr">{{ f.id }}</bdi>
({{ f.direction }}; {{ f.assessment }}): <bdi dir="auto">{{ f.how }}</bdi>.
Evidence: {{ f.evidence or "none" }}. Linked by <bdi dir="ltr">{{ f.by }}</bdi>
at {{ f.at }}; proof <bdi dir="ltr">data/proofs/{{ f.event }}.json</bdi>.
{% if f.withdrawn %}<strong>Withdrawn from its act at {{ f.withdrawn }}: not counted as
support.</strong>{% endif %}</p>
{% else %}none{% endfor %}</td>
</tr>
{% endfor %}
</table>
{% endfor %}
<h2>{{ h("gaps") }}</h2>
{% if gaps %}<ul>{% for line in gaps %}<li><bdi dir="auto">{{ line }}</bdi></li>{% endfor %}
</ul>{% else %}<p>None at this threshold.</p>{% endif %}
<h2>{{ h("exhibits") }}</h2>
<p>Each exhibit: its number, which way it points, whether it is in this bundle, and each
of its files with its SHA-256 and the proof of the event that took it in.</p>
<pre class="files" dir="ltr">
{%- for ex in exhibits %}
{{ ex.number }}  {{ ex.direction }}  {{ "no: " ~ h("withheld") ~ " (see withheld.csv)"
   if ex.withheld else "in this bundle" }}
{%- for f in ex.files %}
     exhibits/{{ ex.number }}/{{ f.path }}
     sha256 {{ f.sha256 }}  proof data/proofs/{{ f.event }}.json
{%- endfor %}
{%- endfor %}
</pre>
</body>
</html>
"""

_ENV = Environment(autoescape=True, keep_trailing_newline=True)


def _cite(e: Evidence, numbers: Mapping[str, str]) -> str:
    if e.item_id is not None and e.item_id in numbers:
        return f"exhibit {numbers[e.item_id]}"
    return f"source {e.source_id}"


def has_persian(texts: Sequence[str]) -> bool:
    """True if any text is in Arabic script (Persian material in the case)."""
    return any(_ARABIC_SCRIPT.search(t) for t in texts)


def render_report(
    case_id: str, title: str, rows: Sequence[ElementRow], threshold: int,
    numbers: Mapping[str, str], exhibits: Sequence[ExhibitLine], synthetic: bool,
    *, banner: bool = True,
) -> str:
    """The report as HTML. ``numbers``: item ID → exhibit number; ``exhibits``: in exhibit
    order; ``synthetic``: stamp every page (with a fixed banner unless ``banner`` is false:
    the PDF stamps its page margins instead)."""
    charges: list[dict[str, object]] = []
    by_charge: dict[str, dict[str, object]] = {}
    for r in rows:
        charge = by_charge.get(r.charge_id)
        if charge is None:
            charge = {"suspect": r.suspect, "crime": r.crime, "framework": r.framework_id,
                      "mode": r.mode_id, "elements": []}
            by_charge[r.charge_id] = charge
            charges.append(charge)
        facts = [{"kind": lk.fact_kind, "id": lk.fact_id, "direction": lk.direction,
                  "assessment": f"reliability {lk.reliability}, credibility {lk.credibility}",
                  "how": lk.how, "by": lk.linked_by, "at": lk.linked_at,
                  "event": lk.ledger_index,
                  "withdrawn": r.withdrawn[lk.id].at if lk.id in r.withdrawn else None,
                  "evidence": ", ".join(sorted({_cite(e, numbers) for e in ev}))}
                 for lk, ev in r.links]
        elements = charge["elements"]
        assert isinstance(elements, list)
        elements.append({"number": r.number, "text": r.element, "status": r.status(threshold),
                         "gap": r.is_gap(threshold), "facts": facts})
    texts = [title, *(r.suspect for r in rows), *(lk.how for r in rows for lk, _ in r.links)]
    persian = has_persian(texts)

    def h(key: str) -> str:
        en, fa = HEADINGS[key]
        return f"{en} · {fa}" if persian else en

    return _ENV.from_string(_TEMPLATE).render(
        h=h, title=title, case_id=case_id, threshold=threshold, charges=charges,
        gaps=gap_report(rows, threshold), synthetic=synthetic, banner=banner,
        stamp=SYNTHETIC_STAMP, exhibits=exhibits,
        fonts=", ".join(f'"{font.family}"' for font in FONTS))


def report_pdf(
    case_id: str, title: str, rows: Sequence[ElementRow], threshold: int,
    numbers: Mapping[str, str], exhibits: Sequence[ExhibitLine], synthetic: bool,
) -> bytes:
    """The same report as a PDF (A4, font embedded), stamped on every page if synthetic."""
    html = render_report(case_id, title, rows, threshold, numbers, exhibits, synthetic,
                         banner=False)
    return html_to_pdf(html, stamp=SYNTHETIC_STAMP if synthetic else None,
                       title=f"Case report {case_id}")


__all__ = ["HEADINGS", "SYNTHETIC_STAMP", "ExhibitFile", "ExhibitLine", "has_persian",
           "render_report", "report_pdf"]
