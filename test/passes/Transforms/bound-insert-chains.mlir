// RUN: dlc-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(dlc-bound-insert-chains{group=2}))" | FileCheck %s

// Tests that a concat chain of 3 inserts becomes boxes of at most 2, each
// built in its own tensor.empty, then put into the destination.
// CHECK-LABEL: func @concat3
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<2x3xf32>, %[[C:.*]]: tensor<2x3xf32>)
// CHECK: %[[DST:.*]] = tensor.empty() : tensor<6x3xf32>
// CHECK: %[[BOX0:.*]] = tensor.empty() : tensor<4x3xf32>
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[A]] into %[[BOX0]][0, 0] [2, 3] [1, 1]
// CHECK: %[[I1:.*]] = tensor.insert_slice %[[B]] into %[[I0]][2, 0] [2, 3] [1, 1]
// CHECK: %[[O0:.*]] = tensor.insert_slice %[[I1]] into %[[DST]][0, 0] [4, 3] [1, 1]
// CHECK: %[[BOX1:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK: %[[I2:.*]] = tensor.insert_slice %[[C]] into %[[BOX1]][0, 0] [2, 3] [1, 1]
// CHECK: %[[O1:.*]] = tensor.insert_slice %[[I2]] into %[[O0]][4, 0] [2, 3] [1, 1]
// CHECK: return %[[O1]]
func.func @concat3(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %c: tensor<2x3xf32>) -> tensor<6x3xf32> {
  %e = tensor.empty() : tensor<6x3xf32>
  %0 = tensor.insert_slice %a into %e[0, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<6x3xf32>
  %1 = tensor.insert_slice %b into %0[2, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<6x3xf32>
  %2 = tensor.insert_slice %c into %1[4, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<6x3xf32>
  return %2 : tensor<6x3xf32>
}

// -----

// Tests that a group whose regions do not tile a box (a gap) leaves the
// chain as it is.
// CHECK-LABEL: func @gap
// CHECK: tensor.empty() : tensor<8x3xf32>
// CHECK-NOT: tensor.empty
// CHECK: tensor.insert_slice %{{.*}}[3, 0] [2, 3]
func.func @gap(%a: tensor<2x3xf32>) -> tensor<8x3xf32> {
  %e = tensor.empty() : tensor<8x3xf32>
  %0 = tensor.insert_slice %a into %e[0, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<8x3xf32>
  %1 = tensor.insert_slice %a into %0[3, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<8x3xf32>
  %2 = tensor.insert_slice %a into %1[5, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<8x3xf32>
  return %2 : tensor<8x3xf32>
}
