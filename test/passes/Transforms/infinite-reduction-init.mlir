// RUN: dlc-opt %s --pass-pipeline="builtin.module(func.func(tosa-to-linalg,dlc-infinite-reduction-init,canonicalize))" | FileCheck %s
// Tests that float max/min reductions start at -inf/+inf (upstream starts
// them at -/+FLT_MAX, so the max of an all -inf row would be -FLT_MAX), and
// that integer ones keep their init.

// CHECK-LABEL: func.func @max_min
// CHECK-DAG: arith.constant 0xFF800000 : f32
// CHECK-DAG: arith.constant 0x7F800000 : f32
// CHECK-NOT: 3.40282347E+38
func.func @max_min(%a: tensor<2x4xf32>) -> (tensor<2x1xf32>, tensor<2x1xf32>) {
  %0 = tosa.reduce_max %a {axis = 1 : i32} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  %1 = tosa.reduce_min %a {axis = 1 : i32} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  return %0, %1 : tensor<2x1xf32>, tensor<2x1xf32>
}

// CHECK-LABEL: func.func @int_max
// CHECK: arith.constant -2147483648 : i32
func.func @int_max(%a: tensor<2x4xi32>) -> tensor<2x1xi32> {
  %0 = tosa.reduce_max %a {axis = 1 : i32} : (tensor<2x4xi32>) -> tensor<2x1xi32>
  return %0 : tensor<2x1xi32>
}
