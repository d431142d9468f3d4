#!/usr/bin/python3
"""Runs dlc-check over an ONNX backend test suite and reports by operator.

Two suites: Debian's libonnx-testdata (ONNX 1.12; the default --testdata) and
the current ONNX suite that utils/gen_onnx_suite.py writes from the onnx
Python package. Selects the test folders (node, pytorch-converted,
pytorch-operator, simple, as --testdata has them, or --suites) whose
operators dlc claims (--suite core: the foundation set; --suite all: every
folder), runs them through dlc-check, and either writes the suite's section
of docs/conformance.md (--write, the section named by --label) or checks the
result against the expected failures (--xfail / --xfail-file, with --check:
exact, so a folder that starts passing must leave the list too).
--update-xfail rewrites an expected-failure file from this run.

    /usr/bin/python3 utils/conformance.py --bin build/bin --suite all --write docs/conformance.md
    $(utils/onnx-env.sh) utils/conformance.py --bin build/bin --suite all \
        --testdata /tmp/onnx-suite --suites node --label "ONNX 1.23.2" --write docs/conformance.md
"""
import argparse
import collections
import os
import re
import subprocess
import sys

import onnx

TESTDATA = "/usr/share/libonnx-testdata/data"
SUITES = ["node", "pytorch-converted", "pytorch-operator", "simple"]

# The foundation operator set (issue: core operators, fp32, opsets 7-17).
CORE = {
    "Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu",
    "Clip", "Sigmoid", "Tanh", "Softmax", "MaxPool", "AveragePool",
    "GlobalAveragePool", "BatchNormalization", "Flatten", "Reshape",
    "Transpose", "Concat", "Pad", "ReduceMean", "Identity", "Constant",
}
# Operators that only carry data around the ones under test.
PLUMBING = {"Constant", "Identity"}

# Why a folder cannot pass in an ahead-of-time inference compiler; these still
# count as failures in every figure.
NOT_APPLICABLE = {
    name: "random numbers (training-mode Dropout draws its own mask)"
    for name in ("test_training_dropout", "test_training_dropout_default",
                 "test_training_dropout_default_mask", "test_training_dropout_mask")
}

FLOAT_TYPES = {onnx.TensorProto.FLOAT}

# Failure reasons that mean the folder cannot apply to an ahead-of-time
# compiler of static-shape tensor programs (matched against dlc's message or
# the folder's operators). These still count as failures.
NA_PATTERNS = [
    ("compile-time constant", "a shape/placement parameter is a runtime graph input"),
    ("is not a tensor", "sequence/optional values, not tensors"),
    ("element type string", "string data"),
    ("cannot determine a static shape", "data-dependent output shape"),
]
NA_OPS = {
    "Sequence": "sequence values", "Optional": "optional values", "String": "string data",
    "TfIdfVectorizer": "string/variable-length data", "Loop": "data-dependent control flow",
    "If": "data-dependent control flow", "Scan": "data-dependent control flow",
    "NonZero": "data-dependent output shape", "Unique": "data-dependent output shape",
    "NonMaxSuppression": "data-dependent output shape", "Compress": "data-dependent output shape",
    "Bernoulli": "random numbers", "RandomUniformLike": "random numbers",
    "RandomNormalLike": "random numbers", "RandomUniform": "random numbers",
    "RandomNormal": "random numbers",
}


def na_reason(name, ops, reason):
    if name in NOT_APPLICABLE:
        return NOT_APPLICABLE[name]
    for pattern, why in NA_PATTERNS:
        if pattern in reason:
            return why
    for op in ops:
        for key, why in NA_OPS.items():
            if key in op:
                return why
    return None


def folders(suite_names, testdata=TESTDATA):
    for s in suite_names:
        root = os.path.join(testdata, s)
        if not os.path.isdir(root):
            continue
        for name in sorted(os.listdir(root)):
            path = os.path.join(root, name)
            if os.path.isfile(os.path.join(path, "model.onnx")):
                yield path


