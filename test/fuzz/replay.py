#!/usr/bin/python3
"""Compiles every file in DIR with DLC (to --emit=import, which runs the
loader, checker, shape inference and importer the import fuzzer covers), or
with MODEL given, feeds each file to `dlc-run MODEL --input FILE` (the tensor
reader the tensor fuzzer covers); fails if one ends in a signal (exit >=
128), takes longer than 120 s, or leaves output after an error.
Usage: replay.py DLC DIR SCRATCH [MODEL]"""
import os
import subprocess
import sys

dlc, folder, scratch = sys.argv[1:4]
model = sys.argv[4] if len(sys.argv) > 4 else None
bad = []
files = sorted(os.listdir(folder))
for name in files:
    out = os.path.join(scratch, name + ".mlir")
    try:
        cmd = ([dlc, model, "--input", os.path.join(folder, name), "--output-dir", out]
               if model else [dlc, os.path.join(folder, name), "--emit=import", "-o", out])
        r = subprocess.run(cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    except subprocess.TimeoutExpired:
        bad.append(f"{name}: no result after 120 s")
        continue
    err = r.stderr.decode(errors="replace").strip().splitlines()
    if r.returncode < 0 or r.returncode >= 128:
        bad.append(f"{name}: exit {r.returncode}: {err[-1] if err else ''}")
    elif r.returncode != 0 and os.path.exists(out):
        bad.append(f"{name}: failed but left {out}")
    elif r.returncode != 0 and (len(err) != 1 or "error:" not in err[0]):
        bad.append(f"{name}: expected one error line, got {len(err)}: {err[:3]}")
print(f"{len(files)} regression inputs, {len(bad)} bad")
for b in bad:
    print(b)
sys.exit(1 if bad or not files else 0)
