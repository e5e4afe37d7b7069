/* rfc3339: instants and calendar dates as the v1 event model reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "rfc3339.h"

typedef struct {
    const char *text;
    rfc3339_status_t status;
    const char *utc; /* rfc3339_format_instant of the result, when RFC3339_OK */
} instant_case_t;

static const instant_case_t s_instants[] = {
    { "2026-03-01T10:00:00Z", RFC3339_OK, "2026-03-01T10:00:00.000000Z" },
    { "2026-03-01t10:00:00z", RFC3339_OK, "2026-03-01T10:00:00.000000Z" },
    { "2026-03-01T10:00:00.123456Z", RFC3339_OK, "2026-03-01T10:00:00.123456Z" },
    { "2026-03-01T10:00:00.1Z", RFC3339_OK, "2026-03-01T10:00:00.100000Z" },
    /* Beyond microseconds: truncated, never rounded up into the next second. */
    { "2026-03-01T10:00:00.1234567Z", RFC3339_OK, "2026-03-01T10:00:00.123456Z" },
    { "2026-12-31T23:59:59.99999999999999999999Z", RFC3339_OK, "2026-12-31T23:59:59.999999Z" },
    /* Offsets convert to UTC, moving the date either way. */
    { "2026-03-01T10:00:00+05:30", RFC3339_OK, "2026-03-01T04:30:00.000000Z" },
    { "2026-03-01T03:00:00+05:30", RFC3339_OK, "2026-02-28T21:30:00.000000Z" },
    { "2026-03-01T23:30:00-01:00", RFC3339_OK, "2026-03-02T00:30:00.000000Z" },
    { "2024-02-28T23:00:00-02:00", RFC3339_OK, "2024-02-29T01:00:00.000000Z" },
    { "2026-03-01T10:00:00-00:00", RFC3339_OK, "2026-03-01T10:00:00.000000Z" },
    { "2026-03-01T10:00:00+23:59", RFC3339_OK, "2026-02-28T10:01:00.000000Z" },
    /* A leap second reads as :59 with its fraction. */
    { "2016-12-31T23:59:60Z", RFC3339_OK, "2016-12-31T23:59:59.000000Z" },
    { "2016-12-31T23:59:60.5Z", RFC3339_OK, "2016-12-31T23:59:59.500000Z" },
    { "2024-02-29T00:00:00Z", RFC3339_OK, "2024-02-29T00:00:00.000000Z" },
    { "2000-02-29T00:00:00Z", RFC3339_OK, "2000-02-29T00:00:00.000000Z" },
    { "1970-01-01T00:00:00Z", RFC3339_OK, "1970-01-01T00:00:00.000000Z" },
    { "1969-12-31T23:59:59.999999Z", RFC3339_OK, "1969-12-31T23:59:59.999999Z" },
    { "0001-01-01T00:00:00Z", RFC3339_OK, "0001-01-01T00:00:00.000000Z" },
    { "9999-12-31T23:59:59.999999Z", RFC3339_OK, "9999-12-31T23:59:59.999999Z" },

    { "2026-02-29T10:00:00Z", RFC3339_BAD_DATE, NULL },
    { "1900-02-29T10:00:00Z", RFC3339_BAD_DATE, NULL },
    { "2026-13-01T10:00:00Z", RFC3339_BAD_DATE, NULL },
    { "2026-00-01T10:00:00Z", RFC3339_BAD_DATE, NULL },
    { "2026-04-31T10:00:00Z", RFC3339_BAD_DATE, NULL },
    { "2026-04-00T10:00:00Z", RFC3339_BAD_DATE, NULL },
    { "2026-03-01T24:00:00Z", RFC3339_BAD_TIME, NULL },
    { "2026-03-01T10:60:00Z", RFC3339_BAD_TIME, NULL },
    { "2026-03-01T10:00:61Z", RFC3339_BAD_TIME, NULL },
    { "2026-03-01T10:00:00+24:00", RFC3339_BAD_OFFSET, NULL },
    { "2026-03-01T10:00:00-05:60", RFC3339_BAD_OFFSET, NULL },

    { "", RFC3339_SYNTAX, NULL },
    { "2026-03-01", RFC3339_SYNTAX, NULL },
    { "2026-03-01T10:00:00", RFC3339_SYNTAX, NULL },  /* no time zone */
    { "2026-03-01 10:00:00Z", RFC3339_SYNTAX, NULL }, /* space separator */
    { "2026-03-01T10:00Z", RFC3339_SYNTAX, NULL },    /* no seconds */
    { "2026-3-01T10:00:00Z", RFC3339_SYNTAX, NULL },
    { "26-03-01T10:00:00Z", RFC3339_SYNTAX, NULL },
    { "2026-03-01T10:00:00.Z", RFC3339_SYNTAX, NULL },  /* empty fraction */
    { "2026-03-01T10:00:00,5Z", RFC3339_SYNTAX, NULL }, /* comma fraction */
    { "2026-03-01T10:00:00+0530", RFC3339_SYNTAX, NULL },
    { "2026-03-01T10:00:00+05", RFC3339_SYNTAX, NULL },
    { "2026-03-01T10:00:00UTC", RFC3339_SYNTAX, NULL },
    { "2026-03-01T10:00:00Z ", RFC3339_SYNTAX, NULL }, /* trailing space */
    { " 2026-03-01T10:00:00Z", RFC3339_SYNTAX, NULL },
    { "2026-03-01T10:00:00ZZ", RFC3339_SYNTAX, NULL },
    { "+2026-03-01T10:00:00Z", RFC3339_SYNTAX, NULL },
    { "2026-02-30T25:00:00Zjunk", RFC3339_SYNTAX, NULL }, /* shape first, then ranges */
    { "2026-03-01T1a:00:00Z", RFC3339_SYNTAX, NULL },
};

