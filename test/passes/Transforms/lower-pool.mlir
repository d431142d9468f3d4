// RUN: dlc-opt %s --split-input-file --dlc-lower-pool | FileCheck %s

// Tests that a dilated, strided max pool pads with -inf and reads the input
// at out * stride + window * dilation in one generic with reduction loops.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4 * 2, d3 * 2 + d5 * 2)>
// CHECK-LABEL: func.func @max
func.func @max(%x: tensor<1x2x7x7xf32>) -> tensor<1x2x3x3xf32> {
  // CHECK: %[[NEG:.*]] = arith.constant 0xFF800000 : f32
  // CHECK: tensor.pad {{.*}} low[0, 0, 1, 1] high[0, 0, 0, 0]
  // CHECK: tensor.yield %[[NEG]]
  // CHECK: linalg.generic {indexing_maps = [#[[IN]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
  // CHECK: arith.maximumf
  %0 = dlc.pool %x kind "max" kernel [2, 2] strides [2, 2] dilations [2, 2] pads_low [1, 1] pads_high [0, 0] count_include_pad false : tensor<1x2x7x7xf32> -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// -----

// Tests that an average excludes padding from the divisor: a 3-wide window
// with one pad on each side has 2 valid taps at the borders, 3 inside.
// CHECK-LABEL: func.func @avg
func.func @avg(%x: tensor<1x1x4xf32>) -> tensor<1x1x4xf32> {
  // CHECK: arith.constant dense<[5.000000e-01, 0.333333343, 0.333333343, 5.000000e-01]> : tensor<4xf32>
  // CHECK: arith.addf
  // CHECK: arith.mulf
  %0 = dlc.pool %x kind "avg" kernel [3] strides [1] dilations [1] pads_low [1] pads_high [1] count_include_pad false : tensor<1x1x4xf32> -> tensor<1x1x4xf32>
  return %0 : tensor<1x1x4xf32>
}

// -----

// Tests that count_include_pad counts the pads.
// CHECK-LABEL: func.func @avg_include
func.func @avg_include(%x: tensor<1x1x4xf32>) -> tensor<1x1x4xf32> {
  // CHECK: arith.constant dense<0.333333343> : tensor<4xf32>
  %0 = dlc.pool %x kind "avg" kernel [3] strides [1] dilations [1] pads_low [1] pads_high [1] count_include_pad true : tensor<1x1x4xf32> -> tensor<1x1x4xf32>
  return %0 : tensor<1x1x4xf32>
}
