/* input_set: the agent's inputs read together, each item offered to the intake once; a
   full spool pauses the reading without losing or repeating a line; every input's position
   saved; a drop folder's files read and moved to done/. The loop is driven by hand, as
   agent_run does: process, then the intake's turn. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "spool_fixture.h"

#include <czmq.h>

#include "input_set.h"
#include "mem.h"
#include "record.h"

typedef struct {
    spool_t *spool;
    offsets_t *offsets;
    rejects_t *rejects;
    intake_t *intake;
} s_rig_t;

static void
s_rig_open (s_rig_t *rig, uint64_t max_bytes)
{
    char err[256];
    spool_options_t o = s_opts (max_bytes ? max_bytes / 8 : 0, max_bytes);
    rig->spool = spool_open (s_dir, &o, err, sizeof err);
    assert_non_null (rig->spool);
    rig->offsets = offsets_open (s_dir, err, sizeof err);
    assert_non_null (rig->offsets);
    rig->rejects = rejects_open (s_dir, err, sizeof err);
    assert_non_null (rig->rejects);
    rig->intake = intake_new (rig->spool, rig->rejects, max_bytes);
}

static void
s_rig_close (s_rig_t *rig)
{
    intake_destroy (&rig->intake);
    rejects_destroy (&rig->rejects);
    offsets_destroy (&rig->offsets);
    spool_destroy (&rig->spool);
}

/* A valid event line whose event id and notes tell (file, n) apart. */
static void
s_event (char *buf, size_t len, int file, int n)
{
    snprintf (buf,
              len,
              "{\"event_id\":\"0f8fad5b-d9cb-469f-a165-%06d%06d\",\"type\":\"conversation."
              "reported\",\"reported_at\":\"2026-03-01T10:00:00Z\",\"occurred_on\":\"2026-02-27\","
              "\"association\":{\"id\":\"ha-42\"},\"constituency\":{\"code\":\"W07000112\"},"
              "\"stakeholder\":{\"role\":\"mp\",\"name\":\"Jane Smith\"},\"notes\":\"%d/%d\"}",
              file,
              n,
              file,
              n);
}

static char *
s_write_feed (const char *name, int file, int lines, bool extras)
{
    char *path = xasprintf ("%s/%s", s_dir, name);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    char line[1024];
    for (int n = 1; n <= lines; n++) {
        s_event (line, sizeof line, file, n);
        fprintf (f, "%s\n", line);
        if (extras && n == 10)
            fputs ("\n{\"event_id\":\"nope\"}\n", f); /* a blank line and a refused one */
    }
    fclose (f);
    return path;
}

/* Runs turns until the set is idle (acknowledging everything the spool holds when ack). */
static void
s_run (s_rig_t *rig, input_set_t *set, bool ack, int max_turns)
{
    for (int turn = 0; turn < max_turns && !input_set_is_idle (set); turn++) {
        int64_t now = zclock_mono ();
        input_set_process (set, NULL, 0, now);
        intake_process (rig->intake, now);
        if (ack) {
            uint64_t id;
            const void *data;
            size_t len;
            uint64_t last = 0;
            while (spool_read_next (rig->spool, &id, &data, &len) == 1)
                last = id;
            assert_int_equal (intake_sync (rig->intake), 0);
            if (last)
                assert_int_equal (spool_ack (rig->spool, 1, last), 0);
        }
    }
    assert_true (input_set_is_idle (set));
}

