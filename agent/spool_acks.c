/* Acknowledged ranges, records in flight, and the floor (spool_acks.h). */
#include "spool_acks.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

void
spool_acks_init (spool_acks_t *self)
{
    memset (self, 0, sizeof *self);
}

void
spool_acks_fini (spool_acks_t *self)
{
    free (self->ranges);
    free (self->ring);
    memset (self, 0, sizeof *self);
}

void
spool_acks_start (spool_acks_t *self, uint64_t floor, uint64_t floor_pos)
{
    self->floor = floor;
    self->floor_pos = floor_pos;
    self->read_passed = floor;
    self->passed_pos = floor_pos;
}

bool
spool_acks_contains (const spool_acks_t *self, uint64_t id)
{
    if (id <= self->floor)
        return true;
    size_t lo = 0, hi = self->nranges;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (self->ranges[mid].last < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->nranges && self->ranges[lo].first <= id;
}

void
spool_acks_add (spool_acks_t *self, uint64_t first, uint64_t last)
{
    if (first <= self->floor)
        first = self->floor + 1;
    if (first > last)
        return;
    /* Find the first range that ends at or after first - 1 (touching ranges merge). */
    size_t i = 0;
    while (i < self->nranges && self->ranges[i].last + 1 < first)
        i++;
    size_t j = i;
    while (j < self->nranges && self->ranges[j].first <= last + 1) {
        if (self->ranges[j].first < first)
            first = self->ranges[j].first;
        if (self->ranges[j].last > last)
            last = self->ranges[j].last;
        j++;
    }
    size_t size = sizeof *self->ranges;
    if (j == i) {
        if (self->nranges == self->ranges_cap) {
            self->ranges_cap = self->ranges_cap ? 2 * self->ranges_cap : 16;
            self->ranges = xrealloc (self->ranges, self->ranges_cap * size);
        }
        memmove (self->ranges + i + 1, self->ranges + i, (self->nranges - i) * size);
        self->nranges++;
    } else if (j > i + 1) {
        memmove (self->ranges + i + 1, self->ranges + j, (self->nranges - j) * size);
        self->nranges -= j - i - 1;
    }
    self->ranges[i] = (spool_acks_range_t){ first, last };
}

static void
s_ring_push (spool_acks_t *self, uint64_t id, uint64_t end)
{
    if (self->ring_len == self->ring_cap) {
        size_t cap = self->ring_cap ? 2 * self->ring_cap : 1024;
        spool_acks_flight_t *ring = xmalloc (cap * sizeof *ring);
        for (size_t i = 0; i < self->ring_len; i++)
            ring[i] = self->ring[(self->ring_head + i) % self->ring_cap];
        free (self->ring);
        self->ring = ring;
        self->ring_cap = cap;
        self->ring_head = 0;
    }
    self->ring[(self->ring_head + self->ring_len) % self->ring_cap] =
      (spool_acks_flight_t){ id, end };
    self->ring_len++;
    self->ring_max = id;
}

void
spool_acks_read (spool_acks_t *self, uint64_t id, uint64_t end)
{
    /* A record read again after a rewind is already in the ring. */
    if (id > self->ring_max)
        s_ring_push (self, id, end);
    if (id > self->read_passed) {
        self->read_passed = id;
        self->passed_pos = end;
    }
}

bool
spool_acks_read_all (spool_acks_t *self, uint64_t last_id, uint64_t pos)
{
    if (last_id <= self->read_passed)
        return false;
    self->read_passed = last_id;
    self->passed_pos = pos;
    return true;
}

/* Drops what the floor now covers. */
static void
s_prune (spool_acks_t *self)
{
    size_t i = 0;
    while (i < self->nranges && self->ranges[i].last <= self->floor)
        i++;
    if (i) {
        memmove (self->ranges, self->ranges + i, (self->nranges - i) * sizeof *self->ranges);
        self->nranges -= i;
    }
    if (self->nranges && self->ranges[0].first <= self->floor)
        self->ranges[0].first = self->floor + 1;
}

bool
spool_acks_advance (spool_acks_t *self)
{
    uint64_t old = self->floor;
    while (self->ring_len) {
        spool_acks_flight_t *f = &self->ring[self->ring_head];
        if (!spool_acks_contains (self, f->id))
            break;
        self->floor = f->id;
        self->floor_pos = f->end;
        self->ring_head = (self->ring_head + 1) % self->ring_cap;
        self->ring_len--;
    }
    if (self->ring_len == 0 && self->read_passed > self->floor) {
        self->floor = self->read_passed;
        self->floor_pos = self->passed_pos;
    }
    if (self->floor == old)
        return false;
    s_prune (self);
    return true;
}

uint64_t
spool_acks_pending (const spool_acks_t *self, uint64_t last_id)
{
    uint64_t acked = 0;
    for (size_t i = 0; i < self->nranges; i++)
        acked += self->ranges[i].last - self->ranges[i].first + 1;
    uint64_t above = last_id > self->floor ? last_id - self->floor : 0;
    return above > acked ? above - acked : 0;
}
