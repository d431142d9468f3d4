/*===- RuntimeFuzzer.c - libFuzzer target: the runtime's artifact checks ---===
 *
 * The bytes are read two ways. First as an artifact file: the ELF checks
 * dlc_model_load runs before dlopen (dlopen itself is glibc's loader, and a
 * file that passes the checks is native code anyway). Then as a model
 * descriptor: tensor tables, dtypes, ranks, dims, sizes, alignment and
 * counts decoded from the bytes, with every array as long as it claims to
 * be, wrapped with dlc_model_wrap; a descriptor the runtime accepts gets a
 * session and a run (of a stub entry) on buffers of the sizes it states, so
 * that the session and buffer checks run too. Any crash, sanitizer report,
 * leak or hang is a finding.
 *
 *===----------------------------------------------------------------------===*/
#define _GNU_SOURCE /* fmemopen */
#include "dlc/runtime.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* runtime.c, built with DLC_RUNTIME_TESTING. */
const char *dlc_testing_check_elf(FILE *f, uint64_t size);

enum { MAX_TENSORS = 4, MAX_SHAPE = 4100, MAX_BUFFER = 1 << 16 };

typedef struct {
  const uint8_t *p;
  size_t n;
} reader_t;

static uint64_t take(reader_t *r, size_t bytes) {
  uint64_t v = 0;
  size_t i;
  for (i = 0; i < bytes && r->n; ++i, ++r->p, --r->n)
    v |= (uint64_t)*r->p << (8 * i);
  return v;
}

static int32_t stub_run(const dlc_exec_env_t *env, const void *const *inputs,
                        void *const *outputs, void *workspace) {
  (void)env, (void)inputs, (void)outputs, (void)workspace;
  return 0;
}

static void run_descriptor(reader_t *r) {
  dlc_model_desc_t d;
  dlc_tensor_desc_t tensors[2 * MAX_TENSORS];
  int64_t *shapes[2 * MAX_TENSORS] = {0};
  void *buffers[2 * MAX_TENSORS] = {0};
  dlc_kernel_desc_t kernel = {"kernel", 0};
  dlc_model_t *model = NULL;
  dlc_session_t *session = NULL;
  uint32_t i, n;
  int ok = 1;
  memset(&d, 0, sizeof(d));
  d.abi_version = take(r, 1) & 1 ? DLC_MODEL_ABI_VERSION : (uint32_t)take(r, 4);
  d.num_inputs = (uint32_t)take(r, 1) % (MAX_TENSORS + 1);
  d.num_outputs = (uint32_t)take(r, 1) % (MAX_TENSORS + 1);
  d.workspace_size = take(r, 1) & 1 ? take(r, 2) : take(r, 8);
  d.workspace_align = take(r, 1) & 1 ? (uint64_t)1 << (take(r, 1) % 64)
                                     : take(r, 8);
  d.run = take(r, 1) % 8 ? stub_run : NULL;
  d.num_kernels = (uint32_t)take(r, 1) % 3;
  d.kernels = take(r, 1) % 8 ? &kernel : NULL;
  n = d.num_inputs + d.num_outputs;
  for (i = 0; i < n; ++i) {
    dlc_tensor_desc_t *t = &tensors[i];
    int32_t k, len;
    t->name = take(r, 1) % 16 ? "t" : NULL;
    t->dtype = (int32_t)take(r, 1) - 2;
    t->rank = take(r, 1) & 1 ? (int32_t)take(r, 1) % 6 : (int32_t)take(r, 4);
    /* The shape holds as many dims as the rank claims (up to past the
     * runtime's limit): a descriptor cannot lie about its own memory. */
    len = t->rank < 0 ? 0 : t->rank > MAX_SHAPE ? MAX_SHAPE : t->rank;
    shapes[i] = (int64_t *)calloc((size_t)len + 1, sizeof(int64_t));
    for (k = 0; k < len; ++k)
      shapes[i][k] = take(r, 1) & 1 ? (int64_t)(take(r, 1) % 8)
                                    : (int64_t)take(r, 8);
    t->shape = take(r, 1) % 16 ? shapes[i] : NULL;
    t->size_bytes = take(r, 1) & 1 ? take(r, 8) : 0;
    if (t->size_bytes == 0 && t->shape && t->rank >= 0 && t->rank <= 8) {
      /* Often consistent, so that valid descriptors are reached. */
      uint64_t e = 4;
      for (k = 0; k < t->rank; ++k)
        e *= (uint64_t)(t->shape[k] & 7);
      t->size_bytes = e;
    }
  }
  d.inputs = d.num_inputs && take(r, 1) % 16 ? tensors : NULL;
  d.outputs = d.num_outputs && take(r, 1) % 16 ? tensors + d.num_inputs : NULL;
  if (dlc_model_wrap(&d, &model) == DLC_OK &&
      d.workspace_size <= MAX_BUFFER &&
      dlc_session_create(model, NULL, 0, &session) == DLC_OK) {
    for (i = 0; i < n; ++i) {
      ok &= tensors[i].size_bytes <= MAX_BUFFER;
      if (ok)
        buffers[i] = malloc((size_t)tensors[i].size_bytes + 16);
      ok &= buffers[i] != NULL;
      if (ok)
        buffers[i] = (char *)buffers[i] + take(r, 1) % 2; /* misaligned */
    }
    if (ok)
      (void)dlc_session_run(session, (const void *const *)buffers,
                            buffers + d.num_inputs);
    for (i = 0; i < n; ++i)
      if (buffers[i])
        free((char *)buffers[i] - ((uintptr_t)buffers[i] & 1));
  }
  dlc_session_destroy(session);
  dlc_model_unload(model);
  for (i = 0; i < n; ++i)
    free(shapes[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  reader_t r = {data, size};
  FILE *f = size ? fmemopen((void *)data, size, "rb") : NULL;
  if (f) {
    (void)dlc_testing_check_elf(f, size);
    fclose(f);
  }
  run_descriptor(&r);
  return 0;
}
