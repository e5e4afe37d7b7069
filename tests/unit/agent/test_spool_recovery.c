/* spool recovery (through spool.h): torn tails are cut, damage is set aside and
   delivery carries on, and random crashes (snapshots, power cuts, kill -9) never lose a
   synced record or bring back an acknowledged one. Every test works in its own
   directory under /tmp and looks at the files themselves, not only at the API. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "spool_fixture.h"

/* --- torn tails -------------------------------------------------------------------- */

static void
test_torn_record_at_the_tail_is_cut_and_every_complete_record_survives (void **state)
{
    spool_options_t o = s_opts (0, 0);
    /* Cut inside the last record's payload, then inside its header. */
    int64_t cuts[] = { 7, 100 - 5 };
    for (size_t c = 0; c < 2; c++) {
        s_teardown (state);
        s_setup (state);
        spool_t *spool = s_open (&o);
        s_append_range (spool, 1, 50, 80);
        spool_destroy (&spool);
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
        spool_destroy (&spool);
    }
}

static void
test_garbage_after_the_tail_is_cut (void **state)
{
    spool_options_t o = s_opts (0, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 50, 80);
    spool_destroy (&spool);
    const char *seg = s_segment (s_dir, 1);

    /* Random bytes, then zeros (what a power cut leaves on some filesystems), then a
       valid but stale copy of record 3 (its id is too low to belong after record 50). */
    unsigned char junk[4096];
    srand (7);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)rand ();
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
    spool_destroy (&spool);
    spool = s_open (&o);
    assert_int_equal (s_stats (spool).torn_bytes_cut, 0);
    s_expect_range (spool, 1, 51, 80);
    spool_destroy (&spool);
}

/* --- damage ------------------------------------------------------------------------ */

static void
test_bit_flip_in_an_early_segment_quarantines_exactly_that_record (void **state)
{
    spool_options_t o = s_opts (1000, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 50, 80); /* 10 records of 100 bytes per segment */
    spool_destroy (&spool);
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
    spool_destroy (&spool);
}

static void
test_damage_is_set_aside_once_not_at_every_restart (void **state)
{
    spool_options_t o = s_opts (1000, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 50, 80);
    spool_destroy (&spool);
    s_flip (s_segment (s_dir, 21), 3 * 100 + HDR + 1, 0x01); /* record 24 */
    for (int round = 0; round < 3; round++) {
        spool = s_open (&o);
        for (uint64_t id = 1; id <= 50; id++)
            if (id != 24)
                s_expect (spool, id, 80);
        s_expect_end (spool);
        assert_int_equal (s_stats (spool).quarantined_bytes, round == 0 ? 100 : 0);
        spool_destroy (&spool);
    }
    assert_int_equal (s_count (s_dir, "quarantine", ".bad"), 1);
}

static void
test_damaged_header_resyncs_on_the_next_record (void **state)
{
    spool_options_t o = s_opts (1000, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 50, 80);
    spool_destroy (&spool);
    /* Record 33's length field (so its extent is unknown) and records 36-37 zeroed. */
    const char *seg = s_segment (s_dir, 31);
    s_flip (seg, 2 * 100 + 5, 0x40);
    unsigned char zeros[150] = { 0 };
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
    spool_destroy (&spool);
}

static void
test_damage_in_the_middle_of_the_last_segment_is_not_taken_for_a_torn_tail (void **state)
{
    spool_options_t o = s_opts (0, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 50, 80);
    spool_destroy (&spool);
    s_flip (s_segment (s_dir, 1), 19 * 100 + HDR + 40, 0x80); /* record 20 */
    spool = s_open (&o);
    assert_int_equal (s_stats (spool).torn_bytes_cut, 0);
    for (uint64_t id = 1; id <= 50; id++)
        if (id != 20)
            s_expect (spool, id, 80);
    s_expect_end (spool);
    assert_int_equal (s_quarantine_size (s_dir), 100);
    s_append (spool, 51, 80);
    spool_destroy (&spool);
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
    spool_destroy (&spool);
}

