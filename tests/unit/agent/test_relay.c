/* relay: a hub takes batches from agents into its spool through the intake, answers each
   with its OUTCOMES only once its records are durable, and refuses a batch its spool
   cannot take with ERROR, nothing of it acknowledged. Driven as the agent's loop drives
   a producer (agent.h), against a real DEALER client over ipc:// in the test's directory. */
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
#include "relay.h"
#include "wire.h"
#include "wire_server.h"

/* A valid event whose event_id ends in the 12 hex digits of n. */
static size_t
s_event (char *buf, size_t cap, unsigned n, size_t notes)
{
    char pad[2048];
    memset (pad, 'x', notes < sizeof pad ? notes : sizeof pad - 1);
    pad[notes < sizeof pad ? notes : sizeof pad - 1] = '\0';
    int len = snprintf (buf,
                        cap,
                        "{\"event_id\":\"0f8fad5b-d9cb-469f-a165-%012x\",\"type\":"
                        "\"conversation.reported\",\"reported_at\":\"2026-03-01T10:00:00Z\","
                        "\"occurred_on\":\"2026-02-27\",\"association\":{\"id\":\"ha-42\"},"
                        "\"constituency\":{\"code\":\"W07000112\"},\"stakeholder\":{\"role\":"
                        "\"mp\",\"name\":\"Jane Smith\"},\"notes\":\"%s\"}",
                        n,
                        pad);
    assert_true (len > 0 && (size_t)len < cap);
    return (size_t)len;
}

typedef struct {
    spool_t *spool;
    rejects_t *rejects;
    intake_t *intake;
    relay_t *relay;
    agent_producer_t producer;
    zsock_t *client;
} s_rig_t;

static void
s_rig_open (s_rig_t *rig, uint64_t max_bytes)
{
    char err[256];
    spool_options_t o = s_opts (max_bytes ? max_bytes / 8 : 0, max_bytes);
    rig->spool = spool_open (s_dir, &o, err, sizeof err);
    assert_non_null (rig->spool);
    rig->rejects = rejects_open (s_dir, err, sizeof err);
    assert_non_null (rig->rejects);
    rig->intake = intake_new (rig->spool, rig->rejects, max_bytes);
    char endpoint[128];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/hub.sock", s_dir);
    const char *endpoints[] = { endpoint };
    wire_server_options_t so = { .endpoints = endpoints, .count = 1, .insecure = true };
    rig->relay = relay_new (&so, rig->intake);
    assert_non_null (rig->relay);
    assert_string_equal (relay_endpoint (rig->relay, 0), endpoint);
    rig->producer = relay_producer (rig->relay);
    rig->client = zsock_new (ZMQ_DEALER);
    zsock_set_linger (rig->client, 0);
    assert_int_equal (zsock_connect (rig->client, "%s", endpoint), 0);
}

static void
s_rig_close (s_rig_t *rig)
{
    zsock_destroy (&rig->client);
    relay_destroy (&rig->relay);
    assert_null (rig->relay);
    intake_destroy (&rig->intake);
    rejects_destroy (&rig->rejects);
    spool_destroy (&rig->spool);
}

/* One turn of the agent's loop, as agent_run takes it. */
static void
s_turn (s_rig_t *rig, int timeout_ms)
{
    zmq_pollitem_t items[4];
    int n = rig->producer.pollitems (rig->producer.self, items, 4);
    int64_t now = zclock_mono ();
    int t = rig->producer.timeout_ms (rig->producer.self, now);
    int it = intake_timeout_ms (rig->intake, now);
    if (t < 0 || (it >= 0 && it < t))
        t = it;
    if (t < 0 || t > timeout_ms)
        t = timeout_ms;
    zmq_poll (items, n, t);
    now = zclock_mono ();
    intake_process (rig->intake, now);
    rig->producer.process (rig->producer.self, items, n, now);
    intake_process (rig->intake, now);
}

/* Turns the loop until the client has a reply (at most 5 s); returns it. */
static zmsg_t *
s_reply (s_rig_t *rig, wire_header_t *hdr)
{
    for (int i = 0; i < 500; i++) {
        s_turn (rig, 10);
        zmq_pollitem_t item = { zsock_resolve (rig->client), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 0) == 1) {
            zmsg_t *m = zmsg_recv (rig->client);
            char err[256];
            assert_int_equal (wire_decode (m, hdr, err, sizeof err), 0);
            return m;
        }
    }
    fail_msg ("no reply within 5 s");
    return NULL;
}

