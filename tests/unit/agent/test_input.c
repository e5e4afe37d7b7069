/* input: one input's life. Peek then consume; the newline rule with and without --follow;
   a followed file across appends, truncation, rewriting under the read position and
   rotation; positions saved only once durable; a CSV export through its mapping; an input
   without newlines that never holds up the caller. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "log.h"
#include "offsets.h"
#include "rfc3339.h"

#define S_NOW_US (rfc3339_days_from_civil (2026, 12, 1) * RFC3339_US_PER_DAY)

typedef struct {
    char dir[64];
    char path[128];
    offsets_t *offsets;
} s_fx_t;

static int
s_setup (void **state)
{
    s_fx_t *fx = calloc (1, sizeof *fx);
    snprintf (fx->dir, sizeof fx->dir, "/tmp/parley-test-input-XXXXXX");
    assert_non_null (mkdtemp (fx->dir));
    snprintf (fx->path, sizeof fx->path, "%s/feed.jsonl", fx->dir);
    char err[256];
    fx->offsets = offsets_open (fx->dir, err, sizeof err);
    assert_non_null (fx->offsets);
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fx_t *fx = *state;
    offsets_destroy (&fx->offsets);
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    assert_int_equal (system (cmd), 0);
    free (fx);
    return 0;
}

static void
s_put (const char *path, const char *text, const char *mode)
{
    FILE *f = fopen (path, mode);
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
}

static input_t *
s_open (s_fx_t *fx, const char *path, bool follow, const csv_mapping_t *mapping)
{
    input_options_t o = { .follow = follow, .mapping = mapping, .offsets = fx->offsets };
    char err[256];
    input_t *in = input_new (path, &o, err, sizeof err);
    if (!in)
        fail_msg ("%s", err);
    return in;
}

/* The next item must be the line text (consumed). */
static void
s_expect (input_t *in, int64_t now_ms, const char *text)
{
    input_item_t item;
    input_status_t st = input_next (in, now_ms, S_NOW_US, &item);
    if (st != INPUT_ITEM)
        fail_msg ("expected \"%s\", got status %d", text, st);
    assert_int_equal (item.len, strlen (text));
    assert_memory_equal (item.data, text, item.len);
    input_consume (in);
}

static input_status_t
s_next (input_t *in, int64_t now_ms)
{
    input_item_t item;
    return input_next (in, now_ms, S_NOW_US, &item);
}

static void
test_an_item_is_returned_again_until_consumed (void **state)
{
    s_fx_t *fx = *state;
    s_put (fx->path, "{\"a\":1}\n{\"b\":2}\n", "w");
    input_t *in = s_open (fx, fx->path, false, NULL);
    input_item_t a, b;
    assert_int_equal (input_next (in, 0, S_NOW_US, &a), INPUT_ITEM);
    assert_int_equal (input_next (in, 0, S_NOW_US, &b), INPUT_ITEM);
    assert_int_equal (a.line, 1);
    assert_int_equal (b.line, 1);
    assert_memory_equal (b.data, "{\"a\":1}", 7);
    assert_int_equal (b.end_offset, 8);
    input_consume (in);
    s_expect (in, 0, "{\"b\":2}");
    assert_int_equal (s_next (in, 0), INPUT_FILE_END);
    input_next_file (in);
    assert_int_equal (s_next (in, 0), INPUT_END);
    input_destroy (&in);
    assert_null (in);
}

static void
test_without_follow_the_unterminated_last_line_is_taken_at_the_end (void **state)
{
    s_fx_t *fx = *state;
    s_put (fx->path, "{\"a\":1}\n{\"b\":", "w");
    input_t *in = s_open (fx, fx->path, false, NULL);
    s_expect (in, 0, "{\"a\":1}");
    s_expect (in, 0, "{\"b\":");
    assert_int_equal (s_next (in, 0), INPUT_FILE_END);
    input_destroy (&in);
}

static void
test_following_an_unterminated_line_waits_for_its_newline (void **state)
{
    s_fx_t *fx = *state;
    s_put (fx->path, "{\"a\":1}\n{\"b\":", "w");
    input_t *in = s_open (fx, fx->path, true, NULL);
    s_expect (in, 0, "{\"a\":1}");
    assert_int_equal (s_next (in, 0), INPUT_WAIT);
    assert_false (input_is_ready (in));
    /* The writer is still at it: a change notice, and more of the line. */
    s_put (fx->path, "2", "a");
    input_notify (in, IN_MODIFY, 10);
    assert_true (input_is_ready (in));
    assert_int_equal (s_next (in, 10), INPUT_WAIT);
    s_put (fx->path, "}\n{\"c\":3}\n", "a");
    input_notify (in, IN_MODIFY, 20);
    s_expect (in, 20, "{\"b\":2}");
    s_expect (in, 20, "{\"c\":3}");
    assert_int_equal (s_next (in, 20), INPUT_WAIT);
    input_destroy (&in);
}

