/* Civil time zones from the tz database: turns a local wall-clock time (as a form export
   writes it, "29/03/2026 01:30:00" in Europe/London) into a UTC instant.

   The work is glibc's: it reads the zone's TZif file, including the POSIX TZ rule in its
   footer for instants after the last transition, and localtime_r answers with the offset in
   force. glibc keeps one zone for the whole process (TZ and tzset), so a tzone_t is only a
   checked name: each call below makes its zone the process's zone first, by setting TZ and
   calling tzset, but only when another zone is in force, and restores nothing afterwards.
   Hence:
   - NOT THREAD-SAFE. Call these functions from one thread only, and never while another
     thread reads the environment or converts local time. The agent maps CSV exports on its
     main thread, which is the only caller.
   - The process's TZ is this module's. Nothing else in Parley may rely on it: everything
     else works in UTC explicitly (gmtime_r, timegm, integer arithmetic in rfc3339.c), so log
     timestamps and stored instants stay UTC whatever zone a mapping names.

   Local times a clock change makes ambiguous follow PostgreSQL's rule, so that SQL reading
   the same text with AT TIME ZONE gets the same instant:
   - repeated (clocks go back, 01:00-01:59 happens twice in Europe/London): the offset in
     force just AFTER the change is used (GMT, the second pass);
   - skipped (clocks go forward, 01:00-01:59 never happens): the offset in force just
     BEFORE the change is used (GMT), so 01:30 reads as 01:30Z, which is 02:30 BST.
   In Europe/London both cases therefore read as GMT. */
#ifndef PARLEY_TZONE_H
#define PARLEY_TZONE_H
#include "parley.h"
#include <stddef.h>
#include <stdint.h>

#define TZONE_DIR_DEFAULT "/usr/share/zoneinfo"

typedef struct tzone tzone_t;

/* What a local time was, around the zone's changes of offset. */
typedef enum {
    TZONE_UNIQUE = 0, /* happens exactly once */
    TZONE_REPEATED,   /* happens twice (clocks went back); the later offset was used */
    TZONE_SKIPPED     /* never happens (clocks went forward); the earlier offset was used */
} tzone_kind_t;

/* Checks zone name ("Europe/London") against $TZDIR, or TZONE_DIR_DEFAULT when TZDIR is
   unset: the name must be a zone name (not empty, not absolute, no "..") and its file must
   be TZif version 2 or later without leap seconds (glibc itself would silently read a bad
   name as UTC). Returns NULL with a one-line reason in err otherwise. Does not touch TZ.
   Caller owns the result (tzone_destroy). */
tzone_t *tzone_load (const char *name, char *err, size_t errlen);

/* NULL-safe; sets *self_p to NULL. Leaves TZ as it is. */
void tzone_destroy (tzone_t **self_p);

/* The zone's name as given. */
const char *tzone_name (const tzone_t *self);

/* Offset from UTC in seconds (east positive) in force at the instant utc_s (seconds since
   1970 UTC); 0 for an instant whose year does not fit in struct tm. Makes self the
   process's zone (see above). */
int32_t tzone_offset_at (const tzone_t *self, int64_t utc_s);

/* Converts local wall-clock seconds (the local date and time counted as if it were UTC, e.g.
   rfc3339_days_from_civil (y, m, d) * 86400 + h * 3600 + mi * 60 + s) to UTC seconds in
   *utc_s, and says whether that local time was unique, repeated or skipped (the rule in
   the paragraph above decides which instant a repeated or skipped time becomes). Makes self
   the process's zone (see above). */
tzone_kind_t tzone_local_to_utc (const tzone_t *self, int64_t local_s, int64_t *utc_s);

#endif
