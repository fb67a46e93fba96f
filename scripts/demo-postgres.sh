#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for demos and tests, run as the postgres user (PostgreSQL refuses
# root) in a directory it owns, listening on 127.0.0.1 only, with SCRAM-SHA-256 logins.
#   scripts/demo-postgres.sh start DIR PORT < PASSWORD  creates (once) and starts; role "app"
#                                                       owns database "demo" with deploy/demo
#                                                       data; its password is set to the one
#                                                       read from stdin (never an argument,
#                                                       which ps would show), on every start
#   scripts/demo-postgres.sh stop DIR
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
cmd=${1:?usage: demo-postgres.sh start DIR PORT < PASSWORD | stop DIR}
dir=${2:?DIR}
as_pg() { runuser -u postgres -- "$@"; }

if [[ "$cmd" == stop ]]; then
  [[ -f "$dir/data/postmaster.pid" ]] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  exit 0
fi
port=${3:?PORT}
IFS= read -r password || true
[[ "$password" =~ ^[A-Za-z0-9_-]+$ ]] || { echo "demo-postgres.sh: password on stdin: letters, digits, - and _ only" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$(dirname "$dir")"
install -d -o postgres -g postgres -m 700 "$dir"
chmod 700 "$dir"
fresh=0
if [[ ! -f "$dir/data/PG_VERSION" ]]; then
  as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >/dev/null
  fresh=1
fi
if ! as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=600" start >/dev/null
fi
psql_pg() { as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres "$@"; }
if ((fresh)); then
  psql_pg -d postgres -c "CREATE ROLE app LOGIN" -c "CREATE DATABASE demo OWNER app"
  psql_pg -d demo -c "SET ROLE app" -f - <"$root/deploy/demo/seed.sql"
fi
# Through stdin, so the password is in no process's arguments.
printf "ALTER ROLE app PASSWORD '%s';\n" "$password" | psql_pg -d postgres -f -
