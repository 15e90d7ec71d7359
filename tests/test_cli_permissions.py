"""permit --granted-by, permissions with their status now, revoke-permission; and the pure
permission_status. A refused command writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Run, sql
from tests.sharing_world import add_item, world
from wegings.config import Location
from wegings.sharing.permissions import permission_status
from wegings.timeutil import utcnow

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def db(location: Location, migrated_db: Location) -> Location:
    """rvd (standaard), smi (verhoogd), bsv (flagged); our own personal-data item."""
    base = utcnow() - timedelta(days=1)
    world(location, base)
    add_item(location, "AIVD-1", "self", now=base + HOUR, personal_data=True)
    return location


def events(db: Location) -> int:
    (count,) = sql(db, "SELECT count(*) FROM audit_event")[0]
    assert isinstance(count, int)
    return count


def until() -> str:
    return (utcnow() + timedelta(days=90)).date().isoformat()


def permit(run: Run, to: str = "smi", *extra: str) -> Any:
    return run(
        "--as", "desk", "permit", "AIVD-1", "--to", to, "--role", "minister",
        "--until", until(), "--reason", "Besluit 2026/4", *extra,
    )  # fmt: skip


def listed(run: Run, *args: str) -> list[dict[str, Any]]:
    result = run("permissions", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _status(
    now: datetime,
    revoked_at: datetime | None = None,
    since: list[tuple[datetime, str]] | None = None,
) -> tuple[str, str | None]:
    return permission_status(valid_from=T0, valid_until=T0 + 10 * HOUR, revoked_at=revoked_at,
                             now=now, must_postdate=since or [])  # fmt: skip


def test_status_in_order_of_precedence() -> None:
    assert _status(T0 + HOUR) == ("valid", None)
    assert _status(T0 + HOUR, revoked_at=T0 + 2 * HOUR)[0] == "valid"
    assert _status(T0 + HOUR, revoked_at=T0 + HOUR)[0] == "revoked"
    assert _status(T0 + 11 * HOUR)[0] == "expired"
    assert _status(T0 - HOUR)[0] == "not yet valid"
    later = [(T0 + HOUR, "flagged after it"), (T0 - HOUR, "note before it")]
    assert _status(T0 + 2 * HOUR, since=later) == ("no longer counts", "flagged after it")
    assert _status(T0 + 2 * HOUR, since=later[1:])[0] == "valid"
    assert _status(T0 + 11 * HOUR, since=later)[0] == "expired"


def test_permit_needs_granted_by_and_records_it(run: Run, db: Location) -> None:
    before = events(db)
    missing = permit(run)
    assert (missing.exit_code, missing.stdout) == (2, "")
    assert missing.stderr == (
        "Error: Give --granted-by NAME: the minister who decided on the permission (you are "
        "recorded as who entered it).\n"
    )
    blank = permit(run, "smi", "--granted-by", " ")
    assert blank.exit_code == 2
    assert events(db) == before
    granted = permit(run, "smi", "--granted-by", "mr. A. de Vries")
    assert granted.exit_code == 0, granted.output
    assert events(db) == before + 2  # the permission and who granted it
    [row] = listed(run)
    assert (row["id"], row["granted_by"], row["recorded_by"], row["status"]) == (
        1,
        "mr. A. de Vries",
        "desk",
        "valid",
    )
    assert row["status_reason"] is None
    table = run("permissions", "--to", "smi")
    assert table.exit_code == 0
    assert "minister (mr. A. de Vries)" in table.stdout


def test_revoke_permission(run: Run, db: Location) -> None:
    assert permit(run, "smi", "--granted-by", "mr. A. de Vries").exit_code == 0
    allowed = run("can-share", "AIVD-1", "--to", "smi", "--json")
    moment = json.loads(allowed.stdout)["as_of"]
    assert allowed.exit_code == 0, allowed.output
    before = events(db)
    result = run("--as", "k.klaas", "revoke-permission", "#1", "--reason", "Ingetrokken.")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "Revoked permission #1 from now on.\n"
    assert events(db) == before + 1
    [row] = listed(run, "--item", "AIVD-1")
    assert (row["status"], row["revoked_by"], row["revocation_reason"]) == (
        "revoked",
        "k.klaas",
        "Ingetrokken.",
    )
    assert run("can-share", "AIVD-1", "--to", "smi").exit_code == 3
    assert run("can-share", "AIVD-1", "--to", "smi", "--as-of", moment).exit_code == 0
    before = events(db)
    for args, code, message in (
        (("1",), 1, "Permission #1 was revoked already on "),
        (("7",), 2, "No permission #7. See `wegings permissions`."),
        (("seven",), 2, "Permission id 'seven' is not a number; see `wegings permissions`."),
    ):
        refused = run("revoke-permission", *args, "--reason", "Nogmaals")
        assert (refused.exit_code, refused.stdout) == (code, ""), refused.output
        assert refused.stderr.startswith(f"Error: {message}")
        assert refused.stderr.count("\n") == 1
    assert events(db) == before


def test_a_flag_after_the_permission_means_it_no_longer_counts(run: Run, db: Location) -> None:
    assert permit(run, "smi", "--granted-by", "mr. A. de Vries").exit_code == 0
    assert run("flag", "smi", "--reason", "Staatsgreep").exit_code == 0
    [row] = listed(run, "--to", "smi")
    assert row["status"] == "no longer counts"
    assert row["status_reason"].startswith("developments were flagged on smi on ")
    assert row["status_reason"].endswith(", after it was granted")
    assert listed(run, "--to", "rvd") == []
    none = run("permissions", "--to", "rvd")
    assert (none.exit_code, none.stdout) == (0, "")
    assert none.stderr == "No permissions found. Record one with `wegings permit`.\n"
