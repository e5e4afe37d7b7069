/* DIR/rejected.jsonl: one JSON object per refused input line, appended, so that a feed's
   owner can see what was wrong and where ({"source","line","field","reason","input"},
   written by reject_to_json). Lines refused by the agent and by the collector both land
   here. */
#ifndef PARLEY_REJECTS_H
#define PARLEY_REJECTS_H
#include "parley.h"
#include "reject.h"
#include <stddef.h>
#include <stdint.h>

#define REJECTS_FILE "rejected.jsonl"
/* Lines that could not be written (a full disk) wait in memory up to this many bytes. */
#define REJECTS_BACKLOG_MAX (4 * 1024 * 1024)

typedef struct rejects rejects_t;

/* Opens (creating) dir/rejected.jsonl for appending. Returns NULL with a one-line reason
   in err when it cannot. */
rejects_t *rejects_open (const char *dir, char *err, size_t errlen);
/* Closes; NULL-safe; sets *self_p to NULL. */
void rejects_destroy (rejects_t **self_p);

/* Appends one line, whole or not at all (a write cut short is taken back). input may be
   NULL when the line is not worth showing (too long). Returns 0, or -1 when it could not
   be written now (a full disk): the failure is logged with the line itself, and the line
   waits in memory (up to REJECTS_BACKLOG_MAX bytes) to be written, in order, before the
   next one or at the next rejects_sync. */
int rejects_write (rejects_t *self,
                   const reject_t *why,
                   const char *source,
                   uint64_t line,
                   const char *input,
                   size_t len) PARLEY_MUST_CHECK;

/* Writes the lines waiting in memory, then flushes what was written to disk (fdatasync)
   if anything was written since the last call. Returns 0, or -1 when lines still wait or
   on I/O error (logged). */
int rejects_sync (rejects_t *self) PARLEY_MUST_CHECK;

/* Lines written since open. */
uint64_t rejects_count (rejects_t *self);

#endif
