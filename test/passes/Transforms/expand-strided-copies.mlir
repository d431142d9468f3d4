// RUN: dlc-opt %s --dlc-expand-strided-copies | FileCheck %s

// Tests that a copy into a strided subview becomes linalg.copy while a copy
// between contiguous buffers stays a memref.copy (a memcpy).
// CHECK-LABEL: func.func @copies
func.func @copies(%a: memref<4x4xf32>, %b: memref<2x2xf32>, %c: memref<2x2xf32>) {
  %v = memref.subview %a[1, 1] [2, 2] [1, 1] : memref<4x4xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  // CHECK: linalg.copy ins(%{{.*}} : memref<2x2xf32>) outs(%{{.*}} : memref<2x2xf32, strided<[4, 1], offset: 5>>)
  memref.copy %b, %v : memref<2x2xf32> to memref<2x2xf32, strided<[4, 1], offset: 5>>
  // CHECK: memref.copy %{{.*}}, %{{.*}} : memref<2x2xf32> to memref<2x2xf32>
  memref.copy %b, %c : memref<2x2xf32> to memref<2x2xf32>
  return
}
