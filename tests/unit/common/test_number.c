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
    const char *bad[] = { "",     " 12", "12 ", "12x", "1.5",
                          "0x10", "-",   "+",   "1e3", "99999999999999999999999",
                          "--1" };
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

static void
test_sizes_take_binary_suffixes (void **state)
{
    static const struct {
        const char *text;
        uint64_t bytes;
    } good[] = {
        { "512", 512 },        { "64K", 64 << 10 },
        { "64k", 64 << 10 },   { "10M", 10ull << 20 },
        { "1G", 1ull << 30 },  { "2GiB", 2ull << 30 },
        { "3MB", 3ull << 20 }, { "100B", 100 },
        { "1T", 1ull << 40 },  { "16777215T", 16777215ull << 40 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t v = 0;
        if (number_parse_size (good[i].text, &v) != 0)
            fail_msg ("\"%s\" was refused", good[i].text);
        assert_int_equal (v, good[i].bytes);
    }
    static const char *bad[] = { "",
                                 "0",
                                 "-1",
                                 "+1",
                                 " 1",
                                 "1.5G",
                                 "G",
                                 "1X",
                                 "1 G",
                                 "1iB",
                                 "1KK",
                                 "1Gb ",
                                 "99999999999999999999",
                                 "20000000000G",
                                 "16777216T" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v = 42;
        if (number_parse_size (bad[i], &v) != -1)
            fail_msg ("\"%s\" was read as a size", bad[i]);
        assert_int_equal (v, 42);
    }
    uint64_t v = 42;
    assert_int_equal (number_parse_size (NULL, &v), -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_whole_numbers_in_range_are_read),
        cmocka_unit_test (test_anything_else_is_refused_and_out_untouched),
        cmocka_unit_test (test_sizes_take_binary_suffixes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
