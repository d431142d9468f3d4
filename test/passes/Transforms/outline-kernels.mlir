// RUN: dlc-opt %s --dlc-outline-kernels | FileCheck %s

// Tests that each top-level linalg op moves into a private, non-inlinable
// function that takes the roots of its buffers (the workspace, arguments)
// and rebuilds views and constants inside.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[IN:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32>, %[[WS:.*]]: memref<64xi8>
// CHECK-NOT: linalg.
// CHECK: call @main_kernel0(%[[WS]], %[[IN]])
// CHECK: call @main_kernel1(%[[OUT]], %[[WS]])
// CHECK: func.func private @main_kernel0(%{{.*}}: memref<64xi8>, %{{.*}}: memref<4xf32>) attributes {passthrough = ["noinline"]}
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
