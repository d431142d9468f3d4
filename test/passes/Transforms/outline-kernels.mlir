// RUN: dlc-opt %s --split-input-file --dlc-outline-kernels | FileCheck %s

// Tests that each top-level linalg op moves into a private, non-inlinable
// function that takes the roots of its buffers (the workspace, arguments)
// and rebuilds views and constants inside.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[IN:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32>, %[[WS:.*]]: memref<64xi8>
// CHECK-NOT: linalg.
// CHECK: call @main_kernel0(%[[IN]], %[[WS]])
// CHECK: call @main_kernel1(%[[WS]], %[[OUT]])
// CHECK: func.func private @main_kernel0(%{{.*}}: memref<4xf32>, %{{.*}}: memref<64xi8>) attributes {passthrough = ["noinline", ["dlc-kernel", "generic 4"], ["dlc-flops", "4"]]}
// CHECK: memref.view
// CHECK: linalg.generic
// CHECK: func.func private @main_kernel1
// CHECK: memref.copy
#id = affine_map<(d0) -> (d0)>
func.func @main(%in: memref<4xf32>, %out: memref<4xf32>, %ws: memref<64xi8>) {
  %c0 = arith.constant 0 : index
  %v = memref.view %ws[%c0][] : memref<64xi8> to memref<4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%in : memref<4xf32>) outs(%v : memref<4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  }
  memref.copy %v, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

// Tests that a loop marked dlc.parallel (from 0, step 1) becomes a kernel
// taking its iteration range as two trailing index arguments, called with
// the loop's bounds, and marked dlc-parallel with its description.
// CHECK-LABEL: func.func @tiles(
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[C8:.*]] = arith.constant 8 : index
// CHECK: call @tiles_kernel0(%{{.*}}, %[[C0]], %[[C8]])
// CHECK: func.func private @tiles_kernel0(%{{.*}}: memref<8x4xf32>, %[[LO:.*]]: index, %[[HI:.*]]: index) attributes {passthrough = ["noinline", ["dlc-kernel", "rows"], ["dlc-flops", "32"], ["dlc-parallel", "1"]]}
// CHECK: scf.for %{{.*}} = %[[LO]] to %[[HI]]
func.func @tiles(%out: memref<8x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %one, %out[%i, %c0] : memref<8x4xf32>
  } {dlc.parallel, dlc.kernel = "rows", dlc.flops = 32 : i64}
  return
}
