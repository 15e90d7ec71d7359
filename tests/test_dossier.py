"""wegings export: the dossier for the oversight committee, a BagIt bag that checks itself, and
`wegings export verify` and the bag's own verify.py, which must give the same verdicts."""

from __future__ import annotations

import ast
import base64
import csv
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tests.conftest import Run, sql
from tests.people_world import register_team
from tests.sharing_world import add_item, add_partner
from wegings.cli import app
from wegings.config import Location
from wegings.dossier import export as export_module
from wegings.dossier import verify_bag
from wegings.errors import WegingsError
from wegings.store.audit import AUDITED
from wegings.store.checkpoint import Signer
from wegings.timeutil import local_day, utcnow

HOSTILE_PURPOSE = '=HYPERLINK("http://x")\u202egnp.exe'
"""A purpose a spreadsheet would run as a formula, with a right-to-left override in it."""

ROOT_FILES = ("README.txt", "bag-info.txt", "bag-signature.txt", "bagit.txt",
              "manifest-sha512.txt", "tagmanifest-sha512.txt", "verify.py")  # fmt: skip
DATA_FILES = (
    "data/checkpoint.txt",
    "data/verifier-key.txt",
    "data/audit-events.jsonl",
    "data/records/transfer.json",
    "data/records/consent.json",
    "data/records/person.json",
    "data/proofs/transfer-1.tlog-proof",
    "data/proofs/establishment-1.tlog-proof",
    "data/transfers.csv",
    "data/transfers.json",
    "data/partners/rvd/note-v1.json",
    "data/partners/rvd/note-v1.pdf",
    "data/partners/smi/notes.json",
    "data/sweep.json",
)


class World:
    """A database with partners, notes, transfers, a consent, a permission, a flag and the
    people register, its log key, and a dossier exported from it (never changed: copy it)."""

    def __init__(self, root: Path, db: Path, key: str, bag: Path) -> None:
        self.root = root
        self.db = db
        self.key = key
        self.bag = bag
        self.runner = CliRunner()

    def run(self, *args: str) -> Result:
        return self.runner.invoke(app, ["--db", str(self.db), *args])


def _build(root: Path) -> World:
    runner = CliRunner()
    db = root / "wegings.db"

    def run(*args: str) -> Result:
        result = runner.invoke(app, ["--db", str(db), *args])
        assert result.exit_code == 0, (args, result.output)
        return result

    location = Location(path=db)
    key = run("audit", "key", "init", "--origin", "aivd.wegings.example/audit").stdout.strip()
    # Recorded times in the order of the trail, as the tool records them.
    base = utcnow() - timedelta(days=1)
    add_partner(location, "rvd", now=base, groups=("CTG",), note="standaard")
    add_partner(location, "smi", now=base + timedelta(minutes=1), groups=("CTG",), note="verhoogd")
    add_item(location, "AIVD-3", "self", now=base + timedelta(hours=1))
    add_item(location, "AIVD-1", "self", now=base + timedelta(hours=2), personal_data=True)
    add_item(location, "RVD-1", "rvd", now=base + timedelta(hours=3))
    run("share", "AIVD-3", "--to", "rvd", "--purpose", HOSTILE_PURPOSE)
    run("share", "AIVD-3", "--to", "ctg")
    run("consent", "RVD-1", "--to", "smi", "--condition", "Alleen parafraseren")
    run("share", "RVD-1", "--to", "smi")
    until = (local_day(utcnow()) + timedelta(days=90)).isoformat()
    run("permit", "AIVD-1", "--to", "smi", "--role", "minister", "--until", until,
        "--reason", "Besluit 2026/4", "--granted-by", "mr. A. de Vries")  # fmt: skip
    run("flag", "smi", "--reason", "Politieke onrust", "--date", local_day(utcnow()).isoformat())
    register_team(lambda *args, **_: run(*args))
    bag = root / "dossier"
    result = runner.invoke(app, ["--db", str(db), "export", str(bag)])
    assert result.exit_code == 0, result.output
    return World(root, db, key, bag)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Built once for the module, with its own home and log key."""
    root = tmp_path_factory.mktemp("dossier")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(root / "home"))
        patch.setenv("XDG_DATA_HOME", str(root / "home" / "data"))
        patch.setenv("WEGINGS_USER", "tester")
        patch.setenv("WEGINGS_LOG_KEY", str(root / "keys" / "log-key"))
        patch.setenv("COLUMNS", "200")
        for variable in ("WEGINGS_DB", "WEGINGS_DATABASE_URL", "WEGINGS_SERVICE",
                         "WEGINGS_CLASSIFICATION"):  # fmt: skip
            patch.delenv(variable, raising=False)
        yield _build(root)


@pytest.fixture
def bag(world: World, tmp_path: Path) -> Path:
    """A copy of the world's dossier, to change."""
    copy = tmp_path / "bag"
    shutil.copytree(world.bag, copy)
    return copy


