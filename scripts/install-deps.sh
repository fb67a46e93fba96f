#!/usr/bin/env bash
# Installs every Debian package Warden builds, runs and tests with. Idempotent: apt is called
# only when something is missing. Usage: scripts/install-deps.sh [--test]
set -euo pipefail
pkgs=(build-essential cmake ninja-build ccache pkg-config openssl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev libssl-dev
  libsqlite3-dev sqlite3 libspdlog-dev catch2 libpg-query-dev libre2-dev libasio-dev libcli11-dev
  libyaml-cpp-dev libcurl4-openssl-dev postgresql postgresql-client pgbouncer)
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=(clang libclang-rt-14-dev python3-pytest python3-psycopg2 python3-psycopg python3-cryptography
    libpostgresql-jdbc-java openjdk-17-jdk-headless ruby-pg php8.2-cli php8.2-pgsql python3-aiosmtpd)
  # node and npm (for the node-postgres compatibility test) come with the machine image; Debian's
  # nodejs package is installed only where there is none.
  command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi
