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

def DLC_PoolOp : DLC_Op<"pool", [Pure]> {
  let summary = "N-D max, average or sum pooling on channels-first tensors";
  let description = [{
    ONNX `MaxPool`/`AveragePool` on `[N, C, D1, ..., Dk]` for any k, with
    strides, dilations and explicit padding. TOSA only pools 2-D NHWC
    windows without dilation; this op keeps ONNX's layout and generality.

    `pads_low`/`pads_high` are the ONNX pads: with `count_include_pad` they
    count in an average's divisor. Kind "sum" adds the window without
    dividing (ONNX LpPool). The result shape may need more high
    padding than given (ONNX `ceil_mode`); that extra padding never counts.
    Lowered by `--dlc-lower-pool` to `tensor.pad` and `linalg.generic`.

    Example:
    ```mlir
    %0 = dlc.pool %x kind "max" kernel [3, 3] strides [2, 2] dilations [1, 1]
        pads_low [1, 1] pads_high [1, 1] count_include_pad false
        : tensor<1x8x16x16xf32> -> tensor<1x8x8x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, StrAttr:$kind,
                   DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$pads_low,
                   DenseI64ArrayAttr:$pads_high, BoolAttr:$count_include_pad);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $input `kind` $kind `kernel` $kernel `strides` $strides
    `dilations` $dilations `pads_low` $pads_low `pads_high` $pads_high
    `count_include_pad` $count_include_pad attr-dict
    `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def DLC_UnaryOp : DLC_Op<"unary", [Pure, SameOperandsAndResultShape]> {
  let summary = "Elementwise math function that TOSA does not provide";
  let description = [{
    Applies `fn` to every element: one of "sqrt", "tan", "asin", "acos",
    "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "isinf",
    "isposinf", "isneginf". The result has the input's shape; its element
    type is the input's, or i1 for the is* predicates. Lowered by
    `--dlc-lower-unary` to a linalg.generic over the math dialect, whose
    transcendental functions are later expanded or approximated inline.

    Example:
    ```mlir
    %0 = dlc.unary %x fn "asin" : tensor<4xf32> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, StrAttr:$fn);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $input `fn` $fn attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def DLC_ConvOp : DLC_Op<"conv", [Pure]> {
  let summary = "Grouped N-D convolution on channels-first tensors";
  let description = [{
    ONNX `Conv` with `groups` that is neither 1 nor the channel count (TOSA
    has no grouped convolution; splitting into one convolution per group
    makes compile time grow with the group count). Input `[N, C, S...]`,
    weight `[F, C / groups, K...]`, bias `[F]`, result `[N, F, O...]`;
    strides, dilations and non-negative pads per spatial dimension.
    Lowered by `--dlc-lower-conv` to one `linalg.generic` with the group as
    a loop dimension.

    Example:
    ```mlir
    %0 = dlc.conv %x, %w, %b groups 2 strides [1, 1] dilations [1, 1]
        pads_low [1, 1] pads_high [1, 1]
        : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>)
        -> tensor<1x6x8x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
                   AnyRankedTensor:$bias, I64Attr:$groups,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads_low, DenseI64ArrayAttr:$pads_high);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `groups` $groups `strides` $strides
    `dilations` $dilations `pads_low` $pads_low `pads_high` $pads_high
    attr-dict `:` `(` type($input) `,` type($weight) `,` type($bias) `)`
    `->` type($output)
  }];
  let hasVerifier = 1;
}

def DLC_DivOp : DLC_Op<"div", [Pure]> {
  let summary = "Correctly rounded floating-point division";
  let description = [{
    `lhs / rhs` elementwise, IEEE-rounded. TOSA only offers a reciprocal, and
    `x * (1 / y)` can differ from `x / y` in the last bit, which matters
    wherever a quotient is rounded afterwards (QuantizeLinear, Div followed
    by Floor). Operands have the result's rank; a dimension of size 1
    broadcasts. Lowered by `--dlc-lower-unary` to a linalg.generic with
    `arith.divf`.

    Example:
    ```mlir
    %0 = dlc.div %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` `(` type($lhs) `,` type($rhs) `)` `->` type($output)
  }];
  let hasVerifier = 1;
}

#endif // DLC_OPS_TD