@pytest.fixture
def keyed(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """The world, with its log key for commands that sign."""
    monkeypatch.setenv("WEGINGS_LOG_KEY", str(world.root / "keys" / "log-key"))
    return world


def verify(run: Run, bag: Path, *args: str) -> Result:
    return run("export", "verify", str(bag), *args, db=None)


def standalone(bag: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The bag's own verify.py, run inside the bag as an overseer would (once it is removed
    from the bag, a copy of it from elsewhere)."""
    own = ["verify.py"] if (bag / "verify.py").is_file() else [verify_bag.__file__, str(bag)]
    return subprocess.run(
        [sys.executable, "-I", *own, *args],
        cwd=bag,
        capture_output=True,
        text=True,
        check=False,
    )


def rebag(bag: Path, signer: Signer | None = None) -> None:
    """What someone who changed a file would do next: make the manifests fit again, and with
    a log key of their own (`signer`), sign them too."""
    import bagit

    bagit.Bag(str(bag)).save(manifests=True)
    if signer is not None:
        checkpoint_text = (bag / verify_bag.CHECKPOINT).read_text(encoding="utf-8")
        origin, size, root = checkpoint_text.split("\n")[:3]
        digests = {
            name: hashlib.sha512((bag / name).read_bytes()).hexdigest()
            for name in verify_bag.SIGNED_TAG_FILES
        }
        text = verify_bag.signature_text(origin, int(size), base64.b64decode(root), digests)
        (bag / verify_bag.BAG_SIGNATURE).write_text(signer.sign(text), encoding="utf-8")
        bagit.Bag(str(bag)).save(manifests=False)  # the tag manifest, with the new signature
    export_module.sort_tag_manifest(bag)


def records(bag: Path, kind: str) -> list[dict[str, Any]]:
    data = json.loads((bag / verify_bag.record_file(kind)).read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


# --------------------------------------------------------------------------- a fresh dossier


def test_a_fresh_dossier_verifies_with_the_key(run: Run, world: World) -> None:
    result = verify(run, world.bag, "--key", world.key)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:5]] == [
        "ok      manifests",
        "ok      checkpoint",
        "ok      events and proofs",
        "ok      records",
        "ok      derived files",
    ]
    assert "with the key given" in lines[1]
    assert lines[-1] == "Dossier intact."
    assert "own copy" not in result.stdout
    assert result.stderr == ""
    own = standalone(world.bag, "--key", world.key)
    assert (own.returncode, own.stdout) == (0, result.stdout)


def test_without_the_key_it_says_the_check_is_only_of_self_consistency(
    run: Run, world: World
) -> None:
    result = verify(run, world.bag)
    assert result.exit_code == 0, result.output
    assert (
        "The signature was checked with the bag's own copy of the verifier key: that shows only "
        "that the bag is consistent in itself, not that it comes from the service's log."
    ) in result.stdout
    data = json.loads(verify(run, world.bag, "--json").stdout)
    assert (data["intact"], data["key"], data["self_consistent_only"]) == (True, "bag", True)
    assert data["origin"] == "aivd.wegings.example/audit"
    own = standalone(world.bag, "--json")
    assert own.returncode == 0
    assert json.loads(own.stdout) == data | {"bag": json.loads(own.stdout)["bag"]}


def test_bagit_itself_finds_the_bag_valid(world: World) -> None:
    import bagit

    made = bagit.Bag(str(world.bag))
    assert made.is_valid()
    assert made.algorithms == ["sha512"]
    assert sorted(p.name for p in world.bag.glob("*manifest-*.txt")) == [
        "manifest-sha512.txt",
        "tagmanifest-sha512.txt",
    ]


def test_the_dossier_holds_the_records_and_the_files_for_people(world: World) -> None:
    bag = world.bag
    transfers = records(bag, "transfer")
    assert [t["recipient"] for t in transfers] == ["rvd", "ctg", "smi"]
    assert [p["short"] for p in records(bag, "partner")] == ["rvd", "smi"]
    assert len(records(bag, "consent")) == 1
    assert len(records(bag, "permission")) == len(records(bag, "permission_grant")) == 1
    assert len(records(bag, "flag")) == 1
    assert len(records(bag, "person")) == 5
    assert {g["role"] for g in records(bag, "role_grant")} >= {"dg", "minister", "overseer"}
    events = (bag / verify_bag.EVENTS).read_text(encoding="utf-8").splitlines()
    kinds = {json.loads(line)["entity"] for line in events}
    assert {"transfer", "establishment", "person", "role_grant", "consent"} <= kinds
    for line in events:
        event = json.loads(line)
        assert (bag / verify_bag.proof_file(event["entity"], int(event["entity_id"]))).is_file()
    assert (bag / "data/partners/rvd/note-v1.pdf").read_bytes().startswith(b"%PDF")
    note = json.loads((bag / "data/partners/smi/note-v1.json").read_text(encoding="utf-8"))
    assert (note["profile"], note["establishment"]["role"]) == ("verhoogd", "minister")
    overview = json.loads((bag / "data/partners/smi/notes.json").read_text(encoding="utf-8"))
    assert [(v["version"], v["status"], v["in_force_at_export"]) for v in overview] == [
        (1, "established", True)
    ]
    sweep = json.loads((bag / verify_bag.SWEEP).read_text(encoding="utf-8"))
    assert (sweep["transfers"], sweep["problems"]) == (3, 0)
    readme = (bag / "README.txt").read_text(encoding="utf-8")
    assert "python3 verify.py --key 'VERIFIER_KEY'" in readme
    assert "(The Hague)" in readme
    assert world.key not in readme  # the key comes from the service, never from the bag
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert "Wegings-Partners: all\n" in info
    assert (bag / "verify.py").read_bytes() == Path(verify_bag.__file__).read_bytes()


def test_the_csv_shows_hostile_text_literally_and_runs_no_formula(world: World) -> None:
    raw = (world.bag / verify_bag.TRANSFERS_CSV).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "\u202e".encode() not in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 3
    assert rows[0]["purpose"] == '\'=HYPERLINK("http://x")<U+202E>gnp.exe'
    assert rows[0]["date (The Hague)"] == local_day(utcnow()).isoformat()
    assert rows[1]["members"].splitlines() == ["rvd", "smi"]
    assert "Alleen parafraseren" in rows[2]["conditions"].splitlines()
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    # The JSON keeps the purpose exactly as recorded.
    transfers = json.loads((world.bag / verify_bag.TRANSFERS_JSON).read_text(encoding="utf-8"))
    assert transfers[0]["purpose"] == HOSTILE_PURPOSE


def test_files_and_folders_are_readable_by_their_owner_only(world: World) -> None:
    assert stat.S_IMODE(world.bag.stat().st_mode) == 0o700
    for folder, dirs, files in os.walk(world.bag):
        for name in dirs:
            assert stat.S_IMODE(Path(folder, name).stat().st_mode) == 0o700, name
        for name in files:
            assert stat.S_IMODE(Path(folder, name).stat().st_mode) == 0o600, name
    assert [p.name for p in world.bag.iterdir() if p.name.startswith(".")] == []


# --------------------------------------------------------------------------- tampering


def _fails_alike(run: Run, bag: Path, key: str, expected: str) -> None:
    """`export verify` and the bag's verify.py both reject the bag, naming `expected`."""
    result = verify(run, bag, "--key", key)
    assert result.exit_code == 1, result.output
    assert expected in result.stdout
    assert result.stderr.startswith(f"Error: The dossier {bag} does not verify: ")
    assert result.stdout.splitlines()[-1].startswith("Dossier NOT intact: ")
    own = standalone(bag, "--key", key)
    assert own.returncode == 1, own.stdout + own.stderr
    assert expected in own.stdout


@pytest.mark.parametrize("name", ROOT_FILES + DATA_FILES)
def test_a_changed_file_fails(run: Run, world: World, bag: Path, name: str) -> None:
    with (bag / name).open("ab") as handle:
        handle.write(b"\n")
    expected = (
        "tagmanifest-sha512.txt line"
        if name == "tagmanifest-sha512.txt"
        else f"{name} does not hold its SHA-512 checksum (changed)"
    )
    _fails_alike(run, bag, world.key, expected)


@pytest.mark.parametrize("name", ROOT_FILES + DATA_FILES)
def test_a_removed_file_fails(run: Run, world: World, bag: Path, name: str) -> None:
    (bag / name).unlink()
    expected = (
        "tagmanifest-sha512.txt is missing or unreadable"
        if name == "tagmanifest-sha512.txt"
        else f"{name} is missing"
    )
    _fails_alike(run, bag, world.key, expected)


@pytest.mark.parametrize(
    "name", ["notes.txt", "data/extra.json", "data/partners/rvd/memo.pdf", "manifest-md5.txt"]
)
def test_an_added_file_fails(run: Run, world: World, bag: Path, name: str) -> None:
    (bag / name).write_text("added\n", encoding="utf-8")
    _fails_alike(run, bag, world.key, f"{name} was added (listed in no manifest")


def test_an_added_folder_or_link_fails(run: Run, world: World, bag: Path) -> None:
    (bag / "data" / "empty").mkdir()
    _fails_alike(run, bag, world.key, "data/empty/ was added")
    (bag / "data" / "empty").rmdir()
    (bag / "data" / "link.json").symlink_to(bag / "data" / "transfers.json")
    _fails_alike(run, bag, world.key, "data/link.json is not a plain file or folder")


def test_any_one_byte_changed_anywhere_fails(world: World, bag: Path) -> None:
    files = sorted(p for p in bag.rglob("*") if p.is_file())
    assert len(files) > len(ROOT_FILES + DATA_FILES)
    for path in files:
        original = path.read_bytes()
        path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        assert not verify_bag.verify(bag, world.key).intact, path
        path.write_bytes(original)
    assert verify_bag.verify(bag, world.key).intact


def test_reordering_the_tag_manifest_fails(run: Run, world: World, bag: Path) -> None:
    path = bag / "tagmanifest-sha512.txt"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(reversed(lines)), encoding="utf-8")
    _fails_alike(run, bag, world.key, "tagmanifest-sha512.txt is not sorted by path")


