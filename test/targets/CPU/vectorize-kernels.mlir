// RUN: dlc-opt %s --split-input-file --dlc-cpu-vectorize-kernels="vector-bits=512" | FileCheck %s
// RUN: dlc-opt %s --split-input-file --dlc-cpu-vectorize-kernels="vector-bits=128" | FileCheck %s --check-prefix=NEON

// Tests that a softmax's exp(x - max) step, whose max broadcasts along the
// row (a constant-0 result in its map), becomes a loop nest by 1 over the
// outer loops and by four vectors (64 lanes on AVX-512, 16 on NEON) over the
// contiguous innermost loop: one vector read of x, one scalar read of the
// max broadcast to the vector, vector subf and exp, one vector write.
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
// CHECK-LABEL: func.func @exp_sub_max
// CHECK-NOT: linalg.generic
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C64]]
// CHECK: %[[X:.*]] = vector.transfer_read {{.*}} {in_bounds = [true]} : tensor<2x128x128xf32>, vector<64xf32>
// CHECK: %[[M:.*]] = tensor.extract {{.*}} : tensor<2x128x1xf32>
// CHECK: %[[MV:.*]] = vector.broadcast %[[M]] : f32 to vector<64xf32>
// CHECK: %[[D:.*]] = arith.subf %[[X]], %[[MV]] : vector<64xf32>
// CHECK: %[[E:.*]] = math.exp %[[D]] : vector<64xf32>
// CHECK: vector.transfer_write %[[E]], {{.*}} {in_bounds = [true]} : vector<64xf32>, tensor<2x128x128xf32>
// NEON-LABEL: func.func @exp_sub_max
// NEON: math.exp %{{.*}} : vector<16xf32>
func.func @exp_sub_max(%x: tensor<2x128x128xf32>, %m: tensor<2x128x1xf32>) -> tensor<2x128x128xf32> {
  %e = tensor.empty() : tensor<2x128x128xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %m : tensor<2x128x128xf32>, tensor<2x128x1xf32>) outs(%e : tensor<2x128x128xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %v = math.exp %d : f32
    linalg.yield %v : f32
  } -> tensor<2x128x128xf32>
  return %r : tensor<2x128x128xf32>
}

// -----

// Tests that a fill of 24 channels uses 8-lane vectors (the widest length
// dividing the row), the fill value broadcast once per vector.
// CHECK-LABEL: func.func @fill_narrow
// CHECK: vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK: vector.transfer_write {{.*}} : vector<8xf32>, tensor<1x5x24xf32>
func.func @fill_narrow() -> tensor<1x5x24xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x5x24xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x5x24xf32>) -> tensor<1x5x24xf32>
  return %f : tensor<1x5x24xf32>
}

// -----

