/* spool (through spool.h): records round-trip across segments and restarts;
   acknowledged records go away (and only they); the bound holds; fsync follows the
   policy; one process at a time. Every test works in its own directory under /tmp and
   looks at the files themselves, not only at the API. Recovery from torn tails, damage
   and crashes is in test_spool_recovery.c; each part of the spool has its own test too
   (test_spool_<part>.c). */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "spool_fixture.h"

/* --- round trips and restarts ------------------------------------------------------ */

static void
test_records_round_trip_across_many_segments (void **state)
{
    spool_options_t o = s_opts (1024, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 300, 0);
    assert_true (s_count (s_dir, "spool", ".seg") > 20);
    assert_int_equal (spool_pending_records (spool), 300);
    s_expect_range (spool, 1, 300, 0);
    s_expect_end (spool);
    assert_int_equal (spool_ack (spool, 1, 300), 0);
    assert_int_equal (spool_pending_records (spool), 0);
    assert_int_equal (spool_pending_bytes (spool), 0);
    /* Only the active segment is left. */
    assert_int_equal (s_count (s_dir, "spool", ".seg"), 1);
    s_append (spool, 301, 0);
    s_expect (spool, 301, 0);
    s_expect_end (spool);
    spool_destroy (&spool);
    assert_null (spool);
}

static void
test_reading_keeps_up_with_appends_across_segments (void **state)
{
    spool_options_t o = s_opts (700, 0);
    spool_t *spool = s_open (&o);
    uint64_t next_read = 1;
    for (uint64_t id = 1; id <= 600; id++) {
        s_append (spool, id, 0);
        if (id % 3 == 0 || id % 7 == 0) {
            while (next_read <= id)
                s_expect (spool, next_read++, 0);
            s_expect_end (spool);
        }
        if (id % 50 == 0)
            assert_int_equal (spool_ack (spool, 1, next_read - 1), 0);
    }
    s_expect_range (spool, next_read, 600, 0);
    s_expect_end (spool);
    spool_destroy (&spool);
}

static void
test_reopen_resumes_ids_and_sends_nothing_below_the_floor (void **state)
{
    spool_options_t o = s_opts (1024, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 100, 0);
    s_expect_range (spool, 1, 60, 0);
    assert_int_equal (spool_ack (spool, 1, 40), 0);
    spool_destroy (&spool);

    spool = s_open (&o);
    assert_int_equal (spool_pending_records (spool), 60);
    assert_int_equal (s_stats (spool).floor, 40);
    s_expect_range (spool, 41, 100, 0);
    s_expect_end (spool);
    s_append (spool, 101, 0);
    s_expect (spool, 101, 0);
    assert_int_equal (spool_ack (spool, 41, 101), 0);
    spool_destroy (&spool);

    /* Everything acknowledged: ids still carry on after a restart. */
    spool = s_open (&o);
    assert_int_equal (spool_pending_records (spool), 0);
    s_expect_end (spool);
    s_append (spool, 102, 0);
    s_expect (spool, 102, 0);
    spool_destroy (&spool);
}

static void
test_pending_bytes_counts_unacknowledged_records_exactly (void **state)
{
    spool_options_t o = s_opts (1000, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 25, 80); /* 100 bytes each */
    assert_int_equal (spool_pending_bytes (spool), 2500);
    s_expect_range (spool, 1, 25, 80);
    assert_int_equal (spool_ack (spool, 1, 7), 0);
    assert_int_equal (spool_pending_bytes (spool), 1800);
    spool_destroy (&spool);
    spool = s_open (&o);
    assert_int_equal (spool_pending_bytes (spool), 1800);
    assert_int_equal (spool_pending_records (spool), 18);
    spool_destroy (&spool);
}

