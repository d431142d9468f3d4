/*===- qemu_fma.c - what one fp32 multiply-add costs under qemu-aarch64 ---===
 *
 *   aarch64-linux-gnu-gcc -O2 bench/qemu_fma.c -o /tmp/qemu_fma
 *   qemu-aarch64 -L /usr/aarch64-linux-gnu /tmp/qemu_fma
 *
 * Times 12 independent chains of NEON `fmla v.4s` and of scalar `fmadd`.
 * qemu-user emulates Arm floating point in software, lane by lane, so the
 * nanoseconds per lane bound any fp32 model's time under qemu from below
 * (multiply-adds x ns per lane), whatever its schedule: the figure that
 * docs/performance.md compares dlc's armv8 kernels with. A benchmark, never
 * a test.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 199309L
#include <arm_neon.h>
#include <stdio.h>
#include <time.h>

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void) {
  enum { Chains = 12 };
  const long iters = 2000000;
  float32x4_t acc[Chains];
  float32x4_t b = vdupq_n_f32(0.999999f), c = vdupq_n_f32(1e-7f);
  float x[Chains], bs = 0.999999f, cs = 1e-7f, sink = 0;
  double t;
  long i;
  int j;
  for (j = 0; j < Chains; ++j) {
    acc[j] = vdupq_n_f32(1.0f + (float)j);
    x[j] = 1.0f + (float)j;
  }
  t = seconds();
  for (i = 0; i < iters; ++i)
    for (j = 0; j < Chains; ++j)
      acc[j] = vfmaq_f32(acc[j], b, c);
  t = seconds() - t;
  for (j = 0; j < Chains; ++j)
    sink += vgetq_lane_f32(acc[j], 0);
  printf("fmla v.4s: %.2f ns per instruction, %.2f ns per lane\n",
         t / ((double)iters * Chains) * 1e9,
         t / ((double)iters * Chains * 4) * 1e9);
  t = seconds();
  for (i = 0; i < iters; ++i)
    for (j = 0; j < Chains; ++j)
      __asm__("fmadd %s0, %s0, %s1, %s2" : "+w"(x[j]) : "w"(bs), "w"(cs));
  t = seconds() - t;
  for (j = 0; j < Chains; ++j)
    sink += x[j];
  printf("fmadd s:   %.2f ns per instruction (checksum %g)\n",
         t / ((double)iters * Chains) * 1e9, (double)sink);
  return 0;
}
