#!/usr/bin/env bash
# The main job end to end on a throwaway demo database with clearly fictitious partners.
set -euo pipefail

demo_dir="${DEMO_DIR:-.demo}"
rm -rf "$demo_dir"
mkdir -p "$demo_dir"
export WEGINGS_DB="$demo_dir/wegings-demo.db"
unset WEGINGS_DATABASE_URL

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "The people register: the DG registers first, then the team (every action by a known person)"
export WEGINGS_USER="h.de.boer"
wegings person add h.de.boer --name "mr. H. de Boer" --function "directeur-generaal" --role dg
wegings person add minister.bz --name "mr. A. de Vries" \
  --function "minister van Binnenlandse Zaken en Koninkrijksrelaties" --role minister
wegings person add j.jansen --name "J. Jansen" --function "medewerker liaisonbureau" --role desk
wegings person add demo.analist --name "drs. A. Analist" --function "senior analist" \
  --role assessor
wegings person add ctivd.toezicht --name "mr. C. Toezicht" --function "toezichthouder CTIVD" \
  --role overseer
wegings person grant j.jansen assessor --reason "Ook beoordelaar voor de liaison (demo)"
wegings person revoke j.jansen assessor --reason "Toch niet: scheiding van taken (demo)"
wegings people

# From here on the desk officer acts, unless a command says --as.
export WEGINGS_USER="j.jansen"

step "Register fictitious partner services (country codes XA–XZ are user-assigned)"
wegings new-partner "Ruritaanse Veiligheidsdienst" --short rvd --country XR --kind civil \
  --group CTG --notes "Demo partner; not a real service."
wegings new-partner "Syldavische Militaire Inlichtingendienst" --short smi --country XS \
  --kind military --group CTG
wegings new-partner "Borduriaanse Staatsveiligheid" --short bsv --country XB --kind combined

step "Role checks: nobody outside the register acts, and the overseer changes nothing"
wegings --as k.klaas new-partner "Dienst X" --short xx --country XX --kind civil \
  || echo "(refused, as it must be)" >&2
wegings --as ctivd.toezicht flag rvd --reason "Onrust (demo)" || echo "(refused, as it must be)" >&2

step "The register"
wegings partners
step "Members of the CTG"
wegings partners --group CTG
step "One partner in detail"
wegings show rvd

here="$(cd "$(dirname "$0")" && pwd)"
step "Weigh the five criteria from answers files (one standaard, one verhoogd)"
wegings score rvd --answers "$here/demo/rvd-standaard.toml" \
  || echo "(refused: scoring is for an assessor)" >&2
wegings --as demo.analist score rvd --answers "$here/demo/rvd-standaard.toml"
wegings --as demo.analist score smi --answers "$here/demo/smi-verhoogd.toml"

step "Establishment: by the role given, never by the author, and a verhoogd note only by the minister"
wegings establish rvd --role dg || echo "(refused: the desk officer is no DG)" >&2
wegings --as h.de.boer establish smi --role dg || echo "(refused, as it must be)" >&2
wegings --as h.de.boer establish rvd --role dg --decision "DG-besluit 2026/114 (demo)"
wegings --as minister.bz establish smi --role minister --decision "Ministerieel besluit 2026/7 (demo)"

step "Developments in Borduria: a flag, and what is due"
wegings flag bsv --reason "Politieke onrust na de verkiezingen (demo)"
wegings due
wegings history smi
wegings show smi

step "The notes as documents (PDF and HTML, Dutch and English)"
wegings render rvd --format pdf -o "$demo_dir/wegingsnotitie-rvd.pdf"
wegings render smi --format pdf -o "$demo_dir/wegingsnotitie-smi.pdf"
wegings render smi --format html --lang en -o "$demo_dir/weighing-note-smi-en.html"
wegings render rvd | head -n 14

step "The third-party rule: items received from partners, and one of our own"
until_date="$(python -c 'import datetime as d; print(d.date.today() + d.timedelta(days=365))')"
wegings new-item RVD-2026-0042 --originator rvd --received-from rvd --tag ct \
  --classification "Stg. Confidentieel" --subject "Reisbewegingen van een netwerk (demo)"
wegings new-item RVD-2026-0044 --originator rvd --received-from rvd \
  --subject "Financieringsstromen (demo)"
wegings new-item AIVD-2026-7 --originator self --personal-data --subject "Persoonsprofiel (demo)"
wegings items

