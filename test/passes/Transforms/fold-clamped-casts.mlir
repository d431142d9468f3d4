// RUN: dlc-opt %s --split-input-file --dlc-fold-clamped-casts | FileCheck %s

// Tests that a saturating float-to-int32 cast (tosa.cast's lowering:
// roundeven, a max against -2^31, fptosi, and INT_MAX where r >= 2^31) of a
// value clamped to +-2^17 loses its checks, and that the clamp's inner
// bound becomes NaN-ignoring, written as x < hi ? x : hi (x86's minps; NaN
// then saturates to 2^17, as numbers beyond it do).
// CHECK-LABEL: func.func @clamped
// CHECK: %[[LT:.*]] = arith.cmpf olt, %arg0, %{{.*}} : f32
// CHECK: %[[LO:.*]] = arith.select %[[LT]], %arg0, %{{.*}} : f32
// CHECK: %[[HI:.*]] = arith.maximumf %[[LO]], %{{.*}} : f32
// CHECK: %[[R:.*]] = math.roundeven %[[HI]] : f32
// CHECK: %[[I:.*]] = arith.fptosi %[[R]] : f32 to i32
// CHECK-NEXT: return %[[I]]
func.func @clamped(%x: f32) -> i32 {
  %hi = arith.constant 131072.0 : f32
  %lo = arith.constant -131072.0 : f32
  %min32 = arith.constant -2147483648.0 : f32
  %top = arith.constant 2147483648.0 : f32
  %imax = arith.constant 2147483647 : i32
  %a = arith.minimumf %x, %hi : f32
  %b = arith.maximumf %a, %lo : f32
  %r = math.roundeven %b : f32
  %m = arith.maximumf %r, %min32 : f32
  %i = arith.fptosi %m : f32 to i32
  %c = arith.cmpf uge, %r, %top : f32
  %s = arith.select %c, %imax, %i : i32
  return %s : i32
}

// -----

// The clamp in the other order (max inside: x > lo ? x : lo), on vectors.
// CHECK-LABEL: func.func @clamped_vector
// CHECK: arith.cmpf ogt, %arg0, %{{.*}} : vector<8xf32>
// CHECK: arith.select
// CHECK: arith.minimumf
// CHECK: math.roundeven
// CHECK: arith.fptosi
// CHECK-NEXT: return
func.func @clamped_vector(%x: vector<8xf32>) -> vector<8xi32> {
  %hi = arith.constant dense<131072.0> : vector<8xf32>
  %lo = arith.constant dense<-131072.0> : vector<8xf32>
  %min32 = arith.constant dense<-2147483648.0> : vector<8xf32>
  %top = arith.constant dense<2147483648.0> : vector<8xf32>
  %imax = arith.constant dense<2147483647> : vector<8xi32>
  %a = arith.maximumf %x, %lo : vector<8xf32>
  %b = arith.minimumf %a, %hi : vector<8xf32>
  %r = math.roundeven %b : vector<8xf32>
  %m = arith.maximumf %r, %min32 : vector<8xf32>
  %i = arith.fptosi %m : vector<8xf32> to vector<8xi32>
  %c = arith.cmpf uge, %r, %top : vector<8xf32>
  %s = arith.select %c, %imax, %i : vector<8xi1>, vector<8xi32>
  return %s : vector<8xi32>
}

// -----

// Tests that the checks stay where the clamp does not keep the value inside
// the integer type (bounds +-2^40) or where there is no clamp.
// CHECK-LABEL: func.func @wide
// CHECK: arith.select
// CHECK-LABEL: func.func @unclamped
// CHECK: arith.select
func.func @wide(%x: f32) -> i32 {
  %hi = arith.constant 1099511627776.0 : f32
  %lo = arith.constant -1099511627776.0 : f32
  %min32 = arith.constant -2147483648.0 : f32
  %top = arith.constant 2147483648.0 : f32
  %imax = arith.constant 2147483647 : i32
  %a = arith.minimumf %x, %hi : f32
  %b = arith.maximumf %a, %lo : f32
  %r = math.roundeven %b : f32
  %m = arith.maximumf %r, %min32 : f32
  %i = arith.fptosi %m : f32 to i32
  %c = arith.cmpf uge, %r, %top : f32
  %s = arith.select %c, %imax, %i : i32
  return %s : i32
}
func.func @unclamped(%x: f32) -> i32 {
  %min32 = arith.constant -2147483648.0 : f32
  %top = arith.constant 2147483648.0 : f32
  %imax = arith.constant 2147483647 : i32
  %r = math.roundeven %x : f32
  %m = arith.maximumf %r, %min32 : f32
  %i = arith.fptosi %m : f32 to i32
  %c = arith.cmpf uge, %r, %top : f32
  %s = arith.select %c, %imax, %i : i32
  return %s : i32
}

