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

# The same model for 64-bit Arm, with its memory contract, run under qemu.
echo "== dlc examples/tiny_cnn.onnxtext -target=armv8 -o build/demo/tiny_cnn_armv8.so --report=build/demo/report.json"
build/bin/dlc examples/tiny_cnn.onnxtext -target=armv8 -o build/demo/tiny_cnn_armv8.so \
  --report=build/demo/report.json
/usr/bin/python3 -c "import json; r = json.load(open('build/demo/report.json')); \
print('RAM %d bytes (workspace %d + stack %d), flash %d bytes (code %d)' % (r['ram_bytes'], \
r['workspace_bytes'], r['stack']['max_bytes'], r['flash_bytes'], r['code_bytes']))"
if command -v qemu-aarch64 > /dev/null && [ -x build/bin/aarch64-linux-gnu/dlc-runner ]; then
  mkdir -p build/demo/armv8
  /usr/bin/python3 -c "import onnx, onnx.numpy_helper as h; \
h.to_array(onnx.load_tensor('build/demo/image.pb')).tofile('build/demo/armv8/input_0.bin')"
  echo "== qemu-aarch64 dlc-runner build/demo/tiny_cnn_armv8.so"
  qemu-aarch64 -L /usr/aarch64-linux-gnu build/bin/aarch64-linux-gnu/dlc-runner \
    build/demo/tiny_cnn_armv8.so build/demo/armv8 > /dev/null
  /usr/bin/python3 -c "import numpy as np; \
print('output 0 \'probs\' 1x3 (armv8):', ' '.join('%g' % v for v in np.fromfile('build/demo/armv8/output_0.bin', dtype=np.float32)))"
fi
