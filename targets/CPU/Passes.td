// Passes of the CPU target's kernel strategy. They run at the kernels phase,
// on tensors, before bufferization and memory planning (Target::
// buildKernelPipeline), with parameters the target derives from its CPU.
#ifndef DLC_TARGETS_CPU_PASSES_TD
#define DLC_TARGETS_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def ContractionKernels
    : Pass<"dlc-cpu-contraction-kernels", "func::FuncOp"> {
  let summary = "Register-tiled, vectorized conv/matmul kernels with fused "
                "epilogues and compile-time packed weights";
  let description = [{
    Matches: f32 `linalg.conv_2d_nhwc_fhwc`, `linalg.depthwise_conv_2d_nhwc_hwcm`
    (channel multiplier 1), `linalg.matmul` and `linalg.batch_matmul` with
    static shapes, and at most one elementwise consumer each: an all-parallel
    `linalg.generic` reached through reshapes that keep the output-channel
    dimension innermost, which reads the contraction once with the identity
    map and whose other operands are read along the channel dimension or
    broadcast across it (bias, folded batch norm, activations, residual add).
    The contraction's `outs` operand (a fill, a bias broadcast or any tensor)
    is the accumulator's initial value.

    Produces: one loop nest per contraction and its epilogue, on tensors:
    output-channel panels of `nv` vectors x rows blocks of `mr` output rows,
    held in `mr * nv` vector accumulators across the whole reduction, then the
    epilogue's body applied to the accumulators as vector ops, and one
    `vector.transfer_write` per vector: the output is written once, the
    intermediate never exists. A constant right-hand side (weights, through
    transposes and reshapes) is packed at compile time into
    `[panels][K][nv * lanes]`, zero-padded, so the reduction reads it
    contiguously.

    The tile sizes come from the target: `lanes = vector-bits / 32`, `nv` up
    to 4 vectors (2 with 16 registers), `mr` as many rows as the remaining
    registers allow (at most 8). The tile loop runs row groups outermost
    (`row-groups`, each of 3 row blocks or more), then chunks of row blocks
    (about 128 KB of output and residual each, when the weights stay in L2),
    then panels, then the row blocks of the chunk, so that a thread's
    contiguous share of the loop is a set of output rows. Each row block
    prefetches a line of every weight row of the next reduction block (or
    panel) into L2 while it computes. An epilogue operand of the output's
    size that no later op reads and that is not a function argument (a
    residual) holds the output: the kernel overwrites it in place.

    Stride-1 3x3 convolutions with 32 or more input and output channels and
    8x8 or larger outputs run as Winograd F(4x4, 3x3), or F(2x2, 3x3) when
    F(4x4)'s transformed filter would exceed 4.5 MB and F(2x2)'s does not
    (`winograd`): each 6x6 (4x4) input tile transformed (vector code along
    the channels), the 36 (16) products as one batch matmul through the same
    register-tiled kernel with the filter transformed and packed at compile
    time, and each tile's 4x4 (2x2) outputs transformed back with the bias
    and the epilogue applied before the single write.

    Postcondition: the matched ops are gone; nothing is allocated inside the
    loops, so memory planning places every buffer as before.
  }];
  let dependentDialects = ["scf::SCFDialect", "vector::VectorDialect",
                           "tensor::TensorDialect", "arith::ArithDialect",
                           "bufferization::BufferizationDialect",
                           "memref::MemRefDialect"];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"128",
           "Width of the target's vector registers in bits">,
    Option<"registers", "registers", "int64_t", /*default=*/"16",
           "Number of vector registers of the target">,
    Option<"rowGroups", "row-groups", "int64_t", /*default=*/"2",
           "Row groups each kernel's tiles are ordered by (the thread "
           "count the tile order is shaped for)">,
    Option<"winograd", "winograd", "bool", /*default=*/"true",
           "Run stride-1 3x3 convolutions where it pays as Winograd "
           "F(4x4, 3x3) or F(2x2, 3x3): input transform, packed matrix "
           "products, output transform with the epilogue">,
    Option<"bf16Dot", "bf16-dot", "std::string", /*default=*/"\"none\"",
           "The bf16 pair dot-product instruction for contractions whose "
           "operands are bf16-exact (--precision=bf16): vdpbf16ps "
           "(AVX512-BF16), bfmmla (armv8.6 bf16, bfdot where it cannot), bfdot "
           "or none">,
    Option<"bf16Weights", "bf16-weights", "bool", /*default=*/"true",
           "Store packed constant weights that are all bf16 values as bf16, "
           "extended to f32 in the reduction loop">,
  ];
}

