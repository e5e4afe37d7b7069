/* Form-export dates and times (see csv_time.h). */
#include "csv_time.h"

#include <string.h>

#include "rfc3339.h"

static const char s_shape[] =
  "is not a date and time such as 01/03/2026 10:15:00 or 2026-03-01T10:15:00";

/* Reads 1..max digits; returns the number read (0 for none). */
static int
s_digits (const char **p, int min, int max, int *out)
{
    int v = 0, n = 0;
    while (n < max && **p >= '0' && **p <= '9') {
        v = v * 10 + (*(*p)++ - '0');
        n++;
    }
    if (n < min)
        return 0;
    *out = v;
    return n;
}

/* HH:MM[:SS[.fraction]] */
static bool
s_time (const char **p, csv_time_t *t)
{
    if (!s_digits (p, 1, 2, &t->hour) || **p != ':')
        return false;
    (*p)++;
    if (s_digits (p, 2, 2, &t->minute) != 2)
        return false;
    t->second = 0;
    t->usec = 0;
    if (**p == ':') {
        (*p)++;
        if (s_digits (p, 2, 2, &t->second) != 2)
            return false;
        if (**p == '.' || **p == ',') {
            (*p)++;
            if (**p < '0' || **p > '9')
                return false;
            int32_t scale = 100000;
            while (**p >= '0' && **p <= '9') {
                t->usec += (int32_t)(**p - '0') * scale; /* truncated past microseconds */
                scale /= 10;
                (*p)++;
            }
        }
    }
    t->has_time = true;
    return true;
}

static bool
s_offset (const char **p, csv_time_t *t)
{
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        t->has_offset = true;
        t->offset_s = 0;
        return true;
    }
    if (**p != '+' && **p != '-')
        return false;
    int sign = *(*p)++ == '-' ? -1 : 1;
    int h, m = 0;
    if (s_digits (p, 2, 2, &h) != 2)
        return false;
    if (**p == ':')
        (*p)++;
    if (**p >= '0' && **p <= '9' && s_digits (p, 2, 2, &m) != 2)
        return false;
    if (h > 23 || m > 59)
        return false;
    t->has_offset = true;
    t->offset_s = sign * (h * 3600 + m * 60);
    return true;
}

static bool
s_ampm (const char **p, csv_time_t *t)
{
    const char *q = *p;
    if (*q == ' ')
        q++;
    bool pm;
    if (strncmp (q, "AM", 2) == 0 || strncmp (q, "am", 2) == 0)
        pm = false;
    else if (strncmp (q, "PM", 2) == 0 || strncmp (q, "pm", 2) == 0)
        pm = true;
    else
        return true; /* none */
    if (t->hour < 1 || t->hour > 12)
        return false;
    t->hour = t->hour % 12 + (pm ? 12 : 0);
    *p = q + 2;
    return true;
}

int
csv_time_parse (const char *text, csv_time_order_t order, csv_time_t *out, const char **problem)
{
    csv_time_t t;
    memset (&t, 0, sizeof t);
    const char *p = text;
    *problem = s_shape;
    int a, b;
    int na = s_digits (&p, 1, 4, &a);
    if (na == 4 && *p == '-') { /* ISO */
        t.year = a;
        p++;
        if (s_digits (&p, 2, 2, &t.month) != 2 || *p++ != '-' || s_digits (&p, 2, 2, &t.day) != 2)
            return -1;
        if (*p == 'T' || *p == 't' || *p == ' ') {
            p++;
            if (!s_time (&p, &t))
                return -1;
            if (*p == ' ' && (p[1] == 'Z' || p[1] == '+' || p[1] == '-'))
                p++;
            if (*p && !s_offset (&p, &t))
                return -1;
        }
    } else if (na >= 1 && na <= 2 && (*p == '/' || *p == '-' || *p == '.')) {
        char sep = *p++;
        if (!s_digits (&p, 1, 2, &b) || *p++ != sep || s_digits (&p, 4, 4, &t.year) != 4)
            return -1;
        t.day = order == CSV_TIME_DMY ? a : b;
        t.month = order == CSV_TIME_DMY ? b : a;
        if (*p == ',' && p[1] == ' ')
            p++;
        if (*p == ' ' || *p == 'T') {
            p++;
            if (!s_time (&p, &t) || !s_ampm (&p, &t))
                return -1;
        }
    } else
        return -1;
    if (*p != '\0')
        return -1;
    if (!rfc3339_is_calendar_date (t.year, t.month, t.day)) {
        *problem = "is not a calendar date";
        return -1;
    }
    if (t.hour > 23 || t.minute > 59 || t.second > 59) {
        *problem = "is not a time of day";
        return -1;
    }
    *out = t;
    return 0;
}

static int64_t
s_wall_seconds (const csv_time_t *t)
{
    return rfc3339_days_from_civil (t->year, (unsigned)t->month, (unsigned)t->day) * 86400 +
           t->hour * 3600 + t->minute * 60 + t->second;
}

int64_t
csv_time_to_utc_us (const csv_time_t *t, const tzone_t *zone, tzone_kind_t *kind)
{
    int64_t wall = s_wall_seconds (t), utc;
    if (t->has_offset) {
        utc = wall - t->offset_s;
        if (kind)
            *kind = TZONE_UNIQUE;
    } else {
        tzone_kind_t k = tzone_local_to_utc (zone, wall, &utc);
        if (kind)
            *kind = k;
    }
    return utc * RFC3339_US_PER_SEC + t->usec;
}

int32_t
csv_time_local_day (const csv_time_t *t, const tzone_t *zone)
{
    if (!t->has_offset)
        return (int32_t)rfc3339_days_from_civil (t->year, (unsigned)t->month, (unsigned)t->day);
    int64_t utc = s_wall_seconds (t) - t->offset_s;
    int64_t local = utc + tzone_offset_at (zone, utc);
    return rfc3339_day_of (local * RFC3339_US_PER_SEC);
}
