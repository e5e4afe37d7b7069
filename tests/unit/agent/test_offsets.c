/* offsets: where each input file resumes after a restart, by file identity. */
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

#include "file_size_limit.h"
#include "offsets.h"

typedef struct {
    char dir[64];
    char file[128];
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fx = calloc (1, sizeof *fx);
    snprintf (fx->dir, sizeof fx->dir, "/tmp/parley-test-offsets-XXXXXX");
    assert_non_null (mkdtemp (fx->dir));
    snprintf (fx->file, sizeof fx->file, "%s/feed.jsonl", fx->dir);
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fx = *state;
    char cmd[160];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    assert_int_equal (system (cmd), 0);
    free (fx);
    return 0;
}

static void
s_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
}

static offsets_t *
s_open (s_fixture_t *fx)
{
    char err[256];
    offsets_t *o = offsets_open (fx->dir, err, sizeof err);
    assert_non_null (o);
    return o;
}

/* Saves offset/line for path, as a run that read that far would. */
static void
s_save (s_fixture_t *fx, const char *path, uint64_t offset, uint64_t line)
{
    offsets_t *o = s_open (fx);
    int fd = open (path, O_RDONLY);
    uint64_t off, ln;
    offsets_resume (o, path, fd, &off, &ln);
    offsets_update (o, path, fd, offset, line);
    assert_true (offsets_is_dirty (o));
    assert_int_equal (offsets_save (o), 0);
    assert_false (offsets_is_dirty (o));
    close (fd);
    offsets_destroy (&o);
    assert_null (o);
}

static void
s_expect_resume (s_fixture_t *fx, const char *path, uint64_t offset, uint64_t line)
{
    offsets_t *o = s_open (fx);
    int fd = open (path, O_RDONLY);
    uint64_t off = 99, ln = 99;
    offsets_resume (o, path, fd, &off, &ln);
    assert_int_equal (off, offset);
    assert_int_equal (ln, line);
    close (fd);
    offsets_destroy (&o);
}

static void
test_new_file_starts_at_the_beginning (void **state)
{
    s_fixture_t *fx = *state;
    s_write (fx->file, "a\nb\n");
    s_expect_resume (fx, fx->file, 0, 0);
}

static void
test_saved_position_survives_a_restart (void **state)
{
    s_fixture_t *fx = *state;
    s_write (fx->file, "a\nb\nc\n");
    s_save (fx, fx->file, 4, 2);
    s_expect_resume (fx, fx->file, 4, 2);
}

static void
test_renamed_file_is_recognised_by_identity (void **state)
{
    s_fixture_t *fx = *state;
    s_write (fx->file, "a\nb\nc\n");
    s_save (fx, fx->file, 4, 2);
    char rotated[160];
    snprintf (rotated, sizeof rotated, "%s.1", fx->file);
    assert_int_equal (rename (fx->file, rotated), 0);
    s_expect_resume (fx, rotated, 4, 2);
}

static void
test_new_file_under_an_old_name_starts_at_the_beginning (void **state)
{
    s_fixture_t *fx = *state;
    s_write (fx->file, "a\nb\nc\n");
    s_save (fx, fx->file, 4, 2);
    char other[160];
    snprintf (other, sizeof other, "%s.new", fx->file);
    s_write (other, "x\ny\nz\nw\n");
    assert_int_equal (rename (other, fx->file), 0); /* replaced: another inode */
    s_expect_resume (fx, fx->file, 0, 0);
}

static void
test_truncated_file_is_read_again_from_the_start (void **state)
{
    s_fixture_t *fx = *state;
    s_write (fx->file, "a\nb\nc\n");
    s_save (fx, fx->file, 6, 3);
    assert_int_equal (truncate (fx->file, 2), 0);
    s_expect_resume (fx, fx->file, 0, 0);
}

static void
test_rewritten_start_is_read_again_from_the_start (void **state)
{
    s_fixture_t *fx = *state;
    s_write (fx->file, "a\nb\nc\n");
    s_save (fx, fx->file, 4, 2);
    /* Same inode and no shorter, but other bytes where we had read: not our file. */
    int fd = open (fx->file, O_WRONLY);
    assert_int_equal (pwrite (fd, "Z", 1, 0), 1);
    close (fd);
    s_expect_resume (fx, fx->file, 0, 0);
}

/* The bug of issue 10: same first kilobyte, ten lines inserted after it, same inode and
   longer. The kilobyte before the saved offset is no longer what was read. */
