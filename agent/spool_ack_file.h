/* Internal to the spool (spool_*.c): the saved floor, DIR/spool/ack, one line
   "floor N\n" meaning every id ≤ N is acknowledged (docs/SPOOL.md, "The ack file").

   It is replaced whole (ack.tmp renamed over ack, common/fileio.h). While the spool runs
   it is written lazily, at most once per fsync interval and without fsync: losing a
   floor update to a power cut only means records are sent again (the collector drops
   the duplicates by event_id), and the oldest segment still on disk bounds how far back
   that goes. At close it is written durably (file, then directory fsynced).

   What this guarantees: the floor read back is one that was written, or 0 ("resend from
   the oldest segment", always safe, since a segment is deleted only once all its records
   are acknowledged) when the file is missing, empty, partial or garbage. It never reads
   back a floor higher than one that was saved. */
#ifndef PARLEY_SPOOL_ACK_FILE_H
#define PARLEY_SPOOL_ACK_FILE_H
#include <stdbool.h>
#include <stdint.h>

#include "parley.h"

typedef struct {
    char *path;       /* DIR/spool/ack (owned) */
    uint64_t saved;   /* floor last written (or read at open) */
    int64_t saved_at; /* when (ms, monotonic) */
    bool synced;      /* saved was fsynced (or found on disk at open), not written lazily */
    bool failing;     /* log a failing write once, not at every acknowledgement */
} spool_ack_file_t;

/* For the ack file in spool_dir; nothing is read yet. */
void spool_ack_file_init (spool_ack_file_t *self, const char *spool_dir);
void spool_ack_file_fini (spool_ack_file_t *self);

/* Reads the saved floor; 0 when there is none or it cannot be trusted (logged). Sets
   self->saved to it and self->saved_at to now. */
uint64_t spool_ack_file_load (spool_ack_file_t *self);

/* Writes floor, fsynced (file and directory) when durable. Returns 0, or -1 on I/O
   error (logged once until a write succeeds again; at worst records are resent). */
int spool_ack_file_save (spool_ack_file_t *self, uint64_t floor, bool durable) PARLEY_MUST_CHECK;

/* Whether floor differs from what is saved. */
bool spool_ack_file_is_stale (const spool_ack_file_t *self, uint64_t floor);

/* Whether floor is saved and fsynced: false after a lazy write, so that close makes the
   last floor durable even when a lazy write has already put it in the file. */
bool spool_ack_file_is_durable (const spool_ack_file_t *self, uint64_t floor);

/* Milliseconds from now until a lazy write of floor falls due (0 if it is due now, -1 if
   floor is saved already), at most one write every interval_ms. */
int64_t spool_ack_file_due_in (const spool_ack_file_t *self,
                               uint64_t floor,
                               int64_t now,
                               int interval_ms);

#endif
