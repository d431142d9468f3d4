#!/usr/bin/python3
"""Writes a seeded random float32 tensor as an ONNX TensorProto (.pb) file.

    /usr/bin/python3 utils/make_tensor.py out.pb --shape 1x3x32x32 [--seed 0]
"""
import argparse

import numpy as np
from onnx import numpy_helper


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--shape", required=True, help="dims joined by x, e.g. 1x3x32x32")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default="")
    args = ap.parse_args()
    shape = [int(d) for d in args.shape.split("x")]
    data = np.random.default_rng(args.seed).standard_normal(shape).astype(np.float32)
    with open(args.out, "wb") as f:
        f.write(numpy_helper.from_array(data, args.name).SerializeToString())


if __name__ == "__main__":
    main()
