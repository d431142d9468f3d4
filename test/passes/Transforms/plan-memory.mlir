// RUN: dlc-opt %s --split-input-file --dlc-plan-memory | FileCheck %s

// Tests that two buffers with disjoint live ranges share offset 0, that a
// buffer live at the same time as another gets its own aligned offset, and
// that the workspace argument and size attribute are added.
// CHECK-LABEL: func.func @reuse
// CHECK-SAME: %[[WS:[a-z0-9]+]]: memref<128xi8>
// CHECK-SAME: dlc.workspace_size = 128 : i64
func.func @reuse(%in: memref<16xf32>, %out: memref<16xf32>) {
  // CHECK: %[[C0:.*]] = arith.constant 0 : index
  // CHECK: memref.view %[[WS]][%[[C0]]][] : memref<128xi8> to memref<16xf32>
  %a = memref.alloc() : memref<16xf32>
  memref.copy %in, %a : memref<16xf32> to memref<16xf32>
  // CHECK: %[[C64:.*]] = arith.constant 64 : index
  // CHECK: memref.view %[[WS]][%[[C64]]][] : memref<128xi8> to memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  memref.copy %a, %b : memref<16xf32> to memref<16xf32>
  // %a is dead here, so %c reuses its bytes.
  // CHECK: %[[C0B:.*]] = arith.constant 0 : index
  // CHECK: memref.view %[[WS]][%[[C0B]]][] : memref<128xi8> to memref<16xf32>
  %c = memref.alloc() : memref<16xf32>
  memref.copy %b, %c : memref<16xf32> to memref<16xf32>
  memref.copy %c, %out : memref<16xf32> to memref<16xf32>
  // CHECK-NOT: memref.alloc
  // CHECK-NOT: memref.dealloc
  memref.dealloc %a : memref<16xf32>
  return
}

// -----

// Tests that a use through a view (collapse_shape) keeps the buffer alive.
// CHECK-LABEL: func.func @alias
// CHECK-SAME: dlc.workspace_size = 128 : i64
func.func @alias(%in: memref<2x2xf32>, %out: memref<4xf32>) {
  %a = memref.alloc() : memref<2x2xf32>
  memref.copy %in, %a : memref<2x2xf32> to memref<2x2xf32>
  %v = memref.collapse_shape %a [[0, 1]] : memref<2x2xf32> into memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  memref.copy %v, %b : memref<4xf32> to memref<4xf32>
  memref.copy %b, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

// Tests that an allocation inside a loop (a recurrent layer's step) is live
// for the whole loop: it does not share bytes with a buffer that is live
// across the loop, and a buffer allocated after the loop may reuse its bytes.
// CHECK-LABEL: func.func @in_loop
// CHECK-SAME: dlc.workspace_size = 128 : i64
func.func @in_loop(%in: memref<16xf32>, %out: memref<16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // CHECK: memref.view %{{.*}}[%[[A:.*]]][] : memref<128xi8> to memref<16xf32>
  %a = memref.alloc() : memref<16xf32>
  memref.copy %in, %a : memref<16xf32> to memref<16xf32>
  // CHECK: scf.for
  scf.for %i = %c0 to %n step %c1 {
    // CHECK: %[[C64:.*]] = arith.constant 64 : index
    // CHECK: memref.view %{{.*}}[%[[C64]]][] : memref<128xi8> to memref<16xf32>
    %t = memref.alloc() : memref<16xf32>
    memref.copy %a, %t : memref<16xf32> to memref<16xf32>
    memref.copy %t, %a : memref<16xf32> to memref<16xf32>
  }
  // CHECK: %[[C64B:.*]] = arith.constant 64 : index
  // CHECK: memref.view %{{.*}}[%[[C64B]]][] : memref<128xi8> to memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  memref.copy %a, %b : memref<16xf32> to memref<16xf32>
  memref.copy %b, %out : memref<16xf32> to memref<16xf32>
  return
}