// -----

// Tests a uint8 requantization with a constant zero point (3) followed by
// its dequantization, as a QDQ pair fused into one body leaves them: the
// saturation to [0, 255] moves into the float clamp ([-3, 252]), the 8-bit
// round trip (trunci, extsi, andi 255) is dropped because the value is
// known to lie in [0, 255], and sitofp(q + 3) - 3 is the rounded value
// itself (+ 0.0, so that -0 becomes the +0 the subtraction gave). What is
// left: the clamp, roundeven and the scale.
// CHECK-LABEL: func.func @requantize_dequantize
// CHECK-DAG: %[[HI:.*]] = arith.constant 2.520000e+02 : f32
// CHECK-DAG: %[[LO:.*]] = arith.constant -3.000000e+00 : f32
// CHECK: %[[LT:.*]] = arith.cmpf olt, %arg0, %[[HI]] : f32
// CHECK: %[[S:.*]] = arith.select %[[LT]], %arg0, %[[HI]] : f32
// CHECK: %[[M:.*]] = arith.maximumf %[[S]], %[[LO]] : f32
// CHECK: %[[R:.*]] = math.roundeven %[[M]] : f32
// CHECK: %[[P:.*]] = arith.addf %[[R]], %{{.*}} : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[P]], %{{.*}} : f32
// CHECK-NOT: arith.maxsi
// CHECK-NOT: arith.minsi
// CHECK-NOT: arith.andi
// CHECK: return %[[Y]], %{{.*}} : f32, i8
func.func @requantize_dequantize(%x: f32) -> (f32, i8) {
  %hi = arith.constant 131072.0 : f32
  %lo = arith.constant -131072.0 : f32
  %min32 = arith.constant -2147483648.0 : f32
  %top = arith.constant 2147483648.0 : f32
  %imax = arith.constant 2147483647 : i32
  %zp = arith.constant 3 : i32
  %zpf = arith.constant 3.0 : f32
  %c0 = arith.constant 0 : i32
  %c255 = arith.constant 255 : i32
  %scale = arith.constant 0.5 : f32
  %a = arith.minimumf %x, %hi : f32
  %b = arith.maximumf %a, %lo : f32
  %r = math.roundeven %b : f32
  %m = arith.maximumf %r, %min32 : f32
  %i = arith.fptosi %m : f32 to i32
  %c = arith.cmpf uge, %r, %top : f32
  %s = arith.select %c, %imax, %i : i32
  %q = arith.addi %s, %zp : i32
  %q1 = arith.maxsi %q, %c0 : i32
  %q2 = arith.minsi %q1, %c255 : i32
  %t = arith.trunci %q2 : i32 to i8
  %e = arith.extsi %t : i8 to i32
  %u = arith.andi %e, %c255 : i32
  %f = arith.sitofp %u : i32 to f32
  %d = arith.subf %f, %zpf : f32
  %y = arith.mulf %d, %scale : f32
  return %y, %t : f32, i8
}

// -----

// Tests that the integer clamp stays where the zero point is not a
// constant, and that the round trip stays where the range is not known.
// CHECK-LABEL: func.func @runtime_zero_point
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: arith.extsi
// CHECK: arith.andi
func.func @runtime_zero_point(%x: f32, %zp: i32) -> i32 {
  %hi = arith.constant 131072.0 : f32
  %lo = arith.constant -131072.0 : f32
  %min32 = arith.constant -2147483648.0 : f32
  %top = arith.constant 2147483648.0 : f32
  %imax = arith.constant 2147483647 : i32
  %c0 = arith.constant 0 : i32
  %c255 = arith.constant 255 : i32
  %a = arith.minimumf %x, %hi : f32
  %b = arith.maximumf %a, %lo : f32
  %r = math.roundeven %b : f32
  %m = arith.maximumf %r, %min32 : f32
  %i = arith.fptosi %m : f32 to i32
  %c = arith.cmpf uge, %r, %top : f32
  %s = arith.select %c, %imax, %i : i32
  %q = arith.addi %s, %zp : i32
  %q1 = arith.maxsi %q, %c0 : i32
  %q2 = arith.minsi %q1, %c255 : i32
  %t = arith.trunci %q2 : i32 to i8
  %e = arith.extsi %t : i8 to i32
  %u = arith.andi %e, %c255 : i32
  return %u : i32
}
