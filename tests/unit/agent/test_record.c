/* record: the agent's payload inside a spool frame (agent/record.h) keeps the source,
   the line number and the raw line byte for byte, in the documented layout, and decoding
   refuses whatever is not a record of a known version rather than misreading it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "record.h"

static void
test_the_layout_is_version_line_source_length_source_then_the_line (void **state)
{
    unsigned char buf[64];
    size_t n = record_encode (buf, sizeof buf, "a.jsonl", 0x0102030405060708ull, "{}", 2);
    static const unsigned char want[] = { 1, 8,   7,   6,   5,   4,   3,   2,   1,   7,
                                          0, 'a', '.', 'j', 's', 'o', 'n', 'l', '{', '}' };
    assert_int_equal (n, sizeof want);
    assert_memory_equal (buf, want, sizeof want);
}

static void
test_a_record_round_trips_with_unknown_bytes_kept (void **state)
{
    unsigned char buf[256];
    static const char line[] = "{\"x\":1,\"unknown\":\"\\u00e9\"}\0tail";
    size_t len = sizeof line - 1; /* a NUL inside is kept too */
    size_t n = record_encode (buf, sizeof buf, "feeds/crm.jsonl", 42, line, len);
    assert_int_equal (n, RECORD_HEADER + strlen ("feeds/crm.jsonl") + len);
    record_t rec;
    assert_int_equal (record_decode (buf, n, &rec), 0);
    assert_int_equal (rec.line, 42);
    assert_int_equal (rec.source_len, strlen ("feeds/crm.jsonl"));
    assert_memory_equal (rec.source, "feeds/crm.jsonl", rec.source_len);
    assert_int_equal (rec.len, len);
    assert_memory_equal (rec.data, line, len);
}

static void
test_an_empty_line_and_an_empty_source_are_records (void **state)
{
    unsigned char buf[64];
    size_t n = record_encode (buf, sizeof buf, "", 1, "", 0);
    assert_int_equal (n, RECORD_HEADER);
    record_t rec;
    assert_int_equal (record_decode (buf, n, &rec), 0);
    assert_int_equal (rec.source_len, 0);
    assert_int_equal (rec.len, 0);
}

static void
test_a_long_source_name_is_cut_and_a_record_that_does_not_fit_is_refused (void **state)
{
    static char source[RECORD_SOURCE_MAX + 100];
    memset (source, 's', sizeof source - 1);
    static unsigned char buf[RECORD_HEADER + RECORD_SOURCE_MAX + 10];
    size_t n = record_encode (buf, sizeof buf, source, 7, "line", 4);
    assert_int_equal (n, RECORD_HEADER + RECORD_SOURCE_MAX + 4);
    record_t rec;
    assert_int_equal (record_decode (buf, n, &rec), 0);
    assert_int_equal (rec.source_len, RECORD_SOURCE_MAX);
    assert_memory_equal (rec.data, "line", 4);
    /* one byte short of room */
    assert_int_equal (record_encode (buf, RECORD_HEADER + 3, "ab", 1, "cd", 2), 0);
    assert_int_equal (record_encode (buf, RECORD_HEADER + 4, "ab", 1, "cd", 2), RECORD_HEADER + 4);
}

static void
test_what_is_not_a_record_is_refused (void **state)
{
    unsigned char buf[64];
    size_t n = record_encode (buf, sizeof buf, "src", 1, "data", 4);
    record_t rec;
    assert_int_equal (record_decode (buf, RECORD_HEADER - 1, &rec), -1); /* too short */
    buf[0] = 2;
    assert_int_equal (record_decode (buf, n, &rec), -1); /* a version we do not know */
    buf[0] = RECORD_VERSION;
    buf[9] = 200; /* a source longer than the record */
    assert_int_equal (record_decode (buf, n, &rec), -1);
    buf[9] = 3;
    assert_int_equal (record_decode (buf, n, &rec), 0);
    assert_int_equal (record_decode (buf, RECORD_HEADER + 3, &rec), 0); /* no line: empty */
    assert_int_equal (rec.len, 0);
    assert_int_equal (record_decode (buf, RECORD_HEADER + 2, &rec), -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_layout_is_version_line_source_length_source_then_the_line),
        cmocka_unit_test (test_a_record_round_trips_with_unknown_bytes_kept),
        cmocka_unit_test (test_an_empty_line_and_an_empty_source_are_records),
        cmocka_unit_test (test_a_long_source_name_is_cut_and_a_record_that_does_not_fit_is_refused),
        cmocka_unit_test (test_what_is_not_a_record_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
