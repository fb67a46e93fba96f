#!/usr/bin/env bash
# Installs what the tests need, builds, runs the fuzz targets briefly, then every unit and
# integration test through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh
scripts/fuzz.sh "${WARDEN_FUZZ_SECONDS:-15}"
ctest --test-dir build --output-on-failure
