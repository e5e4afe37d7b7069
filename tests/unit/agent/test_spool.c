/* spool: records survive restarts, torn tails and damage; acknowledged records go away
   (and only they); the bound holds; fsync follows the policy. Every test works in its
   own directory under /tmp and looks at the files themselves, not only at the API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "file_size_limit.h"

#define HDR SPOOL_RECORD_HEADER

/* --- helpers ------------------------------------------------------------------------ */

static char s_dir[64];

static int
s_rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

static void
s_rmrf (const char *path)
{
    nftw (path, s_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
s_setup (void **state)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/parley-test-spool-XXXXXX");
    if (!mkdtemp (s_dir))
        return -1;
    return 0;
}

static int
s_teardown (void **state)
{
    s_rmrf (s_dir);
    return 0;
}

/* Deterministic payload of record id: its length is fixed, or varies with id. */
static size_t
s_payload (uint64_t id, unsigned char *buf, size_t fixed)
{
    size_t len = fixed ? fixed : 1 + (size_t) ((id * 2654435761u) % 200);
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char) (id * 131 + i * 7 + (id >> 8));
    return len;
}

static spool_options_t
s_opts (uint64_t segment_bytes, uint64_t max_bytes)
{
    spool_options_t o;
    spool_options_defaults (&o);
    if (segment_bytes)
        o.segment_bytes = segment_bytes;
    if (max_bytes)
        o.max_bytes = max_bytes;
    return o;
}

static spool_t *
s_open_at (const char *dir, const spool_options_t *o)
{
    char err[256] = "";
    spool_t *spool = spool_open (dir, o, err, sizeof err);
    if (!spool)
        fprintf (stderr, "spool_open: %s\n", err);
    assert_non_null (spool);
    return spool;
}

static spool_t *
s_open (const spool_options_t *o)
{
    return s_open_at (s_dir, o);
}

/* Appends the payload of the next id (which must be expected). */
static void
s_append (spool_t *spool, uint64_t expected, size_t fixed)
{
    unsigned char buf[SPOOL_RECORD_MAX];
    size_t len = s_payload (expected, buf, fixed);
    uint64_t id = 0;
    assert_int_equal (spool_append (spool, buf, len, &id), SPOOL_OK);
    assert_int_equal (id, expected);
}

static void
s_append_range (spool_t *spool, uint64_t first, uint64_t last, size_t fixed)
{
    for (uint64_t id = first; id <= last; id++)
        s_append (spool, id, fixed);
}

/* Reads the next record, checks it is id with the right payload. */
static void
s_expect (spool_t *spool, uint64_t expected, size_t fixed)
{
    uint64_t id = 0;
    const void *data;
    size_t len;
    assert_int_equal (spool_read_next (spool, &id, &data, &len), 1);
    assert_int_equal (id, expected);
    unsigned char buf[SPOOL_RECORD_MAX];
    size_t want = s_payload (expected, buf, fixed);
    assert_int_equal (len, want);
    assert_memory_equal (data, buf, len);
}

static void
s_expect_range (spool_t *spool, uint64_t first, uint64_t last, size_t fixed)
{
    for (uint64_t id = first; id <= last; id++)
        s_expect (spool, id, fixed);
}

static void
s_expect_end (spool_t *spool)
{
    uint64_t id;
    const void *data;
    size_t len;
    assert_int_equal (spool_read_next (spool, &id, &data, &len), 0);
}

static char *
s_path (const char *fmt, ...) PARLEY_PRINTF (1, 2);

static char *
s_path (const char *fmt, ...)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (p, sizeof buf[0], fmt, ap);
    va_end (ap);
    return p;
}

static char *
s_segment (const char *dir, uint64_t first)
{
    return s_path ("%s/spool/%020" PRIu64 ".seg", dir, first);
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0;
}

static int64_t
s_size (const char *path)
{
    struct stat st;
    if (stat (path, &st) != 0)
        return -1;
    return st.st_size;
}

/* Number of files in dir/sub whose names end with suffix. */
static int
s_count (const char *dir, const char *sub, const char *suffix)
{
    DIR *d = opendir (s_path ("%s/%s", dir, sub));
    if (!d)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir (d))) {
        size_t l = strlen (de->d_name), s = strlen (suffix);
        if (de->d_name[0] != '.' && l >= s && strcmp (de->d_name + l - s, suffix) == 0)
            n++;
    }
    closedir (d);
    return n;
}

