/*===- dlc/model_abi.h - the versioned ABI of a compiled model ------------===
 *
 * Every artifact dlc writes describes itself with one constant
 * dlc_model_desc_t, returned by its query symbol (dlc_model_query in shared
 * objects, <name>_query in firmware objects). A loader asks for the version
 * it understands and gets NULL if the artifact does not provide it. The
 * layout is frozen per version: add fields only with a version bump.
 *
 *===----------------------------------------------------------------------===*/
#ifndef DLC_MODEL_ABI_H
#define DLC_MODEL_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLC_MODEL_ABI_VERSION 2u

/* Element types use the ONNX TensorProto codes. */
typedef enum {
  DLC_DTYPE_FLOAT32 = 1,
  DLC_DTYPE_UINT8 = 2,
  DLC_DTYPE_INT8 = 3,
  DLC_DTYPE_INT16 = 5,
  DLC_DTYPE_INT32 = 6,
  DLC_DTYPE_INT64 = 7,
  DLC_DTYPE_BOOL = 9,
  DLC_DTYPE_FLOAT16 = 10,
  DLC_DTYPE_FLOAT64 = 11,
  DLC_DTYPE_BFLOAT16 = 16,
  /* One byte per element, at the boundary as inside: float8/float4 as
   * their bit pattern (low bits), 4- and 2-bit integers as their value
   * (signed ones sign-extended). ONNX files pack the sub-byte types; dlc's
   * tools unpack and pack them. */
  DLC_DTYPE_FLOAT8E4M3FN = 17,
  DLC_DTYPE_FLOAT8E4M3FNUZ = 18,
  DLC_DTYPE_FLOAT8E5M2 = 19,
  DLC_DTYPE_FLOAT8E5M2FNUZ = 20,
  DLC_DTYPE_UINT4 = 21,
  DLC_DTYPE_INT4 = 22,
  DLC_DTYPE_FLOAT4E2M1 = 23,
  DLC_DTYPE_FLOAT8E8M0 = 24,
  DLC_DTYPE_UINT2 = 25,
  DLC_DTYPE_INT2 = 26
} dlc_dtype_t;

typedef struct dlc_tensor_desc {
  const char *name;     /* ONNX value name. */
  int32_t dtype;        /* dlc_dtype_t. */
  int32_t rank;
  const int64_t *shape; /* rank entries; dense row-major layout. */
  uint64_t size_bytes;
} dlc_tensor_desc_t;

/* A parallel loop body: runs iterations [begin, end). */
typedef void (*dlc_task_fn)(void *closure, int64_t begin, int64_t end);

/* What the caller lends a run (ABI v2). Generated kernels split their outer
 * tiles with parallel_for, which must run fn over disjoint ranges covering
 * [0, n) (in any order, on any threads) and return when all have finished.
 * A NULL env, or a NULL parallel_for, runs everything on the calling thread:
 * what a firmware build passes. */
typedef struct dlc_exec_env {
  void (*parallel_for)(void *pool, int64_t n, dlc_task_fn fn, void *closure);
  void *pool; /* First argument of parallel_for. */
  /* Optional profiling hook: called on the run's thread before (end = 0) and
   * after (end = 1) every kernel, with the kernel's index in the
   * descriptor's kernel table. NULL: no calls. */
  void (*kernel_event)(void *profiler, uint32_t kernel, uint32_t end);
  void *profiler;
} dlc_exec_env_t;

/* One kernel of the artifact, in run order (for profiles). */
typedef struct dlc_kernel_desc {
  const char *name;  /* What it computes, e.g. "conv 3x3/1 1x56x56x64 -> 64". */
  uint64_t flops;    /* Arithmetic operations per run (a multiply-add is 2). */
} dlc_kernel_desc_t;

/* Runs the model. inputs[i]/outputs[i] point at dense buffers of
 * inputs[i].size_bytes; workspace points at workspace_size bytes aligned to
 * workspace_align; env may be NULL. Returns 0 on success. Never allocates.
 * Not reentrant on one workspace; distinct workspaces may run concurrently. */
typedef int32_t (*dlc_run_fn)(const dlc_exec_env_t *env,
                              const void *const *inputs, void *const *outputs,
                              void *workspace);

typedef struct dlc_model_desc {
  uint32_t abi_version;
  uint32_t num_inputs;
  uint32_t num_outputs;
  uint32_t reserved;
  const dlc_tensor_desc_t *inputs;
  const dlc_tensor_desc_t *outputs;
  uint64_t workspace_size;
  uint64_t workspace_align;
  dlc_run_fn run;
  const char *name;     /* --name of the compile. */
  const char *producer; /* "dlc <version>". */
  uint32_t num_kernels;
  uint32_t reserved2;
  const dlc_kernel_desc_t *kernels;
} dlc_model_desc_t;

typedef const dlc_model_desc_t *(*dlc_model_query_fn)(uint32_t abi_version);

#define DLC_MODEL_QUERY_SYMBOL "dlc_model_query"

#ifdef __cplusplus
}
#endif

#endif /* DLC_MODEL_ABI_H */
