"""Localise a `NoteDocument` for one language: labels, country name and dates, ready to print.

Templates receive the result as `note` (and the untouched document as `doc`), so they need no
logic beyond layout. Dates and country names come from Babel (CLDR), never from own tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from babel.dates import format_date

from wegings.domain import (
    CRITERIA_BY_KEY,
    FORMS,
    NOTE_STATUS_LABELS,
    PARTNER_KIND_LABELS,
    RISK_LABELS,
    RISK_PROFILE_LABELS,
    ROLE_LABELS,
    SCORES,
    NoteStatus,
    RiskProfile,
)
from wegings.register.countries import BABEL_LOCALES, country_name
from wegings.render.document import NoteDocument, VersionChanges
from wegings.render.strings import STRINGS
from wegings.timeutil import local_day


def long_date(moment: datetime, lang: str) -> str:
    """`moment` as a long local date in `lang`: "29 november 2026" / "29 November 2026"."""
    return str(format_date(local_day(moment), format="long", locale=BABEL_LOCALES[lang]))


@dataclass(frozen=True)
class CriterionView:
    """One assessed criterion with its labels in the chosen language."""

    key: str
    label: str
    question: str
    score: int
    score_label: str
    risk: str
    """"low", "elevated" or "high": a fixed key, safe to use for styling."""
    risk_label: str
    motivation: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class FormView:
    """One form of cooperation and whether this note permits it."""

    key: str
    label: str
    permitted: bool


@dataclass(frozen=True)
class FlagView:
    """A recorded development with its date as text."""

    reason: str
    date: str


@dataclass(frozen=True)
class NoteView:
    """A note localised for one language; every text field is ready to print (but unescaped)."""

    lang: str
    title: str
    marking: str
    """"CONCEPT", "INGETROKKEN", "VERVANGEN" (or English), or "" for an established note."""
    notice: str
    own_service: str
    classification: str
    version: int
    status: str
    status_label: str
    profile: str
    profile_label: str
    profile_explanation: str
    is_risk_service: bool
    profile_causes: tuple[str, ...]
    created_on: str
    author: str
    author_function: str
    context: str
    partner_name: str
    partner_short: str
    country_code: str
    country: str
    partner_kind: str
    groups: tuple[str, ...]
    criteria: tuple[CriterionView, ...]
    added_value: str
    international_obligations: str
    quid_pro_quo: str
    operational_interest: str
    forms: tuple[FormView, ...]
    conditions: tuple[str, ...]
    is_established: bool
    established_by: str
    established_by_function: str
    established_role: str
    established_on: str
    establisher_needed: str
    decision_text: str
    review_on: str
    review_term: str
    flags: tuple[FlagView, ...]
    is_withdrawn: bool
    withdrawn_on: str
    withdrawn_reason: str
    replaces: str
    """"Deze versie vervangt versie 1, vastgesteld op 3 december 2026." or ""."""
    replaces_field: str
    """"versie 1 (vastgesteld op 3 december 2026)" or "", for the table of details."""
    superseded_by_field: str
    """"versie 3 (vastgesteld op 3 december 2026)" or "", for the table of details."""
    changes_title: str
    """"Wijzigingen ten opzichte van versie 1", or "" for a first version."""
    changes: tuple[str, ...]
    """One sentence per change from the replaced version (empty when none or no such version)."""
    no_changes: str
    """"De inhoud is ongewijzigd ten opzichte van versie 1." when nothing changed, else ""."""


_MARKING_KEYS: Final[dict[NoteStatus, str]] = {
    NoteStatus.draft: "draft",
    NoteStatus.withdrawn: "withdrawn",
    NoteStatus.superseded: "superseded",
}


def marking_word(status: NoteStatus, lang: str) -> str:
    """The word marked across every page ("CONCEPT", "VERVANGEN", ...), "" when established."""
    key = _MARKING_KEYS.get(status)
    return STRINGS[lang][f"marking_{key}"] if key else ""


def change_lines(changes: VersionChanges, lang: str) -> tuple[str, ...]:
    """Each change from the replaced version as one sentence in `lang`, in the note's order."""
    t = STRINGS[lang]
    lines = []
    if changes.profile_from is not changes.profile_to:
        lines.append(
            t["change_profile"].format(
                old=RISK_PROFILE_LABELS[changes.profile_from][lang],
                new=RISK_PROFILE_LABELS[changes.profile_to][lang],
            )
        )
    for c in changes.criteria:
        criterion = CRITERIA_BY_KEY[c.key].label(lang)
        if c.score_from != c.score_to:
            lines.append(
                t["change_score"].format(
                    criterion=criterion,
                    old=c.score_from,
                    old_label=SCORES[c.score_from].label(lang),
                    new=c.score_to,
                    new_label=SCORES[c.score_to].label(lang),
                )
            )
        if c.motivation_changed:
            lines.append(t["change_motivation"].format(criterion=criterion))
        if c.sources_changed:
            lines.append(t["change_sources"].format(criterion=criterion))
    lines += [t["change_text"].format(field=t[field]) for field in changes.texts]
    labels = {f.key: f.label(lang) for f in FORMS}
    lines += [t["change_form_added"].format(form=labels[f]) for f in changes.forms_added]
    lines += [t["change_form_removed"].format(form=labels[f]) for f in changes.forms_removed]
    lines += [t["change_condition_added"].format(condition=c) for c in changes.conditions_added]
    lines += [t["change_condition_removed"].format(condition=c) for c in changes.conditions_removed]
    return tuple(lines)


