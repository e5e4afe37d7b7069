/* Internal to the spool (spool_*.c): the set of segment files in DIR/spool/, in order,
   and the one place that names, lists, creates, reads and deletes them.

   A segment is named after a number F (20 digits, "%020" PRIu64 ".seg"): no record in it
   has an id below F, and every record in earlier segments has one below F
   (docs/SPOOL.md, "Segments"). The last segment is the active one, where appends go.

   Positions: each segment has a base, its first byte's place in one logical stream that
   runs through all segments in order, so "unacknowledged bytes" is one subtraction.
   Bases live only in memory and are recomputed on open; only the last segment ever
   shrinks (a torn tail, or a failed append rolled back), so they never need to move.

   What this guarantees: a new segment's name is on disk (the directory fsynced) before
   anything is written to it, and a deleted segment's removal is made durable the same
   way; a segment is deleted only when every id it can hold is at or below the floor, so
   a crash between an acknowledgement and a deletion leaves a segment the next open
   deletes again, never a lost record. Files that are not exactly our names are left
   alone. */
#ifndef PARLEY_SPOOL_SEGMENTS_H
#define PARLEY_SPOOL_SEGMENTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "parley.h"
#include "spool_types.h"

typedef struct {
    uint64_t first; /* from the name: no id in it is lower, every id before it is lower */
    uint64_t size;  /* bytes in use; for the active segment, where the next append goes */
    uint64_t base;  /* logical position of its first byte */
} spool_segment_t;

typedef struct {
    char *dir;             /* DIR/spool (owned) */
    int dir_fd;            /* open on dir, for fsync after creating or deleting segments */
    spool_stats_t *stats;  /* borrowed: fsyncs of segment files are counted here */
    spool_segment_t *list; /* oldest first; the last is the active one */
    size_t count, cap;
} spool_segments_t;

/* Opens the directory dir (which must exist) for a set with no segments yet; fsyncs are
   counted in stats->fsyncs. Returns 0, or -1 with a one-line reason in err. Call
   spool_segments_fini in both cases. */
int spool_segments_init (spool_segments_t *self,
                         const char *dir,
                         spool_stats_t *stats,
                         char *err,
                         size_t errlen) PARLEY_MUST_CHECK;
void spool_segments_fini (spool_segments_t *self);

/* Adds the segment files found in the directory, sorted by name (logging and skipping
   anything else). Bases are left to spool_segments_rebase. Returns 0, or -1 with err. */
int spool_segments_load (spool_segments_t *self, char *err, size_t errlen) PARLEY_MUST_CHECK;

/* The path of segment first; caller frees. */
char *spool_segments_path (const spool_segments_t *self, uint64_t first);

/* Appends a segment to the list (its base follows the last one's end). */
void spool_segments_push (spool_segments_t *self, uint64_t first, uint64_t size);

/* Recomputes every base from the sizes (at open, once the tail is recovered). */
void spool_segments_rebase (spool_segments_t *self);

/* The active segment. There is always one once the spool is open. */
spool_segment_t *spool_segments_active (spool_segments_t *self);

/* The logical position just after the last byte of the active segment. */
uint64_t spool_segments_end (const spool_segments_t *self);

/* Index of the segment that holds logical position pos (the last one at or past it). */
size_t spool_segments_find (const spool_segments_t *self, uint64_t pos);

/* Creates segment first, empty, durably (the directory fsynced), and pushes it. Returns
   its file open read-write, or -1 with errno; nothing is left behind on failure. The
   open failure is logged unless quiet (a full disk is retried: say it once). */
int spool_segments_create (spool_segments_t *self, uint64_t first, bool quiet) PARLEY_MUST_CHECK;

/* Deletes, oldest first, the segments before the active one every id of which is at or
   below floor, then fsyncs the directory; sets *removed to how many went (their indexes
   shift down by that much). Returns 0, or -1 if one could not be deleted or the fsync
   failed (logged; the next call tries again). */
int spool_segments_reclaim (spool_segments_t *self,
                            uint64_t floor,
                            size_t *removed) PARLEY_MUST_CHECK;

/* fsyncs the directory (logged on failure). Returns 0 or -1. */
int spool_segments_sync_dir (spool_segments_t *self) PARLEY_MUST_CHECK;

/* fdatasyncs a segment file open at fd, counting it. Returns 0 or -1 (not logged). */
int spool_segments_datasync (spool_segments_t *self, int fd) PARLEY_MUST_CHECK;

/* pread of a segment file that survives a bad sector: on EIO the range is read again
   block by block and what cannot be read comes back as zeros (logged), which no CRC
   accepts, so the damage is set aside like any other instead of failing every read of
   the spool for ever. Returns the bytes read (fewer at end of file), or -1 with errno. */
ssize_t spool_segments_read (int fd, unsigned char *buf, size_t len, uint64_t off);

#endif
