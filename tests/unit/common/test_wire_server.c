/* wire_server: the server half of PARLEY/1, against real DEALER clients (ipc:// in a
   temporary directory, so that no other program's agent can wander in; tcp:// on
   127.0.0.1 for the peer's address). */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "wire_server.h"

typedef struct {
    char dir[64];
    char endpoint[128];
    wire_server_t *server;
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *f = calloc (1, sizeof *f);
    snprintf (f->dir, sizeof f->dir, "/tmp/parley-wire-server-XXXXXX");
    assert_non_null (mkdtemp (f->dir));
    snprintf (f->endpoint, sizeof f->endpoint, "ipc://%s/s.sock", f->dir);
    const char *endpoints[] = { f->endpoint };
    wire_server_options_t opts = {
        .endpoints = endpoints, .count = 1, .comp = "test", .insecure = true
    };
    f->server = wire_server_new (&opts);
    assert_non_null (f->server);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *f = *state;
    wire_server_destroy (&f->server, 0);
    char path[200];
    snprintf (path, sizeof path, "%s/s.sock", f->dir);
    unlink (path);
    rmdir (f->dir);
    free (f);
    return 0;
}

static zsock_t *
s_client (const char *endpoint)
{
    zsock_t *c = zsock_new (ZMQ_DEALER);
    assert_non_null (c);
    zsock_set_linger (c, 0);
    zsock_set_rcvtimeo (c, 5000);
    assert_int_equal (zsock_connect (c, "%s", endpoint), 0);
    return c;
}

static void
s_send_batch (zsock_t *c, uint64_t seq, size_t events)
{
    zmsg_t *m = wire_batch_new (seq);
    for (size_t i = 0; i < events; i++)
        wire_batch_add (m, "{}", 2);
    assert_int_equal (zmsg_send (&m, c), 0);
}

/* Reads the server until it hands out a batch (up to 5 s). */
static wire_server_batch_t *
s_next_batch (wire_server_t *server)
{
    for (int i = 0; i < 50; i++) {
        wire_server_batch_t *b = wire_server_recv (server, 100);
        if (b)
            return b;
    }
    return NULL;
}

/* Serves the socket for ms milliseconds; every batch handed out counts (and is dropped). */
static size_t
s_serve (wire_server_t *server, int ms)
{
    size_t batches = 0;
    int64_t until = zclock_mono () + ms;
    while (zclock_mono () < until) {
        wire_server_batch_t *b = wire_server_recv (server, 20);
        if (b) {
            batches++;
            wire_server_batch_destroy (&b);
        }
    }
    return batches;
}

/* The client's next reply, decoded; the message is returned for its body frames. */
static zmsg_t *
s_reply (zsock_t *c, wire_header_t *hdr)
{
    zmsg_t *m = zmsg_recv (c);
    assert_non_null (m);
    char err[256];
    assert_int_equal (wire_decode (m, hdr, err, sizeof err), 0);
    return m;
}

static void
test_ping_is_answered_with_pong_and_not_handed_out (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *c = s_client (f->endpoint);
    zmsg_t *ping = wire_ping_new ("17");
    assert_int_equal (zmsg_send (&ping, c), 0);
    assert_int_equal (s_serve (f->server, 300), 0);
    wire_header_t hdr;
    zmsg_t *m = s_reply (c, &hdr);
    assert_int_equal (hdr.kind, WIRE_PONG);
    assert_string_equal (hdr.token, "17");
    zmsg_destroy (&m);
    assert_int_equal (wire_server_stats (f->server)->pings, 1);
    zsock_destroy (&c);
}

static void
test_a_malformed_request_gets_error_without_a_seq (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *c = s_client (f->endpoint);
    zstr_sendx (c, "PARLEY/9", "BATCH", "1", "{}", NULL);
    zstr_sendx (c, WIRE_VERSION, "BATCH", "007", "{}", NULL);
    zstr_sendx (c, WIRE_VERSION, "OUTCOMES", "1", "accepted", NULL);
    assert_int_equal (s_serve (f->server, 300), 0);
    for (int i = 0; i < 3; i++) {
        wire_header_t hdr;
        zmsg_t *m = s_reply (c, &hdr);
        assert_int_equal (hdr.kind, WIRE_ERROR);
        if (i < 2)
            assert_false (hdr.has_seq);
        zmsg_destroy (&m);
    }
    assert_int_equal (wire_server_stats (f->server)->malformed, 3);
    zsock_destroy (&c);
}

