"""Our own service's name, configured once (WEGINGS_SERVICE) for rules, documents and records."""

from __future__ import annotations

import os

from wegings.errors import InvalidInput

SERVICES = ("AIVD", "MIVD")
"""The Dutch services this tool is kept by; both work under the Wiv 2017."""

DEFAULT_SERVICE = "AIVD"


def own_service() -> str:
    """WEGINGS_SERVICE (AIVD or MIVD, any case), else AIVD; anything else is refused."""
    raw = os.environ.get("WEGINGS_SERVICE")
    if raw is None:
        return DEFAULT_SERVICE
    name = raw.strip().upper()
    if name not in SERVICES:
        raise InvalidInput(
            f"WEGINGS_SERVICE is {raw!r}; set it to AIVD or MIVD (our own service), or unset "
            "it for AIVD."
        )
    return name
