#!/usr/bin/env bash
# Installs everything dlc needs to build and test on Debian 12 (bookworm):
# LLVM/MLIR 22, protobuf, Debian's ONNX backend test data, Debian's python3
# with onnx, numpy and torch (used by the tests), and a current ONNX C++
# library built from its PyPI source distribution (utils/build-onnx.sh,
# cached; Debian's libonnx-dev 1.12 is too old for today's models).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
PACKAGES=(
  cmake ninja-build ccache time
  llvm-22-dev libmlir-22-dev mlir-22-tools clang-22 lld-22 llvm-22-tools
  libclang-rt-22-dev
  libprotobuf-dev protobuf-compiler libonnx-testdata curl ca-certificates
  python3-venv
  python3-onnx python3-numpy python3-torch python3-torchvision python3-sklearn
  qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
"$(dirname "$0")/build-onnx.sh" > /dev/null
