/* Time zones through glibc's tz database reader (see tzone.h). */
#include "tzone.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mem.h"

struct tzone {
    char *name; /* as given: "Europe/London" */
    char *tz;   /* the TZ value naming the checked file: ":/usr/share/zoneinfo/Europe/London" */
};

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

static uint32_t
s_be32 (const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* glibc reads an unknown or broken zone as UTC without a word, so the file is checked here:
   only its 44-byte header (RFC 8536 section 3.1), the rest is glibc's to read. */
static int
s_check_file (const char *path, char *err, size_t errlen)
{
    FILE *f = fopen (path, "rbe");
    if (!f) {
        snprintf (err, errlen, "could not open time zone file \"%s\": %s", path, strerror (errno));
        return -1;
    }
    unsigned char h[44];
    struct stat st;
    bool is_tzif = fstat (fileno (f), &st) == 0 && S_ISREG (st.st_mode) &&
                   fread (h, 1, sizeof h, f) == sizeof h && memcmp (h, "TZif", 4) == 0;
    fclose (f);
    if (!is_tzif)
        snprintf (err, errlen, "time zone file \"%s\" is not a TZif file", path);
    else if (h[4] < '2') /* version 1 has no footer rule: offsets after 2037 would be wrong */
        snprintf (err, errlen, "time zone file \"%s\" is TZif version 1 (2 or later needed)", path);
    else if (s_be32 (h + 28) != 0) /* leapcnt: time_t would count leap seconds, ours do not */
        snprintf (err,
                  errlen,
                  "time zone file \"%s\" counts leap seconds (use the zone without \"right/\")",
                  path);
    else
        return 0;
    return -1;
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
    /* TZ names the file by its path, so glibc reads the file checked here even if TZDIR
       changes later. */
    char *tz = xasprintf (":%s/%s", dir, name);
    if (s_check_file (tz + 1, err, errlen) != 0) {
        free (tz);
        return NULL;
    }
    tzone_t *self = xcalloc (1, sizeof *self);
    self->name = xstrdup (name);
    self->tz = tz;
    return self;
}

void
tzone_destroy (tzone_t **self_p)
{
    if (!*self_p)
        return;
    tzone_t *self = *self_p;
    free (self->name);
    free (self->tz);
    free (self);
    *self_p = NULL;
}

const char *
tzone_name (const tzone_t *self)
{
    return self->name;
}

/* Makes self the process's zone. localtime_r does not look at TZ again once glibc has read
   it, hence tzset after each change; setting TZ only on a change keeps the common case (one
   zone for the whole run) to a getenv and a strcmp. */
static void
s_use (const tzone_t *self)
{
    const char *now = getenv ("TZ");
    if (now && strcmp (now, self->tz) == 0)
        return;
    if (setenv ("TZ", self->tz, 1) != 0)
        abort (); /* only ENOMEM: out of memory aborts, as in mem.c */
    tzset ();
}

int32_t
tzone_offset_at (const tzone_t *self, int64_t utc_s)
{
    s_use (self);
    time_t t = (time_t)utc_s;
    struct tm tm;
    return localtime_r (&t, &tm) ? (int32_t)tm.tm_gmtoff : 0;
}

tzone_kind_t
tzone_local_to_utc (const tzone_t *self, int64_t local_s, int64_t *utc_s)
{
    /* Not mktime: its tm_isdst only tells summer from standard time, so it misses changes of
       the standard offset (Europe/London on 31 October 1971, Europe/Moscow in 2014: it calls
       the repeated hour unique), and where it finds no summer time it guesses one hour.
       Instead the offsets in force a day either side bracket any change near this local
       time (no zone changes offset twice within two days); each offset gives a candidate
       instant, which is real when localtime_r shows that offset at it. */
    int32_t before = tzone_offset_at (self, local_s - 86400);
    int32_t after = tzone_offset_at (self, local_s + 86400);
    if (before == after) { /* no change near: nearly every time */
        *utc_s = local_s - after;
        return TZONE_UNIQUE;
    }
    bool before_real = tzone_offset_at (self, local_s - before) == before;
    bool after_real = tzone_offset_at (self, local_s - after) == after;
    /* Repeated: the offset after the change; skipped: the one before. */
    *utc_s = local_s - (after_real ? after : before);
    if (before_real && after_real)
        return TZONE_REPEATED;
    return before_real || after_real ? TZONE_UNIQUE : TZONE_SKIPPED;
}
