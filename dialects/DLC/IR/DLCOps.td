// Operations of the `dlc` dialect. Each op states the ONNX semantics it
// carries and how it is lowered.
#ifndef DLC_OPS_TD
#define DLC_OPS_TD

include "dialects/DLC/IR/DLCBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def DLC_PadOp : DLC_Op<"pad", [Pure]> {
  let summary = "Pads a tensor by reflecting or replicating its border";
  let description = [{
    ONNX `Pad` in `reflect` or `edge` mode, which TOSA's constant-only
    `tosa.pad` cannot express. `low` and `high` give the non-negative amount
    of padding before and after each dimension. In `reflect` mode the border
    element is not repeated (numpy `reflect`); in `edge` mode it is.
    Lowered by `--dlc-lower-pad` to `tensor.extract_slice`, `linalg.generic`
    and `tensor.concat` before bufferization.

    Example:
    ```mlir
    %0 = dlc.pad %arg0 low [0, 1] high [0, 2] mode "reflect"
        : tensor<2x4xf32> -> tensor<2x7xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$low,
                   DenseI64ArrayAttr:$high, StrAttr:$mode);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $input `low` $low `high` $high `mode` $mode attr-dict
    `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

#endif // DLC_OPS_TD
