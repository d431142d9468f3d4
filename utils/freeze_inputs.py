#!/usr/bin/python3
"""Copies ONNX backend-test folders with some graph inputs frozen to constants.

Many backend tests pass operator parameters (Resize scales, Slice starts,
Pad pads, ...) as graph inputs. Real models carry them as initializers; this
rewrites a test folder that way, taking each frozen input's value from
test_data_set_0, so the operator's numerics can be checked against the
official reference outputs with static parameters.

    /usr/bin/python3 utils/freeze_inputs.py SRC_DIR DST_DIR [--inputs a,b] [--non-float]

--non-float freezes every non-float input (the usual parameter inputs).
"""
import argparse
import glob
import os
import shutil

import onnx


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--inputs", default="")
    ap.add_argument("--non-float", action="store_true")
    args = ap.parse_args()
    model = onnx.load(os.path.join(args.src, "model.onnx"))
    inits = {t.name for t in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in inits]
    names = set(n for n in args.inputs.split(",") if n)
    if args.non_float:
        names |= {i.name for i in graph_inputs
                  if i.type.tensor_type.elem_type != onnx.TensorProto.FLOAT}
    frozen = [k for k, i in enumerate(graph_inputs) if i.name in names]
    sets = sorted(glob.glob(os.path.join(args.src, "test_data_set_*")))
    for k in frozen:
        t = onnx.load_tensor(os.path.join(sets[0], "input_%d.pb" % k))
        t.name = graph_inputs[k].name
        model.graph.initializer.append(t)
    kept = [i for k, i in enumerate(graph_inputs) if k not in frozen]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    os.makedirs(args.dst, exist_ok=True)
    onnx.save(model, os.path.join(args.dst, "model.onnx"))
    for s in sets:
        out = os.path.join(args.dst, os.path.basename(s))
        os.makedirs(out, exist_ok=True)
        j = 0
        for k in range(len(graph_inputs)):
            if k in frozen:
                continue
            shutil.copy(os.path.join(s, "input_%d.pb" % k), os.path.join(out, "input_%d.pb" % j))
            j += 1
        for f in glob.glob(os.path.join(s, "output_*.pb")):
            shutil.copy(f, out)


if __name__ == "__main__":
    main()
