"""ISO 3166-1 alpha-2 country codes, with names in Dutch or English."""

from __future__ import annotations

import string

from wegings.errors import InvalidInput
from wegings.text import quote

# ISO 3166-1 leaves XA–XZ to users; the tool accepts them for fictitious partners (demo, tests).
USER_ASSIGNED = frozenset(f"X{letter}" for letter in string.ascii_uppercase)


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


def country_name(code: str, lang: str = "nl") -> str:
    """The country's name in `lang`; user-assigned codes read as a fictitious country."""
    from babel import Locale

    name = Locale.parse(lang).territories.get(code)
    if isinstance(name, str) and (code not in USER_ASSIGNED or code == "XK"):
        return name
    return f"fictief land ({code})" if lang == "nl" else f"fictitious country ({code})"


def country_label(code: str, lang: str = "nl") -> str:
    """The name with its code, e.g. "Duitsland (DE)"; fictitious ones read "fictief land (XR)"."""
    name = country_name(code, lang)
    return name if name.endswith(f"({code})") else f"{name} ({code})"
