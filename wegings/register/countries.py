"""ISO 3166-1 alpha-2 country codes, with names in Dutch or English (CLDR through Babel)."""

from __future__ import annotations

import string

from wegings.errors import InvalidInput
from wegings.text import quote

# ISO 3166-1 leaves XA–XZ to users; the tool accepts them for fictitious partners (demo, tests).
USER_ASSIGNED = frozenset(f"X{letter}" for letter in string.ascii_uppercase)

BABEL_LOCALES = {"nl": "nl_NL", "en": "en_GB"}
"""British English: day-month-year dates, as a Dutch reader expects them."""

# CLDR names these user-assigned codes, but as pseudo-locales or "unknown region", not countries.
_NOT_A_COUNTRY = frozenset({"AA", "XA", "XB", "ZZ"})

_FICTITIOUS = {"nl": "fictief land {code}", "en": "fictitious country {code}"}
_UNKNOWN = {"nl": "onbekende landcode {code}", "en": "unknown country code {code}"}


def normalise_country(code: str) -> str:
    """The upper-case alpha-2 code, or InvalidInput when it is not ISO 3166-1 or XA–XZ."""
    import pycountry

    candidate = code.strip().upper()
    if candidate in USER_ASSIGNED:
        return candidate
    if len(candidate) == 2 and pycountry.countries.get(alpha_2=candidate) is not None:
        return candidate
    raise InvalidInput(
        f"Unknown country code {quote(code)}: give an ISO 3166-1 alpha-2 code such as DE or FR "
        "(XA–XZ for fictitious partners)."
    )


def _is_user_assigned(code: str) -> bool:
    # ISO 3166-1 leaves AA, QM–QZ, XA–XZ and ZZ to users.
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return False
    return code in ("AA", "ZZ") or (code[0] == "Q" and code[1] >= "M") or code[0] == "X"


def country_name(code: str, lang: str = "nl") -> str:
    """The country's name in `lang`; a user-assigned code reads as "fictief land XR"."""
    from babel import Locale

    name = Locale.parse(BABEL_LOCALES.get(lang, lang)).territories.get(code)
    if _is_user_assigned(code):
        if name and code not in _NOT_A_COUNTRY:
            return str(name)  # e.g. XK, which CLDR knows as Kosovo
        return _FICTITIOUS.get(lang, _FICTITIOUS["en"]).format(code=code)
    if not name:
        return _UNKNOWN.get(lang, _UNKNOWN["en"]).format(code=code)
    return str(name)


def country_label(code: str, lang: str = "nl") -> str:
    """The name with its code, e.g. "Duitsland (DE)"; fictitious ones read "fictief land XR"."""
    name = country_name(code, lang)
    return name if name.endswith(code) else f"{name} ({code})"
