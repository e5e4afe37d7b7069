/* feed: JSON-lines input split into numbered lines, whatever the line endings, and
   without ever holding an over-long line in memory. */
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
#include <unistd.h>

#include "feed.h"

static char s_path[64];

/* A feed over a temporary file holding len bytes of data. */
static feed_t *
s_feed_of (const char *data, size_t len)
{
    snprintf (s_path, sizeof s_path, "/tmp/parley-test-feed-XXXXXX");
    int fd = mkstemp (s_path);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, data, len), (ssize_t)len);
    close (fd);
    char err[256];
    feed_t *feed = feed_open (s_path, err, sizeof err);
    assert_non_null (feed);
    unlink (s_path);
    return feed;
}

static void
s_expect_line (feed_t *feed, const char *text, uint64_t number, uint64_t end_offset)
{
    feed_line_t line;
    assert_int_equal (feed_next (feed, &line), FEED_LINE);
    assert_false (line.too_long);
    assert_int_equal (line.len, strlen (text));
    assert_memory_equal (line.data, text, line.len);
    assert_int_equal (line.number, number);
    assert_int_equal (line.end_offset, end_offset);
}

static void
s_expect_eof (feed_t *feed)
{
    feed_line_t line;
    assert_int_equal (feed_next (feed, &line), FEED_EOF);
    assert_int_equal (feed_next (feed, &line), FEED_EOF);
}

static void
test_lines_are_split_and_numbered_from_one (void **state)
{
    feed_t *feed = s_feed_of ("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n", 24);
    s_expect_line (feed, "{\"a\":1}", 1, 8);
    s_expect_line (feed, "{\"b\":2}", 2, 16);
    s_expect_line (feed, "{\"c\":3}", 3, 24);
    s_expect_eof (feed);
    assert_true (feed_is_file (feed));
    feed_destroy (&feed);
    assert_null (feed);
}

static void
test_crlf_line_endings_lose_their_carriage_return (void **state)
{
    feed_t *feed = s_feed_of ("one\r\ntwo\r\n", 10);
    s_expect_line (feed, "one", 1, 5);
    s_expect_line (feed, "two", 2, 10);
    s_expect_eof (feed);
    feed_destroy (&feed);
}

static void
test_carriage_return_inside_a_line_is_kept (void **state)
{
    feed_t *feed = s_feed_of ("a\rb\n", 4);
    s_expect_line (feed, "a\rb", 1, 4);
    s_expect_eof (feed);
    feed_destroy (&feed);
}

static void
test_last_line_without_newline_is_still_a_line (void **state)
{
    feed_t *feed = s_feed_of ("first\nlast", 10);
    s_expect_line (feed, "first", 1, 6);
    s_expect_line (feed, "last", 2, 10);
    s_expect_eof (feed);
    feed_destroy (&feed);

    feed = s_feed_of ("only\r", 5);
    s_expect_line (feed, "only", 1, 5);
    s_expect_eof (feed);
    feed_destroy (&feed);
}

static void
test_empty_lines_are_lines (void **state)
{
    feed_t *feed = s_feed_of ("\n\nx\n", 4);
    s_expect_line (feed, "", 1, 1);
    s_expect_line (feed, "", 2, 2);
    s_expect_line (feed, "x", 3, 4);
    s_expect_eof (feed);
    feed_destroy (&feed);
}

static void
test_empty_input_has_no_lines (void **state)
{
    feed_t *feed = s_feed_of ("", 0);
    s_expect_eof (feed);
    feed_destroy (&feed);
}

static void
test_byte_order_mark_at_start_is_dropped (void **state)
{
    feed_t *feed = s_feed_of ("\xEF\xBB\xBF{}\n\xEF\xBB\xBF{}\n", 8 + 3);
    s_expect_line (feed, "{}", 1, 6);
    s_expect_line (feed, "\xEF\xBB\xBF{}", 2, 11); /* only at the start of the file */
    s_expect_eof (feed);
    feed_destroy (&feed);
}

/* Builds: "a\n" + n × 'y' + ending + "z\n" */
static char *
s_with_long_line (size_t n, const char *ending, size_t *total)
{
    size_t elen = strlen (ending);
    *total = 2 + n + elen + 2;
    char *data = malloc (*total);
    memcpy (data, "a\n", 2);
    memset (data + 2, 'y', n);
    memcpy (data + 2 + n, ending, elen);
    memcpy (data + 2 + n + elen, "z\n", 2);
    return data;
}

static void
test_line_of_exactly_the_limit_is_kept (void **state)
{
    size_t total;
    char *data = s_with_long_line (FEED_LINE_MAX, "\r\n", &total);
    feed_t *feed = s_feed_of (data, total);
    feed_line_t line;
    s_expect_line (feed, "a", 1, 2);
    assert_int_equal (feed_next (feed, &line), FEED_LINE);
    assert_false (line.too_long);
    assert_int_equal (line.len, FEED_LINE_MAX);
    assert_int_equal (line.number, 2);
    assert_int_equal (line.data[0], 'y');
    assert_int_equal (line.data[FEED_LINE_MAX - 1], 'y');
    s_expect_line (feed, "z", 3, total);
    s_expect_eof (feed);
    feed_destroy (&feed);
    free (data);
}

