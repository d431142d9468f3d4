// RUN: dlc-opt %s --dlc-lower-conv | FileCheck %s

// Tests that a grouped convolution becomes one generic over views with the
// group as a dimension, reading the padded input at o * stride + k * dilation,
// followed by a per-channel bias add.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 * 2 + d6, d4 * 2 + d7)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d5, d6, d7)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>
// CHECK-LABEL: func.func @grouped
func.func @grouped(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x4x4xf32> {
  // CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
  // CHECK: tensor.expand_shape {{.*}} : tensor<1x4x10x10xf32> into tensor<1x2x2x10x10xf32>
  // CHECK: tensor.expand_shape %arg1 {{.*}} into tensor<2x3x2x3x3xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[W]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
  // CHECK: tensor.collapse_shape {{.*}} into tensor<1x6x4x4xf32>
  // CHECK: arith.addf
  %0 = dlc.conv %x, %w, %b groups 2 strides [2, 2] dilations [1, 1] pads_low [1, 1] pads_high [1, 1] : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  return %0 : tensor<1x6x4x4xf32>
}
