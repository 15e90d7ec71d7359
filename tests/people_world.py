"""A people register for the tests: a DG, a minister, a desk officer, an assessor, an overseer."""

from __future__ import annotations

from tests.conftest import Run
from wegings.config import Location
from wegings.store.audit import count_events
from wegings.store.engine import session_scope

TEAM = (
    ("h.de.boer", "mr. H. de Boer", "directeur-generaal", "dg"),
    ("m.minister", "mr. A. de Vries", "minister van BZK", "minister"),
    ("j.jansen", "J. Jansen", "medewerker liaisonbureau", "desk"),
    ("a.analist", "drs. A. Analist", "senior analist", "assessor"),
    ("c.toezicht", "mr. C. Toezicht", "toezichthouder CTIVD", "overseer"),
)
"""(login, full name, function, role) of each person; the DG registers first, then the rest."""


def events(location: Location) -> int:
    """How many audit events the trail holds."""
    with session_scope(location, write=False) as session:
        return count_events(session)


def register_team(run: Run) -> None:
    """Register TEAM through the CLI: the DG registers themselves, then everyone else."""
    for login, name, function, role in TEAM:
        result = run(
            "--as", "h.de.boer", "person", "add", login, "--name", name, "--function", function,
            "--role", role,
        )  # fmt: skip
        assert result.exit_code == 0, result.output


def as_(login: str, *args: str) -> tuple[str, ...]:
    """Arguments that run a command as `login`."""
    return ("--as", login, *args)
