#include "rfc3339.h"

#define S_MIN_US (rfc3339_days_from_civil (0, 1, 1) * RFC3339_US_PER_DAY)
#define S_MAX_US (rfc3339_days_from_civil (10000, 1, 1) * RFC3339_US_PER_DAY - 1)

/* Howard Hinnant's days_from_civil / civil_from_days: exact for the whole proleptic
   Gregorian calendar, without tables or loops. */
int64_t
rfc3339_days_from_civil (int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void
s_civil_from_days (int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)((int64_t)yoe + era * 400 + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

bool
rfc3339_is_calendar_date (int year, int month, int day)
{
    static const int days_in[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (year < 0 || year > 9999 || month < 1 || month > 12 || day < 1)
        return false;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int last = days_in[month - 1] + (month == 2 && leap);
    return day <= last;
}

/* Reads n decimal digits at text[*pos]; -1 if any is not a digit. */
static int
s_digits (const char *text, size_t len, size_t *pos, size_t n)
{
    if (len - *pos < n)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[*pos + i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *pos += n;
    return v;
}

static bool
s_expect (const char *text, size_t len, size_t *pos, char a, char b)
{
    if (*pos < len && (text[*pos] == a || text[*pos] == b)) {
        (*pos)++;
        return true;
    }
    return false;
}

/* YYYY-MM-DD at text[*pos]. */
static rfc3339_status_t
s_date (const char *text, size_t len, size_t *pos, int64_t *days)
{
    int y = s_digits (text, len, pos, 4);
    if (y < 0 || !s_expect (text, len, pos, '-', '-'))
        return RFC3339_SYNTAX;
    int m = s_digits (text, len, pos, 2);
    if (m < 0 || !s_expect (text, len, pos, '-', '-'))
        return RFC3339_SYNTAX;
    int d = s_digits (text, len, pos, 2);
    if (d < 0)
        return RFC3339_SYNTAX;
    if (!rfc3339_is_calendar_date (y, m, d))
        return RFC3339_BAD_DATE;
    *days = rfc3339_days_from_civil (y, (unsigned)m, (unsigned)d);
    return RFC3339_OK;
}

/* hh:mm:ss[.fraction] at text[*pos], as microseconds into the day. Syntax is checked
   completely before ranges, so "25:00:00Zjunk" is a syntax error, not a bad time. */
static rfc3339_status_t
s_time (const char *text, size_t len, size_t *pos, int64_t *us, bool *bad_range)
{
    int h = s_digits (text, len, pos, 2);
    if (h < 0 || !s_expect (text, len, pos, ':', ':'))
        return RFC3339_SYNTAX;
    int mi = s_digits (text, len, pos, 2);
    if (mi < 0 || !s_expect (text, len, pos, ':', ':'))
        return RFC3339_SYNTAX;
    int s = s_digits (text, len, pos, 2);
    if (s < 0)
        return RFC3339_SYNTAX;
    int64_t frac = 0;
    if (s_expect (text, len, pos, '.', '.')) {
        size_t start = *pos, scale = 0;
        while (*pos < len && text[*pos] >= '0' && text[*pos] <= '9') {
            if (scale < 6) {
                frac = frac * 10 + (text[*pos] - '0');
                scale++;
            }
            (*pos)++;
        }
        if (*pos == start)
            return RFC3339_SYNTAX;
        for (; scale < 6; scale++)
            frac *= 10;
    }
    *bad_range = h > 23 || mi > 59 || s > 60;
    if (s == 60)
        s = 59;
    *us = ((int64_t)h * 3600 + mi * 60 + s) * RFC3339_US_PER_SEC + frac;
    return RFC3339_OK;
}

/* 'Z', 'z' or ±hh:mm at text[*pos], as seconds east of UTC. */
static rfc3339_status_t
s_offset (const char *text, size_t len, size_t *pos, int64_t *east_s, bool *bad_range)
{
    if (s_expect (text, len, pos, 'Z', 'z')) {
        *east_s = 0;
        *bad_range = false;
        return RFC3339_OK;
    }
    if (*pos >= len || (text[*pos] != '+' && text[*pos] != '-'))
        return RFC3339_SYNTAX;
    int sign = text[(*pos)++] == '-' ? -1 : 1;
    int h = s_digits (text, len, pos, 2);
    if (h < 0 || !s_expect (text, len, pos, ':', ':'))
        return RFC3339_SYNTAX;
    int m = s_digits (text, len, pos, 2);
    if (m < 0)
        return RFC3339_SYNTAX;
    *bad_range = h > 23 || m > 59;
    *east_s = sign * ((int64_t)h * 3600 + m * 60);
    return RFC3339_OK;
}

rfc3339_status_t
rfc3339_parse_instant (const char *text, size_t len, int64_t *us)
{
    size_t pos = 0;
    int64_t days = 0, time_us = 0, east_s = 0;
    bool bad_time = false, bad_offset = false;
    rfc3339_status_t date_rc = s_date (text, len, &pos, &days);
    if (date_rc == RFC3339_SYNTAX || !s_expect (text, len, &pos, 'T', 't') ||
        s_time (text, len, &pos, &time_us, &bad_time) != RFC3339_OK ||
        s_offset (text, len, &pos, &east_s, &bad_offset) != RFC3339_OK || pos != len)
        return RFC3339_SYNTAX;
    if (date_rc != RFC3339_OK)
        return date_rc;
    if (bad_time)
        return RFC3339_BAD_TIME;
    if (bad_offset)
        return RFC3339_BAD_OFFSET;
    *us = days * RFC3339_US_PER_DAY + time_us - east_s * RFC3339_US_PER_SEC;
    return RFC3339_OK;
}

rfc3339_status_t
rfc3339_parse_date (const char *text, size_t len, int32_t *days)
{
    size_t pos = 0;
    int64_t d = 0;
    /* Check the whole shape before the calendar, so "2026-13-01x" is a syntax error. */
    bool shape = len == RFC3339_DATE_LEN;
    for (size_t i = 0; shape && i < len; i++)
        shape = (i == 4 || i == 7) ? text[i] == '-' : (text[i] >= '0' && text[i] <= '9');
    if (!shape)
        return RFC3339_SYNTAX;
    rfc3339_status_t rc = s_date (text, len, &pos, &d);
    if (rc == RFC3339_OK)
        *days = (int32_t)d;
    return rc;
}

int32_t
rfc3339_day_of (int64_t us)
{
    int64_t d = us / RFC3339_US_PER_DAY;
    if (us % RFC3339_US_PER_DAY < 0)
        d--;
    return (int32_t)d;
}

/* Writes v as exactly width decimal digits (v fits: callers clamp the ranges). */
static char *
s_put (char *p, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + width;
}

static char *
s_put_date (char *p, int32_t days)
{
    int y, m, d;
    s_civil_from_days (days, &y, &m, &d);
    p = s_put (p, y, 4);
    *p++ = '-';
    p = s_put (p, m, 2);
    *p++ = '-';
    return s_put (p, d, 2);
}

void
rfc3339_format_instant (int64_t us, char out[RFC3339_INSTANT_LEN + 1])
{
    if (us < S_MIN_US)
        us = S_MIN_US;
    if (us > S_MAX_US)
        us = S_MAX_US;
    int32_t days = rfc3339_day_of (us);
    int64_t in_day = us - (int64_t)days * RFC3339_US_PER_DAY;
    int64_t secs = in_day / RFC3339_US_PER_SEC;
    char *p = s_put_date (out, days);
    *p++ = 'T';
    p = s_put (p, secs / 3600, 2);
    *p++ = ':';
    p = s_put (p, secs / 60 % 60, 2);
    *p++ = ':';
    p = s_put (p, secs % 60, 2);
    *p++ = '.';
    p = s_put (p, in_day % RFC3339_US_PER_SEC, 6);
    *p++ = 'Z';
    *p = '\0';
}

void
rfc3339_format_date (int32_t days, char out[RFC3339_DATE_LEN + 1])
{
    int64_t lo = rfc3339_days_from_civil (0, 1, 1), hi = rfc3339_days_from_civil (9999, 12, 31);
    char *p = s_put_date (out, (int32_t)(days < lo ? lo : days > hi ? hi : days));
    *p = '\0';
}