def IntMatmulKernels : Pass<"dlc-cpu-int-matmul-kernels", "func::FuncOp"> {
  let summary = "Register-tiled int8 x int8 -> int32 matmul kernels on the "
                "target's dot-product instruction";
  let description = [{
    Matches: `linalg.quantized_matmul` and `linalg.quantized_batch_matmul`
    (batch 1), and `linalg.matmul` / `linalg.batch_matmul` of int8 operands
    with signed extension (zero points of 0), with static shapes, an int8
    left-hand side, a constant int8
    right-hand side with a constant zero point (the left-hand zero point may
    be a run-time value) and an int32 result.

    Produces: a pre-pass that writes the left-hand side as the instruction
    takes it, [rows, K padded to whole groups] (a - za in int16 for the
    2-product forms, the int8 value for sdot, a + 128 as u8 for vpdpbusd;
    a row-parallel loop), the right-hand side minus its zero point packed at
    compile time into `[panels][K / group][nr][group]`, and a tile loop
    (panel-major, marked `dlc.parallel`) whose tiles hold `mr x nv`
    accumulator vectors of int32 over the whole reduction: per group of k,
    one 32-bit broadcast of each row's group and one `dot` per accumulator.
    `dot` is `vpdpbusd` (llvm.x86.avx512.vpdpbusd.512 with 16 lanes, .256
    with 8: AVX512-VNNI, or AVX-VNNI's VEX form),
    `sdot` (llvm.aarch64.neon.sdot, 4 lanes), `smmla`
    (llvm.aarch64.neon.smmla: groups of 8 k, the tile's accumulators hold
    2 rows x 2 columns each, A's two 8-byte row halves joined per step, the
    init added after the loop in row layout), `pmaddwd` (SSE2, AVX2 or
    AVX-512BW pmaddwd + add) or `generic` (extsi, muli, deinterleave,
    addi); the 8-bit forms start the accumulators at the init minus
    (za + 128 | za) times the compile-time column sums, and fall back to the
    16-bit form when B minus its zero point does not fit int8. The result
    is exact: the reference's int32 sums. The product's elementwise consumer
    (matched as dlc-cpu-contraction-kernels matches epilogues: the
    requantization, a dynamic quantization's scale and bias) runs on the
    accumulators before the single write, which then has its type.

    Postcondition: the matched ops are gone; the pre-pass buffer and the
    output are tensors that memory planning places.
  }];
  let dependentDialects = ["scf::SCFDialect", "vector::VectorDialect",
                           "tensor::TensorDialect", "arith::ArithDialect",
                           "LLVM::LLVMDialect",
                           "bufferization::BufferizationDialect",
                           "memref::MemRefDialect"];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"128",
           "Width of the target's vector registers in bits">,
    Option<"registers", "registers", "int64_t", /*default=*/"16",
           "Number of vector registers of the target">,
    Option<"dot", "dot", "std::string", /*default=*/"\"generic\"",
           "The dot-product instruction: generic, pmaddwd, vpdpbusd, sdot, "
           "smmla">,
  ];
}

def ParallelizeKernels
    : Pass<"dlc-cpu-parallelize-kernels", "func::FuncOp"> {
  let summary = "Splits the remaining linalg kernels into parallel tile loops";
  let description = [{
    Matches: every linalg op on statically shaped tensors at the top level of
    a function (what dlc-cpu-contraction-kernels left: elementwise maps,
    reductions, transposes, pooling, gathers, pads) with at least
    `min-elements` iterations and a parallel loop of extent 2 or more.

    Produces: the op tiled by 1 along its outermost such loop (upstream
    `scf::tileUsingSCF`), as an `scf.for` from 0 with step 1 marked
    `dlc.parallel`, which dlc-outline-kernels and the LLVM emitter run
    through the run's parallel_for. Iterations write disjoint slices of the
    results.

    Postcondition: same results; no allocation inside the loops.
  }];
  let dependentDialects = ["scf::SCFDialect", "tensor::TensorDialect",
                           "arith::ArithDialect"];
  let options = [
    Option<"minElements", "min-elements", "int64_t", /*default=*/"16384",
           "Smallest iteration count worth splitting across threads">,
  ];
}

def VectorizeKernels : Pass<"dlc-cpu-vectorize-kernels", "func::FuncOp"> {
  let summary = "Vector code for the elementwise linalg ops the contraction "
                "kernels left";
  let description = [{
    Matches: all-parallel `linalg.generic`, `linalg.fill`, `linalg.copy`,
    `linalg.map`, `linalg.transpose` (of the outer dimensions: attention's
    head split and merge) and `linalg.broadcast` on static tensors of 8-bit
    or wider elements, anywhere in the function (also inside the parallel
    tile loops of dlc-cpu-parallelize-kernels), whose innermost loop is
    parallel and is the last dimension of every operand that uses it (the
    others broadcast along it), with an extent divisible by a vector length
    (4, 2, 1, 1/2 or 1/4 of `vector-bits / 32` lanes, at least 4).

    Produces: a loop nest over the op's loops, by 1 on every other loop and
    by that length on the innermost, whose body reads one 1-D vector per
    operand that uses the innermost loop (a broadcast scalar for the
    others), applies the op's body to vectors and writes one vector per
    result. A `linalg.generic` that reduces along its innermost loop only,
    with a lanewise body ending in one float combining op (addf, mulf,
    maximumf, minimumf, maxnumf, minnumf) with the output, becomes a loop
    over its other loops whose body reduces the row into a vector
    accumulator, then `vector.reduction` of the lanes onto the output's
    initial value (the row is reassociated by lanes; deterministic). Ops
    that do not match (gathers, bodies with linalg.index, other reductions,
    transposes of the innermost dimension) are left to the loop lowering.

    Postcondition: same results, no allocation.
  }];
  let dependentDialects = ["scf::SCFDialect", "vector::VectorDialect",
                           "tensor::TensorDialect", "arith::ArithDialect",
                           "ub::UBDialect"];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"128",
           "Width of the target's vector registers in bits">,
  ];
}

#endif // DLC_TARGETS_CPU_PASSES_TD