def test_a_record_that_disagrees_with_its_event_fails(run: Run, world: World, bag: Path) -> None:
    path = bag / verify_bag.record_file("transfer")
    rows = records(bag, "transfer")
    rows[0]["purpose"] = "Iets anders"
    path.write_bytes(verify_bag.json_bytes(rows))
    rebag(bag)
    assert verify_bag.check_manifests(bag)[0].ok  # the manifests fit again
    event = next(
        json.loads(line)
        for line in (bag / verify_bag.EVENTS).read_text(encoding="utf-8").splitlines()
        if '"entity": "transfer", "entity_id": "1"' in line
    )
    _fails_alike(
        run, bag, world.key, f"transfer #1 does not match its audit event {event['seq']} (changed)"
    )


def test_an_event_changed_with_its_record_fails_its_hash_and_then_its_proof(
    run: Run, world: World, bag: Path
) -> None:
    import hashlib

    rows = records(bag, "transfer")
    rows[0]["purpose"] = "Iets anders"
    (bag / verify_bag.record_file("transfer")).write_bytes(verify_bag.json_bytes(rows))
    events_path = bag / verify_bag.EVENTS
    lines = events_path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        event = json.loads(line)
        if (event["entity"], event["entity_id"]) == ("transfer", "1"):
            event["change"] = verify_bag.canonical(rows[0])
            seq = event["seq"]
            lines[number] = verify_bag.event_line(event).rstrip("\n")
    events_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, data in verify_bag.derived_files(_all_records(bag)).items():
        (bag / name).write_bytes(data)
    rebag(bag)
    _fails_alike(run, bag, world.key, f"event {seq}: its content does not give its hash (altered)")
    # The hash made to fit as well: the event is then no leaf of the signed tree.
    for number, line in enumerate(lines):
        event = json.loads(line)
        if event["seq"] == seq:
            event["hash"] = hashlib.sha256(verify_bag.event_bytes(event)).hexdigest()
            lines[number] = verify_bag.event_line(event).rstrip("\n")
    events_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rebag(bag)
    _fails_alike(run, bag, world.key, "proves another event than event")


def test_a_replaced_verifier_is_caught_by_export_verify(run: Run, world: World, bag: Path) -> None:
    (bag / "verify.py").write_text("print('Dossier intact.')\n", encoding="utf-8")
    rebag(bag)
    assert standalone(bag).stdout == "Dossier intact.\n"  # it says what its maker wants
    result = verify(run, bag, "--key", world.key)
    assert result.exit_code == 1
    assert "verify.py is not the verifier of wegings" in result.stdout


