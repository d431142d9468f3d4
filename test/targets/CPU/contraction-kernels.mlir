// RUN: dlc-opt %s --split-input-file --dlc-cpu-contraction-kernels="vector-bits=512 registers=32 bf16-weights=0" | FileCheck %s
// RUN: dlc-opt %s --split-input-file --dlc-cpu-contraction-kernels="vector-bits=128 registers=32 bf16-weights=0" | FileCheck %s --check-prefix=NEON
// RUN: dlc-opt %s --split-input-file --dlc-cpu-contraction-kernels="vector-bits=128 registers=16 bf16-weights=0" | FileCheck %s --check-prefix=SSE
// RUN: dlc-opt %s --split-input-file --dlc-cpu-contraction-kernels="vector-bits=512 registers=32" | FileCheck %s --check-prefix=BF16W

// Tests that a convolution, its bias (the accumulator's initial value) and
// its ReLU become one loop nest: the filter is packed into a 1-D constant,
// one parallel loop runs over the 11 tiles of 6 rows x 64 channels, the
// reduction carries mr x nv vector accumulators (6 x 4 with 32 512-bit
// registers), the epilogue runs on the accumulators and each output vector is
// written once; the intermediate tensor and the linalg ops are gone.
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @conv_bias_relu
// CHECK-NOT: linalg.
// CHECK: %[[W:.*]] = arith.constant dense_resource<conv_bias_relu_packed0> : tensor<1152xf32>
// CHECK: %[[WB:.*]] = bufferization.to_buffer %[[W]] read_only : tensor<1152xf32> to memref<1152xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c11 step %c1 iter_args
// CHECK: %[[ACC:.*]]:24 = scf.for {{.*}} -> (vector<16xf32>
// CHECK: memref.prefetch %[[WB]][%{{.*}}], read, locality<2>, data : memref<1152xf32>
// CHECK: vector.fma
// CHECK: scf.yield
// CHECK: arith.maximumf %[[ACC]]#0, {{.*}} : vector<16xf32>
// CHECK: vector.transfer_write {{.*}} {in_bounds = [true]} : vector<16xf32>, tensor<64x64xf32>
// CHECK: } {dlc.flops = 151552 : i64, dlc.kernel = "conv 3x3/1 1x10x10x2 -> 64 + 1 epilogue op(s)", dlc.parallel}
// CHECK-NOT: linalg.
// CHECK: tensor.expand_shape {{.*}} into tensor<1x8x8x64xf32>
// NEON-LABEL: func.func @conv_bias_relu
// NEON: scf.for {{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// SSE-LABEL: func.func @conv_bias_relu
// SSE: scf.for {{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
func.func @conv_bias_relu(%x: tensor<1x10x10x2xf32>, %b: tensor<64xf32>) -> tensor<1x8x8x64xf32> {
  %w = arith.constant dense<0.5> : tensor<64x3x3x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x8x64xf32>
  %init = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : tensor<64xf32>) outs(%e : tensor<1x8x8x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x8x8x64xf32>
  %c = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x10x10x2xf32>, tensor<64x3x3x2xf32>) outs(%init : tensor<1x8x8x64xf32>) -> tensor<1x8x8x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c : tensor<1x8x8x64xf32>) outs(%e : tensor<1x8x8x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x8x64xf32>
  return %r : tensor<1x8x8x64xf32>
}

// -----

