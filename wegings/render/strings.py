"""Every fixed piece of visible text of the note, per language, in one place.

Domain labels (criteria, scores, forms, roles, states) come from `wegings.domain`; this holds the
rest: headings, field labels and the sentences that explain the rules. Templates reach it as `t`.
A `{service}` or `{code}` placeholder is filled by the `fill` filter before the value is escaped.
"""

from __future__ import annotations

from typing import Final

STRINGS: Final[dict[str, dict[str, str]]] = {
    "nl": {
        "doc_title": "Wegingsnotitie",
        "version": "Versie",
        "page": "Pagina",
        "page_of": "van",
        "marking_draft": "CONCEPT",
        "notice_draft": (
            "Deze notitie is nog niet vastgesteld en biedt geen grondslag voor samenwerking."
        ),
        "marking_withdrawn": "INGETROKKEN",
        "notice_withdrawn": "De samenwerking op grond van deze notitie is opgeschort.",
        "withdrawn_on": "Ingetrokken op",
        "withdrawn_reason": "Reden van intrekking",
        "marking_superseded": "VERVANGEN",
        "notice_superseded": (
            "Deze versie is vervangen door een later vastgestelde versie en is niet meer van "
            "kracht."
        ),
        "notice_superseded_by": (
            "Deze versie is vervangen door versie {version}, vastgesteld op {date}, en is sinds "
            "die datum niet meer van kracht."
        ),
        "replaces": "Deze versie vervangt versie {version}, vastgesteld op {date}.",
        "replaces_draft": (
            "Na vaststelling vervangt deze versie versie {version}, vastgesteld op {date}."
        ),
        "replaces_label": "Vervangt",
        "replaces_value": "versie {version} (vastgesteld op {date})",
        "superseded_by_label": "Vervangen door",
        "superseded_by_value": "versie {version} (vastgesteld op {date})",
        "sec_changes": "Wijzigingen ten opzichte van versie {version}",
        "no_changes": "De inhoud is ongewijzigd ten opzichte van versie {version}.",
        "change_profile": "Risicoprofiel gewijzigd van {old} in {new}.",
        "change_score": (
            "{criterion}: score gewijzigd van {old} ({old_label}) in {new} ({new_label})."
        ),
        "change_motivation": "{criterion}: motivering herzien.",
        "change_sources": "{criterion}: bronnen gewijzigd.",
        "change_text": "{field}: tekst herzien.",
        "change_form_added": "Nu toegestaan: {form}.",
        "change_form_removed": "Niet langer toegestaan: {form}.",
        "change_condition_added": "Voorwaarde toegevoegd: {condition}",
        "change_condition_removed": "Voorwaarde vervallen: {condition}",
        "context": "Context",
        "sec_details": "Gegevens van de notitie",
        "own_service": "Eigen dienst",
        "classification": "Rubricering",
        "status": "Status",
        "created_on": "Opgesteld op",
        "author": "Opgesteld door",
        "established_by": "Vastgesteld door",
        "established_role": "In de rol van",
        "established_on": "Vastgesteld op",
        "review_due": "Herbeoordeling uiterlijk",
        "risk_profile": "Risicoprofiel",
        "not_established": "nog niet vastgesteld",
        "sec_context": "Context en ontwikkelingen",
        "no_context": "Geen context opgegeven.",
        "developments": "Geregistreerde ontwikkelingen",
        "no_developments": "Er zijn geen ontwikkelingen geregistreerd.",
        "sec_partner": "De partnerdienst",
        "partner_name": "Naam",
        "partner_short": "Afkorting",
        "country": "Land",
        "partner_kind": "Soort dienst",
        "groups": "Samenwerkingsverbanden",
        "no_groups": "geen",
        "sec_criteria": "Weging van de vijf criteria",
        "criteria_intro": (
            "De samenwerking is gewogen aan de hand van de vijf criteria van de Wiv 2017 "
            "(artt. 88–90). Elk criterium is beoordeeld op een schaal van 5 (voldoet volledig) "
            "tot en met 1 (voldoet niet)."
        ),
        "criterion": "Criterium",
        "question": "Toetsvraag",
        "score": "Score",
        "assessment": "Oordeel",
        "risk": "Risico",
        "motivation": "Motivering",
        "sources": "Bronnen",
        "no_sources": "Geen bronnen vermeld.",
        "sec_interest": "Weging van het belang",
        "interest_intro": (
            "Tegenover de risico's staat het belang dat met de samenwerking is gediend."
        ),
        "added_value": "Toegevoegde waarde",
        "international_obligations": "Internationale verplichtingen",
        "quid_pro_quo": "Quid pro quo",
        "operational_interest": "Zwaarwegend operationeel belang",
        "not_given": "Niet opgegeven.",
        "sec_profile": "Risicoprofiel en gevolgen",
        "profile_is": "Het risicoprofiel van deze dienst is",
        "profile_standaard": (
            "Op alle criteria is een score van 4 of 5 gegeven. Samenwerking is mogelijk in de "
            "vormen die hierna als toegestaan zijn aangemerkt. De notitie wordt vastgesteld door "
            "de minister of, onder mandaat, door de directeur-generaal, en wordt uiterlijk 24 "
            "maanden na vaststelling herbeoordeeld."
        ),
        "profile_verhoogd": (
            "Op ten minste één criterium is een score van 3 of lager gegeven. De dienst geldt "
            "daarmee als risicodienst: voor elke verstrekking van persoonsgegevens is een "
            "vastgelegde toestemming op hoger niveau vereist (van de minister of, onder mandaat, "
            "van de directeur-generaal). Ongeëvalueerde gegevens worden niet verstrekt. De "
            "notitie wordt vastgesteld door de minister en wordt uiterlijk 12 maanden na "
            "vaststelling herbeoordeeld."
        ),
        "profile_causes": "Criteria met een score van 3 of lager",
        "operational_interest_lead": (
            "Het zwaarwegende operationele belang dat het verhoogde risico rechtvaardigt:"
        ),
        "operational_interest_missing": (
            "Niet opgegeven. Zonder zwaarwegend operationeel belang kan een notitie met een "
            "verhoogd risicoprofiel niet worden vastgesteld."
        ),
        "sec_forms": "Toegestane vormen van samenwerking",
        "forms_intro": (
            "Deze notitie legt de aard en de intensiteit van de samenwerking vast. Samenwerking "
            "is alleen mogelijk in de vormen die hieronder als toegestaan zijn aangemerkt; voor "
            "andere vormen biedt deze notitie geen grondslag."
        ),
        "form": "Vorm van samenwerking",
        "permitted_column": "Toegestaan",
        "permitted": "toegestaan",
        "not_permitted": "niet toegestaan",
        "forms_risk_note": (
            "Persoonsgegevens worden aan deze risicodienst alleen verstrekt met een vastgelegde "
            "toestemming op hoger niveau."
        ),
        "sec_conditions": "Voorwaarden en mitigerende maatregelen",
        "no_conditions": "Geen aanvullende voorwaarden opgenomen.",
        "sec_decision": "Besluit",
        "decision": "Besluit",
        "not_yet_established": "Deze notitie is nog niet vastgesteld.",
        "to_be_established_by": "Vast te stellen door",
        "establisher_standaard": (
            "de minister of, onder mandaat, de directeur-generaal; niet door de opsteller"
        ),
        "establisher_verhoogd": "de minister; niet door de opsteller",
        "name": "Naam",
        "role": "Rol",
        "date": "Datum",
        "signature": "Handtekening",
        "function": "Functie",
        "signatures": "Ondertekening",
        "signature_author": "Handtekening opsteller",
        "signature_establisher": "Handtekening vaststeller",
        "sec_review": "Herbeoordeling",
        "review_on": "Deze notitie moet uiterlijk worden herbeoordeeld op",
        "review_term_standaard": (
            "De termijn voor herbeoordeling bedraagt 24 maanden, te rekenen vanaf de vaststelling."
        ),
        "review_term_verhoogd": (
            "De termijn voor herbeoordeling bedraagt 12 maanden, te rekenen vanaf de vaststelling."
        ),
        "review_lapse": "Na die datum geldt de notitie niet meer als grondslag voor samenwerking.",
        "flags_warning": (
            "Er zijn ontwikkelingen geregistreerd (zie ‘Context en ontwikkelingen’). De notitie "
            "moet daarom worden herzien; totdat een nieuwe versie is vastgesteld, is voor elke "
            "verstrekking aan deze dienst een vastgelegde toestemming op hoger niveau vereist."
        ),
        "third_party": (
            "Derdepartijregel: informatie die de {service} van deze dienst ontvangt, wordt niet "
            "zonder toestemming van deze dienst aan derden verstrekt. Aan elke verstrekking door "
            "de {service} aan deze dienst is de voorwaarde verbonden dat de informatie niet zonder "
            "toestemming van de {service} aan derden wordt doorgegeven."
        ),
    },
    "en": {
        "doc_title": "Weighing note",
        "version": "Version",
        "page": "Page",
        "page_of": "of",
        "marking_draft": "DRAFT",
        "notice_draft": (
            "This note has not been established yet and provides no basis for cooperation."
        ),
        "marking_withdrawn": "WITHDRAWN",
        "notice_withdrawn": "Cooperation on the basis of this note has been suspended.",
        "withdrawn_on": "Withdrawn on",
        "withdrawn_reason": "Reason for withdrawal",
        "marking_superseded": "SUPERSEDED",
        "notice_superseded": (
            "This version has been superseded by a later established version and is no longer "
            "in force."
        ),
        "notice_superseded_by": (
            "This version was superseded by version {version}, established on {date}, and has "
            "not been in force since that date."
        ),
        "replaces": "This version replaces version {version}, established on {date}.",
        "replaces_draft": (
            "Once established, this version replaces version {version}, established on {date}."
        ),
        "replaces_label": "Replaces",
        "replaces_value": "version {version} (established on {date})",
        "superseded_by_label": "Superseded by",
        "superseded_by_value": "version {version} (established on {date})",
        "sec_changes": "Changes from version {version}",
        "no_changes": "The content is unchanged from version {version}.",
        "change_profile": "Risk profile changed from {old} to {new}.",
        "change_score": (
            "{criterion}: score changed from {old} ({old_label}) to {new} ({new_label})."
        ),
        "change_motivation": "{criterion}: reasons revised.",
        "change_sources": "{criterion}: sources changed.",
        "change_text": "{field}: text revised.",
        "change_form_added": "Now permitted: {form}.",
        "change_form_removed": "No longer permitted: {form}.",
        "change_condition_added": "Condition added: {condition}",
        "change_condition_removed": "Condition dropped: {condition}",
        "context": "Context",
        "sec_details": "Note details",
        "own_service": "Our service",
        "classification": "Classification",
        "status": "Status",
        "created_on": "Drawn up on",
        "author": "Drawn up by",
        "established_by": "Established by",
        "established_role": "Acting as",
        "established_on": "Established on",
        "review_due": "Review due by",
        "risk_profile": "Risk profile",
        "not_established": "not yet established",
        "sec_context": "Context and developments",
        "no_context": "No context given.",
        "developments": "Recorded developments",
        "no_developments": "No developments have been recorded.",
        "sec_partner": "The partner service",
        "partner_name": "Name",
        "partner_short": "Abbreviation",
        "country": "Country",
        "partner_kind": "Type of service",
        "groups": "Cooperation groups",
        "no_groups": "none",
        "sec_criteria": "Assessment of the five criteria",
        "criteria_intro": (
            "The cooperation has been weighed against the five criteria of the Wiv 2017 "
            "(Articles 88–90). Each criterion is scored on a scale from 5 (fully meets) to 1 "
            "(does not meet)."
        ),
        "criterion": "Criterion",
        "question": "Guiding question",
        "score": "Score",
        "assessment": "Assessment",
        "risk": "Risk",
        "motivation": "Reasons",
        "sources": "Sources",
        "no_sources": "No sources given.",
        "sec_interest": "Weighing of interests",
        "interest_intro": "The risks are weighed against the interest the cooperation serves.",
        "added_value": "Added value",
        "international_obligations": "International obligations",
        "quid_pro_quo": "Quid pro quo",
        "operational_interest": "Weighty operational interest",
        "not_given": "Not stated.",
        "sec_profile": "Risk profile and its consequences",
        "profile_is": "The risk profile of this service is",
        "profile_standaard": (
            "Every criterion scores 4 or 5. Cooperation may take the forms permitted below. The "
            "note is established by the minister or, under mandate, by the director-general, and "
            "must be reviewed within 24 months of its establishment."
        ),
        "profile_verhoogd": (
            "At least one criterion scores 3 or lower, so the service counts as a risk service: "
            "every provision of personal data requires a recorded higher-level permission (from "
            "the minister or, under mandate, from the director-general). Unevaluated data is not "
            "provided. The note is established by the minister and must be reviewed within 12 "
            "months of its establishment."
        ),
        "profile_causes": "Criteria scoring 3 or lower",
        "operational_interest_lead": (
            "The weighty operational interest that outweighs the elevated risk:"
        ),
        "operational_interest_missing": (
            "Not stated. Without a weighty operational interest a note with an elevated risk "
            "profile cannot be established."
        ),
        "sec_forms": "Permitted forms of cooperation",
        "forms_intro": (
            "This note sets the nature and intensity of the cooperation. Cooperation may take "
            "only the forms marked as permitted below; the note provides no basis for any other "
            "form."
        ),
        "form": "Form of cooperation",
        "permitted_column": "Permitted",
        "permitted": "permitted",
        "not_permitted": "not permitted",
        "forms_risk_note": (
            "Personal data is provided to this risk service only with a recorded higher-level "
            "permission."
        ),
        "sec_conditions": "Conditions and mitigating measures",
        "no_conditions": "No further conditions have been set.",
        "sec_decision": "Decision",
        "decision": "Decision",
        "not_yet_established": "This note has not yet been established.",
        "to_be_established_by": "To be established by",
        "establisher_standaard": (
            "the minister or, under mandate, the director-general; not by the author"
        ),
        "establisher_verhoogd": "the minister; not by the author",
        "name": "Name",
        "role": "Role",
        "date": "Date",
        "signature": "Signature",
        "function": "Function",
        "signatures": "Signatures",
        "signature_author": "Signature of the author",
        "signature_establisher": "Signature of the establishing authority",
        "sec_review": "Review",
        "review_on": "This note must be reviewed by",
        "review_term_standaard": "The note must be reviewed within 24 months of its establishment.",
        "review_term_verhoogd": "The note must be reviewed within 12 months of its establishment.",
        "review_lapse": "After that date the note no longer provides a basis for cooperation.",
        "flags_warning": (
            "Developments have been recorded (see ‘Context and developments’). The note must "
            "therefore be revised; until a new version is established, every provision to this "
            "service requires a recorded higher-level permission."
        ),
        "third_party": (
            "Third-party rule: information the {service} receives from this service is not "
            "passed to third parties without this service's consent. Every provision by the "
            "{service} to this service carries the condition that the information is not passed "
            "on to third parties without the consent of the {service}."
        ),
    },
}
"""Labels and sentences per language; both languages have exactly the same keys."""
