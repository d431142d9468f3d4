// Passes of dlc that stay at one IR level. Each description states what the
// pass matches, what it produces, and its pre- and postconditions.
#ifndef DLC_PASSES_TRANSFORMS_PASSES_TD
#define DLC_PASSES_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def PlanMemory : Pass<"dlc-plan-memory", "func::FuncOp"> {
  let summary = "Places every intermediate buffer in one workspace arena";
  let description = [{
    Matches: a bufferized function whose intermediates are statically shaped
    `memref.alloc` ops with the identity layout, all in the function's entry
    block (buffer results already turned into out-params).

    Produces: one extra trailing argument `memref<Nxi8>` (the workspace) and a
    `memref.view` into it for each former allocation. Offsets come from a
    liveness-based first-fit placement over the entry block's op order: two
    buffers share bytes only when their live ranges (the allocation up to the
    last op that touches it or any view of it) do not overlap. The function
    gets a `dlc.workspace_size` attribute (bytes, a multiple of `alignment`).

    Postcondition: no `memref.alloc` or `memref.dealloc` remains, so the
    generated code never calls malloc. A dynamically shaped or nested
    allocation is an error.
  }];
  let dependentDialects = ["memref::MemRefDialect", "arith::ArithDialect"];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "Byte alignment of every buffer placed in the workspace">,
  ];
}

def LowerPad : Pass<"dlc-lower-pad", "func::FuncOp"> {
  let summary = "Lowers dlc.pad (reflect/edge) to tensor slices and concats";
  let description = [{
    Matches: `dlc.pad` ops on ranked, statically shaped tensors.

    Produces: for each padded dimension, slices of the input border (reversed
    with `linalg.generic` for reflect mode, single-element slices broadcast for
    edge mode) joined to the input by `tensor.concat`.

    Postcondition: no `dlc.pad` remains; the IR is linalg/tensor on tensors.
  }];
  let dependentDialects = ["tensor::TensorDialect", "linalg::LinalgDialect"];
}

