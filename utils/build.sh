#!/usr/bin/env bash
# Configures and builds dlc in build/ (Release, clang-22, ninja, 2 jobs).
set -euo pipefail
cd "$(dirname "$0")/.."
onnx=$(utils/build-onnx.sh)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DDLC_ONNX_ROOT="$onnx" > build.log 2>&1 || { cat build.log; exit 1; }
ninja -C build -j "${DLC_JOBS:-2}"
