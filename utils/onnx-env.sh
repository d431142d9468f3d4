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
# ml_dtypes is pinned too: it computes the reference outputs of the small
# types, and 0.7 changed them (float -> int2 out of range gives 0 where 0.5
# wraps, so test_cast_FLOAT16_to_INT2's expected output changed under a fresh
# install).
ML_DTYPES_VERSION=0.5.4
if ! "$py" -c "import onnx, numpy, ml_dtypes; assert onnx.__version__ == '$version'; assert ml_dtypes.__version__ == '$ML_DTYPES_VERSION'" 2>/dev/null; then
  rm -rf "$venv"
  "${DLC_PYTHON:-python3}" -m venv "$venv" >&2
  "$py" -m pip install -q "onnx==$version" "ml_dtypes==$ML_DTYPES_VERSION" "numpy<3" >&2
fi
echo "$py"
