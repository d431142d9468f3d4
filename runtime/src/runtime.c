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
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Bytes per element of an ONNX data type at the model boundary (the small
 * float and integer types take one byte each), or 0 for one a compiled model
 * cannot have (strings, unknown codes). */
static uint64_t dtype_size(int32_t dtype) {
  switch (dtype) {
  case 2: case 3: case 9: /* uint8, int8, bool */
    return 1;
  case 4: case 5: case 10: case 16: /* uint16, int16, float16, bfloat16 */
    return 2;
  case 1: case 6: case 12: /* float, int32, uint32 */
    return 4;
  case 7: case 11: case 13: case 14: /* int64, double, uint64, complex64 */
    return 8;
  case 15: /* complex128 */
    return 16;
  default:
    return dtype >= 17 && dtype <= 26 ? 1 : 0;
  }
}

/* Limits no artifact dlc writes comes near; a descriptor beyond them is
 * corrupt, and bounding them bounds the checks below. */
enum { MAX_TENSORS = 1 << 20, MAX_RANK = 4096, MAX_ALIGN = 1 << 16 };

/* Whether a tensor description agrees with itself: a known type, a name,
 * non-negative dims whose element count times the element size is exactly
 * size_bytes (no overflow). */
static int valid_tensor(const dlc_tensor_desc_t *t) {
  uint64_t bytes = dtype_size(t->dtype);
  int32_t i;
  if (!t->name || !bytes || t->rank < 0 || t->rank > MAX_RANK ||
      (t->rank && !t->shape))
    return 0;
  for (i = 0; i < t->rank; ++i) {
    uint64_t d = (uint64_t)t->shape[i];
    if (t->shape[i] < 0 || (d && bytes > UINT64_MAX / d))
      return 0;
    bytes *= d;
  }
  return bytes == t->size_bytes;
}

/* Checks a descriptor before anything trusts it; on failure writes which
 * part is wrong into why. */
static dlc_status_t validate(const dlc_model_desc_t *desc, char *why,
                             size_t why_size) {
  const char *bad = NULL;
  uint32_t i;
  if (desc->abi_version != DLC_MODEL_ABI_VERSION) {
    set_error(why, why_size, "built for another model ABI version", NULL);
    return DLC_ERR_ABI_MISMATCH;
  }
  if (!desc->run)
    bad = "no run entry";
  else if (desc->num_inputs > MAX_TENSORS || desc->num_outputs > MAX_TENSORS ||
           (desc->num_inputs && !desc->inputs) ||
           (desc->num_outputs && !desc->outputs))
    bad = "bad input or output table";
  else if ((desc->workspace_align & (desc->workspace_align - 1)) ||
           desc->workspace_align > MAX_ALIGN)
    bad = "workspace alignment is not a power of two up to 64 KB";
  else if (desc->num_kernels && !desc->kernels)
    bad = "no kernel table";
  for (i = 0; !bad && i < desc->num_inputs; ++i)
    if (!valid_tensor(&desc->inputs[i]))
      bad = "an input's type, shape and size disagree";
  for (i = 0; !bad && i < desc->num_outputs; ++i)
    if (!valid_tensor(&desc->outputs[i]))
      bad = "an output's type, shape and size disagree";
  if (!bad)
    return DLC_OK;
  set_error(why, why_size, "invalid model descriptor: ", bad);
  return DLC_ERR_INVALID_ARTIFACT;
}

#if defined(__x86_64__)
#define DLC_ELF_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define DLC_ELF_MACHINE EM_AARCH64
#endif

/* Checks that `f` (of `size` bytes) is a shared object for this machine whose
 * headers and loadable segments lie inside the file: dlopen maps a truncated
 * object's segments past the end of the file and dies of SIGBUS, so a short
 * file must be refused before it gets there. Returns NULL or the reason. */
