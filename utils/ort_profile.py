#!/usr/bin/env python3
"""onnxruntime's time per node, to set beside `dlc-run --profile`.

Runs a model on onnxruntime's CPU execution provider with its profiler on
(seeded random inputs, 10 warm-up runs, then --runs timed runs) and prints
the median time of every node, slowest first, with its operator and shapes,
and the median run. Medians, as dlc-run's profile prints: on a shared machine
a mean follows the runs another process interrupted. A benchmark aid, never a
test; run it with the benchmark venv's python (utils/bench-env.sh):

  $(utils/bench-env.sh) utils/ort_profile.py model.onnx [--threads N] [--runs N] [--top N]
"""
import argparse
import collections
import json
import os
import statistics
import tempfile
import time

import numpy as np
import onnxruntime as ort


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--top", type=int, default=60)
    args = ap.parse_args()

    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.enable_profiling = True
    tmp = tempfile.mkdtemp(prefix="ort-profile.")
    so.profile_file_prefix = os.path.join(tmp, "ort")
    session = ort.InferenceSession(args.model, so,
                                   providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {}
    for i in session.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        if "int" in i.type:
            feeds[i.name] = rng.integers(0, 100, shape).astype(np.int64)
        else:
            feeds[i.name] = rng.standard_normal(shape).astype(np.float32)
    for _ in range(10):
        session.run(None, feeds)
    runs = []
    for _ in range(args.runs):
        t = time.perf_counter()
        session.run(None, feeds)
        runs.append((time.perf_counter() - t) * 1e3)
    path = session.end_profiling()
    with open(path) as f:
        events = json.load(f)
    os.remove(path)
    os.rmdir(tmp)

    times = collections.defaultdict(list)
    info = {}
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        name = e["name"][: -len("_kernel_time")]
        times[name].append(e["dur"] / 1e3)
        a = e.get("args", {})
        info[name] = (a.get("op_name", "?"), a.get("input_type_shape", []),
                      a.get("output_type_shape", []))
    # The profile also holds the warm-up runs: keep the timed ones.
    rows = sorted(((statistics.median(v[-args.runs:]), n)
                   for n, v in times.items()), reverse=True)
    total = sum(t for t, _ in rows)

    def shapes(lst):
        return " ".join("x".join(map(str, list(s.values())[0])) for s in lst)

    print("onnxruntime %s, %d thread(s): median run %.3f ms, sum of node "
          "medians %.3f ms" % (ort.__version__, args.threads,
                               statistics.median(runs), total))
    print("%10s %7s  %-22s %s" % ("ms/run", "share", "operator", "shapes"))
    for t, n in rows[: args.top]:
        op, ins, outs = info[n]
        print("%10.3f %6.1f%%  %-22s %s -> %s" %
              (t, 100 * t / total if total else 0, op, shapes(ins), shapes(outs)))


if __name__ == "__main__":
    main()
