/* Dates and times as form tools export them, read into UTC.

   Accepted (blanks around the text are the caller's to trim):
   - day first (dmy, the UK default) or month first (mdy), as the mapping says:
     D/M/YYYY or DD/MM/YYYY ('/', '-' or '.' between the parts), optionally followed by a
     space (or ", " or 'T') and H:MM or HH:MM:SS, with an optional fraction (".123") and an
     optional AM/PM; "01/03/2026 10:15:32", "1/3/2026 10:15", "3/1/2026 10:15:32 AM";
   - ISO 8601, whatever the order setting: YYYY-MM-DD, optionally 'T', 't' or a space and
     HH:MM[:SS[.fraction]], optionally followed by Z or an offset (+01:00, +0100, +01):
     "2026-03-01T10:15:32Z", "2026-03-01 10:15".
   Years have four digits (a two-digit year is refused rather than guessed). A time with
   no offset is local time in the mapping's zone (tzone.h says how a clock change is
   read); a date alone is midnight, local time. */
#ifndef PARLEY_CSV_TIME_H
#define PARLEY_CSV_TIME_H
#include "parley.h"
#include "tzone.h"
#include <stdbool.h>
#include <stdint.h>

typedef enum { CSV_TIME_DMY, CSV_TIME_MDY } csv_time_order_t;

typedef struct {
    int year, month, day;
    bool has_time;
    int hour, minute, second;
    int32_t usec;
    bool has_offset;
    int32_t offset_s; /* east of UTC, when has_offset */
} csv_time_t;

/* Parses text as above into *out. Returns 0, or -1 with *problem set to a phrase for a
   message ("is not a date and time such as 01/03/2026 10:15:00 or 2026-03-01T10:15:00",
   "is not a calendar date", "is not a time of day"). */
int csv_time_parse (const char *text, csv_time_order_t order, csv_time_t *out, const char **problem)
  PARLEY_MUST_CHECK;

/* The instant, as UTC microseconds since 1970; a time without offset is read in zone, and
 *kind (may be NULL) says whether that local time was unique, repeated or skipped. */
int64_t csv_time_to_utc_us (const csv_time_t *t, const tzone_t *zone, tzone_kind_t *kind);

/* The calendar day (days since 1970-01-01) the time falls on in zone: the date as written
   when it has no offset, else the local date of the instant. */
int32_t csv_time_local_day (const csv_time_t *t, const tzone_t *zone);

#endif