static void
test_instants_parse_to_utc_microseconds (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_instants / sizeof s_instants[0]; i++) {
        const instant_case_t *c = &s_instants[i];
        int64_t us = -42;
        rfc3339_status_t rc = rfc3339_parse_instant (c->text, strlen (c->text), &us);
        if (rc != c->status)
            fail_msg ("\"%s\": status %d, expected %d", c->text, rc, c->status);
        if (rc != RFC3339_OK) {
            assert_int_equal (us, -42); /* untouched */
            continue;
        }
        char out[RFC3339_INSTANT_LEN + 1];
        rfc3339_format_instant (us, out);
        if (strcmp (out, c->utc) != 0)
            fail_msg ("\"%s\": %s, expected %s", c->text, out, c->utc);
    }
}

static void
test_known_instant_values (void **state)
{
    (void)state;
    int64_t us = 0;
    const char *t = "2026-03-01T10:00:00.123456Z";
    assert_int_equal (rfc3339_parse_instant (t, strlen (t), &us), RFC3339_OK);
    assert_int_equal (us, INT64_C (1772359200123456));
    t = "1970-01-01T00:00:00.000001+00:00";
    assert_int_equal (rfc3339_parse_instant (t, strlen (t), &us), RFC3339_OK);
    assert_int_equal (us, 1);
    t = "1970-01-01T00:00:00-00:01";
    assert_int_equal (rfc3339_parse_instant (t, strlen (t), &us), RFC3339_OK);
    assert_int_equal (us, 60 * RFC3339_US_PER_SEC);
}

static void
test_length_bounds_the_text (void **state)
{
    (void)state;
    int64_t us;
    const char *t = "2026-03-01T10:00:00Zgarbage";
    assert_int_equal (rfc3339_parse_instant (t, 20, &us), RFC3339_OK);
    assert_int_equal (rfc3339_parse_instant (t, 19, &us), RFC3339_SYNTAX);
    int32_t days;
    assert_int_equal (rfc3339_parse_date ("2026-03-01x", 10, &days), RFC3339_OK);
    assert_int_equal (rfc3339_parse_date ("2026-03-0", 9, &days), RFC3339_SYNTAX);
}

typedef struct {
    const char *text;
    rfc3339_status_t status;
    int32_t days;
} date_case_t;

