#!/usr/bin/env bash
# Runs the whole lit suite against an ASan + UBSan build of dlc, its tools
# and the runtime (docs/reliability.md, "Sanitizers"):
#   bash utils/sanitize.sh            (about 20-40 minutes on 2 cores)
# The build is the fuzzing build (build-fuzz/, the configuration of
# utils/fuzz.sh: clang-22, -fsanitize=address,undefined with libFuzzer's
# coverage on dlc's own code; LLVM, MLIR, ONNX and protobuf are the
# uninstrumented libraries), so fuzzing and this run share one build. Every
# UBSan report aborts (-fno-sanitize-recover), so a report fails its test.
# Generated artifacts are native code from LLVM and are not instrumented;
# the runtime that loads and runs them is. Leak checking is on for every
# process (the runtime's own leak test is test/runtime/checks.test).
set -euo pipefail
cd "$(dirname "$0")/.."
utils/install-deps.sh
onnx=$(utils/build-onnx.sh)
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DDLC_ONNX_ROOT="$onnx" -DDLC_FUZZ=ON > build-fuzz.log 2>&1 || { cat build-fuzz.log; exit 1; }
ninja -C build-fuzz -j "${DLC_JOBS:-2}"
utils/onnx-env.sh > /dev/null || true
{ bench_py=$(utils/bench-env.sh) && "$bench_py" utils/trained_models.py fetch; } > /dev/null || true
# Reports go to files (log_path), one per reporting process, so that a
# report inside a test that expects a failure (`not dlc bad.onnx`) is seen
# too; the run fails if any was written.
reports=$PWD/build-fuzz/sanitizer-reports
rm -rf "$reports" && mkdir -p "$reports"
export ASAN_OPTIONS="detect_leaks=1:log_path=$reports/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
log=build-fuzz/sanitize.log
status=0
/usr/lib/llvm-22/bin/lit -sv --timeout 1800 build-fuzz/test > "$log" 2>&1 || status=$?
grep -E "^(FAIL|UNRESOLVED|TIMEOUT):" "$log" || true
grep -E "^ *(Passed|Failed|Unsupported|Expectedly Failed|Unresolved|Timed Out) *:" "$log" || true
found=$(ls "$reports" | wc -l)
echo "sanitize: lit exit $status, $found sanitizer report(s) in $reports"
[ "$status" -eq 0 ] && [ "$found" -eq 0 ]
