/* reject: why an input was refused, and the rejected.jsonl line that says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "reject.h"
#include "utf8.h"

static void
test_set_formats_field_and_reason (void **state)
{
    (void)state;
    reject_t why;
    reject_set (&why, "occurred_on", "%s is more than one day after reported_at", "2026-11-30");
    assert_string_equal (why.field, "occurred_on");
    assert_string_equal (why.reason, "2026-11-30 is more than one day after reported_at");
    reject_set (&why, "", "line is %zu bytes long (at most %d)", (size_t)16385, 16384);
    assert_string_equal (why.field, "");
    assert_string_equal (why.reason, "line is 16385 bytes long (at most 16384)");
}

static void
test_long_reason_is_cut_on_a_character_boundary (void **state)
{
    (void)state;
    char text[2048] = "";
    for (int i = 0; i < 600; i++)
        strcat (text, "é"); /* 1200 bytes */
    reject_t why;
    reject_set (&why, "notes", "x%s", text); /* "x" shifts the é pairs to odd offsets */
    size_t len = strlen (why.reason);
    assert_true (len <= REJECT_REASON_MAX - 1);
    assert_true (len >= REJECT_REASON_MAX - 3);
    assert_true (utf8_is_valid (why.reason, len));
    char field[200];
    memset (field, 'f', sizeof field - 1);
    field[sizeof field - 1] = '\0';
    reject_set (&why, field, "r");
    assert_int_equal (strlen (why.field), REJECT_FIELD_MAX - 1);
}

static void
test_to_json_is_one_compact_line (void **state)
{
    (void)state;
    reject_t why;
    reject_set (&why, "stance", "must be an integer from -2 to 2 (got \"1\")");
    const char *input = "{\"stance\":\"1\",\n\"notes\":\"Ynys Môn\"}";
    char *json = reject_to_json (&why, "crm/feed.jsonl", 42, input, strlen (input));
    assert_string_equal (
      json,
      "{\"source\":\"crm/feed.jsonl\",\"line\":42,\"field\":\"stance\","
      "\"reason\":\"must be an integer from -2 to 2 (got \\\"1\\\")\","
      "\"input\":\"{\\\"stance\\\":\\\"1\\\",\\n\\\"notes\\\":\\\"Ynys Môn\\\"}\"}");
    free (json);
}

static void
test_to_json_leaves_out_input_that_is_not_utf8 (void **state)
{
    (void)state;
    reject_t why;
    reject_set (&why, "", "line is not valid UTF-8 (byte 0xFF at offset 1)");
    char *json = reject_to_json (&why, "-", 7, "a\xff", 2);
    assert_string_equal (json,
                         "{\"source\":\"-\",\"line\":7,\"field\":\"\","
                         "\"reason\":\"line is not valid UTF-8 (byte 0xFF at offset 1)\"}");
    free (json);
    /* Only input_len bytes are the input, whatever follows. */
    json = reject_to_json (&why, "-", 7, "ab\xff", 2);
    assert_non_null (strstr (json, "\"input\":\"ab\"}"));
    free (json);
    /* No input at all. */
    json = reject_to_json (&why, "-", 7, NULL, 0);
    assert_null (strstr (json, "input"));
    free (json);
}

static void
test_to_json_shows_any_source_name (void **state)
{
    (void)state;
    reject_t why;
    reject_set (&why, "type", "required");
    char *json = reject_to_json (&why, NULL, 1, "{}", 2);
    assert_string_equal (json,
                         "{\"source\":null,\"line\":1,\"field\":\"type\","
                         "\"reason\":\"required\",\"input\":\"{}\"}");
    free (json);
    json = reject_to_json (&why, "feed-\xff.jsonl", 1, "{}", 2); /* a file name is any bytes */
    assert_non_null (strstr (json, "\"source\":\"feed-?.jsonl\""));
    free (json);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_set_formats_field_and_reason),
        cmocka_unit_test (test_long_reason_is_cut_on_a_character_boundary),
        cmocka_unit_test (test_to_json_is_one_compact_line),
        cmocka_unit_test (test_to_json_leaves_out_input_that_is_not_utf8),
        cmocka_unit_test (test_to_json_shows_any_source_name),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
