"""The people register through the CLI: person add, edit, grant, revoke, and people."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Run, sql
from tests.people_world import TEAM, as_, events, register_team
from wegings.config import Location
from wegings.register import people
from wegings.register.people import list_people, roles_of
from wegings.store.audit import list_events
from wegings.store.engine import session_scope
from wegings.store.models import Person

pytestmark = pytest.mark.sqlite_only(
    reason="the register grants its own roles there; on a server they are database roles "
    "(tests/test_people_postgres.py)"
)


@pytest.fixture
def team(run: Run, location: Location, migrated_db: Location) -> Location:
    """The register of TEAM."""
    register_team(run)
    return location


def refused(
    run: Run, location: Location, args: tuple[str, ...], message: str, code: int = 1
) -> None:
    """`args` is refused with `message` (one line) and writes nothing."""
    before = events(location)
    result = run(*args)
    assert (result.exit_code, result.stdout) == (code, ""), result.output
    assert result.stderr == f"Error: {message}\n"
    assert events(location) == before


# --------------------------------------------------------------------------- bootstrap


def test_an_empty_register_lists_nobody(run: Run, migrated_db: Location) -> None:
    result = run("people")
    assert result.exit_code == 0
    assert result.stderr == (
        "Nobody registered: wegings works for one user, as `--as` says. Start the register "
        "with `wegings person add` (yourself, as dg or minister).\n"
    )
    listed = run("people", "--json")
    assert (listed.exit_code, json.loads(listed.stdout)) == (0, [])


def test_the_first_person_is_the_one_registering(
    run: Run, location: Location, migrated_db: Location
) -> None:
    refused(
        run, location, as_("j.jansen", "person", "add", "h.de.boer", "--name", "H", "--function",
                           "DG", "--role", "dg"),
        "The people register is empty, so the first person registered is the one who "
        "registers: you act as 'j.jansen', not 'h.de.boer'. Register yourself first (give --as "
        "to act under your own login).",
    )  # fmt: skip


def test_the_first_person_must_be_a_dg_or_minister(
    run: Run, location: Location, migrated_db: Location
) -> None:
    message = (
        "The first person registered manages the people register, so must get --role dg or "
        "minister; they register the others."
    )
    refused(run, location, as_("j.jansen", "person", "add", "j.jansen", "--name", "J",
                               "--function", "desk", "--role", "desk"), message)  # fmt: skip
    refused(run, location, as_("j.jansen", "person", "add", "j.jansen", "--name", "J",
                               "--function", "desk"), message)  # fmt: skip


def test_anyone_starts_the_register_with_themselves(
    run: Run, location: Location, migrated_db: Location
) -> None:
    result = run(*as_("h.de.boer", "person", "add", "h.de.boer", "--name", "mr. H. de Boer",
                      "--function", "directeur-generaal", "--role", "dg"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == "Registered h.de.boer (mr. H. de Boer, directeur-generaal) with dg.\n"
    with session_scope(location, write=False) as session:
        [event, grant] = sorted(list_events(session), key=lambda e: e.seq)
        assert (event.entity, event.action, event.actor) == ("person", "person.add", "h.de.boer")
        assert (grant.entity, grant.action) == ("role_grant", "role.grant")
        assert roles_of(session, "h.de.boer") == ("dg",)


# --------------------------------------------------------------------------- who adds whom


def test_after_the_first_only_a_dg_or_minister_adds_people(run: Run, team: Location) -> None:
    refused(
        run, team, as_("j.jansen", "person", "add", "k.klaas", "--name", "K", "--function", "F"),
        "person add needs the role dg or minister; 'j.jansen' (J. Jansen) holds desk. A dg or "
        "minister grants it: `wegings person grant j.jansen ROLE --reason TEXT`.",
    )  # fmt: skip
    refused(
        run, team, as_("k.klaas", "person", "add", "k.klaas", "--name", "K", "--function", "F"),
        "'k.klaas' is not in the people register, so cannot person add. A dg or minister "
        "registers them: `wegings person add k.klaas --name NAME --function FUNCTION --role "
        "ROLE`; see `wegings people`.",
    )  # fmt: skip
    added = run(*as_("m.minister", "person", "add", "k.klaas", "--name", "K. Klaas",
                     "--function", "analist", "--role", "assessor", "--role", "desk"))  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.stderr == "Registered k.klaas (K. Klaas, analist) with desk, assessor.\n"


def test_a_person_is_registered_once(run: Run, team: Location) -> None:
    refused(
        run, team, as_("h.de.boer", "person", "add", "J.Jansen", "--name", "J", "--function", "F"),
        "'j.jansen' is registered already. Correct a name or function with `wegings person edit "
        "j.jansen`; grant a role with `wegings person grant`.",
    )  # fmt: skip


def test_a_look_alike_login_is_not_registered_beside_the_real_one(run: Run, team: Location) -> None:
    refused(
        run, team, as_("h.de.boer", "person", "add", "j.j\u0430nsen", "--name", "J",
                       "--function", "F"),
        "Login 'j.j\u0430nsen' looks like the registered login 'j.jansen' (same confusable "
        "skeleton): one could pass for the other. Choose another login.",
    )  # fmt: skip


def test_a_look_alike_login_cannot_act_as_the_person(run: Run, team: Location) -> None:
    refused(
        run, team, as_("j.j\u0430nsen", "new-partner", "X", "--short", "xx", "--country", "XR",
                       "--kind", "civil"),
        "Login 'j.j\u0430nsen' is not registered, but looks like the registered login "
        "'j.jansen' (a look-alike character?); type it exactly. See `wegings people`.",
    )  # fmt: skip


def test_a_login_in_another_case_acts_as_the_person_recorded_by_login(
    run: Run, team: Location
) -> None:
    result = run(*as_("J.Jansen", "new-partner", "X", "--short", "xx", "--country", "XR",
                      "--kind", "civil"))  # fmt: skip
    assert result.exit_code == 0, result.output
    with session_scope(team, write=False) as session:
        [event] = list_events(session, limit=1)
        assert (event.actor, event.entity) == ("j.jansen", "partner")


SAME_NAME = (
    "Full name {typed} is the name of the registered person 'h.de.boer' (mr. H. de Boer): one "
    "person under two logins would pass four eyes. If they are two people, distinguish the "
    "names by initials or function (e.g. 'mr. H. de Boer (function)'); one person keeps one "
    "login."
)


@pytest.mark.parametrize(
    "name",
    ["mr. H. de Boer", "MR.  H. DE  BOER", "mr. \u041d. de Boer", "ｍｒ. H. de Boer",
     "mr. H. de\u00a0Boer"],
)  # fmt: skip
def test_a_second_login_under_a_registered_name_is_refused(
    run: Run, team: Location, name: str
) -> None:
    refused(
        run, team, as_("h.de.boer", "person", "add", "hdeboer2", "--name", name, "--function",
                       "DG", "--role", "assessor"),
        SAME_NAME.format(typed=f"'{name}'"),
    )  # fmt: skip


def test_two_people_with_one_name_are_told_apart_by_initials(run: Run, team: Location) -> None:
    result = run(*as_("h.de.boer", "person", "add", "hj.de.boer", "--name", "mr. H.J. de Boer",
                      "--function", "jurist", "--role", "assessor"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == "Registered hj.de.boer (mr. H.J. de Boer, jurist) with assessor.\n"


def test_a_name_is_not_corrected_into_a_registered_persons_name(run: Run, team: Location) -> None:
    refused(
        run, team, as_("h.de.boer", "person", "edit", "j.jansen", "--name", "mr. H. de Boer",
                       "--reason", "x"),
        SAME_NAME.format(typed="'mr. H. de Boer'"),
    )  # fmt: skip


NAME_VARIANTS = [
    ("mr. D. Generaal", "mr.D. Generaal"),
    ("A. B. de Vries", "A.B. de Vries"),
    ("A. B. de Vries", "A. B. deVries"),
    ("A. B. de Vries", "A B de Vries"),
    ("A. B. de Vries", "A. B. de Vri\u00e9s"),
    ("A. B. de Vries", "A. B. \u0257e Vries"),
]
"""(registered full name, the same name written otherwise): spacing, punctuation, an accent, a
letter with a hook (U+0257) that looks like d."""


def _name_refused(login: str, registered: str, typed: str) -> str:
    return (
        f"Full name '{typed}' is the name of the registered person '{login}' ({registered}): one "
        "person under two logins would pass four eyes. If they are two people, distinguish the "
        f"names by initials or function (e.g. '{registered} (function)'); one person keeps one "
        "login."
    )


@pytest.mark.parametrize(("registered", "typed"), NAME_VARIANTS)
def test_a_name_with_other_spacing_punctuation_or_accents_is_one_name(
    run: Run, team: Location, registered: str, typed: str
) -> None:
    added = run(*as_("h.de.boer", "person", "add", "dg1", "--name", registered, "--function",
                     "DG", "--role", "dg"))  # fmt: skip
    assert added.exit_code == 0, added.output
    refused(
        run, team, as_("h.de.boer", "person", "add", "dg1alt", "--name", typed, "--function",
                       "DG", "--role", "assessor"),
        _name_refused("dg1", registered, typed),
    )  # fmt: skip
    refused(
        run, team, as_("h.de.boer", "person", "edit", "j.jansen", "--name", typed, "--reason",
                       "Naam gecorrigeerd."),
        _name_refused("dg1", registered, typed),
    )  # fmt: skip


def test_initials_still_tell_two_names_apart(run: Run, team: Location) -> None:
    for login, name in (("ab.de.vries", "A. B. de Vries"), ("ac.de.vries", "A. C. de Vries"),
                        ("ab.de.vries.bos", "A. B. de Vries-Bos")):  # fmt: skip
        added = run(*as_("h.de.boer", "person", "add", login, "--name", name, "--function", "F"))
        assert added.exit_code == 0, added.output


def test_logins_differing_in_punctuation_are_two_logins(run: Run, team: Location) -> None:
    added = run(*as_("h.de.boer", "person", "add", "jjansen", "--name", "K. Jansen",
                     "--function", "analist", "--role", "assessor"))  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.stderr == "Registered jjansen (K. Jansen, analist) with assessor.\n"
    with session_scope(team, write=False) as session:
        assert roles_of(session, "j.jansen") == ("desk",)
        assert roles_of(session, "jjansen") == ("assessor",)


def test_nobody_corrects_their_own_name_or_function(run: Run, team: Location) -> None:
    refused(
        run, team, as_("h.de.boer", "person", "edit", "H.DE.BOER", "--function", "minister",
                       "--reason", "x"),
        "Nobody corrects their own name or function: another dg or minister corrects "
        "'h.de.boer' (mr. H. de Boer).",
    )  # fmt: skip
    corrected = run(*as_("m.minister", "person", "edit", "h.de.boer", "--function", "DG",
                         "--reason", "Afkorting."))  # fmt: skip
    assert corrected.exit_code == 0, corrected.output


@pytest.fixture
def twice_registered(run: Run, team: Location, monkeypatch: pytest.MonkeyPatch) -> Location:
    """TEAM, and the DG once more under a second login with the same full name, as the register
    allowed before it refused a registered name (a legacy duplicate)."""
    with monkeypatch.context() as patch:
        patch.setattr(people, "_refuse_a_registered_name", lambda session, name, but=None: None)
        added = run(*as_("m.minister", "person", "add", "hdeboer2", "--name", "mr. H.  de Boer",
                         "--function", "DG", "--role", "assessor"))  # fmt: skip
    assert added.exit_code == 0, added.output
    return team


def test_one_name_under_two_logins_grants_no_role_to_itself(
    run: Run, twice_registered: Location
) -> None:
    refused(
        run, twice_registered, as_("h.de.boer", "person", "grant", "hdeboer2", "minister",
                                   "--reason", "x"),
        "Nobody grants a role to themselves ('hdeboer2' (mr. H.  de Boer) has your full name, "
        "so is you): another dg or minister grants 'hdeboer2' the role minister.",
    )  # fmt: skip
    refused(
        run, twice_registered, as_("h.de.boer", "person", "edit", "hdeboer2", "--function", "x",
                                   "--reason", "x"),
        "Nobody corrects their own name or function ('hdeboer2' (mr. H.  de Boer) has your full "
        "name, so is you): another dg or minister corrects 'hdeboer2' (mr. H.  de Boer).",
    )  # fmt: skip
    granted = run(*as_("m.minister", "person", "grant", "hdeboer2", "desk", "--reason", "x"))
    assert granted.exit_code == 0, granted.output


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("--name", "J.\x1b[31m Jansen", "Full name (--name) contains a control character "
         "(U+001B) at character 3; remove it."),
        ("--name", "J. \u202eJansen", "Full name (--name) contains the invisible character "
         "U+202E; remove it."),
        ("--function", "a\nb", "Function (--function) must be on one line; remove the line "
         "break at character 2."),
        ("--function", "x" * 201, "Function (--function) is too long (201 characters; at most "
         "200)."),
        ("--name", "  ", "Full name (--name) must not be empty."),
        ("--name", "K.\u3164Klaas", "Full name (--name) contains the invisible character "
         "U+3164; remove it."),
        ("--name", "K. Klaas\u2800", "Full name (--name) contains the invisible character "
         "U+2800; remove it."),
        ("--name", "K. Kla\U000e0061as", "Full name (--name) contains the invisible character "
         "U+E0061; remove it."),
        ("--function", "ana\ufe00list", "Function (--function) contains the invisible "
         "character U+FE00; remove it."),
        ("--function", "\uffa0analist", "Function (--function) contains the invisible "
         "character U+FFA0; remove it."),
    ],
)  # fmt: skip
def test_hostile_names_and_functions_are_refused(
    run: Run, team: Location, field: str, value: str, message: str
) -> None:
    args = {"--name": "K. Klaas", "--function": "analist", field: value}
    refused(run, team, as_("h.de.boer", "person", "add", "k.klaas", *(x for kv in args.items()
                                                                      for x in kv)),
            message, code=2)  # fmt: skip


@pytest.mark.parametrize(
    ("login", "message"),
    [
        ("k klaas", "Login 'k klaas' may hold letters, digits and . _ @ ' - only, starting with "
         "a letter or digit (no spaces)."),
        ("k\u200bklaas", "Login contains the invisible character U+200B; remove it."),
        ("_k", "Login '_k' may hold letters, digits and . _ @ ' - only, starting with a letter "
         "or digit (no spaces)."),
        ("k" * 101, "Login is too long (101 characters; at most 100)."),
        ("k\u3164klaas", "Login contains the invisible character U+3164; remove it."),
        ("\u115fk", "Login contains the invisible character U+115F; remove it."),
        ("k\u1160", "Login contains the invisible character U+1160; remove it."),
        ("k\uffa0klaas", "Login contains the invisible character U+FFA0; remove it."),
        ("k\u2800klaas", "Login contains the invisible character U+2800; remove it."),
        ("k\u034fklaas", "Login contains the invisible character U+034F; remove it."),
        ("k\ufe0fklaas", "Login contains the invisible character U+FE0F; remove it."),
        ("k\U000e0100", "Login contains the invisible character U+E0100; remove it."),
        ("k\u17b4klaas", "Login contains the invisible character U+17B4; remove it."),
        ("k\u180bklaas", "Login contains the invisible character U+180B; remove it."),
        ("k\U000e0041klaas", "Login contains the invisible character U+E0041; remove it."),
        ("k\u00a0klaas", "Login contains the space character U+00A0; a login has no spaces."),
        ("k\u3000klaas", "Login contains the space character U+3000; a login has no spaces."),
        ("k\u2007klaas", "Login contains the space character U+2007; a login has no spaces."),
    ],
)  # fmt: skip
def test_bad_logins_are_refused(run: Run, team: Location, login: str, message: str) -> None:
    refused(run, team, as_("h.de.boer", "person", "add", login, "--name", "K", "--function", "F"),
            message, code=2)  # fmt: skip


# --------------------------------------------------------------------------- grant and revoke


def test_grant_and_revoke_a_role_with_a_reason(run: Run, team: Location) -> None:
    granted = run(*as_("h.de.boer", "person", "grant", "j.jansen", "assessor", "--reason",
                       "Ook beoordelaar."))  # fmt: skip
    assert granted.exit_code == 0, granted.output
    assert granted.stderr == "Granted assessor to j.jansen (J. Jansen); holds desk, assessor.\n"
    revoked = run(*as_("m.minister", "person", "revoke", "j.jansen", "desk", "--reason",
                       "Overgeplaatst."))  # fmt: skip
    assert revoked.exit_code == 0, revoked.output
    assert revoked.stderr == ("Revoked desk of j.jansen (J. Jansen) from now on; holds assessor.\n")
    with session_scope(team, write=False) as session:
        assert roles_of(session, "j.jansen") == ("assessor",)
        [revocation, grant] = list_events(session, limit=2)
        assert (revocation.entity, revocation.actor) == ("role_revocation", "m.minister")
        assert (grant.entity, grant.actor) == ("role_grant", "h.de.boer")
    [person] = [p for p in json.loads(run("people", "--json").stdout) if p["login"] == "j.jansen"]
    assert person["roles"] == ["assessor"]
    assert [(g["role"], g["reason"], g["revoked_by"], g["revocation_reason"])
            for g in person["grants"]] == [
        ("desk", "", "m.minister", "Overgeplaatst."),
        ("assessor", "Ook beoordelaar.", None, None),
    ]  # fmt: skip


def test_nobody_grants_a_role_to_themselves(run: Run, team: Location) -> None:
    refused(
        run, team, as_("h.de.boer", "person", "grant", "h.de.boer", "minister", "--reason", "x"),
        "Nobody grants a role to themselves: another dg or minister grants 'h.de.boer' the role "
        "minister.",
    )  # fmt: skip


def test_only_a_dg_or_minister_grants_roles(run: Run, team: Location) -> None:
    refused(
        run, team, as_("a.analist", "person", "grant", "j.jansen", "assessor", "--reason", "x"),
        "person grant needs the role dg or minister; 'a.analist' (drs. A. Analist) holds "
        "assessor. A dg or minister grants it: `wegings person grant a.analist ROLE --reason "
        "TEXT`.",
    )  # fmt: skip


def test_an_overseer_holds_no_other_role(run: Run, team: Location) -> None:
    refused(
        run, team, as_("h.de.boer", "person", "grant", "c.toezicht", "desk", "--reason", "x"),
        "'c.toezicht' is an overseer (CTIVD), who is independent of the service and holds no "
        "other role; desk is not granted.",
    )  # fmt: skip
    refused(
        run, team, as_("h.de.boer", "person", "grant", "j.jansen", "overseer", "--reason", "x"),
        "'j.jansen' holds desk; an overseer (CTIVD) is independent of the service and holds no "
        "other role. Register the overseer with a login of their own.",
    )  # fmt: skip


def test_a_role_held_is_not_granted_twice_nor_one_not_held_revoked(
    run: Run, team: Location
) -> None:
    refused(run, team, as_("h.de.boer", "person", "grant", "j.jansen", "desk", "--reason", "x"),
            "'j.jansen' (J. Jansen) holds the role desk already.")  # fmt: skip
    refused(run, team, as_("h.de.boer", "person", "revoke", "j.jansen", "dg", "--reason", "x"),
            "'j.jansen' (J. Jansen) does not hold the role dg (holds desk).")  # fmt: skip


def test_the_last_dg_or_minister_keeps_the_role(run: Run, team: Location) -> None:
    assert run(*as_("m.minister", "person", "revoke", "h.de.boer", "dg", "--reason",
                    "Vertrokken.")).exit_code == 0  # fmt: skip
    refused(
        run, team, as_("m.minister", "person", "revoke", "m.minister", "minister", "--reason",
                       "x"),
        "'m.minister' (mr. A. de Vries) is the last dg or minister: without one nobody could "
        "manage the people register. Grant dg or minister to someone else first.",
    )  # fmt: skip


@pytest.mark.parametrize("command", ["grant", "revoke"])
def test_a_reason_is_required_and_not_blank(run: Run, team: Location, command: str) -> None:
    refused(run, team, as_("h.de.boer", "person", command, "j.jansen", "assessor", "--reason",
                           " "), "Reason (--reason) must not be empty.", code=2)  # fmt: skip
    missing = run(*as_("h.de.boer", "person", command, "j.jansen", "assessor"))
    assert missing.exit_code == 2
    assert "Missing option '--reason'" in missing.stderr


def test_unknown_roles_and_logins_name_the_closest(run: Run, team: Location) -> None:
    refused(run, team, as_("h.de.boer", "person", "grant", "j.jansen", "asessor", "--reason", "x"),
            "No role 'asessor'. Did you mean: assessor? See `wegings person grant --help`.",
            code=2)  # fmt: skip
    refused(run, team, as_("h.de.boer", "person", "grant", "jansen", "assessor", "--reason", "x"),
            "No person 'jansen'. Did you mean: j.jansen? See `wegings people`.",
            code=2)  # fmt: skip
    refused(run, team, as_("h.de.boer", "person", "add", "k.klaas", "--name", "K", "--function",
                           "F", "--role", "dgg"),
            "No role 'dgg'. Did you mean: dg? See `wegings person grant --help`.",
            code=2)  # fmt: skip


# --------------------------------------------------------------------------- corrections


def test_a_name_or_function_is_corrected_by_a_new_record(run: Run, team: Location) -> None:
    result = run(*as_("h.de.boer", "person", "edit", "j.jansen", "--function",
                      "senior medewerker liaisonbureau", "--reason", "Bevorderd."))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Corrected function of j.jansen: now J. Jansen, senior medewerker liaisonbureau.\n"
    )
    with session_scope(team, write=False) as session:
        person = session.get(Person, 3)
        assert person is not None
        assert person.function == "medewerker liaisonbureau"  # the registration stays as it was
        [event] = list_events(session, limit=1)
        assert (event.entity, event.action) == ("person_correction", "person.correct")
    [listed] = [p for p in json.loads(run("people", "--json").stdout) if p["login"] == "j.jansen"]
    assert listed["function"] == "senior medewerker liaisonbureau"
    assert [c["reason"] for c in listed["corrections"]] == ["Bevorderd."]
    refused(run, team, as_("h.de.boer", "person", "edit", "j.jansen", "--name", "J. Jansen",
                           "--reason", "x"),
            "The name of 'j.jansen' is 'J. Jansen' already; nothing to correct.")  # fmt: skip
    refused(run, team, as_("h.de.boer", "person", "edit", "j.jansen", "--reason", "x"),
            "Give --name or --function to correct; the login never changes.", code=2)  # fmt: skip


# --------------------------------------------------------------------------- people


def test_people_lists_everyone_with_roles_and_stable_json(run: Run, team: Location) -> None:
    listed = run("people", "--json")
    assert listed.exit_code == 0
    data = json.loads(listed.stdout)
    assert [(p["login"], p["name"], p["function"], p["roles"]) for p in data] == sorted(
        (login, name, function, [role]) for login, name, function, role in TEAM
    )
    assert list(data[0]) == [
        "login", "name", "function", "roles", "registered_at", "registered_by", "grants",
        "corrections",
    ]  # fmt: skip
    assert list(data[0]["grants"][0]) == [
        "id", "role", "granted_at", "granted_by", "reason", "revoked_at", "revoked_by",
        "revocation_reason",
    ]  # fmt: skip
    table = run("people")
    assert table.exit_code == 0
    assert "People (5); roles: as granted in the register" in table.stdout
    assert "mr. H. de Boer" in table.stdout
    assert "toezichthouder CTIVD" in table.stdout


def test_people_as_of_answers_with_what_was_on_record_then(run: Run, team: Location) -> None:
    with session_scope(team, write=False) as session:
        moment = max(p.person.recorded_at for p in list_people(session))
    assert run(*as_("m.minister", "person", "revoke", "j.jansen", "desk", "--reason",
                    "Vertrokken.")).exit_code == 0  # fmt: skip
    now = [p for p in json.loads(run("people", "--json").stdout) if p["login"] == "j.jansen"]
    assert now[0]["roles"] == []
    then = json.loads(run("people", "--json", "--as-of", moment.isoformat()).stdout)
    [jansen] = [p for p in then if p["login"] == "j.jansen"]
    assert jansen["roles"] == ["desk"]
    assert jansen["grants"][0]["revoked_at"] is None
    before = run("people", "--as-of", "2020-01-01")
    assert (before.exit_code, before.stderr) == (0, "Nobody registered then.\n")


def test_the_register_is_held_to_the_audit_trail(
    run: Run, team: Location, location: Location
) -> None:
    verified = run("audit", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    sql(location, "UPDATE person SET function = 'minister' WHERE login = 'j.jansen'")
    broken = run("audit", "verify")
    assert broken.exit_code == 1
    assert "person #3 no longer matches this event (changed outside wegings)" in broken.stderr
