"""The wheel carries everything the tool needs at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_templates_and_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("wegings-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "wegings/store/migrations/env.py" in names
    assert "wegings/store/migrations/versions/0001_foundation.py" in names
    templates = {n for n in names if n.startswith("wegings/templates/")}
    shipped = {
        f"wegings/templates/{p.relative_to(ROOT / 'templates').as_posix()}"
        for p in (ROOT / "templates").rglob("*")
        if p.is_file()
    }
    assert shipped, "templates/ is empty"
    assert shipped <= templates
