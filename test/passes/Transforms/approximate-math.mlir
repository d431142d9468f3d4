// RUN: dlc-opt %s --dlc-approximate-math | FileCheck %s

// Tests that exp and tanh are replaced by inline polynomial code.
// CHECK-LABEL: func.func @math
func.func @math(%x: f32) -> (f32, f32) {
  // CHECK-NOT: math.exp
  // CHECK-NOT: math.tanh
  // CHECK: math.fma
  %0 = math.exp %x : f32
  %1 = math.tanh %x : f32
  return %0, %1 : f32, f32
}
