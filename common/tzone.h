/* Civil time zones from the tz database: turns a local wall-clock time (as a form export
   writes it, "29/03/2026 01:30:00" in Europe/London) into a UTC instant.

   A zone is read once from its TZif file (RFC 8536, version 2 or later: the 64-bit
   transition table and the POSIX TZ rule in its footer for instants after the last
   transition) and is immutable afterwards, so one tzone_t may be shared by threads
   without a lock. Nothing here touches TZ, tzset or localtime, which are process-wide
   state and not thread-safe.

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

/* Loads zone name ("Europe/London") from $TZDIR, or TZONE_DIR_DEFAULT when TZDIR is unset.
   Returns NULL with a one-line reason in err when the name is not a zone name (empty,
   absolute, with "..") or the file cannot be read or is not TZif version 2 or later.
   Caller owns the result (tzone_destroy). */
tzone_t *tzone_load (const char *name, char *err, size_t errlen);

/* Reads a zone from TZif data in memory, under the given name (for tests and for callers
   that keep their own copy of the database). Same failures as tzone_load. */
tzone_t *tzone_from_tzif (const char *name, const void *data, size_t len, char *err, size_t errlen);

/* A zone given only by a POSIX TZ rule such as "GMT0BST,M3.5.0/1,M10.5.0" (the form a TZif
   footer holds): no history, the rule applies to every year. Returns NULL with a reason in
   err when the rule cannot be read (only the Mm.w.d, Jn and n forms of dates exist). */
tzone_t *tzone_from_posix (const char *rule, char *err, size_t errlen);

/* NULL-safe; sets *self_p to NULL. */
void tzone_destroy (tzone_t **self_p);

/* The zone's name as given. */
const char *tzone_name (const tzone_t *self);

/* Offset from UTC in seconds (east positive) in force at the instant utc_s (seconds since
   1970 UTC). */
int32_t tzone_offset_at (const tzone_t *self, int64_t utc_s);

/* Converts local wall-clock seconds (the local date and time counted as if it were UTC, e.g.
   rfc3339_days_from_civil (y, m, d) * 86400 + h * 3600 + mi * 60 + s) to UTC seconds in
   *utc_s, and says whether that local time was unique, repeated or skipped (the rule in
   the paragraph above decides which instant a repeated or skipped time becomes). */
tzone_kind_t tzone_local_to_utc (const tzone_t *self, int64_t local_s, int64_t *utc_s);

#endif
