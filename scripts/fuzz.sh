#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/*_fuzz.cc) with clang, ASan and UBSan into
# build-fuzz/, and runs each briefly. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${WARDEN_FUZZ_SECONDS:-20}}
if [[ ! -f build-fuzz/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWARDEN_FUZZ=ON -DWARDEN_TESTS=OFF >/dev/null
fi
targets=$(cd tests/fuzz && ls ./*_fuzz.cc | sed 's|^\./||; s|\.cc$||')
# shellcheck disable=SC2086
ninja -C build-fuzz $targets
for t in $targets; do
  corpus=tests/fuzz/corpus/${t%_fuzz}
  work=$(mktemp -d)
  [[ -d "$corpus" ]] && cp -r "$corpus/." "$work/"
  echo "fuzz: $t for ${secs}s"
  build-fuzz/bin/"$t" -max_total_time="$secs" -print_final_stats=1 "$work" 2>&1 | tail -n 4
  rm -rf "$work"
done