static void
test_a_batch_is_handed_out_and_answered_with_its_outcomes (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *c = s_client (f->endpoint);
    s_send_batch (c, 42, 3);
    wire_server_batch_t *b = s_next_batch (f->server);
    assert_non_null (b);
    assert_int_equal (b->seq, 42);
    assert_int_equal (b->count, 3);
    assert_int_equal (zframe_size (b->events[2]), 2);
    /* ipc://: libzmq names the peer by its credentials ("localhost:UID:GID:PID"); the
       routing id libzmq made up is 5 bytes. */
    const char *slash = strrchr (b->peer_name, '/');
    assert_non_null (slash);
    assert_true (slash > b->peer_name);
    assert_int_equal (strlen (slash + 1), 10);
    zmsg_t *reply = wire_outcomes_new (b->seq);
    wire_outcome_t ok = { .verdict = WIRE_ACCEPTED };
    for (size_t i = 0; i < b->count; i++)
        wire_outcomes_add (reply, &ok);
    assert_int_equal (wire_server_reply (f->server, b, &reply), 0);
    assert_null (reply);
    wire_server_batch_destroy (&b);
    wire_header_t hdr;
    zmsg_t *m = s_reply (c, &hdr);
    assert_int_equal (hdr.kind, WIRE_OUTCOMES);
    assert_int_equal (hdr.seq, 42);
    assert_int_equal (hdr.body_count, 3);
    zmsg_destroy (&m);
    zsock_destroy (&c);
}

static void
test_after_a_refusal_later_batches_of_that_peer_wait_for_it (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *a = s_client (f->endpoint), *b = s_client (f->endpoint);
    s_send_batch (a, 5, 1);
    wire_server_batch_t *batch = s_next_batch (f->server);
    assert_non_null (batch);
    wire_server_refuse (f->server, &batch, "hub spool full, resend later");
    assert_null (batch);
    wire_header_t hdr;
    zmsg_t *m = s_reply (a, &hdr);
    assert_int_equal (hdr.kind, WIRE_ERROR);
    assert_int_equal (hdr.seq, 5);
    assert_string_equal (hdr.reason, "hub spool full, resend later");
    zmsg_destroy (&m);

    /* a's batch 6 would overtake 5: refused by the server itself; b is not held up. */
    s_send_batch (a, 6, 1);
    assert_int_equal (s_serve (f->server, 300), 0);
    m = s_reply (a, &hdr);
    assert_int_equal (hdr.kind, WIRE_ERROR);
    assert_int_equal (hdr.seq, 6);
    assert_string_equal (hdr.reason, WIRE_SERVER_OUT_OF_ORDER);
    zmsg_destroy (&m);
    s_send_batch (b, 6, 1);
    batch = s_next_batch (f->server);
    assert_non_null (batch);
    assert_int_equal (batch->seq, 6);
    wire_server_batch_destroy (&batch);

    /* 5 again lifts the hold; 6 then goes through. */
    s_send_batch (a, 5, 1);
    batch = s_next_batch (f->server);
    assert_non_null (batch);
    assert_int_equal (batch->seq, 5);
    wire_server_batch_destroy (&batch);
    s_send_batch (a, 6, 1);
    batch = s_next_batch (f->server);
    assert_non_null (batch);
    assert_int_equal (batch->seq, 6);
    wire_server_batch_destroy (&batch);
    assert_int_equal (wire_server_stats (f->server)->refused, 2);
    zsock_destroy (&a);
    zsock_destroy (&b);
}

/* An agent resends batch 3 after its resend timeout, the answer to the first copy being
   slow; the server answers the first copy, then refuses the second (a full spool, say).
   The agent is done with 3 and never sends it again: its batch 4 must not wait for it. */
static void
test_refusing_a_copy_of_an_answered_batch_holds_nothing_back (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *a = s_client (f->endpoint);
    s_send_batch (a, 3, 1);
    s_send_batch (a, 3, 1);
    wire_server_batch_t *first = s_next_batch (f->server);
    wire_server_batch_t *copy = s_next_batch (f->server);
    assert_non_null (first);
    assert_non_null (copy);
    zmsg_t *reply = wire_outcomes_new (3);
    wire_outcome_t ok = { .verdict = WIRE_ACCEPTED };
    wire_outcomes_add (reply, &ok);
    assert_int_equal (wire_server_reply (f->server, first, &reply), 0);
    wire_server_batch_destroy (&first);
    wire_server_refuse (f->server, &copy, "hub spool full, resend later");
    s_send_batch (a, 4, 1);
    wire_server_batch_t *next = s_next_batch (f->server);
    assert_non_null (next);
    assert_int_equal (next->seq, 4);
    wire_server_batch_destroy (&next);
    zsock_destroy (&a);
}