static void
test_a_wholly_garbage_segment_is_set_aside_and_delivery_carries_on (void **state)
{
    spool_options_t o = s_opts (1000, 0);
    spool_t *spool = s_open (&o);
    s_append_range (spool, 1, 40, 80);
    spool_destroy (&spool);
    unsigned char junk[1000];
    srand (11);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)rand ();
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
    spool_destroy (&spool);
}

/* --- crashes --------------------------------------------------------------------------- */

static size_t
s_small_payload (uint64_t id, unsigned char *buf)
{
    size_t len = 1 + (size_t)((id * 2654435761u) % 60);
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(id * 131 + i * 7 + (id >> 8));
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
        assert_int_equal (write (out, buf, (size_t)n), n);
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
    uint64_t durable;     /* durable id at the snapshot */
    uint64_t last;        /* highest id appended */
    unsigned char *acked; /* which ids had been acknowledged */
    bool power_cut;       /* the unsynced tail was then cut at random */
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
            fprintf (
              stderr, "lost durable record %" PRIu64 " (durable %" PRIu64 ")\n", i, snap->durable);
            fail ();
        }
    spool_stats_t st = s_stats (spool);
    fprintf (stderr,
             "snapshot: last=%" PRIu64 " durable=%" PRIu64 " saved_floor=%" PRIu64
             " read_back=%" PRIu64 "..%" PRIu64 " torn_cut=%" PRIu64 "\n",
             snap->last,
             snap->durable,
             ack_floor,
             st.floor + 1,
             prev,
             st.torn_bytes_cut);
    assert_int_equal (st.quarantined_bytes, 0);
    if (!snap->power_cut)
        assert_int_equal (st.torn_bytes_cut, 0);
    unsigned char one = 1;
    uint64_t next = 0;
    assert_int_equal (spool_append (spool, &one, 1, &next), SPOOL_OK);
    assert_true (next > prev && next > snap->durable && next > ack_floor);
    spool_destroy (&spool);
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
        } else {
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
                    uint64_t size = (uint64_t)s_size (seg);
                    assert_true (size >= keep);
                    uint64_t cut = keep + (size > keep ? s_rand (&rng) % (size - keep + 1) : 0);
                    assert_int_equal (truncate (seg, (off_t)cut), 0);
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
    spool_destroy (&spool);

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
                uint64_t msg[2] = { 0, durable };
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
                    uint64_t msg[2] = { first, last };
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
    long delay_ms = (long)(t0.tv_nsec / 1000 % 60);
    while (read (fds[0], msg, sizeof msg) == sizeof msg) {
        if (msg[0] == 0)
            durable = msg[1];
        else
            for (uint64_t i = msg[0]; i <= msg[1]; i++)
                acked[i] = 1;
        if (!killed && durable >= 2000) {
            struct timespec ts = { 0, delay_ms * 1000000L };
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
        cmocka_unit_test_setup_teardown (
          test_torn_record_at_the_tail_is_cut_and_every_complete_record_survives,
          s_setup,
          s_teardown),
        cmocka_unit_test_setup_teardown (test_garbage_after_the_tail_is_cut, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_bit_flip_in_an_early_segment_quarantines_exactly_that_record, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_damage_is_set_aside_once_not_at_every_restart, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_damaged_header_resyncs_on_the_next_record, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_damage_in_the_middle_of_the_last_segment_is_not_taken_for_a_torn_tail,
          s_setup,
          s_teardown),
        cmocka_unit_test_setup_teardown (
          test_damage_found_while_reading_is_set_aside_too, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_wholly_garbage_segment_is_set_aside_and_delivery_carries_on, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_stress_random_acks_and_crashes_lose_nothing_synced, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_kill_9_during_appends_loses_nothing_durable, s_setup, s_teardown),
    };
    log_threshold = LOG_LEVEL_WARN;
    return cmocka_run_group_tests (tests, NULL, NULL);
}
