/* intake: the one way into the spool. A valid event is appended with its source and line,
   an invalid one is refused with its reason and nothing appended, a full spool says FULL
   and takes the same event later, and durability follows the syncs. */
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

#include "intake.h"
#include "record.h"
#include "rejects.h"

static const char *s_event =
  "{\"event_id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"type\":\"conversation.reported\","
  "\"reported_at\":\"2026-03-01T10:00:00Z\",\"occurred_on\":\"2026-02-27\","
  "\"association\":{\"id\":\"ha-42\"},\"constituency\":{\"code\":\"W07000112\"},"
  "\"stakeholder\":{\"role\":\"mp\",\"name\":\"Jane Smith\"}}";

typedef struct {
    spool_t *spool;
    rejects_t *rejects;
    intake_t *intake;
} s_rig_t;

static void
s_rig_open (s_rig_t *rig, uint64_t max_bytes)
{
    char err[256];
    spool_options_t o = s_opts (max_bytes ? max_bytes / 4 : 0, max_bytes);
    rig->spool = spool_open (s_dir, &o, err, sizeof err);
    assert_non_null (rig->spool);
    rig->rejects = rejects_open (s_dir, err, sizeof err);
    assert_non_null (rig->rejects);
    rig->intake = intake_new (rig->spool, rig->rejects, max_bytes);
}

static void
s_rig_close (s_rig_t *rig)
{
    intake_destroy (&rig->intake);
    assert_null (rig->intake);
    rejects_destroy (&rig->rejects);
    spool_destroy (&rig->spool);
}

static void
test_a_valid_event_is_appended_with_its_source_and_line (void **state)
{
    s_rig_t rig;
    s_rig_open (&rig, 0);
    uint64_t id = 0;
    reject_t why;
    assert_int_equal (
      intake_offer (rig.intake, "crm.jsonl", 7, s_event, strlen (s_event), &id, &why),
      INTAKE_TAKEN);
    assert_int_equal (id, 1);
    assert_int_equal (intake_last_id (rig.intake), 1);
    assert_int_equal (intake_stats (rig.intake)->taken, 1);

    uint64_t got;
    const void *data;
    size_t len;
    assert_int_equal (spool_read_next (rig.spool, &got, &data, &len), 1);
    record_t rec;
    assert_int_equal (record_decode (data, len, &rec), 0);
    assert_int_equal (rec.line, 7);
    assert_int_equal (rec.source_len, strlen ("crm.jsonl"));
    assert_memory_equal (rec.source, "crm.jsonl", rec.source_len);
    assert_int_equal (rec.len, strlen (s_event));
    assert_memory_equal (rec.data, s_event, rec.len);
    s_rig_close (&rig);
}

static void
test_an_invalid_event_is_refused_with_its_reason_and_nothing_appended (void **state)
{
    s_rig_t rig;
    s_rig_open (&rig, 0);
    const char *bad = "{\"event_id\":\"not-a-uuid\"}";
    uint64_t id = 99;
    reject_t why;
    assert_int_equal (intake_offer (rig.intake, "crm.jsonl", 1, bad, strlen (bad), &id, &why),
                      INTAKE_REJECTED);
    assert_int_equal (id, 99);
    assert_string_equal (why.field, "event_id");
    assert_true (strlen (why.reason) > 0);
    assert_int_equal (intake_stats (rig.intake)->rejected, 1);
    assert_int_equal (spool_pending_records (rig.spool), 0);
    /* A producer's own refusal is counted too; the write of an offer's is not again. */
    intake_reject (rig.intake, &why, "crm.jsonl", 1, bad, strlen (bad));
    intake_refuse (rig.intake, &why, "crm.jsonl", 2, NULL, 0);
    assert_int_equal (intake_stats (rig.intake)->rejected, 2);
    assert_int_equal (rejects_count (rig.rejects), 2);
    s_rig_close (&rig);
}

static void
test_durable_id_follows_the_syncs (void **state)
{
    s_rig_t rig;
    s_rig_open (&rig, 0);
    uint64_t id;
    reject_t why;
    for (int i = 0; i < 3; i++)
        assert_int_equal (
          intake_offer (rig.intake, "a", (uint64_t)i + 1, s_event, strlen (s_event), &id, &why),
          INTAKE_TAKEN);
    assert_int_equal (id, 3);
    assert_true (intake_durable_id (rig.intake) < 3);
    /* Someone waits: the next turn syncs without waiting for the group commit. */
    intake_want_sync (rig.intake);
    assert_int_equal (intake_timeout_ms (rig.intake, zclock_mono ()), 0);
    intake_process (rig.intake, zclock_mono ());
    assert_int_equal (intake_durable_id (rig.intake), 3);
    assert_int_equal (intake_offer (rig.intake, "a", 4, s_event, strlen (s_event), &id, &why),
                      INTAKE_TAKEN);
    assert_int_equal (intake_sync (rig.intake), 0);
    assert_int_equal (intake_durable_id (rig.intake), 4);
    s_rig_close (&rig);
}

static void
test_a_full_spool_says_full_and_takes_the_event_once_there_is_room (void **state)
{
    s_rig_t rig;
    s_rig_open (&rig, 256 * 1024);
    uint64_t id = 0, last = 0;
    reject_t why;
    intake_status_t st;
    uint64_t taken = 0;
    while ((st = intake_offer (rig.intake, "a", taken + 1, s_event, strlen (s_event), &id, &why)) ==
           INTAKE_TAKEN) {
        last = id;
        taken++;
        assert_true (taken < 100000);
    }
    assert_int_equal (st, INTAKE_FULL);
    assert_true (intake_is_paused (rig.intake));
    /* Offered again while full: still full, nothing appended, nothing counted. */
    assert_int_equal (
      intake_offer (rig.intake, "a", taken + 1, s_event, strlen (s_event), &id, &why), INTAKE_FULL);
    assert_int_equal (intake_stats (rig.intake)->taken, taken);
    assert_true (intake_timeout_ms (rig.intake, zclock_mono ()) <= 1000);

    /* The collector acknowledges everything: the same event goes in. */
    const void *data;
    size_t len;
    uint64_t got;
    while (spool_read_next (rig.spool, &got, &data, &len) == 1) {
    }
    assert_int_equal (intake_sync (rig.intake), 0);
    assert_int_equal (spool_ack (rig.spool, 1, last), 0);
    assert_false (intake_is_paused (rig.intake));
    assert_int_equal (
      intake_offer (rig.intake, "a", taken + 1, s_event, strlen (s_event), &id, &why),
      INTAKE_TAKEN);
    assert_int_equal (id, last + 1);
    s_rig_close (&rig);
}

int
main (void)
{
    log_threshold = (log_level_t)(LOG_LEVEL_ERROR + 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_a_valid_event_is_appended_with_its_source_and_line, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_an_invalid_event_is_refused_with_its_reason_and_nothing_appended,
          s_setup,
          s_teardown),
        cmocka_unit_test_setup_teardown (test_durable_id_follows_the_syncs, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_full_spool_says_full_and_takes_the_event_once_there_is_room, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
