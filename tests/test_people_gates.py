"""Role-gated commands: with a people register every writing command is done by a registered
person holding a role the gate table lists; four eyes compares registered persons."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import typer

from tests.conftest import Run
from tests.people_world import as_, events, register_team
from tests.sharing_world import DEMO, add_item, world
from tests.test_cli_people import NAME_VARIANTS
from wegings.cli import app
from wegings.config import Location
from wegings.register import people
from wegings.register.people import GATES
from wegings.store.audit import list_events
from wegings.store.engine import session_scope
from wegings.timeutil import utcnow

pytestmark = pytest.mark.sqlite_only(
    reason="the register grants its own roles there; on a server they are database roles "
    "(tests/test_people_postgres.py)"
)

ANSWERS = str(DEMO / "rvd-standaard.toml")
VERHOOGD = str(DEMO / "smi-verhoogd.toml")

COMMAND_ARGS: dict[str, tuple[str, ...]] = {
    "new-partner": ("new-partner", "X", "--short", "xx", "--country", "XR", "--kind", "civil"),
    "edit-partner": ("edit-partner", "rvd", "--name", "Y", "--reason", "R"),
    "join": ("join", "rvd", "bern"),
    "leave": ("leave", "rvd", "ctg", "--reason", "R"),
    "flag": ("flag", "rvd", "--reason", "R"),
    "retract-flag": ("retract-flag", "1", "--reason", "R"),
    "score": ("score", "bsv", "--answers", ANSWERS),
    "establish": ("establish", "bsv", "--role", "dg"),
    "withdraw": ("withdraw", "rvd", "--reason", "R"),
    "new-item": ("new-item", "AIVD-9", "--originator", "self"),
    "correct-item": ("correct-item", "AIVD-1", "--personal-data", "--reason", "R"),
    "consent": ("consent", "AIVD-1", "--holder", "rvd", "--to", "smi", "--until", "2099-01-01"),
    "revoke": ("revoke", "1", "--reason", "R"),
    "share": ("share", "AIVD-1", "--to", "rvd"),
    "permit": ("permit", "AIVD-1", "--to", "smi", "--role", "dg", "--until", "2099-01-01",
               "--reason", "R"),
    "revoke-permission": ("revoke-permission", "1", "--reason", "R"),
    "import partners": ("import", "partners", str(DEMO / "import-partners.csv")),
    "import items": ("import", "items", str(DEMO / "import-items.csv")),
    "import consents": ("import", "consents", str(DEMO / "import-consents.csv")),
    "person add": ("person", "add", "k.klaas", "--name", "K", "--function", "F"),
    "person edit": ("person", "edit", "j.jansen", "--name", "K", "--reason", "R"),
    "person grant": ("person", "grant", "j.jansen", "assessor", "--reason", "R"),
    "person revoke": ("person", "revoke", "j.jansen", "desk", "--reason", "R"),
}  # fmt: skip
"""A command line for every gated command that gets as far as the gate."""

READS = frozenset(
    {
        "partners", "show", "groups", "due", "history", "diff", "render", "items", "show-item",
        "consents", "permissions", "can-share", "transfers", "people", "sweep", "export",
        "export verify",
    }
)  # fmt: skip
"""The commands that only read (or export): no role needed, nothing recorded."""


@pytest.fixture
def team(run: Run, location: Location, migrated_db: Location) -> Location:
    """rvd, smi, bsv (as `sharing_world.world`), our item AIVD-1, and the register of TEAM."""
    base = utcnow() - timedelta(days=1)
    world(location, base)
    add_item(location, "AIVD-1", "self", now=base + timedelta(hours=1))
    register_team(run)
    return location


def refused(run: Run, location: Location, args: tuple[str, ...], message: str) -> None:
    """`args` is refused with exit 1 and `message`, and writes nothing."""
    before = events(location)
    result = run(*args)
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    assert result.stderr == f"Error: {message}\n"
    assert events(location) == before


def _commands() -> set[str]:
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    names = set()
    for name, command in root.commands.items():
        if name in {"db", "audit"}:
            continue  # the store's own tools: reading, or set-up by the database owner
        if isinstance(command, typer.core.TyperGroup):
            names |= {f"{name} {sub}" for sub in command.commands}
        else:
            names.add(name)
    return names


def test_every_command_is_gated_or_only_reads() -> None:
    assert set(GATES) & READS == set()
    assert _commands() - READS == set(GATES), "a new writing command needs a line in GATES"
    assert set(COMMAND_ARGS) == set(GATES)
    assert all(people.OVERSEER not in gate.roles for gate in GATES.values())


@pytest.mark.parametrize("command", sorted(GATES))
def test_an_overseer_changes_nothing(run: Run, team: Location, command: str) -> None:
    refused(
        run, team, as_("c.toezicht", *COMMAND_ARGS[command]),
        f"'c.toezicht' (mr. C. Toezicht) is an overseer (CTIVD): an overseer reads and exports "
        f"and changes nothing, so cannot {command}.",
    )  # fmt: skip


@pytest.mark.parametrize("command", sorted(GATES))
def test_an_unregistered_person_does_nothing(run: Run, team: Location, command: str) -> None:
    refused(
        run, team, as_("k.klaas", *COMMAND_ARGS[command]),
        f"'k.klaas' is not in the people register, so cannot {command}. A dg or minister "
        "registers them: `wegings person add k.klaas --name NAME --function FUNCTION --role "
        "ROLE`; see `wegings people`.",
    )  # fmt: skip


WRONG_ROLE = {
    "desk": ("a.analist", "drs. A. Analist", "assessor"),
    "assessor": ("j.jansen", "J. Jansen", "desk"),
}


@pytest.mark.parametrize("command", sorted(GATES))
def test_a_person_without_the_role_is_refused(run: Run, team: Location, command: str) -> None:
    gate = GATES[command]
    if gate.roles <= {"dg", "minister"}:
        login, name, held = WRONG_ROLE["desk"]
    else:
        login, name, held = WRONG_ROLE["desk" if "desk" in gate.roles else "assessor"]
        if held in gate.roles:
            login, name, held = ("m.minister", "mr. A. de Vries", "minister")
    needed = (
        "dg" if gate.by_role_option else " or ".join(r for r in people.ROLES if r in gate.roles)
    )
    what = f"{command} as dg" if gate.by_role_option else command
    named = needed if " or " not in needed else "ROLE"
    refused(
        run, team, as_(login, *COMMAND_ARGS[command]),
        f"{what} needs the role {needed}; '{login}' ({name}) holds {held}. A dg or minister "
        f"grants it: `wegings person grant {login} {named} --reason TEXT`.",
    )  # fmt: skip


def test_score_is_refused_before_the_interview(run: Run, team: Location) -> None:
    result = run(*as_("j.jansen", "score", "bsv"), input="")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: score needs the role assessor;")


def test_score_exports_and_templates_need_no_role(run: Run, team: Location) -> None:
    assert run(*as_("c.toezicht", "score", "rvd", "--export-answers")).exit_code == 0
    assert run(*as_("c.toezicht", "score", "bsv", "--template")).exit_code == 0


def test_an_overseer_reads_and_exports(run: Run, team: Location, tmp_path: Path) -> None:
    for args in (("partners",), ("people",), ("audit", "verify"), ("show", "rvd"),
                 ("can-share", "AIVD-1", "--to", "rvd"),
                 ("render", "rvd", "-o", str(tmp_path / "rvd.md"))):  # fmt: skip
        result = run(*as_("c.toezicht", *args))
        assert result.exit_code == 0, (args, result.output)


def test_the_team_weighs_and_establishes_a_note(run: Run, team: Location, tmp_path: Path) -> None:
    def ok(*args: str) -> None:
        result = run(*args)
        assert result.exit_code == 0, result.output

    ok(*as_("a.analist", "score", "bsv", "--answers", ANSWERS))
    refused(run, team, as_("m.minister", "establish", "bsv", "--role", "dg"),
            "establish as dg needs the role dg; 'm.minister' (mr. A. de Vries) holds minister. "
            "A dg or minister grants it: `wegings person grant m.minister dg --reason "
            "TEXT`.")  # fmt: skip
    refused(run, team, as_("h.de.boer", "establish", "bsv", "--role", "minister"),
            "establish as minister needs the role minister; 'h.de.boer' (mr. H. de Boer) holds "
            "dg. A dg or minister grants it: `wegings person grant h.de.boer minister --reason "
            "TEXT`.")  # fmt: skip
    # An assessor who is also a DG still cannot establish their own note: four eyes.
    ok(*as_("h.de.boer", "person", "grant", "a.analist", "dg", "--reason", "Plaatsvervanger."))
    refused(run, team, as_("a.analist", "establish", "bsv", "--role", "dg"),
            "The note was written by 'a.analist'; another person must establish it (four "
            "eyes). Use --as NAME.")  # fmt: skip
    ok(*as_("H.DE.BOER", "establish", "bsv", "--role", "dg", "--decision", "DG-besluit 1"))
    [note] = [n for n in json.loads(run("history", "bsv", "--json").stdout) if n["version"] == 1]
    assert (note["author"], note["established_by"], note["status"]) == (
        "a.analist", "h.de.boer", "established",
    )  # fmt: skip


def test_four_eyes_sees_one_person_under_two_logins(
    run: Run, team: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second login under the DG's own name, as the register allowed before it refused one.
    with monkeypatch.context() as patch:
        patch.setattr(people, "_refuse_a_registered_name", lambda session, name, but=None: None)
        added = run(*as_("m.minister", "person", "add", "hdeboer2", "--name", "MR. H. de  Boer",
                         "--function", "DG", "--role", "assessor"))  # fmt: skip
    assert added.exit_code == 0, added.output
    assert run(*as_("hdeboer2", "score", "bsv", "--answers", ANSWERS)).exit_code == 0
    refused(
        run, team, as_("h.de.boer", "establish", "bsv", "--role", "dg"),
        "Version 1 of bsv was written by 'hdeboer2' (MR. H. de  Boer), who has the full name of "
        "'h.de.boer' (mr. H. de Boer), as whom you act: one person under two logins; another "
        "person must establish it (four eyes).",
    )  # fmt: skip
    assert run(*as_("m.minister", "establish", "bsv", "--role", "minister")).exit_code == 0


@pytest.mark.parametrize(("registered", "typed"), NAME_VARIANTS)
def test_four_eyes_sees_one_name_however_it_is_written(
    run: Run, team: Location, monkeypatch: pytest.MonkeyPatch, registered: str, typed: str
) -> None:
    added = run(*as_("h.de.boer", "person", "add", "dg1", "--name", registered, "--function",
                     "DG", "--role", "dg"))  # fmt: skip
    assert added.exit_code == 0, added.output
    # The same name written otherwise under a second login, as the register allowed before it
    # compared names without their spacing, punctuation and accents (a legacy duplicate).
    with monkeypatch.context() as patch:
        patch.setattr(people, "_refuse_a_registered_name", lambda session, name, but=None: None)
        added = run(*as_("h.de.boer", "person", "add", "dg1alt", "--name", typed, "--function",
                         "DG", "--role", "assessor"))  # fmt: skip
    assert added.exit_code == 0, added.output
    assert run(*as_("dg1alt", "score", "bsv", "--answers", ANSWERS)).exit_code == 0
    refused(
        run, team, as_("dg1", "establish", "bsv", "--role", "dg"),
        f"Version 1 of bsv was written by 'dg1alt' ({typed}), who has the full name of 'dg1' "
        f"({registered}), as whom you act: one person under two logins; another person must "
        "establish it (four eyes).",
    )  # fmt: skip
    refused(
        run, team, as_("dg1", "person", "grant", "dg1alt", "desk", "--reason", "x"),
        f"Nobody grants a role to themselves ('dg1alt' ({typed}) has your full name, so is "
        "you): another dg or minister grants 'dg1alt' the role desk.",
    )  # fmt: skip
    assert run(*as_("h.de.boer", "establish", "bsv", "--role", "dg")).exit_code == 0


def test_four_eyes_needs_an_author_in_the_register(
    run: Run, location: Location, migrated_db: Location
) -> None:
    base = utcnow() - timedelta(days=1)
    world(location, base)
    # Written while the register was empty, by a name that is nobody in the register.
    assert run(*as_("Anna Analist", "score", "bsv", "--answers", ANSWERS)).exit_code == 0
    register_team(run)
    refused(
        run, location, as_("h.de.boer", "establish", "bsv", "--role", "dg"),
        "Version 1 of bsv was written by 'Anna Analist', who is not in the people register, so "
        "four eyes cannot compare registered persons. A registered assessor saves it again as a "
        "new version: `wegings score bsv --export-answers > bsv.toml`, then `wegings score bsv "
        "--answers bsv.toml`.",
    )  # fmt: skip


def test_an_empty_register_keeps_the_single_user_ways(
    run: Run, location: Location, migrated_db: Location
) -> None:
    base = utcnow() - timedelta(days=1)
    world(location, base)
    assert run(*as_("Anna Analist", "score", "bsv", "--answers", ANSWERS)).exit_code == 0
    result = run(*as_("someone.else", "establish", "bsv", "--role", "dg"))
    assert result.exit_code == 0, result.output
    with session_scope(location, write=False) as session:
        [event] = list_events(session, limit=1)
        assert event.actor == "someone.else"


def test_a_permission_is_granted_by_who_acts(run: Run, team: Location) -> None:
    permit = ("permit", "AIVD-1", "--to", "smi", "--role", "minister", "--until", "2099-01-01",
              "--reason", "Ministerieel besluit 2026/1")  # fmt: skip
    refused(
        run, team, as_("m.minister", *permit, "--granted-by", "mr. H. de Boer"),
        "--granted-by 'mr. H. de Boer' is not you: with the people register the minister who "
        "grants a permission records it themselves, and you act as 'm.minister' (mr. A. de "
        "Vries). Leave out --granted-by, or let them record it.",
    )  # fmt: skip
    granted = run(*as_("m.minister", *permit))
    assert granted.exit_code == 0, granted.output
    assert granted.stderr.startswith("Recorded permission #1 by the minister (mr. A. de Vries)")
    again = run(*as_("m.minister", *permit, "--granted-by", "mr. A. de Vries"))
    assert again.exit_code == 0, again.output
    listed = json.loads(run("permissions", "--json").stdout)
    assert [(p["granted_by"], p["recorded_by"]) for p in listed] == [
        ("mr. A. de Vries", "m.minister"),
        ("mr. A. de Vries", "m.minister"),
    ]


def test_can_share_answers_once_people_are_registered(run: Run, team: Location) -> None:
    assert run(*as_("h.de.boer", "person", "grant", "a.analist", "desk", "--reason",
                    "Ook liaison.")).exit_code == 0  # fmt: skip
    assert run(*as_("h.de.boer", "person", "edit", "j.jansen", "--function", "senior",
                    "--reason", "Bevorderd.")).exit_code == 0  # fmt: skip
    assert run(*as_("m.minister", "person", "revoke", "a.analist", "desk", "--reason",
                    "Toch niet.")).exit_code == 0  # fmt: skip
    single = run("can-share", "self/AIVD-1", "--to", "rvd", "--json")
    assert single.exit_code == 0, single.output
    assert json.loads(single.stdout)["decision"] == "allowed"
    batch = run("can-share", "--batch", "-", "--json", input="item,to\nself/AIVD-1,rvd\n")
    assert batch.exit_code == 0, batch.output
    assert json.loads(batch.stdout)["error"] is None
    shared = run(*as_("j.jansen", "share", "AIVD-1", "--to", "rvd"))
    assert shared.exit_code == 0, shared.output
    assert run("audit", "verify").exit_code == 0


# --------------------------------------------------------------------------- on a server


@pytest.fixture
def on_server(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The register's view of a PostgreSQL server, standing in for `wegings.store.server`:
    set "login" and "roles" to what the server would say, "missing" to True before
    `db init-roles` (no group roles)."""
    said: dict[str, object] = {"login": "j.jansen", "roles": frozenset({"desk"}), "missing": False}

    def server(session: object) -> tuple[str, frozenset[str]]:
        roles = said["roles"]
        assert isinstance(roles, frozenset)
        return str(said["login"]), roles

    monkeypatch.setattr(people, "_server", server)
    monkeypatch.setattr(people, "_missing_group_roles", lambda session, roles: said["missing"])
    return said


