#!/usr/bin/python3
"""Writes OUT/<case>: QDQ models as quantizers write them (QuantizeLinear /
DequantizeLinear around float operators), which dlc rewrites into integer
operators (compiler/Import/ONNX/FuseQDQ.cpp). The expected outputs come from
ONNX's reference evaluator on the integer form of the same model (the
operator the pattern stands for, e.g. QLinearMatMul), which rounds the int32
sum once; the generator also checks that the float form of the pattern is
within one quantization step of it (the two round differently near ties).

  mm-u8-per-tensor   uint8 activations, int8 weights, one scale each
  mm-s8-per-column   int8 activations, per-column int8 weights with zero
                     zero points (quantize_static's per_channel), a 3-D
                     input against 2-D weights
  mm-shared-dq       the activations' DequantizeLinear also read by a
                     float Relu (it stays), no output zero point
  gemm-bias-transb   Gemm with transB and an int32 bias (a Linear layer as
                     quantize_static writes it), per-column weights
  gemm-no-bias       Gemm without bias, per-tensor weights, int8 output
  conv-relu-chain    three Conv layers as quantize_static writes them
                     (per-channel int8 weights, int32 biases, uint8
                     activations); the first two with a Relu before the Q,
                     one with a stride of 2 (QLinearConv chain)
  conv-s8-relu-zp    int8 activations whose output zero point is above the
                     type's minimum, so the Relu stays as Max(y, zero point);
                     per-tensor weights without bias, a 1-D convolution
  gather-dq          a quantized embedding: Gather of a per-tensor
                     DequantizeLinear'd uint8 table (gathered first, then
                     dequantized), the table's DequantizeLinear also read by
                     a ReduceMax (it stays for that reader)
  qdq-pairs          DQ -> Transpose -> Q and DQ -> Q with equal scales and
                     zero points, which become the Transpose on int8 values
"""
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


def qparams(name, scale, zp):
    return [nh.from_array(np.asarray(scale, np.float32), name + "_s"),
            nh.from_array(zp, name + "_z")] if zp is not None else \
        [nh.from_array(np.asarray(scale, np.float32), name + "_s")]


def build(x_shape, w, w_scale, w_zp, a_scale, a_zp, y_scale, y_zp, extra_relu, fused):
    """The QDQ model, or (fused) its integer form."""
    inits = [nh.from_array(w, "w")]
    inits += qparams("a", a_scale, a_zp) + qparams("wq", w_scale, w_zp) + qparams("y", y_scale, y_zp)
    zp = lambda n, z: [n + "_z"] if z is not None else []
    nodes = [h.make_node("QuantizeLinear", ["x", "a_s"] + zp("a", a_zp), ["xq"])]
    if fused:  # Absent zero points are zeros of the data's type.
        names = []
        for n, z, t in (("a", a_zp, np.uint8), ("wq", w_zp, w.dtype), ("y", y_zp, np.uint8)):
            names.append(n + ("_z" if z is not None else "_z0"))
            if z is None:
                inits.append(nh.from_array(np.zeros(np.shape(w_scale) if n == "wq" else (), t), n + "_z0"))
        nodes.append(h.make_node("QLinearMatMul", ["xq", "a_s", names[0], "w", "wq_s", names[1], "y_s",
                                                  names[2]], ["yq"]))
    else:
        axis = [h.make_attribute("axis", 1)] if np.size(w_scale) > 1 else []
        dqw = h.make_node("DequantizeLinear", ["w", "wq_s"] + zp("wq", w_zp), ["wf"])
        dqw.attribute.extend(axis)
        nodes += [h.make_node("DequantizeLinear", ["xq", "a_s"] + zp("a", a_zp), ["xf"]), dqw,
                  h.make_node("MatMul", ["xf", "wf"], ["yf"]),
                  h.make_node("QuantizeLinear", ["yf", "y_s"] + zp("y", y_zp), ["yq"])]
    nodes.append(h.make_node("DequantizeLinear", ["yq", "y_s"] + zp("y", y_zp), ["y"]))
    outputs = [h.make_tensor_value_info("y", T.FLOAT, None)]
    if extra_relu:
        if fused:
            nodes.append(h.make_node("DequantizeLinear", ["xq", "a_s"] + zp("a", a_zp), ["xf"]))
        nodes.append(h.make_node("Relu", ["xf"], ["r"]))
        outputs.append(h.make_tensor_value_info("r", T.FLOAT, None))
    g = h.make_graph(nodes, "qdq", [h.make_tensor_value_info("x", T.FLOAT, x_shape)], outputs, inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 21)])
    m.ir_version = 10
    return m


