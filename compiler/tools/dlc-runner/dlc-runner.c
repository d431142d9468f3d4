/*===- dlc-runner.c - run a compiled model on raw tensor files -----------===
 *
 *   dlc-runner model.so DIR
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
 *
 *===----------------------------------------------------------------------===*/
#include "dlc/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  int rc = 0;
  if (argc != 3) {
    fprintf(stderr, "usage: dlc-runner model.so DIR\n");
    return 2;
  }
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
