/* rejects: DIR/rejected.jsonl stays one JSON object per line, even when a write is cut
   short by a full disk, and a line that could not be written is written later, in order. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rejects.h"
#include "file_size_limit.h"

static char s_dir[64];

static int
s_setup (void **state)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/parley-rejects-XXXXXX");
    assert_non_null (mkdtemp (s_dir));
    return 0;
}

static int
s_teardown (void **state)
{
    char path[128];
    snprintf (path, sizeof path, "%s/%s", s_dir, REJECTS_FILE);
    unlink (path);
    rmdir (s_dir);
    return 0;
}

/* Every line of the file parsed as JSON; returns how many, failing on a bad one, and
   puts the "line" members in lines[] (up to 8). */
static int
s_lines (int64_t *lines)
{
    char path[128];
    snprintf (path, sizeof path, "%s/%s", s_dir, REJECTS_FILE);
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    char buf[8192];
    int n = 0;
    while (fgets (buf, sizeof buf, f)) {
        json_error_t err;
        json_t *obj = json_loads (buf, 0, &err);
        if (!obj)
            fail_msg ("line %d of rejected.jsonl is not JSON: %s", n + 1, buf);
        if (lines && n < 8)
            lines[n] = json_integer_value (json_object_get (obj, "line"));
        json_decref (obj);
        n++;
    }
    fclose (f);
    return n;
}

static void
test_a_write_cut_short_leaves_no_torn_line (void **state)
{
    char err[256];
    rejects_t *rejects = rejects_open (s_dir, err, sizeof err);
    assert_non_null (rejects);
    reject_t why;
    reject_set (&why, "stance", "must be an integer from -2 to 2 (got \"high\")");
    const char *line = "{\"stance\":\"high\"}";
    assert_int_equal (rejects_write (rejects, &why, "feed.jsonl", 1, line, strlen (line)), 0);
    struct stat st;
    char path[128];
    snprintf (path, sizeof path, "%s/%s", s_dir, REJECTS_FILE);
    assert_int_equal (stat (path, &st), 0);

    /* Room for only part of the next line, as on a disk that fills up. */
    file_size_limit_t full;
    file_size_limit_begin (&full, (rlim_t)st.st_size + 20);
    int rc = rejects_write (rejects, &why, "feed.jsonl", 2, line, strlen (line));
    file_size_limit_end (&full);
    assert_int_equal (rc, -1);
    struct stat after;
    assert_int_equal (stat (path, &after), 0);
    assert_int_equal (after.st_size, st.st_size);

    /* Room again: the waiting line goes first, then the new one, in the order refused. */
    assert_int_equal (rejects_write (rejects, &why, "feed.jsonl", 3, line, strlen (line)), 0);
    assert_int_equal (rejects_count (rejects), 3);
    rejects_destroy (&rejects);
    int64_t lines[8];
    assert_int_equal (s_lines (lines), 3);
    assert_int_equal (lines[0], 1);
    assert_int_equal (lines[1], 2);
    assert_int_equal (lines[2], 3);
}

/* A line that waits is written by rejects_sync too (the agent syncs at every checkpoint
   and at exit), not only before the next rejected line. */
static void
test_a_waiting_line_is_written_at_the_next_sync (void **state)
{
    char err[256];
    rejects_t *rejects = rejects_open (s_dir, err, sizeof err);
    assert_non_null (rejects);
    reject_t why;
    reject_set (&why, "", "line is not a JSON object (got an array)");
    file_size_limit_t full;
    file_size_limit_begin (&full, 10);
    int rc = rejects_write (rejects, &why, "feed.jsonl", 7, "[1,2,3]", 7);
    int sync_full = rejects_sync (rejects);
    file_size_limit_end (&full);
    assert_int_equal (rc, -1);
    assert_int_equal (sync_full, -1);
    assert_int_equal (rejects_count (rejects), 0);
    assert_int_equal (rejects_sync (rejects), 0);
    assert_int_equal (rejects_count (rejects), 1);
    rejects_destroy (&rejects);
    int64_t lines[8];
    assert_int_equal (s_lines (lines), 1);
    assert_int_equal (lines[0], 7);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_a_write_cut_short_leaves_no_torn_line, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_waiting_line_is_written_at_the_next_sync, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