step "Consents: a standing one of rvd for its 'ct' items to the CTG, and one for a single item"
wegings consent --tag ct --originator rvd --to ctg --until "$until_date" \
  --reference "RVD brief 2026/88 (demo)"
item_consent="$(wegings consent RVD-2026-0044 --to smi --purpose "CT-onderzoek" \
  --until "$until_date" --condition "Alleen in geparafraseerde vorm" --reference "RVD-C-12")"
wegings consents

step "can-share: allowed (consent, note in force, form permitted)"
wegings can-share RVD-2026-0044 --to smi --purpose "CT-onderzoek"
step "can-share: denied (bsv has no established note, and no consent from rvd)"
wegings can-share RVD-2026-0044 --to bsv || echo "(exit $?: denied, as expected)" >&2
step "can-share: needs permission (personal data to a risicodienst)"
wegings can-share AIVD-2026-7 --to smi || echo "(exit $?: needs permission, as expected)" >&2
step "can-share to a group: each CTG member is checked (standing consent to the CTG)"
wegings can-share RVD-2026-0042 --to ctg --json

step "Revoking a consent; --as-of answers as the records stood before"
before_revocation="$(python -c 'import datetime as d; print(d.datetime.now(d.UTC).isoformat())')"
wegings revoke "$item_consent" --reason "Ingetrokken bij brief van RVD (demo)"
wegings can-share RVD-2026-0044 --to smi --purpose "CT-onderzoek" --json \
  || echo "(exit $?: denied now that the consent is revoked)" >&2
wegings can-share RVD-2026-0044 --to smi --purpose "CT-onderzoek" --as-of "$before_revocation" \
  --json

step "A batch of checks (CSV; one row names an unknown item and is reported as an error)"
cat > "$demo_dir/checks.csv" <<CSV
item,to,purpose
RVD-2026-0042,smi,
RVD-2026-0042,ctg,
RVD-2026-0044,smi,CT-onderzoek
AIVD-2026-7,rvd,
AIVD-2026-7,smi,
RVD-9999,smi,
CSV
wegings can-share --batch "$demo_dir/checks.csv" || echo "(exit $?: the worst row is an error)" >&2

step "Transfers: recorded only when allowed; personal data needs reliability and age"
wegings share RVD-2026-0042 --to smi --purpose "CT-onderzoek"
wegings share AIVD-2026-7 --to smi || echo "(exit $?: refused, nothing recorded)" >&2
permission="$(wegings --as minister.bz permit AIVD-2026-7 --to smi --role minister \
  --until "$until_date" \
  --reason "Ministerieel besluit 2026/21 (demo): zwaarwegend operationeel belang")"
wegings share AIVD-2026-7 --to smi --purpose "Dreigingsanalyse" \
  --reliability "B2: meestal betrouwbaar, bevestigd door eigen bron" --age "Gegevens van oktober 2026"
wegings transfers
wegings show smi

step "Corrections without deleting anything: an item turns out to hold personal data"
before_correction="$(python -c 'import datetime as d; print(d.datetime.now(d.UTC).isoformat())')"
wegings correct-item RVD-2026-0042 --personal-data \
  --reason "Bevat bij nader inzien persoonsgegevens (demo)"
wegings show-item RVD-2026-0042
step "Replay: as of before the correction, the answer given then"
wegings can-share RVD-2026-0042 --to smi --as-of "$before_correction"
step "Hindsight: the same moment with what we know now (personal data to a risicodienst)"
wegings can-share RVD-2026-0042 --to smi --as-of "$before_correction" --hindsight \
  || echo "(exit $?: in hindsight that transfer needed a permission)" >&2

step "A member leaves the CTG; a permission is revoked; a partner's name is corrected"
wegings leave smi ctg --reason "Syldavië treedt uit de CTG (demo)"
wegings groups
wegings --as minister.bz revoke-permission "$permission" --reason "Ingetrokken bij ministerieel besluit 2026/30 (demo)"
wegings permissions
wegings edit-partner bsv --name "Borduriaanse Staatsveiligheidsdienst" \
  --reason "Officiële naam volgens hun brief (demo)"
wegings show bsv --history

step "The audit trail (read by the overseer)"
wegings --as ctivd.toezicht audit log --limit 5
wegings --as ctivd.toezicht audit verify
wegings db status

printf '\nDemo database: %s\n' "$WEGINGS_DB" >&2