// Tests that a reduction whose weight panel overflows L1 (512 x 64 floats,
// 128 KB) is blocked: a tile is a panel, its reduction runs in blocks of
// 128 rows (32 KB of the panel), each block over both row blocks, the first
// block starting from the fill and the others from the partial sums in the
// output; each row block prefetches its line of the next block's weights
// while it computes.
// CHECK-LABEL: func.func @blocked
// CHECK: %[[WB:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<32768xf32> to memref<32768xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c1 step %c1{{.*}} iter_args
// CHECK: scf.for %[[KLO:.*]] = %c0{{.*}} to %c512 step %c128 iter_args
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[KLO]], %c0{{.*}} : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c6 iter_args
// CHECK: scf.if %[[FIRST]] -> (vector<16xf32>
// CHECK: vector.transfer_read
// CHECK: scf.for %{{.*}} = %[[KLO]] to %{{.*}} step %c1{{.*}} iter_args
// CHECK: memref.prefetch %[[WB]][%{{.*}}], read, locality<2>, data
// CHECK-COUNT-24: vector.fma
// CHECK: } {dlc.flops = 786432 : i64, dlc.kernel = "matmul 12x512 * 512x64", dlc.parallel}
func.func @blocked(%a: tensor<12x512xf32>) -> tensor<12x64xf32> {
  %w = arith.constant dense<0.25> : tensor<512x64xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<12x64xf32>) -> tensor<12x64xf32>
  %m = linalg.matmul ins(%a, %w : tensor<12x512xf32>, tensor<512x64xf32>) outs(%f : tensor<12x64xf32>) -> tensor<12x64xf32>
  return %m : tensor<12x64xf32>
}

// -----

