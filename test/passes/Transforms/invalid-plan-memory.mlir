// RUN: dlc-opt %s --split-input-file --dlc-plan-memory -verify-diagnostics

// Tests that a dynamically shaped allocation is rejected.
func.func @dynamic(%n: index) {
  // expected-error @+1 {{cannot place a dynamically shaped or strided allocation in the static workspace}}
  %a = memref.alloc(%n) : memref<?xf32>
  return
}

// -----

// Tests that an allocation inside a loop is rejected.
func.func @nested(%lb: index, %ub: index, %s: index) {
  scf.for %i = %lb to %ub step %s {
    // expected-error @+1 {{cannot place an allocation nested in a region in the static workspace}}
    %a = memref.alloc() : memref<4xf32>
  }
  return
}
