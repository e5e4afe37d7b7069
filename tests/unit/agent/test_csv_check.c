/* csv_check and csv_feed over the shipped example exports: the exact counts, each refused
   row's line and column, the same ids on a second import, and a resumed read that goes on
   exactly where the saved position says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_check.h"
#include "csv_feed.h"
#include "rfc3339.h"

#define S_DIR PARLEY_SOURCE_DIR "/examples/forms/"
#define S_NOW (rfc3339_days_from_civil (2026, 12, 1) * RFC3339_US_PER_DAY)

static csv_mapping_t *
s_mapping (const char *path)
{
    char err[512];
    csv_mapping_t *m = csv_mapping_load (path, err, sizeof err);
    if (!m)
        fail_msg ("%s", err);
    return m;
}

typedef struct {
    uint64_t line;
    const char *field;
    const char *reason_start;
} s_reject_t;

static void
s_expect_report (const char *mapping,
                 const char *csv,
                 uint64_t rows,
                 uint64_t accepted,
                 uint64_t amended,
                 const s_reject_t *rejects,
                 size_t nrejects)
{
    csv_mapping_t *m = s_mapping (mapping);
    csv_check_report_t r;
    assert_int_equal (csv_check_file (csv, m, S_NOW, &r), 0);
    assert_int_equal (r.rows, rows);
    assert_int_equal (r.accepted, accepted);
    assert_int_equal (r.amended, amended);
    assert_int_equal (r.rejected, nrejects);
    /* Every example file's refusals are of different kinds: one example each. */
    assert_int_equal (r.nreasons, nrejects);
    for (size_t i = 0; i < nrejects; i++) {
        assert_int_equal (r.reasons[i].count, 1);
        assert_int_equal (r.reasons[i].examples[0].line, rejects[i].line);
        assert_string_equal (r.reasons[i].field, rejects[i].field);
        if (strncmp (r.reasons[i].examples[0].reason,
                     rejects[i].reason_start,
                     strlen (rejects[i].reason_start)) != 0)
            fail_msg ("line %llu: %s",
                      (unsigned long long)rejects[i].line,
                      r.reasons[i].examples[0].reason);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    csv_check_print (&r, "export.csv", out);
    fclose (out);
    assert_non_null (strstr (text, "rows read"));
    free (text);
    csv_check_report_fini (&r);
    csv_mapping_destroy (&m);
}

static void
test_the_google_example_gives_the_expected_report (void **state)
{
    (void)state;
    static const s_reject_t rejects[] = {
        { 21, "", "malformed CSV on line 21, field 12: a quote inside an unquoted field" },
        { 51, "Constituency", "constituency.name: \"Newcastle Central\" is not the name" },
        { 52, "How receptive were they?", "stance: \"Quite keen\" is not a label of [stance]" },
        { 53, "Who did you meet?", "stakeholder.name: is empty" },
        { 54, "Timestamp", "reported_at: \"31/02/2026 10:00:00\" is not a calendar date" },
        { 55, "Topics discussed", "topics: \"Council tax\" is not a label of [topics]" },
    };
    s_expect_report (
      S_DIR "google-engagement-log.ini", S_DIR "google-engagement-log.csv", 38, 32, 0, rejects, 6);
}

static void
test_the_microsoft_example_gives_the_expected_report (void **state)
{
    (void)state;
    static const s_reject_t rejects[] = {
        { 39, "Their role", "stakeholder.role: \"Other\" is not a label of [role]" },
        { 40, "Constituency", "constituency.name: \"Brighton Kemptown\" is not the name" },
        { 41, "Follow-up?", "follow_up: \"Maybe\" is not yes or no" },
        { 42, "Completion time", "submitted_at: \"soon\" is not a date and time" },
    };
    s_expect_report (S_DIR "msforms-member-meetings.ini",
                     S_DIR "msforms-member-meetings.csv",
                     32,
                     28,
                     4,
                     rejects,
                     4);
}

