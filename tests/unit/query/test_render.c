/* The `parley` CLI's renderings (render.c) and the report's hex geometry (report.c). The MP
   list's checks are tests/unit/common/test_mp_list.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stakeholder.h"
#include "render.h"
#include "report.h"

/* Runs fn(rs, file) into a string. Caller frees. */
static char *
s_capture (void (*fn) (const resultset_t *, FILE *), const resultset_t *rs)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&buf, &len);
    fn (rs, f);
    fclose (f);
    return buf;
}

static void
s_table80 (const resultset_t *rs, FILE *f)
{
    render_table (rs, f, "(empty)");
}

static resultset_t *
s_people (void)
{
    const char *names[] = { "name", "n", "mean", "ok" };
    const column_type_t types[] = { COLUMN_TEXT, COLUMN_INT, COLUMN_REAL, COLUMN_BOOL };
    resultset_t *rs = resultset_new (4, names, types);
    const char *r1[] = { "Brighton, Kemptown and Peacehaven", "12", "0.6666666666666667", "t" };
    const char *r2[] = { "say \"hi\"\nthere", "-3", NULL, "f" };
    const char *r3[] = { "", "0", "2", NULL };
    resultset_add_row (rs, r1);
    resultset_add_row (rs, r2);
    resultset_add_row (rs, r3);
    return rs;
}

static void
test_csv_quotes_commas_quotes_and_newlines_and_ends_lines_with_crlf (void **state)
{
    (void)state;
    resultset_t *rs = s_people ();
    char *out = s_capture (render_csv, rs);
    assert_string_equal (out,
                         "name,n,mean,ok\r\n"
                         "\"Brighton, Kemptown and Peacehaven\",12,0.6666666666666667,t\r\n"
                         "\"say \"\"hi\"\"\nthere\",-3,,f\r\n"
                         "\"\",0,2,\r\n");
    free (out);
    resultset_destroy (&rs);
    assert_null (rs);
}

static void
test_json_is_an_array_of_objects_with_numbers_as_numbers_and_null_as_null (void **state)
{
    (void)state;
    resultset_t *rs = s_people ();
    char *out = s_capture (render_json, rs);
    json_error_t err;
    json_t *doc = json_loads (out, 0, &err);
    assert_non_null (doc);
    assert_true (json_is_array (doc));
    assert_int_equal (json_array_size (doc), 3);
    json_t *first = json_array_get (doc, 0);
    assert_string_equal (json_string_value (json_object_get (first, "name")),
                         "Brighton, Kemptown and Peacehaven");
    assert_true (json_is_integer (json_object_get (first, "n")));
    assert_int_equal (json_integer_value (json_object_get (first, "n")), 12);
    assert_true (json_is_real (json_object_get (first, "mean")));
    assert_true (fabs (json_real_value (json_object_get (first, "mean")) - 2.0 / 3.0) < 1e-12);
    assert_true (json_is_true (json_object_get (first, "ok")));
    json_t *second = json_array_get (doc, 1);
    assert_int_equal (json_integer_value (json_object_get (second, "n")), -3);
    assert_true (json_is_null (json_object_get (second, "mean")));
    assert_true (json_is_false (json_object_get (second, "ok")));
    assert_string_equal (json_string_value (json_object_get (second, "name")), "say \"hi\"\nthere");
    assert_true (json_is_null (json_object_get (json_array_get (doc, 2), "ok")));
    json_decref (doc);
    free (out);
    resultset_destroy (&rs);
}

static void
test_table_only_and_hidden_columns_go_to_their_own_renderings (void **state)
{
    (void)state;
    resultset_t *rs = s_people ();
    resultset_table_only (rs, 0);
    resultset_hide_in_table (rs, 1);
    char *csv = s_capture (render_csv, rs);
    assert_true (strncmp (csv, "n,mean,ok\r\n", 11) == 0);
    char *table = s_capture (s_table80, rs);
    assert_non_null (strstr (table, "name"));
    assert_null (strstr (table, "-3"));
    free (csv);
    free (table);
    resultset_destroy (&rs);
}