static void
test_lines_inserted_after_the_first_kilobyte_are_read_again_from_the_start (void **state)
{
    s_fixture_t *fx = *state;
    char text[8192] = "", inserted[8192] = "";
    for (int i = 0; i < 100; i++) {
        char line[64];
        snprintf (line, sizeof line, "{\"line\":%04d,\"pad\":\"xxxxxxxxxxxxxxxx\"}\n", i);
        strcat (text, line);
        strcat (inserted, line);
        if (i == 40)
            for (int j = 0; j < 10; j++)
                strcat (inserted, "{\"inserted\":true}\n");
    }
    s_write (fx->file, text);
    s_save (fx, fx->file, strlen (text), 100);
    int fd = open (fx->file, O_WRONLY);
    assert_int_equal (pwrite (fd, inserted, strlen (inserted), 0), (ssize_t)strlen (inserted));
    close (fd);
    s_expect_resume (fx, fx->file, 0, 0);
}

static void
test_a_forgotten_file_starts_at_the_beginning (void **state)
{
    s_fixture_t *fx = *state;
    s_write (fx->file, "a\nb\n");
    s_save (fx, fx->file, 4, 2);
    char err[256];
    offsets_t *o = offsets_open (fx->dir, err, sizeof err);
    assert_non_null (o);
    int fd = open (fx->file, O_RDONLY);
    offsets_forget (o, fd);
    close (fd);
    assert_true (offsets_is_dirty (o));
    assert_int_equal (offsets_save (o), 0);
    offsets_destroy (&o);
    s_expect_resume (fx, fx->file, 0, 0);
}

static void
test_appended_file_resumes_where_it_stopped (void **state)
{
    s_fixture_t *fx = *state;
    s_write (fx->file, "a\nb\n");
    s_save (fx, fx->file, 4, 2);
    FILE *f = fopen (fx->file, "a");
    fputs ("c\n", f);
    fclose (f);
    s_expect_resume (fx, fx->file, 4, 2);
}

static void
test_damaged_offsets_file_means_reading_from_the_start (void **state)
{
    s_fixture_t *fx = *state;
    s_write (fx->file, "a\nb\n");
    s_save (fx, fx->file, 4, 2);
    char path[160];
    snprintf (path, sizeof path, "%s/%s", fx->dir, OFFSETS_FILE);
    s_write (path, "{\"files\": [ tru");
    s_expect_resume (fx, fx->file, 0, 0);
}

static void
test_nothing_saved_when_nothing_changed (void **state)
{
    s_fixture_t *fx = *state;
    s_write (fx->file, "a\n");
    offsets_t *o = s_open (fx);
    assert_false (offsets_is_dirty (o));
    assert_int_equal (offsets_save (o), 0);
    char path[160];
    snprintf (path, sizeof path, "%s/%s", fx->dir, OFFSETS_FILE);
    assert_int_equal (access (path, F_OK), -1);
    offsets_destroy (&o);
}

/* A save the disk cannot take fails, stays dirty (so it is tried again), and leaves the
   old positions in place with no temporary file behind. */
static void
test_a_failed_save_keeps_the_old_positions (void **state)
{
    s_fixture_t *fx = *state;
    s_write (fx->file, "a\nb\nc\n");
    s_save (fx, fx->file, 2, 1);
    offsets_t *o = s_open (fx);
    int fd = open (fx->file, O_RDONLY);
    uint64_t off, ln;
    offsets_resume (o, fx->file, fd, &off, &ln);
    offsets_update (o, fx->file, fd, 6, 3);
    file_size_limit_t full;
    file_size_limit_begin (&full, 10);
    int rc = offsets_save (o);
    file_size_limit_end (&full);
    assert_int_equal (rc, -1);
    assert_true (offsets_is_dirty (o));
    close (fd);
    offsets_destroy (&o);
    char tmp[160];
    snprintf (tmp, sizeof tmp, "%s/%s.tmp", fx->dir, OFFSETS_FILE);
    assert_int_equal (access (tmp, F_OK), -1);
    s_expect_resume (fx, fx->file, 2, 1);
}

static void
test_missing_directory_is_refused (void **state)
{
    char err[256];
    assert_null (offsets_open ("/nonexistent/parley-spool", err, sizeof err));
    assert_string_equal (
      err,
      "could not use spool directory \"/nonexistent/parley-spool\": No such file or directory");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_new_file_starts_at_the_beginning, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_saved_position_survives_a_restart, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_renamed_file_is_recognised_by_identity, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_new_file_under_an_old_name_starts_at_the_beginning, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_truncated_file_is_read_again_from_the_start, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_rewritten_start_is_read_again_from_the_start, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_appended_file_resumes_where_it_stopped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_lines_inserted_after_the_first_kilobyte_are_read_again_from_the_start,
          s_setup,
          s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_forgotten_file_starts_at_the_beginning, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_damaged_offsets_file_means_reading_from_the_start, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_nothing_saved_when_nothing_changed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_failed_save_keeps_the_old_positions, s_setup, s_teardown),
        cmocka_unit_test (test_missing_directory_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