static void
s_send (s_rig_t *rig, uint64_t seq, unsigned first, size_t count, size_t notes)
{
    zmsg_t *m = wire_batch_new (seq);
    char buf[4096];
    for (size_t i = 0; i < count; i++)
        wire_batch_add (m, buf, s_event (buf, sizeof buf, first + (unsigned)i, notes));
    assert_int_equal (zmsg_send (&m, rig->client), 0);
}

static void
test_outcomes_come_once_the_batch_is_durable (void **state)
{
    s_rig_t rig;
    s_rig_open (&rig, 0);
    zmsg_t *m = wire_batch_new (7);
    char buf[4096];
    wire_batch_add (m, buf, s_event (buf, sizeof buf, 1, 0));
    wire_batch_add (m, "{\"event_id\":\"nope\"}", 19);
    wire_batch_add (m, buf, s_event (buf, sizeof buf, 2, 0));
    assert_int_equal (zmsg_send (&m, rig.client), 0);

    /* Read and spooled, but not yet durable: no answer yet. */
    zmq_pollitem_t items[4];
    for (int i = 0; i < 200 && spool_pending_records (rig.spool) < 2; i++) {
        int n = rig.producer.pollitems (rig.producer.self, items, 4);
        zmq_poll (items, n, 10);
        rig.producer.process (rig.producer.self, items, n, zclock_mono ());
    }
    assert_int_equal (spool_pending_records (rig.spool), 2);
    assert_true (intake_durable_id (rig.intake) < 2);
    assert_false (rig.producer.is_idle (rig.producer.self));
    zmq_pollitem_t reply_item = { zsock_resolve (rig.client), 0, ZMQ_POLLIN, 0 };
    assert_int_equal (zmq_poll (&reply_item, 1, 100), 0);
    /* The relay asked for the sync: the intake's next turn does it. */
    assert_int_equal (intake_timeout_ms (rig.intake, zclock_mono ()), 0);

    wire_header_t hdr;
    m = s_reply (&rig, &hdr);
    assert_true (intake_durable_id (rig.intake) >= 2);
    assert_int_equal (hdr.kind, WIRE_OUTCOMES);
    assert_int_equal (hdr.seq, 7);
    assert_int_equal (hdr.body_count, 3);
    wire_outcome_t o;
    assert_int_equal (wire_outcome_parse (zmsg_next (m), &o), 0);
    assert_int_equal (o.verdict, WIRE_ACCEPTED);
    assert_int_equal (wire_outcome_parse (zmsg_next (m), &o), 0);
    assert_int_equal (o.verdict, WIRE_REJECTED);
    assert_string_equal (o.why.field, "event_id");
    assert_int_equal (wire_outcome_parse (zmsg_next (m), &o), 0);
    assert_int_equal (o.verdict, WIRE_ACCEPTED);
    zmsg_destroy (&m);
    assert_true (rig.producer.is_idle (rig.producer.self));
    assert_int_equal (relay_stats (rig.relay)->accepted, 2);
    assert_int_equal (relay_stats (rig.relay)->rejected, 1);

    /* The records name the agent they came from, and their place in its batch. */
    uint64_t id;
    const void *data;
    size_t len;
    record_t rec;
    assert_int_equal (spool_read_next (rig.spool, &id, &data, &len), 1);
    assert_int_equal (record_decode (data, len, &rec), 0);
    assert_int_equal (rec.line, 1);
    assert_true (rec.source_len > 6 && memcmp (rec.source, "relay:", 6) == 0);
    assert_non_null (memchr (rec.source, '/', rec.source_len));
    assert_int_equal (spool_read_next (rig.spool, &id, &data, &len), 1);
    assert_int_equal (record_decode (data, len, &rec), 0);
    assert_int_equal (rec.line, 3);
    /* The invalid event was answered to the agent, not written to the hub's rejects. */
    assert_int_equal (rejects_count (rig.rejects), 0);
    s_rig_close (&rig);
}