static void
test_following_the_last_line_is_taken_once_closed_and_unchanged (void **state)
{
    s_fx_t *fx = *state;
    s_put (fx->path, "{\"a\":1}\n{\"last\":true}", "w");
    input_t *in = s_open (fx, fx->path, true, NULL);
    s_expect (in, 0, "{\"a\":1}");
    assert_int_equal (s_next (in, 0), INPUT_WAIT);
    input_notify (in, IN_CLOSE_WRITE, 100);
    /* Closed, but not unchanged for long enough yet. */
    assert_int_equal (s_next (in, 100 + INPUT_PARTIAL_MS - 1), INPUT_WAIT);
    assert_true (input_timeout_ms (in, 100 + INPUT_PARTIAL_MS - 1) <= 1);
    input_notify (in, 0, 100 + INPUT_PARTIAL_MS);
    s_expect (in, 100 + INPUT_PARTIAL_MS, "{\"last\":true}");
    /* And the input goes on being followed after it. */
    assert_int_equal (s_next (in, 100 + INPUT_PARTIAL_MS), INPUT_WAIT);
    s_put (fx->path, "\n{\"more\":1}\n", "a");
    input_notify (in, IN_MODIFY, 200 + INPUT_PARTIAL_MS);
    assert_int_equal (s_next (in, 200 + INPUT_PARTIAL_MS), INPUT_ITEM); /* the blank line */
    input_consume (in);
    s_expect (in, 200 + INPUT_PARTIAL_MS, "{\"more\":1}");
    input_destroy (&in);
}

static void
test_a_truncated_file_is_read_from_its_start (void **state)
{
    s_fx_t *fx = *state;
    s_put (fx->path, "{\"a\":1}\n{\"b\":2}\n", "w");
    input_t *in = s_open (fx, fx->path, true, NULL);
    s_expect (in, 0, "{\"a\":1}");
    s_expect (in, 0, "{\"b\":2}");
    assert_int_equal (s_next (in, 0), INPUT_WAIT);
    assert_int_equal (truncate (fx->path, 0), 0);
    s_put (fx->path, "{\"c\":3}\n", "a");
    input_notify (in, IN_MODIFY, 10);
    s_expect (in, 10, "{\"c\":3}");
    input_destroy (&in);
}

/* Rewritten in place, longer than what was read, with other bytes before the position: a
   size check alone would read on from the middle of a line. */
static void
test_a_file_rewritten_under_the_read_position_is_read_from_its_start (void **state)
{
    s_fx_t *fx = *state;
    s_put (fx->path, "{\"a\":1}\n{\"b\":2}\n", "w");
    input_t *in = s_open (fx, fx->path, true, NULL);
    s_expect (in, 0, "{\"a\":1}");
    s_expect (in, 0, "{\"b\":2}");
    assert_int_equal (s_next (in, 0), INPUT_WAIT);
    s_put (fx->path, "{\"x\":\"longer now\"}\n{\"y\":2}\n", "w");
    input_notify (in, IN_MODIFY, 10);
    s_expect (in, 10, "{\"x\":\"longer now\"}");
    s_expect (in, 10, "{\"y\":2}");
    input_destroy (&in);
}

static void
test_rotation_finishes_the_old_file_then_reads_the_new_one (void **state)
{
    s_fx_t *fx = *state;
    s_put (fx->path, "{\"old\":1}\n", "w");
    input_t *in = s_open (fx, fx->path, true, NULL);
    s_expect (in, 0, "{\"old\":1}");
    assert_int_equal (s_next (in, 0), INPUT_WAIT);
    char rotated[160];
    snprintf (rotated, sizeof rotated, "%s.1", fx->path);
    assert_int_equal (rename (fx->path, rotated), 0);
    s_put (rotated, "{\"old\":2}\n{\"old\":3,", "a"); /* written after the rename too */
    input_notify (in, IN_MOVE_SELF, 10);
    /* No new file yet: the old one is read on (its last line waits). */
    s_expect (in, 10, "{\"old\":2}");
    assert_int_equal (s_next (in, 10), INPUT_WAIT);
    s_put (fx->path, "{\"new\":1}\n", "w");
    input_notify (in, IN_CREATE, 20);
    s_expect (in, 20, "{\"old\":3,"); /* the old file's end, taken as it is finished */
    assert_int_equal (s_next (in, 20), INPUT_FILE_END);
    assert_true (input_checkpoint (in, UINT64_MAX, 20, true));
    input_next_file (in);
    s_expect (in, 20, "{\"new\":1}");
    assert_int_equal (s_next (in, 20), INPUT_WAIT);
    input_destroy (&in);
}

