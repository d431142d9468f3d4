// RUN: dlc-opt %s --split-input-file --dlc-plan-memory -verify-diagnostics

// Tests that a dynamically shaped allocation is rejected.
func.func @dynamic(%n: index) {
  // expected-error @+1 {{cannot place a dynamically shaped or strided allocation in the static workspace}}
  %a = memref.alloc(%n) : memref<?xf32>
  return
}

// -----

// Tests that an allocation a loop carries out of its iteration is rejected:
// every iteration's allocation gets the same slot.
func.func @escapes(%lb: index, %ub: index, %s: index, %init: memref<4xf32>) {
  %r = scf.for %i = %lb to %ub step %s iter_args(%x = %init) -> (memref<4xf32>) {
    // expected-error @+1 {{cannot place an allocation that a loop carries out of its iteration in the static workspace}}
    %a = memref.alloc() : memref<4xf32>
    memref.copy %x, %a : memref<4xf32> to memref<4xf32>
    scf.yield %a : memref<4xf32>
  }
  return
}
