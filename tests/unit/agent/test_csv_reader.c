/* csv_reader: every RFC 4180 corner (quoted commas, doubled quotes, line breaks in fields,
   CRLF/LF/CR), a UTF-8 BOM, rows only once complete, physical line numbers and offsets,
   bad rows that do not stop the good ones around them, and resuming at a saved position.
   Every input is also fed one byte at a time, which must give exactly the same rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_reader.h"

#define S_MAX 64

/* One thing the reader said, flattened for comparison: "H|a|b" for a header, "R|a|b" for a
   row (fields joined by '|'), "B|reason" for a bad row; with lines and offsets. */
typedef struct {
    char text[1024];
    uint64_t line, end_line, offset, end_offset;
    char raw[256];
} s_item_t;

typedef struct {
    s_item_t items[S_MAX];
    size_t count;
    uint64_t pos_offset, pos_lines;
} s_result_t;

static void
s_take (csv_reader_t *r, s_result_t *out)
{
    for (;;) {
        csv_row_t row;
        reject_t why;
        csv_reader_status_t st = csv_reader_next (r, &row, &why);
        if (st == CSV_READER_MORE || st == CSV_READER_END)
            return;
        assert_true (out->count < S_MAX);
        s_item_t *it = &out->items[out->count++];
        size_t n = 0;
        n += (size_t)snprintf (it->text + n,
                               sizeof it->text - n,
                               "%s",
                               st == CSV_READER_HEADER ? "H"
                               : st == CSV_READER_ROW  ? "R"
                                                       : "B");
        if (st == CSV_READER_BAD) {
            assert_string_equal (why.field, "");
            snprintf (it->text + n, sizeof it->text - n, "|%s", why.reason);
        } else
            for (size_t i = 0; i < row.count; i++) {
                assert_int_equal (strlen (row.fields[i]), row.lens[i]);
                n += (size_t)snprintf (it->text + n, sizeof it->text - n, "|%s", row.fields[i]);
            }
        it->line = row.line;
        it->end_line = row.end_line;
        it->offset = row.offset;
        it->end_offset = row.end_offset;
        snprintf (it->raw, sizeof it->raw, "%.*s", (int)row.raw_len, row.raw);
        assert_int_equal (row.raw_len, row.end_offset - row.offset);
    }
}

/* Reads csv in chunks of chunk bytes (0: all at once), then finishes. */
static void
s_read (const char *csv,
        size_t len,
        size_t chunk,
        const csv_reader_options_t *opts,
        s_result_t *out)
{
    memset (out, 0, sizeof *out);
    csv_reader_t *r = csv_reader_new (opts);
    if (chunk == 0)
        chunk = len ? len : 1;
    for (size_t at = 0; at < len; at += chunk) {
        csv_reader_feed (r, csv + at, len - at < chunk ? len - at : chunk);
        s_take (r, out);
    }
    csv_reader_finish (r);
    s_take (r, out);
    csv_row_t row;
    reject_t why;
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_END);
    csv_reader_position (r, &out->pos_offset, &out->pos_lines);
    csv_reader_destroy (&r);
    assert_null (r);
}

/* Reads whole and byte by byte, checks both agree, returns the whole reading. */
static void
s_read_both (const char *csv, size_t len, const csv_reader_options_t *opts, s_result_t *out)
{
    static s_result_t bytewise;
    s_read (csv, len, 0, opts, out);
    s_read (csv, len, 1, opts, &bytewise);
    assert_int_equal (out->count, bytewise.count);
    for (size_t i = 0; i < out->count; i++) {
        assert_string_equal (out->items[i].text, bytewise.items[i].text);
        assert_int_equal (out->items[i].line, bytewise.items[i].line);
        assert_int_equal (out->items[i].end_line, bytewise.items[i].end_line);
        assert_int_equal (out->items[i].offset, bytewise.items[i].offset);
        assert_int_equal (out->items[i].end_offset, bytewise.items[i].end_offset);
    }
    assert_int_equal (out->pos_offset, bytewise.pos_offset);
    assert_int_equal (out->pos_lines, bytewise.pos_lines);
}

