"""`wegings render` from the store: every format, both languages, literal free text."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import pytest
import tomli_w
from pypdf import PdfReader

from tests.conftest import Run, add_partner

DEMO = Path(__file__).resolve().parent / "data"
HOSTILE = (
    "Let op: <script>alert(1)</script> {{ 7*7 }} #set page(width: 1cm) *vet* _schuin_ $x$ "
    "C:\\pad `code` en مرحبا بالعالم \u202eomgekeerd"
)


@pytest.fixture
def established(run: Run, tmp_path: Path, migrated_db: Path) -> Run:
    """Partner rvd with an established standaard note whose first motivation is hostile."""
    add_partner(run, "rvd", "--group", "CTG")
    answers = tomllib.loads((DEMO / "rvd-standaard.toml").read_text(encoding="utf-8"))
    answers["criteria"]["democratic_embedding"]["motivation"] = HOSTILE
    path = tmp_path / "answers.toml"
    path.write_text(tomli_w.dumps(answers), encoding="utf-8")
    assert run("score", "rvd", "--answers", str(path)).exit_code == 0
    result = run(
        "--as", "h.de.boer", "establish", "rvd", "--role", "dg", "--decision", "DG-besluit 7"
    )
    assert result.exit_code == 0, result.output
    return run


def _motivations() -> list[str]:
    answers = tomllib.loads((DEMO / "rvd-standaard.toml").read_text(encoding="utf-8"))
    texts = [entry["motivation"] for entry in answers["criteria"].values()]
    return [HOSTILE, *texts[1:]]


def test_markdown_to_stdout_in_dutch_by_default(established: Run) -> None:
    result = established("render", "rvd")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("**STG. GEHEIM**")
    assert "Wegingsnotitie Dienst RVD" in result.stdout
    # Markdown shows it literally through backslash escapes; raw HTML never reaches a viewer.
    assert "\\<script>" in result.stdout
    assert " <script>" not in result.stdout


def test_english_html_file(established: Run, tmp_path: Path) -> None:
    target = tmp_path / "note.html"
    result = established("render", "rvd", "--format", "html", "--lang", "en", "-o", str(target))
    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    assert "Weighing note" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert result.stderr.startswith(f"Wrote {target} (html, en, rvd version 1, established, ")


def test_pdf_contains_partner_motivations_and_decision(established: Run, tmp_path: Path) -> None:
    target = tmp_path / "note.pdf"
    result = established("render", "rvd", "--format", "pdf", "-o", str(target))
    assert result.exit_code == 0, result.output
    text = " ".join(
        page.extract_text() or "" for page in PdfReader(io.BytesIO(target.read_bytes())).pages
    )
    flat = " ".join(text.split())
    assert "Dienst RVD" in flat
    for motivation in _motivations()[1:]:
        assert " ".join(motivation.split())[:60] in flat
    assert "{{ 7*7 }}" in flat
    assert "h.de.boer" in flat


def test_pdf_needs_an_output_file(established: Run) -> None:
    result = established("render", "rvd", "--format", "pdf")
    assert result.exit_code == 2
    assert result.stderr == "Error: PDF output needs a file: add -o FILE.pdf.\n"


def test_classification_and_service_are_configurable(
    established: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEGINGS_SERVICE", "MIVD")
    result = established("render", "rvd", "--classification", "DEPARTEMENTAAL VERTROUWELIJK")
    assert result.exit_code == 0
    assert result.stdout.startswith("**DEPARTEMENTAAL VERTROUWELIJK**")
    assert "MIVD" in result.stdout


def test_draft_carries_concept_marking(established: Run) -> None:
    exported = established("score", "rvd", "--export-answers")
    assert exported.exit_code == 0
    result = established("score", "rvd", "--answers", "-", input=exported.stdout)
    assert result.exit_code == 0, result.output
    draft = established("render", "rvd", "--version", "2")
    assert "CONCEPT" in draft.stdout
    current = established("render", "rvd")
    assert "CONCEPT" not in current.stdout


def test_unknown_version_and_partner(established: Run) -> None:
    result = established("render", "rvd", "--version", "9")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: rvd has no version 9 (versions: 1). See `wegings history rvd`.\n"
    )
    missing = established("render", "rvx")
    assert missing.exit_code == 2
    assert missing.stderr == "Error: No partner 'rvx'. Did you mean: rvd? See `wegings partners`.\n"


def test_partner_without_note(run: Run) -> None:
    add_partner(run, "bsv")
    result = run("render", "bsv")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: bsv has no weighing note yet. Score one with `wegings score bsv`.\n"
    )


def test_custom_template_runs_sandboxed_and_reports_its_line(
    established: Run, tmp_path: Path
) -> None:
    good = tmp_path / "mine.md.j2"
    good.write_text("Partner: {{ note.partner_name }}\n", encoding="utf-8")
    result = established("render", "rvd", "--template", str(good))
    assert result.exit_code == 0, result.output
    assert "Dienst RVD" in result.stdout
    bad = tmp_path / "bad.md.j2"
    bad.write_text("line one\n{{ note.partner_name }\n", encoding="utf-8")
    broken = established("render", "rvd", "--template", str(bad))
    assert broken.exit_code == 2
    assert broken.stderr == f"Error: Template {bad}, line 2: unexpected '}}'\n"


def test_missing_template_file(established: Run, tmp_path: Path) -> None:
    result = established("render", "rvd", "--template", str(tmp_path / "nope.j2"))
    assert result.exit_code == 2
    assert result.stderr == f"Error: No template file {tmp_path / 'nope.j2'}.\n"
