"""Writes the current ONNX backend test suite (node and model cases) as test folders.

The onnx Python package carries the suite as generators: each case is a model
plus input/output tensors computed by ONNX's reference code. This writes them
in the backend-test layout (`<kind>/<name>/model.onnx` and
`test_data_set_*/{input,output}_K.pb`) that dlc-check and utils/conformance.py
read, so the suite is made at test time and never committed. Run it with the
python of utils/onnx-env.sh (the pinned onnx that matches dlc's C++ library):

    $(utils/onnx-env.sh) utils/gen_onnx_suite.py OUT_DIR
"""
import sys
import types

import onnx
from onnx.backend.test import cmd_tools
import onnx.backend.test.case.model as model_test
import onnx.backend.test.case.node as node_test


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: gen_onnx_suite.py OUT_DIR")
    # "real" cases name models that are downloaded, not generated: left out.
    cases = [c for c in node_test.collect_testcases() + model_test.collect_testcases()
             if c.kind != "real"]
    # cmd_tools.generate_data writes whatever its model_test module collects.
    cmd_tools.model_test = types.SimpleNamespace(collect_testcases=lambda: cases)
    cmd_tools.generate_data(types.SimpleNamespace(output=sys.argv[1]))
    print(f"onnx {onnx.__version__}: {len(cases)} cases written to {sys.argv[1]}")


if __name__ == "__main__":
    main()
