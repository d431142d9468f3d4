"""Writes a small CNN for post-training quantization tests (seeded weights):
Conv+Relu, a depthwise Conv+Clip(0, 6), a MatMul of two activations,
GlobalAveragePool, a MatMul by transposed weights and a Gemm classifier; and calibration samples in both
layouts dlc reads: OUT/calib/sample_K/input_0.pb and OUT/calib_npy/x.npy.

  python make_ptq_model.py OUT [--opset N]"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
opset = int(sys.argv[3]) if len(sys.argv) > 3 else 13
rng = np.random.default_rng(7)
w1 = rng.standard_normal((8, 3, 3, 3)).astype(np.float32) * 0.3
b1 = rng.standard_normal(8).astype(np.float32) * 0.1
w2 = rng.standard_normal((8, 1, 3, 3)).astype(np.float32) * 0.3
b2 = rng.standard_normal(8).astype(np.float32) * 0.1
w3 = rng.standard_normal((4, 8)).astype(np.float32) * 0.5
b3 = rng.standard_normal(4).astype(np.float32) * 0.1
w4 = rng.standard_normal((8, 8)).astype(np.float32) * 0.4
inits = [numpy_helper.from_array(a, n) for a, n in
         [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"), (w3, "w3"),
          (b3, "b3"), (w4, "w4")]]
nodes = [
    helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1",
                     pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
    helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="dwconv",
                     pads=[1, 1, 1, 1], group=8),
]
if opset >= 11:
    inits += [numpy_helper.from_array(np.array(0, np.float32), "lo"),
              numpy_helper.from_array(np.array(6, np.float32), "hi")]
    nodes.append(helper.make_node("Clip", ["c2", "lo", "hi"], ["r2"], name="relu6"))
else:
    nodes.append(helper.make_node("Clip", ["c2"], ["r2"], name="relu6", min=0.0, max=6.0))
nodes += [
    helper.make_node("MatMul", ["r2", "r2"], ["mm"], name="selfmm"),
    helper.make_node("GlobalAveragePool", ["mm"], ["p"], name="pool"),
    helper.make_node("Flatten", ["p"], ["f"], name="flat"),
    # PyTorch's Linear as exported: MatMul(x, Transpose(W)).
    helper.make_node("Transpose", ["w4"], ["w4t"], name="w4t", perm=[1, 0]),
    helper.make_node("MatMul", ["f", "w4t"], ["lin"], name="linear"),
    helper.make_node("Gemm", ["lin", "w3", "b3"], ["y"], name="fc", transB=1),
]
graph = helper.make_graph(
    nodes, "ptq_small",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
model.ir_version = 7
os.makedirs(out, exist_ok=True)
onnx.save(model, os.path.join(out, "model.onnx"))
samples = rng.standard_normal((12, 1, 3, 8, 8)).astype(np.float32)
for k, s in enumerate(samples[:10]):
    d = os.path.join(out, "calib", "sample_%02d" % k)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(s, "x").SerializeToString())
os.makedirs(os.path.join(out, "calib_npy"), exist_ok=True)
np.save(os.path.join(out, "calib_npy", "x.npy"), samples[:10].reshape(10, 3, 8, 8))
for k, s in enumerate(samples[10:]):
    d = os.path.join(out, "heldout", "sample_%02d" % k)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(s, "x").SerializeToString())
