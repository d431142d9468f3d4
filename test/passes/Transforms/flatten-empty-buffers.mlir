// RUN: dlc-opt %s --allow-unregistered-dialect --dlc-flatten-empty-buffers | FileCheck %s

// Tests that a zero-element argument of rank > 1 is passed as memref<0xT>
// and expanded back at entry, that call sites collapse their operand, and
// that other arguments (rank 0, rank 1, non-empty) are left alone.
// CHECK-LABEL: func.func private @kernel
// CHECK-SAME: (%[[A:.*]]: memref<0xi64>, %[[B:.*]]: memref<i64>, %[[C:.*]]: memref<0xf32>, %[[D:.*]]: memref<2x3xf32>)
// CHECK: %[[E:.*]] = memref.expand_shape %[[A]] {{\[\[}}0, 1, 2]] output_shape [3, 0, 5] : memref<0xi64> into memref<3x0x5xi64>
// CHECK: "test.use"(%[[E]], %[[B]], %[[C]], %[[D]])
func.func private @kernel(%a: memref<3x0x5xi64>, %b: memref<i64>, %c: memref<0xf32>, %d: memref<2x3xf32>) {
  "test.use"(%a, %b, %c, %d) : (memref<3x0x5xi64>, memref<i64>, memref<0xf32>, memref<2x3xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @main_graph
// CHECK-SAME: (%[[X:.*]]: memref<0xi64>,
// CHECK: %[[XE:.*]] = memref.expand_shape %[[X]]
// CHECK: %[[XC:.*]] = memref.collapse_shape %[[XE]] {{\[\[}}0, 1, 2]] : memref<3x0x5xi64> into memref<0xi64>
// CHECK: call @kernel(%[[XC]],
func.func @main_graph(%x: memref<3x0x5xi64>, %b: memref<i64>, %c: memref<0xf32>, %d: memref<2x3xf32>) {
  call @kernel(%x, %b, %c, %d) : (memref<3x0x5xi64>, memref<i64>, memref<0xf32>, memref<2x3xf32>) -> ()
  return
}
