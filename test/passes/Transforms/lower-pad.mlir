// RUN: dlc-opt %s --split-input-file --dlc-lower-pad | FileCheck %s

// Tests that reflect padding reads the mirrored border (index lo - i on the
// left, n - 2 - i on the right) and concatenates it around the input.
// CHECK-DAG: #[[LEFT:.*]] = affine_map<(d0, d1) -> (d0, -d1 + 1)>
// CHECK-DAG: #[[RIGHT:.*]] = affine_map<(d0, d1) -> (d0, -d1 + 2)>
// CHECK-LABEL: func.func @reflect
func.func @reflect(%x: tensor<2x4xf32>) -> tensor<2x7xf32> {
  // CHECK: %[[L:.*]] = linalg.generic {indexing_maps = [#[[LEFT]], {{.*}}]
  // CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[RIGHT]], {{.*}}]
  // CHECK: tensor.concat dim(1) %[[L]], %{{.*}}, %[[R]] : (tensor<2x1xf32>, tensor<2x4xf32>, tensor<2x2xf32>) -> tensor<2x7xf32>
  %0 = dlc.pad %x low [0, 1] high [0, 2] mode "reflect" : tensor<2x4xf32> -> tensor<2x7xf32>
  return %0 : tensor<2x7xf32>
}

// -----

// Tests that edge padding repeats the first and last element.
// CHECK-DAG: #[[FIRST:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG: #[[LAST:.*]] = affine_map<(d0, d1) -> (2, d1)>
// CHECK-LABEL: func.func @edge
func.func @edge(%x: tensor<3x2xf32>) -> tensor<6x2xf32> {
  // CHECK: linalg.generic {indexing_maps = [#[[FIRST]]
  // CHECK: linalg.generic {indexing_maps = [#[[LAST]]
  // CHECK: tensor.concat dim(0)
  %0 = dlc.pad %x low [1, 0] high [2, 0] mode "edge" : tensor<3x2xf32> -> tensor<6x2xf32>
  return %0 : tensor<6x2xf32>
}

// -----

// Tests that wrap padding (Pad-19) copies the far end: the left border is
// input[n - lo, n), the right border input[0, hi).
// CHECK-LABEL: func.func @wrap
func.func @wrap(%x: tensor<2x4xf32>) -> tensor<2x7xf32> {
  // CHECK: %[[L:.*]] = tensor.extract_slice %arg0[0, 2] [2, 2] [1, 1]
  // CHECK: %[[R:.*]] = tensor.extract_slice %arg0[0, 0] [2, 1] [1, 1]
  // CHECK: tensor.concat dim(1) %[[L]], %arg0, %[[R]] : (tensor<2x2xf32>, tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x7xf32>
  %0 = dlc.pad %x low [0, 2] high [0, 1] mode "wrap" : tensor<2x4xf32> -> tensor<2x7xf32>
  return %0 : tensor<2x7xf32>
}
