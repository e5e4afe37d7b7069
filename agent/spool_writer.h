/* Internal to the spool (spool_*.c): appending records to the active segment, and the
   group-commit policy that decides when they are fsynced.

   An append is one pwrite of header and payload at the end of the active segment. If
   it fails part-way (ENOSPC, EFBIG, EIO), or its fdatasync does under --fsync always,
   the segment is truncated back to where the record began: no id is used, and nothing
   is left for the next append or the next open to trip over. When a record would take
   the active segment past segment_bytes a new segment is started first, and the old one
   is fsynced before it, so a sealed segment is always whole on disk and damage in one
   is never mistaken for a torn write.

   What this guarantees: durable_id only ever names records that an fdatasync has
   covered; the agent saves an input position only up to it (agent/offsets.h), so a crash
   loses nothing whose line will not be read again. */
#ifndef PARLEY_SPOOL_WRITER_H
#define PARLEY_SPOOL_WRITER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parley.h"
#include "spool_types.h"
#include "spool_frame.h"
#include "spool_segments.h"

typedef struct {
    spool_segments_t *segs;      /* borrowed: the last is the active segment */
    spool_stats_t *stats;        /* borrowed: appends are counted here */
    const spool_options_t *opts; /* borrowed */
    int fd;                      /* the active segment, or -1 */
    uint64_t last_id;            /* highest id given out (no record has a higher one) */
    uint64_t durable_id;         /* highest id known to be on disk */
    uint32_t unsynced;           /* records appended since the last fsync */
    int64_t unsynced_since;      /* when the oldest of them was appended (ms, monotonic) */
    bool failing;                /* log a failing append once, not at every retry */
    unsigned char buf[SPOOL_FRAME_HEADER + SPOOL_RECORD_MAX]; /* a record: one pwrite */
} spool_writer_t;

void spool_writer_init (spool_writer_t *self,
                        spool_segments_t *segs,
                        spool_stats_t *stats,
                        const spool_options_t *opts);
/* Closes the active segment without syncing. */
void spool_writer_fini (spool_writer_t *self);

/* Opens the active segment for appending after self->last_id (which recovery sets), and
   fsyncs it and the directory: what a killed agent left in the page cache becomes
   durable before anyone counts on durable_id (= last_id). Returns 0, or -1 with a
   one-line reason in err. */
int spool_writer_open (spool_writer_t *self, char *err, size_t errlen) PARLEY_MUST_CHECK;

/* Appends one record (1 ≤ len ≤ SPOOL_RECORD_MAX) as id last_id + 1 and sets *id.
   Returns 0, or -1 with errno and nothing appended (not logged: see spool_writer_failed). */
int spool_writer_append (spool_writer_t *self, const void *data, size_t len, uint64_t *id)
  PARLEY_MUST_CHECK;

/* Logs a failed append (errno e) once until appends succeed again. */
void spool_writer_failed (spool_writer_t *self, int e);

/* Starts a new segment named after the next id, the old one fsynced first. Returns 0,
   or -1 with errno (logged). */
int spool_writer_roll (spool_writer_t *self) PARLEY_MUST_CHECK;

/* fdatasyncs what was appended, if anything. Returns 0, or -1 (logged). */
int spool_writer_sync (spool_writer_t *self) PARLEY_MUST_CHECK;

/* Milliseconds from now until a sync falls due by the group-commit policy (0 if due now,
   -1 when nothing waits for one). */
int64_t spool_writer_due_in (const spool_writer_t *self, int64_t now);

#endif
