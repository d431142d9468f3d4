// RUN: dlc-opt %s --dlc-approximate-math=native-rounding=1 | FileCheck %s

// Tests that with native-rounding (CPUs with rounding instructions) floor,
// trunc, ceil and roundeven stay as they are, for LLVM to lower each to one
// instruction, while round (half away from zero, no instruction) still
// expands and fma still becomes a contractable mul/add pair.
// CHECK-LABEL: func.func @rounding
// CHECK-DAG: math.floor
// CHECK-DAG: math.trunc
// CHECK-DAG: math.ceil
// CHECK-DAG: math.roundeven
// CHECK-NOT: math.round %
// CHECK-NOT: math.fma
func.func @rounding(%x: vector<4xf32>) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {
  %0 = math.floor %x : vector<4xf32>
  %1 = math.trunc %x : vector<4xf32>
  %2 = math.ceil %x : vector<4xf32>
  %3 = math.roundeven %x : vector<4xf32>
  %4 = math.round %x : vector<4xf32>
  %5 = math.fma %x, %x, %x : vector<4xf32>
  return %0, %1, %2, %3, %4, %5 : vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>
}