/* Every line of a rendered table is at most 80 columns, and numbers are never cut. */
static void
test_wide_table_fits_80_columns_cutting_text_not_numbers (void **state)
{
    (void)state;
    const char *names[] = { "constituency", "mp", "party", "conversations", "stakeholder" };
    const column_type_t types[] = {
        COLUMN_TEXT, COLUMN_TEXT, COLUMN_TEXT, COLUMN_INT, COLUMN_TEXT
    };
    resultset_t *rs = resultset_new (5, names, types);
    const char *r1[] = { "Birmingham Hodge Hill and Solihull North",
                         "Liam Byrne",
                         "Labour",
                         "1234567",
                         "Rt Hon Somebody With A Very Long Name Indeed MP" };
    const char *r2[] = { "Ynys Môn", "Llinos Medi", "Plaid Cymru", "7", "Cllr Ann Lee" };
    resultset_add_row (rs, r1);
    resultset_add_row (rs, r2);
    char *out = s_capture (s_table80, rs);
    assert_non_null (strstr (out, "1234567"));
    assert_non_null (strstr (out, "\xe2\x80\xa6")); /* something was cut, with an ellipsis */
    assert_non_null (strstr (out, "Ynys Môn"));
    for (char *line = strtok (out, "\n"); line; line = strtok (NULL, "\n"))
        assert_true (render_text_width (line) <= RENDER_WIDTH);
    free (out);
    resultset_destroy (&rs);
}

/* A table that cannot fit even with its text cut is shown as one block per row. */
static void
test_too_many_number_columns_fall_back_to_expanded_rows (void **state)
{
    (void)state;
    const char *names[12];
    column_type_t types[12];
    const char *row[12];
    char nm[12][24];
    for (int i = 0; i < 12; i++) {
        snprintf (nm[i], sizeof nm[i], "councillor_count_%d", i);
        names[i] = nm[i];
        types[i] = COLUMN_INT;
        row[i] = "42";
    }
    resultset_t *rs = resultset_new (12, names, types);
    resultset_add_row (rs, row);
    char *out = s_capture (s_table80, rs);
    assert_non_null (strstr (out, "councillor_count_11  42\n"));
    for (char *line = strtok (out, "\n"); line; line = strtok (NULL, "\n"))
        assert_true (render_text_width (line) <= RENDER_WIDTH);
    free (out);
    resultset_destroy (&rs);
}

static void
test_empty_result_prints_the_note_in_tables_and_a_header_in_csv (void **state)
{
    (void)state;
    const char *names[] = { "topic", "conversations" };
    const column_type_t types[] = { COLUMN_TEXT, COLUMN_INT };
    resultset_t *rs = resultset_new (2, names, types);
    char *t = s_capture (s_table80, rs), *c = s_capture (render_csv, rs),
         *j = s_capture (render_json, rs);
    assert_string_equal (t, "(empty)\n");
    assert_string_equal (c, "topic,conversations\r\n");
    assert_string_equal (j, "[]\n");
    free (t);
    free (c);
    free (j);
    resultset_destroy (&rs);
}

static void
test_table_shows_control_and_bidi_characters_as_spaces_and_csv_keeps_them (void **state)
{
    (void)state;
    const char *names[] = { "name", "n" };
    const column_type_t types[] = { COLUMN_TEXT, COLUMN_INT };
    resultset_t *rs = resultset_new (2, names, types);
    /* tab, newline, ESC, DEL, C1 CSI (U+009B), RLO (U+202E), LRI (U+2066), ALM (U+061C),
       LINE SEPARATOR (U+2028), then a 4-byte character that must stay. */
    const char *r1[] = { "a\tb\nc\x1b[31md\x7f"
                         "e\xc2\x9b"
                         "2Jf\xe2\x80\xaeg\xe2\x81\xa6h"
                         "\xd8\x9ci\xe2\x80\xa8j\xf0\x9f\x98\x80",
                         "1" };
    resultset_add_row (rs, r1);
    char *t = s_capture (s_table80, rs), *c = s_capture (render_csv, rs);
    assert_string_equal (t,
                         "name                        n\n"
                         "--------------------------  -\n"
                         "a b c [31md e 2Jf g h i j\xf0\x9f\x98\x80  1\n");
    assert_string_equal (c,
                         "name,n\r\n\"a\tb\nc\x1b[31md\x7f"
                         "e\xc2\x9b"
                         "2Jf\xe2\x80\xaeg\xe2\x81\xa6h"
                         "\xd8\x9ci\xe2\x80\xa8j\xf0\x9f\x98\x80\",1\r\n");
    free (t);
    free (c);
    resultset_destroy (&rs);
}

