// RUN: dlc-opt %s --split-input-file --dlc-lower-unary | FileCheck %s

// Tests that a math function becomes an elementwise generic over math.
// CHECK-LABEL: func.func @asin
func.func @asin(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: linalg.generic
  // CHECK: math.asin
  %0 = dlc.unary %x fn "asin" : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that isinf compares with both infinities.
// CHECK-LABEL: func.func @isinf
func.func @isinf(%x: tensor<4xf32>) -> tensor<4xi1> {
  // CHECK: arith.cmpf oeq, %{{.*}}, %{{.*}} : f32
  // CHECK: arith.cmpf oeq
  // CHECK: arith.ori
  %0 = dlc.unary %x fn "isinf" : tensor<4xf32> -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

// Tests that dlc.div broadcasts unit dimensions and divides with arith.divf.
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @div
func.func @div(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>) -> tensor<2x3xf32> {
  // CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[B]], #{{.*}}]
  // CHECK: arith.divf
  %0 = dlc.div %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
