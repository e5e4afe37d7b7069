/* webhook_body: a webhook request's body is split into its events by Content-Type (one
   event, an array, JSON lines), each event handed on byte for byte less the white space
   between tokens, a body that is not JSON refused naming where, and the answer's status
   and per-event results follow from the verdicts (agent/webhook_body.h). */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "webhook_body.h"

static void
s_split_ok (webhook_body_t *body, webhook_format_t format, const char *text)
{
    int rc = webhook_body_split (body, format, text, strlen (text));
    if (rc != 0)
        fail_msg ("split failed: %d %s", body->status, body->error);
}

static void
s_assert_event (const webhook_body_t *body, size_t i, const char *want)
{
    assert_true (i < body->count);
    char got[4096];
    snprintf (got, sizeof got, "%.*s", (int)body->events[i].len, body->events[i].data);
    assert_string_equal (got, want);
}

static void
test_content_types_choose_the_format_and_others_are_refused (void **state)
{
    webhook_format_t f;
    assert_int_equal (webhook_format_of ("application/json", &f), 0);
    assert_int_equal (f, WEBHOOK_JSON);
    assert_int_equal (webhook_format_of ("Application/JSON; charset=utf-8", &f), 0);
    assert_int_equal (f, WEBHOOK_JSON);
    assert_int_equal (webhook_format_of ("application/x-ndjson", &f), 0);
    assert_int_equal (f, WEBHOOK_JSON_LINES);
    assert_int_equal (webhook_format_of ("application/jsonl ; charset=UTF-8", &f), 0);
    assert_int_equal (f, WEBHOOK_JSON_LINES);
    assert_int_equal (webhook_format_of ("text/plain", &f), -1);
    assert_int_equal (webhook_format_of ("application/jsonx", &f), -1);
    assert_int_equal (webhook_format_of (NULL, &f), -1);
}

static void
test_one_object_is_one_event_compacted_with_strings_kept (void **state)
{
    webhook_body_t body;
    s_split_ok (&body,
                WEBHOOK_JSON,
                "\xEF\xBB\xBF {\n  \"event_id\" : \"A b\",\n  \"notes\": \"two  spaces, a \\\" "
                "and \\\\\",\n  \"n\": [ 1.50 , -2e3 ] }\n");
    assert_int_equal (body.count, 1);
    s_assert_event (
      &body,
      0,
      "{\"event_id\":\"A b\",\"notes\":\"two  spaces, a \\\" and \\\\\",\"n\":[1.50,-2e3]}");
    webhook_body_fini (&body);
}

static void
test_an_array_is_its_elements_in_order_repeated_keys_kept (void **state)
{
    webhook_body_t body;
    s_split_ok (&body,
                WEBHOOK_JSON,
                "[ {\"a\": 1, \"a\": 2},\n\t{\"b\": \"]},{\"}, {\"c\": {\"d\": [ ]}}, 7, \"x\" ]");
    assert_int_equal (body.count, 5);
    s_assert_event (&body, 0, "{\"a\":1,\"a\":2}");
    s_assert_event (&body, 1, "{\"b\":\"]},{\"}");
    s_assert_event (&body, 2, "{\"c\":{\"d\":[]}}");
    s_assert_event (&body, 3, "7"); /* not an event: the v1 rules say so, per event */
    s_assert_event (&body, 4, "\"x\"");
    webhook_body_fini (&body);
}

static void
test_json_lines_are_lines_blank_ones_skipped_crlf_dropped (void **state)
{
    webhook_body_t body;
    s_split_ok (
      &body, WEBHOOK_JSON_LINES, "{\"a\": 1}\r\n\n  \t\n{ \"b\" :2}\nnot json\n{\"c\":3}");
    assert_int_equal (body.count, 4);
    s_assert_event (&body, 0, "{\"a\": 1}");
    s_assert_event (&body, 1, "{ \"b\" :2}"); /* as written */
    s_assert_event (&body, 2, "not json");    /* one event, rejected by the rules */
    s_assert_event (&body, 3, "{\"c\":3}");
    webhook_body_fini (&body);
}

