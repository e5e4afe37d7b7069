/* tzone: local wall-clock times in Europe/London around both clock changes, checked against
   fixed instants and, over decades of hours, against glibc's own reading of the same tz
   database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rfc3339.h"
#include "tzone.h"

static int64_t
s_civil (int y, int mo, int d, int h, int mi, int s)
{
    return rfc3339_days_from_civil (y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
}

static tzone_t *
s_london (void)
{
    char err[256];
    tzone_t *z = tzone_load ("Europe/London", err, sizeof err);
    if (!z)
        fail_msg ("%s", err);
    return z;
}

typedef struct {
    int local[6];
    int utc[6];
    tzone_kind_t kind;
} s_case_t;

/* 2026: clocks go forward at 01:00 GMT on 29 March and back at 01:00 GMT (02:00 BST) on
   25 October. */
static const s_case_t s_cases[] = {
    { { 2026, 3, 29, 0, 59, 59 }, { 2026, 3, 29, 0, 59, 59 }, TZONE_UNIQUE }, /* last GMT second */
    { { 2026, 3, 29, 1, 0, 0 }, { 2026, 3, 29, 1, 0, 0 }, TZONE_SKIPPED },    /* read as GMT */
    { { 2026, 3, 29, 1, 30, 0 }, { 2026, 3, 29, 1, 30, 0 }, TZONE_SKIPPED },
    { { 2026, 3, 29, 1, 59, 59 }, { 2026, 3, 29, 1, 59, 59 }, TZONE_SKIPPED },
    { { 2026, 3, 29, 2, 0, 0 }, { 2026, 3, 29, 1, 0, 0 }, TZONE_UNIQUE }, /* first BST second */
    { { 2026, 3, 28, 23, 30, 0 }, { 2026, 3, 28, 23, 30, 0 }, TZONE_UNIQUE },
    { { 2026, 7, 1, 12, 0, 0 }, { 2026, 7, 1, 11, 0, 0 }, TZONE_UNIQUE },        /* summer */
    { { 2026, 10, 25, 0, 59, 59 }, { 2026, 10, 24, 23, 59, 59 }, TZONE_UNIQUE }, /* BST */
    { { 2026, 10, 25, 1, 0, 0 }, { 2026, 10, 25, 1, 0, 0 }, TZONE_REPEATED }, /* second pass, GMT */
    { { 2026, 10, 25, 1, 30, 0 }, { 2026, 10, 25, 1, 30, 0 }, TZONE_REPEATED },
    { { 2026, 10, 25, 1, 59, 59 }, { 2026, 10, 25, 1, 59, 59 }, TZONE_REPEATED },
    { { 2026, 10, 25, 2, 0, 0 }, { 2026, 10, 25, 2, 0, 0 }, TZONE_UNIQUE },
    { { 2026, 1, 15, 12, 0, 0 }, { 2026, 1, 15, 12, 0, 0 }, TZONE_UNIQUE }, /* winter */
    /* 2025: 30 March and 26 October. */
    { { 2025, 3, 30, 1, 15, 0 }, { 2025, 3, 30, 1, 15, 0 }, TZONE_SKIPPED },
    { { 2025, 3, 30, 2, 15, 0 }, { 2025, 3, 30, 1, 15, 0 }, TZONE_UNIQUE },
    { { 2025, 10, 26, 0, 15, 0 }, { 2025, 10, 25, 23, 15, 0 }, TZONE_UNIQUE },
    { { 2025, 10, 26, 1, 15, 0 }, { 2025, 10, 26, 1, 15, 0 }, TZONE_REPEATED },
    /* After 2037 the file's transitions end and its footer rule takes over. */
    { { 2040, 3, 25, 1, 30, 0 }, { 2040, 3, 25, 1, 30, 0 }, TZONE_SKIPPED },
    { { 2040, 3, 25, 2, 30, 0 }, { 2040, 3, 25, 1, 30, 0 }, TZONE_UNIQUE },
    { { 2040, 8, 1, 9, 0, 0 }, { 2040, 8, 1, 8, 0, 0 }, TZONE_UNIQUE },
    { { 2040, 10, 28, 1, 30, 0 }, { 2040, 10, 28, 1, 30, 0 }, TZONE_REPEATED },
};

