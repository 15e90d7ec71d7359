#!/usr/bin/env bash
# The main job end to end on a throwaway demo database with clearly fictitious partners.
#
# On SQLite (the default) the demo database is a file in $DEMO_DIR (.demo). With
# WEGINGS_DATABASE_URL naming a PostgreSQL server as a login that may create databases and roles
# (its superuser; `make demo-postgres` starts a throwaway cluster), the demo creates a database
# wegings_demo there (dropping one left by an earlier run), sets it up as its owner (`db upgrade`,
# `db init-roles`), creates one login per person with psql and grants each its database role,
# then runs every step as that person's login: on a server the database user is who acts.
set -euo pipefail

demo_dir="${DEMO_DIR:-.demo}"
rm -rf "$demo_dir"
mkdir -p "$demo_dir"
here="$(cd "$(dirname "$0")" && pwd)"

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

# The demo's people: login, full name, function, role.
PEOPLE=(
  "h.de.boer|mr. H. de Boer|directeur-generaal|dg"
  "minister.bz|mr. A. de Vries|minister van Binnenlandse Zaken en Koninkrijksrelaties|minister"
  "j.jansen|J. Jansen|medewerker liaisonbureau|desk"
  "demo.analist|drs. A. Analist|senior analist|assessor"
  "ctivd.toezicht|mr. C. Toezicht|toezichthouder CTIVD|overseer"
)

server_url="${WEGINGS_DATABASE_URL:-}"

# `url_as LOGIN [DATABASE]`: the server URL logging in as LOGIN (no password in it; libpq
# reads it from PGPASSFILE), on the demo database; LOGIN "" keeps the URL's own login.
url_as() {
  python - "$server_url" "$1" "${2:-wegings_demo}" <<'PY'
import sys
from sqlalchemy.engine import make_url

url, login, database = sys.argv[1:]
parsed = make_url(url).set(database=database)
if login:
    parsed = parsed.set(username=login, password=None)
print(parsed.render_as_string(hide_password=False))
PY
}

# `owner_sql SQL...`: psql as the server login the demo was given (libpq's URL, no driver).
owner_sql() {
  local url="${owner_url/postgresql+psycopg:/postgresql:}"
  PGOPTIONS="-c client_min_messages=warning" \
    psql --quiet --no-psqlrc --set ON_ERROR_STOP=1 --dbname "$url" "${@/#/--command=}" >/dev/null
}

# `owner_query SQL`: the same, printing the rows as a table.
owner_query() {
  local url="${owner_url/postgresql+psycopg:/postgresql:}"
  psql --no-psqlrc --set ON_ERROR_STOP=1 --dbname "$url" --command="$1"
}

if [ -n "$server_url" ]; then
  command -v psql >/dev/null 2>&1 || {
    echo "demo: the PostgreSQL demo creates its logins with psql, which is not installed." >&2
    exit 1
  }
  unset WEGINGS_DB
  step "A server database for the team: created, set up by its owner, one login per person"
  owner_url="$(url_as "" postgres)"
  owner_sql "DROP DATABASE IF EXISTS wegings_demo WITH (FORCE)" "CREATE DATABASE wegings_demo"
  owner_url="$(url_as "")"
  # The owner sets the database up; who acts is its login (no WEGINGS_USER to claim another).
  env -u WEGINGS_USER WEGINGS_DATABASE_URL="$owner_url" wegings db upgrade
  env -u WEGINGS_USER WEGINGS_DATABASE_URL="$owner_url" wegings db init-roles
  # Each person's password goes into a private passfile (never into a URL) that libpq reads.
  PGPASSFILE="$(cd "$demo_dir" && pwd)/pgpass"
  export PGPASSFILE
  (umask 077 && : >"$PGPASSFILE")
  for person in "${PEOPLE[@]}"; do
    IFS='|' read -r login _ _ role <<<"$person"
    password="$(python -c 'import secrets; print(secrets.token_hex(12))')"
    printf '*:*:wegings_demo:%s:%s\n' "$login" "$password" >>"$PGPASSFILE"
    # Roles belong to the whole cluster: one left by an earlier run (or made by the tests) gets
    # the new password and loses every role it was a member of, then gets its demo role only.
    owner_sql "DO \$\$ BEGIN CREATE ROLE \"$login\" LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" \
      "ALTER ROLE \"$login\" LOGIN PASSWORD '$password'" \
      "DO \$\$ DECLARE held text; BEGIN FOR held IN SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = '$login' LOOP EXECUTE format('REVOKE %I FROM %I', held, '$login'); END LOOP; END \$\$" \
      "GRANT wegings_$role TO \"$login\""
  done
  echo "Logins: ${PEOPLE[*]%%|*}, each with its database role (GRANT wegings_ROLE TO login)." >&2
