/* spool_segments: only files named exactly like our segments are taken, in order; a new
   segment never replaces an existing file and leaves nothing behind when it cannot be
   made; logical positions run through the segments in order; and only sealed segments
   wholly at or below the floor are ever deleted. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "spool_fixture.h"
#include "spool_segments.h"
#include "test_files.h"

static spool_stats_t s_stats_;

/* A segments set on DIR/spool (created). */
static void
s_segs_open (spool_segments_t *segs)
{
    assert_int_equal (mkdir (s_path ("%s/spool", s_dir), 0700), 0);
    memset (&s_stats_, 0, sizeof s_stats_);
    char err[256] = "";
    assert_int_equal (
      spool_segments_init (segs, s_path ("%s/spool", s_dir), &s_stats_, err, sizeof err), 0);
}

static void
s_put (const char *name, size_t size)
{
    static char zeros[4096];
    test_file_put (s_path ("%s/spool/%s", s_dir, name), zeros, size);
}

static void
test_segment_names_are_twenty_digits (void **state)
{
    spool_segments_t segs;
    s_segs_open (&segs);
    char *path = spool_segments_path (&segs, 209716);
    assert_string_equal (path, s_path ("%s/spool/00000000000000209716.seg", s_dir));
    free (path);
    path = spool_segments_path (&segs, UINT64_MAX);
    assert_string_equal (path, s_path ("%s/spool/18446744073709551615.seg", s_dir));
    free (path);
    spool_segments_fini (&segs);
}

static void
test_only_files_named_exactly_like_segments_are_loaded_in_order (void **state)
{
    spool_segments_t segs;
    s_segs_open (&segs);
    s_put ("00000000000000000100.seg", 30);
    s_put ("00000000000000000001.seg", 10);
    s_put ("00000000000000000020.seg", 0);
    s_put ("1.seg", 5);                    /* same number, other spelling */
    s_put ("00000000000000000000.seg", 5); /* no id is 0 */
    s_put ("-0000000000000000001.seg", 5); /* signed */
    s_put ("0000000000000000001x.seg", 5); /* not a number */
    s_put ("99999999999999999999.seg", 5); /* overflows */
    s_put ("ack", 9);                      /* not a segment at all */
    s_put ("lock", 0);
    assert_int_equal (mkdir (s_path ("%s/spool/00000000000000000300.seg", s_dir), 0700), 0);
    char err[256] = "";
    s_capture_start ();
    int rc = spool_segments_load (&segs, err, sizeof err);
    const char *log = s_capture_stop ();
    assert_int_equal (rc, 0);
    assert_int_equal (segs.count, 3);
    assert_int_equal (segs.list[0].first, 1);
    assert_int_equal (segs.list[0].size, 10);
    assert_int_equal (segs.list[1].first, 20);
    assert_int_equal (segs.list[2].first, 100);
    assert_int_equal (segs.list[2].size, 30);
    assert_non_null (strstr (log, "1.seg\""));
    assert_non_null (strstr (log, "00000000000000000300.seg"));
    assert_null (strstr (log, "spool/ack"));
    spool_segments_rebase (&segs);
    assert_int_equal (segs.list[1].base, 10);
    assert_int_equal (segs.list[2].base, 10);
    assert_int_equal (spool_segments_end (&segs), 40);
    spool_segments_fini (&segs);
}

static void
test_positions_map_to_the_segment_that_holds_them (void **state)
{
    spool_segments_t segs;
    s_segs_open (&segs);
    spool_segments_push (&segs, 1, 100);
    spool_segments_push (&segs, 11, 0); /* an empty one in the middle */
    spool_segments_push (&segs, 12, 50);
    assert_int_equal (segs.list[2].base, 100);
    assert_int_equal (spool_segments_end (&segs), 150);
    assert_int_equal (spool_segments_find (&segs, 0), 0);
    assert_int_equal (spool_segments_find (&segs, 99), 0);
    assert_int_equal (spool_segments_find (&segs, 100), 2); /* the last one starting there */
    assert_int_equal (spool_segments_find (&segs, 149), 2);
    assert_int_equal (spool_segments_find (&segs, 1000), 2);
    assert_ptr_equal (spool_segments_active (&segs), &segs.list[2]);
    spool_segments_fini (&segs);
}