static void
test_lost_ack_file_resends_from_oldest_segment_and_loses_nothing (void **state)
{
    spool_options_t o = s_opts (1000, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 100, 80); /* 10 per segment */
    s_expect_range (spool, 1, 100, 80);
    assert_int_equal (spool_ack (spool, 1, 75), 0);
    spool_destroy (&spool);
    assert_false (s_exists (s_segment (s_dir, 61)));
    assert_true (s_exists (s_segment (s_dir, 71)));

    /* Gone: resend from the oldest segment left (71), never from 1. */
    assert_int_equal (unlink (s_path ("%s/spool/ack", s_dir)), 0);
    spool = s_open (&o);
    s_expect_range (spool, 71, 100, 80);
    s_expect_end (spool);
    spool_destroy (&spool);

    /* Torn (no newline) or garbage: same. */
    const char *junk[] = { "floor 7", "", "floor x\n", "flour 80\n" };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        FILE *f = fopen (s_path ("%s/spool/ack", s_dir), "w");
        assert_non_null (f);
        fputs (junk[i], f);
        fclose (f);
        spool = s_open (&o);
        s_expect (spool, 71, 80);
        spool_destroy (&spool);
    }
}

static void
test_ack_file_ahead_of_a_lost_tail_never_reuses_acknowledged_ids (void **state)
{
    /* The ack file can outlive unsynced records (power cut): those ids were delivered,
       so new records must not take them, or they would count as acknowledged. */
    spool_options_t o = s_opts (0, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 10, 80);
    s_expect_range (spool, 1, 10, 80);
    assert_int_equal (spool_ack (spool, 1, 10), 0);
    spool_destroy (&spool);
    assert_int_equal (truncate (s_segment (s_dir, 1), 5 * 100), 0);
    spool = s_open (&o);
    s_expect_end (spool);
    s_append (spool, 11, 80);
    s_expect (spool, 11, 80);
    assert_int_equal (spool_pending_records (spool), 1);
    spool_destroy (&spool);
}

/* --- acknowledgements and reclaiming ----------------------------------------------- */

static void
test_out_of_order_and_overlapping_acks_move_the_floor_correctly (void **state)
{
    spool_options_t o = s_opts (0, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 10, 0);
    s_expect_range (spool, 1, 10, 0);
    assert_int_equal (spool_ack (spool, 5, 6), 0);
    assert_int_equal (spool_ack (spool, 9, 10), 0);
    assert_int_equal (spool_ack (spool, 1, 2), 0);
    assert_int_equal (s_stats (spool).floor, 2);
    assert_int_equal (spool_pending_records (spool), 4);
    assert_int_equal (spool_ack (spool, 2, 4), 0);
    assert_int_equal (s_stats (spool).floor, 6);
    assert_int_equal (spool_ack (spool, 8, 9), 0);
    assert_int_equal (spool_pending_records (spool), 1);
    assert_int_equal (s_stats (spool).ack_ranges, 1);
    assert_int_equal (spool_ack (spool, 1, 10), 0);
    assert_int_equal (s_stats (spool).floor, 10);
    assert_int_equal (spool_pending_records (spool), 0);
    assert_int_equal (spool_pending_bytes (spool), 0);
    assert_int_equal (s_stats (spool).ack_ranges, 0);
    /* An empty range is a caller's bug: logged, changes nothing. */
    assert_int_equal (spool_ack (spool, 5, 4), 0);
    assert_int_equal (s_stats (spool).floor, 10);
    spool_destroy (&spool);
}

static void
test_acks_of_ids_not_yet_given_out_are_ignored (void **state)
{
    spool_options_t o = s_opts (0, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 3, 0);
    s_expect_range (spool, 1, 3, 0);
    assert_int_equal (spool_ack (spool, 1, 1000), 0);
    s_append (spool, 4, 0);
    assert_int_equal (spool_pending_records (spool), 1);
    s_expect (spool, 4, 0);
    spool_destroy (&spool);
}

static void
test_acks_partly_above_the_floor_survive_a_restart_as_resends_only (void **state)
{
    spool_options_t o = s_opts (0, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 10, 0);
    s_expect_range (spool, 1, 10, 0);
    assert_int_equal (spool_ack (spool, 1, 3), 0);
    assert_int_equal (spool_ack (spool, 6, 8), 0);
    spool_destroy (&spool);
    spool = s_open (&o);
    /* 6-8 are sent again (the collector de-duplicates); 1-3 never. */
    s_expect_range (spool, 4, 10, 0);
    s_expect_end (spool);
    spool_destroy (&spool);
}

