"""Fixed keys and labels of the domain (see DOMAIN.md): criteria, scores, forms, roles, states."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

OWN_SERVICE = "self"
"""The handle that stands for our own service as originator or holder."""


class PartnerKind(StrEnum):
    """What sort of service a partner is."""

    civil = "civil"
    military = "military"
    sigint = "sigint"
    combined = "combined"


PARTNER_KIND_LABELS: dict[PartnerKind, dict[str, str]] = {
    PartnerKind.civil: {"nl": "civiele dienst", "en": "civil service"},
    PartnerKind.military: {"nl": "militaire dienst", "en": "military service"},
    PartnerKind.sigint: {"nl": "sigint-dienst", "en": "SIGINT service"},
    PartnerKind.combined: {"nl": "gecombineerde dienst", "en": "combined service"},
}


class Role(StrEnum):
    """Who establishes a note or grants a higher permission."""

    minister = "minister"
    dg = "dg"


ROLE_LABELS: dict[Role, dict[str, str]] = {
    Role.minister: {"nl": "de minister", "en": "the minister"},
    Role.dg: {
        "nl": "de directeur-generaal (onder mandaat)",
        "en": "the director-general (under mandate)",
    },
}


class NoteStatus(StrEnum):
    """Life of a note version."""

    draft = "draft"
    established = "established"
    superseded = "superseded"
    withdrawn = "withdrawn"


NOTE_STATUS_LABELS: dict[NoteStatus, dict[str, str]] = {
    NoteStatus.draft: {"nl": "concept", "en": "draft"},
    NoteStatus.established: {"nl": "vastgesteld", "en": "established"},
    NoteStatus.superseded: {"nl": "vervangen", "en": "superseded"},
    NoteStatus.withdrawn: {"nl": "ingetrokken", "en": "withdrawn"},
}


class RiskProfile(StrEnum):
    """`standaard` when every criterion scores 4 or 5, else `verhoogd`."""

    standaard = "standaard"
    verhoogd = "verhoogd"


RISK_PROFILE_LABELS: dict[RiskProfile, dict[str, str]] = {
    RiskProfile.standaard: {"nl": "standaard", "en": "standard"},
    RiskProfile.verhoogd: {"nl": "verhoogd", "en": "elevated"},
}

REVIEW_MONTHS: dict[RiskProfile, int] = {RiskProfile.standaard: 24, RiskProfile.verhoogd: 12}


@dataclass(frozen=True)
class Criterion:
    """One of the five statutory criteria, with its labels and guiding question."""

    key: str
    label_nl: str
    label_en: str
    question_nl: str
    question_en: str

    def label(self, lang: str) -> str:
        """The label in `lang` ("nl" or "en")."""
        return self.label_nl if lang == "nl" else self.label_en

    def question(self, lang: str) -> str:
        """The guiding question in `lang` ("nl" or "en")."""
        return self.question_nl if lang == "nl" else self.question_en


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "democratic_embedding",
        "Democratische inbedding",
        "Democratic embedding",
        "Wat is de wettelijke basis van de dienst en hoe is de (parlementaire) controle in het "
        "land geregeld?",
        "What is the service's legal basis, and how is (parliamentary) oversight arranged in its "
        "country?",
    ),
    Criterion(
        "human_rights",
        "Mensenrechtensituatie",
        "Human-rights situation",
        "Zijn internationale mensenrechtenverdragen getekend en houdt het land zich hieraan, "
        "bijvoorbeeld op het gebied van persvrijheid?",
        "Has the country signed international human-rights treaties, and does it observe them, "
        "for instance on press freedom?",
    ),
    Criterion(
        "professionalism",
        "Professionaliteit en betrouwbaarheid",
        "Professionalism and reliability",
        "Kunnen we erop vertrouwen dat de dienst professioneel met informatie omgaat, op basis van "
        "eerdere ervaringen van onszelf en van andere diensten?",
        "Can we trust the service to handle information professionally, judging by our own "
        "earlier experience and that of other services?",
    ),
    Criterion(
        "legal_powers",
        "Wettelijke bevoegdheden en mogelijkheden",
        "Legal powers and capabilities",
        "Wat kan en mag de dienst in vergelijking met ons, en hoe zijn zijn bevoegdheden en "
        "procedures belegd?",
        "What may and can the service do compared with us, and how are its powers and procedures "
        "assigned?",
    ),
    Criterion(
        "data_protection",
        "Niveau van gegevensbescherming",
        "Level of data protection",
        "Hoe slaat de dienst gegevens op, hoe lang bewaart en hoe vernietigt hij ze, en hoe geeft "
        "hij ze door, in beleid én praktijk?",
        "How does the service store, retain, destroy and pass on data, in policy and in practice?",
    ),
)

CRITERION_KEYS: tuple[str, ...] = tuple(c.key for c in CRITERIA)
CRITERIA_BY_KEY: dict[str, Criterion] = {c.key: c for c in CRITERIA}


@dataclass(frozen=True)
class ScoreLevel:
    """One step of the 1–5 scale with its labels and risk."""

    score: int
    label_nl: str
    label_en: str
    risk: str  # "low", "elevated" or "high"

    def label(self, lang: str) -> str:
        """The label in `lang` ("nl" or "en")."""
        return self.label_nl if lang == "nl" else self.label_en


SCORES: dict[int, ScoreLevel] = {
    5: ScoreLevel(5, "voldoet volledig", "fully meets", "low"),
    4: ScoreLevel(4, "voldoet grotendeels", "largely meets", "low"),
    3: ScoreLevel(3, "voldoet gedeeltelijk", "partly meets", "elevated"),
    2: ScoreLevel(2, "voldoet in geringe mate", "barely meets", "elevated"),
    1: ScoreLevel(1, "voldoet niet", "does not meet", "high"),
}
MIN_SCORE = 1
MAX_SCORE = 5
STANDARD_MIN_SCORE = 4
"""Every criterion must score at least this for a `standaard` profile."""

RISK_LABELS: dict[str, dict[str, str]] = {
    "low": {"nl": "laag", "en": "low"},
    "elevated": {"nl": "verhoogd", "en": "elevated"},
    "high": {"nl": "hoog", "en": "high"},
}


@dataclass(frozen=True)
class Form:
    """A form of cooperation a note may permit."""

    key: str
    label_nl: str
    label_en: str

    def label(self, lang: str) -> str:
        """The label in `lang` ("nl" or "en")."""
        return self.label_nl if lang == "nl" else self.label_en


FORMS: tuple[Form, ...] = (
    Form(
        "knowledge_exchange",
        "Uitwisseling van kennis en ervaring",
        "Exchange of knowledge and experience",
    ),
    Form(
        "evaluated_data",
        "Verstrekking van geëvalueerde gegevens (geen persoonsgegevens)",
        "Provision of evaluated data (no personal data)",
    ),
    Form("personal_data", "Verstrekking van persoonsgegevens", "Provision of personal data"),
    Form(
        "unevaluated_data",
        "Verstrekking van ongeëvalueerde gegevens",
        "Provision of unevaluated data",
    ),
    Form("joint_operations", "Gezamenlijke operaties", "Joint operations"),
    Form("technical_support", "(Technische) ondersteuning", "(Technical) support"),
)
FORM_KEYS: tuple[str, ...] = tuple(f.key for f in FORMS)
FORMS_BY_KEY: dict[str, Form] = {f.key: f for f in FORMS}
STANDARD_ONLY_FORMS: frozenset[str] = frozenset({"unevaluated_data"})
"""Forms only a `standaard` note may permit."""
