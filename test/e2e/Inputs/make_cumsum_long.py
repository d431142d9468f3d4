#!/usr/bin/python3
"""Writes OUT/{inclusive,exclusive-reverse}: CumSum over an axis of 2,000
(past the 1,024 where dlc stops using an n x n triangular matrix and scans
in log2(n) shifted additions), with numpy references in float64."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
x = np.random.default_rng(0).standard_normal((3, 2000)).astype(np.float32)
for name, ex, rev in (("inclusive", 0, 0), ("exclusive-reverse", 1, 1)):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    g = h.make_graph([h.make_node("CumSum", ["x", "ax"], ["y"], exclusive=ex, reverse=rev)], "g",
                     [h.make_tensor_value_info("x", T.FLOAT, [3, 2000])],
                     [h.make_tensor_value_info("y", T.FLOAT, [3, 2000])],
                     [nh.from_array(np.array(1, np.int64), "ax")])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 14)])
    m.ir_version = 8
    onnx.save(m, os.path.join(d, "model.onnx"))
    xx = x[:, ::-1] if rev else x
    y = np.cumsum(xx.astype(np.float64), axis=1)
    if ex:
        y = np.concatenate([np.zeros((3, 1)), y[:, :-1]], axis=1)
    if rev:
        y = y[:, ::-1]
    for f, t in (("input_0.pb", x), ("output_0.pb", y.astype(np.float32))):
        with open(os.path.join(d, "test_data_set_0", f), "wb") as fh:
            fh.write(nh.from_array(np.ascontiguousarray(t)).SerializeToString())
