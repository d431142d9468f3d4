"""Writes a small CNN for the --precision=bf16 tests (seeded weights) and its
bf16 reference, computed here in numpy (float64): every Conv, MatMul and
Gemm multiplies its two operands rounded to bf16 (to nearest, ties to even)
and sums exactly; biases and every other op stay float. The model: a 3x3
Conv+Relu on 3 channels, a 3x3 Conv+Relu on 8 (an even window row, as the
bf16 pair kernels need), a depthwise 3x3 Conv, a 1x1 Conv with a residual
Add, a MatMul of two activations, GlobalAveragePool, a MatMul by
Transpose(W) and a Gemm classifier.

  OUT/model.onnx, OUT/calib/sample_K/input_0.pb (4 samples),
  OUT/ref/model.onnx + OUT/ref/test_data_set_K/{input_0,output_0}.pb (2
  held-out samples with their bf16 reference, the layout dlc-check reads);
  OUT/mm and OUT/rr: two single-MatMul models for the kernels' edges (below)

  python make_bf16_model.py OUT"""
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(11)


def rand(*shape, s=0.3):
    return (rng.standard_normal(shape) * s).astype(np.float32)


w = {"w1": rand(8, 3, 3, 3), "b1": rand(8, s=0.1),
     "w2": rand(16, 8, 3, 3, s=0.2), "b2": rand(16, s=0.1),
     "w3": rand(16, 1, 3, 3), "b3": rand(16, s=0.1),
     "w4": rand(16, 16, 1, 1), "b4": rand(16, s=0.1),
     "w5": rand(12, 16, s=0.4), "w6": rand(5, 12, s=0.5), "b6": rand(5, s=0.1)}
nodes = [
    helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
    helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
    helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"], name="dwconv", pads=[1, 1, 1, 1], group=16),
    helper.make_node("Conv", ["c3", "w4", "b4"], ["c4"], name="pwconv"),
    helper.make_node("Add", ["c4", "r2"], ["s"], name="residual"),
    helper.make_node("MatMul", ["s", "s"], ["mm"], name="selfmm"),
    helper.make_node("GlobalAveragePool", ["mm"], ["p"], name="pool"),
    helper.make_node("Flatten", ["p"], ["f"], name="flat"),
    helper.make_node("Transpose", ["w5"], ["w5t"], name="w5t", perm=[1, 0]),
    helper.make_node("MatMul", ["f", "w5t"], ["lin"], name="linear"),
    helper.make_node("Gemm", ["lin", "w6", "b6"], ["y"], name="fc", transB=1),
]
graph = helper.make_graph(
    nodes, "bf16_small",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
    [numpy_helper.from_array(v, k) for k, v in w.items()])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 7
os.makedirs(out, exist_ok=True)
onnx.save(model, os.path.join(out, "model.onnx"))


def bf16(a):
    u = np.ascontiguousarray(a, np.float32).view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    return u.view(np.float32).astype(np.float64)


def conv(x, wt, b, groups=1, pad=1):
    n, c, h, wd = x.shape
    f, cg, kh, kw = wt.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, f, oh, ow))
    fg = f // groups
    for g in range(groups):
        for ky in range(kh):
            for kx in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg, ky:ky + oh, kx:kx + ow]
                y[:, g * fg:(g + 1) * fg] += np.einsum(
                    "nchw,fc->nfhw", patch, wt[g * fg:(g + 1) * fg, :, ky, kx])
    return y + b.reshape(1, f, 1, 1)


def reference(x):
    r1 = np.maximum(conv(bf16(x), bf16(w["w1"]), w["b1"]), 0)
    r2 = np.maximum(conv(bf16(r1), bf16(w["w2"]), w["b2"]), 0)
    c3 = conv(bf16(r2), bf16(w["w3"]), w["b3"], groups=16)
    s = conv(bf16(c3), bf16(w["w4"]), w["b4"], pad=0) + r2
    mm = bf16(s) @ bf16(s)
    f = mm.mean(axis=(2, 3))
    lin = bf16(f) @ bf16(w["w5"]).T
    return bf16(lin) @ bf16(w["w6"]).T + w["b6"]


def save(path, a, name):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(a, name).SerializeToString())


samples = rng.standard_normal((6, 1, 3, 8, 8)).astype(np.float32)
for k, s in enumerate(samples[:4]):
    save(os.path.join(out, "calib", "sample_%d" % k, "input_0.pb"), s, "x")
os.makedirs(os.path.join(out, "ref"), exist_ok=True)
shutil.copy(os.path.join(out, "model.onnx"), os.path.join(out, "ref"))
for k, s in enumerate(samples[4:]):
    d = os.path.join(out, "ref", "test_data_set_%d" % k)
    save(os.path.join(d, "input_0.pb"), s, "x")
    save(os.path.join(d, "output_0.pb"), reference(s).astype(np.float32), "y")

# A second model for the kernels' edges: Relu(x @ W + b) with 7 rows (an odd
# row count: bfmmla's row pairs end on a repeated row), K = 1040 (the
# reduction is cache-blocked) and 21 columns (a partial vector).
wm = rand(1040, 21, s=0.05)
bm = rand(21, s=0.1)
g2 = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["t"], name="mm"),
     helper.make_node("Add", ["t", "b"], ["u"], name="bias"),
     helper.make_node("Relu", ["u"], ["y"], name="relu")],
    "bf16_mm",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [7, 1040])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [7, 21])],
    [numpy_helper.from_array(wm, "w"), numpy_helper.from_array(bm, "b")])
m2 = helper.make_model(g2, opset_imports=[helper.make_opsetid("", 13)])
m2.ir_version = 7
os.makedirs(os.path.join(out, "mm"), exist_ok=True)
onnx.save(m2, os.path.join(out, "mm", "model.onnx"))
xm = rng.standard_normal((7, 1040)).astype(np.float32)
d = os.path.join(out, "mm", "test_data_set_0")
save(os.path.join(d, "input_0.pb"), xm, "x")
save(os.path.join(d, "output_0.pb"),
     np.maximum(bf16(xm) @ bf16(wm) + bm, 0).astype(np.float32), "y")

# A third: the product of two run-time operands (attention's form, no
# batch), where the bf16 kernels must not apply (no constant weights to
# pack) and the f32 kernel runs on the rounded values.
g3 = helper.make_graph(
    [helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")], "bf16_rr",
    [helper.make_tensor_value_info("a", TensorProto.FLOAT, [6, 16]),
     helper.make_tensor_value_info("b", TensorProto.FLOAT, [16, 12])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [6, 12])])
m3 = helper.make_model(g3, opset_imports=[helper.make_opsetid("", 13)])
m3.ir_version = 7
os.makedirs(os.path.join(out, "rr"), exist_ok=True)
onnx.save(m3, os.path.join(out, "rr", "model.onnx"))
a3 = rng.standard_normal((6, 16)).astype(np.float32)
b3 = rng.standard_normal((16, 12)).astype(np.float32)
d = os.path.join(out, "rr", "test_data_set_0")
save(os.path.join(d, "input_0.pb"), a3, "a")
save(os.path.join(d, "input_1.pb"), b3, "b")
save(os.path.join(d, "output_0.pb"), (bf16(a3) @ bf16(b3)).astype(np.float32), "y")
