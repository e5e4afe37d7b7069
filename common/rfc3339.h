/* RFC 3339 instants and calendar dates, as UTC microseconds and days since 1970-01-01.
   Integer arithmetic on the proleptic Gregorian calendar throughout: no timegm, no TZ, no
   locale, so the agent and the collector read every instant identically.

   Accepted instants: YYYY-MM-DD, 'T' or 't', hh:mm:ss, an optional fraction of one or more
   digits, then 'Z', 'z' or ±hh:mm. Fractions finer than a microsecond are truncated (not
   rounded), so an instant never moves into the next second, minute or day. A leap second
   (ss = 60) is accepted and read as ss = 59 with the same fraction: PostgreSQL has no leap
   seconds either. Hours 00-23, offsets -23:59..+23:59 ("-00:00" means UTC). */
#ifndef PARLEY_RFC3339_H
#define PARLEY_RFC3339_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parley.h"

#define RFC3339_US_PER_SEC INT64_C (1000000)
#define RFC3339_US_PER_DAY INT64_C (86400000000)
/* Text lengths of the formatted forms, without the NUL. */
#define RFC3339_INSTANT_LEN 27 /* 2026-03-01T10:00:00.123456Z */
#define RFC3339_DATE_LEN 10    /* 2026-03-01 */

/* What was wrong with a text; RFC3339_OK is 0. */
typedef enum {
    RFC3339_OK = 0,
    RFC3339_SYNTAX,    /* not the shape above */
    RFC3339_BAD_DATE,  /* the shape, but no such day (2026-02-29, 2026-13-01) */
    RFC3339_BAD_TIME,  /* hour > 23, minute > 59 or second > 60 */
    RFC3339_BAD_OFFSET /* offset hours > 23 or minutes > 59 */
} rfc3339_status_t;

/* Parses an RFC 3339 date-time in text[0..len) into UTC microseconds since 1970. On
   anything but RFC3339_OK, *us is untouched. The date part is text[0..10), the time part
   text[11..19) and the offset the text after the fraction, for messages that name the bad
   part. */
rfc3339_status_t rfc3339_parse_instant (const char *text,
                                        size_t len,
                                        int64_t *us) PARLEY_MUST_CHECK;

/* Parses exactly YYYY-MM-DD into days since 1970-01-01 (negative before). */
rfc3339_status_t rfc3339_parse_date (const char *text, size_t len, int32_t *days) PARLEY_MUST_CHECK;

/* Writes us as "YYYY-MM-DDThh:mm:ss.ffffffZ" (always six fraction digits, UTC) with a NUL.
   Defined for years 0000-9999; other instants are clamped to that range. */
void rfc3339_format_instant (int64_t us, char out[RFC3339_INSTANT_LEN + 1]);

/* Writes days as "YYYY-MM-DD" with a NUL; clamped to years 0000-9999 as above. */
void rfc3339_format_date (int32_t days, char out[RFC3339_DATE_LEN + 1]);

/* The UTC calendar day of an instant (floor division: instants before 1970 work too). */
int32_t rfc3339_day_of (int64_t us);

/* Days since 1970-01-01 of a proleptic Gregorian date (any month/day: no range check). */
int64_t rfc3339_days_from_civil (int64_t year, unsigned month, unsigned day);

/* True when year-month-day is a real calendar date (year 0000-9999). */
bool rfc3339_is_calendar_date (int year, int month, int day);

#endif
