/*===- dlc-runner.c - run a compiled model on raw tensor files -----------===
 *
 *   dlc-runner [--profile] model.so DIR
 *
 * Reads DIR/input_K.bin (dense bytes, exactly the descriptor's size_bytes),
 * runs the model once through the C runtime and writes DIR/output_K.bin.
 * Prints the model's tensor descriptors on stdout, one per line:
 * "input|output K DTYPE DIMS NAME" with DIMS like 1x3x224x224 ("-" for a
 * scalar) and NAME the rest of the line, so the caller can check inputs and
 * shape the outputs.
 * It is C99 on purpose: dlc-check cross-builds it with the runtime for
 * targets it cannot run natively (armv8 under qemu-aarch64) and does the
 * TensorProto parsing and comparing on the host, so nothing but libc and
 * libdl has to exist for the target.
 * --profile runs the model a second time with the runtime's kernel_event
 * hook and prints each kernel's milliseconds and share, largest first, on
 * stderr: the profile of an armv8 artifact under qemu-aarch64, where
 * dlc-run (C++, the host's runtime) cannot go. The first run is the warm-up
 * (under qemu it includes translating the code).
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include "dlc/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fail(const char *what, const char *detail) {
  fprintf(stderr, "dlc-runner: error: %s%s\n", what, detail ? detail : "");
  return 1;
}

static void *alloc_aligned(size_t size) {
  /* malloc's alignment is enough for every dtype the ABI has. */
  return malloc(size ? size : 1);
}

static int read_exact(const char *path, void *buf, uint64_t size) {
  FILE *f = fopen(path, "rb");
  long got;
  if (!f)
    return fail("cannot open ", path);
  if (size && fread(buf, 1, (size_t)size, f) != size) {
    fclose(f);
    return fail("too few bytes in ", path);
  }
  fseek(f, 0, SEEK_END);
  got = ftell(f);
  fclose(f);
  if ((uint64_t)got != size)
    return fail("wrong size (not the model's input size): ", path);
  return 0;
}

static int write_all(const char *path, const void *buf, uint64_t size) {
  FILE *f = fopen(path, "wb");
  int ok;
  if (!f)
    return fail("cannot create ", path);
  ok = fwrite(buf, 1, (size_t)size, f) == size;
  ok = (fclose(f) == 0) && ok;
  return ok ? 0 : fail("cannot write ", path);
}

/* --profile: milliseconds per kernel over the profiled run. */
typedef struct {
  double *ms, *start;
} profile_t;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void profile_event(void *self, uint32_t kernel, uint32_t end) {
  profile_t *p = (profile_t *)self;
  if (!end)
    p->start[kernel] = now_ms();
  else
    p->ms[kernel] += now_ms() - p->start[kernel];
}

/* Runs once more with the hook and prints the kernels, largest first. */
static int profile_run(dlc_session_t *session, const dlc_model_desc_t *desc,
                       void **inputs, void **outputs) {
  profile_t p;
  double run_ms, sum = 0, flops = 0;
  uint32_t k, n = desc->num_kernels, shown;
  p.ms = (double *)calloc(n + 1, sizeof(double));
  p.start = (double *)calloc(n + 1, sizeof(double));
  if (!p.ms || !p.start)
    return fail("out of memory", NULL);
  dlc_session_set_profiler(session, profile_event, &p);
  run_ms = now_ms();
  if (dlc_session_run(session, (const void *const *)inputs, outputs) !=
      DLC_OK)
    return fail("run failed", NULL);
  run_ms = now_ms() - run_ms;
  dlc_session_set_profiler(session, NULL, NULL);
  for (k = 0; k < n; ++k) {
    sum += p.ms[k];
    flops += (double)desc->kernels[k].flops;
  }
  fprintf(stderr, "profile: %u kernels, %.1f ms in kernels of a %.1f ms run, "
                  "%.3f GFLOP\n",
          n, sum, run_ms, flops / 1e9);
  fprintf(stderr, "%10s %7s %9s  %s\n", "ms", "share", "GFLOP/s", "kernel");
  for (shown = 0; shown < n; ++shown) {
    uint32_t best = 0;
    for (k = 1; k < n; ++k)
      if (p.ms[k] > p.ms[best])
        best = k;
    if (p.ms[best] < 0)
      break;
    fprintf(stderr, "%10.3f %6.1f%% ", p.ms[best],
            sum > 0 ? 100 * p.ms[best] / sum : 0);
    if (desc->kernels[best].flops && p.ms[best] > 0)
      fprintf(stderr, "%9.3f",
              (double)desc->kernels[best].flops / (p.ms[best] * 1e6));
    else
      fprintf(stderr, "%9s", "-");
    fprintf(stderr, "  #%u %s\n", best, desc->kernels[best].name);
    p.ms[best] = -1;
  }
  free(p.ms);
  free(p.start);
  return 0;
}

