"""The people register on a PostgreSQL server: the authenticated database user acts, with its
database roles; `--as` cannot claim anyone else. Skipped without a server (a failure on CI)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from tests.conftest import admin_sql
from wegings.cli import app
from wegings.store.server import ROLES, group_role

PASSWORD = "pw-" + uuid.uuid4().hex[:8]
NEW_PARTNER = ("new-partner", "Dienst RVD", "--short", "rvd", "--country", "XR", "--kind", "civil")


@dataclass
class Logins:
    """One login per wegings role on the test's database, and a way to act as each."""

    url: str
    logins: dict[str, str]
    monkeypatch: pytest.MonkeyPatch

    def as_(self, role: str) -> Callable[..., Result]:
        """A CLI runner acting as the login of `role` (WEGINGS_USER names that login too)."""
        login = self.logins[role]
        url = make_url(self.url).set(username=login, password=PASSWORD)
        runner = CliRunner()

        def invoke(*args: str) -> Result:
            self.monkeypatch.setenv("WEGINGS_DATABASE_URL", url.render_as_string(False))
            self.monkeypatch.setenv("WEGINGS_USER", login)
            return runner.invoke(app, list(args))

        return invoke


@pytest.fixture
def logins(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Logins]:
    """`db init-roles`, then a login for each role (dropped afterwards)."""
    setup = CliRunner().invoke(app, ["db", "init-roles"], env={"WEGINGS_DATABASE_URL": pg_url})
    assert setup.exit_code == 0, setup.output
    suffix = uuid.uuid4().hex[:8]
    names = {role: f"{role}_{suffix}" for role in ROLES}
    for role, login in names.items():
        admin_sql(pg_url, f"CREATE ROLE {login} LOGIN PASSWORD '{PASSWORD}'")
        admin_sql(pg_url, f"GRANT {group_role(role)} TO {login}")
    try:
        yield Logins(pg_url, names, monkeypatch)
    finally:
        for login in names.values():
            admin_sql(pg_url, f"DROP ROLE IF EXISTS {login}")


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def refused(result: Result, message: str) -> None:
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr == f"Error: {message}\n"


def test_as_cannot_claim_another_identity_on_a_server(logins: Logins) -> None:
    desk, dg = logins.logins["desk"], logins.logins["dg"]
    refused(
        logins.as_("desk")("--as", dg, *NEW_PARTNER),
        f"On the server you act as '{desk}', the database user it authenticated; --as '{dg}' "
        "names someone else. Connect as that person to act as them.",
    )


def test_the_register_on_a_server_gates_by_database_roles(logins: Logins) -> None:
    names = logins.logins
    dg, desk, overseer = logins.as_("dg"), logins.as_("desk"), logins.as_("overseer")
    refused(
        dg("person", "add", names["dg"], "--name", "mr. H. de Boer", "--function", "DG",
           "--role", "dg"),
        "On a server roles are database roles: the database owner grants them (GRANT "
        "wegings_ROLE TO login), not `wegings person grant`.",
    )  # fmt: skip
    ok(dg("person", "add", names["dg"], "--name", "mr. H. de Boer", "--function", "DG"))
    ok(dg("person", "add", names["desk"], "--name", "J. Jansen", "--function", "desk"))
    ok(dg("person", "add", names["overseer"], "--name", "C. Toezicht", "--function", "CTIVD"))
    ok(desk(*NEW_PARTNER))
    refused(
        logins.as_("assessor")("score", "rvd", "--answers", "-"),
        f"'{names['assessor']}' is not in the people register, so cannot score. A dg or minister "
        f"registers them: `wegings person add {names['assessor']} --name NAME --function "
        "FUNCTION --role ROLE`; see `wegings people`.",
    )
    refused(
        desk("establish", "rvd", "--role", "dg"),
        f"establish as dg needs the database role dg; '{names['desk']}' (J. Jansen) holds desk. "
        f"The database owner grants it: GRANT wegings_dg TO {names['desk']}.",
    )
    refused(
        overseer("flag", "rvd", "--reason", "Onrust"),
        f"'{names['overseer']}' (C. Toezicht) is an overseer (CTIVD): an overseer reads and "
        "exports and changes nothing, so cannot flag.",
    )
    listed = json.loads(ok(overseer("people", "--json")).stdout)
    assert sorted(p["login"] for p in listed) == sorted(
        names[role] for role in ("dg", "desk", "overseer")
    )
    events = json.loads(ok(overseer("audit", "log", "--json")).stdout)
    assert {e["actor"] for e in events} == {names["dg"], names["desk"]}
