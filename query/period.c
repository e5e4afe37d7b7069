/* Time periods (see period.h). */
#include "period.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
   days_from_civil). */
static long
s_days_from_civil (long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
s_civil_from_days (long z, long *y, long *m, long *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int
s_leap (long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static long
s_month_days (long y, long m)
{
    static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && s_leap (y) ? 29 : n[m - 1];
}

/* n decimal digits at text, into *value; 0 or -1. */
static int
s_digits (const char *text, int n, long *value)
{
    long v = 0;
    for (int i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        v = v * 10 + (text[i] - '0');
    }
    *value = v;
    return 0;
}

int
period_parse_date (const char *text, long *days)
{
    long y, m, d;
    if (strlen (text) != 10 || text[4] != '-' || text[7] != '-' || s_digits (text, 4, &y) ||
        s_digits (text + 5, 2, &m) || s_digits (text + 8, 2, &d))
        return -1;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > s_month_days (y, m))
        return -1;
    *days = s_days_from_civil (y, m, d);
    return 0;
}

void
period_format_date (long days, char buf[11])
{
    long y, m, d;
    s_civil_from_days (days, &y, &m, &d);
    /* 1 <= m <= 12 and 1 <= d <= 31 always; the casts tell the compiler so. */
    snprintf (buf,
              11,
              "%04u-%02u-%02u",
              (unsigned)(y % 10000) % 10000u,
              (unsigned)m % 100u,
              (unsigned)d % 100u);
}

/* YYYY-MM */
static int
s_month (const char *text, long *first, long *last)
{
    long y, m;
    if (strlen (text) != 7 || text[4] != '-' || s_digits (text, 4, &y) ||
        s_digits (text + 5, 2, &m) || y < 1 || m < 1 || m > 12)
        return -1;
    *first = s_days_from_civil (y, m, 1);
    *last = s_days_from_civil (y, m, s_month_days (y, m));
    return 0;
}

/* YYYYQn */
static int
s_quarter (const char *text, long *first, long *last)
{
    long y, q;
    if (strlen (text) != 6 || (text[4] != 'Q' && text[4] != 'q') || s_digits (text, 4, &y) ||
        s_digits (text + 5, 1, &q) || y < 1 || q < 1 || q > 4)
        return -1;
    long m = 3 * (q - 1) + 1;
    *first = s_days_from_civil (y, m, 1);
    *last = s_days_from_civil (y, m + 2, s_month_days (y, m + 2));
    return 0;
}

/* Monday = 0 */
static long
s_weekday (long days)
{
    long w = (days + 3) % 7; /* 1970-01-01 was a Thursday */
    return w < 0 ? w + 7 : w;
}

/* YYYY-Www: ISO 8601 weeks; W53 only in years that have one. */
static int
s_week (const char *text, long *first, long *last)
{
    long y, w;
    if (strlen (text) != 8 || text[4] != '-' || (text[5] != 'W' && text[5] != 'w') ||
        s_digits (text, 4, &y) || s_digits (text + 6, 2, &w) || y < 1 || w < 1 || w > 53)
        return -1;
    long jan4 = s_days_from_civil (y, 1, 4);
    long monday1 = jan4 - s_weekday (jan4);
    long next_jan4 = s_days_from_civil (y + 1, 1, 4);
    long weeks = (next_jan4 - s_weekday (next_jan4) - monday1) / 7;
    if (w > weeks)
        return -1;
    *first = monday1 + 7 * (w - 1);
    *last = *first + 6;
    return 0;
}

static period_status_t
s_bad (char **error, const char *option, const char *text, const char *want)
{
    *error = xasprintf ("--%s \"%s\" is not %s", option, text, want);
    return PERIOD_BAD;
}

period_status_t
period_resolve (const period_args_t *args, period_t *out, char **error)
{
    *error = NULL;
    int named = !!args->week + !!args->month + !!args->quarter;
    if (named > 1 || (named && (args->from || args->to))) {
        *error = xstrdup ("give one period: --from/--to, --week, --month or --quarter");
        return PERIOD_BAD;
    }
    long first = 0, last = 0;
    if (args->week) {
        if (s_week (args->week, &first, &last))
            return s_bad (error, "week", args->week, "an ISO week such as 2026-W37");
    } else if (args->month) {
        if (s_month (args->month, &first, &last))
            return s_bad (error, "month", args->month, "a month such as 2026-09");
    } else if (args->quarter) {
        if (s_quarter (args->quarter, &first, &last))
            return s_bad (error, "quarter", args->quarter, "a quarter such as 2026Q3");
    } else if (args->from || args->to) {
        first = s_days_from_civil (1, 1, 1);
        last = s_days_from_civil (9999, 12, 31);
        if (args->from && period_parse_date (args->from, &first))
            return s_bad (error, "from", args->from, "a date YYYY-MM-DD");
        if (args->to && period_parse_date (args->to, &last))
            return s_bad (error, "to", args->to, "a date YYYY-MM-DD");
        if (first > last) {
            *error = xasprintf ("--from %s is after --to %s", args->from, args->to);
            return PERIOD_BAD;
        }
    } else {
        return PERIOD_NONE;
    }
    period_format_date (first, out->from);
    period_format_date (last, out->to);
    return PERIOD_OK;
}
