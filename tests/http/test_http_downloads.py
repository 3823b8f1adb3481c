"""The download's Content-Disposition names a file as it is, never as it pretends to be
(issue 11 item 14)."""

from __future__ import annotations

from urllib.parse import quote, unquote

from dadkhahi.http.downloads import disposition


def test_a_name_stored_with_an_override_downloads_without_it() -> None:
    """A name stored before names were neutralised on the way in (or by any other path)
    still carries ``invoice<U+202E>fdp.exe``, which a browser's download bar shows as
    ``invoiceexe.pdf``: the header names ``invoicefdp.exe``, in both its forms. Persian's
    zero-width non-joiner is spelling, not a trick, and stays."""
    header = disposition("invoice\u202efdp.exe", "itm_x")
    assert header == ("attachment; filename=\"invoicefdp.exe\"; "
                      "filename*=UTF-8''invoicefdp.exe")
    for hidden in ("\u200bstate\u2066ment\u2069.pdf", "\ufeffa\u200fb.txt"):
        shown = disposition(hidden, "itm_x")
        assert all(quote(c) not in shown and c not in shown
                   for c in "\u200b\u2066\u2069\ufeff\u200f"), shown
    persian = disposition("محمد\u200cرضا.pdf", "itm_x")
    assert unquote(persian.split("''", 1)[1]) == "محمد\u200cرضا.pdf"
    # Nothing left to show: the item's ID, never an empty or a quote-breaking name.
    assert disposition("\u202e\u200b", "itm_x") == (
        "attachment; filename=\"itm_x\"; filename*=UTF-8''itm_x")
    assert disposition('a"b.txt', "itm_x").startswith('attachment; filename="ab.txt";')
