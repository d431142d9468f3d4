#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ (clang-22, ASan + UBSan +
# coverage) and runs each (import: model loading and import; compile: the
# whole compile of a model to an object; tensor: the tools' TensorProto
# files; runtime: the runtime's artifact and descriptor checks) for SECONDS
# (default 60):
#   bash utils/fuzz.sh [SECONDS] [JOBS]      (exit 3: something was found)
# Seeds: the minimized corpus in test/fuzz/corpus/<target> plus the models of
# Debian's ONNX backend suite; new inputs collect in ~/.cache/dlc/fuzz/<target>
# and are merged back into the repo corpus at the end (only inputs that add
# coverage). Crashes are written to build-fuzz/crashes/; each one found
# becomes a regression input under test/fuzz/regressions (docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=${2:-1}
onnx=$(utils/build-onnx.sh)
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DDLC_ONNX_ROOT="$onnx" -DDLC_FUZZ=ON > build-fuzz.log 2>&1 || { cat build-fuzz.log; exit 1; }
ninja -C build-fuzz -j "${DLC_JOBS:-2}" dlc-fuzz-import dlc-fuzz-compile dlc-fuzz-tensor \
  dlc-fuzz-runtime
mkdir -p build-fuzz/crashes
# Findings: crashes, leaks, time-outs (30 s) and out-of-memory inputs.
# libFuzzer's slow-unit-* files (an input slower than 10 s, still within
# the time-out) are reported apart, for profiling, and are not findings.
count() { ls build-fuzz/crashes | grep -c -E "^[a-z]+-($1)-" || true; }
kinds="crash|leak|timeout|oom"
before=$(count "$kinds")
slow_before=$(count slow-unit)
seeds=/usr/share/libonnx-testdata/data/node
for target in ${DLC_FUZZ_TARGETS:-import compile tensor runtime}; do
  work="${DLC_CACHE:-$HOME/.cache/dlc}/fuzz/$target"
  repo=test/fuzz/corpus/$target
  mkdir -p "$work" "$repo"
  extra=()
  [ -d "$seeds" ] && extra+=("$seeds")
  # The compile target starts from the importer's corpus as well.
  [ "$target" = compile ] && extra+=("$PWD/test/fuzz/corpus/import")
  # Runs in a scratch folder: models may name external data next to them.
  scratch=$(mktemp -d)
  (cd "$scratch" && ASAN_OPTIONS=detect_leaks=1 "$OLDPWD/build-fuzz/bin/dlc-fuzz-$target" \
      -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -max_len=262144 \
      -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
      -artifact_prefix="$OLDPWD/build-fuzz/crashes/$target-" \
      "$work" "$OLDPWD/$repo" "${extra[@]}") 2>&1 | tee "build-fuzz/$target.log" |
    grep -E "^(INFO: fuzzed|==[0-9]+==ERROR|SUMMARY|.*crash-)" || true
  grep -E "^#[0-9]+" "build-fuzz/$target.log" | tail -1
  # Keep the repo corpus minimal: only inputs that add coverage (merged in
  # the scratch folder too: the targets write files where they run).
  fresh=$(mktemp -d)
  (cd "$scratch" && "$OLDPWD/build-fuzz/bin/dlc-fuzz-$target" -merge=1 "$fresh" \
      "$OLDPWD/$repo" "$work") > /dev/null 2>&1 || true
  rm -rf "$scratch" "$repo" && mv "$fresh" "$repo"
done
found=$(( $(count "$kinds") - before ))
slow=$(( $(count slow-unit) - slow_before ))
echo "fuzz: $found new finding(s) in build-fuzz/crashes ($slow slow unit(s), not findings)"
# Exit 3 on findings, so callers can tell them from a failed build.
[ "$found" -eq 0 ] || exit 3
