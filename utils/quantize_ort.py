#!/usr/bin/env python3
"""Quantizes a float ONNX model with onnxruntime's quantize_static (QDQ
format, per-channel int8 weights, uint8 activations, MinMax calibration), the
peer form for dlc-bench's int8 rows: dlc and onnxruntime then run the same
QDQ model. Calibration samples are seeded standard-normal inputs (or the
model's test_data_set_*/input_*.pb beside it, when present).

  python utils/quantize_ort.py model.onnx model_int8.onnx [--samples N]
      [--save-calibration DIR]

--save-calibration writes the same samples as DIR/sample_K/input_J.pb, for
dlc's own post-training quantization (dlc --quantize=int8 --calibration=DIR),
so both quantizers see the same calibration data.

Runs in the benchmark environment (utils/bench-env.sh), never in tests."""
import argparse
import glob
import os

import numpy as np
import onnx
from onnx import numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                      QuantType, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

NP = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT64: np.int64,
      onnx.TensorProto.INT32: np.int32}


class Reader(CalibrationDataReader):
    def __init__(self, model, samples):
        inits = {i.name for i in model.graph.initializer}
        inputs = [i for i in model.graph.input if i.name not in inits]
        rng = np.random.default_rng(0)
        self.batches = []
        for _ in range(samples):
            feed = {}
            for i in inputs:
                t = i.type.tensor_type
                shape = [d.dim_value if d.dim_value > 0 else 1 for d in t.shape.dim]
                dtype = NP[t.elem_type]
                feed[i.name] = (rng.standard_normal(shape).astype(dtype) if dtype == np.float32
                                else rng.integers(0, 100, shape).astype(dtype))
            self.batches.append(feed)
        self.it = iter(self.batches)

    def get_next(self):
        return next(self.it, None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--save-calibration", metavar="DIR")
    a = ap.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    pre = a.out + ".pre.onnx"
    quant_pre_process(a.model, pre, skip_symbolic_shape=True)
    model = onnx.load(pre)
    reader = Reader(model, a.samples)
    if a.save_calibration:
        for k, feed in enumerate(reader.batches):
            d = os.path.join(a.save_calibration, "sample_%03d" % k)
            os.makedirs(d, exist_ok=True)
            for j, (name, value) in enumerate(feed.items()):
                with open(os.path.join(d, "input_%d.pb" % j), "wb") as f:
                    f.write(numpy_helper.from_array(value, name).SerializeToString())
    quantize_static(pre, a.out, reader, quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8)
    os.remove(pre)
    # The float model's test inputs travel with it (dlc-bench feeds seeded ones).
    src = os.path.dirname(os.path.abspath(a.model))
    for d in glob.glob(os.path.join(src, "test_data_set_*")):
        dst = os.path.join(os.path.dirname(os.path.abspath(a.out)), os.path.basename(d))
        if not os.path.exists(dst) and os.path.dirname(os.path.abspath(a.out)) != src:
            os.makedirs(dst)
            for f in glob.glob(os.path.join(d, "input_*.pb")):
                with open(f, "rb") as fi, open(os.path.join(dst, os.path.basename(f)), "wb") as fo:
                    fo.write(fi.read())


if __name__ == "__main__":
    main()
