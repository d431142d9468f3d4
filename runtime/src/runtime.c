/*===- runtime.c - the dlc C runtime (host build) -------------------------===
 *
 * Model loading through dlopen, sessions with an aligned workspace, and
 * status strings. Generated code needs none of this to run: a firmware build
 * calls <name>_run directly with its own buffers.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L
#include "dlc/runtime.h"
#include "cpu/threadpool.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dlc_model {
  void *handle; /* NULL for wrapped, statically linked models. */
  const dlc_model_desc_t *desc;
};

struct dlc_session {
  const dlc_model_t *model;
  void *workspace;
  int owns_workspace;
  dlc_pool_t *pool; /* NULL: serial. */
  dlc_exec_env_t env;
};

static void set_error(char *error, size_t size, const char *a, const char *b) {
  if (error && size)
    snprintf(error, size, "%s%s", a, b ? b : "");
}

dlc_status_t dlc_model_wrap(const dlc_model_desc_t *desc,
                            dlc_model_t **out_model) {
  dlc_model_t *model;
  if (!desc || !out_model)
    return DLC_ERR_INVALID_ARGUMENT;
  if (desc->abi_version != DLC_MODEL_ABI_VERSION)
    return DLC_ERR_ABI_MISMATCH;
  model = (dlc_model_t *)calloc(1, sizeof(*model));
  if (!model)
    return DLC_ERR_OUT_OF_MEMORY;
  model->desc = desc;
  *out_model = model;
  return DLC_OK;
}

dlc_status_t dlc_model_load(const char *path, dlc_model_t **out_model,
                            char *error, size_t error_size) {
  void *handle;
  dlc_model_query_fn query;
  const dlc_model_desc_t *desc;
  dlc_status_t status;
  if (!path || !out_model)
    return DLC_ERR_INVALID_ARGUMENT;
  *out_model = NULL;
  /* dlopen searches the library path for a bare file name; a model path
   * means a file, so "model.so" is opened as "./model.so". */
  if (!strchr(path, '/')) {
    char local[4096];
    if (strlen(path) + 3 > sizeof(local)) {
      set_error(error, error_size, path, ": path too long");
      return DLC_ERR_INVALID_ARGUMENT;
    }
    snprintf(local, sizeof(local), "./%s", path);
    return dlc_model_load(local, out_model, error, error_size);
  }
  handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    set_error(error, error_size, "", dlerror());
    return DLC_ERR_NOT_FOUND;
  }
  *(void **)(&query) = dlsym(handle, DLC_MODEL_QUERY_SYMBOL);
  if (!query) {
    set_error(error, error_size, path, ": not a dlc model (no "
              DLC_MODEL_QUERY_SYMBOL ")");
    dlclose(handle);
    return DLC_ERR_NOT_FOUND;
  }
  desc = query(DLC_MODEL_ABI_VERSION);
  if (!desc) {
    set_error(error, error_size, path, ": built for another model ABI version");
    dlclose(handle);
    return DLC_ERR_ABI_MISMATCH;
  }
  status = dlc_model_wrap(desc, out_model);
  if (status != DLC_OK) {
    dlclose(handle);
    return status;
  }
  (*out_model)->handle = handle;
  return DLC_OK;
}

void dlc_model_unload(dlc_model_t *model) {
  if (!model)
    return;
  if (model->handle)
    dlclose(model->handle);
  free(model);
}

const dlc_model_desc_t *dlc_model_describe(const dlc_model_t *model) {
  return model ? model->desc : NULL;
}

static int find(const dlc_tensor_desc_t *list, uint32_t n, const char *name) {
  uint32_t i;
  for (i = 0; name && i < n; ++i)
    if (strcmp(list[i].name, name) == 0)
      return (int)i;
  return -1;
}

int dlc_model_find_input(const dlc_model_t *model, const char *name) {
  return model ? find(model->desc->inputs, model->desc->num_inputs, name) : -1;
}

int dlc_model_find_output(const dlc_model_t *model, const char *name) {
  return model ? find(model->desc->outputs, model->desc->num_outputs, name)
               : -1;
}

dlc_status_t dlc_session_create(const dlc_model_t *model, void *workspace,
                                dlc_session_t **out_session) {
  dlc_session_t *s;
  if (!model || !out_session)
    return DLC_ERR_INVALID_ARGUMENT;
  s = (dlc_session_t *)calloc(1, sizeof(*s));
  if (!s)
    return DLC_ERR_OUT_OF_MEMORY;
  s->model = model;
  s->workspace = workspace;
  if (!workspace && model->desc->workspace_size) {
    size_t align = model->desc->workspace_align ? model->desc->workspace_align
                                                : 64;
    size_t size = (model->desc->workspace_size + align - 1) / align * align;
    if (posix_memalign(&s->workspace, align, size) != 0) {
      free(s);
      return DLC_ERR_OUT_OF_MEMORY;
    }
    s->owns_workspace = 1;
  }
  *out_session = s;
  return DLC_OK;
}

dlc_status_t dlc_session_run(dlc_session_t *session,
                             const void *const *inputs, void *const *outputs) {
  if (!session || (session->model->desc->num_inputs && !inputs) ||
      (session->model->desc->num_outputs && !outputs))
    return DLC_ERR_INVALID_ARGUMENT;
  return session->model->desc->run(session->pool || session->env.kernel_event
                                       ? &session->env
                                       : NULL,
                                   inputs, outputs, session->workspace) == 0
             ? DLC_OK
             : DLC_ERR_EXECUTION;
}

dlc_status_t dlc_session_set_num_threads(dlc_session_t *session, int threads) {
  if (!session || threads < 1)
    return DLC_ERR_INVALID_ARGUMENT;
  dlc_pool_destroy(session->pool);
  session->pool = NULL;
  session->env.parallel_for = NULL;
  session->env.pool = NULL;
  if (threads > 1) {
    session->pool = dlc_pool_create(threads);
    if (!session->pool)
      return DLC_ERR_OUT_OF_MEMORY;
    session->env.parallel_for = dlc_pool_parallel_for;
    session->env.pool = session->pool;
  }
  return DLC_OK;
}

dlc_status_t dlc_session_set_profiler(dlc_session_t *session,
                                      void (*event)(void *, uint32_t,
                                                    uint32_t),
                                      void *profiler) {
  if (!session)
    return DLC_ERR_INVALID_ARGUMENT;
  session->env.kernel_event = event;
  session->env.profiler = profiler;
  return DLC_OK;
}

void dlc_session_destroy(dlc_session_t *session) {
  if (!session)
    return;
  dlc_pool_destroy(session->pool);
  if (session->owns_workspace)
    free(session->workspace);
  free(session);
}

const char *dlc_status_string(dlc_status_t status) {
  switch (status) {
  case DLC_OK: return "ok";
  case DLC_ERR_INVALID_ARGUMENT: return "invalid argument";
  case DLC_ERR_NOT_FOUND: return "not found";
  case DLC_ERR_ABI_MISMATCH: return "model ABI version mismatch";
  case DLC_ERR_OUT_OF_MEMORY: return "out of memory";
  case DLC_ERR_EXECUTION: return "model execution failed";
  }
  return "unknown status";
}
