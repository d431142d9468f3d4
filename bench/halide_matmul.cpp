// bench/halide_matmul.cpp - the side-by-side measurement behind the choice of
// MLIR codegen over Halide for dlc's contraction kernels (docs/performance.md).
//
// JIT-compiles a Halide 14 fp32 matmul C[M][N] = A[M][K] * B[K][N] (B row-major,
// as dlc's constant weights before packing) with the register-blocked schedule
// of Halide's own linear-algebra app (6 rows x 4 vectors of 16 lanes, the
// reduction innermost per tile), single-threaded, for a host with AVX-512, and
// prints its median time and GFLOP/s. Never run by tests.
//
//   clang++-22 -O2 -std=c++17 -I/usr/include/halide14 bench/halide_matmul.cpp \
//     -lHalide14 -o /tmp/halide_matmul && /tmp/halide_matmul M K N
#include "Halide.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace Halide;

int main(int argc, char **argv) {
  int m = argc > 3 ? std::atoi(argv[1]) : 3136;
  int k = argc > 3 ? std::atoi(argv[2]) : 64;
  int n = argc > 3 ? std::atoi(argv[3]) : 256;
  Buffer<float> a(k, m), b(n, k), c(n, m); // Halide: innermost first.
  for (int y = 0; y < m; ++y)
    for (int x = 0; x < k; ++x)
      a(x, y) = float((x * 7 + y * 3) % 13) / 13.0f - 0.5f;
  for (int y = 0; y < k; ++y)
    for (int x = 0; x < n; ++x)
      b(x, y) = float((x * 5 + y * 11) % 17) / 17.0f - 0.5f;

  ImageParam A(Float(32), 2, "A"), B(Float(32), 2, "B");
  Var x("x"), y("y"), xi("xi"), yi("yi");
  RDom r(0, k);
  Func prod("prod"), out("out");
  prod(x, y) = 0.0f;
  prod(x, y) += A(r, y) * B(x, r);
  out(x, y) = prod(x, y);
  const int vec = 16;
  out.tile(x, y, xi, yi, 4 * vec, 6, TailStrategy::GuardWithIf)
      .vectorize(xi, vec)
      .unroll(xi)
      .unroll(yi);
  prod.compute_at(out, x).vectorize(x, vec).unroll(x).unroll(y);
  prod.update().reorder(x, y, r).vectorize(x, vec).unroll(x).unroll(y);
  A.set(a);
  B.set(b);
  Target t = get_host_target().with_feature(Target::NoAsserts);
  out.compile_jit(t);
  out.realize(c); // Warm-up.
  std::vector<double> ms;
  for (int i = 0; i < 50; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    out.realize(c);
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - t0)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  double med = ms[ms.size() / 2];
  double ref = 0;
  for (int i = 0; i < k; ++i)
    ref += a(i, 1) * b(2, i);
  std::printf("halide %dx%dx%d: median %.3f ms, %.1f GFLOP/s (check %g vs %g, "
              "target %s)\n",
              m, k, n, med, 2.0 * m * n * k / (med * 1e6), c(2, 1), ref,
              t.to_string().c_str());
  return 0;
}
