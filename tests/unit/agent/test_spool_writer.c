/* spool_writer: an append puts one whole frame at the end of the active segment or
   nothing at all (a full disk, a failed fdatasync under --fsync always); a new segment
   starts only after the old one is synced; durable_id moves only with an fdatasync that
   succeeded; and the group-commit policy says when a sync is due.

   fdatasync is interposed (this program defines it; the static libraries' calls bind to
   it) so a test can make it fail; otherwise it passes through to the kernel. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <czmq.h>
#include <sys/syscall.h>

#include "spool_fixture.h"
#include "spool_frame.h"
#include "spool_writer.h"
#include "test_files.h"

static int s_datasync_fail; /* errno for the next fdatasync calls (0: pass through) */
static int s_datasyncs;

int
fdatasync (int fd)
{
    s_datasyncs++;
    if (s_datasync_fail) {
        errno = s_datasync_fail;
        return -1;
    }
    return (int)syscall (SYS_fdatasync, fd);
}

typedef struct {
    spool_options_t opts;
    spool_stats_t stats;
    spool_segments_t segs;
    spool_writer_t w;
} s_ctx_t;

/* A writer on a new, empty DIR/spool with segment 1. */
static void
s_ctx_open (s_ctx_t *c, uint64_t segment_bytes, bool always)
{
    memset (c, 0, sizeof *c);
    spool_options_defaults (&c->opts);
    c->opts.segment_bytes = segment_bytes;
    c->opts.fsync_always = always;
    s_datasync_fail = 0;
    s_datasyncs = 0;
    assert_int_equal (mkdir (s_path ("%s/spool", s_dir), 0700), 0);
    char err[256] = "";
    assert_int_equal (
      spool_segments_init (&c->segs, s_path ("%s/spool", s_dir), &c->stats, err, sizeof err), 0);
    int fd = spool_segments_create (&c->segs, 1, false);
    assert_true (fd >= 0);
    close (fd);
    spool_writer_init (&c->w, &c->segs, &c->stats, &c->opts);
    assert_int_equal (spool_writer_open (&c->w, err, sizeof err), 0);
}

static void
s_ctx_close (s_ctx_t *c)
{
    spool_writer_fini (&c->w);
    spool_segments_fini (&c->segs);
}

static void
s_frame_of (unsigned char *buf, uint64_t id, const char *payload)
{
    spool_frame_header_make (buf, id, payload, (uint32_t)strlen (payload));
    memcpy (buf + SPOOL_FRAME_HEADER, payload, strlen (payload));
}

static void
test_appends_are_whole_frames_at_the_end_with_consecutive_ids (void **state)
{
    s_ctx_t c;
    s_ctx_open (&c, 1 << 20, false);
    unsigned char want[256];
    size_t n = 0;
    const char *payloads[] = { "first", "second record", "3" };
    for (int i = 0; i < 3; i++) {
        uint64_t id = 0;
        assert_int_equal (spool_writer_append (&c.w, payloads[i], strlen (payloads[i]), &id), 0);
        assert_int_equal (id, (uint64_t)i + 1);
        s_frame_of (want + n, id, payloads[i]);
        n += SPOOL_FRAME_HEADER + strlen (payloads[i]);
    }
    test_file_expect (s_segment (s_dir, 1), want, n);
    assert_int_equal (c.segs.list[0].size, n);
    assert_int_equal (c.stats.appended, 3);
    assert_int_equal (c.w.durable_id, 0); /* group commit: nothing synced yet */
    assert_int_equal (c.w.unsynced, 3);
    assert_int_equal (spool_writer_sync (&c.w), 0);
    assert_int_equal (c.w.durable_id, 3);
    assert_int_equal (c.w.unsynced, 0);
    s_ctx_close (&c);
}

static void
test_a_new_segment_starts_after_the_old_one_is_synced (void **state)
{
    s_ctx_t c;
    s_ctx_open (&c, 2 * (SPOOL_FRAME_HEADER + 10), false);
    uint64_t id;
    for (int i = 0; i < 2; i++)
        assert_int_equal (spool_writer_append (&c.w, "0123456789", 10, &id), 0);
    assert_int_equal (c.segs.count, 1);
    int before = s_datasyncs;
    assert_int_equal (spool_writer_append (&c.w, "0123456789", 10, &id), 0);
    assert_int_equal (id, 3);
    assert_int_equal (c.segs.count, 2);
    assert_int_equal (c.segs.list[1].first, 3); /* named after its first id */
    assert_int_equal (s_datasyncs, before + 1); /* the old one, before the new one */
    assert_int_equal (c.w.durable_id, 2);
    assert_int_equal (s_size (s_segment (s_dir, 1)), 2 * (SPOOL_FRAME_HEADER + 10));
    assert_int_equal (s_size (s_segment (s_dir, 3)), SPOOL_FRAME_HEADER + 10);
    /* a record bigger than a segment still goes in, alone */
    static char big[1000];
    memset (big, 'b', sizeof big);
    assert_int_equal (spool_writer_append (&c.w, big, sizeof big, &id), 0);
    assert_int_equal (c.segs.count, 3);
    assert_int_equal (c.segs.list[2].size, SPOOL_FRAME_HEADER + sizeof big);
    s_ctx_close (&c);
}