static void
test_text_cut_keeps_whole_utf8_characters (void **state)
{
    (void)state;
    char *a = render_text_cut ("Ynys Môn", 5);
    assert_string_equal (a, "Ynys\xe2\x80\xa6"); /* "Ynys " trimmed before the ellipsis */
    char *b = render_text_cut ("Môn", 3);
    assert_string_equal (b, "Môn");
    char *c = render_text_cut ("Glyndŵr", 6);
    assert_string_equal (c, "Glynd\xe2\x80\xa6");
    assert_int_equal (render_text_width ("Glyndŵr"), 7);
    free (a);
    free (b);
    free (c);
}

static void
test_thousands_and_bars (void **state)
{
    (void)state;
    char *a = render_thousands (1000000), *b = render_thousands (999),
         *c = render_thousands (-12345);
    assert_string_equal (a, "1,000,000");
    assert_string_equal (b, "999");
    assert_string_equal (c, "-12,345");
    char *bar = render_bar (0.5, 10), *full = render_bar (1.7, 4), *none = render_bar (-1, 4);
    assert_string_equal (bar, "[#####.....]");
    assert_string_equal (full, "[####]");
    assert_string_equal (none, "[....]");
    free (a), free (b), free (c), free (bar), free (full), free (none);
}

static void
test_format_names_follow_render_format_t (void **state)
{
    (void)state;
    assert_string_equal (render_format_names[RENDER_TABLE], "table");
    assert_string_equal (render_format_names[RENDER_CSV], "csv");
    assert_string_equal (render_format_names[RENDER_JSON], "json");
    assert_null (render_format_names[RENDER_JSON + 1]);
}

/* odd-r: rows with r % 2 != 0 (negative r included) shift half a hex right; y = -r. */
static void
test_hex_center_shifts_odd_rows_including_negative_ones (void **state)
{
    (void)state;
    double w = sqrt (3.0) * 10.0, x, y;
    report_hex_center (50, 0, 10.0, &x, &y);
    assert_true (fabs (x - 50 * w) < 1e-9);
    assert_true (fabs (y) < 1e-9);
    report_hex_center (50, -1, 10.0, &x, &y);
    assert_true (fabs (x - 50.5 * w) < 1e-9);
    assert_true (fabs (y - 15.0) < 1e-9);
    report_hex_center (50, -46, 10.0, &x, &y);
    assert_true (fabs (x - 50 * w) < 1e-9);
    assert_true (fabs (y - 690.0) < 1e-9);
    report_hex_center (50, -3, 10.0, &x, &y);
    assert_true (fabs (x - 50.5 * w) < 1e-9);
}

static void
test_stance_words (void **state)
{
    (void)state;
    assert_string_equal (stakeholder_stance_word (-2), "opposed");
    assert_string_equal (stakeholder_stance_word (-1), "sceptical");
    assert_string_equal (stakeholder_stance_word (2), "champion");
    assert_null (stakeholder_stance_word (3));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_csv_quotes_commas_quotes_and_newlines_and_ends_lines_with_crlf),
        cmocka_unit_test (
          test_json_is_an_array_of_objects_with_numbers_as_numbers_and_null_as_null),
        cmocka_unit_test (test_table_only_and_hidden_columns_go_to_their_own_renderings),
        cmocka_unit_test (test_wide_table_fits_80_columns_cutting_text_not_numbers),
        cmocka_unit_test (test_too_many_number_columns_fall_back_to_expanded_rows),
        cmocka_unit_test (test_empty_result_prints_the_note_in_tables_and_a_header_in_csv),
        cmocka_unit_test (
          test_table_shows_control_and_bidi_characters_as_spaces_and_csv_keeps_them),
        cmocka_unit_test (test_text_cut_keeps_whole_utf8_characters),
        cmocka_unit_test (test_thousands_and_bars),
        cmocka_unit_test (test_format_names_follow_render_format_t),
        cmocka_unit_test (test_hex_center_shifts_odd_rows_including_negative_ones),
        cmocka_unit_test (test_stance_words),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
