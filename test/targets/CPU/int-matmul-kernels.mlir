// RUN: dlc-opt %s --dlc-cpu-int-matmul-kernels="vector-bits=512 registers=32 dot=vpdpbusd" --canonicalize | FileCheck %s --check-prefix=VNNI
// RUN: dlc-opt %s --dlc-cpu-int-matmul-kernels="vector-bits=128 registers=16 dot=pmaddwd" --canonicalize | FileCheck %s --check-prefix=PMADD
// RUN: dlc-opt %s --dlc-cpu-int-matmul-kernels="vector-bits=128 registers=32 dot=sdot" --canonicalize | FileCheck %s --check-prefix=SDOT
// RUN: dlc-opt %s --dlc-cpu-int-matmul-kernels="vector-bits=128 registers=32 dot=generic" --canonicalize | FileCheck %s --check-prefix=GENERIC

// Tests the int8 matmul kernel of one product with a run-time left zero
// point: 3 rows, K = 6 (not whole groups of 4), N = 5 (part of a panel).
// vpdpbusd: A flipped to u8 into [3, 8] (K padded to 8), B packed as
// [K/4][16 columns][4] bytes, the accumulators start at -(za + 128) times
// the column sums of B (9, -7, 13, -11, 144), one vpdpbusd per row and
// group. pmaddwd: A centred to int16 (a - za) into [3, 6], B stored as
// int8 pairs (it fits) and widened as it is loaded, no correction. sdot: 4 lanes, A as it is, the correction -za. The
// portable form multiplies the widened pairs and adds the two halves.
func.func @qmm(%a: tensor<1x3x6xi8>, %za: i32) -> tensor<1x3x5xi32> {
  %b = arith.constant dense<[[1, -2, 3, -4, 5], [6, -7, 8, -9, 10], [1, 1, 1, 1, 1], [2, 2, 2, 2, 2], [-1, -1, -1, -1, -1], [0, 0, 0, 0, 127]]> : tensor<6x5xi8>
  %b3 = tensor.expand_shape %b [[0, 1], [2]] output_shape [1, 6, 5] : tensor<6x5xi8> into tensor<1x6x5xi8>
  %zb = arith.constant 0 : i32
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x3x5xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x3x5xi32>) -> tensor<1x3x5xi32>
  %r = linalg.quantized_batch_matmul ins(%a, %b3, %za, %zb : tensor<1x3x6xi8>, tensor<1x6x5xi8>, i32, i32) outs(%f : tensor<1x3x5xi32>) -> tensor<1x3x5xi32>
  return %r : tensor<1x3x5xi32>
}
// VNNI-LABEL: func.func @qmm
// VNNI-NOT: linalg.quantized_batch_matmul
// VNNI-DAG: arith.constant dense<[9, -7, 13, -11, 144, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<16xi32>
// VNNI-DAG: arith.constant dense_resource<qmm_int8_packed0> : tensor<128xi8>
// VNNI: tensor.empty() : tensor<3x8xi8>
// VNNI: arith.xori {{.*}} : vector<64xi8>
// VNNI: } {dlc.parallel}
// VNNI: arith.subi %c-128_i32, %arg1 : i32
// VNNI: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>, vector<16xi32>)
// VNNI: vector.transfer_read {{.*}} : tensor<3x8xi8>, vector<4xi8>
// VNNI: vector.broadcast {{.*}} : i32 to vector<16xi32>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"({{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// VNNI: vector.transfer_write {{.*}} : vector<16xi32>, tensor<3x5xi32>
// VNNI: tensor.expand_shape {{.*}} into tensor<1x3x5xi32>

// PMADD-LABEL: func.func @qmm
// PMADD-DAG: arith.constant dense_resource<qmm_int8_packed0> : tensor<48xi8>
// PMADD: tensor.empty() : tensor<3x6xi16>
// PMADD: arith.extsi {{.*}} : vector<16xi8> to vector<16xi16>
// PMADD: arith.subi
// PMADD-NOT: xi32>
// PMADD: } {dlc.parallel}
// PMADD: arith.extsi {{.*}} : vector<8xi8> to vector<8xi16>
// PMADD: llvm.call_intrinsic "llvm.x86.sse2.pmadd.wd"({{.*}}) : (vector<8xi16>, vector<8xi16>) -> vector<4xi32>
// PMADD: arith.addi {{.*}} : vector<4xi32>