static void
test_an_append_the_disk_cuts_short_leaves_nothing (void **state)
{
    s_ctx_t c;
    s_ctx_open (&c, 1 << 20, false);
    uint64_t id;
    assert_int_equal (spool_writer_append (&c.w, "kept", 4, &id), 0);
    static char big[5000];
    memset (big, 'x', sizeof big);
    file_size_limit_t full;
    file_size_limit_begin (&full, 1000);
    errno = 0;
    int rc = spool_writer_append (&c.w, big, sizeof big, &id);
    int e = errno;
    file_size_limit_end (&full);
    assert_int_equal (rc, -1);
    assert_int_equal (e, EFBIG);
    assert_int_equal (c.w.last_id, 1);
    assert_int_equal (s_size (s_segment (s_dir, 1)), SPOOL_FRAME_HEADER + 4);
    assert_int_equal (c.segs.list[0].size, SPOOL_FRAME_HEADER + 4);
    /* the next append takes the next id, right after the last whole record */
    assert_int_equal (spool_writer_append (&c.w, "next", 4, &id), 0);
    assert_int_equal (id, 2);
    unsigned char want[64];
    s_frame_of (want, 1, "kept");
    s_frame_of (want + SPOOL_FRAME_HEADER + 4, 2, "next");
    test_file_expect (s_segment (s_dir, 1), want, 2 * (SPOOL_FRAME_HEADER + 4));
    s_ctx_close (&c);
}

static void
test_fsync_always_takes_the_record_back_when_its_fsync_fails (void **state)
{
    s_ctx_t c;
    s_ctx_open (&c, 1 << 20, true);
    uint64_t id;
    assert_int_equal (spool_writer_append (&c.w, "one", 3, &id), 0);
    assert_int_equal (c.w.durable_id, 1);
    s_datasync_fail = EIO;
    errno = 0;
    assert_int_equal (spool_writer_append (&c.w, "two", 3, &id), -1);
    assert_int_equal (errno, EIO);
    s_datasync_fail = 0;
    assert_int_equal (c.w.last_id, 1);
    assert_int_equal (c.w.durable_id, 1);
    assert_int_equal (s_size (s_segment (s_dir, 1)), SPOOL_FRAME_HEADER + 3);
    s_ctx_close (&c);
}

static void
test_durable_id_moves_only_with_a_sync_that_succeeded (void **state)
{
    s_ctx_t c;
    s_ctx_open (&c, 1 << 20, false);
    uint64_t id;
    assert_int_equal (spool_writer_append (&c.w, "one", 3, &id), 0);
    s_datasync_fail = EIO;
    s_capture_start ();
    int rc = spool_writer_sync (&c.w);
    const char *log = s_capture_stop ();
    s_datasync_fail = 0;
    assert_int_equal (rc, -1);
    assert_non_null (strstr (log, "could not fsync spool segment"));
    assert_int_equal (c.w.durable_id, 0);
    assert_int_equal (c.w.unsynced, 1); /* still waiting: the next sync tries again */
    assert_int_equal (spool_writer_sync (&c.w), 0);
    assert_int_equal (c.w.durable_id, 1);
    s_ctx_close (&c);
}

static void
test_a_sync_falls_due_by_count_or_by_age (void **state)
{
    s_ctx_t c;
    s_ctx_open (&c, 1 << 20, false);
    c.opts.fsync_records = 3;
    c.opts.fsync_interval_ms = 50;
    int64_t now = zclock_mono ();
    assert_int_equal (spool_writer_due_in (&c.w, now), -1); /* nothing waits */
    uint64_t id;
    assert_int_equal (spool_writer_append (&c.w, "a", 1, &id), 0);
    int64_t since = c.w.unsynced_since;
    assert_int_equal (spool_writer_due_in (&c.w, since), 50);
    assert_int_equal (spool_writer_due_in (&c.w, since + 30), 20);
    assert_int_equal (spool_writer_due_in (&c.w, since + 50), 0);
    assert_int_equal (spool_writer_due_in (&c.w, since + 999), 0);
    assert_int_equal (spool_writer_append (&c.w, "b", 1, &id), 0);
    assert_int_equal (c.w.unsynced_since, since); /* the oldest unsynced record counts */
    assert_int_equal (spool_writer_append (&c.w, "c", 1, &id), 0);
    assert_int_equal (spool_writer_due_in (&c.w, since), 0); /* three records */
    assert_int_equal (spool_writer_sync (&c.w), 0);
    assert_int_equal (spool_writer_due_in (&c.w, since), -1);
    s_ctx_close (&c);
}

static void
test_a_failing_append_is_logged_once_until_one_succeeds (void **state)
{
    s_ctx_t c;
    s_ctx_open (&c, 1 << 20, false);
    s_capture_start ();
    spool_writer_failed (&c.w, ENOSPC);
    spool_writer_failed (&c.w, ENOSPC);
    uint64_t id;
    assert_int_equal (spool_writer_append (&c.w, "a", 1, &id), 0);
    spool_writer_failed (&c.w, ENOSPC);
    const char *log = s_capture_stop ();
    const char *first = strstr (log, "could not append to spool");
    assert_non_null (first);
    const char *second = strstr (first + 1, "could not append to spool");
    assert_non_null (second);
    assert_null (strstr (second + 1, "could not append to spool"));
    assert_non_null (strstr (log, "spool appends succeed again"));
    s_ctx_close (&c);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_appends_are_whole_frames_at_the_end_with_consecutive_ids, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_new_segment_starts_after_the_old_one_is_synced, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_an_append_the_disk_cuts_short_leaves_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_fsync_always_takes_the_record_back_when_its_fsync_fails, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_durable_id_moves_only_with_a_sync_that_succeeded, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_sync_falls_due_by_count_or_by_age, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_failing_append_is_logged_once_until_one_succeeds, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
