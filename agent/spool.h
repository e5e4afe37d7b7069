/* The agent's durable spool: every accepted input line is appended here before the agent
   moves past it in its input, and removed only once the collector has acknowledged it.

   On disk (DIR/spool/): numbered segment files of records, each record framed with its
   length and a checksum (docs/SPOOL.md). Record ids are consecutive from 1 and keep
   counting across restarts. Recovery on open cuts a torn tail (kill -9, power loss) and
   moves a damaged record elsewhere to DIR/quarantine/, with a log line saying how much was
   set aside: the spool never wedges and never needs deleting by hand. Whole segments
   whose records are all acknowledged are deleted. Memory does not grow with the backlog:
   records are read back from disk as the sender needs them. */
#ifndef PARLEY_SPOOL_H
#define PARLEY_SPOOL_H
#include "parley.h"
#include "spool_types.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct spool spool_t;

void spool_options_defaults (spool_options_t *opts);

/* Opens (creating if needed) the spool under dir, recovering it as above. Returns NULL
   with a one-line reason in err when the directory cannot be used. */
spool_t *spool_open (const char *dir, const spool_options_t *opts, char *err, size_t errlen);
/* Syncs and closes; NULL-safe; sets *self_p to NULL. */
void spool_destroy (spool_t **self_p);

/* Appends one record (1 ≤ len ≤ SPOOL_RECORD_MAX) and sets *id to its id. The record is
   durable after the next sync (spool_sync, or spool_sync_if_due by policy). */
spool_status_t spool_append (spool_t *self, const void *data, size_t len, uint64_t *id)
  PARLEY_MUST_CHECK;
/* fsyncs what was appended. Returns 0, or -1 on I/O error. */
int spool_sync (spool_t *self) PARLEY_MUST_CHECK;
/* Syncs if the group-commit policy says it is time; returns 0, or -1 on I/O error. */
int spool_sync_if_due (spool_t *self) PARLEY_MUST_CHECK;
/* Milliseconds until a sync falls due (-1 when nothing is waiting for one): a poll timeout. */
int spool_sync_due_in_ms (spool_t *self);
/* Highest id known to be on disk (fsynced); 0 when none. */
uint64_t spool_durable_id (spool_t *self);

/* Reads the next record not yet read since open, in id order, into *data (valid until the
   next spool call; do not free). Returns 1 with a record, 0 when every appended record has
   been read, -1 on I/O error. Damaged records are quarantined and skipped, not returned. */
int spool_read_next (spool_t *self, uint64_t *id, const void **data, size_t *len) PARLEY_MUST_CHECK;

/* Marks records first..last acknowledged (any order, any overlap). Segments all of whose
   records are acknowledged are deleted. The acknowledged floor is saved so a restart
   resends nothing below it (at worst it resends a little above: duplicates are absorbed
   downstream by event_id). Returns 0, or -1 on I/O error. */
int spool_ack (spool_t *self, uint64_t first, uint64_t last) PARLEY_MUST_CHECK;

/* Whether an append of len bytes would return SPOOL_FULL now. */
bool spool_is_full (spool_t *self, size_t len);
/* Unacknowledged records and their bytes on disk. */
uint64_t spool_pending_records (spool_t *self);
uint64_t spool_pending_bytes (spool_t *self);

/* Puts the reader back on the oldest unacknowledged record, so that spool_read_next
   returns again every record read but not yet acknowledged (records acknowledged out of
   order are not returned again). For a sender that prefers re-reading to holding sent
   records in memory. */
void spool_rewind (spool_t *self);

void spool_get_stats (spool_t *self, spool_stats_t *stats);

#endif