static void
test_a_segment_is_deleted_only_once_all_its_records_are_acknowledged (void **state)
{
    spool_options_t o = s_opts (1000, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 30, 80);
    s_expect_range (spool, 1, 30, 80);
    assert_int_equal (spool_ack (spool, 1, 9), 0);
    assert_true (s_exists (s_segment (s_dir, 1)));
    assert_int_equal (spool_ack (spool, 11, 20), 0);
    assert_true (s_exists (s_segment (s_dir, 1)));
    assert_true (s_exists (s_segment (s_dir, 11)));
    assert_int_equal (spool_ack (spool, 10, 10), 0);
    assert_false (s_exists (s_segment (s_dir, 1)));
    assert_false (s_exists (s_segment (s_dir, 11)));
    assert_true (s_exists (s_segment (s_dir, 21)));
    /* The active segment stays even when all of it is acknowledged. */
    assert_int_equal (spool_ack (spool, 21, 30), 0);
    assert_true (s_exists (s_segment (s_dir, 21)));
    assert_int_equal (s_stats (spool).segments, 1);
    spool_destroy (&spool);
}

static void
test_rewind_returns_again_what_is_read_but_unacknowledged (void **state)
{
    spool_options_t o = s_opts (300, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 10, 80);
    s_expect_range (spool, 1, 10, 80);
    assert_int_equal (spool_ack (spool, 1, 2), 0);
    assert_int_equal (spool_ack (spool, 5, 6), 0);
    spool_rewind (spool);
    s_expect_range (spool, 3, 4, 80);
    s_expect_range (spool, 7, 10, 80);
    s_expect_end (spool);
    assert_int_equal (spool_ack (spool, 3, 10), 0);
    spool_rewind (spool);
    s_expect_end (spool);
    assert_int_equal (spool_pending_records (spool), 0);
    spool_destroy (&spool);
}

/* --- the bound ----------------------------------------------------------------------- */

static int64_t
s_spool_disk (const char *dir)
{
    int64_t total = 0;
    DIR *d = opendir (s_path ("%s/spool", dir));
    struct dirent *de;
    while ((de = readdir (d)))
        if (strstr (de->d_name, ".seg"))
            total += s_size (s_path ("%s/spool/%s", dir, de->d_name));
    closedir (d);
    return total;
}

static void
test_full_at_the_bound_and_appendable_again_after_acks_free_a_segment (void **state)
{
    spool_options_t o = s_opts (1000, 3000);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 30, 80);
    assert_true (spool_is_full (spool, 80));
    unsigned char buf[80] = { 0 };
    uint64_t id = 77;
    int64_t before = s_spool_disk (s_dir);
    assert_int_equal (spool_append (spool, buf, 80, &id), SPOOL_FULL);
    assert_int_equal (spool_append (spool, buf, 1, &id), SPOOL_FULL);
    assert_int_equal (id, 77);
    assert_int_equal (s_spool_disk (s_dir), before);
    assert_int_equal (spool_pending_bytes (spool), 3000);

    s_expect_range (spool, 1, 10, 80);
    assert_int_equal (spool_ack (spool, 1, 10), 0);
    assert_false (s_exists (s_segment (s_dir, 1)));
    assert_false (spool_is_full (spool, 80));
    s_append_range (spool, 31, 40, 80);
    assert_int_equal (spool_append (spool, buf, 80, &id), SPOOL_FULL);
    spool_destroy (&spool);

    /* The bound holds across a restart too. */
    spool = s_open (&o);
    assert_int_equal (spool_append (spool, buf, 80, &id), SPOOL_FULL);
    s_expect_range (spool, 11, 40, 80);
    spool_destroy (&spool);
}

static void
test_record_sizes_outside_the_limits_are_refused (void **state)
{
    spool_options_t o = s_opts (0, 0);
    spool_t *spool = s_open (&o);
    static unsigned char big[SPOOL_RECORD_MAX + 1];
    uint64_t id = 0;
    errno = 0;
    assert_int_equal (spool_append (spool, big, 0, &id), SPOOL_ERROR);
    assert_int_equal (errno, EINVAL);
    assert_int_equal (spool_append (spool, big, SPOOL_RECORD_MAX + 1, &id), SPOOL_ERROR);
    s_append (spool, 1, SPOOL_RECORD_MAX);
    s_expect (spool, 1, SPOOL_RECORD_MAX);
    spool_destroy (&spool);
}

