#!/usr/bin/env bash
# The main job end to end on a throwaway demo database with clearly fictitious partners.
set -euo pipefail

demo_dir="${DEMO_DIR:-.demo}"
rm -rf "$demo_dir"
mkdir -p "$demo_dir"
export WEGINGS_DB="$demo_dir/wegings-demo.db"
export WEGINGS_USER="demo.analist"
unset WEGINGS_DATABASE_URL

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "Register fictitious partner services (country codes XA–XZ are user-assigned)"
wegings new-partner "Ruritaanse Veiligheidsdienst" --short rvd --country XR --kind civil \
  --group CTG --notes "Demo partner; not a real service."
wegings new-partner "Syldavische Militaire Inlichtingendienst" --short smi --country XS \
  --kind military --group CTG
wegings new-partner "Borduriaanse Staatsveiligheid" --short bsv --country XB --kind combined

step "The register"
wegings partners
step "Members of the CTG"
wegings partners --group CTG
step "One partner in detail"
wegings show rvd

step "The audit trail"
wegings audit log --limit 5
wegings audit verify
wegings db status

printf '\nDemo database: %s\n' "$WEGINGS_DB" >&2
