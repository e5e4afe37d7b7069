/* wire: the agent <-> collector frames. Encode, decode, and refuse malformed headers with
   the message the peer will see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <czmq.h>
#include <string.h>
#include "wire.h"

/* A message built frame by frame from texts (NULL ends). */
static zmsg_t *
s_msg (const char *first, ...)
{
    zmsg_t *msg = zmsg_new ();
    va_list ap;
    va_start (ap, first);
    for (const char *f = first; f; f = va_arg (ap, const char *))
        assert_int_equal (zmsg_addstr (msg, f), 0);
    va_end (ap);
    return msg;
}

static void
s_expect_malformed (zmsg_t **msg_p, const char *reason)
{
    wire_header_t hdr;
    char err[256] = "";
    assert_int_equal (wire_decode (*msg_p, &hdr, err, sizeof err), -1);
    assert_string_equal (err, reason);
    zmsg_destroy (msg_p);
}

static void
s_assert_frame (zframe_t *frame, const void *data, size_t len)
{
    assert_non_null (frame);
    assert_int_equal (zframe_size (frame), len);
    assert_memory_equal (zframe_data (frame), data, len);
}

static void
test_batch_round_trip (void **state)
{
    (void)state;
    const char *events[] = { "{\"event_id\":\"a\"}", "{}", "{\"notes\":\"Ynys Môn\\t\"}" };
    uint64_t seqs[] = { 0, 1, 42, UINT64_MAX };
    for (size_t s = 0; s < 4; s++) {
        zmsg_t *msg = wire_batch_new (seqs[s]);
        for (size_t i = 0; i < 3; i++)
            wire_batch_add (msg, events[i], strlen (events[i]));
        wire_batch_add (msg, "with\0nul", 8); /* frames are bytes: the collector judges them */
        wire_header_t hdr;
        char err[256];
        assert_int_equal (wire_decode (msg, &hdr, err, sizeof err), 0);
        assert_int_equal (hdr.kind, WIRE_BATCH);
        assert_true (hdr.has_seq);
        assert_true (hdr.seq == seqs[s]);
        assert_int_equal (hdr.body_count, 4);
        for (size_t i = 0; i < 3; i++)
            s_assert_frame (zmsg_next (msg), events[i], strlen (events[i]));
        s_assert_frame (zmsg_next (msg), "with\0nul", 8);
        assert_null (zmsg_next (msg));
        zmsg_destroy (&msg);
    }
}

static void
test_batch_frames_on_the_wire (void **state)
{
    (void)state;
    zmsg_t *msg = wire_batch_new (18446744073709551615u);
    wire_batch_add (msg, "{}", 2);
    assert_int_equal (zmsg_size (msg), 4);
    s_assert_frame (zmsg_first (msg), "PARLEY/1", 8);
    s_assert_frame (zmsg_next (msg), "BATCH", 5);
    s_assert_frame (zmsg_next (msg), "18446744073709551615", 20);
    s_assert_frame (zmsg_next (msg), "{}", 2);
    zmsg_destroy (&msg);
}

static void
test_outcomes_round_trip (void **state)
{
    (void)state;
    wire_outcome_t in[4] = { { WIRE_ACCEPTED, { "", "" } },
                             { WIRE_DUPLICATE, { "", "" } },
                             { WIRE_REJECTED,
                               { "stance", "must be an integer from -2 to 2 (got 1.5)" } },
                             { WIRE_REJECTED, { "", "line has the key \"type\" twice" } } };
    zmsg_t *msg = wire_outcomes_new (7);
    for (size_t i = 0; i < 4; i++)
        wire_outcomes_add (msg, &in[i]);
    wire_header_t hdr;
    char err[256];
    assert_int_equal (wire_decode (msg, &hdr, err, sizeof err), 0);
    assert_int_equal (hdr.kind, WIRE_OUTCOMES);
    assert_true (hdr.has_seq && hdr.seq == 7);
    assert_int_equal (hdr.body_count, 4);
    for (size_t i = 0; i < 4; i++) {
        wire_outcome_t out;
        assert_int_equal (wire_outcome_parse (zmsg_next (msg), &out), 0);
        assert_int_equal (out.verdict, in[i].verdict);
        assert_string_equal (out.why.field, in[i].why.field);
        assert_string_equal (out.why.reason, in[i].why.reason);
    }
    assert_null (zmsg_next (msg));
    zmsg_destroy (&msg);
}

static void
test_tabs_and_newlines_in_a_reason_become_spaces (void **state)
{
    (void)state;
    wire_outcome_t in = { WIRE_REJECTED, { "no\ttes", "line one\nline\ttwo\r" } };
    zmsg_t *msg = wire_outcomes_new (1);
    wire_outcomes_add (msg, &in);
    const char *flat = "rejected\tno tes\tline one line two ";
    s_assert_frame (zmsg_last (msg), flat, strlen (flat));
    wire_outcome_t out;
    assert_int_equal (wire_outcome_parse (zmsg_last (msg), &out), 0);
    assert_string_equal (out.why.field, "no tes");
    assert_string_equal (out.why.reason, "line one line two ");
    zmsg_destroy (&msg);
}

