/*===- threadpool.c - the runtime's thread pool ---------------------------===
 *
 * Workers wait for a new job generation, and the caller for the workers to
 * finish, spinning (for up to about a millisecond) before they block: a
 * network runs one parallel loop per kernel, back to back, so the next job
 * usually arrives within microseconds.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L
#include "threadpool.h"

#include <pthread.h>
#include <stdlib.h>

struct dlc_pool {
  int threads;
  pthread_t *workers;
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  /* The current job, published by bumping `generation`. */
  unsigned generation;
  int pending; /* Workers still running the current job. */
  int stop;
  int64_t n;
  dlc_task_fn fn;
  void *closure;
  /* Per participant: the next iteration of its own part not yet taken. */
  struct cursor {
    int64_t next;
    char pad[64 - sizeof(int64_t)];
  } *cursors;
};

typedef struct {
  dlc_pool_t *pool;
  int index;
} worker_arg_t;

/* A polite busy-wait step. */
static void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ __volatile__("pause");
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* Busy-wait budget before blocking: a network calls one parallel loop per
 * kernel, back to back, and a futex wake-up costs tens of microseconds on a
 * virtual machine, as much as a small kernel. */
enum { SPIN = 200000 };

/* The range is cut into one contiguous part per participant, in order, and
 * participant i starts on part i: every kernel orders its tiles so that the
 * same part covers the same rows (pixels) of its output, so a thread reads
 * in one kernel the rows it wrote in the previous one, from its own core's
 * cache (a first-come-first-served split of the whole range made each core
 * read half of every input from the other's cache, measured slower on 2
 * cores). A participant takes its part in about sixteen chunks (small enough
 * that a thread descheduled by the hypervisor holds up little); when its part
 * is done it takes chunks left in the others' parts, so a thread slowed by
 * other work on its core does not hold the kernel up. Which thread runs an
 * iteration never changes its result. */
static int64_t part_begin(const dlc_pool_t *p, int i) {
  return p->n * i / p->threads;
}

static void run_part(dlc_pool_t *p, int owner, int64_t chunk) {
  int64_t end = part_begin(p, owner + 1);
  for (;;) {
    int64_t begin =
        __atomic_fetch_add(&p->cursors[owner].next, chunk, __ATOMIC_RELAXED);
    if (begin >= end)
      return;
    p->fn(p->closure, begin, begin + chunk < end ? begin + chunk : end);
  }
}

static void run_share(dlc_pool_t *p, int index) {
  int64_t chunk = p->n / (16 * (int64_t)p->threads);
  int i;
  if (chunk < 1)
    chunk = 1;
  for (i = 0; i < p->threads; ++i)
    run_part(p, (index + i) % p->threads, chunk);
}

static void *worker_main(void *arg) {
  worker_arg_t a = *(worker_arg_t *)arg;
  dlc_pool_t *p = a.pool;
  unsigned seen = 0;
  free(arg);
  for (;;) {
    int spin;
    for (spin = 0; spin < SPIN; ++spin) {
      if (__atomic_load_n(&p->generation, __ATOMIC_ACQUIRE) != seen ||
          __atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
        break;
      relax();
    }
    pthread_mutex_lock(&p->lock);
    while (p->generation == seen && !p->stop)
      pthread_cond_wait(&p->wake, &p->lock);
    if (p->stop) {
      pthread_mutex_unlock(&p->lock);
      return NULL;
    }
    seen = p->generation;
    pthread_mutex_unlock(&p->lock);
    run_share(p, a.index);
    if (__atomic_sub_fetch(&p->pending, 1, __ATOMIC_ACQ_REL) == 0) {
      pthread_mutex_lock(&p->lock); /* The caller may be about to block. */
      pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->lock);
    }
  }
}

dlc_pool_t *dlc_pool_create(int threads) {
  dlc_pool_t *p;
  int i;
  if (threads < 2)
    return NULL;
  p = (dlc_pool_t *)calloc(1, sizeof(*p));
  if (!p)
    return NULL;
  p->threads = threads;
  p->workers = (pthread_t *)calloc((size_t)threads, sizeof(pthread_t));
  p->cursors = calloc((size_t)threads, sizeof(*p->cursors));
  if (!p->workers || !p->cursors) {
    free(p->workers);
    free(p->cursors);
    free(p);
    return NULL;
  }
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  pthread_cond_init(&p->done, NULL);
  for (i = 1; i < threads; ++i) {
    worker_arg_t *a = (worker_arg_t *)malloc(sizeof(*a));
    if (a) {
      a->pool = p;
      a->index = i;
    }
    if (!a || pthread_create(&p->workers[i], NULL, worker_main, a) != 0) {
      free(a);
      p->threads = i; /* Workers 1..i-1 exist. */
      dlc_pool_destroy(p);
      return NULL;
    }
  }
  return p;
}

void dlc_pool_destroy(dlc_pool_t *p) {
  int i;
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  for (i = 1; i < p->threads; ++i)
    pthread_join(p->workers[i], NULL);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->wake);
  pthread_cond_destroy(&p->done);
  free(p->workers);
  free(p->cursors);
  free(p);
}

void dlc_pool_parallel_for(void *pool, int64_t n, dlc_task_fn fn,
                           void *closure) {
  dlc_pool_t *p = (dlc_pool_t *)pool;
  int spin;
  if (!p || n < 2) {
    if (n > 0)
      fn(closure, 0, n);
    return;
  }
  pthread_mutex_lock(&p->lock);
  p->n = n;
  {
    int i;
    for (i = 0; i < p->threads; ++i)
      __atomic_store_n(&p->cursors[i].next, part_begin(p, i), __ATOMIC_RELAXED);
  }
  p->fn = fn;
  p->closure = closure;
  __atomic_store_n(&p->pending, p->threads - 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&p->generation, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  run_share(p, 0);
  for (spin = 0; spin < SPIN; ++spin) {
    if (__atomic_load_n(&p->pending, __ATOMIC_ACQUIRE) == 0)
      return;
    relax();
  }
  pthread_mutex_lock(&p->lock);
  while (__atomic_load_n(&p->pending, __ATOMIC_ACQUIRE) > 0)
    pthread_cond_wait(&p->done, &p->lock);
  pthread_mutex_unlock(&p->lock);
}