def describe(path):
    """(ops, all-float) of a test folder's model."""
    m = onnx.load(os.path.join(path, "model.onnx"), load_external_data=False)
    ops = {n.op_type for n in m.graph.node}
    types = [v.type.tensor_type.elem_type for v in list(m.graph.input) + list(m.graph.output)
             if v.type.HasField("tensor_type")]
    return ops, all(t in FLOAT_TYPES for t in types)


def excluded_core():
    """Folders using only foundation operators but with non-float data."""
    out = []
    for path in folders(SUITES):
        try:
            ops, is_float = describe(path)
        except Exception:
            continue
        if ops and ops <= CORE and not is_float and not ops <= PLUMBING:
            out.append(os.path.basename(path))
    return out


def select(suite, testdata=TESTDATA, suites=SUITES):
    chosen = []
    for path in folders(suites, testdata):
        try:
            ops, is_float = describe(path)
        except Exception:  # Unreadable models still count in the full suite.
            ops, is_float = {"<unreadable>"}, False
        if suite == "all":
            chosen.append((path, ops))
        elif ops and ops <= CORE and not ops <= PLUMBING:
            chosen.append((path, ops))
    return chosen


def run(bin_dir, chosen, flags):
    cmd = [os.path.join(bin_dir, "dlc-check")] + flags + [p for p, _ in chosen]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True).stdout
    results = {}
    for line in out.splitlines():
        m = re.match(r"(PASS|FAIL) (\S+?)(?:: (.*))?$", line)
        if m:
            results[m.group(2)] = (m.group(1) == "PASS", m.group(3) or "")
    return results


def short_reason(reason):
    reason = re.sub(r"^compile: \S+?:\d+:\d+: error: ", "compile: ", reason)
    reason = re.sub(r"/tmp/dlc-check-\w+/", "", reason)
    return reason[:160]


def write_report(path, suite, chosen, results, flags, label, source):
    total = len(chosen)
    passed = sum(1 for p, _ in chosen if results.get(p, (False,))[0])
    core = [(p, ops) for p, ops in chosen if ops and ops <= CORE and not ops <= PLUMBING]
    core_passed = sum(1 for p, _ in core if results.get(p, (False,))[0])
    na = [p for p, ops in chosen if not results.get(p, (False,))[0]
          and na_reason(os.path.basename(p), ops, results.get(p, (False, ""))[1])]
    by_op = collections.defaultdict(list)
    for p, ops in chosen:
        keyed = sorted(ops - PLUMBING) or sorted(ops)
        for op in keyed:
            by_op[op].append(p)
    lines = [
        "## %s" % label,
        "",
        "Generated by `utils/conformance.py --suite %s --write` (do not edit by hand)." % suite,
        "Folders: %s, run with `dlc-check %s`;" % (source, " ".join(flags)),
        "tolerances rtol 1e-3, atol 1e-5 (compiler/tools/common/TensorIO.h).",
        "",
        "**%s: %d of %d folders pass (%.1f%%).**" % (label, passed, total, 100.0 * passed / max(total, 1)),
        "",
        "Of the %d failures, %d cannot apply to an ahead-of-time compiler of static-shape" % (total - passed, len(na)),
        "tensor programs (marked *n/a* below, with the reason); they still count as failures.",
        "Foundation operator set (folders using only those operators): %d of %d pass." % (core_passed, len(core)),
        "",
        "A folder counts under every operator it uses (Constant and Identity only when alone).",
        "",
        "| operator | tests | passed | failed | failures |",
        "|---|---|---|---|---|",
    ]
    for op in sorted(by_op):
        ps = by_op[op]
        ok = [p for p in ps if results.get(p, (False,))[0]]
        bad = [p for p in ps if p not in ok]
        notes = []
        for p in bad:
            name = os.path.basename(p)
            reason = results.get(p, (False, "not run"))[1]
            why = na_reason(name, dict(chosen)[p], reason)
            notes.append("`%s`: %s" % (name, ("*n/a*: " + why) if why else short_reason(reason)))
        lines.append("| %s | %d | %d | %d | %s |" % (op, len(ps), len(ok), len(bad),
                                                      "<br>".join(notes).replace("|", "\\|")))
    replace_section(path, label, "\n".join(lines) + "\n")
    return passed, total


