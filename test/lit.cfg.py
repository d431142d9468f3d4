# lit configuration of the dlc regression suite. Tests mirror the source tree:
# dialects/, passes/, compiler/Import/ONNX/ (importer handlers on .onnxtext
# models), targets/ (codegen), tools/ (driver behaviour and errors), e2e/
# (numeric end-to-end tests against reference data).
import os
import shutil

import lit.formats

config.name = "dlc"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".mlir", ".onnxtext", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.dlc_obj_root, "test")

# Tools first from the build, then LLVM's (FileCheck, not, ...).
config.environment["PATH"] = os.pathsep.join(
    [config.dlc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
# Debian's python3 has onnx, numpy and torch; a pyenv python may not.
python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else shutil.which("python3")
config.substitutions.append(("%python", python))
config.substitutions.append(("%dlc_src", config.dlc_src_root))
config.substitutions.append(("%dlc_bin", config.dlc_tools_dir))
config.substitutions.append(("%dlc_build", config.dlc_obj_root))

testdata = "/usr/share/libonnx-testdata/data"
if os.path.isdir(testdata):
    config.available_features.add("onnx-testdata")
    config.substitutions.append(("%onnx_testdata", testdata))

# The onnx Python package at the version of dlc's ONNX library (a venv that
# utils/onnx-env.sh makes from PyPI; utils/test.sh prepares it), which
# generates the current backend suite. Without PyPI those tests are
# UNSUPPORTED.
import re
onnx_version = re.search(r"^ONNX_VERSION=(\S+)", open(os.path.join(
    config.dlc_src_root, "utils", "build-onnx.sh")).read(), re.M).group(1)
onnx_py = os.path.join(os.environ.get("DLC_CACHE", os.path.expanduser("~/.cache/dlc")),
                       "onnx-py-" + onnx_version, "bin", "python")
if os.path.exists(onnx_py):
    config.available_features.add("onnx-current")
    config.substitutions.append(("%onnx_python", onnx_py))
config.substitutions.append(("%onnx_version", onnx_version))

# Trained models from PyPI wheels (utils/trained_models.py; utils/test.sh
# fetches them) with onnxruntime as the reference, from the benchmark venv
# (utils/bench-env.sh). Without PyPI those tests are UNSUPPORTED.
bench_py = os.path.join(os.environ.get("DLC_BENCH_VENV", os.path.expanduser(
    "~/.cache/dlc/bench-venv")), "bin", "python")
if os.path.exists(bench_py):
    import subprocess
    if subprocess.call([bench_py, os.path.join(config.dlc_src_root, "utils",
                                               "trained_models.py"), "fetch", "--offline"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
        config.available_features.add("trained-models")
        config.substitutions.append(("%bench_python", bench_py))

def has_module(mod):
    import subprocess
    return subprocess.call([python, "-c", "import " + mod],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0

for mod in ("torch", "torchvision", "sklearn"):
    if has_module(mod):
        config.available_features.add(mod)
# Artifacts built for -target=x86-64-avx512 run only where the CPU has
# AVX-512 (elsewhere they would die of SIGILL); their FileCheck tests of the
# generated code run everywhere.
try:
    with open("/proc/cpuinfo") as f:
        cpuinfo = f.read()
        if " avx512f" in cpuinfo:
            config.available_features.add("avx512")
        if " avx512_vnni" in cpuinfo:
            config.available_features.add("avx512vnni")
except OSError:
    pass
if shutil.which("qemu-aarch64"):
    config.available_features.add("qemu-aarch64")
if shutil.which("aarch64-linux-gnu-gcc"):
    config.available_features.add("aarch64-cc")

def can_sanitize():
    """Whether clang-22 links ASan + UBSan programs (libclang-rt-22-dev)."""
    import subprocess, tempfile
    if not shutil.which("clang-22"):
        return False
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "a.c")
        with open(src, "w") as f:
            f.write("int main(void) { return 0; }\n")
        return subprocess.call(
            ["clang-22", "-fsanitize=address,undefined", src, "-o", os.path.join(d, "a")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0

if can_sanitize():
    config.available_features.add("asan")
