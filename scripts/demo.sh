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

here="$(cd "$(dirname "$0")" && pwd)"
step "Weigh the five criteria from answers files (one standaard, one verhoogd)"
wegings score rvd --answers "$here/demo/rvd-standaard.toml"
wegings score smi --answers "$here/demo/smi-verhoogd.toml"

step "Establishment: four eyes, and a verhoogd note only by the minister"
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
wegings render rvd | head -n 12

step "The audit trail"
wegings audit log --limit 5
wegings audit verify
wegings db status

printf '\nDemo database: %s\n' "$WEGINGS_DB" >&2