def test_on_a_server_nobody_claims_another_identity(
    run: Run, team: Location, on_server: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    refused(
        run, team, as_("h.de.boer", *COMMAND_ARGS["new-partner"]),
        "On the server you act as 'j.jansen', the database user it authenticated; --as "
        "'h.de.boer' names someone else. Connect as that person to act as them.",
    )  # fmt: skip
    refused(
        run, team, COMMAND_ARGS["new-partner"],
        "On the server you act as 'j.jansen', the database user it authenticated; WEGINGS_USER "
        "'tester' names someone else. Connect as that person to act as them.",
    )  # fmt: skip
    monkeypatch.delenv("WEGINGS_USER")
    result = run(*COMMAND_ARGS["new-partner"])
    assert result.exit_code == 0, result.output
    assert run(*as_("j.jansen", "new-item", "AIVD-8", "--originator", "self")).exit_code == 0
    with session_scope(team, write=False) as session:
        assert {e.actor for e in list_events(session, limit=2)} == {"j.jansen"}


def test_on_a_server_the_roles_are_database_roles(
    run: Run, team: Location, on_server: dict[str, object]
) -> None:
    on_server["login"] = "a.analist"  # an assessor in the register, a desk officer on the server
    assert run(*as_("a.analist", *COMMAND_ARGS["new-partner"])).exit_code == 0
    refused(
        run, team, as_("a.analist", "score", "bsv", "--answers", ANSWERS),
        "score needs the database role assessor; 'a.analist' (drs. A. Analist) holds desk. The "
        'database owner grants it: GRANT wegings_assessor TO "a.analist".',
    )  # fmt: skip
    on_server["login"], on_server["roles"] = "h.de.boer", frozenset({"dg"})
    refused(
        run, team, as_("h.de.boer", "person", "grant", "j.jansen", "assessor", "--reason", "R"),
        "On a server roles are database roles: the database owner grants them (GRANT "
        "wegings_ROLE TO login), not `wegings person grant`.",
    )  # fmt: skip


def _no_grants_on_a_server(run: Run, location: Location, on_server: dict[str, object]) -> None:
    on_server["login"], on_server["roles"] = "j.jansen", frozenset({"desk"})
    # Not "needs the database role dg or minister": no role lets anyone grant one there.
    refused(
        run, location, as_("j.jansen", *COMMAND_ARGS["person grant"]),
        "On a server roles are database roles: the database owner grants them (GRANT "
        "wegings_ROLE TO login), not `wegings person grant`.",
    )  # fmt: skip
    refused(
        run, location, as_("j.jansen", *COMMAND_ARGS["person revoke"]),
        "On a server roles are database roles: the database owner revokes them (REVOKE "
        "wegings_ROLE FROM login), not `wegings person revoke`.",
    )  # fmt: skip


def test_on_a_server_nobody_grants_a_role_in_the_register(
    run: Run, team: Location, on_server: dict[str, object]
) -> None:
    _no_grants_on_a_server(run, team, on_server)


def test_on_a_server_an_empty_register_grants_no_role_either(
    run: Run, location: Location, migrated_db: Location, on_server: dict[str, object]
) -> None:
    _no_grants_on_a_server(run, location, on_server)


def test_on_a_server_an_unregistered_login_is_registered_without_roles(
    run: Run, team: Location, on_server: dict[str, object]
) -> None:
    on_server["login"], on_server["roles"] = "k.klaas", frozenset({"desk"})
    refused(
        run, team, as_("k.klaas", *COMMAND_ARGS["new-partner"]),
        "'k.klaas' is not in the people register, so cannot new-partner. A dg or minister "
        "registers them: `wegings person add k.klaas --name NAME --function FUNCTION`; see "
        "`wegings people`.",
    )  # fmt: skip
    refused(
        run, team, as_("k.klaas", *COMMAND_ARGS["score"]),
        "'k.klaas' is not in the people register, so cannot score. A dg or minister registers "
        "them: `wegings person add k.klaas --name NAME --function FUNCTION`, and the database "
        'owner grants the role: GRANT wegings_assessor TO "k.klaas"; see `wegings people`.',
    )  # fmt: skip
    refused(
        run, team, as_("k.klaas", *COMMAND_ARGS["retract-flag"]),
        "'k.klaas' is not in the people register, so cannot retract-flag. A dg or minister "
        "registers them: `wegings person add k.klaas --name NAME --function FUNCTION`, and the "
        'database owner grants the role: GRANT wegings_ROLE TO "k.klaas"; see `wegings people`.',
    )  # fmt: skip


def test_on_a_server_the_first_person_needs_the_database_role(
    run: Run, location: Location, migrated_db: Location, on_server: dict[str, object]
) -> None:
    on_server["login"] = "j.jansen"
    refused(
        run, location, as_("j.jansen", "person", "add", "j.jansen", "--name", "J", "--function",
                           "F"),
        "person add needs the database role dg or minister; the database user 'j.jansen' holds "
        'desk. The database owner grants it: GRANT wegings_ROLE TO "j.jansen".',
    )  # fmt: skip
    on_server["roles"] = frozenset({"minister"})
    added = run(*as_("j.jansen", "person", "add", "j.jansen", "--name", "J", "--function", "F"))
    assert added.exit_code == 0, added.output
    assert added.stderr == "Registered j.jansen (J, F) with no role.\n"


def test_on_a_server_an_empty_register_still_gates_by_database_roles(
    run: Run, location: Location, migrated_db: Location, on_server: dict[str, object]
) -> None:
    base = utcnow() - timedelta(days=1)
    world(location, base)
    assert run(*as_("j.jansen", *COMMAND_ARGS["new-partner"])).exit_code == 0
    refused(
        run, location, as_("j.jansen", "establish", "rvd", "--role", "minister"),
        "establish as minister needs the database role minister; the database user 'j.jansen' "
        'holds desk. The database owner grants it: GRANT wegings_minister TO "j.jansen".',
    )  # fmt: skip
    on_server["roles"] = frozenset({"overseer"})
    refused(
        run, location, as_("j.jansen", *COMMAND_ARGS["flag"]),
        "The database user 'j.jansen' is an overseer (CTIVD): an overseer reads and exports and "
        "changes nothing, so cannot flag.",
    )  # fmt: skip
    on_server["roles"], on_server["missing"] = frozenset(), True
    refused(
        run, location, as_("j.jansen", *COMMAND_ARGS["score"]),
        "score needs the database role assessor; the database user 'j.jansen' holds no role. The "
        "database has no wegings roles yet: its owner runs `wegings db init-roles`, then GRANT "
        'wegings_assessor TO "j.jansen".',
    )  # fmt: skip


def test_on_a_file_an_empty_register_gates_nothing(
    run: Run, location: Location, migrated_db: Location
) -> None:
    base = utcnow() - timedelta(days=1)
    world(location, base)
    assert run(*as_("j.jansen", *COMMAND_ARGS["flag"])).exit_code == 0
    assert run(*as_("j.jansen", *COMMAND_ARGS["new-partner"])).exit_code == 0


def test_on_a_server_a_login_in_another_case_is_another_user(
    run: Run, team: Location, on_server: dict[str, object]
) -> None:
    on_server["login"] = "J.Jansen"
    refused(
        run, team, as_("J.Jansen", *COMMAND_ARGS["new-partner"]),
        "Login 'J.Jansen' is not registered: the registered login 'j.jansen' differs in case, "
        "and on a server that is another database user. Connect as 'j.jansen' to act as them; "
        "see `wegings people`.",
    )  # fmt: skip
    on_server["login"] = "j.jansen"
    assert run(*as_("j.jansen", *COMMAND_ARGS["new-partner"])).exit_code == 0
    with session_scope(team, write=False) as session:
        [event] = list_events(session, limit=1)
        assert (event.actor, event.entity) == ("j.jansen", "partner")


def test_on_a_server_the_first_person_is_the_login_exactly(
    run: Run, location: Location, migrated_db: Location, on_server: dict[str, object]
) -> None:
    on_server["login"], on_server["roles"] = "H.de.Boer", frozenset({"dg"})
    refused(
        run, location, as_("H.de.Boer", "person", "add", "h.de.boer", "--name", "H",
                           "--function", "DG"),
        "The people register is empty, so the first person registered is the one who "
        "registers: you act as 'H.de.Boer', not 'h.de.boer'. Register yourself first, or let "
        "'h.de.boer' connect to the server and register themselves (--as cannot name another "
        "login there).",
    )  # fmt: skip
    added = run(*as_("H.de.Boer", "person", "add", "H.de.Boer", "--name", "H", "--function", "DG"))
    assert added.exit_code == 0, added.output
    added = run(*as_("H.de.Boer", "person", "add", "j.jansen", "--name", "J", "--function", "D"))
    assert added.exit_code == 0, added.output
    with session_scope(location, write=False) as session:
        assert {e.actor for e in list_events(session)} == {"H.de.Boer"}
        assert [p.person.recorded_by for p in people.list_people(session)] == ["H.de.Boer"] * 2
