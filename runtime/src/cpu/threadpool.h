/*===- threadpool.h - the runtime's thread pool ---------------------------===
 *
 * A fixed set of worker threads that run one parallel loop at a time for a
 * session: dlc_pool_parallel_for has the dlc_exec_env_t.parallel_for
 * signature, so generated code reaches it through the run entry's env.
 *
 *===----------------------------------------------------------------------===*/
#ifndef DLC_RUNTIME_CPU_THREADPOOL_H
#define DLC_RUNTIME_CPU_THREADPOOL_H

#include "dlc/model_abi.h"

typedef struct dlc_pool dlc_pool_t;

/* A pool of `threads` participants: the caller plus threads - 1 workers.
 * Returns NULL if threads < 2 or on failure. */
dlc_pool_t *dlc_pool_create(int threads);
void dlc_pool_destroy(dlc_pool_t *pool);
/* Runs fn(closure, begin, end) over [0, n) cut into one contiguous part per
 * participant, in order (the caller takes the first); returns when all are
 * done. */
void dlc_pool_parallel_for(void *pool, int64_t n, dlc_task_fn fn,
                           void *closure);

#endif /* DLC_RUNTIME_CPU_THREADPOOL_H */
