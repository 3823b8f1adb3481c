"""Persian script, names and Solar Hijri dates: the Iranian specifics, no other layer.

* :mod:`~dadkhahi.persian.normalize`: script normalisation and Latin folding.
* :mod:`~dadkhahi.persian.names`: parse a name into given, family and titles.
* :mod:`~dadkhahi.persian.keys`: comparison keys that match script to Latin spellings.
* :mod:`~dadkhahi.persian.dates`: Jalali and Gregorian dates as Gregorian intervals.
"""

from dadkhahi.persian.dates import DateInterval, DateParseError, parse_date
from dadkhahi.persian.keys import (
    NameKeys,
    corrected_key,
    label_key,
    label_name,
    name_keys,
    name_similarity,
    part_similarity,
)
from dadkhahi.persian.names import ParsedName, parse_name
from dadkhahi.persian.normalize import is_persian_script, normalize_script, to_ascii_latin
from dadkhahi.persian.skeleton import skeleton

__all__ = [
    "DateInterval",
    "DateParseError",
    "NameKeys",
    "ParsedName",
    "corrected_key",
    "is_persian_script",
    "label_key",
    "label_name",
    "name_keys",
    "name_similarity",
    "normalize_script",
    "parse_date",
    "parse_name",
    "part_similarity",
    "skeleton",
    "to_ascii_latin",
]