typedef struct {
    const char *text;
    uint64_t line, end_line;
} s_want_t;

static void
s_expect (const s_result_t *got, const s_want_t *want, size_t n)
{
    for (size_t i = 0; i < n && i < got->count; i++) {
        if (strcmp (got->items[i].text, want[i].text) != 0 || got->items[i].line != want[i].line ||
            got->items[i].end_line != want[i].end_line)
            fail_msg ("item %zu: got \"%s\" lines %" PRIu64 "-%" PRIu64
                      ", want \"%s\" lines %" PRIu64 "-%" PRIu64,
                      i,
                      got->items[i].text,
                      got->items[i].line,
                      got->items[i].end_line,
                      want[i].text,
                      want[i].line,
                      want[i].end_line);
    }
    assert_int_equal (got->count, n);
}

#define S_LEN(s) (sizeof (s) - 1)

static void
test_plain_rows_with_lf_give_fields_lines_and_offsets (void **state)
{
    (void)state;
    static const char csv[] =
      "Timestamp,Name\n01/03/2026 10:00:00,Jane\n02/03/2026 11:00:00,Ravi\n";
    s_result_t r;
    s_read_both (csv, S_LEN (csv), NULL, &r);
    s_want_t want[] = { { "H|Timestamp|Name", 1, 1 },
                        { "R|01/03/2026 10:00:00|Jane", 2, 2 },
                        { "R|02/03/2026 11:00:00|Ravi", 3, 3 } };
    s_expect (&r, want, 3);
    assert_int_equal (r.items[0].offset, 0);
    assert_int_equal (r.items[0].end_offset, 15);
    assert_int_equal (r.items[1].offset, 15);
    assert_string_equal (r.items[1].raw, "01/03/2026 10:00:00,Jane\n");
    assert_int_equal (r.items[2].end_offset, S_LEN (csv));
    assert_int_equal (r.pos_offset, S_LEN (csv));
    assert_int_equal (r.pos_lines, 3);
}

static void
test_crlf_and_lone_cr_line_ends (void **state)
{
    (void)state;
    static const char crlf[] = "a,b\r\n1,2\r\n3,4\r\n";
    s_result_t r;
    s_read_both (crlf, S_LEN (crlf), NULL, &r);
    s_want_t want[] = { { "H|a|b", 1, 1 }, { "R|1|2", 2, 2 }, { "R|3|4", 3, 3 } };
    s_expect (&r, want, 3);
    assert_int_equal (r.items[1].offset, 5);
    assert_int_equal (r.items[1].end_offset, 10);
    assert_int_equal (r.pos_offset, S_LEN (crlf));

    static const char cr[] = "a,b\r1,2\r3,4\r";
    s_read_both (cr, S_LEN (cr), NULL, &r);
    s_expect (&r, want, 3);
    assert_int_equal (r.items[2].end_offset, S_LEN (cr));
}

static void
test_utf8_bom_is_dropped_from_the_first_header_name (void **state)
{
    (void)state;
    static const char csv[] = "\xEF\xBB\xBFTimestamp,Name\r\n01/03/2026 10:00:00,Siân\r\n";
    s_result_t r;
    s_read_both (csv, S_LEN (csv), NULL, &r);
    s_want_t want[] = { { "H|Timestamp|Name", 1, 1 }, { "R|01/03/2026 10:00:00|Siân", 2, 2 } };
    s_expect (&r, want, 2);
    assert_int_equal (r.items[0].offset, 3);
    /* Only at the very start: a BOM-like sequence later is data. */
    static const char later[] = "a\n\xEF\xBB\xBFx\n";
    s_read_both (later, S_LEN (later), NULL, &r);
    s_want_t want2[] = { { "H|a", 1, 1 }, { "R|\xEF\xBB\xBFx", 2, 2 } };
    s_expect (&r, want2, 2);
}

