#!/usr/bin/python3
"""Writes OUT/<case>: ONNX Loop models with compile-time trip counts, in the
forms exporters write, with outputs from ONNX's reference evaluator:

  slice-scan      for loop (cond passed through) slicing a constant at the
                  iteration number, carried sum and scan output (opset 13,
                  as test_loop11 with its trip count frozen)
  opset11         the same at opset 11 (Unsqueeze with an axes attribute)
  rnn             an RNN cell as a Loop: Gather of the input at the
                  iteration number, MatMul with outer-scope weights, Tanh;
                  the trip count is Shape(x)[0]; states stacked as scans
  while-bounded   a while loop with a bound: the body computes its condition
                  from run-time data (two data sets stop at different
                  iterations); no scan outputs
  runtime-cond    the initial condition is a graph input (true in one data
                  set, false in the other)
  nested          an inner Loop whose trip count is the outer iteration
                  number plus one
  growing         a carried value that grows by a Concat every iteration
  if-in-body      an If in the body whose branches read body values
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
f32 = np.float32


def const(name, value):
    return h.make_node("Constant", [], [name], value=nh.from_array(np.asarray(value), name))


def fill_conds(graph):
    """The reference evaluator runs no iteration of a Loop whose cond input
    is omitted (ONNX: absent means true); its copy of the model names a true
    constant there instead. It also stacks scan outputs with np.vstack, so
    the cases keep scan values 1-D, where that equals ONNX's stacking."""
    for n in graph.node:
        if n.op_type == "Loop" and n.input[1] == "":
            n.input[1] = "always_true"
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                fill_conds(a.g)


