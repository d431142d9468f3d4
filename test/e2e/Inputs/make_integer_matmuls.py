#!/usr/bin/python3
"""Writes OUT/<case>: MatMulInteger and QLinearMatMul with reductions long
enough (K of 600 to 2,048 over 8-bit values near their extremes) that the
int32 sums pass 2^24, where float accumulation would round; outputs from
ONNX's reference evaluator. Cases cover int8 and uint8 operands, scalar,
per-row and per-column zero points, zero points given as run-time inputs,
batched operands and a shared 2-D right operand."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh
from onnx.reference import ReferenceEvaluator

out = sys.argv[1]
rng = np.random.default_rng(7)
ONNX_TYPE = {np.uint8: T.UINT8, np.int8: T.INT8, np.int32: T.INT32, np.float32: T.FLOAT,
             np.int64: T.INT64, np.uint32: T.UINT32}


def extreme(dtype, shape, high):
    """Values near one end of the type's range, so products stay large."""
    info = np.iinfo(dtype)
    lo, hi = (info.max - 40, info.max) if high else (info.min, info.min + 40)
    return rng.integers(lo, hi + 1, size=shape, dtype=np.int64).astype(dtype)


def case(name, op, inputs, consts, out_type, outputs=("y",)):
    """inputs: run-time (name, array) pairs; consts: initializers."""
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    arrays = dict(inputs + consts)
    order = {"MatMul": ["a", "b"], "MatMulInteger": ["a", "b", "a_zp", "b_zp"],
             "QLinearMatMul": ["a", "a_scale", "a_zp", "b", "b_scale", "b_zp", "y_scale", "y_zp"]}[op]
    node = h.make_node(op, [n if n in arrays else "" for n in order], list(outputs))
    vi = lambda n, a: h.make_tensor_value_info(n, ONNX_TYPE[a.dtype.type], a.shape)
    g = h.make_graph([node], name, [vi(n, a) for n, a in inputs], [h.make_tensor_value_info("y", out_type, None)],
                     [nh.from_array(a, n) for n, a in consts])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
    m.ir_version = 8
    if op == "MatMulInteger" and any(arrays.get(z, np.zeros(1)).size > 1 for z in ("a_zp", "b_zp")):
        # ONNX's reference subtracts a_zero_point along the last axis; the
        # operator's definition places a per-row one along the rows.
        a = arrays["a"].astype(np.int64) - arrays.get("a_zp", np.zeros(1, np.int64)).astype(np.int64)[:, None]
        b = arrays["b"].astype(np.int64) - arrays.get("b_zp", np.zeros(1, np.int64)).astype(np.int64)
        y = np.matmul(a, b).astype(np.int32)
    else:
        (y,) = ReferenceEvaluator(m).run(None, dict(inputs))
    # The checker wants the output's shape: the reference's.
    m.graph.output[0].CopyFrom(h.make_tensor_value_info("y", out_type, y.shape))
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, (_, a) in enumerate(inputs):
        with open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"), "wb") as f:
            f.write(nh.from_array(a).SerializeToString())
    with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(nh.from_array(np.ascontiguousarray(y)).SerializeToString())


u8, i8 = np.uint8, np.int8
scalar = lambda v, t: np.array(v, t)
# uint8 x int8, scalar zero points, constant weights: sums reach 3e7.
case("u8-s8-k1024", "MatMulInteger", [("a", extreme(u8, (5, 1024), True))],
     [("b", extreme(i8, (1024, 19), False)), ("a_zp", scalar(3, u8)), ("b_zp", scalar(-2, i8))], T.INT32)
# int8 x int8, both run-time and batched, zero points as run-time inputs.
case("s8-s8-batched-runtime-zp", "MatMulInteger",
     [("a", extreme(i8, (2, 3, 700), False)), ("b", extreme(i8, (2, 700, 33), False)),
      ("a_zp", scalar(5, i8)), ("b_zp", scalar(-7, i8))], [], T.INT32)
# uint8 x uint8 with per-row and per-column zero points (int32 centring).
case("u8-u8-per-row-column-zp", "MatMulInteger", [("a", extreme(u8, (3, 900), True))],
     [("b", extreme(u8, (900, 4), True)), ("a_zp", np.array([1, 9, 250], u8)),
      ("b_zp", np.array([0, 3, 128, 255], u8))], T.INT32)
# A 3-D left operand against a shared 2-D right operand, no zero points.
case("s8-u8-shared-rhs", "MatMulInteger", [("a", extreme(i8, (2, 4, 600), False))],
     [("b", extreme(u8, (600, 17), True))], T.INT32)
