/* tzone: local wall-clock times around clock changes, checked against hand-verified UTC
   instants (Europe/London 2025-2027 and after the file's last transition, half-hour and
   30-minute-DST zones, a zone without DST, changes of standard offset), plus offsets, a
   round trip over every hour of a decade, switching between zones, and refused names and
   files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rfc3339.h"
#include "tzone.h"

static int64_t
s_civil (int y, int mo, int d, int h, int mi, int s)
{
    return rfc3339_days_from_civil (y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
}

static tzone_t *
s_zone (const char *name)
{
    char err[256];
    tzone_t *z = tzone_load (name, err, sizeof err);
    if (!z)
        fail_msg ("%s", err);
    return z;
}

typedef struct {
    const char *zone;
    int local[6];
    int utc[6];
    tzone_kind_t kind;
} s_case_t;

#define L "Europe/London"
/* Worked out by hand from the tz rules and checked against Python's zoneinfo, which reads
   the same files with its own code (fold=1 for a repeated time, fold=0 for a skipped one). */
static const s_case_t s_cases[] = {
    /* 2026: clocks go forward at 01:00 GMT on 29 March and back at 01:00 GMT (02:00 BST) on
       25 October. */
    { L, { 2026, 3, 29, 0, 59, 59 }, { 2026, 3, 29, 0, 59, 59 }, TZONE_UNIQUE }, /* last GMT s */
    { L, { 2026, 3, 29, 1, 0, 0 }, { 2026, 3, 29, 1, 0, 0 }, TZONE_SKIPPED },    /* read as GMT */
    { L, { 2026, 3, 29, 1, 30, 0 }, { 2026, 3, 29, 1, 30, 0 }, TZONE_SKIPPED },
    { L, { 2026, 3, 29, 1, 59, 59 }, { 2026, 3, 29, 1, 59, 59 }, TZONE_SKIPPED },
    { L, { 2026, 3, 29, 2, 0, 0 }, { 2026, 3, 29, 1, 0, 0 }, TZONE_UNIQUE }, /* first BST s */
    { L, { 2026, 3, 28, 23, 30, 0 }, { 2026, 3, 28, 23, 30, 0 }, TZONE_UNIQUE },
    { L, { 2026, 7, 1, 12, 0, 0 }, { 2026, 7, 1, 11, 0, 0 }, TZONE_UNIQUE },        /* summer */
    { L, { 2026, 10, 25, 0, 59, 59 }, { 2026, 10, 24, 23, 59, 59 }, TZONE_UNIQUE }, /* BST */
    { L, { 2026, 10, 25, 1, 0, 0 }, { 2026, 10, 25, 1, 0, 0 }, TZONE_REPEATED },    /* 2nd pass */
    { L, { 2026, 10, 25, 1, 30, 0 }, { 2026, 10, 25, 1, 30, 0 }, TZONE_REPEATED },
    { L, { 2026, 10, 25, 1, 59, 59 }, { 2026, 10, 25, 1, 59, 59 }, TZONE_REPEATED },
    { L, { 2026, 10, 25, 2, 0, 0 }, { 2026, 10, 25, 2, 0, 0 }, TZONE_UNIQUE },
    { L, { 2026, 1, 15, 12, 0, 0 }, { 2026, 1, 15, 12, 0, 0 }, TZONE_UNIQUE }, /* winter */
    /* 2025: 30 March and 26 October. */
    { L, { 2025, 3, 30, 0, 59, 59 }, { 2025, 3, 30, 0, 59, 59 }, TZONE_UNIQUE },
    { L, { 2025, 3, 30, 1, 15, 0 }, { 2025, 3, 30, 1, 15, 0 }, TZONE_SKIPPED },
    { L, { 2025, 3, 30, 2, 15, 0 }, { 2025, 3, 30, 1, 15, 0 }, TZONE_UNIQUE },
    { L, { 2025, 10, 26, 0, 15, 0 }, { 2025, 10, 25, 23, 15, 0 }, TZONE_UNIQUE },
    { L, { 2025, 10, 26, 1, 15, 0 }, { 2025, 10, 26, 1, 15, 0 }, TZONE_REPEATED },
    { L, { 2025, 10, 26, 2, 15, 0 }, { 2025, 10, 26, 2, 15, 0 }, TZONE_UNIQUE },
    /* 2027: 28 March and 31 October. */
    { L, { 2027, 3, 28, 0, 30, 0 }, { 2027, 3, 28, 0, 30, 0 }, TZONE_UNIQUE },
    { L, { 2027, 3, 28, 1, 45, 0 }, { 2027, 3, 28, 1, 45, 0 }, TZONE_SKIPPED },
    { L, { 2027, 3, 28, 2, 45, 0 }, { 2027, 3, 28, 1, 45, 0 }, TZONE_UNIQUE },
    { L, { 2027, 10, 31, 0, 30, 0 }, { 2027, 10, 30, 23, 30, 0 }, TZONE_UNIQUE },
    { L, { 2027, 10, 31, 1, 45, 0 }, { 2027, 10, 31, 1, 45, 0 }, TZONE_REPEATED },
    { L, { 2027, 10, 31, 2, 45, 0 }, { 2027, 10, 31, 2, 45, 0 }, TZONE_UNIQUE },
    /* After 2037 a file may list no more transitions and its footer rule takes over. */
    { L, { 2040, 3, 25, 1, 30, 0 }, { 2040, 3, 25, 1, 30, 0 }, TZONE_SKIPPED },
    { L, { 2040, 3, 25, 2, 30, 0 }, { 2040, 3, 25, 1, 30, 0 }, TZONE_UNIQUE },
    { L, { 2040, 8, 1, 9, 0, 0 }, { 2040, 8, 1, 8, 0, 0 }, TZONE_UNIQUE },
    { L, { 2040, 10, 28, 1, 30, 0 }, { 2040, 10, 28, 1, 30, 0 }, TZONE_REPEATED },
    /* British Standard Time (UTC+1 all year, not summer time) ended at 03:00 on 31 October
       1971: a change of standard offset, which mktime's tm_isdst cannot see. */
    { L, { 1971, 10, 31, 1, 30, 0 }, { 1971, 10, 31, 0, 30, 0 }, TZONE_UNIQUE },
    { L, { 1971, 10, 31, 2, 30, 0 }, { 1971, 10, 31, 2, 30, 0 }, TZONE_REPEATED },
    { L, { 1971, 10, 31, 3, 30, 0 }, { 1971, 10, 31, 3, 30, 0 }, TZONE_UNIQUE },
    /* Newfoundland, UTC-3:30 and -2:30: forward at 02:00 on 8 March 2026, back at 02:00 NDT
       on 1 November 2026. */
    { "America/St_Johns", { 2026, 3, 8, 1, 59, 0 }, { 2026, 3, 8, 5, 29, 0 }, TZONE_UNIQUE },
    { "America/St_Johns", { 2026, 3, 8, 2, 30, 0 }, { 2026, 3, 8, 6, 0, 0 }, TZONE_SKIPPED },
    { "America/St_Johns", { 2026, 3, 8, 3, 0, 0 }, { 2026, 3, 8, 5, 30, 0 }, TZONE_UNIQUE },
    { "America/St_Johns", { 2026, 7, 1, 12, 0, 0 }, { 2026, 7, 1, 14, 30, 0 }, TZONE_UNIQUE },
    { "America/St_Johns", { 2026, 11, 1, 0, 59, 0 }, { 2026, 11, 1, 3, 29, 0 }, TZONE_UNIQUE },
    { "America/St_Johns", { 2026, 11, 1, 1, 30, 0 }, { 2026, 11, 1, 5, 0, 0 }, TZONE_REPEATED },
    { "America/St_Johns", { 2026, 11, 1, 2, 0, 0 }, { 2026, 11, 1, 5, 30, 0 }, TZONE_UNIQUE },
    { "America/St_Johns", { 2026, 1, 15, 12, 0, 0 }, { 2026, 1, 15, 15, 30, 0 }, TZONE_UNIQUE },
    /* Lord Howe Island, UTC+10:30 with 30 minutes of summer time: back from 02:00 to 01:30 on
       5 April 2026, forward from 02:00 to 02:30 on 4 October 2026. */
    { "Australia/Lord_Howe", { 2026, 4, 5, 1, 29, 0 }, { 2026, 4, 4, 14, 29, 0 }, TZONE_UNIQUE },
    { "Australia/Lord_Howe", { 2026, 4, 5, 1, 45, 0 }, { 2026, 4, 4, 15, 15, 0 }, TZONE_REPEATED },
    { "Australia/Lord_Howe", { 2026, 4, 5, 2, 0, 0 }, { 2026, 4, 4, 15, 30, 0 }, TZONE_UNIQUE },
    { "Australia/Lord_Howe", { 2026, 10, 4, 1, 59, 0 }, { 2026, 10, 3, 15, 29, 0 }, TZONE_UNIQUE },
    { "Australia/Lord_Howe", { 2026, 10, 4, 2, 15, 0 }, { 2026, 10, 3, 15, 45, 0 }, TZONE_SKIPPED },
    { "Australia/Lord_Howe", { 2026, 10, 4, 2, 30, 0 }, { 2026, 10, 3, 15, 30, 0 }, TZONE_UNIQUE },
    /* India, UTC+5:30 all year: London's doubtful times are ordinary there. */
    { "Asia/Kolkata", { 2026, 3, 29, 1, 30, 0 }, { 2026, 3, 28, 20, 0, 0 }, TZONE_UNIQUE },
    { "Asia/Kolkata", { 2026, 10, 25, 1, 30, 0 }, { 2026, 10, 24, 20, 0, 0 }, TZONE_UNIQUE },
    { "Asia/Kolkata", { 2040, 7, 1, 0, 0, 0 }, { 2040, 6, 30, 18, 30, 0 }, TZONE_UNIQUE },
    /* Ireland: the tz database calls winter GMT the "summer" time (tm_isdst = 1, a negative
       DST), yet the readings match London's. */
    { "Europe/Dublin", { 2026, 3, 29, 1, 30, 0 }, { 2026, 3, 29, 1, 30, 0 }, TZONE_SKIPPED },
    { "Europe/Dublin", { 2026, 7, 1, 12, 0, 0 }, { 2026, 7, 1, 11, 0, 0 }, TZONE_UNIQUE },
    { "Europe/Dublin", { 2026, 10, 25, 1, 30, 0 }, { 2026, 10, 25, 1, 30, 0 }, TZONE_REPEATED },
    /* Moscow went from UTC+4 to +3 for good at 02:00 on 26 October 2014 (standard offset). */
    { "Europe/Moscow", { 2014, 10, 26, 0, 30, 0 }, { 2014, 10, 25, 20, 30, 0 }, TZONE_UNIQUE },
    { "Europe/Moscow", { 2014, 10, 26, 1, 30, 0 }, { 2014, 10, 25, 22, 30, 0 }, TZONE_REPEATED },
    { "Europe/Moscow", { 2014, 10, 26, 2, 30, 0 }, { 2014, 10, 25, 23, 30, 0 }, TZONE_UNIQUE },
};
#undef L

