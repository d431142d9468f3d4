#!/usr/bin/python3
"""Writes OUT/<case>: ConvInteger and QLinearConv whose int32 sums pass 2^24
(8-bit values near their extremes over up to 1,152 products), where float
accumulation would round; outputs from ONNX's reference evaluator (int64
arithmetic for ConvInteger). Cases cover int8 and uint8 operands, constant
and run-time weights, strides, dilations, asymmetric and automatic pads,
1-D and 2-D, 1x1 and 7x7 windows, batches, output channels that fill no
whole vector, per-channel weight scales, weight zero points that take the
centred weights out of int8, a grouped convolution (the f32 form), and
depthwise ones (the int8 depthwise kernel: 3x3 to 5x5 windows, strides,
dilations, 1-D; a 17x17 window of extreme values, past the bound on what
the kernel's exact f32 lanes hold, runs as plain loops)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh
from onnx.reference import ReferenceEvaluator

out = sys.argv[1]
rng = np.random.default_rng(11)
ONNX_TYPE = {np.uint8: T.UINT8, np.int8: T.INT8, np.int32: T.INT32, np.float32: T.FLOAT}
u8, i8, f32 = np.uint8, np.int8, np.float32


def extreme(dtype, shape, high):
    """Values near one end of the type's range, so products stay large."""
    info = np.iinfo(dtype)
    lo, hi = (info.max - 40, info.max) if high else (info.min, info.min + 40)
    return rng.integers(lo, hi + 1, size=shape, dtype=np.int64).astype(dtype)


def full(dtype, shape):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, size=shape, dtype=np.int64).astype(dtype)


def scalar(v, t):
    return np.array(v, t)


ORDER = {"ConvInteger": ["x", "w", "x_zp", "w_zp"],
         "QLinearConv": ["x", "x_scale", "x_zp", "w", "w_scale", "w_zp", "y_scale", "y_zp", "b"]}


def case(name, op, inputs, consts, out_type, ref=None, **attrs):
    """inputs: run-time (name, array) pairs; consts: initializers; ref: the
    expected output where the reference evaluator cannot give it."""
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    arrays = dict(inputs + consts)
    names = ORDER[op]
    while names[-1] not in arrays:
        names = names[:-1]
    node = h.make_node(op, [n if n in arrays else "" for n in names], ["y"], **attrs)
    vi = lambda n, a: h.make_tensor_value_info(n, ONNX_TYPE[a.dtype.type], a.shape)
    g = h.make_graph([node], name, [vi(n, a) for n, a in inputs], [h.make_tensor_value_info("y", out_type, None)],
                     [nh.from_array(a, n) for n, a in consts])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
    m.ir_version = 8
    y = ref if ref is not None else ReferenceEvaluator(m).run(None, dict(inputs))[0]
    if op == "ConvInteger" and ref is None:
        # The exact sums, whatever the reference accumulates in.
        xc = arrays["x"].astype(np.int64) - arrays.get("x_zp", np.zeros(1, np.int64)).astype(np.int64)
        wc = arrays["w"].astype(np.int64) - arrays.get("w_zp", np.zeros(1, np.int64)).astype(np.int64)
        ref = onnx.reference.ReferenceEvaluator(h.make_model(h.make_graph(
            [h.make_node("Conv", ["x", "w"], ["y"], **attrs)], "c",
            [h.make_tensor_value_info("x", T.DOUBLE, None), h.make_tensor_value_info("w", T.DOUBLE, None)],
            [h.make_tensor_value_info("y", T.DOUBLE, None)]), opset_imports=[h.make_opsetid("", 13)]))
        (yd,) = ref.run(None, {"x": xc.astype(np.float64), "w": wc.astype(np.float64)})
        assert np.array_equal(yd, np.round(yd)) and np.abs(yd).max() < 2**31
        y = yd.astype(np.int32)
    m.graph.output[0].CopyFrom(h.make_tensor_value_info("y", out_type, y.shape))
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, (_, a) in enumerate(inputs):
        with open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"), "wb") as f:
            f.write(nh.from_array(a).SerializeToString())
    with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(nh.from_array(np.ascontiguousarray(y)).SerializeToString())


