/* number: whole decimal numbers from text, strictly. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <limits.h>

#include "number.h"

static void
test_whole_numbers_in_range_are_read (void **state)
{
    long v = 0;
    assert_int_equal (number_parse ("0", -5, 5, &v), 0);
    assert_int_equal (v, 0);
    assert_int_equal (number_parse ("-2", -2, 2, &v), 0);
    assert_int_equal (v, -2);
    assert_int_equal (number_parse ("+7", 0, 10, &v), 0);
    assert_int_equal (v, 7);
    assert_int_equal (number_parse ("1000000", 1, 1000000, &v), 0);
    assert_int_equal (v, 1000000);
    int i = 0;
    assert_int_equal (number_parse_int ("64", 1, 64, &i), 0);
    assert_int_equal (i, 64);
}

static void
test_anything_else_is_refused_and_out_untouched (void **state)
{
    const char *bad[] = { "", " 12", "12 ", "12x", "1.5", "0x10", "-", "+", "1e3",
                          "99999999999999999999999", "--1" };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        long v = 42;
        if (number_parse (bad[k], LONG_MIN, LONG_MAX, &v) != -1)
            fail_msg ("\"%s\" was read as a number", bad[k]);
        assert_int_equal (v, 42);
    }
    long v = 42;
    assert_int_equal (number_parse (NULL, 0, 1, &v), -1);
    assert_int_equal (number_parse ("3", -2, 2, &v), -1);
    assert_int_equal (number_parse ("-3", -2, 2, &v), -1);
    assert_int_equal (number_parse ("0", 1, 10, &v), -1);
    int i = 7;
    assert_int_equal (number_parse_int ("65", 1, 64, &i), -1);
    assert_int_equal (i, 7);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_whole_numbers_in_range_are_read),
        cmocka_unit_test (test_anything_else_is_refused_and_out_untouched),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
