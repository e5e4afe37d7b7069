/* Time zones from TZif files (see tzone.h). */
#include "tzone.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "rfc3339.h"

#define TZONE_FILE_MAX (1024 * 1024) /* real TZif files are a few KiB */

/* A date of a POSIX rule: Mm.w.d, Jn (1-365, February 29 never counted) or n (0-365). */
typedef enum { S_RULE_MONTH, S_RULE_JULIAN1, S_RULE_JULIAN0 } s_rule_kind_t;
typedef struct {
    s_rule_kind_t kind;
    int month, week, wday; /* Mm.w.d */
    int day;               /* Jn, n */
    int32_t time;          /* seconds after local midnight, may be negative or > 24 h */
} s_rule_date_t;

/* The POSIX TZ rule that applies after the last transition. */
typedef struct {
    bool present;
    int32_t std_off, dst_off; /* seconds east of UTC */
    bool has_dst;
    s_rule_date_t start, end;
} s_rule_t;

struct tzone {
    char *name;
    size_t count;      /* transitions */
    int64_t *times;    /* UTC seconds, ascending */
    int32_t *offs;     /* offset in force from times[i] on */
    int32_t first_off; /* before the first transition: time type 0 */
    s_rule_t rule;
};

/* --- civil calendar ---------------------------------------------------------------- */

static bool
s_is_leap (int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
s_month_days (int64_t y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && s_is_leap (y) ? 29 : days[m - 1];
}

/* The year of a day count (inverse of rfc3339_days_from_civil, as in H. Hinnant's
   civil_from_days). */
static int64_t
s_year_of (int64_t days)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    return yoe + era * 400 + (m <= 2);
}

static int64_t
s_floor_div (int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Day (since 1970) that a rule date falls on in year y. */
static int64_t
s_rule_day (const s_rule_date_t *d, int64_t y)
{
    int64_t jan1 = rfc3339_days_from_civil (y, 1, 1);
    if (d->kind == S_RULE_JULIAN1)
        return jan1 + d->day - 1 + (s_is_leap (y) && d->day >= 60 ? 1 : 0);
    if (d->kind == S_RULE_JULIAN0)
        return jan1 + d->day;
    int64_t first = rfc3339_days_from_civil (y, (unsigned)d->month, 1);
    int dow1 = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
    int mday = 1 + (d->wday - dow1 + 7) % 7 + (d->week - 1) * 7;
    while (mday > s_month_days (y, d->month))
        mday -= 7; /* week 5 means the last such day */
    return first + mday - 1;
}

/* --- the POSIX rule ------------------------------------------------------------------ */

static const char *
s_parse_name (const char *p)
{
    if (*p == '<') {
        const char *q = strchr (p, '>');
        return q && q > p + 1 ? q + 1 : NULL;
    }
    const char *q = p;
    while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
        q++;
    return q - p >= 3 ? q : NULL;
}

/* [+-]hh[:mm[:ss]], hours up to max_h. */
static const char *
s_parse_hms (const char *p, int max_h, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    int part[3] = { 0, 0, 0 };
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            if (*p != ':')
                break;
            p++;
        }
        if (*p < '0' || *p > '9')
            return NULL;
        int v = 0, digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 3) {
            v = v * 10 + (*p++ - '0');
            digits++;
        }
        part[i] = v;
    }
    if (part[0] > max_h || part[1] > 59 || part[2] > 59)
        return NULL;
    *out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
    return p;
}

static const char *
s_parse_int (const char *p, int min, int max, int *out)
{
    if (*p < '0' || *p > '9')
        return NULL;
    int v = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (*p++ - '0');
        if (v > max)
            return NULL;
    }
    if (v < min)
        return NULL;
    *out = v;
    return p;
}

static const char *
s_parse_date (const char *p, s_rule_date_t *d)
{
    if (*p == 'M') {
        d->kind = S_RULE_MONTH;
        if (!(p = s_parse_int (p + 1, 1, 12, &d->month)) || *p++ != '.' ||
            !(p = s_parse_int (p, 1, 5, &d->week)) || *p++ != '.' ||
            !(p = s_parse_int (p, 0, 6, &d->wday)))
            return NULL;
    } else if (*p == 'J') {
        d->kind = S_RULE_JULIAN1;
        if (!(p = s_parse_int (p + 1, 1, 365, &d->day)))
            return NULL;
    } else {
        d->kind = S_RULE_JULIAN0;
        if (!(p = s_parse_int (p, 0, 365, &d->day)))
            return NULL;
    }
    d->time = 2 * 3600;
    if (*p == '/' && !(p = s_parse_hms (p + 1, 167, &d->time)))
        return NULL;
    return p;
}