def ApproximateMath : Pass<"dlc-approximate-math", "func::FuncOp"> {
  let summary = "Inlines polynomial approximations of transcendental math ops";
  let description = [{
    Matches: math.exp, math.tanh, math.erf, math.log, math.sin, ... on f32
    scalars or vectors.

    Produces: arith/math.fma sequences from upstream
    `populateMathPolynomialApproximationPatterns` (about 2 ulp for exp/log,
    a few ulp for tanh/erf). f64 transcendentals are first narrowed to f32
    (truncf, op, extf): the approximations exist for f32 only. Every
    math.fma (from the approximations or elsewhere) then becomes arith.mulf
    + arith.addf with the `contract` flag, and floor/trunc/ceil/round become
    exact compare/convert/select sequences.

    Postcondition: nothing needs libm: no math.fma (fmaf on CPUs without
    FMA), no floor/trunc (floorf/truncf before SSE4.1), no f64 exp/log/...
    With `native-rounding` (a CPU with rounding instructions: SSE4.1's
    roundps, Arm's frint*), floor/trunc/ceil/roundeven stay: LLVM lowers
    them to one instruction each.
  }];
  let options = [
    Option<"nativeRounding", "native-rounding", "bool", /*default=*/"false",
           "Keep floor/trunc/ceil/roundeven for the CPU's rounding instructions">
  ];
  let dependentDialects = ["arith::ArithDialect", "math::MathDialect",
                           "vector::VectorDialect"];
}

def ExpandStridedCopies : Pass<"dlc-expand-strided-copies", "func::FuncOp"> {
  let summary = "Turns memref.copy between strided views into linalg.copy";
  let description = [{
    Matches: `memref.copy` where either side has a non-identity layout (e.g.
    the subview a padded tensor is written into).

    Produces: `linalg.copy` on the same operands, which later becomes loops.

    Postcondition: every remaining `memref.copy` is between contiguous
    buffers, so it lowers to an `llvm.memcpy` intrinsic instead of a call to
    MLIR's `memrefCopy` runtime helper, which artifacts must not need.
  }];
  let dependentDialects = ["linalg::LinalgDialect"];
}

def LowerPool : Pass<"dlc-lower-pool", "func::FuncOp"> {
  let summary = "Lowers dlc.pool to tensor.pad and linalg.generic";
  let description = [{
    Matches: `dlc.pool` on statically shaped float tensors.

    Produces: a `tensor.pad` with the neutral element (-inf for max, 0 for
    avg), one `linalg.generic` reducing over the window dimensions, and for
    averages a second `linalg.generic` multiplying by a compile-time constant
    of reciprocal divisors.

    Postcondition: no `dlc.pool` remains.
  }];
  let dependentDialects = ["tensor::TensorDialect", "linalg::LinalgDialect",
                           "arith::ArithDialect"];
}

def FuseElementwise : Pass<"dlc-fuse-elementwise", "func::FuncOp"> {
  let summary = "Elementwise fusion of linalg generics, bounded in body size";
  let description = [{
    Matches: what upstream's `linalg-fuse-elementwise-ops` matches (a
    generic consuming the single-use result of another, reshapes around
    generics, fills and splat constants feeding generics).

    Produces: the same fused generics, except that two generics fuse only
    while the fused body has at most `max-body-ops` operations, so that long
    elementwise chains (unrolled loops) fuse in linear time into several
    bounded kernels instead of one body that grows quadratically, and that
    reshapes do not fold into integer matmuls and convolutions: the named
    op (quantized_matmul, an i8 matmul or conv) keeps its reshaped operand,
    so the int8 kernel strategy, which matches named ops, still sees it.
  }];
  let options = [Option<"maxBodyOps", "max-body-ops", "int64_t",
                        /*default=*/"256",
                        "Most operations in a fused generic's body">];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect",
                           "affine::AffineDialect"];
}

def InfiniteReductionInit
    : Pass<"dlc-infinite-reduction-init", "func::FuncOp"> {
  let summary = "Float max/min reductions start at -inf/+inf";
  let description = [{
    Matches: a `linalg.reduce` whose combiner is one float max or min and
    whose init is a `linalg.fill` of -FLT_MAX (max) or +FLT_MAX (min), as
    tosa-to-linalg writes them.

    Produces: the same reduction over a fill of -inf (max) or +inf (min),
    so that the max of an all -inf row is -inf as ONNX requires.
  }];
  let dependentDialects = ["linalg::LinalgDialect", "arith::ArithDialect"];
}

def BoundInsertChains : Pass<"dlc-bound-insert-chains", "func::FuncOp"> {
  let summary = "Splits long tensor.insert_slice chains into bounded groups";
  let description = [{
    Matches: a chain of more than `group` `tensor.insert_slice` ops, each
    inserting into the previous one's result (its only use), starting from a
    `tensor.empty`, whose regions are static, unit-stride, equal in every
    dimension but one and contiguous along it (a Concat of many operands, the
    step outputs of an unrolled recurrence).

    Produces: each run of `group` consecutive inserts writes into its own
    `tensor.empty` of the run's box, and one insert puts the box into the
    chain; repeated until no chain is longer than `group`.

    Why: one-shot bufferization's in-place analysis of one chain of n
    inserts grows like n^4 (a Concat of 200 operands took 40 s); bounded
    groups make it linear at the cost of one extra copy per level.
  }];
  let dependentDialects = ["tensor::TensorDialect"];
  let options = [
    Option<"group", "group", "int64_t", /*default=*/"16",
           "Most inserts left in one chain">,
  ];
}