static void
test_a_failed_write_leaves_nothing_behind (void **state)
{
    /* RLIMIT_FSIZE makes the write stop part-way (as a full disk does) with EFBIG. */
    spool_options_t o = s_opts (0, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 5, 80);
    const char *seg = s_segment (s_dir, 1);
    assert_int_equal (s_size (seg), 500);
    file_size_limit_t full;
    file_size_limit_begin (&full, 530);
    unsigned char buf[80] = { 1 };
    uint64_t id = 0;
    errno = 0;
    spool_status_t st = spool_append (spool, buf, 80, &id);
    int e = errno;
    int64_t size = s_size (seg);
    file_size_limit_end (&full);
    assert_int_equal (st, SPOOL_ERROR);
    assert_int_equal (e, EFBIG);
    assert_int_equal (size, 500);
    assert_int_equal (spool_pending_records (spool), 5);
    s_append (spool, 6, 80);
    spool_destroy (&spool);
    spool = s_open (&o);
    s_expect_range (spool, 1, 6, 80);
    s_expect_end (spool);
    spool_destroy (&spool);
}

/* A spool that filled its own disk: once everything in it is acknowledged, the next
   append leaves the full active segment for a new one and deletes it, instead of failing
   for ever with nothing left to deliver. RLIMIT_FSIZE stands for the full disk: the
   active segment cannot grow, a new one can. */
static void
test_a_spool_that_filled_its_disk_gives_the_space_back_once_acknowledged (void **state)
{
    spool_options_t o = s_opts (0, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 5, 80);
    file_size_limit_t full;
    file_size_limit_begin (&full, 500);
    unsigned char buf[80] = { 1 };
    uint64_t id = 0;
    /* Nothing acknowledged yet: nothing to give back, the append fails. */
    spool_status_t st = spool_append (spool, buf, 80, &id);
    int e = errno;
    s_expect_range (spool, 1, 5, 80);
    assert_int_equal (spool_ack (spool, 1, 5), 0);
    unsigned char six[80];
    s_payload (6, six, 80);
    spool_status_t after = spool_append (spool, six, 80, &id);
    file_size_limit_end (&full);
    assert_int_equal (st, SPOOL_ERROR);
    assert_int_equal (e, EFBIG);
    assert_int_equal (after, SPOOL_OK);
    assert_int_equal (id, 6);
    assert_false (s_exists (s_segment (s_dir, 1)));
    assert_int_equal (s_size (s_segment (s_dir, 6)), 100);
    s_expect (spool, 6, 80);
    s_expect_end (spool);
    spool_destroy (&spool);
    /* Reopened: record 6 is still owed, and ids keep counting. */
    spool = s_open (&o);
    s_expect (spool, 6, 80);
    s_expect_end (spool);
    s_append (spool, 7, 80);
    spool_destroy (&spool);
}

/* --- fsync policy ---------------------------------------------------------------------- */

static void
test_group_commit_by_record_count (void **state)
{
    spool_options_t o = s_opts (0, 0);
    o.fsync_records = 10;
    o.fsync_interval_ms = 3600 * 1000;
    spool_t *spool = s_open (&o);
    assert_int_equal (spool_sync_due_in_ms (spool), -1);
    uint64_t fsyncs = s_stats (spool).fsyncs;
    s_append_range (spool, 1, 9, 0);
    assert_int_equal (spool_sync_if_due (spool), 0);
    assert_int_equal (spool_durable_id (spool), 0);
    assert_int_equal (s_stats (spool).fsyncs, fsyncs);
    assert_true (spool_sync_due_in_ms (spool) > 1000);
    s_append (spool, 10, 0);
    assert_int_equal (spool_sync_due_in_ms (spool), 0);
    assert_int_equal (spool_sync_if_due (spool), 0);
    assert_int_equal (spool_durable_id (spool), 10);
    assert_int_equal (s_stats (spool).fsyncs, fsyncs + 1);
    assert_int_equal (spool_sync_due_in_ms (spool), -1);
    spool_destroy (&spool);
}

