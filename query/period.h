/* Time periods for the summarising commands: `--from DATE --to DATE` (inclusive, on the
   day a conversation took place), `--week 2026-W37` (ISO 8601: Monday to Sunday, the week
   that holds the year's first Thursday is W01), `--month 2026-09` and `--quarter 2026Q3`.
   Only these exact spellings are accepted; there is no "this week": a period is always
   named, so the same command line gives the same answer tomorrow.

   Pure text to dates: no SQL here. A resolved period is two ISO dates that the commands
   pass to PostgreSQL as parameters, never as SQL text. */
#ifndef PARLEY_QUERY_PERIOD_H
#define PARLEY_QUERY_PERIOD_H
#include "parley.h"

typedef struct {
    char from[11]; /* YYYY-MM-DD, first day in the period */
    char to[11];   /* YYYY-MM-DD, last day in the period (inclusive) */
} period_t;

/* The texts given (NULL for an option not given). */
typedef struct {
    const char *from, *to, *week, *month, *quarter;
} period_args_t;

typedef enum {
    PERIOD_OK = 0,   /* *out holds the period */
    PERIOD_NONE = 1, /* no period option given: all time */
    PERIOD_BAD = -1  /* *error names the option and what is wrong (caller frees it) */
} period_status_t;

/* Days since 1970-01-01 of a strict YYYY-MM-DD calendar date (years 1..9999), in *days.
   Answers 0, or -1 when the text is not such a date. */
int period_parse_date (const char *text, long *days) PARLEY_MUST_CHECK;
/* The ISO date of a day count, in buf (11 bytes). */
void period_format_date (long days, char buf[11]);

/* Resolves the options to one period. At most one of --week, --month, --quarter, and not
   with --from/--to; --from and --to may each stand alone (open at the other end: 0001-01-01
   or 9999-12-31); --from after --to is an error. */
period_status_t period_resolve (const period_args_t *args,
                                period_t *out,
                                char **error) PARLEY_MUST_CHECK;

#endif
