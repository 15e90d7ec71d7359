#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, listening only on a Unix socket in a temporary
# directory of its own: nothing on TCP, nothing left behind.
#
#   scripts/pg-cluster.sh start            start a new cluster; prints its URL
#   scripts/pg-cluster.sh standby PRIMARY  a read-only standby of PRIMARY (pg_basebackup -R); URL
#   scripts/pg-cluster.sh url DIR          the URL of the cluster in DIR
#   scripts/pg-cluster.sh stop DIR|URL     stop the cluster and remove its directory
#
# The URL is postgresql+psycopg://postgres@/wegings?host=DIR: the superuser `postgres` (trusted
# on the socket, whose directory only its owner can enter) and a database `wegings`; every other
# role logs in with a password (scram-sha-256), so authentication can be tested. Run as root, the
# server runs as the `postgres` OS user (PostgreSQL refuses root), and Debian's `postgresql`
# package is installed first when no server is found. Messages go to stderr, the URL to stdout.
set -euo pipefail

PORT=5432 # each cluster has a socket directory of its own, so the port never clashes

say() { printf 'pg-cluster: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

server_bindir() {
  # Debian keeps the server's programs out of PATH, one folder per major version: the newest.
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return 0
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return 0
  fi
  return 1
}

install_server() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "no PostgreSQL server is installed, and only root on Debian can install one here" \
      "(apt-get install postgresql)."
  fi
  say "installing Debian's postgresql package"
  # No default cluster: the tests start their own, and Debian's would listen on TCP.
  mkdir -p /etc/postgresql-common
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql >&2
}

# Run a server program as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

url_of() {
  echo "postgresql+psycopg://postgres@/wegings?host=$1&port=$PORT"
}

dir_of() {
  # DIR itself, or the host= of a URL this script printed.
  case "$1" in
  postgresql*)
    local query="${1#*\?}"
    local host="${query#*host=}"
    echo "${host%%&*}"
    ;;
  *) echo "$1" ;;
  esac
}

new_dir() {
  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/wegings-pg.XXXXXX")"
  chmod 700 "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$dir"
  fi
  echo "$dir"
}

configure() {
  # Settings for a throwaway cluster: the socket only, and no waiting on the disk.
  local dir="$1"
  as_owner tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF

# scripts/pg-cluster.sh
listen_addresses = ''
unix_socket_directories = '$dir'
port = $PORT
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
}

start_server() {
  local bindir="$1" dir="$2"
  if ! (cd "$dir" && as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    start >/dev/null); then
    tail -n 20 "$dir/server.log" >&2 || true
    rm -rf "$dir"
    die "the server did not start (its log is above)."
  fi
}

cmd_start() {
  local bindir dir
  bindir="$(server_bindir)" || {
    install_server
    bindir="$(server_bindir)" || die "the postgresql package installed no server programs."
  }
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    die "running as root, but there is no \`postgres\` OS user to run the server as."
  fi
  dir="$(new_dir)"
  if ! (cd "$dir" && as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1); then
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    die "initdb failed (its output is above)."
  fi
  as_owner tee "$dir/data/pg_hba.conf" >/dev/null <<EOF
# TYPE  DATABASE     USER      METHOD
local   all          postgres  trust
local   replication  postgres  trust
local   all          all       scram-sha-256
EOF
  configure "$dir"
  start_server "$bindir" "$dir"
  (cd "$dir" && as_owner "$bindir/psql" -q -h "$dir" -p "$PORT" -U postgres -d postgres \
    -c "CREATE DATABASE wegings" >/dev/null)
  say "started a cluster in $dir"
  url_of "$dir"
}

cmd_standby() {
  local primary bindir dir
  primary="$(dir_of "${1:?usage: pg-cluster.sh standby PRIMARY_DIR|URL}")"
  bindir="$(server_bindir)" || die "no PostgreSQL server is installed."
  dir="$(new_dir)"
  if ! (cd "$dir" && as_owner "$bindir/pg_basebackup" -h "$primary" -p "$PORT" -U postgres \
    -D "$dir/data" -R -X stream >"$dir/basebackup.log" 2>&1); then
    cat "$dir/basebackup.log" >&2
    rm -rf "$dir"
    die "pg_basebackup failed (its output is above)."
  fi
  configure "$dir"
  start_server "$bindir" "$dir"
  say "started a standby of $primary in $dir"
  url_of "$dir"
}

cmd_stop() {
  local dir bindir
  dir="$(dir_of "${1:?usage: pg-cluster.sh stop DIR|URL}")"
  case "$(basename "$dir")" in
  wegings-pg.*) ;;
  *) die "$dir is not a directory this script made; nothing was stopped." ;;
  esac
  [ -d "$dir" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ] && bindir="$(server_bindir)"; then
    (cd "$dir" && as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1) ||
      true
  fi
  rm -rf "$dir"
  say "stopped and removed $dir"
}

case "${1:-}" in
start) cmd_start ;;
standby) cmd_standby "${2:-}" ;;
url) url_of "$(dir_of "${2:?usage: pg-cluster.sh url DIR}")" ;;
stop) cmd_stop "${2:-}" ;;
*)
  sed -n '5,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