/* The one quarantine file's size (-1 unless there is exactly one). */
static int64_t
s_quarantine_size (const char *dir)
{
    DIR *d = opendir (s_path ("%s/quarantine", dir));
    if (!d)
        return -1;
    int n = 0;
    int64_t size = -1;
    struct dirent *de;
    while ((de = readdir (d))) {
        if (de->d_name[0] == '.')
            continue;
        n++;
        size = s_size (s_path ("%s/quarantine/%s", dir, de->d_name));
    }
    closedir (d);
    return n == 1 ? size : -1;
}

static void
s_flip (const char *path, int64_t off, unsigned char mask)
{
    int fd = open (path, O_RDWR);
    assert_true (fd >= 0);
    unsigned char b;
    assert_int_equal (pread (fd, &b, 1, off), 1);
    b ^= mask;
    assert_int_equal (pwrite (fd, &b, 1, off), 1);
    close (fd);
}

static void
s_write_at (const char *path, int64_t off, const void *data, size_t len)
{
    int fd = open (path, O_RDWR);
    assert_true (fd >= 0);
    assert_int_equal (pwrite (fd, data, len, off), (ssize_t) len);
    close (fd);
}

static void
s_append_bytes (const char *path, const void *data, size_t len)
{
    int fd = open (path, O_WRONLY | O_APPEND);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, data, len), (ssize_t) len);
    close (fd);
}

static spool_stats_t
s_stats (spool_t *spool)
{
    spool_stats_t st;
    spool_get_stats (spool, &st);
    return st;
}

/* Sends stderr to a file while a block runs, so a test can read the log lines. */
static int s_saved_stderr = -1;
static char s_log_path[128];