static const char *check_elf(FILE *f, uint64_t size) {
  ElfW(Ehdr) eh;
  ElfW(Phdr) ph;
  uint64_t end;
  unsigned i;
  if (fread(&eh, sizeof(eh), 1, f) != 1 || memcmp(eh.e_ident, ELFMAG, SELFMAG))
    return "not an ELF file";
  if (eh.e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
      eh.e_type != ET_DYN)
    return "not a shared object for this machine";
#ifdef DLC_ELF_MACHINE
  if (eh.e_machine != DLC_ELF_MACHINE)
    return "built for another architecture";
#endif
  if (eh.e_phentsize != sizeof(ph) ||
      (uint64_t)eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(ph) > size ||
      (uint64_t)eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize > size)
    return "truncated (headers past the end of the file)";
  for (i = 0; i < eh.e_phnum; ++i) {
    if (fseek(f, (long)(eh.e_phoff + (uint64_t)i * sizeof(ph)), SEEK_SET) ||
        fread(&ph, sizeof(ph), 1, f) != 1)
      return "truncated";
    end = (uint64_t)ph.p_offset + ph.p_filesz;
    if (ph.p_type == PT_LOAD && (end < ph.p_offset || end > size))
      return "truncated (a segment past the end of the file)";
  }
  return NULL;
}

#ifdef DLC_RUNTIME_TESTING
/* For the runtime's fuzz target (compiler/tools/dlc-fuzz/RuntimeFuzzer.c). */
const char *dlc_testing_check_elf(FILE *f, uint64_t size);
const char *dlc_testing_check_elf(FILE *f, uint64_t size) {
  return check_elf(f, size);
}
#endif

static dlc_status_t wrap(const dlc_model_desc_t *desc,
                         dlc_model_t **out_model, char *why,
                         size_t why_size) {
  dlc_model_t *model;
  dlc_status_t status;
  if (!desc || !out_model)
    return DLC_ERR_INVALID_ARGUMENT;
  status = validate(desc, why, why_size);
  if (status != DLC_OK)
    return status;
  model = (dlc_model_t *)calloc(1, sizeof(*model));
  if (!model)
    return DLC_ERR_OUT_OF_MEMORY;
  model->desc = desc;
  *out_model = model;
  return DLC_OK;
}

dlc_status_t dlc_model_wrap(const dlc_model_desc_t *desc,
                            dlc_model_t **out_model) {
  return wrap(desc, out_model, NULL, 0);
}

