/* csv_time: form-export dates and times, day or month first or ISO, into UTC through
   Europe/London either side of both clock changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "csv_time.h"
#include "rfc3339.h"

static tzone_t *s_zone;

static int
s_setup (void **state)
{
    char err[256];
    s_zone = tzone_load ("Europe/London", err, sizeof err);
    return s_zone ? 0 : -1;
}

static int
s_teardown (void **state)
{
    tzone_destroy (&s_zone);
    return 0;
}

/* text read with order, as UTC RFC 3339 text ("" if refused). */
static const char *
s_utc (const char *text, csv_time_order_t order)
{
    static char out[RFC3339_INSTANT_LEN + 1];
    csv_time_t t;
    const char *problem;
    if (csv_time_parse (text, order, &t, &problem) != 0)
        return "";
    rfc3339_format_instant (csv_time_to_utc_us (&t, s_zone, NULL), out);
    return out;
}

static void
test_uk_day_first_times_either_side_of_the_clock_changes (void **state)
{
    (void)state;
    static const struct {
        const char *text, *utc;
    } cases[] = {
        { "01/03/2026 10:15:32", "2026-03-01T10:15:32.000000Z" }, /* GMT */
        { "1/3/2026 10:15", "2026-03-01T10:15:00.000000Z" },
        { "29/03/2026 00:59:59", "2026-03-29T00:59:59.000000Z" }, /* just before BST */
        { "29/03/2026 01:30:00", "2026-03-29T01:30:00.000000Z" }, /* missing hour: read as GMT */
        { "29/03/2026 02:00:00", "2026-03-29T01:00:00.000000Z" }, /* first BST second */
        { "29/03/2026 09:00:00", "2026-03-29T08:00:00.000000Z" },
        { "15/07/2026 12:00:00", "2026-07-15T11:00:00.000000Z" },
        { "25/10/2026 00:59:59", "2026-10-24T23:59:59.000000Z" }, /* still BST */
        { "25/10/2026 01:30:00", "2026-10-25T01:30:00.000000Z" }, /* repeated hour: GMT */
        { "25/10/2026 02:00:00", "2026-10-25T02:00:00.000000Z" },
        { "26/10/2025 01:15:00", "2025-10-26T01:15:00.000000Z" },
        { "30/03/2025 02:15:00", "2025-03-30T01:15:00.000000Z" },
        { "01-03-2026 10:15", "2026-03-01T10:15:00.000000Z" },
        { "01.03.2026 10:15", "2026-03-01T10:15:00.000000Z" },
        { "01/03/2026, 10:15", "2026-03-01T10:15:00.000000Z" },
        { "01/07/2026 10:15:32.250", "2026-07-01T09:15:32.250000Z" },
        { "01/07/2026 10:15:32 PM", "2026-07-01T21:15:32.000000Z" },
        { "01/07/2026 1:05 PM", "2026-07-01T12:05:00.000000Z" },
        { "01/07/2026 12:05 AM", "2026-06-30T23:05:00.000000Z" },
        { "01/07/2026", "2026-06-30T23:00:00.000000Z" }, /* a date alone: local midnight */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = s_utc (cases[i].text, CSV_TIME_DMY);
        if (strcmp (got, cases[i].utc) != 0)
            fail_msg ("\"%s\" gave \"%s\", want \"%s\"", cases[i].text, got, cases[i].utc);
    }
}

