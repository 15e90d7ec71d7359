#!/usr/bin/env bash
# Run the tests (the pytest command given, with its arguments) on SQLite, then the same again
# with --backend=postgres when WEGINGS_TEST_DATABASE_URL names a server (scripts/with-postgres.sh
# sets it): every test with a database of its own then runs on a fresh PostgreSQL database too.
# Both passes run; the exit code is the first failure's. A PostgreSQL pass that selects nothing
# (the tests given use no database) is no failure.
set -uo pipefail

"$@"
sqlite=$?
if [ -z "${WEGINGS_TEST_DATABASE_URL:-}" ]; then
  exit "$sqlite"
fi
printf '\nboth-backends: the same tests on PostgreSQL (--backend=postgres)\n' >&2
"$@" --backend=postgres
postgres=$?
if [ "$postgres" = 5 ]; then # pytest: no tests collected
  postgres=0
fi
if [ "$sqlite" != 0 ]; then
  exit "$sqlite"
fi
exit "$postgres"
