/* spool_cursor, on segments laid out byte by byte: valid records come back in order and
   padding is skipped; a stretch of damage is copied to quarantine, covered by padding
   and never found again, with the ids it swallowed counted; a torn tail is cut only at
   the end of the last segment during recovery; a record out of id order is damage; and
   damage that cannot be copied is left where it is. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "spool_cursor.h"
#include "spool_fixture.h"
#include "spool_frame.h"
#include "test_files.h"

/* --- laying out a segment ------------------------------------------------------------- */

typedef struct {
    unsigned char b[16384];
    size_t n;
} s_bytes_t;

static void
s_rec (s_bytes_t *s, uint64_t id, const char *payload)
{
    size_t len = strlen (payload);
    spool_frame_header_make (s->b + s->n, id, payload, (uint32_t)len);
    memcpy (s->b + s->n + SPOOL_FRAME_HEADER, payload, len);
    s->n += SPOOL_FRAME_HEADER + len;
}

/* Damage: bytes that hold no magic (no 0xFE). */
static void
s_junk (s_bytes_t *s, size_t n)
{
    memset (s->b + s->n, 'j', n);
    s->n += n;
}

static void
s_pad (s_bytes_t *s, uint32_t covered)
{
    spool_frame_padding_make (s->b + s->n, covered);
    memset (s->b + s->n + SPOOL_FRAME_HEADER, '?', covered);
    s->n += SPOOL_FRAME_HEADER + covered;
}

static void
s_write_segment (uint64_t first, const s_bytes_t *s)
{
    test_file_put (s_segment (s_dir, first), s->b, s->n);
}

/* --- the cursor over DIR/spool -------------------------------------------------------- */

typedef struct {
    spool_stats_t stats;
    spool_segments_t segs;
    spool_cursor_t cur;
    char qdir[128];
} s_ctx_t;

static void
s_ctx_open (s_ctx_t *c)
{
    memset (c, 0, sizeof *c);
    snprintf (c->qdir, sizeof c->qdir, "%s/quarantine", s_dir);
    char err[256] = "";
    assert_int_equal (
      spool_segments_init (&c->segs, s_path ("%s/spool", s_dir), &c->stats, err, sizeof err), 0);
    assert_int_equal (spool_segments_load (&c->segs, err, sizeof err), 0);
    spool_segments_rebase (&c->segs);
    spool_cursor_init (&c->cur, &c->segs, c->qdir, &c->stats);
    spool_cursor_set (&c->cur, 0, 0, 0);
}

static void
s_ctx_close (s_ctx_t *c)
{
    spool_cursor_fini (&c->cur);
    spool_segments_fini (&c->segs);
}

static int
s_setup_spool (void **state)
{
    if (s_setup (state) != 0)
        return -1;
    return mkdir (s_path ("%s/spool", s_dir), 0700);
}

/* Reads the cursor's segment to its end; the ids in ids[], how many returned. */
static size_t
s_read_all (s_ctx_t *c, bool tail, uint64_t last_id, uint64_t *ids, size_t cap)
{
    size_t n = 0;
    spool_cursor_record_t rec;
    int rc;
    while ((rc = spool_cursor_next (&c->cur, tail, last_id, &rec)) == 1) {
        assert_true (n < cap);
        ids[n++] = rec.id;
    }
    assert_int_equal (rc, 0);
    return n;
}

static void
s_expect_ids (const uint64_t *got, size_t n, const uint64_t *want, size_t wn)
{
    assert_int_equal (n, wn);
    for (size_t i = 0; i < n; i++)
        assert_int_equal (got[i], want[i]);
}

/* --- tests ---------------------------------------------------------------------------- */