static void
test_quoted_fields_hold_commas_quotes_and_line_breaks (void **state)
{
    (void)state;
    static const char csv[] = "id,notes,who\n"
                              "1,\"Walked the estate, then tea\",\"Jane \"\"JJ\"\" Smith\"\n"
                              "2,\"Line one\nline two\r\nline three\",Ravi\n"
                              "3,\"\",\"\"\"\"\n"
                              "4,\"a,\"\"b\"\",\nc\",d\n";
    s_result_t r;
    s_read_both (csv, S_LEN (csv), NULL, &r);
    s_want_t want[] = {
        { "H|id|notes|who", 1, 1 },
        { "R|1|Walked the estate, then tea|Jane \"JJ\" Smith", 2, 2 },
        { "R|2|Line one\nline two\nline three|Ravi", 3, 5 }, /* CRLF inside reads as LF */
        { "R|3||\"", 6, 6 },
        { "R|4|a,\"b\",\nc|d", 7, 8 },
    };
    s_expect (&r, want, 5);
    assert_int_equal (r.pos_lines, 8);
}

static void
test_empty_fields_blank_lines_and_empty_rows (void **state)
{
    (void)state;
    static const char csv[] = "a,b,c\n\n1,,3\n,,\n\r\n4,5,\n  \n\"\",\"\",\"\"\n6,7,8\n";
    s_result_t r;
    s_read_both (csv, S_LEN (csv), NULL, &r);
    s_want_t want[] = {
        { "H|a|b|c", 1, 1 }, { "R|1||3", 3, 3 }, { "R|4|5|", 6, 6 }, { "R|6|7|8", 9, 9 }
    };
    s_expect (&r, want, 4);
    assert_int_equal (r.pos_lines, 9);
}

static void
test_blanks_around_unquoted_and_quoted_fields (void **state)
{
    (void)state;
    static const char csv[] = "a,b,c\n 1 , \"x y\" ,3\t\n";
    s_result_t r;
    s_read_both (csv, S_LEN (csv), NULL, &r);
    s_want_t want[] = { { "H|a|b|c", 1, 1 }, { "R|1|x y|3", 2, 2 } };
    s_expect (&r, want, 2);
}

static void
test_a_row_is_yielded_only_once_its_line_has_ended (void **state)
{
    (void)state;
    csv_reader_t *r = csv_reader_new (NULL);
    csv_row_t row;
    reject_t why;
    csv_reader_feed (r, "a,b\n1,\"two", 10);
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_HEADER);
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_MORE);
    csv_reader_feed (r, " lines\n", 7); /* the quote is still open: not complete */
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_MORE);
    csv_reader_feed (r, "here\"", 5); /* closed, but no line end yet */
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_MORE);
    uint64_t off, lines;
    csv_reader_position (r, &off, &lines);
    assert_int_equal (off, 4); /* past the header only */
    assert_int_equal (lines, 1);
    csv_reader_feed (r, "\r", 1); /* a CR: is an LF coming? */
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_MORE);
    csv_reader_feed (r, "\n2,x", 4);
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_ROW);
    assert_int_equal (row.count, 2);
    assert_string_equal (row.fields[1], "two lines\nhere");
    assert_int_equal (row.line, 2);
    assert_int_equal (row.end_line, 3);
    assert_int_equal (row.end_offset, 4 + 20);
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_MORE);
    csv_reader_finish (r); /* a last line without a line end is complete at the end */
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_ROW);
    assert_string_equal (row.fields[0], "2");
    assert_int_equal (row.line, 4);
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_END);
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_END);
    size_t n;
    const char *const *h = csv_reader_header (r, &n);
    assert_int_equal (n, 2);
    assert_string_equal (h[0], "a");
    assert_string_equal (h[1], "b");
    csv_reader_destroy (&r);
}