static void
test_a_new_segment_never_replaces_a_file (void **state)
{
    spool_segments_t segs;
    s_segs_open (&segs);
    int fd = spool_segments_create (&segs, 7, false);
    assert_true (fd >= 0);
    close (fd);
    assert_int_equal (segs.count, 1);
    assert_int_equal (s_size (s_segment (s_dir, 7)), 0);
    s_put ("00000000000000000008.seg", 33);
    s_capture_start ();
    errno = 0;
    fd = spool_segments_create (&segs, 8, false);
    int e = errno;
    const char *log = s_capture_stop ();
    assert_int_equal (fd, -1);
    assert_int_equal (e, EEXIST);
    assert_int_equal (segs.count, 1); /* not pushed */
    assert_int_equal (s_size (s_segment (s_dir, 8)), 33);
    assert_non_null (strstr (log, "could not create spool segment"));
    /* quiet: the same failure, not logged (a full disk is said once) */
    s_capture_start ();
    assert_int_equal (spool_segments_create (&segs, 8, true), -1);
    log = s_capture_stop ();
    assert_null (strstr (log, "could not create spool segment"));
    spool_segments_fini (&segs);
}

static void
test_only_sealed_segments_wholly_below_the_floor_are_deleted (void **state)
{
    spool_segments_t segs;
    s_segs_open (&segs);
    for (uint64_t first = 1; first <= 21; first += 10) {
        int fd = spool_segments_create (&segs, first, false);
        assert_true (fd >= 0);
        close (fd);
    }
    size_t removed = 99;
    assert_int_equal (spool_segments_reclaim (&segs, 9, &removed), 0);
    assert_int_equal (removed, 0); /* id 10 may still be in the first */
    assert_true (s_exists (s_segment (s_dir, 1)));
    assert_int_equal (spool_segments_reclaim (&segs, 10, &removed), 0);
    assert_int_equal (removed, 1);
    assert_false (s_exists (s_segment (s_dir, 1)));
    assert_int_equal (segs.count, 2);
    assert_int_equal (segs.list[0].first, 11);
    /* the active segment stays, however high the floor */
    assert_int_equal (spool_segments_reclaim (&segs, 1000000, &removed), 0);
    assert_int_equal (removed, 1);
    assert_int_equal (segs.count, 1);
    assert_true (s_exists (s_segment (s_dir, 21)));
    /* a segment already gone (a crash between unlink and the next open) is no error */
    spool_segments_push (&segs, 31, 0);
    assert_int_equal (spool_segments_reclaim (&segs, 30, &removed), 0);
    assert_int_equal (removed, 1);
    assert_int_equal (segs.list[0].first, 31);
    spool_segments_fini (&segs);
}

static void
test_reads_come_back_whole_and_short_only_at_the_end (void **state)
{
    spool_segments_t segs;
    s_segs_open (&segs);
    unsigned char data[3000], back[4000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 13);
    test_file_put (s_segment (s_dir, 1), data, sizeof data);
    int fd = open (s_segment (s_dir, 1), O_RDONLY);
    assert_true (fd >= 0);
    assert_int_equal (spool_segments_read (fd, back, 1000, 500), 1000);
    assert_memory_equal (back, data + 500, 1000);
    assert_int_equal (spool_segments_read (fd, back, 4000, 2000), 1000);
    assert_memory_equal (back, data + 2000, 1000);
    assert_int_equal (spool_segments_read (fd, back, 10, 5000), 0);
    close (fd);
    errno = 0;
    assert_int_equal (spool_segments_read (fd, back, 10, 0), -1);
    assert_int_equal (errno, EBADF);
    spool_segments_fini (&segs);
}

static void
test_datasyncs_are_counted_and_a_missing_directory_is_refused (void **state)
{
    spool_segments_t segs;
    s_segs_open (&segs);
    int fd = spool_segments_create (&segs, 1, false);
    assert_true (fd >= 0);
    assert_int_equal (spool_segments_datasync (&segs, fd), 0);
    assert_int_equal (spool_segments_datasync (&segs, fd), 0);
    assert_int_equal (s_stats_.fsyncs, 2);
    close (fd);
    assert_int_equal (spool_segments_sync_dir (&segs), 0);
    spool_segments_fini (&segs);
    char err[256] = "";
    assert_int_equal (
      spool_segments_init (&segs, s_path ("%s/none", s_dir), &s_stats_, err, sizeof err), -1);
    assert_non_null (strstr (err, "could not open spool directory"));
    assert_non_null (strstr (err, "No such file or directory"));
    spool_segments_fini (&segs);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_segment_names_are_twenty_digits, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_only_files_named_exactly_like_segments_are_loaded_in_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_positions_map_to_the_segment_that_holds_them, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_new_segment_never_replaces_a_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_only_sealed_segments_wholly_below_the_floor_are_deleted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_reads_come_back_whole_and_short_only_at_the_end, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_datasyncs_are_counted_and_a_missing_directory_is_refused, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