static void
s_check_cases (tzone_t *z)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const int *l = s_cases[i].local, *u = s_cases[i].utc;
        int64_t utc = 0;
        tzone_kind_t kind =
          tzone_local_to_utc (z, s_civil (l[0], l[1], l[2], l[3], l[4], l[5]), &utc);
        int64_t want = s_civil (u[0], u[1], u[2], u[3], u[4], u[5]);
        if (utc != want || kind != s_cases[i].kind)
            fail_msg ("%s: local %04d-%02d-%02d %02d:%02d:%02d gave utc %+lld s off and kind %d, "
                      "want kind %d",
                      tzone_name (z),
                      l[0],
                      l[1],
                      l[2],
                      l[3],
                      l[4],
                      l[5],
                      (long long)(utc - want),
                      (int)kind,
                      (int)s_cases[i].kind);
    }
}

static void
test_london_either_side_of_both_clock_changes (void **state)
{
    (void)state;
    tzone_t *z = s_london ();
    assert_string_equal (tzone_name (z), "Europe/London");
    s_check_cases (z);
    tzone_destroy (&z);
    assert_null (z);
    tzone_destroy (&z); /* NULL-safe */
}

static void
test_london_posix_rule_alone_gives_the_same_answers (void **state)
{
    (void)state;
    char err[256];
    tzone_t *z = tzone_from_posix ("GMT0BST,M3.5.0/1,M10.5.0", err, sizeof err);
    assert_non_null (z);
    s_check_cases (z);
    tzone_t *file = s_london ();
    /* Every hour from 2000 to 2045: the rule alone, and the file's table then its footer. */
    for (int64_t t = s_civil (2000, 1, 1, 0, 0, 0); t < s_civil (2046, 1, 1, 0, 0, 0); t += 3600)
        if (tzone_offset_at (z, t) != tzone_offset_at (file, t))
            fail_msg ("offsets differ at %lld", (long long)t);
    tzone_destroy (&z);
    tzone_destroy (&file);
}

/* glibc reads the same TZif file with its own code: every hour from 1972 to 2060 must get
   the same offset, and every local time must come back to the instant it was made from
   (or, in a repeated hour, to the second pass). Single-threaded, so setting TZ is safe
   here. */
static void
test_agrees_with_glibc_over_every_hour (void **state)
{
    (void)state;
    const char *zones[] = { "Europe/London", "Australia/Sydney", "America/New_York" };
    for (size_t zi = 0; zi < sizeof zones / sizeof zones[0]; zi++) {
        char err[256], tz[64];
        tzone_t *z = tzone_load (zones[zi], err, sizeof err);
        if (!z)
            fail_msg ("%s", err);
        snprintf (tz, sizeof tz, ":%s", zones[zi]);
        setenv ("TZ", tz, 1);
        tzset ();
        size_t repeated = 0, skipped = 0;
        for (int64_t t = s_civil (1972, 1, 1, 0, 0, 0); t < s_civil (2060, 1, 1, 0, 0, 0);
             t += 1800) {
            time_t tt = (time_t)t;
            struct tm tm;
            assert_non_null (localtime_r (&tt, &tm));
            int32_t off = tzone_offset_at (z, t);
            if (off != tm.tm_gmtoff)
                fail_msg ("%s at %lld: %d, glibc %ld", zones[zi], (long long)t, off, tm.tm_gmtoff);
            int64_t back = 0;
            tzone_kind_t kind = tzone_local_to_utc (z, t + off, &back);
            if (kind == TZONE_REPEATED) {
                repeated++;
                int32_t later = tzone_offset_at (z, back);
                assert_true (back == t || back - t == off - later);
            } else if (back != t)
                fail_msg ("%s: %lld came back as %lld", zones[zi], (long long)t, (long long)back);
            int64_t gap_probe = 0;
            if (tzone_local_to_utc (z, t + off - 1800, &gap_probe) == TZONE_SKIPPED)
                skipped++;
        }
        assert_true (repeated > 0);
        assert_true (skipped > 0);
        tzone_destroy (&z);
    }
    unsetenv ("TZ");
    tzset ();
}