static int
s_parse_rule (const char *text, s_rule_t *r)
{
    memset (r, 0, sizeof *r);
    const char *p = s_parse_name (text);
    int32_t west;
    if (!p || !(p = s_parse_hms (p, 24, &west)))
        return -1;
    r->std_off = -west;
    r->present = true;
    if (*p == '\0')
        return 0;
    if (!(p = s_parse_name (p)))
        return -1;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = s_parse_hms (p, 24, &west)))
            return -1;
        r->dst_off = -west;
    }
    if (*p == '\0') {
        /* POSIX leaves the dates to the implementation; glibc uses the US rule. */
        r->start = (s_rule_date_t){ S_RULE_MONTH, 3, 2, 0, 0, 7200 };
        r->end = (s_rule_date_t){ S_RULE_MONTH, 11, 1, 0, 0, 7200 };
        return 0;
    }
    if (*p++ != ',' || !(p = s_parse_date (p, &r->start)) || *p++ != ',' ||
        !(p = s_parse_date (p, &r->end)) || *p != '\0')
        return -1;
    return 0;
}

static int32_t
s_rule_offset (const s_rule_t *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    int64_t year = s_year_of (s_floor_div (t + r->std_off, 86400));
    /* The change to summer time happens at a standard-time wall clock, the change back at
       a summer-time one. */
    int64_t start = s_rule_day (&r->start, year) * 86400 + r->start.time - r->std_off;
    int64_t end = s_rule_day (&r->end, year) * 86400 + r->end.time - r->dst_off;
    bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? r->dst_off : r->std_off;
}

/* --- TZif ---------------------------------------------------------------------------- */