dlc_status_t dlc_model_load(const char *path, dlc_model_t **out_model,
                            char *error, size_t error_size) {
  void *handle;
  dlc_model_query_fn query;
  const dlc_model_desc_t *desc;
  dlc_status_t status;
  struct stat st;
  char why[128];
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
  /* Missing files are told apart from files dlopen cannot load (another
   * architecture, truncated, not a shared object), and only regular files
   * are opened (a FIFO would block). */
  if (stat(path, &st) != 0) {
    set_error(error, error_size, path, errno == ENOENT ? ": no such file"
                                                       : ": cannot stat");
    return errno == ENOENT ? DLC_ERR_NOT_FOUND : DLC_ERR_INVALID_ARGUMENT;
  }
  if (!S_ISREG(st.st_mode)) {
    set_error(error, error_size, path, ": not a regular file");
    return DLC_ERR_INVALID_ARTIFACT;
  }
  {
    FILE *f = fopen(path, "rb");
    const char *bad = f ? check_elf(f, (uint64_t)st.st_size) : "cannot open";
    if (f)
      fclose(f);
    if (bad) {
      set_error(error, error_size, path, ": ");
      if (error && error_size > strlen(error))
        strncat(error, bad, error_size - strlen(error) - 1);
      return DLC_ERR_INVALID_ARTIFACT;
    }
  }
  handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    set_error(error, error_size, "", dlerror());
    return DLC_ERR_INVALID_ARTIFACT;
  }
  *(void **)(&query) = dlsym(handle, DLC_MODEL_QUERY_SYMBOL);
  if (!query) {
    set_error(error, error_size, path, ": not a dlc model (no "
              DLC_MODEL_QUERY_SYMBOL ")");
    dlclose(handle);
    return DLC_ERR_INVALID_ARTIFACT;
  }
  desc = query(DLC_MODEL_ABI_VERSION);
  if (!desc) {
    set_error(error, error_size, path, ": built for another model ABI version");
    dlclose(handle);
    return DLC_ERR_ABI_MISMATCH;
  }
  status = wrap(desc, out_model, why, sizeof(why));
  if (status != DLC_OK) {
    set_error(error, error_size, path, ": ");
    if (error && error_size > strlen(error))
      strncat(error, why, error_size - strlen(error) - 1);
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
                                size_t workspace_size,
                                dlc_session_t **out_session) {
  dlc_session_t *s;
  if (!model || !out_session)
    return DLC_ERR_INVALID_ARGUMENT;
  *out_session = NULL;
  if (workspace && model->desc->workspace_align &&
      (uintptr_t)workspace % model->desc->workspace_align)
    return DLC_ERR_MISALIGNED;
  if (workspace && workspace_size < model->desc->workspace_size)
    return DLC_ERR_WORKSPACE_TOO_SMALL;
  s = (dlc_session_t *)calloc(1, sizeof(*s));
  if (!s)
    return DLC_ERR_OUT_OF_MEMORY;
  s->model = model;
  s->workspace = workspace;
  if (!workspace && model->desc->workspace_size) {
    size_t align = model->desc->workspace_align ? model->desc->workspace_align
                                                : 64;
    size_t size;
    if (align < sizeof(void *))
      align = sizeof(void *); /* posix_memalign's minimum */
    /* Rounded up to the alignment, refused when that would wrap. */
    if (model->desc->workspace_size > SIZE_MAX - align) {
      free(s);
      return DLC_ERR_OUT_OF_MEMORY;
    }
    size = (model->desc->workspace_size + align - 1) / align * align;
    if (posix_memalign(&s->workspace, align, size) != 0) {
      free(s);
      return DLC_ERR_OUT_OF_MEMORY;
    }
    s->owns_workspace = 1;
  }
  *out_session = s;
  return DLC_OK;
}

/* Every buffer non-NULL and aligned to its element size (the generated
 * code's loads and stores assume natural alignment). */
static dlc_status_t check_buffers(const dlc_tensor_desc_t *t, uint32_t n,
                                  const void *const *buffers) {
  uint32_t i;
  for (i = 0; i < n; ++i) {
    uint64_t align = dtype_size(t[i].dtype);
    if (!buffers[i])
      return DLC_ERR_INVALID_ARGUMENT;
    if (align > 8)
      align = 8;
    if ((uintptr_t)buffers[i] % align)
      return DLC_ERR_MISALIGNED;
  }
  return DLC_OK;
}

dlc_status_t dlc_session_run(dlc_session_t *session,
                             const void *const *inputs, void *const *outputs) {
  const dlc_model_desc_t *d;
  dlc_status_t status;
  if (!session || (session->model->desc->num_inputs && !inputs) ||
      (session->model->desc->num_outputs && !outputs))
    return DLC_ERR_INVALID_ARGUMENT;
  d = session->model->desc;
  status = check_buffers(d->inputs, d->num_inputs, inputs);
  if (status == DLC_OK)
    status = check_buffers(d->outputs, d->num_outputs,
                           (const void *const *)outputs);
  if (status != DLC_OK)
    return status;
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
  case DLC_ERR_MISALIGNED:
    return "buffer not aligned as the model requires";
  case DLC_ERR_WORKSPACE_TOO_SMALL:
    return "workspace smaller than the model's workspace_size";
  case DLC_ERR_INVALID_ARTIFACT:
    return "not a valid dlc artifact (foreign, truncated or corrupt)";
  }
  return "unknown status";
}
