#include "backoff.h"

#include <time.h>
#include <unistd.h>

void
backoff_init (backoff_t *self, int64_t initial_ms, int64_t max_ms)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    self->initial_ms = initial_ms > 0 ? initial_ms : 1;
    self->max_ms = max_ms >= self->initial_ms ? max_ms : self->initial_ms;
    self->ceiling_ms = 0;
    self->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)getpid () ^ 0x9e3779b97f4a7c15ull;
}

static uint64_t
s_random (backoff_t *self)
{
    uint64_t x = self->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    self->rng = x;
    return x;
}

int64_t
backoff_next (backoff_t *self)
{
    if (self->ceiling_ms == 0)
        self->ceiling_ms = self->initial_ms;
    else if (self->ceiling_ms < self->max_ms / 2)
        self->ceiling_ms *= 2;
    else
        self->ceiling_ms = self->max_ms;
    int64_t half = self->ceiling_ms / 2;
    return half + (int64_t)(s_random (self) % (uint64_t)(self->ceiling_ms - half + 1));
}

void
backoff_reset (backoff_t *self)
{
    self->ceiling_ms = 0;
}