static void
s_capture_start (void)
{
    snprintf (s_log_path, sizeof s_log_path, "%s/test.log", s_dir);
    fflush (stderr);
    s_saved_stderr = dup (2);
    int fd = open (s_log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    dup2 (fd, 2);
    close (fd);
}

/* Stops capturing; returns the captured text (static buffer), also echoed to stderr. */
static const char *
s_capture_stop (void)
{
    static char text[16384];
    fflush (stderr);
    dup2 (s_saved_stderr, 2);
    close (s_saved_stderr);
    FILE *f = fopen (s_log_path, "r");
    assert_non_null (f);
    size_t n = fread (text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose (f);
    unlink (s_log_path);
    fputs (text, stderr);
    return text;
}

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
    spool_close (&spool);
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
    spool_close (&spool);
}

static void
test_reopen_resumes_ids_and_sends_nothing_below_the_floor (void **state)
{
    spool_options_t o = s_opts (1024, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 100, 0);
    s_expect_range (spool, 1, 60, 0);
    assert_int_equal (spool_ack (spool, 1, 40), 0);
    spool_close (&spool);

    spool = s_open (&o);
    assert_int_equal (spool_pending_records (spool), 60);
    assert_int_equal (s_stats (spool).floor, 40);
    s_expect_range (spool, 41, 100, 0);
    s_expect_end (spool);
    s_append (spool, 101, 0);
    s_expect (spool, 101, 0);
    assert_int_equal (spool_ack (spool, 41, 101), 0);
    spool_close (&spool);

    /* Everything acknowledged: ids still carry on after a restart. */
    spool = s_open (&o);
    assert_int_equal (spool_pending_records (spool), 0);
    s_expect_end (spool);
    s_append (spool, 102, 0);
    s_expect (spool, 102, 0);
    spool_close (&spool);
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
    spool_close (&spool);
    spool = s_open (&o);
    assert_int_equal (spool_pending_bytes (spool), 1800);
    assert_int_equal (spool_pending_records (spool), 18);
    spool_close (&spool);
}

static void
test_lost_ack_file_resends_from_oldest_segment_and_loses_nothing (void **state)
{
    spool_options_t o = s_opts (1000, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 100, 80); /* 10 per segment */
    s_expect_range (spool, 1, 100, 80);
    assert_int_equal (spool_ack (spool, 1, 75), 0);
    spool_close (&spool);
    assert_false (s_exists (s_segment (s_dir, 61)));
    assert_true (s_exists (s_segment (s_dir, 71)));

    /* Gone: resend from the oldest segment left (71), never from 1. */
    assert_int_equal (unlink (s_path ("%s/spool/ack", s_dir)), 0);
    spool = s_open (&o);
    s_expect_range (spool, 71, 100, 80);
    s_expect_end (spool);
    spool_close (&spool);

    /* Torn (no newline) or garbage: same. */
    const char *junk[] = {"floor 7", "", "floor x\n", "flour 80\n"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        FILE *f = fopen (s_path ("%s/spool/ack", s_dir), "w");
        assert_non_null (f);
        fputs (junk[i], f);
        fclose (f);
        spool = s_open (&o);
        s_expect (spool, 71, 80);
        spool_close (&spool);
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
    spool_close (&spool);
    assert_int_equal (truncate (s_segment (s_dir, 1), 5 * 100), 0);
    spool = s_open (&o);
    s_expect_end (spool);
    s_append (spool, 11, 80);
    s_expect (spool, 11, 80);
    assert_int_equal (spool_pending_records (spool), 1);
    spool_close (&spool);
}

/* --- torn tails -------------------------------------------------------------------- */

static void
test_torn_record_at_the_tail_is_cut_and_every_complete_record_survives (void **state)
{
    spool_options_t o = s_opts (0, 0);
    /* Cut inside the last record's payload, then inside its header. */
    int64_t cuts[] = {7, 100 - 5};
    for (size_t c = 0; c < 2; c++) {
        s_teardown (state);
        s_setup (state);
        spool_t *spool = s_open (&o);
        s_append_range (spool, 1, 50, 80);
        spool_close (&spool);
        const char *seg = s_segment (s_dir, 1);
        assert_int_equal (truncate (seg, 5000 - cuts[c]), 0);
        spool = s_open (&o);
        assert_int_equal (s_stats (spool).torn_bytes_cut, 100 - cuts[c]);
        assert_int_equal (s_size (seg), 4900);
        s_expect_range (spool, 1, 49, 80);
        s_expect_end (spool);
        assert_int_equal (s_count (s_dir, "quarantine", ""), 0);
        /* The torn record's id is given out again: it was never durable. */
        s_append (spool, 50, 80);
        s_expect (spool, 50, 80);
        spool_close (&spool);
    }
}

static void
test_garbage_after_the_tail_is_cut (void **state)
{
    spool_options_t o = s_opts (0, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 50, 80);
    spool_close (&spool);
    const char *seg = s_segment (s_dir, 1);

    /* Random bytes, then zeros (what a power cut leaves on some filesystems), then a
       valid but stale copy of record 3 (its id is too low to belong after record 50). */
    unsigned char junk[4096];
    srand (7);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char) rand ();
    s_append_bytes (seg, junk, sizeof junk);
    memset (junk, 0, sizeof junk);
    s_append_bytes (seg, junk, sizeof junk);
    unsigned char rec3[100];
    int fd = open (seg, O_RDONLY);
    assert_int_equal (pread (fd, rec3, 100, 200), 100);
    close (fd);
    s_append_bytes (seg, rec3, 100);

    spool = s_open (&o);
    assert_int_equal (s_stats (spool).torn_bytes_cut, 4096 + 4096 + 100);
    assert_int_equal (s_size (seg), 5000);
    s_expect_range (spool, 1, 50, 80);
    s_expect_end (spool);
    s_append (spool, 51, 80);
    assert_int_equal (s_size (seg), 5100);
    spool_close (&spool);
    spool = s_open (&o);
    assert_int_equal (s_stats (spool).torn_bytes_cut, 0);
    s_expect_range (spool, 1, 51, 80);
    spool_close (&spool);
}

/* --- damage ------------------------------------------------------------------------ */

static void
test_bit_flip_in_an_early_segment_quarantines_exactly_that_record (void **state)
{
    spool_options_t o = s_opts (1000, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 50, 80); /* 10 records of 100 bytes per segment */
    spool_close (&spool);
    /* Record 15 is the 5th of segment 11: flip a payload bit. */
    s_flip (s_segment (s_dir, 11), 4 * 100 + HDR + 10, 0x10);

    s_capture_start ();
    spool = s_open (&o);
    for (uint64_t id = 1; id <= 50; id++)
        if (id != 15)
            s_expect (spool, id, 80);
    s_expect_end (spool);
    const char *log = s_capture_stop ();
    assert_non_null (strstr (log, "damaged spool records moved to quarantine"));
    assert_non_null (strstr (log, "bytes=100 records=1"));
    assert_int_equal (s_quarantine_size (s_dir), 100);
    assert_int_equal (s_stats (spool).quarantined_records, 1);
    /* The floor passes the missing id: nothing stays pending for ever. */
    assert_int_equal (spool_ack (spool, 1, 14), 0);
    assert_int_equal (spool_ack (spool, 16, 50), 0);
    assert_int_equal (spool_pending_records (spool), 0);
    assert_int_equal (s_stats (spool).floor, 50);
    spool_close (&spool);
}

static void
test_damage_is_set_aside_once_not_at_every_restart (void **state)
{
    spool_options_t o = s_opts (1000, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 50, 80);
    spool_close (&spool);
    s_flip (s_segment (s_dir, 21), 3 * 100 + HDR + 1, 0x01); /* record 24 */
    for (int round = 0; round < 3; round++) {
        spool = s_open (&o);
        for (uint64_t id = 1; id <= 50; id++)
            if (id != 24)
                s_expect (spool, id, 80);
        s_expect_end (spool);
        assert_int_equal (s_stats (spool).quarantined_bytes, round == 0 ? 100 : 0);
        spool_close (&spool);
    }
    assert_int_equal (s_count (s_dir, "quarantine", ".bad"), 1);
}

static void
test_damaged_header_resyncs_on_the_next_record (void **state)
{
    spool_options_t o = s_opts (1000, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 50, 80);
    spool_close (&spool);
    /* Record 33's length field (so its extent is unknown) and records 36-37 zeroed. */
    const char *seg = s_segment (s_dir, 31);
    s_flip (seg, 2 * 100 + 5, 0x40);
    unsigned char zeros[150] = {0};
    s_write_at (seg, 5 * 100 + 30, zeros, sizeof zeros);

    s_capture_start ();
    spool = s_open (&o);
    for (uint64_t id = 1; id <= 50; id++)
        if (id != 33 && id != 36 && id != 37)
            s_expect (spool, id, 80);
    s_expect_end (spool);
    const char *log = s_capture_stop ();
    assert_non_null (strstr (log, "offset=200 bytes=100 records=1"));
    assert_non_null (strstr (log, "offset=500 bytes=200 records=2"));
    assert_int_equal (s_stats (spool).quarantined_records, 3);
    assert_int_equal (s_count (s_dir, "quarantine", ".bad"), 2);
    spool_close (&spool);
}

static void
test_damage_in_the_middle_of_the_last_segment_is_not_taken_for_a_torn_tail (void **state)
{
    spool_options_t o = s_opts (0, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 50, 80);
    spool_close (&spool);
    s_flip (s_segment (s_dir, 1), 19 * 100 + HDR + 40, 0x80); /* record 20 */
    spool = s_open (&o);
    assert_int_equal (s_stats (spool).torn_bytes_cut, 0);
    for (uint64_t id = 1; id <= 50; id++)
        if (id != 20)
            s_expect (spool, id, 80);
    s_expect_end (spool);
    assert_int_equal (s_quarantine_size (s_dir), 100);
    s_append (spool, 51, 80);
    spool_close (&spool);
}

static void
test_damage_found_while_reading_is_set_aside_too (void **state)
{
    spool_options_t o = s_opts (1000, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 50, 80);
    assert_int_equal (spool_sync (spool), 0);
    /* Bit rot after open, in a sealed segment and in the active one. */
    s_flip (s_segment (s_dir, 21), 4 * 100 + HDR + 3, 0x02); /* record 25 */
    s_flip (s_segment (s_dir, 41), 9 * 100 + HDR + 3, 0x02); /* record 50, the last */
    for (uint64_t id = 1; id <= 49; id++)
        if (id != 25)
            s_expect (spool, id, 80);
    s_expect_end (spool);
    assert_int_equal (s_count (s_dir, "quarantine", ".bad"), 2);
    assert_int_equal (s_stats (spool).quarantined_records, 2);
    /* Acknowledging what was read empties the spool: the lost ids do not linger. */
    assert_int_equal (spool_ack (spool, 1, 49), 0);
    assert_int_equal (spool_pending_records (spool), 0);
    s_append (spool, 51, 80);
    s_expect (spool, 51, 80);
    spool_close (&spool);
}

static void
test_a_wholly_garbage_segment_is_set_aside_and_delivery_carries_on (void **state)
{
    spool_options_t o = s_opts (1000, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 40, 80);
    spool_close (&spool);
    unsigned char junk[1000];
    srand (11);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char) rand ();
    s_write_at (s_segment (s_dir, 11), 0, junk, sizeof junk);
    /* And a stray file the spool must ignore. */
    FILE *f = fopen (s_path ("%s/spool/notes.seg", s_dir), "w");
    fclose (f);
    spool = s_open (&o);
    s_expect_range (spool, 1, 10, 80);
    s_expect_range (spool, 21, 40, 80);
    s_expect_end (spool);
    assert_int_equal (s_stats (spool).quarantined_records, 10);
    assert_int_equal (s_quarantine_size (s_dir), 1000);
    assert_int_equal (spool_ack (spool, 1, 40), 0);
    assert_false (s_exists (s_segment (s_dir, 11)));
    spool_close (&spool);
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
    spool_close (&spool);
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
    spool_close (&spool);
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
    spool_close (&spool);
    spool = s_open (&o);
    /* 6-8 are sent again (the collector de-duplicates); 1-3 never. */
    s_expect_range (spool, 4, 10, 0);
    s_expect_end (spool);
    spool_close (&spool);
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
    spool_close (&spool);
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
    spool_close (&spool);
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
    unsigned char buf[80] = {0};
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
    spool_close (&spool);

    /* The bound holds across a restart too. */
    spool = s_open (&o);
    assert_int_equal (spool_append (spool, buf, 80, &id), SPOOL_FULL);
    s_expect_range (spool, 11, 40, 80);
    spool_close (&spool);
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
    spool_close (&spool);
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
    unsigned char buf[80] = {1};
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
    spool_close (&spool);
    spool = s_open (&o);
    s_expect_range (spool, 1, 6, 80);
    s_expect_end (spool);
    spool_close (&spool);
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
    unsigned char buf[80] = {1};
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
    spool_close (&spool);
    /* Reopened: record 6 is still owed, and ids keep counting. */
    spool = s_open (&o);
    s_expect (spool, 6, 80);
    s_expect_end (spool);
    s_append (spool, 7, 80);
    spool_close (&spool);
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
    spool_close (&spool);
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
        struct timespec ts = {0, (long) due * 1000000};
        nanosleep (&ts, NULL);
    }
    assert_int_equal (spool_sync_if_due (spool), 0);
    assert_int_equal (spool_durable_id (spool), 1);
    /* spool_sync makes everything durable at once. */
    s_append_range (spool, 2, 5, 0);
    assert_int_equal (spool_durable_id (spool), 1);
    assert_int_equal (spool_sync (spool), 0);
    assert_int_equal (spool_durable_id (spool), 5);
    spool_close (&spool);
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
    spool_close (&spool);
}

