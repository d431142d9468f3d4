#!/usr/bin/env python3
"""Writes two ONNX backend-test folders that check half-precision conversion
exhaustively against numpy:

  OUT/cast_f16_to_f32: all 65536 float16 bit patterns -> float32 (exact);
  OUT/cast_f32_to_f16: float32 values around every float16 rounding
  boundary, subnormals, overflow, infinities and NaN -> float16 (round to
  nearest even).

  make_half_cases.py OUT
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def folder(path, x, y, src, dst):
    os.makedirs(os.path.join(path, "test_data_set_0"), exist_ok=True)
    graph = helper.make_graph(
        [helper.make_node("Cast", ["x"], ["y"], to=dst)], "cast",
        [helper.make_tensor_value_info("x", src, list(x.shape))],
        [helper.make_tensor_value_info("y", dst, list(y.shape))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, os.path.join(path, "model.onnx"))
    for name, t in (("input_0.pb", x), ("output_0.pb", y)):
        with open(os.path.join(path, "test_data_set_0", name), "wb") as f:
            f.write(numpy_helper.from_array(t).SerializeToString())


def main():
    out = sys.argv[1]
    halves = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    folder(os.path.join(out, "cast_f16_to_f32"), halves,
           halves.astype(np.float32), TensorProto.FLOAT16, TensorProto.FLOAT)
    # Every finite half, the midpoints between neighbours (ties) and the
    # floats just either side of them.
    finite = halves[np.isfinite(halves)].astype(np.float64)
    finite = np.unique(finite)
    mids = (finite[:-1] + finite[1:]) / 2
    mids32 = mids.astype(np.float32)
    around = np.concatenate([
        finite.astype(np.float32), mids32,
        np.nextafter(mids32, np.float32(np.inf)),
        np.nextafter(mids32, np.float32(-np.inf)),
        np.array([65519.0, 65520.0, 1e10, -1e10, np.inf, -np.inf, np.nan,
                  1e-10, -1e-10, 0.0, -0.0], dtype=np.float32)])
    with np.errstate(over="ignore"):  # Overflow to infinity is the point.
        expect = around.astype(np.float16)
    folder(os.path.join(out, "cast_f32_to_f16"), around, expect,
           TensorProto.FLOAT, TensorProto.FLOAT16)


if __name__ == "__main__":
    main()
