#!/usr/bin/env bash
# Builds the ONNX C++ library (checker, shape inference with data
# propagation, parser, version converter, every schema up to its newest
# opset) from ONNX's source distribution on PyPI, pinned by version and
# sha256, into a cache that rebuilt trees and fresh clones reuse:
#   ${DLC_CACHE:-$HOME/.cache/dlc}/onnx-<version>   (an install prefix)
# Debian 12 ships only ONNX 1.12 (IR 8, opset 17), which rejects the models
# current exporters write. Uses Debian's protobuf; ONNX's CMake wants a
# newer CMake than Debian's, which comes from PyPI into a venv in the cache.
# Nothing of ONNX's source is kept in the repository. Prints the prefix.
set -euo pipefail
ONNX_VERSION=1.23.2
ONNX_SHA256=008cb0467b2bbee41448acc7da8b6f4e704624cb0d327a2d5adafc7ce19bc5b8
ONNX_URL=https://files.pythonhosted.org/packages/3f/62/bc2dfadb63ecf04cb2d65a6b17751863039d36c65de51d6a3128ab35f1e7/onnx-$ONNX_VERSION.tar.gz
CMAKE_PIN="cmake==3.31.10"

cache="${DLC_CACHE:-$HOME/.cache/dlc}"
prefix="$cache/onnx-$ONNX_VERSION"
if [ -f "$prefix/lib/cmake/ONNX/ONNXConfig.cmake" ]; then
  echo "$prefix"
  exit 0
fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/onnx-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A CMake new enough for ONNX's CMakeLists (3.26+), kept in the cache.
cmake_venv="$cache/cmake-venv"
if ! "$cmake_venv/bin/cmake" --version >/dev/null 2>&1; then
  "${DLC_PYTHON:-python3}" -m venv "$cmake_venv" >&2
  "$cmake_venv/bin/pip" install -q "$CMAKE_PIN" >&2
fi

echo "build-onnx: fetching onnx-$ONNX_VERSION.tar.gz" >&2
curl -fsSL --retry 3 -o "$work/onnx.tar.gz" "$ONNX_URL"
echo "$ONNX_SHA256  $work/onnx.tar.gz" | sha256sum -c --quiet - >&2
tar -xzf "$work/onnx.tar.gz" -C "$work"

echo "build-onnx: building ONNX $ONNX_VERSION (about 2-5 minutes)" >&2
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
"$cmake_venv/bin/cmake" -S "$work/onnx-$ONNX_VERSION" -B "$work/build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  "${launcher[@]}" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  -DONNX_ML=ON -DONNX_NAMESPACE=onnx -DONNX_USE_PROTOBUF_SHARED_LIBS=ON \
  -DONNX_BUILD_TESTS=OFF -DONNX_BUILD_PYTHON=OFF -DONNX_GEN_PB_TYPE_STUBS=OFF \
  -DCMAKE_INSTALL_PREFIX="$work/install" > "$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; exit 1; }
ninja -C "$work/build" -j "${DLC_JOBS:-2}" install >> "$work/build.log" 2>&1 ||
  { tail -50 "$work/build.log" >&2; exit 1; }
# Moved into place only when complete, so an interrupted build is redone.
rm -rf "$prefix"
mv "$work/install" "$prefix"
echo "$prefix"