static void
test_malformed_rows_are_reported_and_the_good_rows_around_them_read (void **state)
{
    (void)state;
    static const char csv[] = "a,b,c\n"
                              "1,ok,x\n"
                              "2,5\" pipe,x\n"       /* a quote inside an unquoted field */
                              "3,\"closed\"then,x\n" /* text after a closing quote */
                              "4,fine,x\n"
                              "5,\"opened by mistake,x\n" /* runs into the next lines ... */
                              "6,swallowed,x\n"
                              "7,\"quoted\",x\n" /* ... until this quote ends it badly */
                              "8,last,x\n";
    s_result_t r;
    s_read_both (csv, S_LEN (csv), NULL, &r);
    s_want_t want[] = {
        { "H|a|b|c", 1, 1 },
        { "R|1|ok|x", 2, 2 },
        { "B|malformed CSV on line 3, field 2: a quote inside an unquoted field (quote the whole "
          "field and write the quote twice)",
          3,
          3 },
        { "B|malformed CSV on line 4, field 2: text after the closing quote of a quoted field",
          4,
          4 },
        { "R|4|fine|x", 5, 5 },
        { "B|malformed CSV on line 8, field 2: text after the closing quote of a quoted field",
          6,
          6 },
        { "R|6|swallowed|x", 7, 7 }, /* read again from the bad row's second line */
        { "R|7|quoted|x", 8, 8 },
        { "R|8|last|x", 9, 9 },
    };
    s_expect (&r, want, 9);
    assert_string_equal (r.items[2].raw, "2,5\" pipe,x\n");
    assert_int_equal (r.items[2].offset, 13);
    assert_int_equal (r.pos_lines, 9);
}

static void
test_a_quote_left_open_at_the_end_is_a_bad_row_and_the_lines_after_it_are_read (void **state)
{
    (void)state;
    static const char csv[] = "a,b\n1,\"never closed\n2,b\n3,c";
    s_result_t r;
    s_read_both (csv, S_LEN (csv), NULL, &r);
    s_want_t want[] = {
        { "H|a|b", 1, 1 },
        { "B|malformed CSV: a quoted field opened on line 2 is not closed before the end of the "
          "input",
          2,
          2 },
        { "R|2|b", 3, 3 },
        { "R|3|c", 4, 4 },
    };
    s_expect (&r, want, 4);
    assert_int_equal (r.pos_offset, S_LEN (csv));
}

static void
test_rows_too_long_or_too_wide_are_bad_and_memory_stays_bounded (void **state)
{
    (void)state;
    csv_reader_options_t opts = { .row_max = 64, .fields_max = 4 };
    static char csv[4096];
    size_t n = (size_t)snprintf (csv, sizeof csv, "a,b\n1,2,3,4,5\n1,\"");
    memset (csv + n, 'x', 300); /* a quoted field far longer than row_max */
    n += 300;
    n += (size_t)snprintf (csv + n, sizeof csv - n, "\"\n9,9\n");
    s_result_t r;
    s_read_both (csv, n, &opts, &r);
    s_want_t want[] = {
        { "H|a|b", 1, 1 },
        { "B|row has more than 4 fields", 2, 2 },
        { "B|row is longer than 64 bytes (is a quote left open?)", 3, 3 },
        { "R|9|9", 4, 4 },
    };
    s_expect (&r, want, 4);
}

static void
test_resuming_at_a_saved_position_gives_the_same_rows_and_lines (void **state)
{
    (void)state;
    static const char csv[] = "\xEF\xBB\xBFh1,h2\r\n1,\"a\r\nb\"\r\n2,c\r\n\r\n3,d\r\n4,e\r\n";
    s_result_t whole;
    s_read_both (csv, S_LEN (csv), NULL, &whole);
    assert_int_equal (whole.count, 5);
    /* Resume after the row "2,c" (the third item). */
    uint64_t off = whole.items[2].end_offset, lines = whole.items[2].end_line;
    csv_reader_t *r = csv_reader_new (NULL);
    csv_row_t row;
    reject_t why;
    assert_int_equal (csv_reader_resume (r, off, lines), -1); /* no header yet */
    csv_reader_feed (r, csv, 12);                             /* enough for the header */
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_HEADER);
    assert_int_equal (csv_reader_resume (r, off, lines), 0);
    csv_reader_feed (r, csv + off, S_LEN (csv) - off);
    csv_reader_finish (r);
    for (size_t i = 3; i < 5; i++) {
        assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_ROW);
        assert_int_equal (row.line, whole.items[i].line);
        assert_int_equal (row.offset, whole.items[i].offset);
        assert_int_equal (row.end_offset, whole.items[i].end_offset);
    }
    assert_int_equal (row.line, 7);
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_END);
    csv_reader_destroy (&r);
}