static void print_desc(const char *kind, uint32_t i,
                       const dlc_tensor_desc_t *t) {
  int32_t d;
  printf("%s %u %d ", kind, i, (int)t->dtype);
  if (t->rank == 0)
    printf("-");
  for (d = 0; d < t->rank; ++d)
    printf(d ? "x%lld" : "%lld", (long long)t->shape[d]);
  printf(" %s\n", t->name ? t->name : "");
}

int main(int argc, char **argv) {
  char error[512] = "", path[4096];
  dlc_model_t *model = NULL;
  dlc_session_t *session = NULL;
  const dlc_model_desc_t *desc;
  void **inputs; /* Passed as const void *const *. */
  void **outputs;
  uint32_t i;
  int rc = 0, profile = argc > 1 && strcmp(argv[1], "--profile") == 0;
  if (argc != 3 + profile) {
    fprintf(stderr, "usage: dlc-runner [--profile] model.so DIR\n");
    return 2;
  }
  argv += profile;
  if (dlc_model_load(argv[1], &model, error, sizeof(error)) != DLC_OK)
    return fail("", error);
  desc = dlc_model_describe(model);
  for (i = 0; i < desc->num_inputs; ++i)
    print_desc("input", i, &desc->inputs[i]);
  for (i = 0; i < desc->num_outputs; ++i)
    print_desc("output", i, &desc->outputs[i]);
  fflush(stdout);
  inputs = (void **)calloc(desc->num_inputs + 1, sizeof(void *));
  outputs = (void **)calloc(desc->num_outputs + 1, sizeof(void *));
  if (!inputs || !outputs)
    return fail("out of memory", NULL);
  for (i = 0; i < desc->num_inputs && rc == 0; ++i) {
    void *buf = alloc_aligned(desc->inputs[i].size_bytes);
    snprintf(path, sizeof(path), "%s/input_%u.bin", argv[2], i);
    if (!buf)
      return fail("out of memory", NULL);
    rc = read_exact(path, buf, desc->inputs[i].size_bytes);
    inputs[i] = buf;
  }
  for (i = 0; i < desc->num_outputs && rc == 0; ++i)
    if (!(outputs[i] = alloc_aligned(desc->outputs[i].size_bytes)))
      return fail("out of memory", NULL);
  if (rc == 0 && dlc_session_create(model, NULL, 0, &session) != DLC_OK)
    rc = fail("cannot create a session", NULL);
  if (rc == 0 && dlc_session_run(session, (const void *const *)inputs,
                                 outputs) != DLC_OK)
    rc = fail("run failed", NULL);
  if (rc == 0 && profile)
    rc = profile_run(session, desc, inputs, outputs);
  for (i = 0; i < desc->num_outputs && rc == 0; ++i) {
    snprintf(path, sizeof(path), "%s/output_%u.bin", argv[2], i);
    rc = write_all(path, outputs[i], desc->outputs[i].size_bytes);
  }
  for (i = 0; i < desc->num_inputs; ++i)
    free(inputs[i]);
  for (i = 0; i < desc->num_outputs; ++i)
    free(outputs[i]);
  free(inputs);
  free(outputs);
  dlc_session_destroy(session);
  dlc_model_unload(model);
  return rc;
}