static void
test_reopen_makes_what_is_on_disk_durable (void **state)
{
    spool_options_t o = s_opts (0, 0);
    o.fsync_interval_ms = 3600 * 1000;
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 7, 0);
    assert_int_equal (spool_durable_id (spool), 0);
    spool_close (&spool);
    spool = s_open (&o);
    assert_int_equal (spool_durable_id (spool), 7);
    spool_close (&spool);
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
    spool_close (&spool);
    other = s_open (&o);
    spool_close (&other);
    spool_close (&other); /* NULL-safe */
}

/* --- crashes --------------------------------------------------------------------------- */

static size_t
s_small_payload (uint64_t id, unsigned char *buf)
{
    size_t len = 1 + (size_t) ((id * 2654435761u) % 60);
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char) (id * 131 + i * 7 + (id >> 8));
    return len;
}

static uint64_t
s_rand (uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void
s_copy_file (const char *from, const char *to)
{
    int in = open (from, O_RDONLY);
    if (in < 0)
        return; /* deleted meanwhile: fine */
    int out = open (to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (out >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = read (in, buf, sizeof buf)) > 0)
        assert_int_equal (write (out, buf, (size_t) n), n);
    close (in);
    close (out);
}

/* A snapshot of the spool's files at one instant: what a kill -9 would leave. */
static void
s_snapshot (const char *dir, const char *snap)
{
    assert_int_equal (mkdir (snap, 0700), 0);
    assert_int_equal (mkdir (s_path ("%s/spool", snap), 0700), 0);
    DIR *d = opendir (s_path ("%s/spool", dir));
    struct dirent *de;
    while ((de = readdir (d)))
        if (de->d_name[0] != '.' && strcmp (de->d_name, "lock") != 0) {
            char from[1024], to[1024];
            snprintf (from, sizeof from, "%.256s/spool/%.256s", dir, de->d_name);
            snprintf (to, sizeof to, "%.256s/spool/%.256s", snap, de->d_name);
            s_copy_file (from, to);
        }
    closedir (d);
}

/* The floor in an ack file; 0 when absent or unreadable. */
static uint64_t
s_ack_floor (const char *dir)
{
    FILE *f = fopen (s_path ("%s/spool/ack", dir), "r");
    if (!f)
        return 0;
    unsigned long long floor = 0;
    if (fscanf (f, "floor %llu", &floor) != 1)
        floor = 0;
    fclose (f);
    return floor;
}

/* The newest segment of a spool directory. */
static uint64_t
s_last_segment (const char *dir)
{
    DIR *d = opendir (s_path ("%s/spool", dir));
    struct dirent *de;
    uint64_t last = 0;
    while ((de = readdir (d)))
        if (strstr (de->d_name, ".seg")) {
            uint64_t first = strtoull (de->d_name, NULL, 10);
            if (first > last)
                last = first;
        }
    closedir (d);
    return last;
}

typedef struct {
    char dir[128];
    uint64_t durable;       /* durable id at the snapshot */
    uint64_t last;          /* highest id appended */
    unsigned char *acked;   /* which ids had been acknowledged */
    bool power_cut;         /* the unsynced tail was then cut at random */
} s_snap_t;

/* Reopens a snapshot and checks: nothing durable and unacknowledged is missing, nothing
   at or below the saved floor comes back, the saved floor never covers an unacknowledged
   id, every payload is intact, and new ids do not reuse old ones. */
static void
s_verify_snapshot (const s_snap_t *snap, uint64_t n)
{
    uint64_t ack_floor = s_ack_floor (snap->dir);
    for (uint64_t id = 1; id <= ack_floor; id++)
        assert_true (snap->acked[id]);
    unsigned char *seen = calloc (n + 2, 1);
    spool_options_t o = s_opts (64 * 1024, 0);
    spool_t *spool = s_open_at (snap->dir, &o);
    uint64_t prev = 0, id;
    const void *data;
    size_t len;
    int rc;
    unsigned char buf[64];
    while ((rc = spool_read_next (spool, &id, &data, &len)) == 1) {
        assert_true (id > prev);
        assert_true (id > ack_floor);
        assert_true (id <= snap->last);
        size_t want = s_small_payload (id, buf);
        assert_int_equal (len, want);
        assert_memory_equal (data, buf, len);
        seen[id] = 1;
        prev = id;
    }
    assert_int_equal (rc, 0);
    for (uint64_t i = 1; i <= snap->durable; i++)
        if (!snap->acked[i] && !seen[i]) {
            fprintf (stderr, "lost durable record %" PRIu64 " (durable %" PRIu64 ")\n", i, snap->durable);
            fail ();
        }
    spool_stats_t st = s_stats (spool);
    fprintf (stderr, "snapshot: last=%" PRIu64 " durable=%" PRIu64 " saved_floor=%" PRIu64 " read_back=%" PRIu64
             "..%" PRIu64 " torn_cut=%" PRIu64 "\n",
             snap->last, snap->durable, ack_floor, st.floor + 1, prev, st.torn_bytes_cut);
    assert_int_equal (st.quarantined_bytes, 0);
    if (!snap->power_cut)
        assert_int_equal (st.torn_bytes_cut, 0);
    unsigned char one = 1;
    uint64_t next = 0;
    assert_int_equal (spool_append (spool, &one, 1, &next), SPOOL_OK);
    assert_true (next > prev && next > snap->durable && next > ack_floor);
    spool_close (&spool);
    free (seen);
}

static void
test_stress_random_acks_and_crashes_lose_nothing_synced (void **state)
{
    const uint64_t n = 200000;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    const char *env = getenv ("SPOOL_STRESS_SEED");
    if (env)
        seed = strtoull (env, NULL, 0);
    fprintf (stderr, "stress seed=0x%" PRIx64 "\n", seed);
    uint64_t rng = seed;

    spool_options_t o = s_opts (64 * 1024, 2 * 1024 * 1024);
    o.fsync_interval_ms = 5;
    spool_t *spool = s_open (&o);
    unsigned char *acked = calloc (n + 2, 1);
    uint64_t *flight = malloc (sizeof *flight * (n + 1));
    size_t nflight = 0;
    uint64_t appended = 0, fulls = 0;

    enum { SNAPS = 6 };
    s_snap_t snaps[SNAPS];
    uint64_t snap_at[SNAPS];
    for (int i = 0; i < SNAPS; i++) {
        snap_at[i] = 1 + s_rand (&rng) % n;
        snprintf (snaps[i].dir, sizeof snaps[i].dir, "%s/snap%d", s_dir, i);
        snaps[i].acked = NULL;
    }
    unsigned char buf[64];
    while (appended < n) {
        size_t len = s_small_payload (appended + 1, buf);
        uint64_t id;
        spool_status_t st = spool_append (spool, buf, len, &id);
        if (st == SPOOL_OK) {
            assert_int_equal (id, appended + 1);
            appended++;
        }
        else {
            assert_int_equal (st, SPOOL_FULL);
            fulls++;
        }
        assert_int_equal (spool_sync_if_due (spool), 0);
        /* Read a little, and acknowledge random stretches of what is in flight. */
        if (st == SPOOL_FULL || s_rand (&rng) % 40 == 0) {
            size_t k = 1 + s_rand (&rng) % 60;
            const void *data;
            size_t rlen;
            for (size_t i = 0; i < k; i++) {
                int rc = spool_read_next (spool, &id, &data, &rlen);
                assert_true (rc >= 0);
                if (rc == 0)
                    break;
                assert_true (nflight == 0 || id > flight[nflight - 1]);
                flight[nflight++] = id;
            }
            size_t acks = s_rand (&rng) % 4;
            for (size_t a = 0; a < acks && nflight; a++) {
                size_t i = s_rand (&rng) % nflight;
                size_t j = i + s_rand (&rng) % (nflight - i < 100 ? nflight - i : 100);
                for (size_t x = i; x <= j; x++)
                    acked[flight[x]] = 1;
                assert_int_equal (spool_ack (spool, flight[i], flight[j]), 0);
                memmove (flight + i, flight + j + 1, (nflight - j - 1) * sizeof *flight);
                nflight -= j - i + 1;
            }
        }
        for (int s = 0; s < SNAPS; s++)
            if (snap_at[s] == appended && !snaps[s].acked) {
                s_snapshot (s_dir, snaps[s].dir);
                snaps[s].durable = spool_durable_id (spool);
                snaps[s].last = appended;
                snaps[s].acked = malloc (n + 2);
                memcpy (snaps[s].acked, acked, n + 2);
                snaps[s].power_cut = s % 2 == 1;
                if (snaps[s].power_cut) {
                    /* Power cut: the durable prefix of the active segment stays, the rest
                       is cut at a random byte. */
                    uint64_t last_seg = s_last_segment (snaps[s].dir);
                    uint64_t keep = 0;
                    for (uint64_t i = last_seg; i <= snaps[s].durable; i++)
                        keep += HDR + s_small_payload (i, buf);
                    const char *seg = s_segment (snaps[s].dir, last_seg);
                    uint64_t size = (uint64_t) s_size (seg);
                    assert_true (size >= keep);
                    uint64_t cut = keep + (size > keep ? s_rand (&rng) % (size - keep + 1) : 0);
                    assert_int_equal (truncate (seg, (off_t) cut), 0);
                }
            }
        spool_stats_t sst = s_stats (spool);
        assert_true (sst.disk_bytes <= o.max_bytes + 2 * o.segment_bytes);
    }
    /* Drain. */
    uint64_t id;
    const void *data;
    size_t rlen;
    int rc;
    while ((rc = spool_read_next (spool, &id, &data, &rlen)) == 1)
        flight[nflight++] = id;
    assert_int_equal (rc, 0);
    for (size_t i = 0; i < nflight; i++)
        assert_int_equal (spool_ack (spool, flight[i], flight[i]), 0);
    assert_int_equal (spool_pending_records (spool), 0);
    assert_int_equal (spool_pending_bytes (spool), 0);
    fprintf (stderr, "stress: appends refused as full=%" PRIu64 "\n", fulls);
    assert_true (fulls > 0); /* the bound was reached along the way */
    spool_close (&spool);

    for (int s = 0; s < SNAPS; s++) {
        assert_non_null (snaps[s].acked);
        s_verify_snapshot (&snaps[s], n);
        free (snaps[s].acked);
        s_rmrf (snaps[s].dir);
    }
    free (acked);
    free (flight);
}

/* A real kill -9 in the middle of appends and acks: a child appends, reads and
   acknowledges, telling the parent (before acting) what it acknowledges and (after
   each sync) what is durable; the parent kills it at a random moment and checks. */
static void
test_kill_9_during_appends_loses_nothing_durable (void **state)
{
    const uint64_t n = 400000;
    int fds[2];
    assert_int_equal (pipe (fds), 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        close (fds[0]);
        log_threshold = LOG_LEVEL_ERROR;
        spool_options_t o = s_opts (32 * 1024, 0);
        o.fsync_interval_ms = 2;
        char err[256];
        spool_t *spool = spool_open (s_dir, &o, err, sizeof err);
        if (!spool)
            _exit (3);
        unsigned char buf[64];
        uint64_t durable = 0, rng = 12345, read_to = 0;
        for (uint64_t i = 1; i <= n; i++) {
            uint64_t id;
            if (spool_append (spool, buf, s_small_payload (i, buf), &id) != SPOOL_OK || id != i)
                _exit (4);
            if (spool_sync_if_due (spool) != 0)
                _exit (5);
            if (spool_durable_id (spool) != durable) {
                durable = spool_durable_id (spool);
                uint64_t msg[2] = {0, durable};
                if (write (fds[1], msg, sizeof msg) != sizeof msg)
                    _exit (6);
            }
            if (s_rand (&rng) % 100 == 0) {
                const void *data;
                size_t len;
                uint64_t first = 0, last = 0;
                while (read_to < i - 50 && spool_read_next (spool, &id, &data, &len) == 1) {
                    if (!first)
                        first = id;
                    last = read_to = id;
                }
                if (first) {
                    uint64_t msg[2] = {first, last};
                    if (write (fds[1], msg, sizeof msg) != sizeof msg)
                        _exit (6);
                    if (spool_ack (spool, first, last) != 0)
                        _exit (7);
                }
            }
        }
        _exit (0);
    }
    close (fds[1]);
    /* Let it get going (however slow the machine), then kill it at a random moment. */
    unsigned char *acked = calloc (n + 2, 1);
    uint64_t durable = 0, msg[2];
    bool killed = false;
    struct timespec t0;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    long delay_ms = (long) (t0.tv_nsec / 1000 % 60);
    while (read (fds[0], msg, sizeof msg) == sizeof msg) {
        if (msg[0] == 0)
            durable = msg[1];
        else
            for (uint64_t i = msg[0]; i <= msg[1]; i++)
                acked[i] = 1;
        if (!killed && durable >= 2000) {
            struct timespec ts = {0, delay_ms * 1000000L};
            nanosleep (&ts, NULL);
            kill (pid, SIGKILL);
            killed = true;
        }
    }
    int status;
    waitpid (pid, &status, 0);
    close (fds[0]);
    fprintf (stderr, "killed child with durable=%" PRIu64 " (status %d)\n", durable, status);
    assert_true (WIFSIGNALED (status)); /* it was still working */
    assert_true (durable > 0);
    s_snap_t snap;
    snprintf (snap.dir, sizeof snap.dir, "%s", s_dir);
    snap.durable = durable;
    snap.last = n;
    snap.acked = acked;
    snap.power_cut = false;
    s_verify_snapshot (&snap, n);
    free (acked);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_records_round_trip_across_many_segments, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reading_keeps_up_with_appends_across_segments, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reopen_resumes_ids_and_sends_nothing_below_the_floor, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_pending_bytes_counts_unacknowledged_records_exactly, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_lost_ack_file_resends_from_oldest_segment_and_loses_nothing, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_ack_file_ahead_of_a_lost_tail_never_reuses_acknowledged_ids, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_torn_record_at_the_tail_is_cut_and_every_complete_record_survives,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_garbage_after_the_tail_is_cut, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bit_flip_in_an_early_segment_quarantines_exactly_that_record, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_damage_is_set_aside_once_not_at_every_restart, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_damaged_header_resyncs_on_the_next_record, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_damage_in_the_middle_of_the_last_segment_is_not_taken_for_a_torn_tail, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_damage_found_while_reading_is_set_aside_too, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_wholly_garbage_segment_is_set_aside_and_delivery_carries_on, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_out_of_order_and_overlapping_acks_move_the_floor_correctly, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_acks_of_ids_not_yet_given_out_are_ignored, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_acks_partly_above_the_floor_survive_a_restart_as_resends_only, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_segment_is_deleted_only_once_all_its_records_are_acknowledged,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rewind_returns_again_what_is_read_but_unacknowledged, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_spool_that_filled_its_disk_gives_the_space_back_once_acknowledged,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_full_at_the_bound_and_appendable_again_after_acks_free_a_segment,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_record_sizes_outside_the_limits_are_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_failed_write_leaves_nothing_behind, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_group_commit_by_record_count, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_group_commit_by_interval, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fsync_always_makes_each_append_durable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reopen_makes_what_is_on_disk_durable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_second_open_of_the_same_spool_is_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_stress_random_acks_and_crashes_lose_nothing_synced, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_kill_9_during_appends_loses_nothing_durable, s_setup, s_teardown),
    };
    log_threshold = LOG_LEVEL_WARN;
    return cmocka_run_group_tests (tests, NULL, NULL);
}