// SDOT-LABEL: func.func @qmm
// SDOT-DAG: arith.constant dense<[9, -7, 13, -11, 144, 0, 0, 0]> : tensor<8xi32>
// SDOT: tensor.empty() : tensor<3x8xi8>
// SDOT-NOT: arith.xori
// SDOT: arith.subi %c0_i32, %arg1 : i32
// SDOT: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"({{.*}}) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>

// GENERIC-LABEL: func.func @qmm
// GENERIC: arith.extsi {{.*}} : vector<8xi16> to vector<8xi32>
// GENERIC: arith.muli {{.*}} : vector<8xi32>
// GENERIC: vector.deinterleave {{.*}} : vector<8xi32> -> vector<4xi32>
// GENERIC-NOT: llvm.call_intrinsic

// Tests that the elementwise consumer of the product (a dynamic
// quantization's scale: int32 -> f32, times a per-column scale) runs on the
// accumulators: the kernel writes f32 once and the generic is gone.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @scaled(%a: tensor<4x8xi8>, %s: tensor<16xf32>) -> tensor<4x16xf32> {
  %b = arith.constant dense<3> : tensor<8x16xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<4x16xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<4x16xi32>) -> tensor<4x16xi32>
  %r = linalg.matmul ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%f : tensor<4x16xi32>) -> tensor<4x16xi32>
  %e2 = tensor.empty() : tensor<4x16xf32>
  %y = linalg.generic {indexing_maps = [#id2, #col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%r, %s : tensor<4x16xi32>, tensor<16xf32>) outs(%e2 : tensor<4x16xf32>) {
  ^bb0(%x: i32, %sc: f32, %o: f32):
    %xf = arith.sitofp %x : i32 to f32
    %m = arith.mulf %xf, %sc : f32
    linalg.yield %m : f32
  } -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
// VNNI-LABEL: func.func @scaled
// VNNI-NOT: linalg.
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// VNNI: arith.mulf {{.*}} : vector<16xf32>
// VNNI: vector.transfer_write {{.*}} : vector<16xf32>, tensor<4x16xf32>
// VNNI-NOT: linalg.
// VNNI: return

// Tests that uint8 data the importer flipped to int8 (x xor -128) reaches
// vpdpbusd as it was: the flip's generic is bypassed and, K being whole
// groups of 4, the kernel reads the matrix in place (no pre-pass copy).
// sdot takes the flipped int8 values themselves, also in place.
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @flipped(%u: tensor<4x8xi8>) -> tensor<4x16xi32> {
  %m128 = arith.constant -128 : i8
  %e8 = tensor.empty() : tensor<4x8xi8>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%u : tensor<4x8xi8>) outs(%e8 : tensor<4x8xi8>) {
  ^bb0(%x: i8, %o: i8):
    %f = arith.xori %x, %m128 : i8
    linalg.yield %f : i8
  } -> tensor<4x8xi8>
  %b = arith.constant dense<3> : tensor<8x16xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<4x16xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<4x16xi32>) -> tensor<4x16xi32>
  %r = linalg.matmul ins(%a, %b : tensor<4x8xi8>, tensor<8x16xi8>) outs(%f : tensor<4x16xi32>) -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}
// VNNI-LABEL: func.func @flipped(
// VNNI-NOT: xori
// VNNI-NOT: tensor.empty() : tensor<4x8xi8>
// VNNI: vector.transfer_read %arg0{{.*}} : tensor<4x8xi8>, vector<4xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// SDOT-LABEL: func.func @flipped(
// SDOT: %[[A:.*]] = linalg.generic
// SDOT: arith.xori
// SDOT-NOT: tensor.empty() : tensor<4x8xi8>
// SDOT: vector.transfer_read %[[A]]{{.*}} : tensor<4x8xi8>, vector<4xi8>
// SDOT: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"