static void
test_a_batch_the_spool_cannot_take_is_refused_and_later_ones_wait (void **state)
{
    s_rig_t rig;
    s_rig_open (&rig, 256 * 1024);
    wire_header_t hdr;
    zmsg_t *m;
    uint64_t seq = 0;
    /* Batches of 20 events of about 1.2 KiB until one is refused. */
    for (;;) {
        seq++;
        s_send (&rig, seq, (unsigned)seq * 100, 20, 1000);
        m = s_reply (&rig, &hdr);
        if (hdr.kind == WIRE_ERROR)
            break;
        assert_int_equal (hdr.kind, WIRE_OUTCOMES);
        assert_int_equal (hdr.body_count, 20);
        zmsg_destroy (&m);
        assert_true (seq < 100);
    }
    assert_int_equal (hdr.seq, seq);
    assert_string_equal (hdr.reason, RELAY_FULL);
    zmsg_destroy (&m);
    assert_int_equal (relay_stats (rig.relay)->refused, 1);
    assert_int_equal (relay_stats (rig.relay)->accepted, (seq - 1) * 20);

    /* Sent ahead of the refused one: refused too, by the server's order rule. */
    s_send (&rig, seq + 1, 9000, 1, 0);
    m = s_reply (&rig, &hdr);
    assert_int_equal (hdr.kind, WIRE_ERROR);
    assert_int_equal (hdr.seq, seq + 1);
    assert_string_equal (hdr.reason, WIRE_SERVER_OUT_OF_ORDER);
    zmsg_destroy (&m);

    /* Upstream acknowledges everything: the refused batch, resent, is taken whole. */
    uint64_t id;
    const void *data;
    size_t len;
    while (spool_read_next (rig.spool, &id, &data, &len) == 1) {
    }
    assert_int_equal (spool_ack (rig.spool, 1, id), 0);
    s_send (&rig, seq, (unsigned)seq * 100, 20, 1000);
    m = s_reply (&rig, &hdr);
    assert_int_equal (hdr.kind, WIRE_OUTCOMES);
    assert_int_equal (hdr.seq, seq);
    assert_int_equal (hdr.body_count, 20);
    zmsg_destroy (&m);
    s_rig_close (&rig);
}

static void
test_finish_answers_what_the_last_sync_made_durable (void **state)
{
    s_rig_t rig;
    s_rig_open (&rig, 0);
    s_send (&rig, 1, 1, 3, 0);
    zmq_pollitem_t items[4];
    for (int i = 0; i < 200 && spool_pending_records (rig.spool) < 3; i++) {
        int n = rig.producer.pollitems (rig.producer.self, items, 4);
        zmq_poll (items, n, 10);
        rig.producer.process (rig.producer.self, items, n, zclock_mono ());
    }
    assert_int_equal (spool_pending_records (rig.spool), 3);
    /* The agent's way out: its last sync, then each producer's finish. */
    assert_int_equal (intake_sync (rig.intake), 0);
    rig.producer.finish (rig.producer.self);
    zmq_pollitem_t item = { zsock_resolve (rig.client), 0, ZMQ_POLLIN, 0 };
    assert_int_equal (zmq_poll (&item, 1, 2000), 1);
    zmsg_t *m = zmsg_recv (rig.client);
    wire_header_t hdr;
    char err[256];
    assert_int_equal (wire_decode (m, &hdr, err, sizeof err), 0);
    assert_int_equal (hdr.kind, WIRE_OUTCOMES);
    assert_int_equal (hdr.body_count, 3);
    zmsg_destroy (&m);
    s_rig_close (&rig);
}

static void
test_a_bind_that_fails_gives_no_relay (void **state)
{
    const char *endpoints[] = { "ipc:///nonexistent-dir-for-parley/hub.sock" };
    wire_server_options_t so = { .endpoints = endpoints, .count = 1, .insecure = true };
    assert_null (relay_new (&so, NULL));
}

int
main (void)
{
    log_threshold = (log_level_t)(LOG_LEVEL_ERROR + 1);
    zsys_handler_set (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_outcomes_come_once_the_batch_is_durable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_batch_the_spool_cannot_take_is_refused_and_later_ones_wait, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_finish_answers_what_the_last_sync_made_durable, s_setup, s_teardown),
        cmocka_unit_test (test_a_bind_that_fails_gives_no_relay),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}
