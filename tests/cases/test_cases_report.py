"""The case report's PDF (``dadkhahi.cases.report``) is set in the vendored fonts only."""

from __future__ import annotations

import io

from pypdf import PdfReader

from dadkhahi.cases.report import report_pdf
from dadkhahi.pdf import FONTS


def test_romanised_names_in_a_case_report_are_set_in_vendored_fonts_not_the_machine_s(
) -> None:
    """The report's own stylesheet named the machine's fonts ahead of the vendored ones,
    so letters Vazirmatn lacks (ḥ ṭ ʻ) came from whatever the machine had: a report's
    bytes then depend on the machine it was built on."""
    title = "Ḥasan Ṭāhirī · Šāʻrī ʿAlī-Ẓāhir (SYNTHETIC)"
    pdf = report_pdf("case_x", title, [], 3, {}, [], True)
    reader = PdfReader(io.BytesIO(pdf))
    found = {str(ref.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                 .get_object()["/FontFamily"])
             for page in reader.pages for ref in page["/Resources"]["/Font"].values()}
    assert found <= {font.family for font in FONTS}, found
    assert "Noto Sans Latin Ext" in found
    assert "Ḥasan Ṭāhirī" in reader.pages[0].extract_text()
