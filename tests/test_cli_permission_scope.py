"""A permission weighs only what was on record when it was granted (found in review)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Run, add_partner

DEMO = Path(__file__).resolve().parent / "data"
STANDAARD = str(DEMO / "rvd-standaard.toml")
VERHOOGD = str(DEMO / "smi-verhoogd.toml")


def _noted(run: Run, short: str, answers: str, role: str, *groups: str) -> None:
    extra = [arg for group in groups for arg in ("--group", group)]
    add_partner(run, short, *extra)
    assert run("--as", "analist", "score", short, "--answers", answers).exit_code == 0
    assert run("--as", role, "establish", short, "--role", role).exit_code == 0


@pytest.fixture
def world(run: Run, migrated_db: Path) -> Run:
    """orc (originator, standaard); rkb (verhoogd, CTG); an item with personal data."""
    _noted(run, "orc", STANDAARD, "dg")
    _noted(run, "rkb", VERHOOGD, "minister", "CTG")
    assert (
        run(
            "new-item", "PE", "--originator", "orc", "--received-from", "orc", "--personal-data"
        ).exit_code
        == 0
    )
    assert run("consent", "PE", "--to", "CTG", "--until", "2099-12-31").exit_code == 0
    return run


def _decision(run: Run, *args: str) -> dict[str, object]:
    result = run("can-share", "PE", *args, "--json")
    assert result.exit_code in (0, 1, 3), result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_permission_before_the_flag_does_not_answer_it(world: Run) -> None:
    assert (
        world(
            "--as",
            "dg",
            "permit",
            "--granted-by",
            "mr. A. Minister",
            "PE",
            "--to",
            "rkb",
            "--role",
            "dg",
            "--until",
            "2099-06-30",
            "--reason",
            "DG-besluit",
        ).exit_code
        == 0
    )
    assert _decision(world, "--to", "rkb")["decision"] == "allowed"
    assert world("flag", "rkb", "--reason", "Staatsgreep").exit_code == 0
    assert _decision(world, "--to", "rkb")["decision"] == "needs_permission"
    shared = world("share", "PE", "--to", "rkb", "--reliability", "B2", "--age", "juni 2026")
    assert shared.exit_code == 3
    assert (
        world(
            "--as",
            "dg",
            "permit",
            "--granted-by",
            "mr. A. Minister",
            "PE",
            "--to",
            "rkb",
            "--role",
            "dg",
            "--until",
            "2099-06-30",
            "--reason",
            "Na de staatsgreep opnieuw gewogen",
        ).exit_code
        == 0
    )
    assert _decision(world, "--to", "rkb")["decision"] == "allowed"


def test_a_group_permission_does_not_cover_later_members(world: Run) -> None:
    assert (
        world(
            "--as",
            "dg",
            "permit",
            "--granted-by",
            "mr. A. Minister",
            "PE",
            "--to",
            "CTG",
            "--role",
            "dg",
            "--until",
            "2099-06-30",
            "--reason",
            "DG-besluit",
        ).exit_code
        == 0
    )
    assert _decision(world, "--to", "CTG")["decision"] == "allowed"
    _noted(world, "lat", VERHOOGD, "minister", "CTG")
    # The originator's consent to the CTG did not weigh the newcomer either.
    decision = _decision(world, "--to", "CTG")
    assert decision["decision"] == "denied"
    assert _failing(decision, "no_consent") == {"lat"}
    assert world("consent", "PE", "--to", "CTG", "--until", "2099-12-31").exit_code == 0
    decision = _decision(world, "--to", "CTG")
    assert decision["decision"] == "needs_permission"
    assert _failing(decision, "permission_required_risk") == {"lat"}


def _failing(decision: dict[str, object], code: str) -> set[str]:
    reasons = decision["reasons"]
    assert isinstance(reasons, list)
    return {r["member"] for r in reasons if r["code"] == code}