def test_bagit_validation_is_part_of_export_verify(
    run: Run, world: World, bag: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bagit

    def invalid(self: object, *args: object, **kwargs: object) -> bool:
        raise bagit.BagValidationError("Payload-Oxum validation failed")

    monkeypatch.setattr(bagit.Bag, "validate", invalid)
    result = verify(run, bag, "--key", world.key)
    assert result.exit_code == 1
    assert "BagIt validation: Payload-Oxum validation failed" in result.stdout


def _all_records(bag: Path) -> dict[str, list[dict[str, Any]]]:
    return {kind: records(bag, kind) for kind in verify_bag.KINDS}


def test_a_checkpoint_of_another_key_fails(run: Run, world: World, bag: Path) -> None:
    other = Signer.generate("aivd.wegings.example/audit")
    _fails_alike(
        run,
        bag,
        other.verifier.text(),
        "the checkpoint carries no signature of the key aivd.wegings.example/audit",
    )


def test_a_bag_re_signed_with_another_key_is_only_self_consistent(
    run: Run, world: World, bag: Path
) -> None:
    # Whoever rewrote the dossier signs it with a key of their own and puts that key's copy
    # in the bag: consistent in itself, but not with the key the service gave the overseer.
    other = Signer.generate("aivd.wegings.example/audit")
    old_note = (bag / verify_bag.CHECKPOINT).read_text(encoding="utf-8")
    text = old_note[: old_note.rfind("\n\n") + 1]
    new_note = other.sign(text)
    for path in [bag / verify_bag.CHECKPOINT, *(bag / "data" / "proofs").iterdir()]:
        path.write_text(path.read_text(encoding="utf-8").replace(old_note, new_note))
    (bag / verify_bag.VERIFIER_KEY).write_text(other.verifier.text() + "\n", encoding="utf-8")
    rebag(bag, other)
    alone = verify(run, bag)
    assert alone.exit_code == 0, alone.output
    assert "only that the bag is consistent in itself" in alone.stdout
    assert standalone(bag).returncode == 0
    _fails_alike(run, bag, world.key, "data/verifier-key.txt is not the key given")
    _fails_alike(run, bag, world.key, "carries no signature of the key")


def test_verify_refuses_bad_usage_with_one_line(run: Run, world: World, tmp_path: Path) -> None:
    missing = verify(run, tmp_path / "nope")
    assert missing.exit_code == 2
    assert (
        missing.stderr
        == f"Error: {tmp_path / 'nope'} is not a folder; give the dossier's folder.\n"
    )
    bad_key = verify(run, world.bag, "--key", "garbage")
    assert bad_key.exit_code == 2
    assert bad_key.stderr.startswith("Error: --key 'garbage' is neither a verifier key")
    assert standalone(world.bag, "--key", "garbage").returncode == 2
    not_a_bag = verify(run, tmp_path)
    assert not_a_bag.exit_code == 1
    assert "bagit.txt is missing" in not_a_bag.stdout
    key_file = tmp_path / "verifier-key.txt"
    key_file.write_text(world.key + "\n", encoding="utf-8")
    assert verify(run, world.bag, "--key", str(key_file)).exit_code == 0


# --------------------------------------------------------------------------- exporting


def test_a_folder_that_is_not_empty_is_refused(keyed: World, tmp_path: Path) -> None:
    target = tmp_path / "full"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = keyed.run("export", str(target))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {target} is not empty; a dossier is written into a new or empty folder.\n"
    )
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    afile = tmp_path / "a-file"
    afile.write_text("x", encoding="utf-8")
    assert keyed.run("export", str(afile)).stderr == (
        f"Error: {afile} exists and is not a folder; give a new or empty folder.\n"
    )
    orphan = tmp_path / "no" / "such"
    assert keyed.run("export", str(orphan)).stderr == (
        f"Error: Cannot create {orphan}: the folder {orphan.parent} does not exist.\n"
    )
    assert not (tmp_path / "no").exists()