static void
test_a_body_that_is_not_json_is_refused_naming_the_line_and_column (void **state)
{
    webhook_body_t body;
    static const char text[] = "[{\"a\":1},\n {\"b\": }]";
    assert_int_equal (webhook_body_split (&body, WEBHOOK_JSON, text, strlen (text)), -1);
    assert_int_equal (body.status, 400);
    assert_non_null (strstr (body.error, "the body is not JSON"));
    assert_non_null (strstr (body.error, "line 2, column"));
    webhook_body_fini (&body);
}

static void
test_json_lines_sent_as_json_say_which_type_to_use (void **state)
{
    webhook_body_t body;
    static const char text[] = "{\"a\":1}\n{\"b\":2}\n";
    assert_int_equal (webhook_body_split (&body, WEBHOOK_JSON, text, strlen (text)), -1);
    assert_int_equal (body.status, 400);
    assert_non_null (strstr (body.error, "line 2"));
    assert_non_null (strstr (body.error, "application/x-ndjson"));
    webhook_body_fini (&body);
}

typedef struct {
    webhook_format_t format;
    const char *body;
    int status;
    const char *error;
} s_refusal_t;

static void
test_bodies_without_events_are_refused (void **state)
{
    static const s_refusal_t rows[] = {
        { WEBHOOK_JSON, "", 400, "the body is empty" },
        { WEBHOOK_JSON, " \r\n\t", 400, "the body is empty" },
        { WEBHOOK_JSON_LINES, "\n\n", 400, "the body is empty" },
        { WEBHOOK_JSON, "[]", 400, "the array holds no events" },
        { WEBHOOK_JSON, "42", 400, "expected an event (a JSON object) or an array of events" },
        { WEBHOOK_JSON, "\"{}\"", 400, "expected an event" },
        { WEBHOOK_JSON, "{\"a\":\"\xff\"}", 400, "the body is not JSON" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        webhook_body_t body;
        int rc = webhook_body_split (&body, rows[i].format, rows[i].body, strlen (rows[i].body));
        assert_int_equal (rc, -1);
        assert_int_equal (body.status, rows[i].status);
        if (!strstr (body.error, rows[i].error))
            fail_msg ("row %zu: %s", i, body.error);
        webhook_body_fini (&body);
    }
}

static void
test_a_nul_escape_is_one_events_fault_not_the_bodys (void **state)
{
    webhook_body_t body;
    s_split_ok (&body, WEBHOOK_JSON, "[{\"notes\":\"a\\u0000b\"},{}]");
    assert_int_equal (body.count, 2);
    s_assert_event (&body, 0, "{\"notes\":\"a\\u0000b\"}");
    webhook_body_fini (&body);
}

static void
test_more_events_than_the_limit_are_refused_413 (void **state)
{
    size_t n = WEBHOOK_EVENTS_MAX + 1;
    char *text = malloc (n * 3 + 2);
    char *p = text;
    *p++ = '[';
    for (size_t i = 0; i < n; i++) {
        memcpy (p, "{},", 3);
        p += 3;
    }
    p[-1] = ']';
    *p = '\0';
    webhook_body_t body;
    assert_int_equal (webhook_body_split (&body, WEBHOOK_JSON, text, strlen (text)), -1);
    assert_int_equal (body.status, 413);
    webhook_body_fini (&body);
    for (char *c = text; *c; c++)
        if (*c == ',')
            *c = '\n';
    assert_int_equal (webhook_body_split (&body, WEBHOOK_JSON_LINES, text + 1, strlen (text) - 2),
                      -1);
    assert_int_equal (body.status, 413);
    webhook_body_fini (&body);
    free (text);
}

static void
test_the_event_id_is_read_in_lower_case (void **state)
{
    char id[EVENT_ID_LEN + 1];
    static const char ev[] = "{\"stakeholder\":{\"event_id\":\"x\"},"
                             "\"event_id\":\"6F1C2B4E-9A3D-4E5F-8B7C-1D2E3F4A5B6C\"}";
    assert_int_equal (webhook_event_id (ev, strlen (ev), id), 0);
    assert_string_equal (id, "6f1c2b4e-9a3d-4e5f-8b7c-1d2e3f4a5b6c");
    assert_int_equal (webhook_event_id ("{}", 2, id), -1);
    assert_string_equal (id, "");
}

/* The answer for verdicts given as a string: a accepted, r rejected, n not taken. */
static json_t *
s_answer (const char *verdicts, int *status, bool *retry)
{
    size_t n = strlen (verdicts);
    webhook_result_t *results = calloc (n, sizeof *results);
    for (size_t i = 0; i < n; i++) {
        if (verdicts[i] == 'a')
            webhook_result_set (
              &results[i], WEBHOOK_ACCEPTED, "9b2d4c1a-0e3f-4a5b-9c8d-7e6f5a4b3c2d", NULL, NULL);
        else if (verdicts[i] == 'r')
            webhook_result_set (&results[i], WEBHOOK_REJECTED, NULL, "stance", "must be \"x\"");
        else
            webhook_result_set (&results[i], WEBHOOK_NOT_TAKEN, NULL, NULL, "the spool is full");
    }
    size_t len;
    char *text = webhook_answer (results, n, status, retry, &len);
    assert_int_equal (strlen (text), len);
    json_error_t err;
    json_t *obj = json_loads (text, 0, &err);
    assert_non_null (obj);
    free (text);
    for (size_t i = 0; i < n; i++)
        webhook_result_fini (&results[i]);
    free (results);
    return obj;
}

typedef struct {
    const char *verdicts;
    int status;
    bool retry;
    bool error;
} s_status_row_t;

static void
test_the_status_follows_from_the_verdicts (void **state)
{
    static const s_status_row_t rows[] = {
        { "a", 200, false, false },  { "aaa", 200, false, false }, { "ar", 207, false, false },
        { "ran", 207, true, false }, { "an", 207, true, false },   { "r", 400, false, true },
        { "rrr", 400, false, true }, { "n", 503, true, true },     { "rn", 503, true, true },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int status;
        bool retry;
        json_t *obj = s_answer (rows[i].verdicts, &status, &retry);
        if (status != rows[i].status || retry != rows[i].retry)
            fail_msg ("%s: status %d retry %d", rows[i].verdicts, status, retry);
        assert_int_equal (json_object_get (obj, "error") != NULL, rows[i].error);
        json_decref (obj);
    }
}

static void
test_each_event_has_one_result_in_order_with_its_fields (void **state)
{
    int status;
    bool retry;
    json_t *obj = s_answer ("arn", &status, &retry);
    assert_int_equal (json_integer_value (json_object_get (obj, "accepted")), 1);
    assert_int_equal (json_integer_value (json_object_get (obj, "rejected")), 1);
    assert_int_equal (json_integer_value (json_object_get (obj, "not_taken")), 1);
    json_t *results = json_object_get (obj, "results");
    assert_int_equal (json_array_size (results), 3);
    char *text = json_dumps (results, JSON_COMPACT);
    assert_string_equal (
      text,
      "[{\"index\":1,\"status\":\"accepted\",\"event_id\":\"9b2d4c1a-0e3f-4a5b-9c8d-7e6f5a4b3c2d\"}"
      ","
      "{\"index\":2,\"status\":\"rejected\",\"field\":\"stance\",\"reason\":\"must be \\\"x\\\"\"},"
      "{\"index\":3,\"status\":\"not_taken\",\"reason\":\"the spool is full\"}]");
    free (text);
    json_decref (obj);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_content_types_choose_the_format_and_others_are_refused),
        cmocka_unit_test (test_one_object_is_one_event_compacted_with_strings_kept),
        cmocka_unit_test (test_an_array_is_its_elements_in_order_repeated_keys_kept),
        cmocka_unit_test (test_json_lines_are_lines_blank_ones_skipped_crlf_dropped),
        cmocka_unit_test (test_a_body_that_is_not_json_is_refused_naming_the_line_and_column),
        cmocka_unit_test (test_json_lines_sent_as_json_say_which_type_to_use),
        cmocka_unit_test (test_bodies_without_events_are_refused),
        cmocka_unit_test (test_a_nul_escape_is_one_events_fault_not_the_bodys),
        cmocka_unit_test (test_more_events_than_the_limit_are_refused_413),
        cmocka_unit_test (test_the_event_id_is_read_in_lower_case),
        cmocka_unit_test (test_the_status_follows_from_the_verdicts),
        cmocka_unit_test (test_each_event_has_one_result_in_order_with_its_fields),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