def replace_section(path, label, text):
    """Puts `text` between this suite's markers in `path`, keeping the rest."""
    begin = "<!-- conformance:%s:begin -->\n" % label
    end = "<!-- conformance:%s:end -->\n" % label
    doc = open(path).read() if os.path.exists(path) else "# ONNX backend conformance\n\n"
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        doc = head + begin + text + end + rest.split(end, 1)[1]
    else:
        doc = doc.rstrip("\n") + "\n\n" + begin + text + end
    with open(path, "w") as f:
        f.write(doc)


def read_list(path):
    """Folder names, one per line; '#' starts a comment."""
    names = set()
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.add(line)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="folder holding dlc and dlc-check")
    ap.add_argument("--suite", choices=["core", "all"], default="core")
    ap.add_argument("--write", help="write the markdown report here")
    ap.add_argument("--check", action="store_true", help="fail on unexpected results")
    ap.add_argument("--xfail", default="", help="comma-separated folder names expected to fail")
    ap.add_argument("--xfail-file", help="file of folder names expected to fail, one per line")
    ap.add_argument("--update-xfail", help="write this run's failures to this file")
    ap.add_argument("--testdata", default=TESTDATA, help="suite root (default: Debian's)")
    ap.add_argument("--suites", default=",".join(SUITES),
                    help="comma-separated sub-folders of --testdata to run")
    ap.add_argument("--label", default="Debian libonnx-testdata (ONNX 1.12)",
                    help="the suite's name in reports and docs/conformance.md")
    ap.add_argument("--min-pass", type=float, default=None,
                    help="with --suite all: fail unless at least this percentage passes "
                         "(individual failures are then not errors)")
    ap.add_argument("flags", nargs="*", help="extra dlc-check flags (after --)")
    args = ap.parse_args()
    flags = args.flags or ["-target=x86-64"]
    suites = [x for x in args.suites.split(",") if x]
    chosen = select(args.suite, args.testdata, suites)
    results = run(args.bin, chosen, flags)
    xfail = {x for x in args.xfail.split(",") if x}
    if args.xfail_file:
        xfail |= read_list(args.xfail_file)
    unexpected = 0
    for p, _ in chosen:
        ok, reason = results.get(p, (False, "not run"))
        name = os.path.basename(p)
        if args.min_pass is not None:
            continue
        if ok and name in xfail:
            print("XPASS %s" % p)
            unexpected += 1
        elif not ok and name not in xfail:
            print("FAIL %s: %s" % (p, reason))
            unexpected += 1
    passed = sum(1 for p, _ in chosen if results.get(p, (False,))[0])
    print("%d folders, %d passed, %d expected failures, %d unexpected" %
          (len(chosen), passed, len(xfail), unexpected))
    percent = 100.0 * passed / max(len(chosen), 1)
    if args.min_pass is not None:
        print("%.1f%% pass (required: %.1f%%)" % (percent, args.min_pass))
        if percent < args.min_pass:
            return 1
    else:
        print("%.1f%% pass" % percent)
    if args.update_xfail:
        failed = sorted(os.path.basename(p) for p, _ in chosen if not results.get(p, (False,))[0])
        with open(args.update_xfail, "w") as f:
            f.write("# Folders of the %s suite (--suite %s, dlc-check %s) expected to fail;\n"
                    "# written by utils/conformance.py --update-xfail. docs/conformance.md\n"
                    "# gives each one's reason.\n" % (args.label, args.suite, " ".join(flags)))
            f.write("".join(n + "\n" for n in failed))
    if args.write:
        source = ("Debian `libonnx-testdata` (%s)" % ", ".join(suites) if args.testdata == TESTDATA
                  else "the onnx %s package's backend test cases (%s), written by "
                       "`utils/gen_onnx_suite.py`" % (onnx.__version__, ", ".join(suites)))
        write_report(args.write, args.suite, chosen, results, flags, args.label, source)
    return 1 if (args.check and unexpected) else 0


if __name__ == "__main__":
    sys.exit(main())
