// RUN: dlc-opt %s --split-input-file --dlc-expand-half-conversions | FileCheck %s
// RUN: dlc-opt %s --split-input-file --dlc-expand-half-conversions="expand-f16=0" | FileCheck %s --check-prefix=SPLIT

// Tests that f16 -> f32 extension becomes integer code: bitcast to i16,
// rebias of normal exponents (+112), the subnormal path through one float
// multiply by 2^-24, and a final bitcast to f32.
// CHECK-LABEL: func.func @ext
// CHECK-NOT: arith.extf
// CHECK-DAG: arith.constant 112 : i32
// CHECK-DAG: arith.constant 5.96046448E-8 : f32
// CHECK: arith.bitcast %{{.*}} : f16 to i16
// CHECK: arith.extui %{{.*}} : i16 to i32
// CHECK: arith.uitofp
// CHECK: arith.bitcast %{{.*}} : i32 to f32
func.func @ext(%x: f16) -> f32 {
  %0 = arith.extf %x : f16 to f32
  return %0 : f32
}

// -----

// Tests that f32 -> f16 truncation rounds the 13 dropped bits to even with
// integer code (bias 0xC8000FFF plus the kept lsb) for normals, uses one
// float add of 0.5 for subnormals, and saturates to infinity at 65520.
// CHECK-LABEL: func.func @trunc
// CHECK-NOT: arith.truncf
// CHECK-DAG: arith.constant -939520001 : i32
// CHECK-DAG: arith.constant 1199566848 : i32
// CHECK-DAG: arith.constant 5.000000e-01 : f32
// CHECK: arith.trunci %{{.*}} : i32 to i16
// CHECK: arith.bitcast %{{.*}} : i16 to f16
func.func @trunc(%x: f32) -> f16 {
  %0 = arith.truncf %x : f32 to f16
  return %0 : f16
}

// -----

// Tests that f64 -> f16 goes through f32 and vectors are handled.
// CHECK-LABEL: func.func @trunc_f64_vector
// CHECK: arith.truncf %{{.*}} : vector<4xf64> to vector<4xf32>
// CHECK: arith.bitcast %{{.*}} : vector<4xi16> to vector<4xf16>
func.func @trunc_f64_vector(%x: vector<4xf64>) -> vector<4xf16> {
  %0 = arith.truncf %x : vector<4xf64> to vector<4xf16>
  return %0 : vector<4xf16>
}

// -----

// Tests that integers converted straight to bf16 or f16 go through f32 and
// truncf (LLVM would call __truncsfbf2), also when the f16 conversions stay
// (expand-f16=0: the CPU has them).
// CHECK-LABEL: func.func @int_to_half
// SPLIT-LABEL: func.func @int_to_half
// SPLIT: %[[B:.*]] = arith.uitofp %{{.*}} : vector<8xi1> to vector<8xf32>
// SPLIT: arith.truncf %[[B]] : vector<8xf32> to vector<8xbf16>
// SPLIT: %[[H:.*]] = arith.sitofp %{{.*}} : i32 to f32
// SPLIT: arith.truncf %[[H]] : f32 to f16
// SPLIT-NOT: arith.bitcast
// CHECK: arith.uitofp %{{.*}} : vector<8xi1> to vector<8xf32>
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK-NOT: arith.truncf %{{.*}} : f32 to f16
// CHECK: arith.bitcast %{{.*}} : i16 to f16
func.func @int_to_half(%m: vector<8xi1>, %i: i32) -> (vector<8xbf16>, f16) {
  %0 = arith.uitofp %m : vector<8xi1> to vector<8xbf16>
  %1 = arith.sitofp %i : i32 to f16
  return %0, %1 : vector<8xbf16>, f16
}