else
  export WEGINGS_DB="$demo_dir/wegings-demo.db"
  unset WEGINGS_DATABASE_URL
fi

# `act LOGIN` makes LOGIN the acting person of the commands that follow; `as LOGIN wegings ...`
# runs one command as LOGIN. On SQLite that is who --as (WEGINGS_USER) names, checked against
# the people register; on a server the login itself, checked by the server.
act() {
  export WEGINGS_USER="$1"
  if [ -n "$server_url" ]; then
    WEGINGS_DATABASE_URL="$(url_as "$1")"
    export WEGINGS_DATABASE_URL
  fi
}
as() {
  local who="$1"
  [ "${2:-}" = wegings ] || {
    echo "demo: write \`as LOGIN wegings COMMAND...\`" >&2
    exit 2
  }
  shift 2
  if [ -n "$server_url" ]; then
    WEGINGS_DATABASE_URL="$(url_as "$who")" WEGINGS_USER="$who" wegings "$@"
  else
    wegings --as "$who" "$@"
  fi
}

step "The people register: the DG registers first, then the team (every action by a known person)"
act h.de.boer
if [ -n "$server_url" ]; then
  # On a server the roles are the logins' database roles, granted above.
  for person in "${PEOPLE[@]}"; do
    IFS='|' read -r login name function _ <<<"$person"
    wegings person add "$login" --name "$name" --function "$function"
  done
  wegings person grant j.jansen assessor --reason "Ook beoordelaar (demo)" \
    || echo "(refused: on a server the database owner grants roles)" >&2
  owner_sql 'GRANT wegings_assessor TO "j.jansen"'
  owner_sql 'REVOKE wegings_assessor FROM "j.jansen"'
  echo "Granted, then revoked wegings_assessor for j.jansen (scheiding van taken)." >&2
  echo "The logins' database roles (psql):" >&2
  logins="$(printf "'%s'," "${PEOPLE[@]%%|*}")"
  owner_query "SELECT m.rolname AS login, string_agg(g.rolname, ', ' ORDER BY g.rolname) AS roles
    FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member JOIN pg_roles g ON g.oid = a.roleid
    WHERE m.rolname IN (${logins%,}) GROUP BY m.rolname ORDER BY 1"
else
  for person in "${PEOPLE[@]}"; do
    IFS='|' read -r login name function role <<<"$person"
    wegings person add "$login" --name "$name" --function "$function" --role "$role"
  done
  wegings person grant j.jansen assessor --reason "Ook beoordelaar voor de liaison (demo)"
  wegings person revoke j.jansen assessor --reason "Toch niet: scheiding van taken (demo)"
fi
wegings people

# From here on the desk officer acts, unless a command says otherwise.
act j.jansen

step "Register fictitious partner services (country codes XA–XZ are user-assigned)"
wegings new-partner "Ruritaanse Veiligheidsdienst" --short rvd --country XR --kind civil \
  --group CTG --notes "Demo partner; not a real service."
wegings new-partner "Syldavische Militaire Inlichtingendienst" --short smi --country XS \
  --kind military --group CTG
wegings new-partner "Borduriaanse Staatsveiligheid" --short bsv --country XB --kind combined

step "Role checks: nobody acts outside the register (or, on a server, as another login); the overseer changes nothing"
wegings --as k.klaas new-partner "Dienst X" --short xx --country XX --kind civil \
  || echo "(refused, as it must be)" >&2
