/* spool_backlog: the backlog of a spool read from its files alone, read-only, for
   `parley-agent status --spool DIR` (no running agent needed).

   It reads DIR/spool/ack (the saved floor, spool_ack_file.h) and every segment in id order,
   checking each frame as the spool does (spool_frame.h) but changing nothing: no lock is
   taken, no torn tail cut, nothing quarantined. Every record above the floor is pending, as
   it is for an agent that opens the spool (acknowledgements not yet saved in the floor are
   pending too). With an agent running meanwhile the figures are a snapshot: a segment the
   agent deletes while it is read (all its records acknowledged) is skipped, and records
   appended after it was read are not counted. */
#ifndef PARLEY_SPOOL_BACKLOG_H
#define PARLEY_SPOOL_BACKLOG_H
#include <stddef.h>
#include <stdint.h>

#include "parley.h"

typedef struct {
    uint64_t floor;    /* every id <= floor is acknowledged */
    uint64_t events;   /* records above the floor */
    uint64_t bytes;    /* from the first of them to the last frame read (spool_pending_bytes) */
    uint64_t segments; /* segment files read */
    uint64_t damaged_bytes;      /* bytes that are no frame (damage a running agent sets aside) */
    uint64_t oldest_id;          /* 0 when events is 0 */
    char oldest_reported_at[64]; /* the oldest pending event's reported_at ("" if none) */
    char oldest_source[256];     /* where it was read, and its line */
    uint64_t oldest_line;
} spool_backlog_t;

/* Reads the spool under dir (the agent's --spool DIR). Returns 0, or -1 with a one-line
   reason in err (no spool there, a file that cannot be read). */
int spool_backlog_read (const char *dir, spool_backlog_t *status, char *err, size_t errlen)
  PARLEY_MUST_CHECK;

#endif