static void
test_malformed_outcomes_are_refused (void **state)
{
    (void)state;
    const char *bad[] = { "",
                          "accept",
                          "Accepted",
                          "accepted ",
                          "duplicated",
                          "rejected",
                          "rejected\tfield only",
                          "rejectedx\tf\tr" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        zframe_t *frame = zframe_new (bad[i], strlen (bad[i]));
        wire_outcome_t out;
        if (wire_outcome_parse (frame, &out) != -1)
            fail_msg ("accepted outcome \"%s\"", bad[i]);
        zframe_destroy (&frame);
    }
    wire_outcome_t out;
    assert_int_equal (wire_outcome_parse (NULL, &out), -1);
    /* an empty field is allowed: whole-line problems have none */
    zframe_t *frame = zframe_new ("rejected\t\tline is empty", 23);
    assert_int_equal (wire_outcome_parse (frame, &out), 0);
    assert_string_equal (out.why.field, "");
    assert_string_equal (out.why.reason, "line is empty");
    zframe_destroy (&frame);
}

static void
test_ping_pong_round_trip (void **state)
{
    (void)state;
    zmsg_t *msg = wire_ping_new ("tok-123");
    wire_header_t hdr;
    char err[256];
    assert_int_equal (wire_decode (msg, &hdr, err, sizeof err), 0);
    assert_int_equal (hdr.kind, WIRE_PING);
    assert_string_equal (hdr.token, "tok-123");
    assert_false (hdr.has_seq);
    assert_null (zmsg_next (msg));
    zmsg_destroy (&msg);
    msg = wire_pong_new ("tok-123");
    assert_int_equal (wire_decode (msg, &hdr, err, sizeof err), 0);
    assert_int_equal (hdr.kind, WIRE_PONG);
    assert_string_equal (hdr.token, "tok-123");
    zmsg_destroy (&msg);
}

static void
test_error_round_trip_with_and_without_seq (void **state)
{
    (void)state;
    uint64_t seq = 99;
    zmsg_t *msg = wire_error_new (&seq, "BATCH 99: has 0 events\n(allowed 1 to 5000)");
    wire_header_t hdr;
    char err[256];
    assert_int_equal (wire_decode (msg, &hdr, err, sizeof err), 0);
    assert_int_equal (hdr.kind, WIRE_ERROR);
    assert_true (hdr.has_seq && hdr.seq == 99);
    assert_string_equal (hdr.reason, "BATCH 99: has 0 events (allowed 1 to 5000)");
    zmsg_destroy (&msg);
    msg = wire_error_new (NULL, "unsupported protocol version");
    assert_int_equal (wire_decode (msg, &hdr, err, sizeof err), 0);
    assert_int_equal (hdr.kind, WIRE_ERROR);
    assert_false (hdr.has_seq);
    assert_string_equal (hdr.reason, "unsupported protocol version");
    zmsg_destroy (&msg);
}

static void
test_malformed_headers_are_refused_with_a_reason (void **state)
{
    (void)state;
    zmsg_t *msg = zmsg_new ();
    s_expect_malformed (&msg, "empty message");
    msg = s_msg ("PARLEY/9", "BATCH", "1", "{}", NULL);
    s_expect_malformed (&msg, "unsupported protocol version \"PARLEY/9\" (expected \"PARLEY/1\")");
    msg = s_msg ("parley/1", "PING", "t", NULL);
    s_expect_malformed (&msg, "unsupported protocol version \"parley/1\" (expected \"PARLEY/1\")");
    msg = s_msg ("PAR\x01\xff", "PING", "t", NULL);
    s_expect_malformed (&msg, "unsupported protocol version \"PAR??\" (expected \"PARLEY/1\")");
    msg = s_msg ("PARLEY/1", NULL);
    s_expect_malformed (&msg, "unknown command (expected BATCH or PING)");
    msg = s_msg ("PARLEY/1", "batch", "1", "{}", NULL);
    s_expect_malformed (&msg, "unknown command (expected BATCH or PING)");
    msg = s_msg ("PARLEY/1", "HELLO", NULL);
    s_expect_malformed (&msg, "unknown command (expected BATCH or PING)");

    const char *bad_seqs[] = { "",
                               "01",
                               "-1",
                               "+1",
                               "1.0",
                               "abc",
                               " 1",
                               "18446744073709551616",
                               "99999999999999999999",
                               "123456789012345678901" };
    for (size_t i = 0; i < sizeof bad_seqs / sizeof bad_seqs[0]; i++) {
        msg = s_msg ("PARLEY/1", "BATCH", bad_seqs[i], "{}", NULL);
        s_expect_malformed (&msg, "BATCH: sequence frame is not an unsigned decimal number");
    }
    msg = s_msg ("PARLEY/1", "BATCH", NULL);
    s_expect_malformed (&msg, "BATCH: sequence frame is not an unsigned decimal number");
    msg = s_msg ("PARLEY/1", "OUTCOMES", "x", NULL);
    s_expect_malformed (&msg, "OUTCOMES: sequence frame is not an unsigned decimal number");

    msg = s_msg ("PARLEY/1", "PING", NULL);
    s_expect_malformed (&msg, "PING: expected one token frame of at most 63 bytes");
    msg = s_msg ("PARLEY/1", "PONG", "a", "b", NULL);
    s_expect_malformed (&msg, "PONG: expected one token frame of at most 63 bytes");
    char long_token[65];
    memset (long_token, 't', 64);
    long_token[64] = '\0';
    msg = s_msg ("PARLEY/1", "PING", long_token, NULL);
    s_expect_malformed (&msg, "PING: expected one token frame of at most 63 bytes");
    long_token[63] = '\0'; /* 63 bytes fit */
    msg = s_msg ("PARLEY/1", "PING", long_token, NULL);
    wire_header_t hdr;
    char err[256];
    assert_int_equal (wire_decode (msg, &hdr, err, sizeof err), 0);
    assert_string_equal (hdr.token, long_token);
    zmsg_destroy (&msg);

    msg = s_msg ("PARLEY/1", "ERROR", "5", NULL);
    s_expect_malformed (&msg, "ERROR: expected a sequence frame and a reason frame");
    msg = s_msg ("PARLEY/1", "ERROR", "x5", "why", NULL);
    s_expect_malformed (&msg, "ERROR: sequence frame is not an unsigned decimal number");
}

