#!/usr/bin/python3
"""Writes OUT/good (a MatMul whose weight lives in weights.bin, with a test
data set), OUT/escape (location ../good/weights.bin) and OUT/absolute
(location = absolute path of that file) for the external-data tests."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
for d in ("good/test_data_set_0", "escape", "absolute"):
    os.makedirs(os.path.join(out, d), exist_ok=True)
w = np.arange(300, dtype=np.float32).reshape(3, 100) / 100.0
x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 100])],
    [numpy_helper.from_array(w, "w")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.save_model(model, os.path.join(out, "good/model.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
for name, t in (("input_0.pb", x), ("output_0.pb", x @ w)):
    with open(os.path.join(out, "good/test_data_set_0", name), "wb") as f:
        f.write(numpy_helper.from_array(t).SerializeToString())
for kind, loc in (("escape", "../good/weights.bin"),
                  ("absolute", os.path.abspath(os.path.join(out, "good/weights.bin")))):
    m = onnx.load(os.path.join(out, "good/model.onnx"), load_external_data=False)
    for kv in m.graph.initializer[0].external_data:
        if kv.key == "location":
            kv.value = loc
    onnx.save_model(m, os.path.join(out, kind, "model.onnx"))