# uint8 x int8, 3x3, pad 1: sums reach 3.7e7.
case("u8-s8-3x3-c128", "ConvInteger", [("x", extreme(u8, (1, 128, 9, 9), True))],
     [("w", extreme(i8, (32, 128, 3, 3), True)), ("x_zp", scalar(3, u8)), ("w_zp", scalar(0, i8))],
     T.INT32, pads=[1, 1, 1, 1])
# int8 x int8, stride 2, dilation 2, asymmetric pads, a batch of 2, 40
# output channels (no whole 16-lane vector after the first two).
case("s8-s8-strided-dilated", "ConvInteger", [("x", extreme(i8, (2, 96, 11, 13), False))],
     [("w", extreme(i8, (40, 96, 3, 3), False)), ("x_zp", scalar(5, i8)), ("w_zp", scalar(-7, i8))],
     T.INT32, strides=[2, 2], dilations=[2, 2], pads=[1, 0, 2, 1])
# A run-time weight (exact, not the packed kernel).
case("u8-u8-runtime-weight", "ConvInteger",
     [("x", extreme(u8, (1, 64, 6, 6), True)), ("w", extreme(u8, (8, 64, 3, 3), True))],
     [("x_zp", scalar(0, u8)), ("w_zp", scalar(1, u8))], T.INT32)
# 1x1, uint8 weights with a zero point of 3: w - 3 leaves int8 (16-bit form).
case("u8-u8-pointwise-wide", "ConvInteger", [("x", extreme(u8, (1, 256, 7, 7), True))],
     [("w", extreme(u8, (19, 256, 1, 1), True)), ("w_zp", scalar(3, u8))], T.INT32)
# QLinearConv, uint8 in and out, per-channel weight scales and all-zero
# per-channel zero points, int32 bias, pad 1.
cout = 48
case("qlinear-u8-per-channel", "QLinearConv", [("x", full(u8, (1, 64, 8, 8)))],
     [("x_scale", scalar(0.02, f32)), ("x_zp", scalar(128, u8)),
      ("w", rng.integers(-127, 128, (cout, 64, 3, 3), dtype=np.int64).astype(i8)),
      ("w_scale", rng.uniform(0.001, 0.004, cout).astype(f32)), ("w_zp", np.zeros(cout, i8)),
      ("y_scale", scalar(0.5, f32)), ("y_zp", scalar(100, u8)),
      ("b", rng.integers(-20000, 20000, cout, dtype=np.int64).astype(np.int32))],
     T.UINT8, pads=[1, 1, 1, 1])
# QLinearConv as a first layer: 3 channels, 7x7, stride 2, pad 3, batch 2,
# 19 output channels.
case("qlinear-s8-first-layer", "QLinearConv", [("x", full(i8, (2, 3, 23, 23)))],
     [("x_scale", scalar(0.05, f32)), ("x_zp", scalar(-3, i8)),
      ("w", full(i8, (19, 3, 7, 7))), ("w_scale", scalar(0.01, f32)), ("w_zp", scalar(0, i8)),
      ("y_scale", scalar(3.0, f32)), ("y_zp", scalar(-10, i8))],
     T.INT8, strides=[2, 2], pads=[3, 3, 3, 3])
# 1-D with automatic padding.
case("qlinear-s8-1d-same", "QLinearConv", [("x", full(i8, (1, 80, 30)))],
     [("x_scale", scalar(0.05, f32)), ("x_zp", scalar(0, i8)),
      ("w", full(i8, (16, 80, 5))), ("w_scale", scalar(0.01, f32)), ("w_zp", scalar(0, i8)),
      ("y_scale", scalar(2.0, f32)), ("y_zp", scalar(0, i8))],
     T.INT8, strides=[3], auto_pad="SAME_UPPER")
# A long 1-D filter (an audio front end's: 257 taps over 3 channels, stride
# 64): the window is gathered in a loop over the taps, not unrolled.
case("u8-s8-1d-long-filter", "ConvInteger", [("x", extreme(u8, (1, 3, 1100), True))],
     [("w", extreme(i8, (20, 3, 257), True)), ("x_zp", scalar(9, u8)), ("w_zp", scalar(0, i8))],
     T.INT32, strides=[64], dilations=[2])
