/* Exponential backoff with full jitter, for resends and reconnects: each failure doubles
   the ceiling (from initial_ms up to max_ms) and the wait is drawn uniformly from
   [ceiling/2, ceiling], so many agents restarted together do not retry in step. */
#ifndef PARLEY_BACKOFF_H
#define PARLEY_BACKOFF_H
#include <stdint.h>

typedef struct {
    int64_t initial_ms;
    int64_t max_ms;
    int64_t ceiling_ms; /* current ceiling; 0 before the first failure */
    uint64_t rng;       /* xorshift state */
} backoff_t;

void backoff_init (backoff_t *self, int64_t initial_ms, int64_t max_ms);
/* After a failure: returns how long to wait (ms) before the next attempt. */
int64_t backoff_next (backoff_t *self);
/* After a success: the next failure starts again from initial_ms. */
void backoff_reset (backoff_t *self);

#endif