def DistinctResults : Pass<"dlc-distinct-results", "func::FuncOp"> {
  let summary = "Gives every returned tensor its own value";
  let description = [{
    Matches: `func.return` operands that repeat an earlier operand or are
    function arguments.

    Produces: a `linalg.copy` into a fresh `tensor.empty` for each such
    operand, so that every result bufferizes to its own out-parameter.

    Postcondition: the return operands are pairwise distinct op results.
  }];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect"];
}

def LowerUnary : Pass<"dlc-lower-unary", "func::FuncOp"> {
  let summary = "Lowers dlc.unary and dlc.div to linalg.generic";
  let description = [{
    Matches: `dlc.unary` and `dlc.div` on statically shaped tensors.

    Produces: an elementwise `linalg.generic` whose body is the math-dialect
    function (or an arith comparison for the is* predicates).

    Postcondition: no `dlc.unary` or `dlc.div` remains.
  }];
  let dependentDialects = ["linalg::LinalgDialect", "math::MathDialect",
                           "arith::ArithDialect", "tensor::TensorDialect"];
}

def LowerConv : Pass<"dlc-lower-conv", "func::FuncOp"> {
  let summary = "Lowers grouped dlc.conv to one linalg.generic, and "
                "depthwise tosa.depthwise_conv2d to linalg";
  let description = [{
    Matches: `dlc.conv` on statically shaped float tensors;
    `tosa.depthwise_conv2d` with one output per channel, static shapes, and
    f32 data or int8 data with int32 sums and constant zero points (run
    before `tosa-to-linalg-named`, which takes the other forms).

    Produces: for `dlc.conv`, `tensor.pad`, `tensor.expand_shape` views with
    the group as a dimension, one `linalg.generic` accumulating over channels
    and window, `tensor.collapse_shape`, and an elementwise bias
    `linalg.generic`. For the depthwise convolution, `tensor.pad` (with the
    input's zero point), `linalg.depthwise_conv_2d_nhwc_hwc(_q)` and a bias
    `linalg.generic`, all four-dimensional.

    Postcondition: no `dlc.conv` remains.
  }];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect",
                           "arith::ArithDialect"];
}