static void
test_batch_size_limits_and_the_seq_they_name (void **state)
{
    (void)state;
    zmsg_t *msg = wire_batch_new (7);
    wire_header_t hdr;
    char err[256];
    assert_int_equal (wire_decode (msg, &hdr, err, sizeof err), -1);
    assert_string_equal (err, "BATCH 7: has 0 events (allowed 1 to 5000)");
    /* the sequence is still known, so the ERROR reply can name the batch */
    assert_true (hdr.has_seq && hdr.seq == 7);
    zmsg_destroy (&msg);

    msg = wire_batch_new (8);
    for (int i = 0; i < WIRE_BATCH_MAX; i++)
        wire_batch_add (msg, "{}", 2);
    assert_int_equal (wire_decode (msg, &hdr, err, sizeof err), 0);
    assert_int_equal (hdr.body_count, WIRE_BATCH_MAX);
    wire_batch_add (msg, "{}", 2);
    assert_int_equal (wire_decode (msg, &hdr, err, sizeof err), -1);
    assert_string_equal (err, "BATCH 8: has 5001 events (allowed 1 to 5000)");
    zmsg_destroy (&msg);
}

static void
test_a_batch_survives_a_real_dealer_router_hop (void **state)
{
    (void)state;
    zsock_t *router = zsock_new_router ("@inproc://test-wire");
    zsock_t *dealer = zsock_new_dealer (">inproc://test-wire");
    assert_non_null (router);
    assert_non_null (dealer);
    zmsg_t *msg = wire_batch_new (3);
    wire_batch_add (msg, "{\"a\":1}", 7);
    wire_batch_add (msg, "{\"b\":2}", 7);
    assert_int_equal (zmsg_send (&msg, dealer), 0);

    zmsg_t *got = zmsg_recv (router);
    assert_non_null (got);
    zframe_t *peer = zmsg_pop (got); /* the ROUTER's routing id comes first */
    wire_header_t hdr;
    char err[256];
    assert_int_equal (wire_decode (got, &hdr, err, sizeof err), 0);
    assert_int_equal (hdr.kind, WIRE_BATCH);
    assert_true (hdr.seq == 3);
    assert_int_equal (hdr.body_count, 2);
    s_assert_frame (zmsg_next (got), "{\"a\":1}", 7);
    s_assert_frame (zmsg_next (got), "{\"b\":2}", 7);

    zmsg_t *reply = wire_outcomes_new (hdr.seq);
    wire_outcome_t ok = { WIRE_ACCEPTED, { "", "" } };
    wire_outcomes_add (reply, &ok);
    wire_outcomes_add (reply, &ok);
    assert_int_equal (zmsg_prepend (reply, &peer), 0);
    assert_int_equal (zmsg_send (&reply, router), 0);
    zmsg_destroy (&got);

    zmsg_t *back = zmsg_recv (dealer);
    assert_int_equal (wire_decode (back, &hdr, err, sizeof err), 0);
    assert_int_equal (hdr.kind, WIRE_OUTCOMES);
    assert_true (hdr.seq == 3);
    assert_int_equal (hdr.body_count, 2);
    zmsg_destroy (&back);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_batch_round_trip),
        cmocka_unit_test (test_batch_frames_on_the_wire),
        cmocka_unit_test (test_outcomes_round_trip),
        cmocka_unit_test (test_tabs_and_newlines_in_a_reason_become_spaces),
        cmocka_unit_test (test_malformed_outcomes_are_refused),
        cmocka_unit_test (test_ping_pong_round_trip),
        cmocka_unit_test (test_error_round_trip_with_and_without_seq),
        cmocka_unit_test (test_malformed_headers_are_refused_with_a_reason),
        cmocka_unit_test (test_batch_size_limits_and_the_seq_they_name),
        cmocka_unit_test (test_a_batch_survives_a_real_dealer_router_hop),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}
