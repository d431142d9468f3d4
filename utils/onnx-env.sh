#!/usr/bin/env bash
# Makes a Python virtual environment with the onnx package at the version of
# dlc's ONNX C++ library (utils/build-onnx.sh), for the tools that need
# today's ONNX in Python: generating the current backend test suite
# (utils/gen_onnx_suite.py). In ${DLC_CACHE:-$HOME/.cache/dlc}/onnx-py-<ver>.
# Prints the venv's python path.
set -euo pipefail
version=$(sed -n 's/^ONNX_VERSION=//p' "$(dirname "$0")/build-onnx.sh")
venv="${DLC_CACHE:-$HOME/.cache/dlc}/onnx-py-$version"
py="$venv/bin/python"
if ! "$py" -c "import onnx, numpy; assert onnx.__version__ == '$version'" 2>/dev/null; then
  rm -rf "$venv"
  "${DLC_PYTHON:-python3}" -m venv "$venv" >&2
  "$py" -m pip install -q "onnx==$version" "numpy<3" >&2
fi
echo "$py"
