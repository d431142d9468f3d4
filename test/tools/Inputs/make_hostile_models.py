#!/usr/bin/python3
"""Writes OUT/<case>.onnx: structurally valid models with hostile contents,
one per class of attack that reliability.test checks (docs/reliability.md).
Each must end in one error naming the tensor, node or limit, exit 1..127 and
no output file. Built with onnx.helper only, so Debian's onnx 1.12 suffices."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
vi = h.make_tensor_value_info
X = vi("x", T.FLOAT, [2, 3])
Y = vi("y", T.FLOAT, [2, 3])
X4 = vi("x", T.FLOAT, [1, 1, 4, 4])


def save(name, nodes, inputs, outputs, inits=(), opset=17):
    g = h.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8
    with open(os.path.join(out, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


def weight(data=None):
    return nh.from_array(np.ones((2, 3), np.float32) if data is None else data, "w")


add = [h.make_node("Add", ["x", "w"], ["y"])]

# Tensor contents that disagree with their shape.
w = weight(); w.raw_data = w.raw_data * 3
save("raw-long", add, [X], [Y], [w])
w = weight(); w.raw_data = w.raw_data[:5]
save("raw-short", add, [X], [Y], [w])
c = h.make_tensor("c", T.INT64, [2], [6, 1]); del c.int64_data[1:]
save("const-count", [h.make_node("Constant", [], ["c"], value=c),
                     h.make_node("Reshape", ["x", "c"], ["y"])], [X], [Y])
w = weight(); w.data_type = 99
save("dtype-unknown", add, [X], [Y], [w])
# Element counts that wrap int64.
w = weight(); del w.dims[:]; w.dims.extend([2**62, 4]); w.raw_data = b"\0" * 16
save("count-wrap", add, [X], [Y], [w])
save("cos-wrap", [h.make_node("ConstantOfShape", ["s"], ["y"])], [],
     [vi("y", T.FLOAT, [2**62, 4])], [nh.from_array(np.array([2**62, 4], np.int64), "s")])
save("tile-huge", [h.make_node("Tile", ["x", "r"], ["y"])], [X],
     [vi("y", T.FLOAT, [2**41, 3 * 2**40])],
     [nh.from_array(np.array([2**40, 2**40], np.int64), "r")])
# Shape-valued inputs of huge length; ranks beyond the limit.
save("slice-long", [h.make_node("Slice", ["x", "st", "en"], ["y"])], [X], [Y],
     [nh.from_array(np.zeros(1 << 16, np.int64), n) for n in ("st", "en")])
save("rank-huge", [h.make_node("Relu", ["x"], ["y"])], [vi("x", T.FLOAT, [1] * 40)],
     [vi("y", T.FLOAT, [1] * 40)])
# External data that names a FIFO.
w = h.make_tensor("w", T.FLOAT, [2, 3], [1.0] * 6); w.ClearField("float_data")
w.data_location = T.EXTERNAL
e = w.external_data.add(); e.key = "location"; e.value = "fifo"
if not os.path.exists(os.path.join(out, "fifo")):
    os.mkfifo(os.path.join(out, "fifo"))
save("external-fifo", add, [X], [Y], [w])
# Opsets and graphs the compiler cannot honour.
save("opset-future", [h.make_node("Relu", ["x"], ["y"])], [X], [Y], opset=10000)
save("no-outputs", [h.make_node("Relu", ["x"], ["y"])], [X], [])
save("operands", [h.make_node("Sum", ["x"] * 5000, ["y"])], [X], [Y])
# Windows of 2^31 and pads as large as the window.
save("pool-window", [h.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2**31, 2**31],
                                 pads=[2**31] * 4, strides=[2**31, 2**31])],
     [X4], [vi("y", T.FLOAT, [1, 1, 2, 2])])
save("pool-pads", [h.make_node("LpPool", ["x"], ["y"], kernel_shape=[2, 2], pads=[2] * 4)],
     [X4], [vi("y", T.FLOAT, [1, 1, 7, 7])])
save("conv-padded", [h.make_node("Conv", ["x", "w"], ["y"], pads=[2**30] * 4,
                                 strides=[2**30, 2**30])], [X4],
     [vi("y", T.FLOAT, [1, 1, 3, 3])], [nh.from_array(np.ones((1, 1, 2, 2), np.float32), "w")])
# A constant index outside its axis.
save("gather-index", [h.make_node("Gather", ["x", "i"], ["y"], axis=0)], [X], [Y],
     [nh.from_array(np.array([7, -9], np.int64), "i")])
# Many operands: must compile, and quickly (reliability.test bounds the time).
save("concat-1000", [h.make_node("Concat", ["x"] * 1000, ["y"], axis=0)], [X],
     [vi("y", T.FLOAT, [2000, 3])])

# Tensor files for the tools: dims that wrap int64, and fewer bytes than the
# shape needs (dlc-run must not allocate what the file does not hold).
t = nh.from_array(np.zeros(4, np.float32), "x"); del t.dims[:]; t.dims.extend([2**62, 4])
with open(os.path.join(out, "tensor-wrap.pb"), "wb") as f:
    f.write(t.SerializeToString())
t = nh.from_array(np.zeros(4, np.float32), "x"); del t.dims[:]; t.dims.extend([1 << 30, 8])
with open(os.path.join(out, "tensor-short.pb"), "wb") as f:
    f.write(t.SerializeToString())
