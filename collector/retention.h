/* Notes retention: notes can hold personal data, so the collector blanks the notes of
   conversations that took place more than N days ago (--notes-retention-days N), in the
   notes column and in the raw line, through parley.retention_blank_notes()
   (deploy/sql/repeatable/50_retention.sql), keeping every count: no conversation state
   and no aggregate is touched. docs/SECURITY.md ("Personal data") says what is kept and why.

   The work is cut into batches of RETENTION_BATCH events, one short transaction each, so
   that the collector's loop, which runs one batch per turn between its writes
   (retention_step), never holds ingest back for longer than one batch (well under 100 ms).
   A run starts when the collector starts and again every RETENTION_PERIOD_MS after the
   last run ended; it ends when a batch blanks nothing. `parley-collector retention
   --days N` runs the same batches at once, on demand (retention_main). */
#ifndef PARLEY_RETENTION_H
#define PARLEY_RETENTION_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "parley.h"

#define RETENTION_BATCH 250
#define RETENTION_PERIOD_MS (INT64_C (24) * 3600 * 1000)
/* After a failed batch (the database away, say): try again this much later. */
#define RETENTION_RETRY_MS (INT64_C (60) * 1000)

typedef enum {
    RETENTION_IDLE = 0,   /* nothing due now: no statement was run */
    RETENTION_BATCH_DONE, /* one batch blanked, more may be due: call again next turn */
    RETENTION_RUN_DONE,   /* the run ended (the last batch found nothing left) */
    RETENTION_FAILED = -1 /* the batch failed (logged); retried RETENTION_RETRY_MS later */
} retention_status_t;

typedef struct retention retention_t;

/* The schedule for blanking notes older than days (> 0). Caller owns the result. */
retention_t *retention_new (int days);
void retention_destroy (retention_t **self_p);

/* One step of the daily run, for the loop's turn: when a run is due at now_ms (a
   monotonic clock in ms), blanks one batch on conn. Logs one line when a run ends (events
   blanked, batches, the longest batch). */
retention_status_t retention_step (retention_t *self, PGconn *conn, int64_t now_ms);

/* One batch: blanks up to limit events older than days on conn. Returns how many
   (0: none left), or -1 with the reason in err. */
int64_t retention_blank_batch (PGconn *conn, int days, int limit, char *err, size_t errlen)
  PARLEY_MUST_CHECK;

/* `parley-collector retention --days N [--db CONNINFO]`: brings the schema up to date,
   then blanks every due note, batch by batch; prints how many on stdout. Returns the exit
   status (0, 1 on a database failure, 2 on bad usage). */
int retention_main (int argc, char **argv);

#endif