static void
test_inputs_are_read_together_each_line_once (void **state)
{
    s_rig_t rig;
    s_rig_open (&rig, 0);
    char *a = s_write_feed ("a.jsonl", 1, 1200, true);
    char *b = s_write_feed ("b.jsonl", 2, 1200, false);
    const char *inputs[] = { a, b };
    input_set_options_t o = { .inputs = inputs, .ninputs = 2 };
    char err[256];
    input_set_t *set = input_set_new (&o, rig.intake, rig.offsets, rig.rejects, err, sizeof err);
    assert_non_null (set);
    s_run (&rig, set, false, 1000);
    assert_false (input_set_failed (set));
    assert_int_equal (input_set_counts (set)->read, 2402);
    assert_int_equal (input_set_counts (set)->blank, 1);
    assert_int_equal (intake_stats (rig.intake)->taken, 2400);
    assert_int_equal (rejects_count (rig.rejects), 1);

    /* Each line once, in file order per file, and the files interleaved (read at once). */
    int next[3] = { 0, 1, 1 };
    bool b_before_a_ends = false;
    uint64_t id;
    const void *data;
    size_t len;
    while (spool_read_next (rig.spool, &id, &data, &len) == 1) {
        record_t rec;
        assert_int_equal (record_decode (data, len, &rec), 0);
        int file =
          rec.source_len == strlen (a) && memcmp (rec.source, a, rec.source_len) == 0 ? 1 : 2;
        char want[1024];
        s_event (want, sizeof want, file, next[file]++);
        assert_int_equal (rec.len, strlen (want));
        assert_memory_equal (rec.data, want, rec.len);
        if (file == 2 && next[1] <= 1200)
            b_before_a_ends = true;
    }
    assert_int_equal (next[1], 1201);
    assert_int_equal (next[2], 1201);
    assert_true (b_before_a_ends);

    /* Every input's end saved: a second set reads nothing. */
    input_set_finish (set);
    input_set_destroy (&set);
    set = input_set_new (&o, rig.intake, rig.offsets, rig.rejects, err, sizeof err);
    s_run (&rig, set, false, 100);
    assert_int_equal (input_set_counts (set)->read, 0);
    input_set_destroy (&set);
    free (a);
    free (b);
    s_rig_close (&rig);
}

/* With a spool far smaller than the feed, reading pauses at every FULL and resumes once
   records are acknowledged: every line is appended exactly once, in order. */
static void
test_a_full_spool_pauses_reading_without_losing_a_line (void **state)
{
    s_rig_t rig;
    s_rig_open (&rig, 256 * 1024);
    char *a = s_write_feed ("big.jsonl", 3, 6000, false);
    const char *inputs[] = { a };
    input_set_options_t o = { .inputs = inputs, .ninputs = 1 };
    char err[256];
    input_set_t *set = input_set_new (&o, rig.intake, rig.offsets, rig.rejects, err, sizeof err);
    assert_non_null (set);
    /* First turns without acknowledgements: the spool fills and the reading stops. */
    for (int i = 0; i < 50; i++) {
        input_set_process (set, NULL, 0, zclock_mono ());
        intake_process (rig.intake, zclock_mono ());
    }
    assert_true (intake_is_paused (rig.intake));
    uint64_t held = intake_stats (rig.intake)->taken;
    assert_true (held > 0 && held < 6000);
    assert_int_not_equal (input_set_timeout_ms (set, zclock_mono ()), 0); /* no busy loop */
    s_run (&rig, set, true, 100000);
    assert_int_equal (intake_stats (rig.intake)->taken, 6000);
    assert_int_equal (input_set_counts (set)->read, 6000);
    spool_stats_t st;
    spool_get_stats (rig.spool, &st);
    assert_int_equal (st.last_id, 6000);
    input_set_destroy (&set);
    free (a);
    s_rig_close (&rig);
}

static void
test_a_drop_folder_file_is_read_then_moved_to_done (void **state)
{
    s_rig_t rig;
    s_rig_open (&rig, 0);
    char *drop = xasprintf ("%s/drop", s_dir);
    assert_int_equal (mkdir (drop, 0750), 0);
    free (s_write_feed ("drop/one.jsonl", 4, 30, false));
    free (s_write_feed ("drop/.hidden.jsonl", 5, 30, false));
    free (s_write_feed ("drop/other.txt", 6, 30, false));
    const char *watch[] = { drop };
    input_set_options_t o = { .watch = watch, .nwatch = 1, .once = true };
    char err[256];
    input_set_t *set = input_set_new (&o, rig.intake, rig.offsets, rig.rejects, err, sizeof err);
    assert_non_null (set);
    s_run (&rig, set, false, 1000);
    assert_int_equal (intake_stats (rig.intake)->taken, 30);
    char *done = xasprintf ("%s/done/one.jsonl", drop);
    char *gone = xasprintf ("%s/one.jsonl", drop);
    char *hidden = xasprintf ("%s/.hidden.jsonl", drop);
    assert_int_equal (access (done, F_OK), 0);
    assert_int_not_equal (access (gone, F_OK), 0);
    assert_int_equal (access (hidden, F_OK), 0); /* names starting with "." are never taken */
    input_set_destroy (&set);
    free (done);
    free (gone);
    free (hidden);
    free (drop);
    s_rig_close (&rig);
}

int
main (void)
{
    log_threshold = (log_level_t)(LOG_LEVEL_ERROR + 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_inputs_are_read_together_each_line_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_full_spool_pauses_reading_without_losing_a_line, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_drop_folder_file_is_read_then_moved_to_done, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