// Tests that a residual that the epilogue reads, that no later op reads and
// that is not a function argument holds the output: the tile loop starts
// from it (no new tensor), each element is read from the loop's current
// tensor just before it is overwritten, and in the partial last block (11
// rows in blocks of 6) the clamped repeat of the last row is skipped.
#id2i = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @in_place
// CHECK: %[[RES:.*]] = linalg.generic
// CHECK-NOT: tensor.empty
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[RES]]
// CHECK-NOT: tensor.empty
// CHECK: scf.for {{.*}} iter_args(%[[O:.*]] = %[[FLAT]])
// CHECK: scf.yield
// CHECK: vector.transfer_read %[[O]]
// CHECK: arith.addf {{.*}} : vector<16xf32>
// CHECK: %[[LAST:.*]] = arith.cmpi ult, {{.*}}, %c11{{.*}} : index
// CHECK: scf.if %[[LAST]] -> (tensor<11x64xf32>)
// CHECK: vector.transfer_read
// CHECK: } else {
// CHECK: } {dlc.flops
func.func @in_place(%a: tensor<11x32xf32>, %r0: tensor<11x64xf32>) -> tensor<11x64xf32> {
  %w = arith.constant dense<0.5> : tensor<32x64xf32>
  %zero = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %e = tensor.empty() : tensor<11x64xf32>
  %res = linalg.generic {indexing_maps = [#id2i, #id2i], iterator_types = ["parallel", "parallel"]} ins(%r0 : tensor<11x64xf32>) outs(%e : tensor<11x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.mulf %in, %two : f32
    linalg.yield %d : f32
  } -> tensor<11x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<11x64xf32>) -> tensor<11x64xf32>
  %m = linalg.matmul ins(%a, %w : tensor<11x32xf32>, tensor<32x64xf32>) outs(%f : tensor<11x64xf32>) -> tensor<11x64xf32>
  %o = linalg.generic {indexing_maps = [#id2i, #id2i, #id2i], iterator_types = ["parallel", "parallel"]} ins(%m, %res : tensor<11x64xf32>, tensor<11x64xf32>) outs(%e : tensor<11x64xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<11x64xf32>
  return %o : tensor<11x64xf32>
}

// -----

// Tests that a residual that is a function argument (the caller's buffer),
// or that a later op reads, is not overwritten: the kernel writes a new
// tensor.
#id2i = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @not_in_place(
// CHECK-NOT: scf.if {{.*}} -> (tensor<11x64xf32>)
// CHECK: } {dlc.flops
// CHECK-NOT: scf.if {{.*}} -> (tensor<11x64xf32>)
// CHECK: } {dlc.flops
// CHECK-NOT: scf.if {{.*}} -> (tensor<11x64xf32>)
// CHECK: arith.subf
func.func @not_in_place(%a: tensor<11x32xf32>, %r0: tensor<11x64xf32>) -> (tensor<11x64xf32>, tensor<11x64xf32>) {
  %w = arith.constant dense<0.5> : tensor<32x64xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<11x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<11x64xf32>) -> tensor<11x64xf32>
  %m = linalg.matmul ins(%a, %w : tensor<11x32xf32>, tensor<32x64xf32>) outs(%f : tensor<11x64xf32>) -> tensor<11x64xf32>
  %o = linalg.generic {indexing_maps = [#id2i, #id2i, #id2i], iterator_types = ["parallel", "parallel"]} ins(%m, %r0 : tensor<11x64xf32>, tensor<11x64xf32>) outs(%e : tensor<11x64xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<11x64xf32>
  %m2 = linalg.matmul ins(%a, %w : tensor<11x32xf32>, tensor<32x64xf32>) outs(%f : tensor<11x64xf32>) -> tensor<11x64xf32>
  %o2 = linalg.generic {indexing_maps = [#id2i, #id2i, #id2i], iterator_types = ["parallel", "parallel"]} ins(%m2, %o : tensor<11x64xf32>, tensor<11x64xf32>) outs(%e : tensor<11x64xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<11x64xf32>
  %later = linalg.generic {indexing_maps = [#id2i, #id2i, #id2i], iterator_types = ["parallel", "parallel"]} ins(%o, %o2 : tensor<11x64xf32>, tensor<11x64xf32>) outs(%e : tensor<11x64xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.subf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<11x64xf32>
  return %later, %o2 : tensor<11x64xf32>, tensor<11x64xf32>
}

// -----

// Tests that a residual the kernel also reads elsewhere is not overwritten:
// as the contraction's left-hand side (read while the output is written),
// or in a second epilogue operand (a GRU's update gate, z * h + (1 - z) * n).
#id2s = affine_map<(d0, d1) -> (d0, d1)>
// (Only an in-place kernel guards the partial block's repeated rows.)
// CHECK-LABEL: func.func @not_in_place_shared
// CHECK-NOT: scf.if {{.*}} -> (tensor<11x64xf32>)
// CHECK: } {dlc.flops
// CHECK-NOT: scf.if {{.*}} -> (tensor<11x64xf32>)
// CHECK: } {dlc.flops
// CHECK-NOT: scf.if {{.*}} -> (tensor<11x64xf32>)
// CHECK: return
func.func @not_in_place_shared(%a0: tensor<11x64xf32>) -> (tensor<11x64xf32>, tensor<11x64xf32>) {
  %w = arith.constant dense<0.5> : tensor<64x64xf32>
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<11x64xf32>
  %a = linalg.generic {indexing_maps = [#id2s, #id2s], iterator_types = ["parallel", "parallel"]} ins(%a0 : tensor<11x64xf32>) outs(%e : tensor<11x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.addf %in, %one : f32
    linalg.yield %d : f32
  } -> tensor<11x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<11x64xf32>) -> tensor<11x64xf32>
  %m = linalg.matmul ins(%a, %w : tensor<11x64xf32>, tensor<64x64xf32>) outs(%f : tensor<11x64xf32>) -> tensor<11x64xf32>
  %o = linalg.generic {indexing_maps = [#id2s, #id2s, #id2s], iterator_types = ["parallel", "parallel"]} ins(%m, %a : tensor<11x64xf32>, tensor<11x64xf32>) outs(%e : tensor<11x64xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<11x64xf32>
  %z = linalg.generic {indexing_maps = [#id2s, #id2s], iterator_types = ["parallel", "parallel"]} ins(%a0 : tensor<11x64xf32>) outs(%e : tensor<11x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.mulf %in, %one : f32
    linalg.yield %d : f32
  } -> tensor<11x64xf32>
  %m2 = linalg.matmul ins(%a0, %w : tensor<11x64xf32>, tensor<64x64xf32>) outs(%f : tensor<11x64xf32>) -> tensor<11x64xf32>
  %o2 = linalg.generic {indexing_maps = [#id2s, #id2s, #id2s, #id2s], iterator_types = ["parallel", "parallel"]} ins(%m2, %z, %z : tensor<11x64xf32>, tensor<11x64xf32>, tensor<11x64xf32>) outs(%e : tensor<11x64xf32>) {
  ^bb0(%x: f32, %y: f32, %y2: f32, %out: f32):
    %n = arith.subf %one, %y2 : f32
    %p = arith.mulf %n, %x : f32
    %q = arith.mulf %y, %x : f32
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<11x64xf32>
  return %o, %o2 : tensor<11x64xf32>, tensor<11x64xf32>
}

// -----

// Tests that a matmul result read by two ops is not fused into either: the
// product is written once by its own kernel and both consumers stay.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @two_readers
// CHECK: %[[K:.*]] = scf.for
// CHECK: vector.transfer_write
// CHECK: linalg.generic {{.*}} ins(%[[K]]
// CHECK: linalg.generic {{.*}} ins(%[[K]]
func.func @two_readers(%a: tensor<8x32xf32>, %w: tensor<32x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %m = linalg.matmul ins(%a, %w : tensor<8x32xf32>, tensor<32x16xf32>) outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  %r1 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.maximumf %in, %zero : f32
    linalg.yield %v : f32
  } -> tensor<8x16xf32>
  %r2 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.negf %in : f32
    linalg.yield %v : f32
  } -> tensor<8x16xf32>
  return %r1, %r2 : tensor<8x16xf32>, tensor<8x16xf32>
}

// -----

// Tests that a reduction consuming a matmul (a row-wise sum, as in a norm)
// is not fused: only all-parallel elementwise consumers are epilogues.
#in = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @reduction_consumer
// CHECK: %[[K:.*]] = scf.for
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[K]]
func.func @reduction_consumer(%a: tensor<8x32xf32>, %w: tensor<32x16xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %m = linalg.matmul ins(%a, %w : tensor<8x32xf32>, tensor<32x16xf32>) outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  %e1 = tensor.empty() : tensor<8xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<8xf32>) -> tensor<8xf32>
  %s = linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]} ins(%m : tensor<8x16xf32>) outs(%f1 : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.addf %in, %out : f32
    linalg.yield %v : f32
  } -> tensor<8xf32>
  return %s : tensor<8xf32>
}

// -----

// Tests a batched product of two run-time operands (attention scores): one
// right-hand side per batch, read in place (no packing), with a partial
// last vector (N = 20) written with a mask (no in_bounds attribute).
// CHECK-LABEL: func.func @batched_runtime
// CHECK-NOT: dense_resource
// CHECK: vector.transfer_read {{.*}} : tensor<60x20xf32>, vector<16xf32>
// CHECK: vector.transfer_write %{{[^ ]*}}, %{{[^ ]*}}[%{{[^ ]*}}, %{{[^ ]*}}] : vector<16xf32>, tensor<12x20xf32>
func.func @batched_runtime(%a: tensor<3x4x20xf32>, %b: tensor<3x20x20xf32>) -> tensor<3x4x20xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x4x20xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x4x20xf32>) -> tensor<3x4x20xf32>
  %m = linalg.batch_matmul ins(%a, %b : tensor<3x4x20xf32>, tensor<3x20x20xf32>) outs(%f : tensor<3x4x20xf32>) -> tensor<3x4x20xf32>
  return %m : tensor<3x4x20xf32>
}

// -----

// Tests a contraction written as a linalg.generic (attention scores with the
// 1/sqrt(d) scale folded into the body, unit dimensions between): recognised
// by its contraction dimensions, the scale applied to each left-hand element
// before the broadcast, the right-hand side read in place per batch.
#qa = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>
#kb = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d5, d3, d4)>
#so = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>
// CHECK-LABEL: func.func @scaled_scores
// CHECK-NOT: linalg.generic
// CHECK: scf.for
// CHECK: tensor.extract
// CHECK-NEXT: arith.divf {{.*}} : f32
// CHECK-NEXT: vector.broadcast
// CHECK: } {{.*}}dlc.parallel}
func.func @scaled_scores(%q: tensor<2x8x1x16xf32>, %k: tensor<2x16x32x1xf32>) -> tensor<2x8x1x32x1xf32> {
  %zero = arith.constant 0.0 : f32
  %scale = arith.constant 4.0 : f32
  %e = tensor.empty() : tensor<2x8x1x32x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x8x1x32x1xf32>) -> tensor<2x8x1x32x1xf32>
  %s = linalg.generic {indexing_maps = [#qa, #kb, #so], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<2x8x1x16xf32>, tensor<2x16x32x1xf32>) outs(%f : tensor<2x8x1x32x1xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %d = arith.divf %a, %scale : f32
    %p = arith.mulf %d, %b : f32
    %r = arith.addf %out, %p : f32
    linalg.yield %r : f32
  } -> tensor<2x8x1x32x1xf32>
  return %s : tensor<2x8x1x32x1xf32>
}

// -----

// Tests an Einsum-like projection reducing over two dimensions (heads x
// head size) with a constant weight in its own layout: packed at compile
// time, K = 2 x 8.
#pa = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#pw = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4, d2)>
#po = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @two_reductions
// CHECK-NOT: linalg.generic
// CHECK: arith.constant dense_resource<two_reductions_packed0> : tensor<256xf32>
// CHECK: } {{.*}}dlc.parallel}
func.func @two_reductions(%x: tensor<1x4x2x8xf32>) -> tensor<1x4x16xf32> {
  %w = arith.constant dense<0.25> : tensor<1x2x8x16xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x16xf32>) -> tensor<1x4x16xf32>
  %y = linalg.generic {indexing_maps = [#pa, #pw, #po], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%x, %w : tensor<1x4x2x8xf32>, tensor<1x2x8x16xf32>) outs(%f : tensor<1x4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %out, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x4x16xf32>
  return %y : tensor<1x4x16xf32>
}

// -----

// Tests that a kernel whose only reader is a zero-value tensor.pad of its row
// dimensions (the next convolution's halo) writes straight into the interior
// of the padded tensor: the pad is gone, only the border of the destination
// is filled with the pad value (top and bottom rows, then the left and right
// columns of the interior rows: each element once, never the interior), and
// writes are offset by the low padding. The destination is an alloc_tensor so
// that CSE cannot merge two kernels' padded buffers.
#pid = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @into_pad
// CHECK-NOT: tensor.pad
// CHECK: %[[A:.*]] = bufferization.alloc_tensor() : tensor<1x6x6x16xf32>
// CHECK: tensor.extract_slice %[[A]][0, 0, 0, 0] [1, 1, 6, 16]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x1x6x16xf32>)
// CHECK: tensor.extract_slice %{{.*}}[0, 5, 0, 0] [1, 1, 6, 16]
// CHECK: tensor.extract_slice %{{.*}}[0, 1, 0, 0] [1, 4, 1, 16]
// CHECK: %[[B:.*]] = tensor.insert_slice %{{.*}}[0, 1, 5, 0] [1, 4, 1, 16]
// CHECK-NOT: linalg.fill
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[B]])
// CHECK: arith.addi %{{.*}}, %c1{{(_[0-9]+)?}} : index
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>, tensor<1x6x6x16xf32>
// CHECK-NOT: tensor.pad
func.func @into_pad(%x: tensor<1x4x4x8xf32>) -> tensor<1x6x6x16xf32> {
  %w = arith.constant dense<0.5> : tensor<16x1x1x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  %c = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x4x4x8xf32>, tensor<16x1x1x8xf32>) outs(%f : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  %p = tensor.pad %c low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x4x4x16xf32> to tensor<1x6x6x16xf32>
  return %p : tensor<1x6x6x16xf32>
}

// -----

// Tests that a strided convolution whose input is cropped at its end (the
// rows and columns the stride never reaches) reads the uncropped tensor in
// place: no slice of the input is materialized, rows are addressed with the
// source's width (6 pixels of 8 channels per input row).
// CHECK-LABEL: func.func @cropped_input
// CHECK-NOT: tensor.extract_slice
// CHECK: tensor.collapse_shape %arg0 {{.*}} : tensor<1x6x6x8xf32> into tensor<288xf32>
// CHECK: scf.for
// CHECK-NOT: tensor.extract_slice
// CHECK: return
func.func @cropped_input(%x: tensor<1x6x6x8xf32>) -> tensor<1x3x3x16xf32> {
  %w = arith.constant dense<0.5> : tensor<16x1x1x8xf32>
  %zero = arith.constant 0.0 : f32
  %s = tensor.extract_slice %x[0, 0, 0, 0] [1, 5, 5, 8] [1, 1, 1, 1] : tensor<1x6x6x8xf32> to tensor<1x5x5x8xf32>
  %e = tensor.empty() : tensor<1x3x3x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x3x16xf32>) -> tensor<1x3x3x16xf32>
  %c = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%s, %w : tensor<1x5x5x8xf32>, tensor<16x1x1x8xf32>) outs(%f : tensor<1x3x3x16xf32>) -> tensor<1x3x3x16xf32>
  return %c : tensor<1x3x3x16xf32>
}

// -----

// Tests that a stride-1 3x3 convolution with 32 input and output channels
// runs as Winograd F(4x4, 3x3): one parallel loop over the 4 tiles writes
// each tile's 36 transformed input vectors per channel vector (V: 36 x 4
// tiles x 32 channels), the 36 products run as one packed batch matmul
// through the register-tiled kernel (filter transformed at compile time:
// 36 x 32 x 32 floats), and one parallel loop over the tiles transforms each
// tile's products back to 4x4 outputs, adds the bias and applies the ReLU
// before the single write of each output vector.
// CHECK-LABEL: func.func @winograd
// CHECK-NOT: linalg.
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (tensor<144x32xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<3200xf32>, vector<16xf32>
// CHECK: vector.fma
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>, tensor<144x32xf32>
// CHECK: } {dlc.flops = 67584 : i64, dlc.kernel = "winograd input 4x4/3x3 8x8x32 -> 32", dlc.parallel}
// CHECK: arith.constant dense_resource<winograd_packed{{[0-9]+}}> : tensor<36864xf32>
// CHECK: } {dlc.flops = 294912 : i64, dlc.kernel = "matmul 36 x 4x32 * 32x32", dlc.parallel}
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c4{{.*}} step %c1{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<64x32xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<144x32xf32>, vector<16xf32>
// CHECK: arith.maximumf
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>, tensor<64x32xf32>
// CHECK: } {dlc.flops = 46080 : i64, dlc.kernel = "winograd output 4x4/3x3 8x8x32 -> 32", dlc.parallel}
// CHECK-NOT: linalg.
// CHECK: tensor.expand_shape {{.*}} into tensor<1x8x8x32xf32>
// NEON-LABEL: func.func @winograd
// NEON: dlc.kernel = "winograd input 4x4/3x3 8x8x32 -> 32"
// NEON: dlc.kernel = "matmul 36 x 4x32 * 32x32"
// NEON: vector.transfer_write {{.*}} : vector<4xf32>, tensor<64x32xf32>
// NEON: dlc.kernel = "winograd output 4x4/3x3 8x8x32 -> 32"
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @winograd(%x: tensor<1x10x10x32xf32>, %b: tensor<32xf32>) -> tensor<1x8x8x32xf32> {
  %w = arith.constant dense<0.5> : tensor<32x3x3x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x8x32xf32>
  %init = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : tensor<32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x8x8x32xf32>
  %c = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x10x10x32xf32>, tensor<32x3x3x32xf32>) outs(%init : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c : tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x8x32xf32>
  return %r : tensor<1x8x8x32xf32>
}

// -----

// Constant weights that are all bf16 values (--precision=bf16 rounds them)
// are packed as bf16 and extended in the reduction loop (bf16-weights, on by
// default): half the bytes.
// BF16W-LABEL: func.func @bf16_weights
// BF16W: arith.constant dense_resource<bf16_weights_packed0> : tensor<64xbf16>
// BF16W: vector.transfer_read {{.*}} : tensor<64xbf16>, vector<16xbf16>
// BF16W: arith.extf {{.*}} : vector<16xbf16> to vector<16xf32>
// BF16W: vector.fma
func.func @bf16_weights(%a: tensor<8x4xf32>) -> tensor<8x16xf32> {
  %w = arith.constant dense<0.5> : tensor<4x16xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %r = linalg.matmul ins(%a, %w : tensor<8x4xf32>, tensor<4x16xf32>) outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// -----

// Tests that an int8 depthwise convolution (what tosa.depthwise_conv2d with
// zero points lowers to, dlc-lower-conv) and its requantizing consumer
// become one kernel: int8 input vectors widened and converted as they are
// loaded, the centred weights (w - zw) as an f32 constant [taps][C], the
// accumulators starting at the zero point's share -za * colSum (here
// -(-3) * 9 * (2 - 1) = 27 per channel), products in f32 lanes, the sums
// converted back to int32 before the epilogue, which writes int8. The
// window slides along each output row: a tile is 6 pixels of one row (one
// per row here) by 2 vectors, and per filter row and vector the 8 input
// columns are loaded and converted once each for the 18 products.
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @int8_depthwise
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<9x32xf32>
// CHECK-DAG: arith.constant dense<2.700000e+01> : tensor<32xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c6 step %c1
// CHECK: %{{.*}}:12 = scf.for %{{.*}} = %{{.*}} to %c3
// CHECK-COUNT-3: vector.transfer_read {{.*}} : tensor<9x32xf32>, vector<16xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<64x32xi8>, vector<16xi8>
// CHECK: arith.extsi {{.*}} : vector<16xi8> to vector<16xi32>
// CHECK: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: vector.fma
// CHECK-COUNT-7: vector.transfer_read {{.*}} : tensor<64x32xi8>, vector<16xi8>
// CHECK: vector.transfer_read {{.*}} : tensor<9x32xf32>, vector<16xf32>
// CHECK: arith.fptosi {{.*}} : vector<16xf32> to vector<16xi32>
// CHECK: arith.addi
// CHECK: arith.trunci {{.*}} : vector<16xi32> to vector<16xi8>
// CHECK: vector.transfer_write {{.*}} : vector<16xi8>, tensor<36x32xi8>
// CHECK: dlc.kernel = "int8 depthwise conv 3x3/1 1x8x8x32 -> 32 + 3 epilogue op(s)"
// CHECK-NOT: linalg.
func.func @int8_depthwise(%x: tensor<1x8x8x32xi8>, %b: tensor<32xi32>) -> tensor<1x6x6x32xi8> {
  %w = arith.constant dense<2> : tensor<3x3x32xi8>
  %za = arith.constant -3 : i32
  %zw = arith.constant 1 : i32
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x6x6x32xi32>
  %init = linalg.fill ins(%zero : i32) outs(%e : tensor<1x6x6x32xi32>) -> tensor<1x6x6x32xi32>
  %c = linalg.depthwise_conv_2d_nhwc_hwc_q {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w, %za, %zw : tensor<1x8x8x32xi8>, tensor<3x3x32xi8>, i32, i32) outs(%init : tensor<1x6x6x32xi32>) -> tensor<1x6x6x32xi32>
  %e8 = tensor.empty() : tensor<1x6x6x32xi8>
  %r = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c, %b : tensor<1x6x6x32xi32>, tensor<32xi32>) outs(%e8 : tensor<1x6x6x32xi8>) {
  ^bb0(%in: i32, %bias: i32, %out: i8):
    %s = arith.addi %in, %bias : i32
    %q = arith.shrsi %s, %zw : i32
    %t = arith.trunci %q : i32 to i8
    linalg.yield %t : i8
  } -> tensor<1x6x6x32xi8>
  return %r : tensor<1x6x6x32xi8>
}

// -----

// Tests that a float depthwise convolution without channel multiplier
// (linalg.depthwise_conv_2d_nhwc_hwc, filter [KH, KW, C]) becomes the
// depthwise kernel with its bias and clamp as the epilogue.
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @f32_depthwise
// CHECK: vector.fma
// CHECK: arith.minimumf
// CHECK: dlc.kernel = "depthwise conv 3x3/2 1x9x9x32 -> 32 + 2 epilogue op(s)"
// CHECK-NOT: linalg.
func.func @f32_depthwise(%x: tensor<1x9x9x32xf32>, %w: tensor<3x3x32xf32>, %b: tensor<32xf32>) -> tensor<1x4x4x32xf32> {
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  %e = tensor.empty() : tensor<1x4x4x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x32xf32>) -> tensor<1x4x4x32xf32>
  %c = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x9x9x32xf32>, tensor<3x3x32xf32>) outs(%init : tensor<1x4x4x32xf32>) -> tensor<1x4x4x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c, %b : tensor<1x4x4x32xf32>, tensor<32xf32>) outs(%e : tensor<1x4x4x32xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %m = arith.minimumf %s, %six : f32
    linalg.yield %m : f32
  } -> tensor<1x4x4x32xf32>
  return %r : tensor<1x4x4x32xf32>
}
