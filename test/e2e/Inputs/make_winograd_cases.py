#!/usr/bin/python3
"""Writes ONNX backend-test folders of 3x3 convolutions that dlc runs as
Winograd F(4x4, 3x3) or F(2x2, 3x3), with references computed directly in
float64 by numpy:

    make_winograd_cases.py OUTDIR

Cases: whole 4x4 tiles (56x56, 64 channels), partial tiles with channel
counts that are not multiples of a vector (14x14, 40 -> 48), two images
with a residual add (9x11), a chain whose first convolution writes into the
second's padded input (16x16), an unpadded convolution (10x10 -> 8x8),
256 channels (F(2x2, 3x3): F(4x4)'s filter would exceed 4.5 MB) on odd
14x13 maps, and one with too few channels to qualify (the direct form).
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)


def conv_ref(x, w, b, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c, h, wd = x.shape
    f = w.shape[0]
    oh, ow = h - 2, wd - 2
    out = np.zeros((n, f, oh, ow))
    for i in range(3):
        for j in range(3):
            out += np.einsum("nchw,fc->nfhw", x[:, :, i:i + oh, j:j + ow], w[:, :, i, j])
    if b is not None:
        out += b[None, :, None, None]
    return out


class Builder:
    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def conv(self, x, cin, cout, pad, bias=True):
        self.count += 1
        name = "c%d" % self.count
        w = (rng.standard_normal((cout, cin, 3, 3)) / np.sqrt(9 * cin)).astype(np.float32)
        b = (rng.standard_normal(cout) * 0.1).astype(np.float32) if bias else None
        self.inits.append(numpy_helper.from_array(w, name + "_w"))
        ins = [x, name + "_w"]
        if bias:
            self.inits.append(numpy_helper.from_array(b, name + "_b"))
            ins.append(name + "_b")
        self.nodes.append(helper.make_node("Conv", ins, [name], kernel_shape=[3, 3],
                                           pads=[pad] * 4))
        return name, w.astype(np.float64), None if b is None else b.astype(np.float64)

    def op(self, kind, ins):
        self.count += 1
        name = "%s%d" % (kind.lower(), self.count)
        self.nodes.append(helper.make_node(kind, ins, [name]))
        return name


def save(outdir, case, builder, inputs, output, ref):
    d = os.path.join(outdir, case)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    graph = helper.make_graph(
        builder.nodes, case,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(v.shape)) for n, v in inputs],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, list(ref.shape))],
        builder.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    for i, (_, v) in enumerate(inputs):
        with open(os.path.join(d, "test_data_set_0", "input_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(v.astype(np.float32)).SerializeToString())
    with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(ref.astype(np.float32)).SerializeToString())


def single(outdir, case, n, cin, cout, h, w, pad, relu=True, residual=False, bias=True):
    bld = Builder()
    x = rng.standard_normal((n, cin, h, w)).astype(np.float32)
    y, wt, b = bld.conv("x", cin, cout, pad, bias)
    ref = conv_ref(x.astype(np.float64), wt, b, pad)
    inputs = [("x", x)]
    if residual:
        r = rng.standard_normal(ref.shape).astype(np.float32)
        inputs.append(("r", r))
        y = bld.op("Add", [y, "r"])
        ref = ref + r
    if relu:
        y = bld.op("Relu", [y])
        ref = np.maximum(ref, 0)
    save(outdir, case, bld, inputs, y, ref)


def chain(outdir, case, c, h):
    bld = Builder()
    x = rng.standard_normal((1, c, h, h)).astype(np.float32)
    y, w1, b1 = bld.conv("x", c, c, 1)
    y = bld.op("Relu", [y])
    y, w2, b2 = bld.conv(y, c, c, 1)
    ref = conv_ref(np.maximum(conv_ref(x.astype(np.float64), w1, b1, 1), 0), w2, b2, 1)
    save(outdir, case, bld, [("x", x)], y, ref)


def main():
    out = sys.argv[1]
    single(out, "tiles_56x56_64", 1, 64, 64, 56, 56, 1)
    single(out, "partial_14x14_40to48", 1, 40, 48, 14, 14, 1)
    single(out, "batch2_9x11_residual", 2, 32, 32, 9, 11, 1, residual=True, bias=False)
    chain(out, "chain_16x16_32", 32, 16)
    single(out, "unpadded_10x10", 1, 32, 32, 10, 10, 0, relu=False)
    single(out, "f2_14x13_256", 1, 256, 256, 14, 13, 1)
    single(out, "direct_16ch", 1, 16, 16, 12, 12, 1)


if __name__ == "__main__":
    main()
