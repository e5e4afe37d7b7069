/* Internal to the spool (spool_*.c): reading records back from the segments, in order,
   with every frame checked, and damage dealt with where it is found.

   A cursor walks one segment at a time through a buffer of SPOOL_CURSOR_BUF bytes (at
   least one whole record, so a record never straddles a refill). At each position it
   accepts only a frame whose magic, length, id order (above the last good id, below the
   next segment's name) and CRC agree (spool_frame.h); padding is skipped. Anything else
   is a stretch of invalid bytes, and the cursor resyncs on the next valid frame:

   - a stretch with no valid frame after it, at the end of the last segment while
     recovering at open, is a write a crash interrupted: it was never durable, and it is
     cut (ftruncate);
   - any other stretch is damage: it is copied to DIR/quarantine/ (spool_quarantine.h)
     and then covered in place by a padding frame, so that neither a later read nor the
     next open finds it again. If the copy cannot be made the bytes stay where they are
     (skipped in memory, found again next time) rather than being lost.

   What this guarantees: no record is returned unless its CRC matches, no record is
   returned twice by one walk, the records between two stretches of damage are all
   returned, and bytes are only ever destroyed (cut) when they were never synced. The
   ids a stretch swallowed are counted in stats->quarantined_records. */
#ifndef PARLEY_SPOOL_CURSOR_H
#define PARLEY_SPOOL_CURSOR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parley.h"
#include "spool_types.h"
#include "spool_segments.h"

#define SPOOL_CURSOR_BUF (128 * 1024)

typedef struct {
    spool_segments_t *segs;     /* borrowed: the segments read (a torn tail cut shrinks one) */
    const char *quarantine_dir; /* borrowed: DIR/quarantine */
    spool_stats_t *stats;       /* borrowed: quarantined and torn bytes are counted here */
    size_t seg;                 /* index in segs->list */
    int fd;                     /* open on segs->list[seg], or -1 */
    uint64_t off;               /* next byte to look at */
    uint64_t prev_id;           /* id of the record before off (segment's first - 1 at its start) */
    unsigned char *buf;         /* SPOOL_CURSOR_BUF bytes of the segment from buf_off */
    uint64_t buf_off;
    size_t buf_len;
} spool_cursor_t;

/* A record the cursor returned; data points into the cursor's buffer, valid until the
   cursor is next used. */
typedef struct {
    uint64_t id;
    uint64_t start; /* offset of its frame in its segment */
    const unsigned char *data;
    size_t len;
} spool_cursor_record_t;

/* A cursor at the start of the first segment (segs may still be empty). */
void spool_cursor_init (spool_cursor_t *self,
                        spool_segments_t *segs,
                        const char *quarantine_dir,
                        spool_stats_t *stats);
/* Closes its file and frees its buffer. */
void spool_cursor_fini (spool_cursor_t *self);

/* Puts the cursor at offset off of segment seg, after id prev_id (or after the segment's
   first - 1, whichever is higher). */
void spool_cursor_set (spool_cursor_t *self, size_t seg, uint64_t off, uint64_t prev_id);

/* Puts the cursor at logical position pos (spool_segments.h), after id prev_id. */
void spool_cursor_seek (spool_cursor_t *self, uint64_t pos, uint64_t prev_id);

/* The cursor's logical position. */
uint64_t spool_cursor_pos (const spool_cursor_t *self);

/* Tells the cursor that the first removed segments were deleted (spool_segments_reclaim):
   a cursor on one of them is put back at the start of what is now the first. */
void spool_cursor_segments_removed (spool_cursor_t *self, size_t removed);

/* The next record in the cursor's segment. Returns 1 (*rec), 0 at the end of the
   segment, -1 on I/O error (logged). tail: this is recovery at open, where an invalid
   stretch at the end of the last segment is a torn write to cut. last_id bounds the ids
   a stretch at the end of the last segment can have swallowed. */
int spool_cursor_next (spool_cursor_t *self,
                       bool tail,
                       uint64_t last_id,
                       spool_cursor_record_t *rec) PARLEY_MUST_CHECK;

/* Scans the last segment whole at open: cuts a torn tail, sets damage aside, and sets
   *max_id to the highest id in it (its first - 1 if none). Returns 0, or -1 on I/O
   error. Uses a cursor of its own. */
int spool_cursor_recover_tail (spool_segments_t *segs,
                               const char *quarantine_dir,
                               spool_stats_t *stats,
                               uint64_t *max_id) PARLEY_MUST_CHECK;

/* Puts the cursor on the first record above floor, walking from the segment that holds
   it (or at the end of the spool if there is none). Returns 0, or -1 on I/O error. */
int spool_cursor_find_above (spool_cursor_t *self,
                             uint64_t floor,
                             uint64_t last_id) PARLEY_MUST_CHECK;

#endif
