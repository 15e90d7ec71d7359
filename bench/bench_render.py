"""Time rendering a realistic wegingsnotitie: PDF (via Typst), Markdown and HTML.

Run: .venv/bin/python bench/bench_render.py [-n 30] [--lang nl]

The first render in a process pays for importing Jinja2, Babel and Typst and for loading the
fonts; it is reported apart ("cold"). The timed runs follow a warm-up, as in a long-running
process; the CLI renders once per call, so its figure is the cold one.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from wegings.domain import CRITERION_KEYS, NoteStatus, PartnerKind, RiskProfile, Role
from wegings.render import (
    CriterionAssessment,
    Flag,
    InterestWeighing,
    NoteDocument,
    PartnerInfo,
    render,
)

PARAGRAPH = (
    "De dienst beschikt over een wettelijke grondslag die de taken en bevoegdheden regelt. "
    "Het parlementaire toezicht is belegd bij een vaste commissie die jaarlijks rapporteert; "
    "eerdere rapportages laten zien dat aanbevelingen worden opgevolgd. Uit eigen ervaring en "
    "uit die van partnerdiensten blijkt dat afspraken over bronbescherming worden nagekomen."
)


def realistic_note() -> NoteDocument:
    """A verhoogd draft with full motivations, sources, conditions and a flag: a 4-page PDF."""
    scores = dict(zip(CRITERION_KEYS, (4, 3, 4, 4, 2), strict=True))
    criteria = tuple(
        CriterionAssessment(
            key,
            scores[key],
            f"{PARAGRAPH}\n\n{PARAGRAPH}",
            (f"Jaarverslag toezichthouder {2023 + i}", "Eigen dossier, ref. 2026/114"),
        )
        for i, key in enumerate(CRITERION_KEYS)
    )
    return NoteDocument(
        partner=PartnerInfo(
            "Bundesamt für Verfassungsschutz", "BfV", "DE", PartnerKind.civil, ("CTG",)
        ),
        own_service="AIVD",
        classification="STG. CONFIDENTIEEL",
        version=4,
        status=NoteStatus.draft,
        profile=RiskProfile.verhoogd,
        profile_causes=("human_rights", "data_protection"),
        created_at=datetime(2026, 11, 29, 9, 30, tzinfo=UTC),
        author="J. de Vries",
        context=f"{PARAGRAPH}\n\n{PARAGRAPH}",
        criteria=criteria,
        interest=InterestWeighing(
            PARAGRAPH, "Lidmaatschap van de CTG.", "Wederkerige uitwisseling.", PARAGRAPH
        ),
        forms=("knowledge_exchange", "evaluated_data", "personal_data"),
        conditions=(
            "Persoonsgegevens alleen na toestemming van de minister.",
            "Geen doorgifte aan derden zonder toestemming van de AIVD.",
            "Gegevens worden na twee jaar vernietigd.",
        ),
        established_role=Role.minister,
        flags=(Flag("Politieke onrust na de verkiezingen.", datetime(2026, 10, 1, tzinfo=UTC)),),
    )


def _time(action: Callable[[int], bytes], runs: int) -> tuple[float, float, int]:
    samples = []
    size = 0
    for run in range(runs):
        start = time.perf_counter()
        size = len(action(run))
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples), size


def main() -> None:
    """Print cold and warm timings per format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", "--runs", type=int, default=30, help="timed runs per format")
    parser.add_argument("--lang", choices=("nl", "en"), default="nl")
    args = parser.parse_args()
    lang = args.lang
    doc = realistic_note()

    start = time.perf_counter()
    render(doc, fmt="pdf", lang=lang)
    cold = (time.perf_counter() - start) * 1000
    print(f"cold first PDF (imports, fonts, template compile): {cold:8.1f} ms")

    def varied(fmt: str) -> Callable[[int], bytes]:
        # A different note each run: Typst memoises, and re-rendering the very same note
        # would time its cache rather than a fresh document.
        def action(run: int) -> bytes:
            note = dataclasses.replace(doc, version=1000 + run, author=f"Opsteller {run}")
            return render(note, fmt=fmt, lang=lang)  # type: ignore[arg-type]

        return action

    for fmt in ("pdf", "md", "html"):
        for run in range(3):  # warm-up
            varied(fmt)(-1 - run)
        median, fastest, size = _time(varied(fmt), args.runs)
        print(
            f"{fmt:>4}: median {median:7.1f} ms   min {fastest:7.1f} ms   "
            f"({size:,} bytes, {args.runs} runs, a changed note each run)"
        )
    median, fastest, _ = _time(lambda _run: render(doc, fmt="pdf", lang=lang), args.runs)
    print(f" pdf: median {median:7.1f} ms   min {fastest:7.1f} ms   (the same note again: cached)")


if __name__ == "__main__":
    main()
