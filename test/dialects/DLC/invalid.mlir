// RUN: dlc-opt %s --split-input-file -verify-diagnostics

// Tests that an unknown padding mode is rejected.
func.func @mode(%x: tensor<4xf32>) -> tensor<6xf32> {
  // expected-error @+1 {{'dlc.pad' op expects mode "reflect", "edge" or "wrap", got "circular"}}
  %0 = dlc.pad %x low [1] high [1] mode "circular" : tensor<4xf32> -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// Tests that wrap padding may not wrap more than once.
func.func @wrap_twice(%x: tensor<4xf32>) -> tensor<9xf32> {
  // expected-error @+1 {{'dlc.pad' op wrap padding must not exceed dimension 0 (size 4)}}
  %0 = dlc.pad %x low [5] high [0] mode "wrap" : tensor<4xf32> -> tensor<9xf32>
  return %0 : tensor<9xf32>
}

// -----

// Tests that reflect padding may not reach past the border.
func.func @too_wide(%x: tensor<2xf32>) -> tensor<6xf32> {
  // expected-error @+1 {{'dlc.pad' op reflect padding must be smaller than dimension 0 (size 2)}}
  %0 = dlc.pad %x low [2] high [2] mode "reflect" : tensor<2xf32> -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// Tests that the result shape must add up.
func.func @shape(%x: tensor<4xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{'dlc.pad' op result dimension 0 must be 6}}
  %0 = dlc.pad %x low [1] high [1] mode "edge" : tensor<4xf32> -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

// Tests that a pool's window attributes must match its spatial rank.
func.func @pool_rank(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  // expected-error @+1 {{'dlc.pool' op expects 2 window entries per attribute}}
  %0 = dlc.pool %x kind "max" kernel [2] strides [2] dilations [1] pads_low [0] pads_high [0] count_include_pad false : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----

// Tests that the result shape must follow from the window.
func.func @pool_shape(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+1 {{'dlc.pool' op result spatial dimension 0 (4) does not match the window}}
  %0 = dlc.pool %x kind "max" kernel [2, 2] strides [2, 2] dilations [1, 1] pads_low [0, 0] pads_high [0, 0] count_include_pad false : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// Tests that dlc.unary rejects unknown functions.
func.func @unary_fn(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'dlc.unary' op unknown function "frobnicate"}}
  %0 = dlc.unary %x fn "frobnicate" : tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Tests that predicates produce i1.
func.func @unary_pred(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'dlc.unary' op result element type must be 'i1'}}
  %0 = dlc.unary %x fn "isinf" : tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
