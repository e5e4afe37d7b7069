/* Time periods for the summarising commands (query/period.c): --from/--to, --week,
   --month, --quarter resolved to inclusive ISO dates, and the errors for bad ones. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdlib.h>
#include <string.h>

#include "period.h"

static void
s_expect (period_args_t args, const char *from, const char *to)
{
    period_t p;
    char *error = (char *)"unset";
    assert_int_equal (period_resolve (&args, &p, &error), PERIOD_OK);
    assert_null (error);
    assert_string_equal (p.from, from);
    assert_string_equal (p.to, to);
}

/* Bad input: PERIOD_BAD and an error that names the option. */
static void
s_expect_bad (period_args_t args, const char *names)
{
    period_t p;
    char *error = NULL;
    assert_int_equal (period_resolve (&args, &p, &error), PERIOD_BAD);
    assert_non_null (error);
    if (!strstr (error, names))
        fail_msg ("error \"%s\" does not name %s", error, names);
    free (error);
}

static void
test_months_run_from_the_first_to_the_last_day_leap_years_included (void **state)
{
    (void)state;
    s_expect ((period_args_t){ .month = "2026-09" }, "2026-09-01", "2026-09-30");
    s_expect ((period_args_t){ .month = "2028-02" }, "2028-02-01", "2028-02-29");
    s_expect ((period_args_t){ .month = "2100-02" }, "2100-02-01", "2100-02-28");
    s_expect ((period_args_t){ .month = "2000-02" }, "2000-02-01", "2000-02-29");
    s_expect ((period_args_t){ .month = "2026-12" }, "2026-12-01", "2026-12-31");
}

static void
test_quarters_are_three_calendar_months (void **state)
{
    (void)state;
    s_expect ((period_args_t){ .quarter = "2026Q1" }, "2026-01-01", "2026-03-31");
    s_expect ((period_args_t){ .quarter = "2026Q3" }, "2026-07-01", "2026-09-30");
    s_expect ((period_args_t){ .quarter = "2026Q4" }, "2026-10-01", "2026-12-31");
}

static void
test_iso_weeks_run_monday_to_sunday_across_year_ends (void **state)
{
    (void)state;
    s_expect ((period_args_t){ .week = "2026-W37" }, "2026-09-07", "2026-09-13");
    /* 2026-W01 starts on Monday 2025-12-29 (1 January 2026 is a Thursday). */
    s_expect ((period_args_t){ .week = "2026-W01" }, "2025-12-29", "2026-01-04");
    /* 2026 has 53 weeks; 2025 has 52. */
    s_expect ((period_args_t){ .week = "2026-W53" }, "2026-12-28", "2027-01-03");
    s_expect ((period_args_t){ .week = "2021-W01" }, "2021-01-04", "2021-01-10");
    s_expect_bad ((period_args_t){ .week = "2025-W53" }, "--week");
}

static void
test_from_and_to_are_inclusive_and_each_may_stand_alone (void **state)
{
    (void)state;
    s_expect (
      (period_args_t){ .from = "2026-08-15", .to = "2026-10-03" }, "2026-08-15", "2026-10-03");
    s_expect (
      (period_args_t){ .from = "2026-08-15", .to = "2026-08-15" }, "2026-08-15", "2026-08-15");
    s_expect ((period_args_t){ .from = "2026-08-15" }, "2026-08-15", "9999-12-31");
    s_expect ((period_args_t){ .to = "2026-08-15" }, "0001-01-01", "2026-08-15");
}

static void
test_no_period_option_means_all_time (void **state)
{
    (void)state;
    period_t p;
    char *error = NULL;
    assert_int_equal (period_resolve (&(period_args_t){ 0 }, &p, &error), PERIOD_NONE);
    assert_null (error);
}

static void
test_bad_dates_are_refused_naming_the_option (void **state)
{
    (void)state;
    s_expect_bad ((period_args_t){ .from = "2026-02-30" }, "--from");
    s_expect_bad ((period_args_t){ .from = "2026-13-01" }, "--from");
    s_expect_bad ((period_args_t){ .to = "26-09-01" }, "--to");
    s_expect_bad ((period_args_t){ .to = "2026-9-1" }, "--to");
    s_expect_bad ((period_args_t){ .to = "2026-09-01x" }, "--to");
    s_expect_bad ((period_args_t){ .to = "" }, "--to");
    s_expect_bad ((period_args_t){ .from = "2026-09-01'; DROP TABLE x; --" }, "--from");
    s_expect_bad ((period_args_t){ .from = "2026-09-02", .to = "2026-09-01" }, "--from");
    s_expect_bad ((period_args_t){ .month = "2026-13" }, "--month");
    s_expect_bad ((period_args_t){ .month = "2026-9" }, "--month");
    s_expect_bad ((period_args_t){ .quarter = "2026Q5" }, "--quarter");
    s_expect_bad ((period_args_t){ .quarter = "2026-Q3" }, "--quarter");
    s_expect_bad ((period_args_t){ .week = "2026W37" }, "--week");
    s_expect_bad ((period_args_t){ .week = "2026-W00" }, "--week");
    s_expect_bad ((period_args_t){ .month = "2026-09", .quarter = "2026Q3" }, "--month");
    s_expect_bad ((period_args_t){ .week = "2026-W37", .from = "2026-09-01" }, "--week");
}

static void
test_dates_round_trip_through_day_counts (void **state)
{
    (void)state;
    long days;
    assert_int_equal (period_parse_date ("1970-01-01", &days), 0);
    assert_int_equal (days, 0);
    assert_int_equal (period_parse_date ("2026-09-07", &days), 0);
    assert_int_equal (days, 20703);
    for (long d = -719162; d <= 2932896; d += 997) {
        char buf[11];
        long back;
        period_format_date (d, buf);
        assert_int_equal (period_parse_date (buf, &back), 0);
        assert_int_equal (back, d);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_months_run_from_the_first_to_the_last_day_leap_years_included),
        cmocka_unit_test (test_quarters_are_three_calendar_months),
        cmocka_unit_test (test_iso_weeks_run_monday_to_sunday_across_year_ends),
        cmocka_unit_test (test_from_and_to_are_inclusive_and_each_may_stand_alone),
        cmocka_unit_test (test_no_period_option_means_all_time),
        cmocka_unit_test (test_bad_dates_are_refused_naming_the_option),
        cmocka_unit_test (test_dates_round_trip_through_day_counts),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