static void
test_group_commit_by_interval (void **state)
{
    spool_options_t o = s_opts (0, 0);
    o.fsync_interval_ms = 300;
    spool_t *spool = s_open (&o);
    s_append (spool, 1, 0);
    int due = spool_sync_due_in_ms (spool);
    assert_true (due > 0 && due <= 300);
    assert_int_equal (spool_sync_if_due (spool), 0);
    assert_int_equal (spool_durable_id (spool), 0);
    while ((due = spool_sync_due_in_ms (spool)) > 0) {
        struct timespec ts = { 0, (long)due * 1000000 };
        nanosleep (&ts, NULL);
    }
    assert_int_equal (spool_sync_if_due (spool), 0);
    assert_int_equal (spool_durable_id (spool), 1);
    /* spool_sync makes everything durable at once. */
    s_append_range (spool, 2, 5, 0);
    assert_int_equal (spool_durable_id (spool), 1);
    assert_int_equal (spool_sync (spool), 0);
    assert_int_equal (spool_durable_id (spool), 5);
    spool_destroy (&spool);
}

static void
test_fsync_always_makes_each_append_durable (void **state)
{
    spool_options_t o = s_opts (0, 0);
    o.fsync_always = true;
    spool_t *spool = s_open (&o);
    uint64_t fsyncs = s_stats (spool).fsyncs;
    for (uint64_t id = 1; id <= 5; id++) {
        s_append (spool, id, 0);
        assert_int_equal (spool_durable_id (spool), id);
        assert_int_equal (s_stats (spool).fsyncs, fsyncs + id);
        assert_int_equal (spool_sync_due_in_ms (spool), -1);
    }
    spool_destroy (&spool);
}

static void
test_reopen_makes_what_is_on_disk_durable (void **state)
{
    spool_options_t o = s_opts (0, 0);
    o.fsync_interval_ms = 3600 * 1000;
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 7, 0);
    assert_int_equal (spool_durable_id (spool), 0);
    spool_destroy (&spool);
    spool = s_open (&o);
    assert_int_equal (spool_durable_id (spool), 7);
    spool_destroy (&spool);
}

/* --- exclusivity ------------------------------------------------------------------------- */

static void
test_a_second_open_of_the_same_spool_is_refused (void **state)
{
    spool_options_t o = s_opts (0, 0);
    spool_t *spool = s_open (&o);
    char err[256] = "";
    spool_t *other = spool_open (s_dir, &o, err, sizeof err);
    assert_null (other);
    assert_non_null (strstr (err, "in use by another process"));
    spool_destroy (&spool);
    other = s_open (&o);
    spool_destroy (&other);
    spool_destroy (&other); /* NULL-safe */
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_records_round_trip_across_many_segments, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_reading_keeps_up_with_appends_across_segments, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_reopen_resumes_ids_and_sends_nothing_below_the_floor, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_pending_bytes_counts_unacknowledged_records_exactly, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_lost_ack_file_resends_from_oldest_segment_and_loses_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_ack_file_ahead_of_a_lost_tail_never_reuses_acknowledged_ids, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_out_of_order_and_overlapping_acks_move_the_floor_correctly, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_acks_of_ids_not_yet_given_out_are_ignored, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_acks_partly_above_the_floor_survive_a_restart_as_resends_only, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_segment_is_deleted_only_once_all_its_records_are_acknowledged,
          s_setup,
          s_teardown),
        cmocka_unit_test_setup_teardown (
          test_rewind_returns_again_what_is_read_but_unacknowledged, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_spool_that_filled_its_disk_gives_the_space_back_once_acknowledged,
          s_setup,
          s_teardown),
        cmocka_unit_test_setup_teardown (
          test_full_at_the_bound_and_appendable_again_after_acks_free_a_segment,
          s_setup,
          s_teardown),
        cmocka_unit_test_setup_teardown (
          test_record_sizes_outside_the_limits_are_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_failed_write_leaves_nothing_behind, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_group_commit_by_record_count, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_group_commit_by_interval, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_fsync_always_makes_each_append_durable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_reopen_makes_what_is_on_disk_durable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_second_open_of_the_same_spool_is_refused, s_setup, s_teardown),
    };
    log_threshold = LOG_LEVEL_WARN;
    return cmocka_run_group_tests (tests, NULL, NULL);
}
