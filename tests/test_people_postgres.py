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
from tests.sharing_world import DEMO
from wegings.cli import app
from wegings.store.server import ROLES, group_role

PASSWORD = "pw-" + uuid.uuid4().hex[:8]
NEW_PARTNER = ("new-partner", "Dienst RVD", "--short", "rvd", "--country", "XR", "--kind", "civil")
SMI = ("new-partner", "Dienst SMI", "--short", "smi", "--country", "XR", "--kind", "civil")
VERHOOGD = str(DEMO / "smi-verhoogd.toml")
STANDAARD = str(DEMO / "rvd-standaard.toml")
NO_GRANTS = (
    "On a server roles are database roles: the database owner grants them (GRANT wegings_ROLE "
    "TO login), not `wegings person grant`."
)
NO_REVOKES = (
    "On a server roles are database roles: the database owner revokes them (REVOKE "
    "wegings_ROLE FROM login), not `wegings person revoke`."
)


@dataclass
class Logins:
    """One login per wegings role on the test's database, and a way to act as each."""

    url: str
    logins: dict[str, str]
    monkeypatch: pytest.MonkeyPatch

    def as_(self, role: str) -> Callable[..., Result]:
        """A CLI runner acting as the login of `role` (WEGINGS_USER names that login too)."""
        return self.as_login(self.logins[role])

    def as_login(self, login: str) -> Callable[..., Result]:
        """A CLI runner acting as `login` (WEGINGS_USER names that login too)."""
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


@pytest.fixture
def cased(logins: Logins) -> Iterator[tuple[str, str]]:
    """Two more logins that differ only in case ('Dg_…' and 'dg_…'), both holding dg."""
    suffix = uuid.uuid4().hex[:8]
    pair = (f"Dg_{suffix}", f"dg_{suffix}")
    for login in pair:
        admin_sql(logins.url, f"CREATE ROLE \"{login}\" LOGIN PASSWORD '{PASSWORD}'")
        admin_sql(logins.url, f'GRANT {group_role("dg")} TO "{login}"')
    try:
        yield pair
    finally:
        for login in pair:
            admin_sql(logins.url, f'DROP ROLE IF EXISTS "{login}"')


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
        "FUNCTION`; see `wegings people`.",
    )
    refused(
        logins.as_("minister")(*SMI),
        f"'{names['minister']}' is not in the people register, so cannot new-partner. A dg or "
        f"minister registers them: `wegings person add {names['minister']} --name NAME "
        "--function FUNCTION`, and the database owner grants the role: GRANT wegings_desk TO "
        f"{names['minister']}; see `wegings people`.",
    )
    refused(desk("person", "grant", names["desk"], "dg", "--reason", "R"), NO_GRANTS)
    refused(desk("person", "revoke", names["dg"], "dg", "--reason", "R"), NO_REVOKES)
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


def test_an_empty_register_on_a_server_gates_by_database_roles(logins: Logins) -> None:
    names = logins.logins
    desk, assessor, dg = logins.as_("desk"), logins.as_("assessor"), logins.as_("dg")
    refused(
        assessor(*NEW_PARTNER),
        f"new-partner needs the database role desk; the database user '{names['assessor']}' "
        f"holds assessor. The database owner grants it: GRANT wegings_desk TO "
        f"{names['assessor']}.",
    )
    ok(desk(*SMI))
    ok(assessor("score", "smi", "--answers", VERHOOGD))
    refused(
        desk("establish", "smi", "--role", "minister"),
        f"establish as minister needs the database role minister; the database user "
        f"'{names['desk']}' holds desk. The database owner grants it: GRANT wegings_minister TO "
        f"{names['desk']}.",
    )
    refused(
        dg("establish", "smi", "--role", "minister"),
        f"establish as minister needs the database role minister; the database user "
        f"'{names['dg']}' holds dg. The database owner grants it: GRANT wegings_minister TO "
        f"{names['dg']}.",
    )
    refused(
        dg("establish", "smi", "--role", "dg"),
        "A verhoogd note can only be established by the minister; it was asked as dg. Use --role "
        "minister.",
    )
    refused(
        logins.as_("overseer")("flag", "smi", "--reason", "Onrust"),
        f"The database user '{names['overseer']}' is an overseer (CTIVD): an overseer reads and "
        "exports and changes nothing, so cannot flag.",
    )
    ok(logins.as_("minister")("establish", "smi", "--role", "minister"))
    events = json.loads(ok(dg("audit", "log", "--json")).stdout)
    assert [(e["action"], e["actor"]) for e in events] == [
        ("note.establish", names["minister"]),
        ("note.draft", names["assessor"]),
        ("partner.create", names["desk"]),
    ]