static uint32_t
s_be32 (const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
s_be64 (const unsigned char *p)
{
    return (int64_t)((uint64_t)s_be32 (p) << 32 | s_be32 (p + 4));
}

typedef struct {
    uint32_t isut, isstd, leap, time, type, chars;
} s_counts_t;

static int
s_header (const unsigned char *p, size_t len, s_counts_t *c, char *version)
{
    if (len < 44 || memcmp (p, "TZif", 4) != 0)
        return -1;
    *version = (char)p[4];
    c->isut = s_be32 (p + 20);
    c->isstd = s_be32 (p + 24);
    c->leap = s_be32 (p + 28);
    c->time = s_be32 (p + 32);
    c->type = s_be32 (p + 36);
    c->chars = s_be32 (p + 40);
    if (c->time > 100000 || c->type == 0 || c->type > 256 || c->chars > 100000 ||
        c->leap > 100000 || c->isut > 256 || c->isstd > 256)
        return -1;
    return 0;
}

static size_t
s_block_len (const s_counts_t *c, size_t tsize)
{
    return c->time * tsize + c->time + c->type * 6 + c->chars + c->leap * (tsize + 4) + c->isstd +
           c->isut;
}

tzone_t *
tzone_from_tzif (const char *name, const void *data, size_t len, char *err, size_t errlen)
{
    const unsigned char *p = data;
    s_counts_t c;
    char version;
    if (s_header (p, len, &c, &version) != 0) {
        snprintf (err, errlen, "time zone \"%s\" is not a TZif file", name);
        return NULL;
    }
    if (version < '2') {
        snprintf (err, errlen, "time zone \"%s\" is TZif version 1 (2 or later needed)", name);
        return NULL;
    }
    size_t off = 44 + s_block_len (&c, 4);
    if (off > len || s_header (p + off, len - off, &c, &version) != 0 ||
        off + 44 + s_block_len (&c, 8) > len) {
        snprintf (err, errlen, "time zone \"%s\" has a truncated TZif file", name);
        return NULL;
    }
    if (c.leap > 0) {
        snprintf (err,
                  errlen,
                  "time zone \"%s\" counts leap seconds (use the zone without \"right/\")",
                  name);
        return NULL;
    }
    const unsigned char *times = p + off + 44;
    const unsigned char *idx = times + c.time * 8;
    const unsigned char *types = idx + c.time;
    const unsigned char *footer = p + off + 44 + s_block_len (&c, 8);
    tzone_t *self = xcalloc (1, sizeof *self);
    self->name = xstrdup (name);
    self->count = c.time;
    self->times = xcalloc (c.time ? c.time : 1, sizeof *self->times);
    self->offs = xcalloc (c.time ? c.time : 1, sizeof *self->offs);
    self->first_off = (int32_t)s_be32 (types);
    for (size_t i = 0; i < c.time; i++) {
        self->times[i] = s_be64 (times + 8 * i);
        if (idx[i] >= c.type || (i > 0 && self->times[i] <= self->times[i - 1]))
            goto bad;
        self->offs[i] = (int32_t)s_be32 (types + 6 * idx[i]);
    }
    /* Footer: "\n" TZ-rule "\n"; an empty rule means none. */
    size_t rest = len - (size_t)(footer - p);
    if (rest >= 2 && footer[0] == '\n') {
        const unsigned char *nl = memchr (footer + 1, '\n', rest - 1);
        if (!nl)
            goto bad;
        if (nl > footer + 1) {
            char *rule = xstrndup ((const char *)footer + 1, (size_t)(nl - footer - 1));
            int rc = s_parse_rule (rule, &self->rule);
            free (rule);
            if (rc != 0)
                goto bad;
        }
    }
    return self;
bad:
    snprintf (err, errlen, "time zone \"%s\" has a TZif file that cannot be read", name);
    tzone_destroy (&self);
    return NULL;
}

tzone_t *
tzone_from_posix (const char *rule, char *err, size_t errlen)
{
    tzone_t *self = xcalloc (1, sizeof *self);
    if (s_parse_rule (rule, &self->rule) != 0) {
        snprintf (err, errlen, "\"%s\" is not a POSIX TZ rule", rule);
        free (self);
        return NULL;
    }
    self->name = xstrdup (rule);
    self->times = xcalloc (1, sizeof *self->times);
    self->offs = xcalloc (1, sizeof *self->offs);
    self->first_off = self->rule.std_off;
    return self;
}

static bool
s_is_zone_name (const char *name)
{
    if (!*name || name[0] == '/' || strlen (name) > 255)
        return false;
    for (const char *p = name; *p; p++) {
        bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' || *p == '-' || *p == '+';
        if (!ok)
            return false;
    }
    return true; /* no '.' at all, so no ".." either */
}

tzone_t *
tzone_load (const char *name, char *err, size_t errlen)
{
    if (!s_is_zone_name (name)) {
        snprintf (err, errlen, "\"%s\" is not a time zone name (e.g. Europe/London)", name);
        return NULL;
    }
    const char *dir = getenv ("TZDIR");
    if (!dir || !*dir)
        dir = TZONE_DIR_DEFAULT;
    char *path = xasprintf ("%s/%s", dir, name);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    tzone_t *self = NULL;
    unsigned char *data = NULL;
    struct stat st;
    if (fd < 0 || fstat (fd, &st) != 0) {
        snprintf (err, errlen, "could not open time zone file \"%s\": %s", path, strerror (errno));
        goto out;
    }
    if (!S_ISREG (st.st_mode) || st.st_size > TZONE_FILE_MAX) {
        snprintf (err, errlen, "time zone file \"%s\" is not a TZif file", path);
        goto out;
    }
    size_t len = (size_t)st.st_size, got = 0;
    data = xmalloc (len ? len : 1);
    while (got < len) {
        ssize_t n = read (fd, data + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf (err, errlen, "could not read time zone file \"%s\"", path);
            goto out;
        }
        got += (size_t)n;
    }
    self = tzone_from_tzif (name, data, len, err, errlen);
out:
    if (fd >= 0)
        close (fd);
    free (data);
    free (path);
    return self;
}

void
tzone_destroy (tzone_t **self_p)
{
    if (!*self_p)
        return;
    tzone_t *self = *self_p;
    free (self->name);
    free (self->times);
    free (self->offs);
    free (self);
    *self_p = NULL;
}

const char *
tzone_name (const tzone_t *self)
{
    return self->name;
}

int32_t
tzone_offset_at (const tzone_t *self, int64_t utc_s)
{
    if (self->count == 0)
        return self->rule.present ? s_rule_offset (&self->rule, utc_s) : self->first_off;
    if (utc_s < self->times[0])
        return self->first_off;
    if (utc_s >= self->times[self->count - 1] && self->rule.present)
        return s_rule_offset (&self->rule, utc_s);
    size_t lo = 0, hi = self->count; /* the last transition at or before utc_s */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->times[mid] <= utc_s)
            lo = mid;
        else
            hi = mid;
    }
    return self->offs[lo];
}

tzone_kind_t
tzone_local_to_utc (const tzone_t *self, int64_t local_s, int64_t *utc_s)
{
    /* The offsets a day either side bracket any change near this wall-clock time (no zone
       changes its offset twice within two days). */
    int32_t early = tzone_offset_at (self, local_s - 86400);
    int32_t late = tzone_offset_at (self, local_s + 86400);
    bool early_ok = tzone_offset_at (self, local_s - early) == early;
    bool late_ok = tzone_offset_at (self, local_s - late) == late;
    if (early_ok && late_ok && early != late) {
        *utc_s = local_s - late;
        return TZONE_REPEATED;
    }
    if (late_ok) {
        *utc_s = local_s - late;
        return TZONE_UNIQUE;
    }
    if (early_ok) {
        *utc_s = local_s - early;
        return TZONE_UNIQUE;
    }
    *utc_s = local_s - early;
    return TZONE_SKIPPED;
}
