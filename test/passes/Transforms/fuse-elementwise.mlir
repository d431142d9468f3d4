// RUN: dlc-opt %s --pass-pipeline='builtin.module(func.func(dlc-fuse-elementwise))' | FileCheck %s
// RUN: dlc-opt %s --pass-pipeline='builtin.module(func.func(dlc-fuse-elementwise{max-body-ops=2}))' | FileCheck %s --check-prefix=BOUND
// Tests elementwise fusion with a bounded body: a chain of four one-op
// generics fuses into one generic by default (as upstream's
// linalg-fuse-elementwise-ops does), and into two of two ops each when the
// fused body may hold at most two operations.
#id = affine_map<(d0) -> (d0)>
func.func @chain(%x: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %in : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.mulf %in, %in : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %c = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%b : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.subf %in, %in : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %d = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%c : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.divf %in, %in : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %d : tensor<8xf32>
}
// CHECK-LABEL: func.func @chain
// CHECK:         linalg.generic
// CHECK:           arith.addf
// CHECK-NEXT:      arith.mulf
// CHECK-NEXT:      arith.subf
// CHECK-NEXT:      arith.divf
// CHECK-NOT:     linalg.generic
// BOUND-LABEL: func.func @chain
// BOUND:         %[[AB:.*]] = linalg.generic
// BOUND:           arith.addf
// BOUND-NEXT:      arith.mulf
// BOUND-NEXT:      linalg.yield
// BOUND:         linalg.generic {{.*}} ins(%[[AB]] :
// BOUND:           arith.subf
// BOUND-NEXT:      arith.divf
// BOUND-NEXT:      linalg.yield
// BOUND-NOT:     linalg.generic

// Tests that a reshape feeding a named op stays: folding it by expansion
// would generalize the quantized_matmul, and the int8 kernel strategy
// matches the named op (an int8 matmul behind a Reshape ran as a plain loop
// nest).
func.func @reshape_into_named(%a: tensor<4x2x3xi8>, %b: tensor<6x5xi8>) -> tensor<4x5xi32> {
  %c0 = arith.constant 0 : i32
  %z = arith.constant 0 : i32
  %flat = tensor.collapse_shape %a [[0], [1, 2]] : tensor<4x2x3xi8> into tensor<4x6xi8>
  %e = tensor.empty() : tensor<4x5xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<4x5xi32>) -> tensor<4x5xi32>
  %r = linalg.quantized_matmul ins(%flat, %b, %z, %z : tensor<4x6xi8>, tensor<6x5xi8>, i32, i32) outs(%init : tensor<4x5xi32>) -> tensor<4x5xi32>
  return %r : tensor<4x5xi32>
}
// CHECK-LABEL: func.func @reshape_into_named
// CHECK:         tensor.collapse_shape
// CHECK:         linalg.quantized_matmul
// BOUND-LABEL: func.func @reshape_into_named
// BOUND:         linalg.quantized_matmul
