#include "rate_limit.h"

#include <czmq.h>
#include <stdlib.h>

#include "mem.h"

typedef struct {
    double tokens; /* may be negative: the debt of a batch larger than the burst */
    int64_t at_ms; /* when tokens was last brought up to date */
} s_bucket_t;

struct rate_limit {
    double rate, burst;
    zhashx_t *buckets; /* key -> s_bucket_t */
};

static void
s_free_bucket (void **item)
{
    free (*item);
    *item = NULL;
}

rate_limit_t *
rate_limit_new (double rate, double burst)
{
    rate_limit_t *self = xcalloc (1, sizeof *self);
    self->rate = rate;
    self->burst = burst < 1 ? 1 : burst;
    self->buckets = zhashx_new ();
    zhashx_set_destructor (self->buckets, s_free_bucket);
    return self;
}

void
rate_limit_destroy (rate_limit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy (&(*self_p)->buckets);
    free (*self_p);
    *self_p = NULL;
}

static void
s_refill (const rate_limit_t *self, s_bucket_t *b, int64_t now_ms)
{
    /* A clock that goes back adds nothing, and the time it went back is not counted
       twice when it comes forward again. */
    if (now_ms <= b->at_ms)
        return;
    b->tokens += self->rate * (double)(now_ms - b->at_ms) / 1000.0;
    if (b->tokens > self->burst)
        b->tokens = self->burst;
    b->at_ms = now_ms;
}

/* Forgets the buckets that are full: a new one would be the same. */
static void
s_prune (rate_limit_t *self, int64_t now_ms)
{
    zlistx_t *keys = zhashx_keys (self->buckets);
    for (const char *k = zlistx_first (keys); k; k = zlistx_next (keys)) {
        s_bucket_t *b = zhashx_lookup (self->buckets, k);
        s_refill (self, b, now_ms);
        if (b->tokens >= self->burst)
            zhashx_delete (self->buckets, k);
    }
    zlistx_destroy (&keys);
}

bool
rate_limit_take (rate_limit_t *self, const char *key, size_t n, int64_t now_ms)
{
    s_bucket_t *b = zhashx_lookup (self->buckets, key);
    if (!b) {
        if (zhashx_size (self->buckets) >= RATE_LIMIT_KEYS_MAX)
            s_prune (self, now_ms);
        b = xcalloc (1, sizeof *b);
        b->tokens = self->burst;
        b->at_ms = now_ms;
        zhashx_insert (self->buckets, key, b);
    }
    s_refill (self, b, now_ms);
    double need = (double)n < self->burst ? (double)n : self->burst;
    if (b->tokens < need)
        return false;
    b->tokens -= (double)n;
    return true;
}

size_t
rate_limit_size (rate_limit_t *self)
{
    return zhashx_size (self->buckets);
}
