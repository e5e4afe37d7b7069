/* Internal to the spool (spool_*.c): which records are acknowledged, and the floor below
   which every one is. In memory only; the floor is saved by spool_ack_file.h.

   Acknowledgements may come in any order and overlap; the ranges above the floor are
   kept sorted and disjoint. The records read but not yet below the floor are remembered
   in a ring (id and end position), in id order: it is what lets the floor move past
   acknowledged records in order, and past the ids of records that no longer exist (set
   aside as damage) once nothing read is left unacknowledged. Its size is bounded by the
   sender's window, not by the backlog.

   What this guarantees: the floor only moves up, never past a record that was read and
   not acknowledged, and never past a record not yet read unless it does not exist, so
   nothing is reclaimed before it has been delivered. */
#ifndef PARLEY_SPOOL_ACKS_H
#define PARLEY_SPOOL_ACKS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t first, last;
} spool_acks_range_t;

typedef struct {
    uint64_t id;
    uint64_t end; /* logical position just after the record */
} spool_acks_flight_t;

typedef struct {
    uint64_t floor;             /* every id ≤ floor is acknowledged (or does not exist) */
    uint64_t floor_pos;         /* logical position just after the floor record */
    spool_acks_range_t *ranges; /* acknowledged ranges above the floor, sorted, disjoint */
    size_t nranges, ranges_cap;
    spool_acks_flight_t *ring; /* records read, above the floor, in id order */
    size_t ring_head, ring_len, ring_cap;
    uint64_t ring_max;    /* highest id ever put in the ring */
    uint64_t read_passed; /* every id ≤ this has been read or does not exist */
    uint64_t passed_pos;  /* logical position the reader has reached at most */
} spool_acks_t;

/* Empty, with the floor at 0. */
void spool_acks_init (spool_acks_t *self);
void spool_acks_fini (spool_acks_t *self);

/* Sets the floor found at open: every id ≤ floor is acknowledged, and the first record
   above it starts at logical position floor_pos; reading starts there too. */
void spool_acks_start (spool_acks_t *self, uint64_t floor, uint64_t floor_pos);

/* Whether id is acknowledged (at or below the floor, or in a range). */
bool spool_acks_contains (const spool_acks_t *self, uint64_t id);

/* Marks first..last acknowledged (the part at or below the floor is dropped; nothing to
   do when no part is above it). Call spool_acks_advance afterwards. */
void spool_acks_add (spool_acks_t *self, uint64_t first, uint64_t last);

/* The reader returned record id (above the floor), which ends at logical position end. */
void spool_acks_read (spool_acks_t *self, uint64_t id, uint64_t end);

/* The reader has read everything appended: every id ≤ last_id not returned does not
   exist. pos is where the reader stands. Returns whether that told anything new. */
bool spool_acks_read_all (spool_acks_t *self, uint64_t last_id, uint64_t pos);

/* Moves the floor over every acknowledged record at the front of the ring, and past ids
   that do not exist once nothing read is left unacknowledged; drops the ranges it now
   covers. Returns whether the floor moved. */
bool spool_acks_advance (spool_acks_t *self);

/* Unacknowledged ids among 1..last_id. */
uint64_t spool_acks_pending (const spool_acks_t *self, uint64_t last_id);

#endif