static void
test_a_reply_to_a_gone_peer_fails_and_is_counted (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *c = s_client (f->endpoint);
    s_send_batch (c, 1, 1);
    wire_server_batch_t *b = s_next_batch (f->server);
    assert_non_null (b);
    zsock_destroy (&c);
    zmsg_t *reply = NULL;
    int rc = 0;
    /* libzmq notices the disconnect a moment later. */
    for (int i = 0; i < 100 && rc == 0; i++) {
        zclock_sleep (20);
        reply = wire_outcomes_new (b->seq);
        rc = wire_server_reply (f->server, b, &reply);
    }
    assert_int_equal (rc, -1);
    assert_true (wire_server_stats (f->server)->unroutable >= 1);
    wire_server_batch_destroy (&b);
}

/* A peer that sends and never reads fills its queue of replies; the server drops the rest
   of them at once instead of waiting (which stalled every other peer), and still answers
   a peer that reads. */
static void
test_replies_to_a_peer_that_does_not_read_are_dropped_without_waiting (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *deaf = zsock_new (ZMQ_DEALER);
    assert_non_null (deaf);
    zsock_set_linger (deaf, 0);
    zsock_set_sndhwm (deaf, 0);
    zsock_set_rcvhwm (deaf, 1);
    assert_int_equal (zsock_connect (deaf, "%s", f->endpoint), 0);
    enum { pings = 50000 };
    char token[64];
    memset (token, 'x', 63);
    token[63] = '\0';
    for (int i = 0; i < pings; i++) {
        zmsg_t *ping = wire_ping_new (token);
        assert_int_equal (zmsg_send (&ping, deaf), 0);
    }
    const wire_server_stats_t *st = wire_server_stats (f->server);
    int64_t until = zclock_mono () + 10000;
    while (st->pings < pings && zclock_mono () < until)
        (void)s_serve (f->server, 20); /* PINGs only: nothing is handed out */
    assert_int_equal (st->pings, pings);
    assert_true (st->dropped > 0);
    zsock_t *c = s_client (f->endpoint);
    zmsg_t *ping = wire_ping_new ("7");
    assert_int_equal (zmsg_send (&ping, c), 0);
    assert_int_equal (s_serve (f->server, 300), 0);
    wire_header_t hdr;
    zmsg_t *m = s_reply (c, &hdr);
    assert_int_equal (hdr.kind, WIRE_PONG);
    assert_string_equal (hdr.token, "7");
    zmsg_destroy (&m);
    zsock_destroy (&c);
    zsock_destroy (&deaf);
}

static void
test_a_tcp_peer_is_named_by_its_address_and_routing_id (void **state)
{
    const char *endpoints[] = { "tcp://127.0.0.1:*" };
    wire_server_options_t opts = {
        .endpoints = endpoints, .count = 1, .comp = "test", .insecure = true
    };
    wire_server_t *server = wire_server_new (&opts);
    assert_non_null (server);
    const char *bound = wire_server_endpoint (server, 0);
    assert_non_null (bound);
    assert_null (wire_server_endpoint (server, 1));
    zsock_t *c = zsock_new (ZMQ_DEALER);
    assert_non_null (c);
    zsock_set_linger (c, 0);
    zsock_set_identity (c, "agent-7"); /* ZMQ_ROUTING_ID, before connecting */
    assert_int_equal (zsock_connect (c, "%s", bound), 0);
    s_send_batch (c, 1, 1);
    wire_server_batch_t *b = s_next_batch (server);
    assert_non_null (b);
    assert_string_equal (b->peer_name, "127.0.0.1/6167656e742d37"); /* "agent-7" in hex */
    wire_server_batch_destroy (&b);
    zsock_destroy (&c);
    wire_server_destroy (&server, 0);
}

/* A raw ZMTP 3.0 client (NULL mechanism, as a DEALER) connected to 127.0.0.1:port, the
   greetings exchanged: what a hostile client writes by hand. */
static int
s_raw_zmtp (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons ((uint16_t)port) };
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (connect (fd, (struct sockaddr *)&a, sizeof a), 0);
    unsigned char greeting[64] = { 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 0, 'N', 'U', 'L', 'L' };
    assert_int_equal (send (fd, greeting, sizeof greeting, MSG_NOSIGNAL), 64);
    unsigned char theirs[64];
    size_t got = 0;
    while (got < sizeof theirs) {
        ssize_t n = recv (fd, theirs + got, sizeof theirs - got, 0);
        assert_true (n > 0);
        got += (size_t)n;
    }
    static const char ready[] = "\x04\x1c\x05READY\x0bSocket-Type\x00\x00\x00\x06"
                                "DEALER";
    assert_int_equal (send (fd, ready, sizeof ready - 1, MSG_NOSIGNAL), 30);
    return fd;
}