static void
test_local_times_give_the_hand_verified_instants (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const s_case_t *c = &s_cases[i];
        const int *l = c->local, *u = c->utc;
        tzone_t *z = s_zone (c->zone);
        int64_t utc = 0;
        tzone_kind_t kind =
          tzone_local_to_utc (z, s_civil (l[0], l[1], l[2], l[3], l[4], l[5]), &utc);
        int64_t want = s_civil (u[0], u[1], u[2], u[3], u[4], u[5]);
        if (utc != want || kind != c->kind)
            fail_msg ("%s: local %04d-%02d-%02d %02d:%02d:%02d gave utc %+lld s off and kind %d, "
                      "want kind %d",
                      c->zone,
                      l[0],
                      l[1],
                      l[2],
                      l[3],
                      l[4],
                      l[5],
                      (long long)(utc - want),
                      (int)kind,
                      (int)c->kind);
        tzone_destroy (&z);
    }
}

static void
test_london_name_and_destroy (void **state)
{
    (void)state;
    tzone_t *z = s_zone ("Europe/London");
    assert_string_equal (tzone_name (z), "Europe/London");
    tzone_destroy (&z);
    assert_null (z);
    tzone_destroy (&z); /* NULL-safe */
}

static void
test_offsets_at_known_instants (void **state)
{
    (void)state;
    static const struct {
        const char *zone;
        int utc[6];
        int32_t offset;
    } cases[] = {
        { "Europe/London", { 2026, 3, 29, 0, 59, 59 }, 0 },
        { "Europe/London", { 2026, 3, 29, 1, 0, 0 }, 3600 },
        { "Europe/London", { 2026, 10, 25, 0, 59, 59 }, 3600 },
        { "Europe/London", { 2026, 10, 25, 1, 0, 0 }, 0 },
        { "Europe/London", { 2045, 7, 1, 0, 0, 0 }, 3600 }, /* footer rule */
        { "America/St_Johns", { 2026, 1, 1, 0, 0, 0 }, -(3 * 3600 + 1800) },
        { "America/St_Johns", { 2026, 7, 1, 0, 0, 0 }, -(2 * 3600 + 1800) },
        { "Australia/Lord_Howe", { 2026, 1, 1, 0, 0, 0 }, 11 * 3600 },
        { "Australia/Lord_Howe", { 2026, 7, 1, 0, 0, 0 }, 10 * 3600 + 1800 },
        { "Asia/Kolkata", { 2026, 1, 1, 0, 0, 0 }, 5 * 3600 + 1800 },
        { "Asia/Kolkata", { 2026, 7, 1, 0, 0, 0 }, 5 * 3600 + 1800 },
        /* The southern summer spans the new year. */
        { "Australia/Sydney", { 2030, 1, 10, 0, 0, 0 }, 11 * 3600 },
        { "Australia/Sydney", { 2030, 7, 10, 0, 0, 0 }, 10 * 3600 },
        { "Australia/Sydney", { 2030, 12, 31, 23, 0, 0 }, 11 * 3600 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int *u = cases[i].utc;
        tzone_t *z = s_zone (cases[i].zone);
        int32_t got = tzone_offset_at (z, s_civil (u[0], u[1], u[2], u[3], u[4], u[5]));
        if (got != cases[i].offset)
            fail_msg ("%s at %04d-%02d-%02dT%02d:%02d:%02dZ: offset %d, want %d",
                      cases[i].zone,
                      u[0],
                      u[1],
                      u[2],
                      u[3],
                      u[4],
                      u[5],
                      (int)got,
                      (int)cases[i].offset);
        tzone_destroy (&z);
    }
}

/* Every instant's local time comes back to that instant, or, in a repeated hour, to the
   second pass; each zone with DST has repeated and skipped times, Kolkata none. */
static void
test_every_half_hour_of_a_decade_round_trips (void **state)
{
    (void)state;
    static const struct {
        const char *zone;
        bool changes;
    } zones[] = { { "Europe/London", true },
                  { "America/St_Johns", true },
                  { "Australia/Lord_Howe", true },
                  { "Australia/Sydney", true },
                  { "Asia/Kolkata", false } };
    for (size_t zi = 0; zi < sizeof zones / sizeof zones[0]; zi++) {
        tzone_t *z = s_zone (zones[zi].zone);
        size_t repeated = 0, skipped = 0;
        for (int64_t t = s_civil (2020, 1, 1, 0, 0, 0); t < s_civil (2030, 1, 1, 0, 0, 0);
             t += 1800) {
            int32_t off = tzone_offset_at (z, t);
            int64_t back = 0;
            tzone_kind_t kind = tzone_local_to_utc (z, t + off, &back);
            if (kind == TZONE_REPEATED) {
                repeated++;
                assert_true (back >= t);
                assert_int_equal (back + tzone_offset_at (z, back), t + off);
            } else if (back != t)
                fail_msg (
                  "%s: %lld came back as %lld", zones[zi].zone, (long long)t, (long long)back);
            int64_t probe = 0;
            if (tzone_local_to_utc (z, t + off - 900, &probe) == TZONE_SKIPPED)
                skipped++;
        }
        if (zones[zi].changes) {
            assert_true (repeated > 0);
            assert_true (skipped > 0);
        } else
            assert_true (repeated == 0 && skipped == 0);
        tzone_destroy (&z);
    }
}

/* Zones used in turn each get their own answers, whatever TZ was before; loading a zone
   leaves TZ alone. */
static void
test_switching_zones_and_a_foreign_tz (void **state)
{
    (void)state;
    setenv ("TZ", "UTC0", 1);
    tzset ();
    tzone_t *london = s_zone ("Europe/London");
    tzone_t *kolkata = s_zone ("Asia/Kolkata");
    assert_string_equal (getenv ("TZ"), "UTC0");
    int64_t summer = s_civil (2026, 7, 1, 12, 0, 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal (tzone_offset_at (london, summer), 3600);
        assert_int_equal (tzone_offset_at (kolkata, summer), 5 * 3600 + 1800);
    }
    setenv ("TZ", "UTC0", 1);
    tzset ();
    assert_int_equal (tzone_offset_at (london, summer), 3600);
    tzone_destroy (&london);
    tzone_destroy (&kolkata);
    unsetenv ("TZ");
    tzset ();
}

static void
s_write (const char *path, const void *data, size_t len)
{
    FILE *f = fopen (path, "wb");
    assert_non_null (f);
    assert_int_equal (fwrite (data, 1, len, f), len);
    assert_int_equal (fclose (f), 0);
}

static void
test_bad_names_and_files_are_refused_with_a_reason (void **state)
{
    (void)state;
    char err[256];
    static const char *names[] = { "",
                                   "/etc/passwd",
                                   "../../etc/passwd",
                                   "Europe/London ",
                                   "Europe/../London",
                                   ":Europe/London" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        assert_null (tzone_load (names[i], err, sizeof err));
        assert_non_null (strstr (err, "is not a time zone name"));
    }
    assert_null (tzone_load ("Europe/Atlantis", err, sizeof err));
    assert_non_null (strstr (err, "could not open time zone file"));
    assert_non_null (strstr (err, "/usr/share/zoneinfo/Europe/Atlantis"));
    assert_null (tzone_load ("Europe", err, sizeof err)); /* a directory */
    assert_string_equal (err, "time zone file \"/usr/share/zoneinfo/Europe\" is not a TZif file");
    assert_null (tzone_load ("right/Europe/London", err, sizeof err));
    assert_non_null (strstr (err, "counts leap seconds"));

    /* Files glibc would quietly read as UTC, in a TZDIR of our own. */
    char dir[] = "/tmp/test_tzone.XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path[300];
    snprintf (path, sizeof path, "%s/Text", dir);
    s_write (path, "not tzif at all, not at all, not at all, no no\n", 47);
    snprintf (path, sizeof path, "%s/Short", dir);
    s_write (path, "TZif2", 5);
    unsigned char v1[44] = { 'T', 'Z', 'i', 'f', 0 };
    snprintf (path, sizeof path, "%s/Old", dir);
    s_write (path, v1, sizeof v1);
    snprintf (path, sizeof path, "%s/Copy", dir);
    FILE *f = fopen (TZONE_DIR_DEFAULT "/Europe/London", "rb");
    assert_non_null (f);
    static unsigned char data[8192];
    size_t len = fread (data, 1, sizeof data, f);
    fclose (f);
    assert_true (len > 1000);
    s_write (path, data, len);

    setenv ("TZDIR", dir, 1);
    assert_null (tzone_load ("Text", err, sizeof err));
    assert_non_null (strstr (err, "is not a TZif file"));
    assert_null (tzone_load ("Short", err, sizeof err));
    assert_non_null (strstr (err, "is not a TZif file"));
    assert_null (tzone_load ("Old", err, sizeof err));
    assert_non_null (strstr (err, "is TZif version 1"));
    assert_null (tzone_load ("Europe/London", err, sizeof err));
    assert_non_null (strstr (err, dir)); /* TZDIR is honoured */
    tzone_t *z = s_zone ("Copy");
    unsetenv ("TZDIR");
    /* The checked file is the one read, even with TZDIR gone. */
    assert_int_equal (tzone_offset_at (z, s_civil (2026, 7, 1, 0, 0, 0)), 3600);
    tzone_destroy (&z);
    unsetenv ("TZ");
    tzset ();

    for (const char *const *n = (const char *const[]){ "Text", "Short", "Old", "Copy", NULL }; *n;
         n++) {
        snprintf (path, sizeof path, "%s/%s", dir, *n);
        unlink (path);
    }
    rmdir (dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_local_times_give_the_hand_verified_instants),
        cmocka_unit_test (test_london_name_and_destroy),
        cmocka_unit_test (test_offsets_at_known_instants),
        cmocka_unit_test (test_every_half_hour_of_a_decade_round_trips),
        cmocka_unit_test (test_switching_zones_and_a_foreign_tz),
        cmocka_unit_test (test_bad_names_and_files_are_refused_with_a_reason),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