def FoldClampedCasts : Pass<"dlc-fold-clamped-casts", "func::FuncOp"> {
  let summary = "Drops the saturation checks of float-to-int casts of "
                "clamped values";
  let description = [{
    Matches: `arith.select(arith.cmpf uge/oge (r, C), K,
    arith.fptosi(arith.maximumf(r, L)))` (or `fptosi(r)`) with
    `r = math.roundeven(clamp(x, lo, hi))`, the clamp a
    `maximumf`/`minimumf` pair with constant bounds in either order, where
    `hi < C`, `L <= lo` and both bounds lie inside the integer type: what
    tosa.cast from float to int lowers to, applied to a clamped value (every
    quantization's saturating cast).

    Produces: `arith.fptosi(math.roundeven(clamp'(x)))`, where clamp' makes
    the clamp's inner bound NaN-ignoring (`x < hi ? x : hi` as
    `arith.cmpf olt` + `arith.select`, one `minps` on x86, where
    `arith.minnumf` lowers to four instructions), so NaN saturates to that
    bound instead of reaching the removed checks.

    Postcondition: equal results for every number; NaN gives the inner
    bound's conversion.

    Then, on such clamps (constant integer bounds): `minsi(maxsi(
    fptosi(roundeven(c)) + z, L), H)` with constants z, L, H becomes
    `fptosi(roundeven(c')) + z`, c' clamping to `[max(lo, L - z), min(hi,
    H - z)]`; `extsi(trunci(x))` to 8 bits and back is x where x's range
    (from these clamps, adds and min/max) fits int8, and its `andi 255` is x
    where it fits uint8; `sitofp(fptosi(roundeven(c)) + z) - z` (z's float
    value) becomes `roundeven(c) + 0.0`. All exact (integers below 2^24);
    NaN still takes the clamp's inner bound.
  }];
  let dependentDialects = ["arith::ArithDialect", "math::MathDialect"];
}

def OutlineKernels : Pass<"dlc-outline-kernels", "ModuleOp"> {
  let summary = "Moves each top-level linalg op into its own function";
  let description = [{
    Matches: linalg ops and `memref.copy` at the top level of each public
    function's entry block (after bufferization and memory planning).

    Produces: one private `func.func @<fn>_kernel<N>` per op, taking the
    roots of its buffers (function arguments, the workspace) and rebuilding
    views, globals and constants inside; the op becomes a `func.call`.

    Postcondition: kernels take identity-layout memrefs (bare-pointer
    compatible). Keeps LLVM's per-function work small, so compile time grows
    linearly with network depth.
  }];
  let dependentDialects = ["func::FuncDialect"];
}

def ExpandHalfConversions : Pass<"dlc-expand-half-conversions", "func::FuncOp"> {
  let summary = "Writes f16 <-> f32 conversions as integer bit manipulation";
  let description = [{
    Matches: `arith.extf` from f16 and `arith.truncf` to f16 (scalars or
    vectors; f64 goes through f32).

    Produces: bitcasts, shifts, masks and selects: exact extension and
    round-to-nearest-even truncation, NaN and infinity preserved.

    Postcondition: no f16 conversion is left for LLVM to turn into
    __extendhfsf2/__truncsfhf2 calls (x86-64 without F16C). Run after f16
    arithmetic has been emulated in f32 (arith-emulate-unsupported-floats,
    math-extend-to-supported-types).

    Also, always: an integer converted straight to f16 or bf16
    (`arith.sitofp`/`uitofp`, which canonicalization makes of
    truncf(sitofp) when exact, e.g. a one-hot bool rounded to bf16) goes
    through f32 and `arith.truncf`, which the f16 patterns here or
    arith-expand's bf16 ones then write as integer code; LLVM would call
    __floatsibf/__truncsfbf2. Through f32 is exact for integers of up to
    24 bits; beyond, it rounds twice.
  }];
  let dependentDialects = ["arith::ArithDialect"];
  let options = [
    Option<"expandF16", "expand-f16", "bool", /*default=*/"true",
           "Also expand f16 <-> f32 conversions (off where the CPU has "
           "them: only the integer-to-half conversions are split)">,
  ];
}

def FlattenEmptyBuffers : Pass<"dlc-flatten-empty-buffers", "ModuleOp"> {
  let summary = "Passes zero-element buffers across calls as memref<0xT>";
  let description = [{
    Matches: function arguments of zero-element memref type with rank > 1
    (e.g. `memref<3x0x5xi64>`), which the bare-pointer calling convention
    rejects because such types have no static strides.

    Produces: the argument becomes `memref<0xT>` and is expanded back to its
    original type with `memref.expand_shape` at function entry; every
    `func.call` collapses the operand with `memref.collapse_shape`.

    Postcondition: no function argument is a zero-element memref of rank
    other than one. No data moves: the buffers hold nothing.
  }];
  let dependentDialects = ["memref::MemRefDialect"];
}

def SinkTransposes : Pass<"dlc-sink-transposes", "func::FuncOp"> {
  let summary = "Moves layout transposes below elementwise ops";
  let description = [{
    Matches: an elementwise op (TOSA's elementwise ops, tosa.mul,
    tosa.cast, dlc.div, dlc.unary) on statically shaped tensors whose data
    operands are all results of one `tosa.transpose` permutation or
    broadcasts (at most one dimension that is not 1).

    Produces: the op on the transposes' inputs (broadcast operands
    reshaped to the inverse permutation) followed by one `tosa.transpose`
    of its result. Applied repeatedly, transposes move down elementwise
    chains until they meet their inverse, which the transpose
    canonicalizations fold.

    Postcondition: the same values; no op reads more data than before.
  }];
  let dependentDialects = ["tosa::TosaDialect"];
}

#endif // DLC_PASSES_TRANSFORMS_PASSES_TD