// Tests that a flip ending a computation that only this product reads (a
// requantization) is dropped from it, and that a 1x1 stride-1 convolution
// reads its input in place as [pixels, channels].
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv1x1(%x: tensor<1x2x3x8xi32>) -> tensor<1x2x3x16xi32> {
  %m128 = arith.constant -128 : i8
  %e8 = tensor.empty() : tensor<1x2x3x8xi8>
  %a = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x2x3x8xi32>) outs(%e8 : tensor<1x2x3x8xi8>) {
  ^bb0(%v: i32, %o: i8):
    %t = arith.trunci %v : i32 to i8
    %f = arith.xori %t, %m128 : i8
    linalg.yield %f : i8
  } -> tensor<1x2x3x8xi8>
  %w = arith.constant dense<2> : tensor<16x1x1x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x2x3x16xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x2x3x16xi32>) -> tensor<1x2x3x16xi32>
  %r = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%a, %w : tensor<1x2x3x8xi8>, tensor<16x1x1x8xi8>) outs(%f : tensor<1x2x3x16xi32>) -> tensor<1x2x3x16xi32>
  return %r : tensor<1x2x3x16xi32>
}
// VNNI-LABEL: func.func @conv1x1(
// VNNI: %[[A:.*]] = linalg.generic
// VNNI: arith.trunci
// VNNI-NOT: arith.xori
// VNNI: linalg.yield
// VNNI: %[[P:.*]] = tensor.collapse_shape %[[A]] {{.*}} into tensor<6x8xi8>
// VNNI-NOT: tensor.empty() : tensor<6x8xi8>
// VNNI: vector.transfer_read %[[P]]{{.*}} : tensor<6x8xi8>, vector<4xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"

// Tests the gathering of an undilated window (im2col): a filter row's kw
// pixels of c channels are one segment of kw * c input elements (7 x 3 =
// 21, one masked vector), read from the input as [image, y, x * c].
func.func @stem(%x: tensor<1x9x9x3xi8>) -> tensor<1x2x2x16xi32> {
  %w = arith.constant dense<1> : tensor<16x7x7x3xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x2x2x16xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x2x2x16xi32>) -> tensor<1x2x2x16xi32>
  %r = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x9x9x3xi8>, tensor<16x7x7x3xi8>) outs(%f : tensor<1x2x2x16xi32>) -> tensor<1x2x2x16xi32>
  return %r : tensor<1x2x2x16xi32>
}
// VNNI-LABEL: func.func @stem(
// VNNI: tensor.empty() : tensor<4x148xi8>
// VNNI: %[[R:.*]] = tensor.collapse_shape %arg0 {{\[}}[0], [1], [2, 3]] : tensor<1x9x9x3xi8> into tensor<1x9x27xi8>
// VNNI-COUNT-7: vector.transfer_read %[[R]]{{.*}} : tensor<1x9x27xi8>, vector<64xi8>
// VNNI-NOT: vector.transfer_read %[[R]]
// VNNI: } {dlc.parallel}

// Tests that weights too large for L2 reuse (1024 x 256 bytes, tiles
// panel-major) prefetch the next panel: the k loop fetches one line of the
// packed weights per k group into L2.
func.func @streamed(%a: tensor<8x1024xi8>) -> tensor<8x256xi32> {
  %b = arith.constant dense<1> : tensor<1024x256xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<8x256xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<8x256xi32>) -> tensor<8x256xi32>
  %r = linalg.matmul ins(%a, %b : tensor<8x1024xi8>, tensor<1024x256xi8>) outs(%f : tensor<8x256xi32>) -> tensor<8x256xi32>
  return %r : tensor<8x256xi32>
}
// VNNI-LABEL: func.func @streamed(
// VNNI: %[[W:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<262144xi8> to memref<262144xi8>
// VNNI: scf.for
// VNNI: memref.prefetch %[[W]][%{{.*}}], read, locality<2>, data : memref<262144xi8>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// PMADD-LABEL: func.func @streamed(
// PMADD: memref.prefetch

// The packed weights of @qmm: column 0 is k = 0..3 = 1, 6, 1, 2.
// VNNI: qmm_int8_packed0: "0x0100000001060102FEF9010203080102FCF70102050A0102