def test_a_login_in_another_case_is_another_database_user(
    logins: Logins, cased: tuple[str, str]
) -> None:
    upper, lower = cased
    refused(
        logins.as_login(upper)("person", "add", lower, "--name", "mr. H. de Boer", "--function",
                               "DG"),
        "The people register is empty, so the first person registered is the one who "
        f"registers: you act as '{upper}', not '{lower}'. Register yourself first, or let "
        f"'{lower}' connect to the server and register themselves (--as cannot name another "
        "login there).",
    )  # fmt: skip
    ok(logins.as_login(lower)("person", "add", lower, "--name", "mr. H. de Boer", "--function",
                              "DG"))  # fmt: skip
    refused(
        logins.as_login(upper)(*NEW_PARTNER),
        f"Login '{upper}' is not registered: the registered login '{lower}' differs in case, and "
        f"on a server that is another database user. Connect as '{lower}' to act as them; see "
        "`wegings people`.",
    )
    refused(
        logins.as_login(lower)("person", "add", upper, "--name", "H. de Boer jr.", "--function",
                               "DG"),
        f"'{lower}' is registered already. Correct a name or function with `wegings person edit "
        f"{lower}`; grant a role with `wegings person grant`.",
    )  # fmt: skip
    ok(logins.as_login(lower)("person", "add", logins.logins["desk"], "--name", "J. Jansen",
                              "--function", "desk"))  # fmt: skip
    ok(logins.as_("desk")(*NEW_PARTNER))
    listed = json.loads(ok(logins.as_("overseer")("people", "--json")).stdout)
    assert {(p["login"], p["registered_by"]) for p in listed} == {
        (lower, lower),
        (logins.logins["desk"], lower),
    }
    events = json.loads(ok(logins.as_("overseer")("audit", "log", "--json")).stdout)
    assert {e["actor"] for e in events} == {lower, logins.logins["desk"]}


def test_people_on_a_server_shows_the_database_roles(logins: Logins) -> None:
    names = logins.logins
    dg = logins.as_("dg")
    # A login no test connects as (roles are the cluster's: the suite's own logins outlive a run).
    klaas = "k.klaas_" + names["dg"].removeprefix("dg_")
    ok(dg("person", "add", names["dg"], "--name", "mr. H. de Boer", "--function", "DG"))
    ok(dg("person", "add", names["desk"], "--name", "J. Jansen", "--function", "desk"))
    ok(dg("person", "add", klaas, "--name", "K. Klaas", "--function", "analist"))
    listed = json.loads(ok(logins.as_("overseer")("people", "--json")).stdout)
    assert [(p["login"], p["roles"], p["database_roles"]) for p in listed] == sorted(
        [(names["dg"], [], ["dg"]), (names["desk"], [], ["desk"]), (klaas, [], None)]
    )
    admin_sql(logins.url, f"GRANT {group_role('assessor')} TO {names['desk']}")
    table = ok(logins.as_("overseer")("people")).stdout
    assert "People (3); roles: the database roles each login holds on the server now" in table
    assert "Database roles" in table
    [desk_line] = [line for line in table.splitlines() if names["desk"] in line]
    assert "desk, assessor" in desk_line
    [klaas_line] = [line for line in table.splitlines() if klaas in line]
    assert "no database login" in klaas_line


def test_an_empty_register_on_a_server_speaks_of_database_users(logins: Logins) -> None:
    names = logins.logins
    listed = ok(logins.as_("desk")("people"))
    assert listed.stderr == (
        "Nobody registered: on the server each database user acts as the login it "
        "authenticated, with its database roles. Start the register with `wegings person add` "
        "(yourself, holding the database role dg or minister).\n"
    )
    desk = logins.as_("desk")
    refused(desk("person", "grant", names["desk"], "dg", "--reason", "R"), NO_GRANTS)
    refused(desk("person", "revoke", names["dg"], "dg", "--reason", "R"), NO_REVOKES)


def test_four_eyes_on_a_server_says_to_connect_as_another_login(logins: Logins) -> None:
    names = logins.logins
    admin_sql(logins.url, f"GRANT {group_role('dg')} TO {names['assessor']}")
    assessor = logins.as_("assessor")
    ok(logins.as_("desk")(*NEW_PARTNER))
    ok(assessor("score", "rvd", "--answers", STANDAARD))
    refused(
        assessor("establish", "rvd", "--role", "dg"),
        f"The note was written by '{names['assessor']}'; another person must establish it (four "
        "eyes): they connect to the server as their own login to establish it; --as cannot name "
        "another person there.",
    )
    ok(logins.as_("dg")("person", "add", names["dg"], "--name", "mr. H. de Boer", "--function",
                        "DG"))  # fmt: skip
    ok(logins.as_("dg")("person", "add", names["assessor"], "--name", "A. Analist", "--function",
                        "analist"))  # fmt: skip
    refused(
        assessor("establish", "rvd", "--role", "dg"),
        f"The note was written by '{names['assessor']}'; another person must establish it (four "
        "eyes): they connect to the server as their own login to establish it; --as cannot name "
        "another person there.",
    )
    ok(logins.as_("dg")("establish", "rvd", "--role", "dg"))
