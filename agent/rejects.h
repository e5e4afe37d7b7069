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

typedef struct rejects rejects_t;

/* Opens (creating) dir/rejected.jsonl for appending. Returns NULL with a one-line reason
   in err when it cannot. */
rejects_t *rejects_open (const char *dir, char *err, size_t errlen);
/* Closes; NULL-safe; sets *self_p to NULL. */
void rejects_close (rejects_t **self_p);

/* Appends one line (a single write, so lines never interleave). input may be NULL when
   the line is not worth showing (too long). Returns 0, or -1 when the write failed: the
   failure is logged with the line itself so the reason is not lost. */
int rejects_write (rejects_t *self,
                   const reject_t *why,
                   const char *source,
                   uint64_t line,
                   const char *input,
                   size_t len) PARLEY_MUST_CHECK;

/* Flushes what was written to disk (fdatasync) if anything was written since the last
   call. Returns 0, or -1 on I/O error (logged). */
int rejects_sync (rejects_t *self) PARLEY_MUST_CHECK;

/* Lines written since open. */
uint64_t rejects_count (rejects_t *self);

#endif