static void
test_southern_hemisphere_rule_wraps_the_year (void **state)
{
    (void)state;
    char err[256];
    tzone_t *rule = tzone_from_posix ("AEST-10AEDT,M10.1.0,M4.1.0/3", err, sizeof err);
    assert_non_null (rule);
    /* January is summer in Sydney (+11), July winter (+10). */
    assert_int_equal (tzone_offset_at (rule, s_civil (2030, 1, 10, 0, 0, 0)), 11 * 3600);
    assert_int_equal (tzone_offset_at (rule, s_civil (2030, 7, 10, 0, 0, 0)), 10 * 3600);
    assert_int_equal (tzone_offset_at (rule, s_civil (2030, 12, 31, 23, 0, 0)), 11 * 3600);
    tzone_destroy (&rule);
}

static void
test_fixed_and_bracketed_rules (void **state)
{
    (void)state;
    char err[256];
    tzone_t *z = tzone_from_posix ("<+0530>-5:30", err, sizeof err);
    assert_non_null (z);
    assert_int_equal (tzone_offset_at (z, 0), 5 * 3600 + 1800);
    int64_t utc;
    assert_int_equal (tzone_local_to_utc (z, 3600 * 10, &utc), TZONE_UNIQUE);
    assert_int_equal (utc, 3600 * 10 - (5 * 3600 + 1800));
    tzone_destroy (&z);
    static const char *bad[] = { "",
                                 "G0",
                                 "GMT",
                                 "GMT0BST,M13.5.0,M10.5.0",
                                 "GMT0BST,M3.5.0",
                                 "GMT0BST,M3.5.0/1,M10.5.0x",
                                 "GMT25" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        z = tzone_from_posix (bad[i], err, sizeof err);
        if (z)
            fail_msg ("accepted \"%s\"", bad[i]);
        assert_non_null (strstr (err, "is not a POSIX TZ rule"));
    }
}

static void
test_bad_names_and_files_are_refused_with_a_reason (void **state)
{
    (void)state;
    char err[256];
    static const char *names[] = {
        "", "/etc/passwd", "../../etc/passwd", "Europe/London ", "Europe/../London"
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        assert_null (tzone_load (names[i], err, sizeof err));
        assert_non_null (strstr (err, "is not a time zone name"));
    }
    assert_null (tzone_load ("Europe/Atlantis", err, sizeof err));
    assert_non_null (strstr (err, "could not open time zone file"));
    assert_null (
      tzone_from_tzif ("x", "not tzif at all, not at all, not at all, no no", 46, err, sizeof err));
    assert_string_equal (err, "time zone \"x\" is not a TZif file");

    /* A real file cut short. */
    FILE *f = fopen (TZONE_DIR_DEFAULT "/Europe/London", "rb");
    assert_non_null (f);
    static unsigned char data[8192];
    size_t len = fread (data, 1, sizeof data, f);
    fclose (f);
    assert_true (len > 1000);
    assert_null (tzone_from_tzif ("Europe/London", data, len / 2, err, sizeof err));
    assert_non_null (strstr (err, "truncated"));
    tzone_t *z = tzone_from_tzif ("Europe/London", data, len, err, sizeof err);
    assert_non_null (z);
    tzone_destroy (&z);

    /* TZDIR is honoured. */
    setenv ("TZDIR", "/nonexistent", 1);
    assert_null (tzone_load ("Europe/London", err, sizeof err));
    assert_non_null (strstr (err, "/nonexistent/Europe/London"));
    unsetenv ("TZDIR");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_london_either_side_of_both_clock_changes),
        cmocka_unit_test (test_london_posix_rule_alone_gives_the_same_answers),
        cmocka_unit_test (test_agrees_with_glibc_over_every_hour),
        cmocka_unit_test (test_southern_hemisphere_rule_wraps_the_year),
        cmocka_unit_test (test_fixed_and_bracketed_rules),
        cmocka_unit_test (test_bad_names_and_files_are_refused_with_a_reason),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
