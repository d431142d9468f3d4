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

// Tests that a depthwise tosa.depthwise_conv2d without channel multiplier
// stays four-dimensional: int8 input padded with its zero point,
// linalg.depthwise_conv_2d_nhwc_hwc_q on the [KH, KW, C] filter, and the
// int32 bias added per channel (upstream's lowering adds a fifth dimension
// for the multiplier and collapses it around the bias).
// CHECK-LABEL: func.func @depthwise_int8
func.func @depthwise_int8(%x: tensor<1x8x8x16xi8>, %w: tensor<3x3x16x1xi8>) -> tensor<1x4x4x16xi32> {
  // CHECK: %[[PAD:.*]] = tensor.pad %arg0 low[0, 1, 0, 0] high[0, 0, 1, 0]
  // CHECK: tensor.yield %c-5_i8 : i8
  // CHECK: %[[W:.*]] = tensor.collapse_shape %arg1 {{.*}} : tensor<3x3x16x1xi8> into tensor<3x3x16xi8>
  // CHECK: linalg.depthwise_conv_2d_nhwc_hwc_q {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[PAD]], %[[W]], %c-5_i32, %c0_i32 : tensor<1x9x9x16xi8>, tensor<3x3x16xi8>, i32, i32) outs({{.*}} : tensor<1x4x4x16xi32>)
  // CHECK: linalg.generic
  // CHECK: arith.addi
  // CHECK-NOT: tensor.collapse_shape
  %b = "tosa.const"() <{values = dense<7> : tensor<16xi32>}> : () -> tensor<16xi32>
  %xz = "tosa.const"() <{values = dense<-5> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wz = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.depthwise_conv2d %x, %w, %b, %xz, %wz {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 0, 0, 1>, stride = array<i64: 2, 2>} : (tensor<1x8x8x16xi8>, tensor<3x3x16x1xi8>, tensor<16xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x16xi32>
  return %y : tensor<1x4x4x16xi32>
}

// Tests the float form: zero padding, linalg.depthwise_conv_2d_nhwc_hwc,
// arith.addf bias; a channel multiplier of 2 is left to upstream's lowering.
// CHECK-LABEL: func.func @depthwise_f32
func.func @depthwise_f32(%x: tensor<1x6x6x8xf32>, %w: tensor<3x3x8x1xf32>, %b: tensor<8xf32>, %w2: tensor<3x3x8x2xf32>, %b2: tensor<16xf32>) -> (tensor<1x6x6x8xf32>, tensor<1x4x4x16xf32>) {
  // CHECK: tensor.pad %arg0 low[0, 1, 1, 0] high[0, 1, 1, 0]
  // CHECK: linalg.depthwise_conv_2d_nhwc_hwc {{.*}} -> tensor<1x6x6x8xf32>
  // CHECK: arith.addf
  // CHECK: tosa.depthwise_conv2d {{.*}} -> tensor<1x4x4x16xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.depthwise_conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x6x6x8xf32>, tensor<3x3x8x1xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x6x6x8xf32>
  %y2 = tosa.depthwise_conv2d %x, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x6x6x8xf32>, tensor<3x3x8x2xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x16xf32>
  return %y, %y2 : tensor<1x6x6x8xf32>, tensor<1x4x4x16xf32>
}