def build_view(doc: NoteDocument, lang: str) -> NoteView:
    """Localise `doc` for `lang` ("nl" or "en")."""
    t = STRINGS[lang]
    country = country_name(doc.partner.country_code, lang)
    marking = marking_word(doc.status, lang)
    key = _MARKING_KEYS.get(doc.status)
    notice = t[f"notice_{key}"] if key else ""
    superseded_by_field = ""
    if doc.superseded_by is not None and doc.superseded_at is not None:
        since = long_date(doc.superseded_at, lang)
        superseded_by_field = t["superseded_by_value"].format(version=doc.superseded_by, date=since)
        if doc.status is NoteStatus.superseded:
            notice = t["notice_superseded_by"].format(version=doc.superseded_by, date=since)
    replaced = doc.replaces
    replaces = replaces_field = changes_title = no_changes = ""
    changes: tuple[str, ...] = ()
    if replaced is not None:
        values = {"version": replaced.version, "date": long_date(replaced.established_at, lang)}
        sentence = "replaces_draft" if doc.status is NoteStatus.draft else "replaces"
        replaces = t[sentence].format(**values)
        replaces_field = t["replaces_value"].format(**values)
        changes_title = t["sec_changes"].format(**values)
        changes = change_lines(replaced.changes, lang)
        no_changes = "" if changes else t["no_changes"].format(**values)
    elevated = doc.profile is RiskProfile.verhoogd
    criteria = tuple(
        CriterionView(
            key=a.key,
            label=CRITERIA_BY_KEY[a.key].label(lang),
            question=CRITERIA_BY_KEY[a.key].question(lang),
            score=a.score,
            score_label=SCORES[a.score].label(lang),
            risk=SCORES[a.score].risk,
            risk_label=RISK_LABELS[SCORES[a.score].risk][lang],
            motivation=a.motivation,
            sources=a.sources,
        )
        for a in doc.criteria
    )
    permitted = set(doc.forms)
    is_established = doc.established_at is not None
    return NoteView(
        lang=lang,
        title=f"{t['doc_title']} {doc.partner.name} ({country})",
        marking=marking,
        notice=notice,
        own_service=doc.own_service,
        classification=doc.classification,
        version=doc.version,
        status=doc.status.value,
        status_label=NOTE_STATUS_LABELS[doc.status][lang],
        profile=doc.profile.value,
        profile_label=RISK_PROFILE_LABELS[doc.profile][lang],
        profile_explanation=t[f"profile_{doc.profile.value}"],
        is_risk_service=elevated,
        profile_causes=tuple(CRITERIA_BY_KEY[k].label(lang) for k in doc.profile_causes),
        created_on=long_date(doc.created_at, lang),
        author=doc.author,
        author_function=doc.author_function,
        context=doc.context,
        partner_name=doc.partner.name,
        partner_short=doc.partner.short,
        country_code=doc.partner.country_code,
        country=country,
        partner_kind=PARTNER_KIND_LABELS[doc.partner.kind][lang],
        groups=doc.partner.groups,
        criteria=criteria,
        added_value=doc.interest.added_value,
        international_obligations=doc.interest.international_obligations,
        quid_pro_quo=doc.interest.quid_pro_quo,
        operational_interest=doc.interest.operational_interest,
        forms=tuple(FormView(f.key, f.label(lang), f.key in permitted) for f in FORMS),
        conditions=doc.conditions,
        is_established=is_established,
        established_by=doc.established_by or "",
        established_by_function=doc.established_by_function if is_established else "",
        established_role=(
            ROLE_LABELS[doc.established_role][lang] if doc.established_role is not None else ""
        ),
        established_on=long_date(doc.established_at, lang) if doc.established_at else "",
        establisher_needed=t[f"establisher_{doc.profile.value}"],
        decision_text=doc.decision_text or "",
        review_on=long_date(doc.review_due, lang) if doc.review_due else "",
        review_term=t[f"review_term_{doc.profile.value}"],
        flags=tuple(FlagView(f.reason, long_date(f.flagged_at, lang)) for f in doc.flags),
        is_withdrawn=doc.status is NoteStatus.withdrawn or doc.withdrawn_at is not None,
        withdrawn_on=long_date(doc.withdrawn_at, lang) if doc.withdrawn_at else "",
        withdrawn_reason=doc.withdrawn_reason or "",
        replaces=replaces,
        replaces_field=replaces_field,
        superseded_by_field=superseded_by_field,
        changes_title=changes_title,
        changes=changes,
        no_changes=no_changes,
    )
