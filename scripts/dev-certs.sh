#!/usr/bin/env bash
# Generates a development CA and one server certificate (for localhost and 127.0.0.1) that the
# control plane and the gateway both serve. Idempotent: existing files are kept.
# Usage: scripts/dev-certs.sh DIR
set -euo pipefail
dir=${1:?usage: dev-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
if [[ ! -s ca.key || ! -s ca.crt ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=Warden dev CA" -keyout ca.key -out ca.crt 2>/dev/null
fi
if [[ ! -s server.key || ! -s server.crt ]]; then
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 \
    -extfile server.ext -out server.crt 2>/dev/null
  rm -f server.csr server.ext
fi
chmod 600 ca.key server.key
