#!/usr/bin/env bash
# The README's first command: set up, build, compile the bundled example
# model to a shared object, and run it on a sample input.
set -euo pipefail
cd "$(dirname "$0")/.."
utils/install-deps.sh
utils/build.sh
mkdir -p build/demo
echo "== dlc examples/tiny_cnn.onnxtext -target=host -o build/demo/tiny_cnn.so"
build/bin/dlc examples/tiny_cnn.onnxtext -target=host -o build/demo/tiny_cnn.so
/usr/bin/python3 utils/make_tensor.py build/demo/image.pb --shape 1x1x8x8 --seed 1
echo "== dlc-run build/demo/tiny_cnn.so --input build/demo/image.pb"
build/bin/dlc-run build/demo/tiny_cnn.so --input build/demo/image.pb --repeat 100
