/* Internal to the spool (spool_*.c): copying damaged bytes out of a segment to
   DIR/quarantine/, before the spool covers them with padding and carries on.

   What this guarantees: when spool_quarantine_copy returns 0 the copy is on disk (the
   file fsynced, and its directory too, as far as that can be done), so covering the
   original afterwards never destroys the only copy of events that were accepted but not
   delivered. When it fails, the caller leaves the bytes where they are. A .bad file is
   never read by the spool; an operator may recover lines from it (docs/SPOOL.md). */
#ifndef PARLEY_SPOOL_QUARANTINE_H
#define PARLEY_SPOOL_QUARANTINE_H
#include <stdint.h>

#include "parley.h"

/* The name of the copy of bytes [from, ...) of segment seg_first: dir/<seg_first
   (20 digits)>-<from>.bad. Caller frees. */
char *spool_quarantine_path (const char *dir, uint64_t seg_first, uint64_t from);

/* Copies bytes [from, to) of the segment open at fd (segment seg_first) to
   spool_quarantine_path (dir, seg_first, from), creating dir if needed, and makes the copy
   durable. Returns 0, or -1 with errno (the copy may then be partial: it is only ever a
   copy). */
int spool_quarantine_copy (const char *dir, int fd, uint64_t seg_first, uint64_t from, uint64_t to)
  PARLEY_MUST_CHECK;

#endif
