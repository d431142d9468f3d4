"""Integers and booleans cast to bf16 and f16 (what a one-hot or a mask
rounded to bf16 becomes), with the expected output computed in numpy: writes
OUT/model.onnx and OUT/test_data_set_0 (dlc-check's layout). x holds
integers up to +-1000, which bf16 (8 significant bits) rounds to nearest
even and f16 holds exactly.

  python make_int_to_half.py OUT"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
T = TensorProto
nodes = [
    helper.make_node("Cast", ["x"], ["hb"], to=T.BFLOAT16),
    helper.make_node("Cast", ["hb"], ["fb"], to=T.FLOAT),
    helper.make_node("Cast", ["x"], ["hh"], to=T.FLOAT16),
    helper.make_node("Cast", ["hh"], ["fh"], to=T.FLOAT),
    helper.make_node("Equal", ["x", "y"], ["e"]),
    helper.make_node("Cast", ["e"], ["eb"], to=T.BFLOAT16),
    helper.make_node("Cast", ["eb"], ["fe"], to=T.FLOAT),
    helper.make_node("Mul", ["fb", "fe"], ["s"]),
    helper.make_node("Add", ["s", "fh"], ["z"]),
]
g = helper.make_graph(
    nodes, "int_to_half",
    [helper.make_tensor_value_info("x", T.INT32, [4, 16]),
     helper.make_tensor_value_info("y", T.INT32, [4, 16])],
    [helper.make_tensor_value_info("z", T.FLOAT, [4, 16])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 7
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
onnx.save(m, os.path.join(out, "model.onnx"))
rng = np.random.default_rng(3)
x = rng.integers(-1000, 1000, (4, 16)).astype(np.int32)
y = np.where(rng.random((4, 16)) < 0.5, x, x + 1).astype(np.int32)


def bf16(a):
    u = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000).astype(np.uint32).view(np.float32)


z = bf16(x) * (x == y).astype(np.float32) + x.astype(np.float16).astype(np.float32)
for i, (name, a) in enumerate([("x", x), ("y", y)]):
    with open(os.path.join(out, "test_data_set_0", "input_%d.pb" % i), "wb") as f:
        f.write(numpy_helper.from_array(a, name).SerializeToString())
with open(os.path.join(out, "test_data_set_0", "output_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(z.astype(np.float32), "z").SerializeToString())
