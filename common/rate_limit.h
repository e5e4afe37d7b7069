/* rate_limit: a token bucket per key (a sending peer), so that one agent cannot take the
   collector's whole capacity and starve the others. Each bucket fills at rate tokens a
   second up to burst; one event costs one token. A batch of n events is let through when
   its peer's bucket holds min(n, burst) tokens, and then costs n (the bucket may go into
   debt), so a batch larger than the burst is never starved and a peer's average rate over
   time is the rate. What is not let through is the caller's to hold back (the collector
   refuses the batch with RATE_LIMIT_REASON: not acknowledged, never dropped; the agent
   resends it after a pause).

   Memory is bounded: when more than RATE_LIMIT_KEYS_MAX keys are known, the buckets that
   are full again (their peers quiet for burst/rate seconds) are forgotten, which changes
   nothing for those peers. */
#ifndef PARLEY_RATE_LIMIT_H
#define PARLEY_RATE_LIMIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parley.h"

/* The ERROR reason of a batch over its peer's limit (docs/PROTOCOL.md, section 8). */
#define RATE_LIMIT_REASON "rate limit exceeded, resend later"
#define RATE_LIMIT_KEYS_MAX 4096

typedef struct rate_limit rate_limit_t;

/* Buckets filling at rate (> 0) tokens a second, holding at most burst (>= 1). Caller
   owns the result. */
rate_limit_t *rate_limit_new (double rate, double burst);
void rate_limit_destroy (rate_limit_t **self_p);

/* Takes n tokens from key's bucket at now_ms (a monotonic clock, in ms) when it holds
   min(n, burst) of them (a new key's bucket is full): returns true. Else takes nothing and
   returns false. */
bool rate_limit_take (rate_limit_t *self, const char *key, size_t n, int64_t now_ms);

/* How many keys have a bucket (for tests and logs). */
size_t rate_limit_size (rate_limit_t *self);

#endif