as ctivd.toezicht wegings flag rvd --reason "Onrust (demo)" || echo "(refused, as it must be)" >&2

step "The register"
wegings partners
step "Members of the CTG"
wegings partners --group CTG
step "One partner in detail"
wegings show rvd

step "Weigh the five criteria from answers files (one standaard, one verhoogd)"
wegings score rvd --answers "$here/demo/rvd-standaard.toml" \
  || echo "(refused: scoring is for an assessor)" >&2
as demo.analist wegings score rvd --answers "$here/demo/rvd-standaard.toml"
as demo.analist wegings score smi --answers "$here/demo/smi-verhoogd.toml"

step "Establishment: by the role given, never by the author, and a verhoogd note only by the minister"
wegings establish rvd --role dg || echo "(refused: the desk officer is no DG)" >&2
as h.de.boer wegings establish smi --role dg || echo "(refused, as it must be)" >&2
as h.de.boer wegings establish rvd --role dg --decision "DG-besluit 2026/114 (demo)"
as minister.bz wegings establish smi --role minister --decision "Ministerieel besluit 2026/7 (demo)"

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
permission="$(as minister.bz wegings permit AIVD-2026-7 --to smi --role minister \
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
as minister.bz wegings revoke-permission "$permission" --reason "Ingetrokken bij ministerieel besluit 2026/30 (demo)"
wegings permissions
wegings edit-partner bsv --name "Borduriaanse Staatsveiligheidsdienst" \
  --reason "Officiële naam volgens hun brief (demo)"
wegings show bsv --history

step "The audit trail (read by the overseer)"
as ctivd.toezicht wegings audit log --limit 5
as ctivd.toezicht wegings audit verify
wegings db status

step "Tamper evidence for the CTIVD: a log key, a signed checkpoint, a consistency proof, a dossier"
# The log key lives in the demo folder (made anew each run); its verifier key goes to the overseer.
export WEGINGS_LOG_KEY="$demo_dir/log.key"
verifier_key="$(wegings audit key init --origin demo.wegings.example/audit 2>/dev/null)"
printf '%s\n' "$verifier_key" >"$demo_dir/verifier-key.txt"
echo "Created the log key $WEGINGS_LOG_KEY; the overseer keeps its verifier key: $verifier_key" >&2
wegings audit checkpoint -o "$demo_dir/checkpoint.txt"
echo "Signed a checkpoint of the whole trail (checked first): the overseer keeps it." >&2
as ctivd.toezicht wegings audit verify --checkpoint "$demo_dir/checkpoint.txt" --key "$verifier_key"
echo "The database's trail extends the checkpoint, checked with the overseer's verifier key." >&2
wegings flag smi --reason "Nieuwe berichten over de dienst (demo)"
wegings audit prove --since "$demo_dir/checkpoint.txt" -o "$demo_dir/since-checkpoint.proof"
echo "One more event; a consistency proof from the kept checkpoint to the trail now." >&2
# The overseer checks it with the proof and the key alone: no database (none where it points).
env -u WEGINGS_DATABASE_URL WEGINGS_DB="$demo_dir/no-database-here.db" wegings audit check-proof \
  "$demo_dir/since-checkpoint.proof" --key "$demo_dir/verifier-key.txt" \
  --checkpoint "$demo_dir/checkpoint.txt"
echo "Checked offline: nothing before the kept checkpoint was changed or removed." >&2
wegings export "$demo_dir/dossier"
as ctivd.toezicht wegings export verify "$demo_dir/dossier" --key "$verifier_key"
echo "The dossier verifies with the overseer's key (wegings export verify)." >&2
(cd "$demo_dir/dossier" && python verify.py --key "$verifier_key")
echo "And with the bag's own verify.py: nothing but Python and cryptography." >&2

if [ -n "$server_url" ]; then
  printf '\nDemo database: %s\n' "$(wegings db path)" >&2
else
  printf '\nDemo database: %s\n' "$WEGINGS_DB" >&2
fi
