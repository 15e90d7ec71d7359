#!/usr/bin/env bash
# Run a command (the tests, the demo) with WEGINGS_TEST_DATABASE_URL naming a PostgreSQL server.
# A URL already set is used as it is; otherwise a throwaway cluster is started
# (scripts/pg-cluster.sh) and stopped when the command ends. When no server can be had, CI
# (CI=true) fails, and so does `with-postgres.sh --required CMD` (the command needs the server);
# elsewhere the command runs on SQLite alone, and says so.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
required=false
if [ "${1:-}" = "--required" ]; then
  required=true
  shift
fi

if [ -n "${WEGINGS_TEST_DATABASE_URL:-}" ]; then
  exec "$@"
fi
if url="$("$here/pg-cluster.sh" start)"; then
  trap '"$here/pg-cluster.sh" stop "$url"' EXIT
  trap 'exit 130' INT TERM
  export WEGINGS_TEST_DATABASE_URL="$url"
  "$@"
  exit $?
fi
if [ "$required" = true ]; then
  echo "with-postgres: no PostgreSQL server could be started (see above), and this needs one." >&2
  exit 1
fi
case "${CI:-}" in
1 | true | TRUE | True | yes)
  echo "with-postgres: no PostgreSQL server could be started (see above), and CI needs one." >&2
  exit 1
  ;;
esac
echo "with-postgres: no PostgreSQL server could be started (see above): the tests run on SQLite" \
  "only and the PostgreSQL ones are skipped. Set WEGINGS_TEST_DATABASE_URL to a server's" \
  "postgresql+psycopg:// URL to run them." >&2
exec "$@"