static size_t
s_resident (void)
{
    FILE *f = fopen ("/proc/self/statm", "r");
    assert_non_null (f);
    unsigned long long size = 0, resident = 0;
    assert_int_equal (fscanf (f, "%llu %llu", &size, &resident), 2);
    fclose (f);
    return (size_t)resident * (size_t)sysconf (_SC_PAGESIZE);
}

/* libzmq holds the frames of an unfinished message without limit, out of the caller's sight
   (ZMQ_MAXMSGSIZE counts one frame): the memory guard drops every connection once the
   process's resident memory is over its limit, and the server goes on serving those who come back.
 */
static void
test_an_unfinished_message_over_the_memory_limit_drops_the_connections (void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip (); /* ASan's quarantine keeps freed memory resident, and malloc_trim is not its */
#endif
    const char *endpoints[] = { "tcp://127.0.0.1:*" };
    size_t limit = (size_t)64 * 1024 * 1024;
    wire_server_options_t opts = { .endpoints = endpoints,
                                   .count = 1,
                                   .comp = "test",
                                   .insecure = true,
                                   .rss_max = s_resident () + limit };
    wire_server_t *server = wire_server_new (&opts);
    assert_non_null (server);
    const char *bound = wire_server_endpoint (server, 0);
    int port = atoi (strrchr (bound, ':') + 1);
    zsock_t *good = s_client (bound);
    int fd = s_raw_zmtp (port);
    /* Frames of 64 KiB, each with MORE set: the message never ends. Up to 4 times the limit
       is offered; the connection must be closed well before. */
    size_t frame = 9 + WIRE_FRAME_MAX;
    unsigned char *buf = malloc (frame);
    memset (buf, 'x', frame);
    buf[0] = 0x03; /* MORE | LONG */
    memset (buf + 1, 0, 8);
    buf[6] = 0x01; /* 65536, big-endian */
    size_t sent = 0, at = 0;
    bool closed = false;
    int64_t until = zclock_mono () + 60000;
    while (!closed && sent < 4 * limit && zclock_mono () < until) {
        ssize_t n = send (fd, buf + at, frame - at, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += (size_t)n;
            at = (at + (size_t)n) % frame;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            wire_server_batch_t *b = wire_server_recv (server, 5);
            assert_null (b);
        } else
            closed = true; /* EPIPE, ECONNRESET: the server closed it */
    }
    free (buf);
    close (fd);
    assert_true (closed);
    assert_true (sent < 3 * limit);
    assert_true (wire_server_stats (server)->shed >= 1);
    /* What the pipe held is freed, and a client that comes back is served. */
    (void)s_serve (server, 300);
    assert_true (s_resident () < opts.rss_max);
    zmsg_t *ping = wire_ping_new ("back");
    assert_int_equal (zmsg_send (&ping, good), 0);
    zmsg_t *pong = NULL;
    for (int i = 0; i < 100 && !pong; i++) {
        (void)s_serve (server, 50);
        zmq_pollitem_t item = { zsock_resolve (good), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 0) == 1)
            pong = zmsg_recv (good);
        if (!pong && i % 20 == 19) { /* the PING was lost with the old connection: again */
            ping = wire_ping_new ("back");
            assert_int_equal (zmsg_send (&ping, good), 0);
        }
    }
    assert_non_null (pong);
    wire_header_t hdr;
    char err[256];
    assert_int_equal (wire_decode (pong, &hdr, err, sizeof err), 0);
    assert_int_equal (hdr.kind, WIRE_PONG);
    zmsg_destroy (&pong);
    zsock_destroy (&good);
    wire_server_destroy (&server, 0);
}

static void
test_a_bind_that_fails_gives_no_server (void **state)
{
    const char *endpoints[] = { "ipc:///nonexistent-dir-for-parley/s.sock" };
    wire_server_options_t opts = {
        .endpoints = endpoints, .count = 1, .comp = "test", .insecure = true
    };
    assert_null (wire_server_new (&opts));
}

int
main (void)
{
    log_threshold = LOG_LEVEL_ERROR;
    zsys_handler_set (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_ping_is_answered_with_pong_and_not_handed_out, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_malformed_request_gets_error_without_a_seq, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_batch_is_handed_out_and_answered_with_its_outcomes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_after_a_refusal_later_batches_of_that_peer_wait_for_it, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_refusing_a_copy_of_an_answered_batch_holds_nothing_back, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_reply_to_a_gone_peer_fails_and_is_counted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_replies_to_a_peer_that_does_not_read_are_dropped_without_waiting,
          s_setup,
          s_teardown),
        cmocka_unit_test (test_a_tcp_peer_is_named_by_its_address_and_routing_id),
        cmocka_unit_test (test_a_bind_that_fails_gives_no_server),
        cmocka_unit_test (test_an_unfinished_message_over_the_memory_limit_drops_the_connections),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}
