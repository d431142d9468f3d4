/*===- dlc/runtime.h - the dlc C runtime ----------------------------------===
 *
 * Load a compiled model (a shared object, or a statically linked descriptor),
 * query its inputs and outputs, create a session with a caller-owned or
 * runtime-owned workspace, and run it. Every call returns a dlc_status_t.
 *
 *===----------------------------------------------------------------------===*/
#ifndef DLC_RUNTIME_H
#define DLC_RUNTIME_H

#include "dlc/model_abi.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  DLC_OK = 0,
  DLC_ERR_INVALID_ARGUMENT = 1, /* a NULL pointer or a bad value */
  DLC_ERR_NOT_FOUND = 2,        /* no such file */
  DLC_ERR_ABI_MISMATCH = 3,     /* artifact does not speak this ABI version */
  DLC_ERR_OUT_OF_MEMORY = 4,
  DLC_ERR_EXECUTION = 5,        /* the model's run entry reported failure */
  DLC_ERR_MISALIGNED = 6,       /* a buffer not aligned as the model needs */
  DLC_ERR_WORKSPACE_TOO_SMALL = 7,
  DLC_ERR_INVALID_ARTIFACT = 8  /* foreign, truncated or not a dlc model, or
                                   a descriptor that contradicts itself */
} dlc_status_t;

typedef struct dlc_model dlc_model_t;
typedef struct dlc_session dlc_session_t;

/* Opens a shared object written by dlc and validates its descriptor. On
 * failure, if `error` is not NULL, writes a NUL-terminated reason (e.g. the
 * dlopen message) into it. */
dlc_status_t dlc_model_load(const char *path, dlc_model_t **out_model,
                            char *error, size_t error_size);
/* Wraps a statically linked model's descriptor (from <name>_query), after
 * the same validation. */
dlc_status_t dlc_model_wrap(const dlc_model_desc_t *desc,
                            dlc_model_t **out_model);
void dlc_model_unload(dlc_model_t *model);
const dlc_model_desc_t *dlc_model_describe(const dlc_model_t *model);
/* Index of the input/output named `name`, or -1. */
int dlc_model_find_input(const dlc_model_t *model, const char *name);
int dlc_model_find_output(const dlc_model_t *model, const char *name);

/* workspace == NULL: the runtime allocates it (aligned) and frees it with the
 * session (workspace_size is ignored). Otherwise it must be aligned to the
 * descriptor's workspace_align (else DLC_ERR_MISALIGNED), hold
 * workspace_size >= the descriptor's workspace_size bytes (else
 * DLC_ERR_WORKSPACE_TOO_SMALL) and outlive the session. */
dlc_status_t dlc_session_create(const dlc_model_t *model, void *workspace,
                                size_t workspace_size,
                                dlc_session_t **out_session);
/* Runs the session's kernels on `threads` threads (the caller and
 * threads - 1 workers the session owns); 1, the default, runs serially. */
dlc_status_t dlc_session_set_num_threads(dlc_session_t *session, int threads);
/* Calls event(profiler, kernel, end) around every kernel of the following
 * runs (dlc_exec_env_t.kernel_event); NULL turns it off. */
dlc_status_t dlc_session_set_profiler(dlc_session_t *session,
                                      void (*event)(void *, uint32_t,
                                                    uint32_t),
                                      void *profiler);
/* inputs[i] and outputs[i] must be non-NULL (DLC_ERR_INVALID_ARGUMENT) and
 * aligned to their element size (DLC_ERR_MISALIGNED); nothing runs then. */
dlc_status_t dlc_session_run(dlc_session_t *session,
                             const void *const *inputs, void *const *outputs);
void dlc_session_destroy(dlc_session_t *session);

/* A static description of `status`. */
const char *dlc_status_string(dlc_status_t status);

#ifdef __cplusplus
}
#endif

#endif /* DLC_RUNTIME_H */