static void
test_dates_are_real_calendar_dates (void **state)
{
    (void)state;
    static const date_case_t cases[] = {
        { "1970-01-01", RFC3339_OK, 0 },
        { "2000-01-01", RFC3339_OK, 10957 },
        { "1999-12-31", RFC3339_OK, 10956 },
        { "2026-03-01", RFC3339_OK, 20513 },
        { "2024-02-29", RFC3339_OK, 19782 },
        { "1969-12-31", RFC3339_OK, -1 },
        { "2026-02-29", RFC3339_BAD_DATE, 0 },
        { "2100-02-29", RFC3339_BAD_DATE, 0 },
        { "2026-13-01", RFC3339_BAD_DATE, 0 },
        { "2026-00-01", RFC3339_BAD_DATE, 0 },
        { "2026-06-31", RFC3339_BAD_DATE, 0 },
        { "2026-01-32", RFC3339_BAD_DATE, 0 },
        { "2026-01-00", RFC3339_BAD_DATE, 0 },
        { "2026-3-1", RFC3339_SYNTAX, 0 },
        { "20260301", RFC3339_SYNTAX, 0 },
        { "2026/03/01", RFC3339_SYNTAX, 0 },
        { "01-03-2026", RFC3339_SYNTAX, 0 },
        { "2026-03-01T00:00:00Z", RFC3339_SYNTAX, 0 },
        { "2026-13-01x", RFC3339_SYNTAX, 0 },
        { "2026-03-1 ", RFC3339_SYNTAX, 0 },
        { "", RFC3339_SYNTAX, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t days = -999;
        rfc3339_status_t rc = rfc3339_parse_date (cases[i].text, strlen (cases[i].text), &days);
        if (rc != cases[i].status)
            fail_msg ("\"%s\": status %d, expected %d", cases[i].text, rc, cases[i].status);
        assert_int_equal (days, rc == RFC3339_OK ? cases[i].days : -999);
    }
}

static void
test_day_of_uses_floor_division (void **state)
{
    (void)state;
    assert_int_equal (rfc3339_day_of (0), 0);
    assert_int_equal (rfc3339_day_of (RFC3339_US_PER_DAY - 1), 0);
    assert_int_equal (rfc3339_day_of (RFC3339_US_PER_DAY), 1);
    assert_int_equal (rfc3339_day_of (-1), -1);
    assert_int_equal (rfc3339_day_of (-RFC3339_US_PER_DAY), -1);
    assert_int_equal (rfc3339_day_of (-RFC3339_US_PER_DAY - 1), -2);
}

static void
test_format_round_trips_every_day_from_1900_to_2100 (void **state)
{
    (void)state;
    int32_t from = (int32_t)rfc3339_days_from_civil (1900, 1, 1);
    int32_t to = (int32_t)rfc3339_days_from_civil (2100, 12, 31);
    for (int32_t d = from; d <= to; d++) {
        char text[RFC3339_DATE_LEN + 1];
        rfc3339_format_date (d, text);
        int32_t back;
        assert_int_equal (rfc3339_parse_date (text, strlen (text), &back), RFC3339_OK);
        assert_int_equal (back, d);
        /* And an instant on that day, with a fraction, at a time that moves with the day. */
        int64_t second = (int64_t)(d - from) * 7919 % 86400;
        int64_t us = (int64_t)d * RFC3339_US_PER_DAY + second * RFC3339_US_PER_SEC + (d & 0xFFFFF);
        char inst[RFC3339_INSTANT_LEN + 1];
        rfc3339_format_instant (us, inst);
        assert_int_equal (strlen (inst), RFC3339_INSTANT_LEN);
        int64_t back_us;
        assert_int_equal (rfc3339_parse_instant (inst, strlen (inst), &back_us), RFC3339_OK);
        assert_int_equal (back_us, us);
    }
}

static void
test_format_clamps_outside_years_0000_to_9999 (void **state)
{
    (void)state;
    char inst[RFC3339_INSTANT_LEN + 1], date[RFC3339_DATE_LEN + 1];
    rfc3339_format_instant (INT64_MIN, inst);
    assert_string_equal (inst, "0000-01-01T00:00:00.000000Z");
    rfc3339_format_instant (INT64_MAX, inst);
    assert_string_equal (inst, "9999-12-31T23:59:59.999999Z");
    rfc3339_format_date (INT32_MIN, date);
    assert_string_equal (date, "0000-01-01");
    rfc3339_format_date (INT32_MAX, date);
    assert_string_equal (date, "9999-12-31");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_instants_parse_to_utc_microseconds),
        cmocka_unit_test (test_known_instant_values),
        cmocka_unit_test (test_length_bounds_the_text),
        cmocka_unit_test (test_dates_are_real_calendar_dates),
        cmocka_unit_test (test_day_of_uses_floor_division),
        cmocka_unit_test (test_format_round_trips_every_day_from_1900_to_2100),
        cmocka_unit_test (test_format_clamps_outside_years_0000_to_9999),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