def test_an_empty_folder_is_filled_and_made_private(keyed: World, tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir(mode=0o755)
    result = keyed.run("export", str(target))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert verify_bag.verify(target, keyed.key).intact
    assert result.stdout == ""
    assert result.stderr.startswith(f"Wrote the dossier {target}: 2 partners, 2 note versions, 3 ")


def test_no_log_key_refuses_before_anything_is_written(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEGINGS_LOG_KEY", str(tmp_path / "absent"))
    target = tmp_path / "out"
    result = world.run("export", str(target))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: No log key at {tmp_path / 'absent'};")
    assert not target.exists()


def test_a_failure_midway_leaves_nothing(
    keyed: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wegings.render

    def broken(*args: object, **kwargs: object) -> bytes:
        raise WegingsError("PDF could not be produced (Typst: out of paper)")

    monkeypatch.setattr(wegings.render, "render", broken)
    fresh = tmp_path / "fresh"
    result = keyed.run("export", str(fresh))
    assert result.exit_code == 1
    assert result.stderr == "Error: PDF could not be produced (Typst: out of paper)\n"
    assert not fresh.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert keyed.run("export", str(empty)).exit_code == 1
    assert list(empty.iterdir()) == []


def test_a_failure_while_bagging_leaves_nothing(
    keyed: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(bag: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export_module, "sort_tag_manifest", broken)
    target = tmp_path / "out"
    result = keyed.run("export", str(target))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: Cannot write the dossier into {target}: No space left on device.\n"
    )
    assert not target.exists()


def test_a_record_changed_behind_wegings_back_is_not_exported(keyed: World, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(keyed.db, copy)
    sql(copy, "UPDATE transfer SET purpose = 'Iets anders' WHERE id = 2")
    target = tmp_path / "out"
    result = CliRunner().invoke(app, ["--db", str(copy), "export", str(target)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Audit trail broken at event ")
    assert "transfer #2 no longer matches this event (changed outside wegings)" in result.stderr
    assert not target.exists()


def test_a_record_deleted_behind_wegings_back_is_not_exported(keyed: World, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(keyed.db, copy)
    sql(copy, "DELETE FROM transfer WHERE id = 1")
    target = tmp_path / "out"
    result = CliRunner().invoke(app, ["--db", str(copy), "export", str(target)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Audit trail broken at event ")
    assert "transfer #1 of this event no longer exists (deleted outside wegings)" in result.stderr
    assert not target.exists()


def test_partner_selects_its_records(keyed: World, tmp_path: Path) -> None:
    target = tmp_path / "rvd"
    result = keyed.run("export", str(target), "--partner", "RVD")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"Wrote the dossier {target}: 1 partner, 1 note version, ")
    assert [p["short"] for p in records(target, "partner")] == ["rvd"]
    # To rvd itself and to the CTG, which rvd was a member of; not the transfer to smi.
    assert [t["recipient"] for t in records(target, "transfer")] == ["rvd", "ctg"]
    assert [c["originator"] for c in records(target, "consent")] == ["rvd"]  # rvd gave it
    assert records(target, "permission") == []
    assert records(target, "flag") == []
    assert {i["ref"] for i in records(target, "item")} == {"AIVD-3", "RVD-1"}
    assert not (target / "data/partners/smi").exists()
    assert "Wegings-Partners: rvd\n" in (target / "bag-info.txt").read_text(encoding="utf-8")
    assert verify_bag.verify(target, keyed.key).intact
    unknown = keyed.run("export", str(tmp_path / "x"), "--partner", "rvx")
    assert unknown.exit_code == 2
    assert unknown.stderr == "Error: No partner 'rvx'. Did you mean: rvd? See `wegings partners`.\n"
    assert not (tmp_path / "x").exists()


def test_the_period_selects_transfers_consents_and_permissions(
    keyed: World, tmp_path: Path
) -> None:
    today = local_day(utcnow())
    before = keyed.run(
        "export", str(tmp_path / "before"), "--until", (today - timedelta(days=2)).isoformat()
    )
    assert before.exit_code == 0, before.output
    assert records(tmp_path / "before", "transfer") == []
    assert records(tmp_path / "before", "consent") == []
    assert records(tmp_path / "before", "permission") == []
    assert len(records(tmp_path / "before", "note")) == 2  # the notes are there whole
    sweep = json.loads((tmp_path / "before" / verify_bag.SWEEP).read_text(encoding="utf-8"))
    assert sweep["transfers"] == 0
    assert verify_bag.verify(tmp_path / "before", keyed.key).intact
    since = keyed.run("export", str(tmp_path / "since"), "--from", today.isoformat())
    assert since.exit_code == 0, since.output
    assert len(records(tmp_path / "since", "transfer")) == 3
    backwards = keyed.run(
        "export", str(tmp_path / "b"), "--from", today.isoformat(),
        "--until", (today - timedelta(days=1)).isoformat(),
    )  # fmt: skip
    assert backwards.exit_code == 2
    assert not (tmp_path / "b").exists()


def test_help_of_export_and_export_verify(run: Run) -> None:
    main = run("export", "--help", db=None)
    assert main.exit_code == 0
    assert "Usage: wegings export [OPTIONS] DIR" in main.stdout
    assert "$ wegings export dossier-2026" in main.stdout
    assert "verify" in main.stdout
    sub = run("export", "verify", "--help", db=None)
    assert sub.exit_code == 0
    assert "Usage: wegings export verify [OPTIONS]" in sub.stdout
    assert "$ wegings export verify dossier-2026" in sub.stdout
    missing = run("export", "--from", "2026-01-01", db=None)
    assert missing.exit_code == 2
    assert missing.stderr == "Error: Missing argument 'DIR'. See `wegings export --help`.\n"
    extra = run("export", "a", "b", db=None)
    assert extra.stderr == (
        "Error: Got unexpected extra argument(s) (b). See `wegings export --help`.\n"
    )


# --------------------------------------------------------------------------- the verifier alone


def test_the_verifier_imports_nothing_but_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(Path(verify_bag.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert "wegings" not in imported
    assert imported - set(sys.stdlib_module_names) == {"cryptography"}


def test_the_verifier_knows_every_kind_of_audited_record() -> None:
    assert tuple(AUDITED) == verify_bag.KINDS


@pytest.mark.parametrize(
    ("short", "folder"),
    [
        ("rvd", "data/partners/rvd"),
        ("../../etc", "data/partners/_7"),
        ("con", "data/partners/_7"),
        ("r\u202evd", "data/partners/_7"),
        (None, "data/partners/_7"),
    ],
)
def test_a_partner_folder_is_always_a_safe_name(short: str | None, folder: str) -> None:
    assert verify_bag.partner_dir({"id": 7, "short": short}) == folder


def test_nothing_is_written_outside_the_bag(tmp_path: Path) -> None:
    inside = tmp_path / "bag"
    inside.mkdir()
    for name in ("../escaped", "/abs", "data/../../x", ".hidden", "a\\b"):
        with pytest.raises(export_module.ExportFailed):
            export_module._write(inside, name, b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bag", "home"]
    assert list(inside.iterdir()) == []


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+31 70", "'+31 70"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("a\x1b[31mb", "a\\x1b[31mb"),
        ("\r=1", "\\x0d=1"),
        ("gewoon", "gewoon"),
        (None, ""),
    ],
)
def test_a_csv_cell_is_neutralised(value: str | None, cell: str) -> None:
    assert verify_bag.csv_cell(value) == cell


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-29T00:59:00Z",
        "2026-03-29T01:00:00Z",
        "2026-10-25T00:59:00Z",
        "2026-10-25T01:00:00Z",
        "2026-07-01T12:00:00Z",
        "2026-12-01T12:00:00Z",
    ],
)
def test_the_hague_time_without_time_zone_data_follows_the_eu_rule(text: str) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    moment = datetime.fromisoformat(text).astimezone(UTC)
    expected = moment.astimezone(ZoneInfo("Europe/Amsterdam")).utcoffset()
    assert verify_bag._eu_offset(moment) == expected


# --------------------------------------------------------------------------- the OS login


def _handmade_event(os_login: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "seq": 1,
        "at": "2026-12-01T10:00:00Z",
        "actor": "j.jansen",
        "action": "create",
        "entity": "partner",
        "entity_id": "1",
        "change": '{"id":1,"short":"rvd"}',
        "prev_hash": "0" * 64,
        "os_login": os_login,
    }
    event["hash"] = hashlib.sha256(verify_bag.event_bytes(event)).hexdigest()
    return event


def test_an_event_is_hashed_with_its_os_login_exactly_when_it_has_one() -> None:
    eight = '[1,"2026-12-01T10:00:00Z","j.jansen","create","partner","1",'
    eight += '"{\\"id\\":1,\\"short\\":\\"rvd\\"}","' + "0" * 64 + '"'
    assert verify_bag.event_bytes(_handmade_event(None)) == f"{eight}]".encode()
    assert verify_bag.event_bytes(_handmade_event("jjansen")) == f'{eight},"jjansen"]'.encode()
    assert verify_bag.event_bytes(_handmade_event("één")) == f'{eight},"één"]'.encode()
    earlier = _handmade_event(None)
    del earlier["os_login"]  # a bag written before the login was recorded
    assert verify_bag.event_bytes(earlier) == f"{eight}]".encode()
    # The same bytes wegings hashes its own events with.
    from wegings.store.chain import event_bytes

    args = (1, "2026-12-01T10:00:00Z", "j.jansen", "create", "partner", "1",
            '{"id":1,"short":"rvd"}', "0" * 64)  # fmt: skip
    assert verify_bag.event_bytes(_handmade_event("jjansen")) == event_bytes(
        *args, os_login="jjansen"
    )
    assert verify_bag.event_bytes(_handmade_event(None)) == event_bytes(*args)


def test_a_handmade_event_line_round_trips_with_its_os_login(tmp_path: Path) -> None:
    with_login, without = _handmade_event("jjansen"), _handmade_event(None)
    line = verify_bag.event_line(with_login)
    assert list(json.loads(line)) == list(verify_bag.EVENT_KEYS)
    assert json.loads(verify_bag.event_line(without))["os_login"] is None
    check = verify_bag.Check("events")
    (tmp_path / "data").mkdir()
    changed = dict(with_login, os_login="someone-else", seq=2)
    earlier = {k: v for k, v in without.items() if k != "os_login"}
    earlier["seq"] = 3
    lines = [line, verify_bag.event_line(changed), json.dumps(earlier) + "\n",
             json.dumps(dict(without, os_login=5, seq=4)) + "\n"]  # fmt: skip
    (tmp_path / verify_bag.EVENTS).write_text("".join(lines))
    loaded = verify_bag._load_events(tmp_path, check)
    assert [e["seq"] for e in loaded] == [1, 2, 3]
    assert check.problems == [f"{verify_bag.EVENTS} line 4 is not an audit event"]
    hashes = [hashlib.sha256(verify_bag.event_bytes(e)).hexdigest() == e["hash"] for e in loaded]
    assert hashes == [True, False, False]  # the login is covered by the hash


def test_the_dossier_s_events_carry_their_os_login(world: World) -> None:
    text = (world.bag / verify_bag.EVENTS).read_text(encoding="utf-8")
    events = [json.loads(line) for line in text.splitlines()]
    assert events
    assert all(list(e) == list(verify_bag.EVENT_KEYS) for e in events)
    from wegings.store.audit import os_account

    assert {e["os_login"] for e in events} == {os_account()}


# --------------------------------------------------------------------------- consistency


def _since_world(keyed: World, tmp_path: Path) -> tuple[Path, Signer, str, Path]:
    """A copy of the world's database with a checkpoint kept, then one event more."""
    from wegings.store.engine import session_scope
    from wegings.store.logkey import load_key
    from wegings.store.proofs import checkpoint

    copy = tmp_path / "copy.db"
    shutil.copy(keyed.db, copy)
    signer = load_key(keyed.root / "keys" / "log-key")
    with session_scope(Location(path=copy), write=False) as session:
        _head, old_note = checkpoint(session, signer)
    kept = tmp_path / "kept.checkpoint"
    kept.write_text(old_note)
    result = CliRunner().invoke(
        app, ["--db", str(copy), "--as", "j.jansen", "flag", "rvd", "--reason", "Later"]
    )
    assert result.exit_code == 0, result.output
    return copy, signer, old_note, kept


def _export_since(db: Path, signer: Signer, target: Path, since_note: str) -> None:
    from wegings.store.engine import session_scope

    with session_scope(Location(path=db), write=False) as session:
        export_module.export_dossier(
            session, target, signer, scope=export_module.Scope(), service="AIVD",
            actor="tester", since_note=since_note,
        )  # fmt: skip


def test_a_dossier_exported_since_a_checkpoint_proves_it_extends_it(
    run: Run, keyed: World, tmp_path: Path
) -> None:
    copy, signer, old_note, kept = _since_world(keyed, tmp_path)
    old_size = int(old_note.split("\n")[1])
    target = tmp_path / "since"
    _export_since(copy, signer, target, old_note)
    proof = (target / verify_bag.CONSISTENCY).read_text(encoding="utf-8")
    assert proof.startswith(f"wegings/consistency-proof@v1\nold {old_size}\nfrom ")
    assert proof.partition("\n\n")[2] == (target / verify_bag.CHECKPOINT).read_text()
    line = (
        f"ok      consistency proof: the trail of {old_size + 1} events extends the checkpoint "
        f"at {old_size} events"
    )
    checked = verify(run, target, "--key", keyed.key)
    assert checked.exit_code == 0, checked.output
    assert f"{line}: nothing before it was changed or removed\n" in checked.stdout
    own = standalone(target, "--key", keyed.key, "--since", str(kept))
    assert own.returncode == 0, own.stdout + own.stderr
    assert f"{line} you kept (--since): nothing before it was changed or removed\n" in own.stdout
    # The proof file is an ordinary one: `audit check-proof` takes it as it is.
    held = run("audit", "check-proof", str(target / verify_bag.CONSISTENCY), "--key", keyed.key,
               "--checkpoint", str(kept), db=tmp_path / "none.db")  # fmt: skip
    assert held.exit_code == 0, held.output


def test_since_another_checkpoint_than_the_bag_s_fails(keyed: World, tmp_path: Path) -> None:
    from wegings.store.checkpoint import Checkpoint

    copy, signer, old_note, _kept = _since_world(keyed, tmp_path)
    target = tmp_path / "since"
    _export_since(copy, signer, target, old_note)
    size = int(old_note.split("\n")[1])
    other = tmp_path / "other.checkpoint"
    other.write_text(signer.sign(Checkpoint(signer.name, size - 1, b"\x01" * 32).text()))
    own = standalone(target, "--key", keyed.key, "--since", str(other))
    assert own.returncode == 1
    assert (
        f"          {verify_bag.CONSISTENCY} starts from another checkpoint ({size} events) than "
        f"the one given with --since ({size - 1} events)\n"
    ) in own.stdout
    rewritten = tmp_path / "rewritten.checkpoint"
    rewritten.write_text(signer.sign(Checkpoint(signer.name, size, b"\x01" * 32).text()))
    own = standalone(target, "--key", keyed.key, "--since", str(rewritten))
    assert own.returncode == 1
    assert (
        f"          {verify_bag.CONSISTENCY} starts from another tree of {size} events than the "
        "checkpoint given with --since (rewritten)\n"
    ) in own.stdout
    foreign = Signer.generate("aivd.wegings.example/audit")
    forged = tmp_path / "forged.checkpoint"
    forged.write_text(foreign.sign(Checkpoint(signer.name, size, b"\x01" * 32).text()))
    own = standalone(target, "--key", keyed.key, "--since", str(forged))
    assert own.returncode == 1
    assert (
        "          --since: the checkpoint carries no signature of the key "
        "aivd.wegings.example/audit\n"
    ) in own.stdout
    missing = standalone(target, "--key", keyed.key, "--since", str(tmp_path / "nothing"))
    assert missing.returncode == 2
    assert missing.stderr == f"Error: --since {tmp_path / 'nothing'} cannot be read as text.\n"


def test_since_with_a_bag_that_holds_no_consistency_proof_fails(
    world: World, bag: Path, tmp_path: Path
) -> None:
    kept = tmp_path / "kept.checkpoint"
    kept.write_text((bag / verify_bag.CHECKPOINT).read_text())
    own = standalone(bag, "--key", world.key, "--since", str(kept))
    assert own.returncode == 1
    assert (
        "          the bag holds no consistency proof (data/consistency-proof.txt): it cannot "
        "show that it extends the checkpoint given with --since\n"
    ) in own.stdout
    assert verify_bag.verify(bag, world.key).intact  # without --since, nothing is asked of it


def test_an_edited_consistency_proof_in_the_bag_fails(
    run: Run, keyed: World, tmp_path: Path
) -> None:
    copy, signer, old_note, kept = _since_world(keyed, tmp_path)
    target = tmp_path / "since"
    _export_since(copy, signer, target, old_note)
    path = target / verify_bag.CONSISTENCY
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[3] = "A" * 43 + "="  # the first hash
    path.write_text("\n".join(lines), encoding="utf-8")
    rebag(target)
    assert "manifest-sha512.txt is not the file the log key signed" in "".join(
        verify_bag.verify(target, keyed.key).problems
    )
    rebag(target, signer)  # even signed with the log key itself, the proof does not hold
    size = int(old_note.split("\n")[1])
    expected = (
        f"{verify_bag.CONSISTENCY}: the trail of the checkpoint does not extend the one at "
        f"{size} events (the proof fails)"
    )
    assert verify_bag.verify(target, keyed.key).problems == [expected]
    own = standalone(target, "--key", keyed.key, "--since", str(kept))
    assert own.returncode == 1
    assert f"          {expected}\n" in own.stdout
    checked = verify(run, target, "--key", keyed.key)
    assert checked.exit_code == 1


def test_an_export_since_a_checkpoint_of_another_trail_leaves_nothing(
    keyed: World, tmp_path: Path
) -> None:
    from wegings.store.checkpoint import Checkpoint

    copy, signer, old_note, _kept = _since_world(keyed, tmp_path)
    size = int(old_note.split("\n")[1])
    other = signer.sign(Checkpoint(signer.name, size, b"\x01" * 32).text())
    target = tmp_path / "since"
    with pytest.raises(WegingsError) as failure:
        _export_since(copy, signer, target, other)
    assert failure.value.message == (
        f"Audit trail broken at event {size}: the trail's first events no longer give the "
        "checkpoint's root (rewritten)."
    )
    assert not target.exists()


def test_consistency_holds_agrees_with_the_store_s_verifier() -> None:
    from wegings.store import merkle

    for new_size in range(1, 18):
        tree = merkle.MemoryTree([bytes([n]) for n in range(new_size)])
        for old_size in range(1, new_size + 1):
            proof = merkle.consistency_proof(old_size, new_size, tree.node)
            old_root, new_root = tree.root(old_size), tree.root()
            assert verify_bag.consistency_holds(old_size, new_size, old_root, new_root, proof)
            bad = [bytes(32), *proof[1:]] if proof else [bytes(32)]
            assert not verify_bag.consistency_holds(old_size, new_size, old_root, new_root, bad)
            wrong = bytes(32)
            assert not verify_bag.consistency_holds(old_size, new_size, wrong, new_root, proof)
            assert not verify_bag.consistency_holds(old_size, new_size, old_root, wrong, proof)


def test_export_since_and_export_verify_since_through_the_cli(
    run: Run, keyed: World, tmp_path: Path
) -> None:
    copy, _signer, old_note, kept = _since_world(keyed, tmp_path)
    old_size = int(old_note.split("\n")[1])
    target = tmp_path / "since-cli"
    made = run("export", str(target), "--since", str(kept), db=copy)
    assert made.exit_code == 0, made.output
    assert "events, and a consistency proof from the one kept. Check it with" in made.stderr
    checked = verify(run, target, "--key", keyed.key, "--since", str(kept))
    assert checked.exit_code == 0, checked.output
    assert f"extends the checkpoint at {old_size} events" in checked.stdout
    # A checkpoint other than the one the proof starts from: the check says so, exit 1.
    other = tmp_path / "other.checkpoint"
    with session_scope_of(copy) as session:
        from wegings.store.logkey import load_key
        from wegings.store.proofs import checkpoint

        _head, newer = checkpoint(session, load_key(keyed.root / "keys" / "log-key"))
    other.write_text(newer)
    refused = verify(run, target, "--key", keyed.key, "--since", str(other))
    assert refused.exit_code == 1, refused.output
    missing = run("export", str(tmp_path / "x"), "--since", str(tmp_path / "nope"), db=copy)
    assert missing.exit_code == 2
    assert missing.stderr.startswith("Error: ")
    assert not (tmp_path / "x").exists()


def session_scope_of(db: Path) -> Any:
    from wegings.store.engine import session_scope

    return session_scope(Location(path=db), write=False)


# ------------------------------------------------- changes with the manifests made to fit


def _log_key(world: World) -> Signer:
    from wegings.store.logkey import load_key

    return load_key(world.root / "keys" / "log-key")


def _replace_pdf(bag: Path) -> None:
    (bag / "data/partners/rvd/note-v1.pdf").write_bytes(b"%PDF-1.7\n% another note\n")


def _edit_sweep(bag: Path) -> None:
    path = bag / verify_bag.SWEEP
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["findings"]
    hidden = report["findings"][1:]  # a transfer the sweep judged, gone from its report
    path.write_bytes(verify_bag.json_bytes(report | {"findings": hidden, "transfers": len(hidden)}))


def _edit_readme(bag: Path) -> None:
    path = bag / "README.txt"
    path.write_text("Nothing to see here.\n", encoding="utf-8")


def _add_a_file(bag: Path) -> None:
    (bag / "data/partners/rvd/memo.pdf").write_bytes(b"%PDF-1.7\n")


def _remove_a_transfer(bag: Path) -> None:
    # Transfer #3 taken out whole: its record, its event, its proof and the files made from the
    # records, made again. What is left is consistent with the checkpoint.
    rows = [t for t in records(bag, "transfer") if t["id"] != 3]
    (bag / verify_bag.record_file("transfer")).write_bytes(verify_bag.json_bytes(rows))
    events_path = bag / verify_bag.EVENTS
    lines = events_path.read_text(encoding="utf-8").splitlines(keepends=True)
    events_path.write_text(
        "".join(line for line in lines if '"entity": "transfer", "entity_id": "3"' not in line),
        encoding="utf-8",
    )
    (bag / verify_bag.proof_file("transfer", 3)).unlink()
    for name, data in verify_bag.derived_files(_all_records(bag)).items():
        (bag / name).write_bytes(data)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_replace_pdf, "manifest-sha512.txt is not the file the log key signed"),
        (_edit_sweep, "manifest-sha512.txt is not the file the log key signed"),
        (_edit_readme, "README.txt is not the file the log key signed"),
        (_add_a_file, "manifest-sha512.txt is not the file the log key signed"),
        (_remove_a_transfer, "manifest-sha512.txt is not the file the log key signed"),
    ],
)
def test_a_change_with_the_manifests_made_to_fit_fails_the_signature(
    run: Run, world: World, bag: Path, change: Any, expected: str
) -> None:
    change(bag)
    rebag(bag)
    assert verify_bag.check_manifests(bag)[0].ok  # the manifests fit again
    _fails_alike(run, bag, world.key, expected)


def test_a_record_file_that_reads_otherwise_than_it_parses_fails(
    run: Run, world: World, bag: Path
) -> None:
    # A key given twice: JSON readers take the last, a person reading the file sees the first.
    path = bag / verify_bag.record_file("transfer")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"purpose": ', '"purpose": "Iets anders",\n    "purpose": ', 1))
    assert json.loads(path.read_text(encoding="utf-8")) == records(world.bag, "transfer")
    rebag(bag, _log_key(world))  # even signed with the log key itself
    _fails_alike(
        run, bag, world.key, "data/records/transfer.json is not written as export writes it"
    )


def test_an_event_line_that_reads_otherwise_than_it_parses_fails(
    run: Run, world: World, bag: Path
) -> None:
    path = bag / verify_bag.EVENTS
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[0] = lines[0].replace('"actor": ', '"actor": "someone else", "actor": ', 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    rebag(bag, _log_key(world))
    _fails_alike(
        run, bag, world.key, f"{verify_bag.EVENTS} line 1 is not written as export writes it"
    )


def test_a_checkpoint_with_other_line_ends_fails(run: Run, world: World, bag: Path) -> None:
    path = bag / verify_bag.CHECKPOINT
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    rebag(bag, _log_key(world))
    _fails_alike(run, bag, world.key, "data/checkpoint.txt: the checkpoint is not a signed note")


def test_bad_key_and_since_files_are_one_line_errors_in_both_verifiers(
    run: Run, world: World, tmp_path: Path
) -> None:
    not_a_checkpoint = tmp_path / "passwd"
    not_a_checkpoint.write_text("root:x:0:0::/root:/bin/sh\n", encoding="utf-8")
    for since, message in [
        ("/dev/zero", "--since /dev/zero is not a plain file"),
        (str(not_a_checkpoint), f"--since {not_a_checkpoint}: it has no signature lines"),
    ]:
        own = standalone(world.bag, "--key", world.key, "--since", since)
        assert (own.returncode, own.stdout, own.stderr) == (2, "", f"Error: {message}.\n")
        result = verify(run, world.bag, "--key", world.key, "--since", since)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Error: {message}.\n")
    binary = tmp_path / "verifier.bin"
    binary.write_bytes(b"\xff" + world.key.encode())
    own = standalone(world.bag, "--key", str(binary))
    assert (own.returncode, own.stderr) == (2, f"Error: --key {binary} cannot be read as text.\n")
    own = standalone(world.bag, "--key", "a" * 300 + "+bbbbbbbb+AAAA")
    assert (own.returncode, own.stderr) == (
        2,
        "Error: --key: the verifier key is not an Ed25519 key of a log.\n",
    )


def test_export_since_a_device_is_refused_before_anything_is_written(
    keyed: World, tmp_path: Path
) -> None:
    target = tmp_path / "out"
    result = keyed.run("export", str(target), "--since", "/dev/zero")
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: --since /dev/zero is not a plain file.\n",
    )
    assert not target.exists()
