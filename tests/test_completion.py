"""Completion of what a command names, read from the database: handles, tags, logins, ids."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import Run
from tests.sharing_world import add_item, world
from wegings.config import Location
from wegings.timeutil import utcnow

pytestmark = pytest.mark.sqlite_only(reason="completion reads a SQLite file")


@pytest.fixture
def db(location: Location, migrated_db: Location, run: Run) -> Location:
    base = utcnow() - timedelta(days=1)
    world(location, base)
    add_item(location, "RVD-1", "rvd", now=base + timedelta(hours=1), tags=["ct"])
    add_item(location, "RVD-1", "smi", now=base + timedelta(hours=1))
    add_item(location, "AIVD-1", "self", now=base + timedelta(hours=1), subject="Reisgegevens")
    assert run("consent", "AIVD-1", "--holder", "rvd", "--to", "smi", "--until", "2030-01-01")
    return location


def complete(db: Location, words: str, kind: str = "bash") -> list[str]:
    """What the shell would offer for the last of `words` (a real process, as a shell runs it)."""
    env = {**os.environ, "WEGINGS_DB": str(db.path), "_WEGINGS_COMPLETE": f"complete_{kind}"}
    env.pop("WEGINGS_DATABASE_URL", None)
    if kind == "bash":
        env |= {"COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
    else:
        env |= {"_TYPER_COMPLETE_ARGS": words, "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    # The console script, as a shell runs it: its name is what the completion answers to.
    script = Path(sys.executable).with_name("wegings")
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.split("\n") if kind == "fish" else done.stdout.split()


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("wegings show ", ["bsv", "rvd", "smi"]),
        ("wegings show r", ["rvd"]),
        ("wegings can-share A", ["AIVD-1"]),
        ("wegings can-share R", ["rvd/RVD-1", "smi/RVD-1"]),
        ("wegings can-share rvd/", ["rvd/RVD-1"]),
        ("wegings can-share AIVD-1 --to ", ["bsv", "rvd", "smi", "ctg"]),
        ("wegings new-item X --originator s", ["self", "smi"]),
        ("wegings items --tag ", ["ct"]),
        ("wegings revoke ", ["1"]),
        ("wegings revoke x", []),
        ("wegings join rvd ", ["ctg"]),
        ("wegings REN", ["render"]),
    ],
)
def test_handles_and_ids_come_from_the_database(
    db: Location, words: str, expected: list[str]
) -> None:
    assert complete(db, words) == expected


def test_zsh_and_fish_get_them_with_what_they_are(db: Location) -> None:
    assert " ".join(complete(db, "wegings show r", kind="zsh")) == (
        '_arguments \'*: :(("rvd":"Dienst RVD"))\''
    )
    assert complete(db, "wegings can-share A", kind="fish")[0] == "AIVD-1\tReisgegevens"
    assert complete(db, "wegings revoke ", kind="fish")[0] == "1\tself → smi (self/AIVD-1)"


def test_no_database_or_a_damaged_one_offers_nothing(tmp_path: Path) -> None:
    missing = Location(path=tmp_path / "none.db")
    assert complete(missing, "wegings show ") == []
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"not a database at all" * 100)
    assert complete(Location(path=damaged), "wegings show ") == []
