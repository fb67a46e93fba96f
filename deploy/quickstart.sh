#!/usr/bin/env bash
# Warden quickstart: installs dependencies, builds, and starts the whole stack on this machine
# with the embedded defaults (SQLite store, generated dev certificates), then configures
# wardenctl. Idempotent: run it again and it keeps what is running.
#   deploy/quickstart.sh          start (or keep) the stack
#   deploy/quickstart.sh --stop   stop it
# Environment: WARDEN_VAR (state dir, default ./var), WARDEN_CP_LISTEN (127.0.0.1:7443),
# WARDEN_GW_AGENT_LISTEN (127.0.0.1:7444), WARDEN_GW_TUNNEL_LISTEN (127.0.0.1:7445),
# WARDEN_GW_PG_LISTEN (127.0.0.1:15432),
# WARDEN_DEMO_PG_PORT (5433), WARDEN_CONFIG (wardenctl config file, default
# ~/.config/warden/config.yaml), WARDEN_AGENT_NAME (local-agent).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
var=$(mkdir -p "${WARDEN_VAR:-$root/var}" && cd "${WARDEN_VAR:-$root/var}" && pwd)
cp_listen=${WARDEN_CP_LISTEN:-127.0.0.1:7443}
gw_agents=${WARDEN_GW_AGENT_LISTEN:-127.0.0.1:7444}
gw_tunnels=${WARDEN_GW_TUNNEL_LISTEN:-127.0.0.1:7445}
gw_pg=${WARDEN_GW_PG_LISTEN:-127.0.0.1:15432}
demo_pg_port=${WARDEN_DEMO_PG_PORT:-5433}
config=${WARDEN_CONFIG:-$HOME/.config/warden/config.yaml}
agent_name=${WARDEN_AGENT_NAME:-local-agent}
# PostgreSQL runs as the postgres user, which cannot enter a root-only directory such as ./var
# (mode 0700) or /root: its cluster lives in postgres's home, one per state directory.
demo_pg_dir=${WARDEN_DEMO_PG_DIR:-/var/lib/postgresql/warden-demo-$(printf %s "$var" | sha256sum | cut -c1-12)}
bin=$root/build/bin
run=$var/run
log=$var/log

running() { [[ -f "$run/$1.pid" ]] && kill -0 "$(cat "$run/$1.pid")" 2>/dev/null; }

stop_one() {
  running "$1" || { rm -f "$run/$1.pid"; return 0; }
  local pid; pid=$(cat "$run/$1.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$run/$1.pid"
  echo "stopped $1"
}

if [[ "${1:-}" == "--stop" ]]; then
  for p in agent gateway controlplane; do stop_one "$p"; done
  "$root/scripts/demo-postgres.sh" stop "$demo_pg_dir" && echo "stopped demo postgres"
  exit 0
fi

# wait_for DESCRIPTION SECONDS COMMAND...: polls a real condition with a deadline.
wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "error: timed out after ${secs}s waiting for $what (logs: $log)" >&2
      exit 1
    fi
    sleep 0.2
  done
}

start() {  # start NAME BINARY ARGS...
  local name=$1; shift
  if running "$name"; then echo "$name already running (pid $(cat "$run/$name.pid"))"; return; fi
  nohup "$@" >>"$log/$name.log" 2>&1 &
  echo $! >"$run/$name.pid"
  echo "started $name (pid $!, log $log/$name.log)"
}

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" >/dev/null
mkdir -p "$run" "$log"
chmod 700 "$var"
"$root/scripts/dev-certs.sh" "$var/certs"
[[ -s "$var/master.key" ]] || (umask 077; echo "k1:$(openssl rand -hex 32)" >"$var/master.key")

start controlplane "$bin/warden-controlplane" --listen "$cp_listen" --db "$var/warden.db" \
  --master-key-file "$var/master.key" --tls-cert "$var/certs/server.crt" \
  --tls-key "$var/certs/server.key" --admin-token-file "$var/admin.token"
wait_for "the first admin token" 20 test -s "$var/admin.token"

mkdir -p "$(dirname "$config")"
(umask 077; cat >"$config" <<CFG
# written by deploy/quickstart.sh
server: $cp_listen
token_file: $var/admin.token
ca_file: $var/certs/ca.crt
CFG
)
export WARDEN_CONFIG=$config
ctl() { "$bin/wardenctl" "$@"; }
wait_for "the control plane at $cp_listen" 20 ctl agents list

