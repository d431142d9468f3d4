// RUN: dlc-opt %s --dlc-distinct-results | FileCheck %s

// Tests that a value returned twice and an argument returned as is each get
// their own copy, and that a plain result is left alone.
// CHECK-LABEL: func.func @dup
func.func @dup(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = arith.addf %a, %b : tensor<4xf32>
  // CHECK: %[[SUM:.*]] = arith.addf
  // CHECK: %[[E1:.*]] = tensor.empty() : tensor<4xf32>
  // CHECK: %[[C1:.*]] = linalg.copy ins(%[[SUM]] : tensor<4xf32>) outs(%[[E1]] : tensor<4xf32>)
  // CHECK: %[[E2:.*]] = tensor.empty() : tensor<4xf32>
  // CHECK: %[[C2:.*]] = linalg.copy ins(%arg0 : tensor<4xf32>) outs(%[[E2]] : tensor<4xf32>)
  // CHECK: return %[[SUM]], %[[C1]], %[[C2]]
  return %0, %0, %a : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