static void
test_month_first_and_iso_forms (void **state)
{
    (void)state;
    assert_string_equal (s_utc ("3/1/2026 10:15:32 AM", CSV_TIME_MDY),
                         "2026-03-01T10:15:32.000000Z");
    assert_string_equal (s_utc ("7/15/2026 10:00", CSV_TIME_MDY), "2026-07-15T09:00:00.000000Z");
    /* ISO is recognised whatever the order. */
    assert_string_equal (s_utc ("2026-07-15T10:00:00", CSV_TIME_MDY),
                         "2026-07-15T09:00:00.000000Z");
    assert_string_equal (s_utc ("2026-07-15 10:00", CSV_TIME_DMY), "2026-07-15T09:00:00.000000Z");
    assert_string_equal (s_utc ("2026-07-15T10:00:00Z", CSV_TIME_DMY),
                         "2026-07-15T10:00:00.000000Z");
    assert_string_equal (s_utc ("2026-07-15T10:00:00+02:00", CSV_TIME_DMY),
                         "2026-07-15T08:00:00.000000Z");
    assert_string_equal (s_utc ("2026-07-15T10:00:00-0130", CSV_TIME_DMY),
                         "2026-07-15T11:30:00.000000Z");
    assert_string_equal (s_utc ("2026-07-15T10:00:00.1234567+01", CSV_TIME_DMY),
                         "2026-07-15T09:00:00.123456Z");
    assert_string_equal (s_utc ("2026-10-25T01:30:00", CSV_TIME_DMY),
                         "2026-10-25T01:30:00.000000Z");
    assert_string_equal (s_utc ("2026-10-25T01:30:00+01:00", CSV_TIME_DMY),
                         "2026-10-25T00:30:00.000000Z"); /* an offset removes the doubt */
}

static void
test_refused_texts_say_why (void **state)
{
    (void)state;
    static const struct {
        const char *text, *problem;
    } cases[] = {
        { "", "is not a date and time such as 01/03/2026 10:15:00 or 2026-03-01T10:15:00" },
        { "yesterday",
          "is not a date and time such as 01/03/2026 10:15:00 or 2026-03-01T10:15:00" },
        { "01/03/26 10:15",
          "is not a date and time such as 01/03/2026 10:15:00 or 2026-03-01T10:15:00" },
        { "01/03/2026 10:15 extra",
          "is not a date and time such as 01/03/2026 10:15:00 or 2026-03-01T10:15:00" },
        { "2026/03/01",
          "is not a date and time such as 01/03/2026 10:15:00 or 2026-03-01T10:15:00" },
        { "01/03-2026",
          "is not a date and time such as 01/03/2026 10:15:00 or 2026-03-01T10:15:00" },
        { "2026-03-01T10:15:00+24:00",
          "is not a date and time such as 01/03/2026 10:15:00 or 2026-03-01T10:15:00" },
        { "13/13/2026", "is not a calendar date" },
        { "29/02/2026", "is not a calendar date" },
        { "2026-02-29", "is not a calendar date" },
        { "01/03/2026 24:00", "is not a time of day" },
        { "01/03/2026 10:60", "is not a time of day" },
        { "01/03/2026 13:00 PM",
          "is not a date and time such as 01/03/2026 10:15:00 or 2026-03-01T10:15:00" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        csv_time_t t;
        const char *problem = NULL;
        if (csv_time_parse (cases[i].text, CSV_TIME_DMY, &t, &problem) == 0)
            fail_msg ("accepted \"%s\"", cases[i].text);
        assert_string_equal (problem, cases[i].problem);
    }
    csv_time_t t;
    const char *problem;
    assert_int_equal (csv_time_parse ("29/02/2028", CSV_TIME_DMY, &t, &problem), 0); /* leap */
}

static void
test_local_day_of_a_time (void **state)
{
    (void)state;
    csv_time_t t;
    const char *problem;
    char day[RFC3339_DATE_LEN + 1];
    assert_int_equal (csv_time_parse ("15/07/2026 00:30", CSV_TIME_DMY, &t, &problem), 0);
    rfc3339_format_date (csv_time_local_day (&t, s_zone), day);
    assert_string_equal (day, "2026-07-15"); /* as written, though 23:30Z the day before */
    assert_int_equal (csv_time_parse ("2026-07-14T23:30:00Z", CSV_TIME_DMY, &t, &problem), 0);
    rfc3339_format_date (csv_time_local_day (&t, s_zone), day);
    assert_string_equal (day, "2026-07-15"); /* 00:30 BST */
    assert_int_equal (csv_time_parse ("2026-01-14T23:30:00Z", CSV_TIME_DMY, &t, &problem), 0);
    rfc3339_format_date (csv_time_local_day (&t, s_zone), day);
    assert_string_equal (day, "2026-01-14");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_uk_day_first_times_either_side_of_the_clock_changes),
        cmocka_unit_test (test_month_first_and_iso_forms),
        cmocka_unit_test (test_refused_texts_say_why),
        cmocka_unit_test (test_local_day_of_a_time),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
