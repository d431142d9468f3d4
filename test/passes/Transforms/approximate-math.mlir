// RUN: dlc-opt %s --split-input-file --dlc-approximate-math | FileCheck %s

// Tests that exp and tanh are replaced by inline polynomial code whose fmas
// become contractable mul/add pairs (no fmaf call on CPUs without FMA).
// CHECK-LABEL: func.func @math
func.func @math(%x: f32) -> (f32, f32) {
  // CHECK-NOT: math.exp
  // CHECK-NOT: math.tanh
  // CHECK-NOT: math.fma
  // CHECK-NOT: math.floor
  // CHECK: arith.mulf {{.*}} fastmath<contract>
  // CHECK: arith.addf {{.*}} fastmath<contract>
  %0 = math.exp %x : f32
  %1 = math.tanh %x : f32
  return %0, %1 : f32, f32
}

// -----

// Tests that floor becomes an integer round trip guarded by |x| < 2^23, with
// one subtracted where truncation moved a negative value up.
// CHECK-LABEL: func.func @floor
// CHECK-SAME: (%[[X:.*]]: vector<4xf32>)
// CHECK-DAG: %[[LIMIT:.*]] = arith.constant dense<0x4B000000>
// CHECK-DAG: %[[ONE:.*]] = arith.constant dense<1.0
// CHECK: %[[ABS:.*]] = math.absf %[[X]]
// CHECK: %[[SMALL:.*]] = arith.cmpf olt, %[[ABS]], %[[LIMIT]]
// CHECK: %[[I:.*]] = arith.fptosi %[[X]] : vector<4xf32> to vector<4xi32>
// CHECK: %[[F:.*]] = arith.sitofp %[[I]]
// CHECK: %[[S:.*]] = math.copysign %[[F]], %[[X]]
// CHECK: %[[T:.*]] = arith.select %[[SMALL]], %[[S]], %[[X]]
// CHECK: %[[UP:.*]] = arith.cmpf olt, %[[X]], %[[T]]
// CHECK: %[[M1:.*]] = arith.subf %[[T]], %[[ONE]]
// CHECK: %[[R:.*]] = arith.select %[[UP]], %[[M1]], %[[T]]
// CHECK: return %[[R]]
func.func @floor(%x: vector<4xf32>) -> vector<4xf32> {
  %0 = math.floor %x : vector<4xf32>
  return %0 : vector<4xf32>
}

// -----

// Tests that trunc on f64 uses a 64-bit integer and the 2^52 limit, and that
// roundeven is expanded down to the same code.
// CHECK-LABEL: func.func @trunc
// CHECK-NOT: math.trunc
// CHECK-NOT: math.roundeven
// CHECK: arith.constant 0x4330000000000000 : f64
// CHECK: arith.fptosi %{{.*}} : f64 to i64
func.func @trunc(%x: f64) -> (f64, f64) {
  %0 = math.trunc %x : f64
  %1 = math.roundeven %x : f64
  return %0, %1 : f64, f64
}

// -----

// Tests that an f64 exp is computed by the f32 approximation between a
// truncf and an extf (no call to libm's exp).
// CHECK-LABEL: func.func @exp_f64
// CHECK: %[[N:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK-NOT: math.exp
// CHECK: arith.extf %{{.*}} : f32 to f64
func.func @exp_f64(%x: f64) -> f64 {
  %0 = math.exp %x : f64
  return %0 : f64
}