static void
test_a_position_is_saved_only_once_its_records_are_durable (void **state)
{
    s_fx_t *fx = *state;
    s_put (fx->path, "{\"a\":1}\n{\"b\":2}\n", "w");
    input_t *in = s_open (fx, fx->path, false, NULL);
    s_expect (in, 0, "{\"a\":1}");
    input_taken (in, 7);
    /* Noted with record 7; durable only up to 6: nothing saved. */
    assert_false (input_checkpoint (in, 6, 1000, false));
    assert_false (offsets_is_dirty (fx->offsets));
    assert_true (input_checkpoint (in, 7, 1001, false));
    assert_true (offsets_is_dirty (fx->offsets));
    assert_int_equal (offsets_save (fx->offsets), 0);
    input_destroy (&in);

    /* A restart resumes after line 1. */
    in = s_open (fx, fx->path, false, NULL);
    s_expect (in, 0, "{\"b\":2}");
    assert_int_equal (input_line (in), 2);
    input_destroy (&in);
}

static void
test_a_csv_export_is_read_through_its_mapping (void **state)
{
    s_fx_t *fx = *state;
    char err[512];
    csv_mapping_t *m = csv_mapping_load (
      PARLEY_SOURCE_DIR "/examples/forms/google-engagement-log.ini", err, sizeof err);
    if (!m)
        fail_msg ("%s", err);
    char path[160];
    snprintf (path, sizeof path, "%s/export.csv", fx->dir);
    s_put (
      path,
      "Timestamp,Email address,Date of meeting,Who did you meet?,Their role,Party,"
      "Constituency,Meeting type,How receptive were they?,Topics discussed,Follow-up "
      "needed?,Notes\n"
      "02/03/2026 09:12:44,a@x,27/02/2026,Jane Smith,MP,Labour,Tynemouth,In person,Very "
      "receptive,\"New homes, Planning\",Yes,\n"
      "02/03/2026 09:13:00,a@x,27/02/2026,Jo Bloggs,Alien,Labour,Tynemouth,In person,"
      "Neutral,,No,\n"
      "02/03/2026 09:14:00,a@x,27/02/2026,Ann Other,MP,Labour,Tynemouth,In person,Neutral,,No,",
      "w");
    input_t *in = s_open (fx, path, true, m);
    input_item_t item;
    assert_int_equal (input_next (in, 0, S_NOW_US, &item), INPUT_ITEM);
    assert_int_equal (item.kind, INPUT_ITEM_EVENT);
    assert_int_equal (item.line, 2);
    assert_non_null (strstr (item.data, "\"stance\":2"));
    input_consume (in);
    assert_int_equal (input_next (in, 0, S_NOW_US, &item), INPUT_ITEM);
    assert_int_equal (item.kind, INPUT_ITEM_REFUSED);
    assert_int_equal (item.line, 3);
    assert_string_equal (item.why.field, "Their role");
    input_consume (in);
    /* Followed: the last row has no line end yet. */
    assert_int_equal (input_next (in, 0, S_NOW_US, &item), INPUT_WAIT);
    s_put (path, "\n", "a");
    input_notify (in, IN_MODIFY, 5);
    assert_int_equal (input_next (in, 5, S_NOW_US, &item), INPUT_ITEM);
    assert_int_equal (item.line, 4);
    input_consume (in);
    input_destroy (&in);
    csv_mapping_destroy (&m);
}

static void
test_an_input_without_newlines_never_holds_up_the_caller (void **state)
{
    s_fx_t *fx = *state;
    input_t *in = s_open (fx, "/dev/zero", false, NULL);
    assert_true (input_is_stream (in));
    for (int i = 0; i < 5; i++)
        assert_int_equal (s_next (in, 0), INPUT_AGAIN);
    input_destroy (&in);
}

static void
test_a_missing_followed_file_is_waited_for (void **state)
{
    s_fx_t *fx = *state;
    input_t *in = s_open (fx, fx->path, true, NULL);
    assert_int_equal (input_fd (in), -1);
    assert_int_equal (s_next (in, 0), INPUT_WAIT);
    s_put (fx->path, "{\"a\":1}\n", "w");
    input_notify (in, IN_CREATE, 10);
    s_expect (in, 10, "{\"a\":1}");
    input_destroy (&in);
    /* Not followed, a missing file is an error. */
    input_options_t o = { .follow = false, .offsets = fx->offsets };
    char err[256];
    assert_null (input_new ("/nonexistent/x.jsonl", &o, err, sizeof err));
    assert_non_null (strstr (err, "could not open input"));
}

int
main (void)
{
    log_threshold = (log_level_t)(LOG_LEVEL_ERROR + 1);
#define T(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T (test_an_item_is_returned_again_until_consumed),
        T (test_without_follow_the_unterminated_last_line_is_taken_at_the_end),
        T (test_following_an_unterminated_line_waits_for_its_newline),
        T (test_following_the_last_line_is_taken_once_closed_and_unchanged),
        T (test_a_truncated_file_is_read_from_its_start),
        T (test_a_file_rewritten_under_the_read_position_is_read_from_its_start),
        T (test_rotation_finishes_the_old_file_then_reads_the_new_one),
        T (test_a_position_is_saved_only_once_its_records_are_durable),
        T (test_a_csv_export_is_read_through_its_mapping),
        T (test_an_input_without_newlines_never_holds_up_the_caller),
        T (test_a_missing_followed_file_is_waited_for),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