def case(name, x, w, w_scale, w_zp, a_scale, a_zp, y_scale, y_zp, extra_relu=False):
    args = (x.shape, w, w_scale, w_zp, a_scale, a_zp, y_scale, y_zp, extra_relu)
    qdq, fused = build(*args, fused=False), build(*args, fused=True)
    save(name, qdq, fused, x, y_scale)


def gemm_case(name, x, w, w_scale, a_scale, a_zp, y_scale, y_zp, bias):
    """DQ(x) -> Gemm(transB=1, DQ(w), DQ(bias)) -> Q, against its integer
    form: MatMulInteger + Add(bias) + Cast + Mul(a_scale * w_scale / y_scale)
    + QuantizeLinear(scale 1)."""
    n = w.shape[0]
    per_col = np.size(w_scale) > 1
    w_zp = np.zeros(n if per_col else (), np.int8)
    inits = [nh.from_array(w, "w"), nh.from_array(np.asarray(w_scale, np.float32), "w_s"),
             nh.from_array(w_zp, "w_z"), nh.from_array(np.asarray(a_scale, np.float32), "a_s"),
             nh.from_array(a_zp, "a_z"), nh.from_array(np.asarray(y_scale, np.float32), "y_s"),
             nh.from_array(y_zp, "y_z")]
    b_scale = (np.float32(a_scale) * np.asarray(w_scale, np.float32)).astype(np.float32)
    q = [h.make_node("QuantizeLinear", ["x", "a_s", "a_z"], ["xq"])]
    tail = [h.make_node("DequantizeLinear", ["yq", "y_s", "y_z"], ["y"])]
    dqw = h.make_node("DequantizeLinear", ["w", "w_s", "w_z"], ["wf"], axis=0)
    nodes = q + [h.make_node("DequantizeLinear", ["xq", "a_s", "a_z"], ["xf"]), dqw]
    gemm_in = ["xf", "wf"]
    if bias is not None:
        inits += [nh.from_array(bias, "b"), nh.from_array(b_scale, "b_s"),
                  nh.from_array(np.zeros(b_scale.shape, np.int32), "b_z")]
        nodes.append(h.make_node("DequantizeLinear", ["b", "b_s", "b_z"], ["bf"], axis=0))
        gemm_in.append("bf")
    nodes += [h.make_node("Gemm", gemm_in, ["yf"], transB=1),
              h.make_node("QuantizeLinear", ["yf", "y_s", "y_z"], ["yq"])] + tail
    mult = (np.float32(a_scale) * np.asarray(w_scale, np.float32) / np.float32(y_scale)).astype(np.float32)
    inits_int = list(inits) + [nh.from_array(np.ascontiguousarray(w.T), "wt"),
                               nh.from_array(np.atleast_1d(mult), "mult"),
                               nh.from_array(np.array(1, np.float32), "one")]
    int_nodes = q + [h.make_node("MatMulInteger", ["xq", "wt", "a_z", "w_z"], ["acc"])]
    acc = "acc"
    if bias is not None:
        int_nodes.append(h.make_node("Add", ["acc", "b"], ["accb"]))
        acc = "accb"
    int_nodes += [h.make_node("Cast", [acc], ["accf"], to=T.FLOAT), h.make_node("Mul", ["accf", "mult"], ["sc"]),
                  h.make_node("QuantizeLinear", ["sc", "one", "y_z"], ["yq"])] + tail

    def model(ns, its):
        g = h.make_graph(ns, name, [h.make_tensor_value_info("x", T.FLOAT, x.shape)],
                         [h.make_tensor_value_info("y", T.FLOAT, None)], its)
        m = h.make_model(g, opset_imports=[h.make_opsetid("", 21)])
        m.ir_version = 10
        return m
    save(name, model(nodes, inits), model(int_nodes, inits_int), x, y_scale)


