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
