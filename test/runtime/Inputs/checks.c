/* The runtime's checks of what callers pass: each case prints its name and
 * the status string it got, for FileCheck (test/runtime/checks.test).
 *
 *   checks MODEL.so MISSING TEXT TRUNCATED FOREIGN NOQUERY OLDABI DIR
 *
 * MODEL.so has one float input and one float output and needs a workspace
 * (test/targets/CPU/Inputs/conv.onnxtext). Built
 * with ASan, UBSan and LeakSanitizer with the runtime's sources, so the same
 * run shows the runtime frees everything it allocates. */
#include "dlc/runtime.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void report(const char *what, dlc_status_t s, const char *error) {
  printf("%s: %s%s%s\n", what, dlc_status_string(s), error ? " | " : "",
         error ? error : "");
}

static void load(const char *what, const char *path) {
  dlc_model_t *m = NULL;
  char err[512] = "";
  dlc_status_t s = dlc_model_load(path, &m, err, sizeof(err));
  report(what, s, err);
  dlc_model_unload(m);
}

/* Wraps a copy of the real descriptor with one field broken by `edit`. */
static void wrap(const char *what, const dlc_model_desc_t *good,
                 void (*edit)(dlc_model_desc_t *, dlc_tensor_desc_t *)) {
  dlc_model_desc_t d = *good;
  dlc_tensor_desc_t in = good->inputs[0];
  dlc_model_t *m = NULL;
  d.inputs = &in;
  edit(&d, &in);
  report(what, dlc_model_wrap(&d, &m), NULL);
  dlc_model_unload(m);
}

static void no_run(dlc_model_desc_t *d, dlc_tensor_desc_t *t) {
  (void)t;
  d->run = NULL;
}
static void old_version(dlc_model_desc_t *d, dlc_tensor_desc_t *t) {
  (void)t;
  d->abi_version = 1;
}
static void odd_align(dlc_model_desc_t *d, dlc_tensor_desc_t *t) {
  (void)t;
  d->workspace_align = 48;
}
static void no_inputs(dlc_model_desc_t *d, dlc_tensor_desc_t *t) {
  (void)t;
  d->inputs = NULL;
}
static void size_off(dlc_model_desc_t *d, dlc_tensor_desc_t *t) {
  (void)d;
  t->size_bytes += 4;
}
static void string_type(dlc_model_desc_t *d, dlc_tensor_desc_t *t) {
  (void)d;
  t->dtype = 8;
}
static void no_name(dlc_model_desc_t *d, dlc_tensor_desc_t *t) {
  (void)d;
  t->name = NULL;
}
static void huge_rank(dlc_model_desc_t *d, dlc_tensor_desc_t *t) {
  (void)d;
  t->rank = 1 << 30;
}
static const int64_t kWrapDims[2] = {INT64_C(1) << 62, 16};
static void overflow(dlc_model_desc_t *d, dlc_tensor_desc_t *t) {
  (void)d;
  t->rank = 2;
  t->shape = kWrapDims; /* 2^62 * 16 * 4 bytes wraps to 0. */
  t->size_bytes = 0;
}

int main(int argc, char **argv) {
  dlc_model_t *model = NULL;
  dlc_session_t *session = NULL;
  const dlc_model_desc_t *d;
  char err[512] = "";
  void *ws;
  float *in, *out;
  const void *inputs[1];
  void *outputs[1];
  dlc_status_t s;
  size_t i;
  if (argc != 9) {
    fprintf(stderr, "usage: checks MODEL MISSING TEXT TRUNCATED FOREIGN "
                    "NOQUERY OLDABI DIR\n");
    return 2;
  }
  load("missing file", argv[2]);
  load("not a shared object", argv[3]);
  load("truncated", argv[4]);
  load("foreign", argv[5]);
  load("no query symbol", argv[6]);
  load("abi v1", argv[7]);
  load("directory", argv[8]);
  report("null path", dlc_model_load(NULL, &model, NULL, 0), NULL);

  s = dlc_model_load(argv[1], &model, err, sizeof(err));
  report("model", s, err);
  if (s != DLC_OK)
    return 1;
  d = dlc_model_describe(model);
  report("null descriptor", dlc_model_wrap(NULL, &model), NULL);
  wrap("no run entry", d, no_run);
  wrap("descriptor abi v1", d, old_version);
  wrap("alignment 48", d, odd_align);
  wrap("no input table", d, no_inputs);
  wrap("size_bytes off", d, size_off);
  wrap("string input", d, string_type);
  wrap("unnamed input", d, no_name);
  wrap("rank 2^30", d, huge_rank);
  wrap("element count overflow", d, overflow);

  /* Caller-owned workspaces: misaligned, too small, right. */
  ws = aligned_alloc(64, (size_t)d->workspace_size + 64);
  report("null model", dlc_session_create(NULL, NULL, 0, &session), NULL);
  report("misaligned workspace",
         dlc_session_create(model, (char *)ws + 8, d->workspace_size,
                            &session),
         NULL);
  report("small workspace",
         dlc_session_create(model, ws, d->workspace_size - 1, &session),
         NULL);
  s = dlc_session_create(model, ws, d->workspace_size, &session);
  report("workspace", s, NULL);
  if (s != DLC_OK)
    return 1;

  /* Buffers: a NULL array, a NULL buffer, misaligned input and output. */
  in = (float *)malloc(d->inputs[0].size_bytes + 8);
  out = (float *)malloc(d->outputs[0].size_bytes + 8);
  for (i = 0; i < d->inputs[0].size_bytes / 4; ++i)
    in[i] = (float)i - 2.0f;
  inputs[0] = in;
  outputs[0] = out;
  report("null input array", dlc_session_run(session, NULL, outputs), NULL);
  inputs[0] = NULL;
  report("null input", dlc_session_run(session, inputs, outputs), NULL);
  inputs[0] = (const char *)in + 2;
  report("misaligned input", dlc_session_run(session, inputs, outputs), NULL);
  inputs[0] = in;
  outputs[0] = (char *)out + 1;
  report("misaligned output", dlc_session_run(session, inputs, outputs),
         NULL);
  outputs[0] = out;
  report("run", dlc_session_run(session, inputs, outputs), NULL);
  report("threads", dlc_session_set_num_threads(session, 2), NULL);
  report("threads 0", dlc_session_set_num_threads(session, 0), NULL);
  report("run on 2 threads", dlc_session_run(session, inputs, outputs), NULL);
  dlc_session_destroy(session);
  free(ws);

  /* A runtime-owned workspace, freed with its session. */
  s = dlc_session_create(model, NULL, 0, &session);
  report("owned workspace", s, NULL);
  if (s == DLC_OK)
    report("run owned", dlc_session_run(session, inputs, outputs), NULL);
  dlc_session_destroy(session);
  dlc_model_unload(model);
  free(in);
  free(out);
  return 0;
}