def write(name, graph, data_sets, opset=13):
    d = os.path.join(out, name)
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    os.makedirs(d, exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    ref = onnx.ModelProto()
    ref.CopyFrom(m)
    fill_conds(ref.graph)
    ref.graph.initializer.append(nh.from_array(np.array(True), "always_true"))
    names = [i.name for i in graph.input]
    for k, inputs in enumerate(data_sets):
        s = os.path.join(d, f"test_data_set_{k}")
        os.makedirs(s, exist_ok=True)
        results = ReferenceEvaluator(ref).run(None, dict(zip(names, inputs)))
        for i, a in enumerate(inputs):
            with open(os.path.join(s, f"input_{i}.pb"), "wb") as f:
                f.write(nh.from_array(np.asarray(a)).SerializeToString())
        for i, a in enumerate(results):
            with open(os.path.join(s, f"output_{i}.pb"), "wb") as f:
                f.write(nh.from_array(np.ascontiguousarray(a)).SerializeToString())


def tvi(name, t, shape):
    return h.make_tensor_value_info(name, t, shape)


def slice_scan_body(opset):
    """test_loop11's body: y += x[i : i + 1] of a constant x; scan y."""
    if opset >= 13:
        unsq = [h.make_node("Unsqueeze", ["i", "zero_axis"], ["start"]),
                h.make_node("Unsqueeze", ["i1", "zero_axis"], ["end"])]
        consts = [const("zero_axis", np.array([0], np.int64))]
    else:
        unsq = [h.make_node("Unsqueeze", ["i"], ["start"], axes=[0]),
                h.make_node("Unsqueeze", ["i1"], ["end"], axes=[0])]
        consts = []
    nodes = consts + [
        h.make_node("Identity", ["cond_in"], ["cond_out"]),
        const("x", np.array([1, 2, 3, 4, 5], f32)),
        const("one", np.array(1, np.int64)),
        h.make_node("Add", ["i", "one"], ["i1"]),
    ] + unsq + [
        h.make_node("Slice", ["x", "start", "end"], ["slice"]),
        h.make_node("Add", ["y_in", "slice"], ["y_out"]),
        h.make_node("Identity", ["y_out"], ["scan_out"]),
    ]
    return h.make_graph(
        nodes, "body",
        [tvi("i", T.INT64, []), tvi("cond_in", T.BOOL, []), tvi("y_in", T.FLOAT, [1])],
        [tvi("cond_out", T.BOOL, []), tvi("y_out", T.FLOAT, [1]), tvi("scan_out", T.FLOAT, [1])])


for name, opset in (("slice-scan", 13), ("opset11", 11)):
    g = h.make_graph(
        [h.make_node("Loop", ["M", "cond", "y"], ["y_final", "scans"], body=slice_scan_body(opset))],
        name, [tvi("y", T.FLOAT, [1])],
        [tvi("y_final", T.FLOAT, [1]), tvi("scans", T.FLOAT, [5, 1])],
        [nh.from_array(np.array(5, np.int64), "M"), nh.from_array(np.array(True), "cond")])
    write(name, g, [[np.array([-2], f32)]], opset)

# An RNN cell written as a loop; the trip count comes from the input's shape.
steps, width = 12, 16
body = h.make_graph([
    h.make_node("Identity", ["cond_in"], ["cond_out"]),
    h.make_node("Gather", ["x", "i"], ["x_t"], axis=0),
    h.make_node("MatMul", ["h_in", "W"], ["hw"]),
    h.make_node("MatMul", ["x_t", "U"], ["xu"]),
    h.make_node("Add", ["hw", "xu"], ["pre"]),
    h.make_node("Tanh", ["pre"], ["h_out"]),
    h.make_node("Reshape", ["h_out", "row"], ["h_scan"]),
], "body", [tvi("i", T.INT64, []), tvi("cond_in", T.BOOL, []), tvi("h_in", T.FLOAT, [1, width])],
    [tvi("cond_out", T.BOOL, []), tvi("h_out", T.FLOAT, [1, width]), tvi("h_scan", T.FLOAT, [width])])
g = h.make_graph([
    h.make_node("Shape", ["x"], ["shape"]),
    h.make_node("Gather", ["shape", "zero"], ["M"], axis=0),
    h.make_node("Loop", ["M", "", "h0"], ["h_last", "hs"], body=body),
], "rnn", [tvi("x", T.FLOAT, [steps, 1, width]), tvi("h0", T.FLOAT, [1, width])],
    [tvi("h_last", T.FLOAT, [1, width]), tvi("hs", T.FLOAT, [steps, width])],
    [nh.from_array(np.array(0, np.int64), "zero"), nh.from_array(np.array([width], np.int64), "row"),
     nh.from_array((rng.standard_normal((width, width)) * 0.3).astype(f32), "W"),
     nh.from_array((rng.standard_normal((width, width)) * 0.3).astype(f32), "U")])
write("rnn", g, [[rng.standard_normal((steps, 1, width)).astype(f32),
                  rng.standard_normal((1, width)).astype(f32)]])

# while (sum(y) < limit && i < 10) y = 2 * y + 1: where it stops depends on
# the run-time input.
body = h.make_graph([
    h.make_node("Mul", ["y_in", "two"], ["y2"]),
    h.make_node("Add", ["y2", "one"], ["y_out"]),
    h.make_node("ReduceSum", ["y_out"], ["total"], keepdims=0),
    h.make_node("Less", ["total", "limit"], ["cond_out"]),
    h.make_node("Add", ["n_in", "i"], ["n_out"]),
], "body", [tvi("i", T.INT64, []), tvi("cond_in", T.BOOL, []), tvi("y_in", T.FLOAT, [3]),
            tvi("n_in", T.INT64, [1])],
    [tvi("cond_out", T.BOOL, []), tvi("y_out", T.FLOAT, [3]), tvi("n_out", T.INT64, [1])])
g = h.make_graph([h.make_node("Loop", ["M", "", "y", "n"], ["y_final", "n_final"], body=body)],
                 "while", [tvi("y", T.FLOAT, [3])],
                 [tvi("y_final", T.FLOAT, [3]), tvi("n_final", T.INT64, [1])],
                 [nh.from_array(np.array(10, np.int64), "M"), nh.from_array(np.array(2, f32), "two"),
                  nh.from_array(np.array(1, f32), "one"), nh.from_array(np.array(100, f32), "limit"),
                  nh.from_array(np.array([0], np.int64), "n")])
write("while-bounded", g, [[np.array([0.5, 1, 2], f32)], [np.array([-30, 1, 2], f32)]])

# The initial condition is a run-time input.
body = h.make_graph([
    h.make_node("Identity", ["cond_in"], ["cond_out"]),
    h.make_node("Cast", ["i"], ["fi"], to=T.FLOAT),
    h.make_node("Add", ["y_in", "fi"], ["y_out"]),
], "body", [tvi("i", T.INT64, []), tvi("cond_in", T.BOOL, []), tvi("y_in", T.FLOAT, [2, 2])],
    [tvi("cond_out", T.BOOL, []), tvi("y_out", T.FLOAT, [2, 2])])
g = h.make_graph([h.make_node("Loop", ["M", "go", "y"], ["y_final"], body=body)],
                 "runtime-cond", [tvi("go", T.BOOL, []), tvi("y", T.FLOAT, [2, 2])],
                 [tvi("y_final", T.FLOAT, [2, 2])], [nh.from_array(np.array(4, np.int64), "M")])
y = rng.standard_normal((2, 2)).astype(f32)
write("runtime-cond", g, [[np.array(True), y], [np.array(False), y]])

# Nested: for i in range(3): for j in range(i + 1): y = y * 0.5 + j; scan y.
inner = h.make_graph([
    h.make_node("Identity", ["c_in"], ["c_out"]),
    h.make_node("Cast", ["j"], ["fj"], to=T.FLOAT),
    h.make_node("Mul", ["z_in", "half"], ["z_half"]),
    h.make_node("Add", ["z_half", "fj"], ["z_out"]),
], "inner", [tvi("j", T.INT64, []), tvi("c_in", T.BOOL, []), tvi("z_in", T.FLOAT, [4])],
    [tvi("c_out", T.BOOL, []), tvi("z_out", T.FLOAT, [4])])
outer = h.make_graph([
    h.make_node("Identity", ["cond_in"], ["cond_out"]),
    const("one", np.array(1, np.int64)),
    h.make_node("Add", ["i", "one"], ["trips"]),
    h.make_node("Loop", ["trips", "", "y_in"], ["y_out"], body=inner),
    h.make_node("Identity", ["y_out"], ["y_scan"]),
], "outer", [tvi("i", T.INT64, []), tvi("cond_in", T.BOOL, []), tvi("y_in", T.FLOAT, [4])],
    [tvi("cond_out", T.BOOL, []), tvi("y_out", T.FLOAT, [4]), tvi("y_scan", T.FLOAT, [4])])
g = h.make_graph([h.make_node("Loop", ["M", "", "y"], ["y_final", "ys"], body=outer)],
                 "nested", [tvi("y", T.FLOAT, [4])],
                 [tvi("y_final", T.FLOAT, [4]), tvi("ys", T.FLOAT, [3, 4])],
                 [nh.from_array(np.array(3, np.int64), "M"), nh.from_array(np.array(0.5, f32), "half")])
write("nested", g, [[rng.standard_normal(4).astype(f32)]])

# A carried value that grows: y = concat(y, y * i).
body = h.make_graph([
    h.make_node("Identity", ["cond_in"], ["cond_out"]),
    h.make_node("Cast", ["i"], ["fi"], to=T.FLOAT),
    h.make_node("Mul", ["y_in", "fi"], ["scaled"]),
    h.make_node("Concat", ["y_in", "scaled"], ["y_out"], axis=0),
], "body", [tvi("i", T.INT64, []), tvi("cond_in", T.BOOL, []), tvi("y_in", T.FLOAT, ["n"])],
    [tvi("cond_out", T.BOOL, []), tvi("y_out", T.FLOAT, ["m"])])
g = h.make_graph([h.make_node("Loop", ["M", "", "y"], ["y_final"], body=body)],
                 "growing", [tvi("y", T.FLOAT, [3])], [tvi("y_final", T.FLOAT, [24])],
                 [nh.from_array(np.array(3, np.int64), "M")])
write("growing", g, [[rng.standard_normal(3).astype(f32)]])

# An If inside the body reads body values from its branches.
then_g = h.make_graph([h.make_node("Add", ["y_in", "big"], ["t"])], "then", [],
                      [tvi("t", T.FLOAT, [2])])
else_g = h.make_graph([h.make_node("Mul", ["y_in", "neg"], ["e"])], "else", [],
                      [tvi("e", T.FLOAT, [2])])
body = h.make_graph([
    h.make_node("Identity", ["cond_in"], ["cond_out"]),
    h.make_node("Equal", ["i", "two_i"], ["is_two"]),
    h.make_node("If", ["is_two"], ["y_out"], then_branch=then_g, else_branch=else_g),
    h.make_node("Identity", ["y_out"], ["y_scan"]),
], "body", [tvi("i", T.INT64, []), tvi("cond_in", T.BOOL, []), tvi("y_in", T.FLOAT, [2])],
    [tvi("cond_out", T.BOOL, []), tvi("y_out", T.FLOAT, [2]), tvi("y_scan", T.FLOAT, [2])])
g = h.make_graph([h.make_node("Loop", ["M", "", "y"], ["y_final", "ys"], body=body)],
                 "if-in-body", [tvi("y", T.FLOAT, [2])],
                 [tvi("y_final", T.FLOAT, [2]), tvi("ys", T.FLOAT, [4, 2])],
                 [nh.from_array(np.array(4, np.int64), "M"), nh.from_array(np.array(2, np.int64), "two_i"),
                  nh.from_array(np.array(100, f32), "big"), nh.from_array(np.array(-1, f32), "neg")])
write("if-in-body", g, [[rng.standard_normal(2).astype(f32)]])