// Tests that a row reduction along the innermost loop (a normalization's
// variance: sum of (x - mean)^2) keeps a 64-lane vector accumulator that
// starts at the neutral element (0), applies the body lanewise, and
// combines the lanes onto the output's initial value once per row.
#in2 = affine_map<(d0, d1) -> (d0, d1)>
#row2 = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @row_variance
// CHECK-NOT: linalg.generic
// CHECK: scf.for
// CHECK: %[[INIT:.*]] = tensor.extract %{{.*}} : tensor<16xf32>
// CHECK: %[[Z:.*]] = arith.constant dense<0.000000e+00> : vector<64xf32>
// CHECK: %[[ACC:.*]] = scf.for {{.*}} iter_args(%[[A:.*]] = %[[Z]]) -> (vector<64xf32>)
// CHECK: %[[X:.*]] = vector.transfer_read {{.*}} : tensor<16x256xf32>, vector<64xf32>
// CHECK: %[[D:.*]] = arith.subf %[[X]], %{{.*}} : vector<64xf32>
// CHECK: %[[S:.*]] = arith.mulf %[[D]], %[[D]] : vector<64xf32>
// CHECK: %[[N:.*]] = arith.addf %[[S]], %[[A]] : vector<64xf32>
// CHECK: scf.yield %[[N]] : vector<64xf32>
// CHECK: %[[R:.*]] = vector.reduction <add>, %[[ACC]], %[[INIT]] : vector<64xf32> into f32
// CHECK: tensor.insert %[[R]]
func.func @row_variance(%x: tensor<16x256xf32>, %mean: tensor<16xf32>, %init: tensor<16xf32>) -> tensor<16xf32> {
  %r = linalg.generic {indexing_maps = [#in2, #row2, #row2], iterator_types = ["parallel", "reduction"]} ins(%x, %mean : tensor<16x256xf32>, tensor<16xf32>) outs(%init : tensor<16xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %s = arith.mulf %d, %d : f32
    %v = arith.addf %s, %o : f32
    linalg.yield %v : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

// Tests what must stay a loop nest for the lowering: a reduction that is not
// along the innermost loop (a column sum), a transpose (the innermost loop
// is not contiguous in the input) and a row of 7 (no vector length divides
// it). And that an input whose innermost loop is followed by a unit
// dimension (tensor<1x64x1>, seen in ConvNeXt's layer norm fused into a
// projection) is read through a collapse_shape that folds the unit
// dimension away: a 1-D access on the uncollapsed tensor would read along
// the unit dimension.
#in = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-LABEL: func.func @not_vectorized
// CHECK-NOT: vector.
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: %[[Q:.*]] = tensor.collapse_shape %arg5 {{\[}}[0], [1, 2]] : tensor<1x64x1xf32> into tensor<1x64xf32>
// CHECK: vector.transfer_read %[[Q]][{{.*}}], {{.*}} : tensor<1x64xf32>, vector<64xf32>
// CHECK: vector.reduction <add>
#a3 = affine_map<(d0, d1, d2) -> (d0, d2)>
#w3 = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
#o3 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @not_vectorized(%x: tensor<16x64xf32>, %init: tensor<64xf32>, %y: tensor<64x16xf32>, %z: tensor<4x7xf32>, %p: tensor<1x64xf32>, %q: tensor<1x64x1xf32>, %pi: tensor<1x1xf32>) -> (tensor<64xf32>, tensor<16x64xf32>, tensor<4x7xf32>, tensor<1x1xf32>) {
  %r = linalg.generic {indexing_maps = [#in, #col], iterator_types = ["reduction", "parallel"]} ins(%x : tensor<16x64xf32>) outs(%init : tensor<64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %a, %o : f32
    linalg.yield %v : f32
  } -> tensor<64xf32>
  %e = tensor.empty() : tensor<16x64xf32>
  %t = linalg.generic {indexing_maps = [#t, #in], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<64x16xf32>) outs(%e : tensor<16x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<16x64xf32>
  %e7 = tensor.empty() : tensor<4x7xf32>
  %s = linalg.generic {indexing_maps = [#in, #in], iterator_types = ["parallel", "parallel"]} ins(%z : tensor<4x7xf32>) outs(%e7 : tensor<4x7xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.mulf %a, %a : f32
    linalg.yield %v : f32
  } -> tensor<4x7xf32>
  %dot = linalg.generic {indexing_maps = [#a3, #w3, #o3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%p, %q : tensor<1x64xf32>, tensor<1x64x1xf32>) outs(%pi : tensor<1x1xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %v = arith.addf %o, %m : f32
    linalg.yield %v : f32
  } -> tensor<1x1xf32>
  return %r, %t, %s, %dot : tensor<64xf32>, tensor<16x64xf32>, tensor<4x7xf32>, tensor<1x1xf32>
}

// -----

// Tests that a transpose of the outer dimensions (attention's head split:
// [seq, heads, dim] -> [heads, seq, dim]) copies whole vectors along the
// innermost dimension, which stays last in both tensors.
// CHECK-LABEL: func.func @head_split
// CHECK-NOT: linalg.transpose
// CHECK: %[[V:.*]] = vector.transfer_read %arg0{{.*}} : tensor<128x12x64xf32>, vector<64xf32>
// CHECK: vector.transfer_write %[[V]], {{.*}} : vector<64xf32>, tensor<12x128x64xf32>
func.func @head_split(%x: tensor<128x12x64xf32>) -> tensor<12x128x64xf32> {
  %e = tensor.empty() : tensor<12x128x64xf32>
  %t = linalg.transpose ins(%x : tensor<128x12x64xf32>) outs(%e : tensor<12x128x64xf32>) permutation = [1, 0, 2]
  return %t : tensor<12x128x64xf32>
}
