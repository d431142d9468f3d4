// RUN: dlc-opt %s --split-input-file --dlc-cpu-parallelize-kernels="min-elements=1024" | FileCheck %s

// Tests that a reduction over rows (a softmax's max) is tiled by 1 along its
// outermost parallel loop of extent >= 2 (dim 0 has extent 1, so dim 1),
// as a loop from 0 step 1 marked dlc.parallel.
#in = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @row_max
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C64]] step %{{.*}} iter_args
// CHECK: tensor.extract_slice {{.*}} : tensor<1x64x128xf32> to tensor<1x1x128xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x1x128xf32>) outs(%{{.*}} : tensor<1x1xf32>)
// CHECK: } {dlc.parallel}
func.func @row_max(%x: tensor<1x64x128xf32>, %init: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<1x64x128xf32>) outs(%init : tensor<1x64xf32>) {
  ^bb0(%a: f32, %m: f32):
    %v = arith.maximumf %a, %m : f32
    linalg.yield %v : f32
  } -> tensor<1x64xf32>
  return %r : tensor<1x64xf32>
}

// -----

// Tests that an op below min-elements stays whole.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.for
// CHECK: linalg.transpose
func.func @small(%x: tensor<16x8xf32>, %y: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %t = linalg.transpose ins(%x : tensor<16x8xf32>) outs(%y : tensor<8x16xf32>) permutation = [1, 0]
  return %t : tensor<8x16xf32>
}