# json_field FIELD: one field of the JSON object on stdin.
json_field() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# The gateway's own token (only its hash is stored); a lost one is replaced by a rotation.
if [[ ! -s "$var/gateway.token" ]]; then
  (umask 077
   { ctl gateways create quickstart-gw -o json 2>/dev/null ||
     ctl gateways rotate quickstart-gw --grace 0 -o json; } | json_field token >"$var/gateway.token")
fi
start gateway "$bin/warden-gateway" --listen-agents "$gw_agents" \
  --listen-postgres "$gw_pg" --listen-tunnels "$gw_tunnels" \
  --controlplane "$cp_listen" --ca-file "$var/certs/ca.crt" --tls-cert "$var/certs/server.crt" \
  --tls-key "$var/certs/server.key" --token-file "$var/gateway.token"

# The agent pins the control plane's signing key and enrols its identity key (created in
# $var/agent.key by the agent itself) before its first connection, so that no gateway is trusted
# with either.
if [[ ! -s "$var/agent.token" || ! -s "$var/controlplane.key" ]]; then
  # A lost token cannot be recovered (only its hash is stored): replace the agent.
  ctl agents delete "$agent_name" >/dev/null 2>&1 || true
  identity_key=$("$bin/warden-agent" --identity-key-file "$var/agent.key" --print-identity-key)
  created=$(ctl agents create "$agent_name" --identity-key "$identity_key" -o json)
  (umask 077
   json_field token <<<"$created" >"$var/agent.token"
   json_field controlplane_key <<<"$created" >"$var/controlplane.key")
fi
start agent "$bin/warden-agent" --name "$agent_name" --gateway "$gw_agents" \
  --ca-file "$var/certs/ca.crt" --token-file "$var/agent.token" \
  --identity-key-file "$var/agent.key" --controlplane-key "$(cat "$var/controlplane.key")"

agent_connected() {
  ctl agents list -o json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(a["name"] == sys.argv[1] and a["connected"] and
                  int(a["applied_policy_version"]) == int(d["current_policy_version"])
                  for a in d["agents"]) else 1)' "$agent_name"
}
wait_for "agent $agent_name to connect" 30 agent_connected

# The demo database: a real PostgreSQL with customers (emails, card numbers, SSNs) and orders.
# Its password lives only in this shell: each run sets a fresh one on the role and seals it into
# the connection's credential, so it is never written anywhere in plain text.
demo_password=$(openssl rand -hex 16)
printf '%s\n' "$demo_password" | "$root/scripts/demo-postgres.sh" start "$demo_pg_dir" "$demo_pg_port"
if ! ctl connections get demo >/dev/null 2>&1; then
  ctl connections create demo --agent "$agent_name" --host 127.0.0.1 --port "$demo_pg_port" \
    --database demo --tls-mode disable >/dev/null 2>&1
fi
printf '%s' "$demo_password" | ctl credentials set demo --username app --password-stdin >/dev/null
unset demo_password
ctl policies apply -f "$root/deploy/policies/demo-access.yaml" >/dev/null
wait_for "agent $agent_name to apply the current policy" 30 agent_connected
token=$(ctl tokens create --identity demo-user --group ai-agents --ttl 8h 2>/dev/null)
(umask 077; echo "$token" >"$var/demo.token")
pg_host=${gw_pg%:*}
pg_port=${gw_pg##*:}

cat <<MSG

Warden is running.
  control plane  $cp_listen   (store $var/warden.db)
  gateway        $gw_agents   (agents dial here), $gw_pg (PostgreSQL clients)
  agent          $agent_name
  demo database  127.0.0.1:$demo_pg_port, registered as connection "demo" ($demo_pg_dir)

Connect through Warden with a token (valid 8 hours, saved in $var/demo.token):
  PGPASSWORD=\$(cat $var/demo.token) psql "host=$pg_host port=$pg_port dbname=demo user=demo sslmode=require"

wardenctl is configured ($config):
  $bin/wardenctl agents list
  $bin/wardenctl policies apply -f deploy/policies/agents-guardrails.yaml
Stop everything with: deploy/quickstart.sh --stop
MSG
ctl agents list