# Two groups: the zero-point-centred f32 form (sums well below 2^24).
case("qlinear-u8-grouped", "QLinearConv", [("x", full(u8, (1, 8, 6, 6)))],
     [("x_scale", scalar(0.02, f32)), ("x_zp", scalar(120, u8)),
      ("w", full(i8, (6, 4, 3, 3))), ("w_scale", scalar(0.01, f32)), ("w_zp", scalar(0, i8)),
      ("y_scale", scalar(0.1, f32)), ("y_zp", scalar(128, u8))],
     T.UINT8, group=2)
# Depthwise (MobileNet's): per-channel weight scales, stride 2, asymmetric
# pads, int32 bias; an int8 tosa.depthwise_conv2d, the int8 depthwise kernel
# with the requantization as its epilogue.
case("qlinear-u8-depthwise", "QLinearConv", [("x", full(u8, (1, 24, 13, 13)))],
     [("x_scale", scalar(0.02, f32)), ("x_zp", scalar(110, u8)),
      ("w", full(i8, (24, 1, 3, 3))), ("w_scale", rng.uniform(0.002, 0.02, 24).astype(f32)),
      ("w_zp", np.zeros(24, i8)), ("y_scale", scalar(0.05, f32)), ("y_zp", scalar(90, u8)),
      ("b", rng.integers(-3000, 3000, 24, dtype=np.int64).astype(np.int32))],
     T.UINT8, group=24, strides=[2, 2], pads=[1, 0, 1, 1])
# ConvInteger depthwise with a channel multiplier of 2 and a weight zero
# point.
case("u8-u8-depthwise-mult2", "ConvInteger", [("x", extreme(u8, (1, 16, 9, 9), True))],
     [("w", extreme(u8, (32, 1, 3, 3), True)), ("x_zp", scalar(7, u8)), ("w_zp", scalar(2, u8))],
     T.INT32, group=16, pads=[1, 1, 1, 1])
# Depthwise, int8 x int8 at the extremes, 5x5, dilation 2, a batch of 2,
# 40 channels (a partial vector), asymmetric pads.
case("s8-s8-depthwise-5x5-dilated", "ConvInteger", [("x", extreme(i8, (2, 40, 14, 12), False))],
     [("w", extreme(i8, (40, 1, 5, 5), False)), ("x_zp", scalar(9, i8)), ("w_zp", scalar(-4, i8))],
     T.INT32, group=40, dilations=[2, 2], pads=[4, 3, 2, 4])
# Depthwise uint8 weights with a zero point (flipped to int8, centred at
# compile time), stride 2 with a 4x4 window, odd map.
case("u8-u8-depthwise-4x4-s2", "ConvInteger", [("x", extreme(u8, (1, 24, 15, 17), True))],
     [("w", extreme(u8, (24, 1, 4, 4), True)), ("x_zp", scalar(250, u8)), ("w_zp", scalar(5, u8))],
     T.INT32, group=24, strides=[2, 2], pads=[1, 2, 1, 2])
# 1-D depthwise (a temporal convolution), pads 3, int8 with a zero point;
# the reference evaluator gives grouped 1-D convolutions a 4-D result, so
# the exact sums come from numpy here.
x1 = full(i8, (1, 32, 50))
w1 = full(i8, (32, 1, 7))
xp = np.pad(x1.astype(np.int64) + 7, ((0, 0), (0, 0), (3, 3)), constant_values=0)
y1 = np.stack([sum(xp[:, :, t:t + 50] * w1[:, 0, t][None, :, None].astype(np.int64) for t in range(7))])[0]
case("s8-s8-depthwise-1d", "ConvInteger", [("x", x1)],
     [("w", w1), ("x_zp", scalar(-7, i8)), ("w_zp", scalar(0, i8))],
     T.INT32, ref=y1.astype(np.int32), group=32, pads=[3, 3])
# 17x17 depthwise, uint8 weights at the top of their range with a zero
# point of 0: the kernel's bound on its f32 partial sums (|za colSum| + 128
# sum |w - zw|, 1.8e7) passes 2^24, so this one runs as plain loops.
case("u8-u8-depthwise-17x17", "ConvInteger", [("x", extreme(u8, (1, 8, 18, 18), True))],
     [("w", extreme(u8, (8, 1, 17, 17), True)), ("x_zp", scalar(255, u8)), ("w_zp", scalar(0, u8))],
     T.INT32, group=8, pads=[8, 8, 8, 8])