static void
test_records_come_back_in_order_and_padding_is_skipped (void **state)
{
    s_bytes_t s = { .n = 0 };
    s_rec (&s, 1, "one");
    s_pad (&s, 11);
    s_rec (&s, 2, "two");
    s_rec (&s, 3, "three");
    s_write_segment (1, &s);
    s_ctx_t c;
    s_ctx_open (&c);
    spool_cursor_record_t rec;
    assert_int_equal (spool_cursor_next (&c.cur, false, 3, &rec), 1);
    assert_int_equal (rec.id, 1);
    assert_int_equal (rec.start, 0);
    assert_int_equal (rec.len, 3);
    assert_memory_equal (rec.data, "one", 3);
    assert_int_equal (spool_cursor_next (&c.cur, false, 3, &rec), 1);
    assert_int_equal (rec.id, 2);
    assert_int_equal (rec.start, SPOOL_FRAME_HEADER + 3 + SPOOL_FRAME_HEADER + 11);
    assert_memory_equal (rec.data, "two", 3);
    assert_int_equal (spool_cursor_next (&c.cur, false, 3, &rec), 1);
    assert_memory_equal (rec.data, "three", 5);
    assert_int_equal (spool_cursor_pos (&c.cur), s.n);
    assert_int_equal (spool_cursor_next (&c.cur, false, 3, &rec), 0);
    assert_int_equal (c.stats.quarantined_bytes, 0);
    assert_int_equal (s_count (s_dir, "quarantine", ".bad"), 0);
    s_ctx_close (&c);
}

static void
test_damage_is_copied_covered_and_never_found_again (void **state)
{
    s_bytes_t s = { .n = 0 };
    s_rec (&s, 1, "one");
    s_rec (&s, 2, "two");
    size_t at = s.n;
    s_junk (&s, 37); /* where 3 and 4 were */
    s_rec (&s, 5, "five");
    s_write_segment (1, &s);
    s_ctx_t c;
    s_ctx_open (&c);
    uint64_t ids[8];
    s_capture_start ();
    size_t n = s_read_all (&c, false, 5, ids, 8);
    const char *log = s_capture_stop ();
    s_expect_ids (ids, n, (uint64_t[]){ 1, 2, 5 }, 3);
    assert_int_equal (c.stats.quarantined_bytes, 37);
    assert_int_equal (c.stats.quarantined_records, 2);
    assert_non_null (strstr (log, "damaged spool records moved to quarantine"));
    /* the copy holds the damaged bytes exactly */
    test_file_expect (
      s_path ("%s/quarantine/00000000000000000001-%zu.bad", s_dir, at), s.b + at, 37);
    /* a padding frame covers them now, and the segment is otherwise as it was */
    size_t len;
    unsigned char *now = (unsigned char *)test_file_get (s_segment (s_dir, 1), &len);
    assert_int_equal (len, s.n);
    spool_frame_header_t fh;
    assert_true (spool_frame_header_read (now + at, &fh));
    assert_int_equal (fh.id, 0);
    assert_int_equal (fh.len, 37 - SPOOL_FRAME_HEADER);
    assert_true (spool_frame_verify (now + at, &fh));
    assert_memory_equal (now, s.b, at);
    assert_memory_equal (
      now + at + SPOOL_FRAME_HEADER, s.b + at + SPOOL_FRAME_HEADER, s.n - at - SPOOL_FRAME_HEADER);
    free (now);
    s_ctx_close (&c);
    /* read again from scratch: the same records, nothing set aside this time */
    s_ctx_open (&c);
    n = s_read_all (&c, false, 5, ids, 8);
    s_expect_ids (ids, n, (uint64_t[]){ 1, 2, 5 }, 3);
    assert_int_equal (c.stats.quarantined_bytes, 0);
    s_ctx_close (&c);
}

