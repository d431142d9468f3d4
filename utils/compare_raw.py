#!/usr/bin/env python3
"""Compares two raw tensor files (dense little-endian bytes) elementwise.

  compare_raw.py ACTUAL EXPECTED [--dtype float32]

Uses the tolerances of compiler/tools/common/TensorIO.h (numpy.allclose with
rtol 1e-3, atol 1e-5), which every numeric test shares; keep them in step.
Exits 0 when every element is close and the sizes agree."""
import argparse
import sys

import numpy as np

RTOL, ATOL = 1e-3, 1e-5  # compiler/tools/common/TensorIO.h


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("actual")
    ap.add_argument("expected")
    ap.add_argument("--dtype", default="float32")
    args = ap.parse_args()
    a = np.fromfile(args.actual, dtype=args.dtype)
    e = np.fromfile(args.expected, dtype=args.dtype)
    if a.shape != e.shape:
        print("size mismatch: %d vs %d elements" % (a.size, e.size))
        return 1
    if a.size == 0:
        print("empty tensors")
        return 1
    bad = ~np.isclose(a, e, rtol=RTOL, atol=ATOL)
    err = float(np.max(np.abs(a.astype(np.float64) - e))) if a.size else 0.0
    if bad.any():
        i = int(np.argmax(bad))
        print("%d of %d elements differ; first at %d: %r vs %r" %
              (int(bad.sum()), a.size, i, a[i], e[i]))
        return 1
    print("match: %d elements, max abs error %.3g" % (a.size, err))
    return 0


if __name__ == "__main__":
    sys.exit(main())