def conv_case(name, x, a_scale, a_zp, layers):
    """Q(x) then per layer DQ -> Conv(DQ(w, axis 0), DQ(int32 bias)) [->
    Relu] -> Q, then DQ; against the integer form: QLinearConv per layer
    [-> Max(y, zero point) for a Relu], then DQ. layers: (w, w_scale, bias,
    relu, y_scale, y_zp, attrs)."""
    inits = [nh.from_array(np.asarray(a_scale, np.float32), "a_s"), nh.from_array(a_zp, "a_z")]
    nodes = [h.make_node("QuantizeLinear", ["x", "a_s", "a_z"], ["q0"])]
    int_nodes = list(nodes)
    prev_s, prev_z, prev = "a_s", "a_z", "q0"
    for i, (w, w_scale, bias, relu, y_scale, y_zp, attrs) in enumerate(layers):
        n = w.shape[0]
        w_zp = np.zeros(np.shape(w_scale), np.int8)
        L = f"l{i}"
        inits += [nh.from_array(w, L + "_w"), nh.from_array(np.asarray(w_scale, np.float32), L + "_ws"),
                  nh.from_array(w_zp, L + "_wz"), nh.from_array(np.asarray(y_scale, np.float32), L + "_ys"),
                  nh.from_array(y_zp, L + "_yz")]
        in_scale = np.float32(a_scale) if i == 0 else np.float32(layers[i - 1][4])
        nodes += [h.make_node("DequantizeLinear", [prev, prev_s, prev_z], [L + "_xf"]),
                  h.make_node("DequantizeLinear", [L + "_w", L + "_ws", L + "_wz"], [L + "_wf"], axis=0)]
        conv_in = [L + "_xf", L + "_wf"]
        int_in = [prev, prev_s, prev_z, L + "_w", L + "_ws", L + "_wz", L + "_ys", L + "_yz"]
        if bias is not None:
            b_scale = (in_scale * np.asarray(w_scale, np.float32)).astype(np.float32)
            inits += [nh.from_array(bias, L + "_b"), nh.from_array(b_scale, L + "_bs"),
                      nh.from_array(np.zeros(b_scale.shape, np.int32), L + "_bz")]
            nodes.append(h.make_node("DequantizeLinear", [L + "_b", L + "_bs", L + "_bz"], [L + "_bf"], axis=0))
            conv_in.append(L + "_bf")
            int_in.append(L + "_b")
        nodes.append(h.make_node("Conv", conv_in, [L + "_yf"], **attrs))
        yf = L + "_yf"
        if relu:
            nodes.append(h.make_node("Relu", [yf], [L + "_r"]))
            yf = L + "_r"
        nodes.append(h.make_node("QuantizeLinear", [yf, L + "_ys", L + "_yz"], [L + "_q"]))
        if relu and y_zp > np.iinfo(y_zp.dtype).min:
            int_nodes += [h.make_node("QLinearConv", int_in, [L + "_pre"], **attrs),
                          h.make_node("Max", [L + "_pre", L + "_yz"], [L + "_q"])]
        else:
            int_nodes.append(h.make_node("QLinearConv", int_in, [L + "_q"], **attrs))
        prev_s, prev_z, prev = L + "_ys", L + "_yz", L + "_q"
    tail = [h.make_node("DequantizeLinear", [prev, prev_s, prev_z], ["y"])]

    def model(ns):
        g = h.make_graph(ns + tail, name, [h.make_tensor_value_info("x", T.FLOAT, x.shape)],
                         [h.make_tensor_value_info("y", T.FLOAT, None)], inits)
        m = h.make_model(g, opset_imports=[h.make_opsetid("", 21)])
        m.ir_version = 10
        return m
    save(name, model(nodes), model(int_nodes), x, layers[-1][4])


