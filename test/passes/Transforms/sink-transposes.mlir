// RUN: dlc-opt %s --split-input-file --dlc-sink-transposes | FileCheck %s

// Tests that a transpose moves below elementwise ops whose other operands
// are broadcasts (reshaped to the inverse permutation) until it meets its
// inverse, which folds away: the quantized residual chain
// NHWC conv -> NCHW -> dequantize -> add -> NHWC conv.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[A:.*]]: tensor<1x4x4x8xf32>, %[[B:.*]]: tensor<1x4x4x8xf32>, %[[S:.*]]: tensor<1x8x1x1xf32>)
// CHECK-NOT: tosa.transpose
// CHECK: %[[SR:.*]] = tosa.reshape %[[S]], {{.*}} -> tensor<1x1x1x8xf32>
// CHECK: %[[D:.*]] = dlc.div %[[A]], %[[SR]] : (tensor<1x4x4x8xf32>, tensor<1x1x1x8xf32>) -> tensor<1x4x4x8xf32>
// CHECK: %[[ADD:.*]] = tosa.add %[[D]], %[[B]] : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
// CHECK-NOT: tosa.transpose
// CHECK: return %[[ADD]]
func.func @chain(%a: tensor<1x4x4x8xf32>, %b: tensor<1x4x4x8xf32>, %s: tensor<1x8x1x1xf32>) -> tensor<1x4x4x8xf32> {
  %at = tosa.transpose %a {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x4x8xf32>) -> tensor<1x8x4x4xf32>
  %bt = tosa.transpose %b {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x4x8xf32>) -> tensor<1x8x4x4xf32>
  %d = dlc.div %at, %s : (tensor<1x8x4x4xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %sum = tosa.add %d, %bt : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %back = tosa.transpose %sum {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x8x4x4xf32>) -> tensor<1x4x4x8xf32>
  return %back : tensor<1x4x4x8xf32>
}

// -----

// Tests what must not sink: operands transposed by different permutations,
// and an operand that is neither a transpose nor a broadcast (sinking would
// add a transpose of it).
// CHECK-LABEL: func.func @blocked
// CHECK-DAG: tosa.transpose %arg0 {perms = array<i32: 0, 3, 1, 2>}
// CHECK-DAG: tosa.transpose %arg1 {perms = array<i32: 0, 3, 2, 1>}
// CHECK: tosa.add {{.*}} -> tensor<1x8x4x4xf32>
// CHECK: tosa.sub {{.*}} -> tensor<1x8x4x4xf32>
// CHECK-NOT: tosa.transpose
func.func @blocked(%a: tensor<1x4x4x8xf32>, %b: tensor<1x4x4x8xf32>, %c: tensor<1x8x4x4xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) {
  %at = tosa.transpose %a {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x4x4x8xf32>) -> tensor<1x8x4x4xf32>
  %bt = tosa.transpose %b {perms = array<i32: 0, 3, 2, 1>} : (tensor<1x4x4x8xf32>) -> tensor<1x8x4x4xf32>
  %0 = tosa.add %at, %bt : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %1 = tosa.sub %at, %c : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %0, %1 : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>
}