static void
test_a_bad_first_row_leaves_the_next_good_one_as_header (void **state)
{
    (void)state;
    static const char csv[] = "a\"b,c\nx,y\n1,2\n";
    s_result_t r;
    s_read_both (csv, S_LEN (csv), NULL, &r);
    assert_int_equal (r.count, 3);
    assert_string_equal (r.items[0].text,
                         "B|malformed CSV on line 1, field 1: a quote inside an unquoted field "
                         "(quote the whole field and write the quote twice)");
    assert_string_equal (r.items[1].text, "H|x|y");
    assert_string_equal (r.items[2].text, "R|1|2");
}

static void
test_empty_input_and_only_a_bom (void **state)
{
    (void)state;
    s_result_t r;
    s_read_both ("", 0, NULL, &r);
    assert_int_equal (r.count, 0);
    s_read_both ("\xEF\xBB\xBF", 3, NULL, &r);
    assert_int_equal (r.count, 0);
    s_read_both ("\n\n\r\n", 4, NULL, &r);
    assert_int_equal (r.count, 0);
    assert_int_equal (r.pos_offset, 4);
    assert_int_equal (r.pos_lines, 3);
}

/* Found by tests/fuzz (fuzz_csv, regressions/csv/empty-feed): feeding no bytes to a reader that
   has no buffer yet passed a null pointer to memcpy (undefined behaviour, caught by asan.*). */
static void
test_feeding_zero_bytes_changes_nothing (void **state)
{
    (void)state;
    static const char empty[1] = { 0 };
    csv_reader_t *r = csv_reader_new (NULL);
    csv_reader_feed (r, empty, 0);
    csv_row_t row;
    reject_t why;
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_MORE);
    csv_reader_feed (r, "a,b\n1,2\n", 8);
    csv_reader_feed (r, empty, 0);
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_HEADER);
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_ROW);
    assert_string_equal (row.fields[1], "2");
    csv_reader_finish (r);
    assert_int_equal (csv_reader_next (r, &row, &why), CSV_READER_END);
    csv_reader_destroy (&r);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_plain_rows_with_lf_give_fields_lines_and_offsets),
        cmocka_unit_test (test_crlf_and_lone_cr_line_ends),
        cmocka_unit_test (test_utf8_bom_is_dropped_from_the_first_header_name),
        cmocka_unit_test (test_quoted_fields_hold_commas_quotes_and_line_breaks),
        cmocka_unit_test (test_empty_fields_blank_lines_and_empty_rows),
        cmocka_unit_test (test_blanks_around_unquoted_and_quoted_fields),
        cmocka_unit_test (test_a_row_is_yielded_only_once_its_line_has_ended),
        cmocka_unit_test (test_malformed_rows_are_reported_and_the_good_rows_around_them_read),
        cmocka_unit_test (
          test_a_quote_left_open_at_the_end_is_a_bad_row_and_the_lines_after_it_are_read),
        cmocka_unit_test (test_rows_too_long_or_too_wide_are_bad_and_memory_stays_bounded),
        cmocka_unit_test (test_resuming_at_a_saved_position_gives_the_same_rows_and_lines),
        cmocka_unit_test (test_a_bad_first_row_leaves_the_next_good_one_as_header),
        cmocka_unit_test (test_empty_input_and_only_a_bom),
        cmocka_unit_test (test_feeding_zero_bytes_changes_nothing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