static void
test_line_one_byte_over_the_limit_is_too_long_and_the_next_is_intact (void **state)
{
    size_t total;
    char *data = s_with_long_line (FEED_LINE_MAX + 1, "\n", &total);
    feed_t *feed = s_feed_of (data, total);
    feed_line_t line;
    s_expect_line (feed, "a", 1, 2);
    assert_int_equal (feed_next (feed, &line), FEED_LINE);
    assert_true (line.too_long);
    assert_null (line.data);
    assert_int_equal (line.len, 0);
    assert_int_equal (line.total_len, FEED_LINE_MAX + 1);
    assert_int_equal (line.number, 2);
    assert_int_equal (line.end_offset, 2 + FEED_LINE_MAX + 2);
    s_expect_line (feed, "z", 3, total);
    s_expect_eof (feed);
    feed_destroy (&feed);
    free (data);
}

/* Far longer than the feed's buffer: read and dropped in pieces. */
static void
test_huge_line_is_skipped_without_losing_its_neighbours (void **state)
{
    size_t n = 1000 * 1000, total;
    char *data = s_with_long_line (n, "\r\n", &total);
    feed_t *feed = s_feed_of (data, total);
    feed_line_t line;
    s_expect_line (feed, "a", 1, 2);
    assert_int_equal (feed_next (feed, &line), FEED_LINE);
    assert_true (line.too_long);
    assert_int_equal (line.total_len, n + 1); /* its "\r" is counted: it never reached the check */
    assert_int_equal (line.number, 2);
    assert_int_equal (line.end_offset, 2 + n + 2);
    s_expect_line (feed, "z", 3, total);
    s_expect_eof (feed);
    feed_destroy (&feed);
    free (data);
}

static void
test_too_long_last_line_without_newline_is_reported (void **state)
{
    size_t n = 100 * 1000;
    char *data = malloc (n + 2);
    memcpy (data, "a\n", 2);
    memset (data + 2, 'q', n);
    feed_t *feed = s_feed_of (data, n + 2);
    feed_line_t line;
    s_expect_line (feed, "a", 1, 2);
    assert_int_equal (feed_next (feed, &line), FEED_LINE);
    assert_true (line.too_long);
    assert_int_equal (line.total_len, n);
    assert_int_equal (line.number, 2);
    assert_int_equal (line.end_offset, n + 2);
    s_expect_eof (feed);
    feed_destroy (&feed);
    free (data);
}

static void
test_resume_starts_at_the_saved_offset_and_line (void **state)
{
    feed_t *feed = s_feed_of ("l1\nl2\nl3\nl4", 11);
    assert_int_equal (feed_resume (feed, 6, 2), 0);
    s_expect_line (feed, "l3", 3, 9);
    s_expect_line (feed, "l4", 4, 11);
    s_expect_eof (feed);
    assert_int_equal (feed_resume (feed, 0, 0), -1); /* only before reading */
    feed_destroy (&feed);
}

/* A pipe (as stdin usually is) never blocks the caller: no complete line means FEED_WAIT. */
static void
test_pipe_waits_for_a_complete_line (void **state)
{
    int fds[2];
    assert_int_equal (pipe (fds), 0);
    feed_t *feed = feed_new_fd (fds[0], "-");
    assert_false (feed_is_file (feed));
    assert_int_equal (feed_fd (feed), fds[0]);
    assert_string_equal (feed_name (feed), "-");
    feed_line_t line;
    assert_int_equal (feed_next (feed, &line), FEED_WAIT);
    assert_int_equal (write (fds[1], "par", 3), 3);
    assert_int_equal (feed_next (feed, &line), FEED_WAIT);
    assert_int_equal (write (fds[1], "tial\nnext", 9), 9);
    s_expect_line (feed, "partial", 1, 8);
    assert_int_equal (feed_next (feed, &line), FEED_WAIT);
    close (fds[1]);
    s_expect_line (feed, "next", 2, 12);
    s_expect_eof (feed);
    feed_destroy (&feed);
    assert_int_equal (fcntl (fds[0], F_GETFD), -1); /* the feed closed it */
}

static void
test_missing_file_and_directory_are_refused (void **state)
{
    char err[256];
    assert_null (feed_open ("/nonexistent/parley/feed.jsonl", err, sizeof err));
    assert_string_equal (
      err, "could not open input \"/nonexistent/parley/feed.jsonl\": No such file or directory");
    assert_null (feed_open ("/tmp", err, sizeof err));
    assert_string_equal (err, "could not read input \"/tmp\": is a directory");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_lines_are_split_and_numbered_from_one),
        cmocka_unit_test (test_crlf_line_endings_lose_their_carriage_return),
        cmocka_unit_test (test_carriage_return_inside_a_line_is_kept),
        cmocka_unit_test (test_last_line_without_newline_is_still_a_line),
        cmocka_unit_test (test_empty_lines_are_lines),
        cmocka_unit_test (test_empty_input_has_no_lines),
        cmocka_unit_test (test_byte_order_mark_at_start_is_dropped),
        cmocka_unit_test (test_line_of_exactly_the_limit_is_kept),
        cmocka_unit_test (test_line_one_byte_over_the_limit_is_too_long_and_the_next_is_intact),
        cmocka_unit_test (test_huge_line_is_skipped_without_losing_its_neighbours),
        cmocka_unit_test (test_too_long_last_line_without_newline_is_reported),
        cmocka_unit_test (test_resume_starts_at_the_saved_offset_and_line),
        cmocka_unit_test (test_pipe_waits_for_a_complete_line),
        cmocka_unit_test (test_missing_file_and_directory_are_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