# QLinearMatMul, uint8 in and out; the requantization of int32 sums past 2^24.
case("qlinear-u8-k2048", "QLinearMatMul", [("a", extreme(u8, (4, 2048), True))],
     [("a_scale", scalar(0.02, np.float32)), ("a_zp", scalar(128, u8)),
      ("b", rng.integers(0, 256, size=(2048, 16), dtype=np.int64).astype(u8)),
      ("b_scale", scalar(0.003, np.float32)), ("b_zp", scalar(120, u8)),
      ("y_scale", scalar(2.5, np.float32)), ("y_zp", scalar(100, u8))], T.UINT8)
# QLinearMatMul, int8 in and out.
case("qlinear-s8-batched", "QLinearMatMul", [("a", rng.integers(-128, 128, (3, 5, 300), dtype=np.int64).astype(i8))],
     [("a_scale", scalar(0.05, np.float32)), ("a_zp", scalar(-3, i8)),
      ("b", rng.integers(-128, 128, (3, 300, 8), dtype=np.int64).astype(i8)),
      ("b_scale", scalar(0.01, np.float32)), ("b_zp", scalar(0, i8)),
      ("y_scale", scalar(0.7, np.float32)), ("y_zp", scalar(-10, i8))], T.INT8)
# The int8 kernels' edges (dlc-cpu-int-matmul-kernels): K not a multiple
# of the 2- or 4-product groups, N not a multiple of a panel, one row; a
# uint8 left operand with a large zero point against symmetric int8 weights
# (the 8-bit dot forms), and weights whose zero point takes them out of int8
# (the 16-bit form).
case("u8-s8-k37-n64", "MatMulInteger", [("a", extreme(u8, (7, 37), True))],
     [("b", rng.integers(-128, 128, (37, 64), dtype=np.int64).astype(i8)), ("a_zp", scalar(200, u8))],
     T.INT32)
case("s8-s8-gemv-k515", "MatMulInteger", [("a", extreme(i8, (1, 515), False))],
     [("b", extreme(i8, (515, 45), True)), ("b_zp", scalar(-100, i8))], T.INT32)
# Dynamic quantization as onnxruntime's quantize_dynamic writes it: the
# activations' uint8 zero point comes from DynamicQuantizeLinear at run
# time, the int8 weights are constant (outputs: the int32 product, and the
# scale and zero point).
def dynamic_case(name, x, w, w_zp):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    nodes = [h.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
             h.make_node("MatMulInteger", ["xq", "w", "xz", "w_zp"], ["y"])]
    g = h.make_graph(nodes, name, [h.make_tensor_value_info("x", T.FLOAT, x.shape)],
                     [h.make_tensor_value_info("y", T.INT32, None)],
                     [nh.from_array(w, "w"), nh.from_array(w_zp, "w_zp")])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
    m.ir_version = 8
    (y,) = ReferenceEvaluator(m).run(None, {"x": x})
    m.graph.output[0].CopyFrom(h.make_tensor_value_info("y", T.INT32, y.shape))
    onnx.save(m, os.path.join(d, "model.onnx"))
    with open(os.path.join(d, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(nh.from_array(x).SerializeToString())
    with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(nh.from_array(np.ascontiguousarray(y)).SerializeToString())
# Activations all positive but one: the zero point lands at 1 (not 0 or 128).
x = rng.uniform(0.5, 3.0, (2, 9, 300)).astype(np.float32)
x[0, 0, 0] = -0.01
dynamic_case("dynamic-u8-s8", x, rng.integers(-127, 128, (300, 40), dtype=np.int64).astype(i8), scalar(0, i8))
dynamic_case("dynamic-u8-u8-zp", rng.standard_normal((5, 77)).astype(np.float32),
             rng.integers(0, 256, (77, 16), dtype=np.int64).astype(u8), scalar(131, u8))
# MatMul of integers (TOSA's matmul takes none of these types): int32 sums
# past 2^31 wrap as numpy's do; int64 with broadcast batches; uint32.
case("matmul-int32-wrap", "MatMul", [("a", rng.integers(-2**20, 2**20, (3, 50), dtype=np.int64).astype(np.int32))],
     [("b", rng.integers(-2**20, 2**20, (50, 4), dtype=np.int64).astype(np.int32))], T.INT32)
case("matmul-int64-batched", "MatMul", [("a", rng.integers(-10**9, 10**9, (2, 1, 3, 5), dtype=np.int64)),
                                        ("b", rng.integers(-10**9, 10**9, (4, 5, 2), dtype=np.int64))], [], T.INT64)
case("matmul-uint32", "MatMul", [("a", rng.integers(0, 2**32, (4, 6), dtype=np.int64).astype(np.uint32))],
     [("b", rng.integers(0, 2**32, (6, 3), dtype=np.int64).astype(np.uint32))], T.UINT32)
