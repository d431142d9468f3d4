#!/usr/bin/env python3
"""Writes OUT/<case>/ (model.onnx + test_data_set_0): random ai.onnx.ml
TreeEnsemble (opset 5) forests with a scalar reference that walks each
tree as the operator's definition states (membership sets taken in node
order, NaN-delimited; missing values follow the true branch where a node
says so). Cases: every comparison mode with set membership and NaN inputs
(SUM), a double forest of LEQ nodes with a one-leaf tree (AVERAGE), MIN
and MAX with targets no leaf reaches, and a 300-level chain. The same
walk checks TreeEnsembleRegressor (ai.onnx.ml 3, scikit-learn converters'
form): leaves with several (target, weight) entries, base values, SUM and
AVERAGE, a single-leaf tree; float lists on float32 X, double tensors on
double X.

Run with the onnx Python package of dlc's ONNX version (utils/onnx-env.sh)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

LEQ, LT, GTE, GT, EQ, NEQ, MEMBER = range(7)
GRID = np.arange(-2.0, 2.5, 0.5)  # inputs and splits share it, so EQ hits


class Forest:
    def __init__(self):
        self.nodes = []  # dicts: feature, mode, split, set, missing, t, f
        self.leaves = []  # (target, weight)
        self.roots = []


def grow(rng, forest, depth, features, targets, modes, chain=False, root=True):
    """Appends a random subtree (a root is always a node); returns
    ('node'|'leaf', index)."""
    if depth == 0 or (not chain and not root and rng.random() < 0.2):
        forest.leaves.append((int(rng.integers(targets)), float(rng.normal())))
        return ("leaf", len(forest.leaves) - 1)
    mode = int(rng.choice(modes))
    node = dict(feature=int(rng.integers(features)), mode=mode,
                split=float(rng.choice(GRID)), missing=int(rng.integers(2)))
    if mode == MEMBER:
        # Whole-number members (categorical codes), as onnxruntime requires.
        node["set"] = sorted(set(rng.integers(-2, 3, size=int(rng.integers(1, 4))).astype(float).tolist()))
    forest.nodes.append(node)
    me = len(forest.nodes) - 1
    sub = lambda d: grow(rng, forest, d, features, targets, modes, chain, False)
    node["t"] = sub(depth - 1)
    node["f"] = sub(0) if chain else sub(depth - 1)
    return ("node", me)


def shuffled(rng, forest):
    """The same forest with nodes and leaves listed in random order."""
    pn = rng.permutation(len(forest.nodes))
    pl = rng.permutation(len(forest.leaves))
    inv_n, inv_l = np.argsort(pn), np.argsort(pl)
    remap = lambda c: (c[0], int(inv_n[c[1]] if c[0] == "node" else inv_l[c[1]]))
    out = Forest()
    for i in pn:
        n = dict(forest.nodes[i])
        n["t"], n["f"] = remap(n["t"]), remap(n["f"])
        out.nodes.append(n)
    out.leaves = [forest.leaves[i] for i in pl]
    out.roots = [int(inv_n[r]) for r in forest.roots]
    return out


def test(node, v):
    if np.isnan(v) and node["missing"]:
        return True
    s, m = node["split"], node["mode"]
    return {LEQ: v <= s, LT: v < s, GTE: v >= s, GT: v > s, EQ: v == s,
            NEQ: v != s, MEMBER: v in node.get("set", [])}[m]


def reference(forest, x, targets, agg, dtype):
    lo = np.finfo(dtype)
    init = {0: 0.0, 1: 0.0, 2: lo.max, 3: lo.min}[agg]
    y = np.full((x.shape[0], targets), init, dtype=np.float64)
    for r in range(x.shape[0]):
        for root in forest.roots:
            kind, i = "node", root
            while kind == "node":
                n = forest.nodes[i]
                kind, i = n["t"] if test(n, x[r, n["feature"]]) else n["f"]
            tgt, w = forest.leaves[i]
            if agg == 0:
                y[r, tgt] += w / len(forest.roots)
            elif agg == 1:
                y[r, tgt] += w
            elif agg == 2:
                y[r, tgt] = min(y[r, tgt], w)
            else:
                y[r, tgt] = max(y[r, tgt], w)
    return y.astype(dtype)


def write(out, name, forest, x, targets, agg, dtype):
    elem = T.DOUBLE if dtype == np.float64 else T.FLOAT
    nodes = forest.nodes
    members = []
    for n in nodes:
        if n["mode"] == MEMBER:
            members += n["set"] + [float("nan")]
    attrs = dict(
        n_targets=targets, aggregate_function=agg, post_transform=0,
        tree_roots=forest.roots,
        nodes_featureids=[n["feature"] for n in nodes],
        nodes_modes=h.make_tensor("m", T.UINT8, [len(nodes)], [n["mode"] for n in nodes]),
        nodes_splits=h.make_tensor("s", elem, [len(nodes)], [n["split"] for n in nodes]),
        nodes_truenodeids=[n["t"][1] for n in nodes],
        nodes_trueleafs=[int(n["t"][0] == "leaf") for n in nodes],
        nodes_falsenodeids=[n["f"][1] for n in nodes],
        nodes_falseleafs=[int(n["f"][0] == "leaf") for n in nodes],
        nodes_missing_value_tracks_true=[n["missing"] for n in nodes],
        leaf_targetids=[t for t, _ in forest.leaves],
        leaf_weights=h.make_tensor("w", elem, [len(forest.leaves)],
                                   [w for _, w in forest.leaves]))
    if members:
        attrs["membership_values"] = h.make_tensor("mv", elem, [len(members)], members)
    node = h.make_node("TreeEnsemble", ["X"], ["Y"], domain="ai.onnx.ml", **attrs)
    g = h.make_graph([node], name, [h.make_tensor_value_info("X", elem, list(x.shape))],
                     [h.make_tensor_value_info("Y", elem, [x.shape[0], targets])])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 21), h.make_opsetid("ai.onnx.ml", 5)])
    m.ir_version = 10
    onnx.checker.check_model(m)
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    y = reference(forest, x, targets, agg, dtype)
    for f, t in (("input_0.pb", x), ("output_0.pb", y)):
        with open(os.path.join(d, "test_data_set_0", f), "wb") as fh:
            fh.write(nh.from_array(np.ascontiguousarray(t)).SerializeToString())


def write_legacy(out, name, forest, extra, x, targets, agg, base, as_tensor,
                 labels=None, post="NONE"):
    """`forest` as TreeEnsembleRegressor, or TreeEnsembleClassifier where
    `labels` (int64 class labels) is given: per tree, its nodes renumbered
    in a random order; leaf l's entries are forest.leaves[l] plus extra[l]
    (more (target, weight) pairs)."""
    prefix = "class" if labels else "target"
    rng = np.random.default_rng(len(name))
    cols = {k: [] for k in ("treeids", "nodeids", "featureids", "modes", "values",
                            "truenodeids", "falsenodeids", "missing")}
    tcols = {k: [] for k in ("treeids", "nodeids", "ids", "weights")}
    names = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"]
    for tree, root in enumerate(forest.roots):
        order, todo = [], [("node", root)]
        while todo:  # every reachable node and leaf once
            c = todo.pop()
            if c in order:
                continue
            order.append(c)
            if c[0] == "node":
                todo += [forest.nodes[c[1]]["t"], forest.nodes[c[1]]["f"]]
        ids = dict(zip(order, rng.permutation(len(order)).tolist()))
        for c in order:
            cols["treeids"].append(tree)
            cols["nodeids"].append(ids[c])
            if c[0] == "leaf":
                for k, v in (("featureids", 0), ("modes", "LEAF"), ("values", 0.0),
                             ("truenodeids", 0), ("falsenodeids", 0), ("missing", 0)):
                    cols[k].append(v)
                for tgt, w in [forest.leaves[c[1]]] + extra.get(c[1], []):
                    for k, v in (("treeids", tree), ("nodeids", ids[c]), ("ids", tgt),
                                 ("weights", w)):
                        tcols[k].append(v)
                continue
            n = forest.nodes[c[1]]
            for k, v in (("featureids", n["feature"]), ("modes", names[n["mode"]]),
                         ("values", n["split"]), ("truenodeids", ids[n["t"]]),
                         ("falsenodeids", ids[n["f"]]), ("missing", n["missing"])):
                cols[k].append(v)
    attrs = {"nodes_" + k: v for k, v in cols.items() if k not in ("values", "missing")}
    attrs["nodes_missing_value_tracks_true"] = cols["missing"]
    attrs.update({prefix + "_" + k: v for k, v in tcols.items() if k != "weights"})
    attrs.update(post_transform=post)
    if labels:
        attrs.update(classlabels_int64s=labels)
    else:
        attrs.update(n_targets=targets, aggregate_function=agg)
    # Both spellings of the real-valued lists: floats, or double tensors
    # (opset 3's *_as_tensor, which onnxruntime wants all or none of).
    for key, v in (("nodes_values", cols["values"]), (prefix + "_weights", tcols["weights"]),
                   ("base_values", base)):
        if not v:
            continue
        if as_tensor:
            attrs[key + "_as_tensor"] = h.make_tensor(key, T.DOUBLE, [len(v)], v)
        else:
            attrs[key] = v
    xelem = T.DOUBLE if x.dtype == np.float64 else T.FLOAT
    binary = labels and len(set(tcols["ids"])) == 1
    width = 2 if binary else targets
    if labels:
        node = h.make_node("TreeEnsembleClassifier", ["X"], ["Y", "Z"], domain="ai.onnx.ml",
                           **attrs)
        outs = [h.make_tensor_value_info("Y", T.INT64, [x.shape[0]]),
                h.make_tensor_value_info("Z", T.FLOAT, [x.shape[0], width])]
    else:
        node = h.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", **attrs)
        outs = [h.make_tensor_value_info("Y", T.FLOAT, [x.shape[0], targets])]
    g = h.make_graph([node], name, [h.make_tensor_value_info("X", xelem, list(x.shape))], outs)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 21), h.make_opsetid("ai.onnx.ml", 3)])
    m.ir_version = 10
    onnx.checker.check_model(m)
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    # base_values broadcast over the columns (one value may serve them all)
    y = np.zeros((x.shape[0], targets)) + np.array(base or [0.0], np.float64)
    scale = 1.0 / len(forest.roots) if agg == "AVERAGE" else 1.0
    for r in range(x.shape[0]):
        for root in forest.roots:
            kind, i = "node", root
            while kind == "node":
                n = forest.nodes[i]
                kind, i = n["t"] if test(n, float(x[r, n["feature"]])) else n["f"]
            for tgt, w in [forest.leaves[i]] + extra.get(i, []):
                y[r, tgt] += w * scale
    results = [y.astype(np.float32)]
    if labels:
        # ONNX's reference rules: the binary case, then post_transform,
        # then the label at the first highest score.
        if binary:
            p = y[:, 0].copy()
            y = np.stack([(1 - p) if post == "NONE" else -p, p], axis=1)
        if post == "LOGISTIC":
            y = 1 / (1 + np.exp(-y))
        elif post == "SOFTMAX":
            e = np.exp(y - y.max(axis=1, keepdims=True))
            y = e / e.sum(axis=1, keepdims=True)
        results = [np.array([labels[i] for i in y.argmax(axis=1)], np.int64),
                   y.astype(np.float32)]
    for k, t in enumerate([x] + results):
        f = "input_0.pb" if k == 0 else "output_%d.pb" % (k - 1)
        with open(os.path.join(d, "test_data_set_0", f), "wb") as fh:
            fh.write(nh.from_array(np.ascontiguousarray(t)).SerializeToString())


def inputs(rng, rows, features, dtype, nan=True):
    x = rng.choice(GRID, size=(rows, features)) + rng.choice([0, 0.25], size=(rows, features))
    if nan:
        x[rng.random(x.shape) < 0.1] = np.nan
    return x.astype(dtype)


def main(out):
    rng = np.random.default_rng(5)
    f = Forest()
    for _ in range(6):
        f.roots.append(grow(rng, f, 6, 4, 3, [LEQ, LT, GTE, GT, EQ, NEQ, MEMBER])[1])
    f = shuffled(rng, f)
    write(out, "modes-sum", f, inputs(rng, 64, 4, np.float32), 3, 1, np.float32)

    f = Forest()
    for _ in range(8):
        f.roots.append(grow(rng, f, 5, 5, 2, [LEQ])[1])
    # A one-leaf tree: its root's branches both reach the same leaf.
    f.leaves.append((1, 0.75))
    f.nodes.append(dict(feature=0, mode=LEQ, split=0.0, missing=0,
                        t=("leaf", len(f.leaves) - 1), f=("leaf", len(f.leaves) - 1)))
    f.roots.append(len(f.nodes) - 1)
    write(out, "leq-average-double", shuffled(rng, f),
          inputs(rng, 32, 5, np.float64, nan=False), 2, 0, np.float64)

    for agg, name in ((2, "min"), (3, "max")):
        f = Forest()
        for _ in range(5):
            f.roots.append(grow(rng, f, 4, 3, 3, [LEQ, GT, EQ])[1])
        # Targets 3 and 4 are reached by no leaf: they keep the identity.
        write(out, name, shuffled(rng, f), inputs(rng, 16, 3, np.float32), 5, agg,
              np.float32)

    f = Forest()
    f.roots.append(grow(rng, f, 300, 2, 2, [LEQ, GT], chain=True)[1])
    write(out, "chain-300", shuffled(rng, f), inputs(rng, 16, 2, np.float32), 2, 1,
          np.float32)

    for agg in ("SUM", "AVERAGE"):
        f = Forest()
        for _ in range(7):
            f.roots.append(grow(rng, f, 5, 4, 3, [LEQ, LT, GTE, GT, EQ, NEQ])[1])
        # A single-leaf tree: its root node branches to one leaf both ways.
        f.leaves.append((2, 0.5))
        f.nodes.append(dict(feature=1, mode=GT, split=0.0, missing=0,
                            t=("leaf", len(f.leaves) - 1), f=("leaf", len(f.leaves) - 1)))
        f.roots.append(len(f.nodes) - 1)
        extra = {l: [(int(rng.integers(3)), float(rng.normal()))]
                 for l in range(len(f.leaves)) if rng.random() < 0.5}
        write_legacy(out, "regressor-" + agg.lower(), f, extra,
                        inputs(rng, 48, 4, np.float64 if agg == "AVERAGE" else np.float32),
                        3, agg, [0.25, -1.0, 2.0], as_tensor=agg == "AVERAGE")

    # Classifiers: multi-class scores (NONE, and SOFTMAX over base values),
    # binary with NONE and with LOGISTIC.
    cases = (("classifier-multi", [10, 20, 30, 40], "NONE", None),
             ("classifier-softmax", [0, 1, 2], "SOFTMAX", [0.1, -0.2, 0.3]),
             ("classifier-binary-logistic", [0, 1], "LOGISTIC", [0.5]),
             ("classifier-binary", [3, 7], "NONE", None))
    for name, labels, post, base in cases:
        binary = "binary" in name
        f = Forest()
        for _ in range(6):
            f.roots.append(grow(rng, f, 4, 3, 1 if binary else len(labels),
                                [LEQ, GT, NEQ])[1])
        if post == "NONE":
            # Probability-like weights: with a negative one onnxruntime's
            # binary NONE rule turns to [-p, p] where ONNX's stays [1 - p, p].
            # Averaged over the trees, as a random forest's probabilities.
            f.leaves = [(t, float(rng.random()) / len(f.roots)) for t, _ in f.leaves]
        extra = {} if binary else {
            l: [(int(rng.integers(len(labels))), float(rng.random()))]
            for l in range(len(f.leaves)) if rng.random() < 0.5}
        write_legacy(out, name, shuffled(rng, f), extra, inputs(rng, 40, 3, np.float32),
                     len(labels), None, base or [], as_tensor=False, labels=labels,
                     post=post)


if __name__ == "__main__":
    main(sys.argv[1])
