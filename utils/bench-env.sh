#!/usr/bin/env bash
# Makes the benchmark peer's virtual environment: onnxruntime (CPU) from PyPI,
# pinned, in ${DLC_BENCH_VENV:-$HOME/.cache/dlc/bench-venv}. onnxruntime is a
# benchmark peer, and the reference of the trained-model test (which is
# UNSUPPORTED without it): nothing in dlc or its runtime needs it.
# Prints the venv's python path.
set -euo pipefail
venv="${DLC_BENCH_VENV:-$HOME/.cache/dlc/bench-venv}"
ORT_VERSION=1.32.0
py="$venv/bin/python"
if ! "$py" -c "import onnxruntime, numpy, onnx" 2>/dev/null; then
  # Any python >= 3.10 with venv and network access to PyPI (pyenv's, here).
  base="${DLC_BENCH_PYTHON:-python3}"
  "$base" -m venv "$venv" >&2
  "$py" -m pip install -q --upgrade pip >&2
  "$py" -m pip install -q "onnxruntime==$ORT_VERSION" numpy onnx >&2
fi
echo "$py"