static void
test_a_header_that_does_not_fit_the_mapping_is_one_error (void **state)
{
    (void)state;
    csv_mapping_t *m = s_mapping (S_DIR "msforms-member-meetings.ini");
    csv_check_report_t r;
    assert_int_equal (csv_check_file (S_DIR "google-engagement-log.csv", m, S_NOW, &r), -1);
    assert_string_equal (r.error,
                         S_DIR "google-engagement-log.csv line 1 (header): column \"Last modified "
                               "time\" (for reported_at) is not in the header");
    csv_check_report_fini (&r);
    assert_int_equal (csv_check_file ("/nonexistent.csv", m, S_NOW, &r), -1);
    assert_string_equal (r.error,
                         "could not open input \"/nonexistent.csv\": No such file or directory");
    csv_check_report_fini (&r);
    csv_mapping_destroy (&m);
}

typedef struct {
    csv_feed_status_t st;
    uint64_t line, end_offset, end_line;
    char id[40];
} s_item_t;

static size_t
s_read_feed (const csv_mapping_t *m,
             const char *path,
             uint64_t offset,
             uint64_t lines,
             s_item_t *items,
             size_t max)
{
    char err[512];
    csv_feed_t *feed = csv_feed_open (path, m, err, sizeof err);
    if (!feed)
        fail_msg ("%s", err);
    csv_feed_resume (feed, offset, lines);
    size_t n = 0;
    for (;;) {
        csv_feed_item_t item;
        csv_feed_status_t st = csv_feed_next (feed, S_NOW, &item);
        if (st == CSV_FEED_EOF)
            break;
        assert_true (st == CSV_FEED_EVENT || st == CSV_FEED_REJECT);
        assert_true (n < max);
        items[n] = (s_item_t){ st, item.line, item.end_offset, item.end_line, "" };
        if (st == CSV_FEED_EVENT)
            snprintf (items[n].id, sizeof items[n].id, "%s", item.event.event_id);
        n++;
    }
    csv_feed_destroy (&feed);
    return n;
}

static void
test_re_import_and_resume_give_the_same_rows_and_ids (void **state)
{
    (void)state;
    static const char *maps[] = { S_DIR "google-engagement-log.ini",
                                  S_DIR "msforms-member-meetings.ini" };
    static const char *csvs[] = { S_DIR "google-engagement-log.csv",
                                  S_DIR "msforms-member-meetings.csv" };
    for (size_t f = 0; f < 2; f++) {
        csv_mapping_t *m = s_mapping (maps[f]);
        static s_item_t a[64], b[64], c[64];
        size_t na = s_read_feed (m, csvs[f], 0, 0, a, 64);
        size_t nb = s_read_feed (m, csvs[f], 0, 0, b, 64);
        assert_int_equal (na, nb);
        for (size_t i = 0; i < na; i++) {
            assert_int_equal (a[i].st, b[i].st);
            assert_string_equal (a[i].id, b[i].id);
        }
        /* Resume after every item in turn: the rest is exactly the same. */
        for (size_t k = 0; k < na; k++) {
            size_t nc = s_read_feed (m, csvs[f], a[k].end_offset, a[k].end_line, c, 64);
            assert_int_equal (nc, na - k - 1);
            for (size_t i = 0; i < nc; i++) {
                assert_int_equal (c[i].st, a[k + 1 + i].st);
                assert_int_equal (c[i].line, a[k + 1 + i].line);
                assert_int_equal (c[i].end_offset, a[k + 1 + i].end_offset);
                assert_string_equal (c[i].id, a[k + 1 + i].id);
            }
        }
        csv_mapping_destroy (&m);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_google_example_gives_the_expected_report),
        cmocka_unit_test (test_the_microsoft_example_gives_the_expected_report),
        cmocka_unit_test (test_a_header_that_does_not_fit_the_mapping_is_one_error),
        cmocka_unit_test (test_re_import_and_resume_give_the_same_rows_and_ids),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