static void
test_damage_too_short_to_cover_is_copied_and_skipped (void **state)
{
    s_bytes_t s = { .n = 0 };
    s_rec (&s, 1, "one");
    s_junk (&s, 5);
    s_rec (&s, 2, "two");
    s_write_segment (1, &s);
    s_ctx_t c;
    s_ctx_open (&c);
    uint64_t ids[8];
    s_capture_start ();
    size_t n = s_read_all (&c, false, 2, ids, 8);
    s_capture_stop ();
    s_expect_ids (ids, n, (uint64_t[]){ 1, 2 }, 2);
    assert_int_equal (c.stats.quarantined_bytes, 5);
    assert_int_equal (c.stats.quarantined_records, 0);
    test_file_expect (s_segment (s_dir, 1), s.b, s.n); /* left in place: no room for padding */
    s_ctx_close (&c);
}

static void
test_a_torn_tail_is_cut_only_while_recovering_the_last_segment (void **state)
{
    s_bytes_t s = { .n = 0 };
    s_rec (&s, 1, "one");
    s_rec (&s, 2, "two");
    size_t whole = s.n;
    s_rec (&s, 3, "three");
    s.n -= 4; /* the write of 3 was cut short */
    s_write_segment (1, &s);
    /* read as a sealed segment would be, it is damage: set aside, nothing cut */
    s_ctx_t c;
    s_ctx_open (&c);
    uint64_t ids[8];
    s_capture_start ();
    size_t n = s_read_all (&c, false, 3, ids, 8);
    s_capture_stop ();
    s_expect_ids (ids, n, (uint64_t[]){ 1, 2 }, 2);
    assert_int_equal (c.stats.torn_bytes_cut, 0);
    assert_int_equal (c.stats.quarantined_records, 1); /* id 3, from last_id */
    s_ctx_close (&c);
    /* recovering at open, it is a torn write: cut */
    s_write_segment (1, &s);
    spool_stats_t stats = { 0 };
    spool_segments_t segs;
    char err[256];
    assert_int_equal (
      spool_segments_init (&segs, s_path ("%s/spool", s_dir), &stats, err, sizeof err), 0);
    assert_int_equal (spool_segments_load (&segs, err, sizeof err), 0);
    uint64_t max_id = 0;
    s_capture_start ();
    int rc = spool_cursor_recover_tail (&segs, s_path ("%s/quarantine", s_dir), &stats, &max_id);
    const char *log = s_capture_stop ();
    assert_int_equal (rc, 0);
    assert_int_equal (max_id, 2);
    assert_int_equal (stats.torn_bytes_cut, s.n - whole);
    assert_int_equal (segs.list[0].size, whole);
    assert_int_equal (s_size (s_segment (s_dir, 1)), (int64_t)whole);
    assert_int_equal (stats.fsyncs, 1); /* the cut is made durable */
    assert_non_null (strstr (log, "torn record cut from the end of the spool"));
    spool_segments_fini (&segs);
}

static void
test_records_out_of_id_order_are_damage (void **state)
{
    s_bytes_t a = { .n = 0 }, b = { .n = 0 };
    s_rec (&a, 1, "one");
    s_rec (&a, 2, "two");
    s_rec (&a, 3, "three");
    s_rec (&a, 2, "two again"); /* a stale copy: id not above the last good one */
    s_rec (&a, 4, "four");
    s_rec (&a, 11, "eleven"); /* at or past the next segment's name */
    s_write_segment (1, &a);
    s_rec (&b, 11, "eleven");
    s_write_segment (11, &b);
    s_ctx_t c;
    s_ctx_open (&c);
    uint64_t ids[8];
    s_capture_start ();
    size_t n = s_read_all (&c, false, 11, ids, 8);
    s_capture_stop ();
    s_expect_ids (ids, n, (uint64_t[]){ 1, 2, 3, 4 }, 4);
    assert_int_equal (c.stats.quarantined_bytes, SPOOL_FRAME_HEADER + 9 + SPOOL_FRAME_HEADER + 6);
    /* the trailing stretch of a sealed segment swallowed the ids up to the next name */
    assert_int_equal (c.stats.quarantined_records, 6); /* 5..10 */
    spool_cursor_set (&c.cur, 1, 0, 0);
    n = s_read_all (&c, false, 11, ids, 8);
    s_expect_ids (ids, n, (uint64_t[]){ 11 }, 1);
    s_ctx_close (&c);
}