def save(name, qdq, fused, x, y_scale):
    """Writes the QDQ model with the integer form's outputs as reference,
    after checking the float form is within one step of them."""
    want = ReferenceEvaluator(fused).run(None, {"x": x})
    as_float = ReferenceEvaluator(qdq).run(None, {"x": x})
    steps = np.abs(want[0] - as_float[0]) / np.float32(y_scale)
    assert steps.max() <= 1.0001, (name, steps.max())
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    for i, o in enumerate(qdq.graph.output):
        o.CopyFrom(h.make_tensor_value_info(o.name, T.FLOAT, want[i].shape))
    onnx.save(qdq, os.path.join(d, "model.onnx"))
    with open(os.path.join(d, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(nh.from_array(x).SerializeToString())
    for i, v in enumerate(want):
        with open(os.path.join(d, "test_data_set_0", f"output_{i}.pb"), "wb") as f:
            f.write(nh.from_array(np.ascontiguousarray(v)).SerializeToString())


i8, u8 = np.int8, np.uint8
case("mm-u8-per-tensor", rng.uniform(-1, 3, (6, 96)).astype(np.float32),
     rng.integers(-127, 128, (96, 40)).astype(i8), 0.02, np.array(0, i8),
     4 / 255, np.array(64, u8), 0.25, np.array(120, u8))
case("mm-s8-per-column", rng.standard_normal((2, 7, 130)).astype(np.float32),
     rng.integers(-127, 128, (130, 33)).astype(i8), rng.uniform(0.005, 0.02, 33).astype(np.float32),
     np.zeros(33, i8), 0.03, np.array(-5, i8), 0.4, np.array(3, i8))
case("mm-shared-dq", rng.uniform(-2, 2, (4, 50)).astype(np.float32),
     rng.integers(-127, 128, (50, 20)).astype(i8), 0.01, None,
     4 / 255, np.array(128, u8), 0.1, None, extra_relu=True)
gemm_case("gemm-bias-transb", rng.uniform(-1, 1, (5, 72)).astype(np.float32),
          rng.integers(-127, 128, (24, 72)).astype(i8), rng.uniform(0.004, 0.01, 24).astype(np.float32),
          2 / 255, np.array(128, u8), 0.05, np.array(100, u8), rng.integers(-3000, 3000, 24).astype(np.int32))
gemm_case("gemm-no-bias", rng.uniform(0, 2, (3, 40)).astype(np.float32),
          rng.integers(-127, 128, (16, 40)).astype(i8), 0.01, 2 / 255, np.array(0, u8), 0.08,
          np.array(-4, i8), None)

def weights(shape):
    return rng.integers(-127, 128, shape).astype(i8)


conv_case("conv-relu-chain", rng.uniform(-1, 1, (1, 8, 12, 12)).astype(np.float32), 2 / 255, np.array(128, u8), [
    (weights((16, 8, 3, 3)), rng.uniform(0.002, 0.006, 16).astype(np.float32),
     rng.integers(-2000, 2000, 16).astype(np.int32), True, 0.02, np.array(0, u8), dict(pads=[1, 1, 1, 1])),
    (weights((24, 16, 3, 3)), rng.uniform(0.001, 0.004, 24).astype(np.float32),
     rng.integers(-2000, 2000, 24).astype(np.int32), True, 0.03, np.array(0, u8),
     dict(pads=[1, 1, 1, 1], strides=[2, 2])),
    (weights((10, 24, 1, 1)), rng.uniform(0.002, 0.008, 10).astype(np.float32),
     rng.integers(-500, 500, 10).astype(np.int32), False, 0.05, np.array(128, u8), {})])
conv_case("conv-s8-relu-zp", rng.uniform(-1, 1, (2, 12, 20)).astype(np.float32), 1 / 127, np.array(0, i8), [
    (weights((20, 12, 5)), np.float32(0.004), None, True, 0.02, np.array(-20, i8), dict(pads=[2, 2]))])


# A quantized embedding table; int64 token ids as input.
table = rng.integers(0, 256, (40, 24)).astype(u8)
g = h.make_graph(
    [h.make_node("DequantizeLinear", ["t", "t_s", "t_z"], ["tf"]),
     h.make_node("Gather", ["tf", "x"], ["y"]),
     h.make_node("ReduceMax", ["tf"], ["m"], keepdims=1)],
    "gather-dq", [h.make_tensor_value_info("x", T.INT64, (2, 5))],
    [h.make_tensor_value_info("y", T.FLOAT, None), h.make_tensor_value_info("m", T.FLOAT, None)],
    [nh.from_array(table, "t"), nh.from_array(np.float32(0.013), "t_s"), nh.from_array(np.array(121, u8), "t_z")])
gm = h.make_model(g, opset_imports=[h.make_opsetid("", 21)])
gm.ir_version = 10
save("gather-dq", gm, gm, rng.integers(0, 40, (2, 5)).astype(np.int64), 0.013)

# DQ -> Transpose -> Q and DQ -> Q with the same scale and zero point (as
# quantizers write around data-movement ops): the integer form moves the
# int8 values (the pairs are dropped, exactly).
xs = rng.uniform(-1, 1, (2, 3, 4)).astype(np.float32)
p_inits = [nh.from_array(np.float32(0.009), "s"), nh.from_array(np.array(-3, i8), "z")]
def pair_model(nodes):
    g = h.make_graph(nodes, "qdq-pairs", [h.make_tensor_value_info("x", T.FLOAT, xs.shape)],
                     [h.make_tensor_value_info("y", T.FLOAT, None)], p_inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 21)])
    m.ir_version = 10
    return m
save("qdq-pairs", pair_model([
    h.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
    h.make_node("DequantizeLinear", ["q", "s", "z"], ["d"]),
    h.make_node("Transpose", ["d"], ["t"], perm=[2, 0, 1]),
    h.make_node("QuantizeLinear", ["t", "s", "z"], ["q2"]),
    h.make_node("DequantizeLinear", ["q2", "s", "z"], ["d2"]),
    h.make_node("QuantizeLinear", ["d2", "s", "z"], ["q3"]),
    h.make_node("DequantizeLinear", ["q3", "s", "z"], ["y"])]), pair_model([
    h.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
    h.make_node("Transpose", ["q"], ["q3"], perm=[2, 0, 1]),
    h.make_node("DequantizeLinear", ["q3", "s", "z"], ["y"])]), xs, 0.009)
