"""`wegings due` read from a read snapshot: without the ORM on a SQLite file.

On a SQLite file the partners that need attention are read through the snapshot's cursor
(`notes.snapshot_document.SnapshotReader`: the statements of `notes.note_states`,
`notes.open_flags` and `register.current_values`), so `due` loads neither SQLAlchemy nor
SQLModel; on a server through the snapshot's session (`notes.due`). Both decide with the same
pure rules (`notes.attention`); tests/test_lists_snapshot_register.py holds the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from wegings.notes.attention import attention, check_within, due_json, urgency
from wegings.store.snapshot import ReadSnapshot, SessionSnapshot

Ending = Mapping[str, Sequence[Mapping[str, Any]]]
"""What ends soon, by the handle it concerns (`attention.expiring`)."""


def read_due(
    snapshot: ReadSnapshot, *, now: datetime, within_days: int, ending: Ending | None = None
) -> list[dict[str, Any]]:
    """`notes.due` at `now` as plain JSON (`attention.due_json`), read from `snapshot`: through
    its session on a server, without the ORM on a SQLite file."""
    if isinstance(snapshot, SessionSnapshot):
        from wegings.notes.notes import due
        from wegings.register.partners import current_values

        session = snapshot.session
        rows = due(session, now=now, within_days=within_days, ending=ending)
        names = {row.partner.short: current_values(session, row.partner).name for row in rows}
        return [due_json(row.partner.short, names[row.partner.short], row) for row in rows]
    return snapshot_due(snapshot, now=now, within_days=within_days, ending=ending)


def snapshot_due(
    snapshot: ReadSnapshot, *, now: datetime, within_days: int, ending: Ending | None = None
) -> list[dict[str, Any]]:
    """`read_due` from `snapshot` (a SQLite one) without the ORM."""
    from wegings.notes.snapshot_document import SnapshotReader

    check_within(within_days)
    reader = SnapshotReader(snapshot)
    rows = []
    for partner_id, short in reader.rows("SELECT id, short FROM partner ORDER BY partner.short"):
        states = reader.states(partner_id)
        flags = reader.open_flags(partner_id, now)
        found = attention(
            states, flags, now=now, within_days=within_days, ending=(ending or {}).get(short, ())
        )
        if found is not None:
            rows.append((partner_id, short, found))
    rows.sort(key=lambda row: urgency(row[2].rank, row[2].sort_days, row[1]))
    return [
        due_json(short, reader.current_values(partner_id)["name"], found)
        for partner_id, short, found in rows
    ]