static void
test_damage_that_cannot_be_copied_is_left_in_place (void **state)
{
    s_bytes_t s = { .n = 0 };
    s_rec (&s, 1, "one");
    s_junk (&s, 60);
    s_rec (&s, 4, "four");
    s_write_segment (1, &s);
    test_file_put (s_path ("%s/quarantine", s_dir), "not a directory", 15);
    s_ctx_t c;
    s_ctx_open (&c);
    uint64_t ids[8];
    s_capture_start ();
    size_t n = s_read_all (&c, false, 4, ids, 8);
    const char *log = s_capture_stop ();
    s_expect_ids (ids, n, (uint64_t[]){ 1, 4 }, 2);
    assert_non_null (strstr (log, "could not save damaged spool bytes, skipping them"));
    test_file_expect (s_segment (s_dir, 1), s.b, s.n); /* not covered: it is the only copy */
    s_ctx_close (&c);
}

static void
test_reading_resumes_above_the_floor_and_seeks_by_position (void **state)
{
    s_bytes_t a = { .n = 0 }, b = { .n = 0 };
    s_rec (&a, 1, "one");
    s_rec (&a, 2, "two");
    s_rec (&a, 3, "three");
    s_write_segment (1, &a);
    s_rec (&b, 4, "four");
    s_rec (&b, 5, "five");
    s_write_segment (4, &b);
    s_ctx_t c;
    s_ctx_open (&c);
    assert_int_equal (spool_cursor_find_above (&c.cur, 4, 5), 0);
    assert_int_equal (c.cur.seg, 1);
    uint64_t at = spool_cursor_pos (&c.cur);
    assert_int_equal (at, a.n + SPOOL_FRAME_HEADER + 4);
    spool_cursor_record_t rec;
    assert_int_equal (spool_cursor_next (&c.cur, false, 5, &rec), 1);
    assert_int_equal (rec.id, 5);
    /* back to a position: the same record again */
    spool_cursor_seek (&c.cur, at, 4);
    assert_int_equal (spool_cursor_next (&c.cur, false, 5, &rec), 1);
    assert_int_equal (rec.id, 5);
    /* the floor below everything: the first record */
    assert_int_equal (spool_cursor_find_above (&c.cur, 0, 5), 0);
    assert_int_equal (spool_cursor_pos (&c.cur), 0);
    /* above everything: the end */
    assert_int_equal (spool_cursor_find_above (&c.cur, 5, 5), 0);
    assert_int_equal (spool_cursor_pos (&c.cur), a.n + b.n);
    /* the first segment deleted under a cursor standing in it */
    spool_cursor_set (&c.cur, 0, SPOOL_FRAME_HEADER + 3, 1);
    size_t removed;
    assert_int_equal (spool_segments_reclaim (&c.segs, 3, &removed), 0);
    assert_int_equal (removed, 1);
    spool_cursor_segments_removed (&c.cur, removed);
    assert_int_equal (c.cur.seg, 0);
    assert_int_equal (spool_cursor_next (&c.cur, false, 5, &rec), 1);
    assert_int_equal (rec.id, 4);
    s_ctx_close (&c);
}

int
main (void)
{
    log_threshold = LOG_LEVEL_WARN;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_records_come_back_in_order_and_padding_is_skipped, s_setup_spool, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_damage_is_copied_covered_and_never_found_again, s_setup_spool, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_damage_too_short_to_cover_is_copied_and_skipped, s_setup_spool, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_torn_tail_is_cut_only_while_recovering_the_last_segment,
          s_setup_spool,
          s_teardown),
        cmocka_unit_test_setup_teardown (
          test_records_out_of_id_order_are_damage, s_setup_spool, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_damage_that_cannot_be_copied_is_left_in_place, s_setup_spool, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_reading_resumes_above_the_floor_and_seeks_by_position, s_setup_spool, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
