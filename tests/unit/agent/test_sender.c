/* sender: batches, window, resend, outcomes and failover, against a fake collector made
   of a real ROUTER socket on tcp://127.0.0.1 (the real collector is exercised by the
   integration tests). */
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
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sender.h"
#include "wire.h"

/* --- what the sender handed back ---------------------------------------------------- */

#define SEEN_MAX 64

typedef struct {
    size_t outcomes;
    uint64_t ids[SEEN_MAX], lines[SEEN_MAX];
    char sources[SEEN_MAX][32];
    char data[SEEN_MAX][64];
    wire_outcome_t verdicts[SEEN_MAX];
    size_t done;
    uint64_t first[SEEN_MAX], last[SEEN_MAX];
} s_seen_t;

static void
s_on_outcome (void *arg, const sender_event_t *event, const wire_outcome_t *outcome)
{
    s_seen_t *seen = arg;
    assert_true (seen->outcomes < SEEN_MAX);
    size_t i = seen->outcomes++;
    seen->ids[i] = event->id;
    seen->lines[i] = event->line;
    snprintf (seen->sources[i], sizeof seen->sources[i], "%s", event->source);
    snprintf (
      seen->data[i], sizeof seen->data[i], "%.*s", (int)event->len, (const char *)event->data);
    seen->verdicts[i] = *outcome;
}

static void
s_on_done (void *arg, uint64_t first, uint64_t last, size_t count)
{
    s_seen_t *seen = arg;
    assert_true (seen->done < SEEN_MAX);
    seen->first[seen->done] = first;
    seen->last[seen->done] = last;
    seen->done++;
}

/* --- the fake collector --------------------------------------------------------------- */

typedef struct {
    zsock_t *sock;
    char endpoint[64];
    bool auto_pong; /* answer PINGs, as a live collector does */
    size_t pings;
} s_fake_t;

/* Binds on port, or on a port the kernel picks (libzmq's "*", not czmq's, which counts up
   from 49152 and so hands out the ports other test programs on the machine just left, with
   their agents still reconnecting to them). */
static void
s_fake_bind (s_fake_t *fake, int port)
{
    fake->sock = zsock_new (ZMQ_ROUTER);
    assert_non_null (fake->sock);
    zsock_set_linger (fake->sock, 0);
    zsock_set_rcvtimeo (fake->sock, 0);
    char endpoint[64];
    if (port)
        snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    else
        snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:*");
    assert_int_equal (zmq_bind (zsock_resolve (fake->sock), endpoint), 0);
    size_t len = sizeof fake->endpoint;
    assert_int_equal (
      zmq_getsockopt (zsock_resolve (fake->sock), ZMQ_LAST_ENDPOINT, fake->endpoint, &len), 0);
}

static int
s_fake_port (s_fake_t *fake)
{
    return atoi (strrchr (fake->endpoint, ':') + 1);
}

/* Holds a port where no collector listens: bound but not listening, so connections are
   refused, and no other program on the machine can take it meanwhile. Port 0 picks a free
   one. Returns the descriptor; *port_p is set to the port. */
static int
s_reserve_port (int *port_p)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    int one = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t)*port_p) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    /* A ROUTER just destroyed gives its port up a moment later (libzmq's I/O thread). */
    int rc;
    for (int tries = 0; (rc = bind (fd, (struct sockaddr *)&addr, sizeof addr)) != 0 && tries < 100;
         tries++)
        zclock_sleep (10);
    assert_int_equal (rc, 0);
    socklen_t len = sizeof addr;
    assert_int_equal (getsockname (fd, (struct sockaddr *)&addr, &len), 0);
    *port_p = ntohs (addr.sin_port);
    return fd;
}

/* The next request other than PING (answered or not, per auto_pong), or NULL. The
   routing id is left as the message's first frame. */
static zmsg_t *
s_fake_poll (s_fake_t *fake)
{
    for (;;) {
        zmsg_t *msg = zmsg_recv (fake->sock);
        if (!msg)
            return NULL;
        zframe_t *rid = zmsg_pop (msg);
        wire_header_t hdr;
        char err[256];
        assert_int_equal (wire_decode (msg, &hdr, err, sizeof err), 0);
        if (hdr.kind == WIRE_PING) {
            fake->pings++;
            if (fake->auto_pong) {
                zmsg_t *pong = wire_pong_new (hdr.token);
                zmsg_prepend (pong, &rid);
                assert_int_equal (zmsg_send (&pong, fake->sock), 0);
            }
            zframe_destroy (&rid);
            zmsg_destroy (&msg);
            continue;
        }
        zmsg_prepend (msg, &rid);
        return msg;
    }
}

/* Runs the sender's side of the loop for up to ms milliseconds. */
static void
s_pump (sender_t *sender, int ms)
{
    int64_t end = zclock_mono () + ms;
    for (int64_t now = zclock_mono (); now < end; now = zclock_mono ()) {
        zmq_pollitem_t items[2];
        int n = sender_pollitems (sender, items, 2);
        int t = sender_timeout_ms (sender);
        if (t > end - now)
            t = (int)(end - now);
        if (t > 10)
            t = 10;
        zmq_poll (items, n, t);
        sender_process (sender);
    }
}

/* Pumps the sender until fake receives a request (other than PING), within ms. */
static zmsg_t *
s_wait_request (sender_t *sender, s_fake_t *fake, int ms)
{
    int64_t end = zclock_mono () + ms;
    while (zclock_mono () < end) {
        s_pump (sender, 10);
        zmsg_t *msg = s_fake_poll (fake);
        if (msg)
            return msg;
    }
    return NULL;
}

/* Decodes a BATCH received by the fake; checks its shape. */
static wire_header_t
s_batch_header (zmsg_t *msg)
{
    zmsg_first (msg); /* routing id */
    zmsg_t *copy = zmsg_dup (msg);
    zframe_t *rid = zmsg_pop (copy);
    zframe_destroy (&rid);
    wire_header_t hdr;
    char err[256];
    assert_int_equal (wire_decode (copy, &hdr, err, sizeof err), 0);
    assert_int_equal (hdr.kind, WIRE_BATCH);
    zmsg_destroy (&copy);
    return hdr;
}

/* The i-th event of a received BATCH, as text. */
static char *
s_batch_event (zmsg_t *msg, size_t i)
{
    zframe_t *f = zmsg_first (msg);
    for (size_t k = 0; k < 4 + i; k++)
        f = zmsg_next (msg);
    assert_non_null (f);
    return zframe_strdup (f);
}

/* Sends OUTCOMES for the batch in request, one verdict per character of verdicts:
   'a' accepted, 'd' duplicate, 'r' rejected. */
static void
s_reply (s_fake_t *fake, zmsg_t *request, const char *verdicts)
{
    wire_header_t hdr = s_batch_header (request);
    zmsg_t *reply = wire_outcomes_new (hdr.seq);
    for (const char *v = verdicts; *v; v++) {
        wire_outcome_t o = { 0 };
        o.verdict = *v == 'a' ? WIRE_ACCEPTED : *v == 'd' ? WIRE_DUPLICATE : WIRE_REJECTED;
        if (*v == 'r') {
            snprintf (o.why.field, sizeof o.why.field, "stance");
            snprintf (o.why.reason, sizeof o.why.reason, "must be an integer from -2 to 2");
        }
        wire_outcomes_add (reply, &o);
    }
    zframe_t *rid = zframe_dup (zmsg_first (request));
    zmsg_prepend (reply, &rid);
    assert_int_equal (zmsg_send (&reply, fake->sock), 0);
}

static void
s_add (sender_t *sender, uint64_t id)
{
    char data[64];
    snprintf (data, sizeof data, "{\"n\":%" PRIu64 "}", id);
    sender_event_t ev = { id, "feed.jsonl", 100 + id, data, strlen (data) };
    sender_add (sender, &ev);
}

static sender_t *
s_sender (const char *const *endpoints, size_t n, s_seen_t *seen, size_t batch, size_t window)
{
    sender_options_t opts;
    sender_options_defaults (&opts);
    opts.endpoints = endpoints;
    opts.nendpoints = n;
    opts.batch_max = batch;
    opts.window = window;
    opts.resend_ms = 10000;
    opts.ping_ms = 100;
    opts.dead_ms = 10000;
    sender_handler_t handler = { s_on_outcome, s_on_done, seen };
    sender_t *sender = sender_new (&opts, &handler);
    assert_non_null (sender);
    return sender;
}

/* --- tests ----------------------------------------------------------------------------- */

static void
test_full_batch_is_sent_and_outcomes_go_to_their_events (void **state)
{
    s_fake_t fake = { .auto_pong = true };
    s_fake_bind (&fake, 0);
    const char *eps[] = { fake.endpoint };
    s_seen_t seen = { 0 };
    sender_t *sender = s_sender (eps, 1, &seen, 3, 4);

    s_add (sender, 7);
    s_add (sender, 8);
    assert_int_equal (sender_in_flight (sender), 1); /* open, not sent: not full yet */
    s_add (sender, 9);                               /* full: closed and sent */
    zmsg_t *req = s_wait_request (sender, &fake, 3000);
    assert_non_null (req);
    wire_header_t hdr = s_batch_header (req);
    assert_int_equal (hdr.seq, 1);
    assert_int_equal (hdr.body_count, 3);
    char *ev = s_batch_event (req, 1);
    assert_string_equal (ev, "{\"n\":8}");
    free (ev);

    s_reply (&fake, req, "adr");
    zmsg_destroy (&req);
    for (int i = 0; i < 100 && seen.done == 0; i++)
        s_pump (sender, 10);
    assert_int_equal (seen.done, 1);
    assert_int_equal (seen.first[0], 7);
    assert_int_equal (seen.last[0], 9);
    assert_int_equal (seen.outcomes, 3);
    assert_int_equal (seen.verdicts[0].verdict, WIRE_ACCEPTED);
    assert_int_equal (seen.verdicts[1].verdict, WIRE_DUPLICATE);
    assert_int_equal (seen.verdicts[2].verdict, WIRE_REJECTED);
    assert_int_equal (seen.ids[2], 9);
    assert_int_equal (seen.lines[2], 109);
    assert_string_equal (seen.sources[2], "feed.jsonl");
    assert_string_equal (seen.data[2], "{\"n\":9}");
    assert_string_equal (seen.verdicts[2].why.field, "stance");
    assert_string_equal (seen.verdicts[2].why.reason, "must be an integer from -2 to 2");
    assert_int_equal (sender_in_flight (sender), 0);

    sender_destroy (&sender);
    assert_null (sender);
    zsock_destroy (&fake.sock);
}

static void
test_window_bounds_batches_awaiting_outcomes (void **state)
{
    s_fake_t fake = { .auto_pong = true };
    s_fake_bind (&fake, 0);
    const char *eps[] = { fake.endpoint };
    s_seen_t seen = { 0 };
    sender_t *sender = s_sender (eps, 1, &seen, 1, 2);

    uint64_t id = 1;
    while (sender_has_room (sender))
        s_add (sender, id++);
    assert_int_equal (id, 3); /* two one-event batches fill a window of two */
    zmsg_t *first = s_wait_request (sender, &fake, 3000);
    zmsg_t *second = s_wait_request (sender, &fake, 3000);
    assert_non_null (first);
    assert_non_null (second);
    assert_null (s_wait_request (sender, &fake, 300));

    /* Answer the second first: outcomes may come in any order. */
    s_reply (&fake, second, "a");
    for (int i = 0; i < 100 && seen.done == 0; i++)
        s_pump (sender, 10);
    assert_int_equal (seen.done, 1);
    assert_int_equal (seen.first[0], 2);
    assert_true (sender_has_room (sender));
    s_add (sender, id++);
    assert_false (sender_has_room (sender));
    zmsg_t *third = s_wait_request (sender, &fake, 3000);
    assert_non_null (third);
    assert_int_equal (s_batch_header (third).seq, 3);

    s_reply (&fake, first, "a");
    s_reply (&fake, third, "d");
    for (int i = 0; i < 100 && seen.done < 3; i++)
        s_pump (sender, 10);
    assert_int_equal (seen.done, 3);
    assert_int_equal (sender_in_flight (sender), 0);
    zmsg_destroy (&first);
    zmsg_destroy (&second);
    zmsg_destroy (&third);
    sender_destroy (&sender);
    zsock_destroy (&fake.sock);
}

static void
test_flush_sends_a_partial_batch (void **state)
{
    s_fake_t fake = { .auto_pong = true };
    s_fake_bind (&fake, 0);
    const char *eps[] = { fake.endpoint };
    s_seen_t seen = { 0 };
    sender_t *sender = s_sender (eps, 1, &seen, 1000, 4);
    s_add (sender, 1);
    assert_null (s_wait_request (sender, &fake, 200));
    sender_flush (sender);
    zmsg_t *req = s_wait_request (sender, &fake, 3000);
    assert_non_null (req);
    assert_int_equal (s_batch_header (req).body_count, 1);
    zmsg_destroy (&req);
    sender_destroy (&sender);
    zsock_destroy (&fake.sock);
}

static void
test_unanswered_batch_is_resent_after_the_timeout_and_answered_once (void **state)
{
    s_fake_t fake = { .auto_pong = true };
    s_fake_bind (&fake, 0);
    const char *eps[] = { fake.endpoint };
    s_seen_t seen = { 0 };
    sender_options_t opts;
    sender_options_defaults (&opts);
    opts.endpoints = eps;
    opts.nendpoints = 1;
    opts.batch_max = 2;
    opts.resend_ms = 200;
    opts.ping_ms = 100;
    sender_handler_t handler = { s_on_outcome, s_on_done, &seen };
    sender_t *sender = sender_new (&opts, &handler);

    s_add (sender, 1);
    s_add (sender, 2);
    int64_t start = zclock_mono ();
    zmsg_t *req = s_wait_request (sender, &fake, 3000);
    assert_non_null (req);
    zmsg_t *again = s_wait_request (sender, &fake, 3000);
    assert_non_null (again);
    /* Jitter draws the first timeout from [resend_ms/2, resend_ms]. */
    assert_true (zclock_mono () - start >= 100);
    assert_int_equal (s_batch_header (again).seq, 1);
    char *a = s_batch_event (req, 1), *b = s_batch_event (again, 1);
    assert_string_equal (a, b);
    free (a);
    free (b);
    assert_true (sender_stats (sender)->resends >= 1);

    /* Both sends answered: the batch completes once. */
    s_reply (&fake, req, "aa");
    s_reply (&fake, again, "dd");
    s_pump (sender, 300);
    assert_int_equal (seen.done, 1);
    assert_int_equal (seen.outcomes, 2);
    assert_int_equal (seen.verdicts[0].verdict, WIRE_ACCEPTED);
    zmsg_destroy (&req);
    zmsg_destroy (&again);
    sender_destroy (&sender);
    zsock_destroy (&fake.sock);
}

static void
test_outcomes_that_do_not_match_the_batch_are_not_taken (void **state)
{
    s_fake_t fake = { .auto_pong = true };
    s_fake_bind (&fake, 0);
    const char *eps[] = { fake.endpoint };
    s_seen_t seen = { 0 };
    sender_options_t opts;
    sender_options_defaults (&opts);
    opts.endpoints = eps;
    opts.nendpoints = 1;
    opts.batch_max = 3;
    opts.resend_ms = 200;
    sender_handler_t handler = { s_on_outcome, s_on_done, &seen };
    sender_t *sender = sender_new (&opts, &handler);

    s_add (sender, 1);
    s_add (sender, 2);
    s_add (sender, 3);
    zmsg_t *req = s_wait_request (sender, &fake, 3000);
    assert_non_null (req);
    s_reply (&fake, req, "aa"); /* one outcome short */
    zmsg_destroy (&req);
    req = s_wait_request (sender, &fake, 3000); /* sent again after backoff */
    assert_non_null (req);
    assert_int_equal (seen.done, 0);
    assert_int_equal (seen.outcomes, 0);
    s_reply (&fake, req, "ada");
    s_pump (sender, 200);
    assert_int_equal (seen.done, 1);
    assert_int_equal (seen.outcomes, 3);
    zmsg_destroy (&req);
    sender_destroy (&sender);
    zsock_destroy (&fake.sock);
}

static void
test_error_reply_means_resend_later (void **state)
{
    s_fake_t fake = { .auto_pong = true };
    s_fake_bind (&fake, 0);
    const char *eps[] = { fake.endpoint };
    s_seen_t seen = { 0 };
    sender_options_t opts;
    sender_options_defaults (&opts);
    opts.endpoints = eps;
    opts.nendpoints = 1;
    opts.batch_max = 1;
    opts.resend_ms = 200;
    sender_handler_t handler = { s_on_outcome, s_on_done, &seen };
    sender_t *sender = sender_new (&opts, &handler);

    s_add (sender, 1);
    zmsg_t *req = s_wait_request (sender, &fake, 3000);
    assert_non_null (req);
    uint64_t seq = s_batch_header (req).seq;
    zmsg_t *error = wire_error_new (&seq, "database unavailable, try again");
    zframe_t *rid = zframe_dup (zmsg_first (req));
    zmsg_prepend (error, &rid);
    assert_int_equal (zmsg_send (&error, fake.sock), 0);
    int64_t refused_at = zclock_mono ();
    zmsg_destroy (&req);

    /* Not at resend_ms (200) but after at least a second: the collector asked for "later";
       and an ERROR is an answer, not silence, so no failover. */
    req = s_wait_request (sender, &fake, 3000);
    assert_non_null (req);
    assert_true (zclock_mono () - refused_at >= 1000);
    assert_int_equal (s_batch_header (req).seq, seq);
    assert_int_equal (sender_stats (sender)->errors, 1);
    assert_int_equal (sender_stats (sender)->failovers, 0);
    assert_int_equal (seen.done, 0);
    s_reply (&fake, req, "a");
    s_pump (sender, 200);
    assert_int_equal (seen.done, 1);
    zmsg_destroy (&req);
    sender_destroy (&sender);
    zsock_destroy (&fake.sock);
}

static void
s_refuse (s_fake_t *fake, zmsg_t *request)
{
    uint64_t seq = s_batch_header (request).seq;
    zmsg_t *error = wire_error_new (&seq, "database unavailable, resend later");
    zframe_t *rid = zframe_dup (zmsg_first (request));
    zmsg_prepend (error, &rid);
    assert_int_equal (zmsg_send (&error, fake->sock), 0);
}

/* After ERRORs, batches go out again oldest first, and no newer batch overtakes a refused
   one: the collector commits an agent's batches in its order (docs/PROTOCOL.md, 8). */
static void
test_refused_batches_are_resent_oldest_first_and_not_overtaken (void **state)
{
    s_fake_t fake = { .auto_pong = true };
    s_fake_bind (&fake, 0);
    const char *eps[] = { fake.endpoint };
    s_seen_t seen = { 0 };
    sender_t *sender = s_sender (eps, 1, &seen, 1, 4);
    zmsg_t *req[3];
    for (uint64_t i = 0; i < 3; i++) {
        s_add (sender, i + 1);
        req[i] = s_wait_request (sender, &fake, 3000);
        assert_non_null (req[i]);
        assert_int_equal (s_batch_header (req[i]).seq, i + 1);
    }
    /* Refused in the wrong order, as a collector may answer a group it could not write. */
    s_refuse (&fake, req[2]);
    s_refuse (&fake, req[0]);
    s_refuse (&fake, req[1]);
    for (int i = 0; i < 3; i++)
        zmsg_destroy (&req[i]);
    s_pump (sender, 50);
    s_add (sender, 4); /* a new batch, while the refused ones wait */
    uint64_t order[4];
    for (int i = 0; i < 4; i++) {
        zmsg_t *r = s_wait_request (sender, &fake, 5000);
        assert_non_null (r);
        order[i] = s_batch_header (r).seq;
        s_reply (&fake, r, "a");
        zmsg_destroy (&r);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal (order[i], (uint64_t)i + 1);
    for (int i = 0; i < 100 && seen.done < 4; i++)
        s_pump (sender, 10);
    assert_int_equal (seen.done, 4);
    assert_int_equal (sender_stats (sender)->errors, 3);
    sender_destroy (&sender);
    zsock_destroy (&fake.sock);
}

static void
test_pings_keep_a_quiet_collector_alive (void **state)
{
    s_fake_t fake = { .auto_pong = true };
    s_fake_bind (&fake, 0);
    const char *eps[] = { fake.endpoint };
    s_seen_t seen = { 0 };
    sender_options_t opts;
    sender_options_defaults (&opts);
    opts.endpoints = eps;
    opts.nendpoints = 1;
    opts.ping_ms = 100;
    opts.dead_ms = 400;
    sender_handler_t handler = { s_on_outcome, s_on_done, &seen };
    sender_t *sender = sender_new (&opts, &handler);
    for (int i = 0; i < 150; i++) {
        s_pump (sender, 10);
        assert_null (s_fake_poll (&fake));
    }
    assert_true (fake.pings >= 5);
    assert_int_equal (sender_stats (sender)->failovers, 0);
    sender_destroy (&sender);
    zsock_destroy (&fake.sock);
}

static void
test_silent_collector_fails_over_to_the_next_endpoint (void **state)
{
    s_fake_t silent = { .auto_pong = false }, live = { .auto_pong = true };
    s_fake_bind (&silent, 0);
    s_fake_bind (&live, 0);
    const char *eps[] = { silent.endpoint, live.endpoint };
    s_seen_t seen = { 0 };
    sender_options_t opts;
    sender_options_defaults (&opts);
    opts.endpoints = eps;
    opts.nendpoints = 2;
    opts.batch_max = 2;
    opts.ping_ms = 100;
    opts.dead_ms = 400;
    sender_handler_t handler = { s_on_outcome, s_on_done, &seen };
    sender_t *sender = sender_new (&opts, &handler);
    assert_string_equal (sender_endpoint (sender), silent.endpoint);

    s_add (sender, 1);
    s_add (sender, 2);
    zmsg_t *lost = s_wait_request (sender, &silent, 3000);
    assert_non_null (lost); /* taken, never answered */
    int64_t start = zclock_mono ();
    zmsg_t *req = s_wait_request (sender, &live, 5000);
    assert_non_null (req);
    int64_t took = zclock_mono () - start;
    assert_true (took < 2000);
    assert_string_equal (sender_endpoint (sender), live.endpoint);
    assert_int_equal (sender_stats (sender)->failovers, 1);
    assert_null (s_fake_poll (&silent)); /* counts the PINGs it left unanswered */
    assert_true (silent.pings >= 1);
    wire_header_t hdr = s_batch_header (req);
    assert_int_equal (hdr.seq, s_batch_header (lost).seq);
    assert_int_equal (hdr.body_count, 2);
    s_reply (&live, req, "aa");
    for (int i = 0; i < 100 && seen.done == 0; i++)
        s_pump (sender, 10);
    assert_int_equal (seen.done, 1);
    assert_int_equal (seen.first[0], 1);
    assert_int_equal (seen.last[0], 2);
    zmsg_destroy (&lost);
    zmsg_destroy (&req);
    sender_destroy (&sender);
    zsock_destroy (&silent.sock);
    zsock_destroy (&live.sock);
}

static void
test_collector_started_later_receives_the_batch (void **state)
{
    s_fake_t fake = { .auto_pong = true };
    int port = 0;
    int hold = s_reserve_port (&port); /* nobody there yet */
    snprintf (fake.endpoint, sizeof fake.endpoint, "tcp://127.0.0.1:%d", port);
    const char *eps[] = { fake.endpoint };
    s_seen_t seen = { 0 };
    sender_options_t opts;
    sender_options_defaults (&opts);
    opts.endpoints = eps;
    opts.nendpoints = 1;
    opts.batch_max = 1;
    opts.ping_ms = 100;
    opts.dead_ms = 300;
    sender_handler_t handler = { s_on_outcome, s_on_done, &seen };
    sender_t *sender = sender_new (&opts, &handler);
    s_add (sender, 1);
    s_pump (sender, 1000); /* several rebuilds of the socket meanwhile */
    assert_true (sender_stats (sender)->failovers >= 2);
    close (hold);
    s_fake_bind (&fake, port);
    zmsg_t *req = s_wait_request (sender, &fake, 5000);
    assert_non_null (req);
    s_reply (&fake, req, "a");
    for (int i = 0; i < 100 && seen.done == 0; i++)
        s_pump (sender, 10);
    assert_int_equal (seen.done, 1);
    zmsg_destroy (&req);
    sender_destroy (&sender);
    zsock_destroy (&fake.sock);
}

/* A collector that restarts within the liveness timeout: the dropped connection alone
   brings the unanswered batch back, long before the resend timeout. */
static void
test_restarted_collector_gets_unanswered_batches_again (void **state)
{
    s_fake_t fake = { .auto_pong = true };
    s_fake_bind (&fake, 0);
    int port = s_fake_port (&fake);
    const char *eps[] = { fake.endpoint };
    s_seen_t seen = { 0 };
    sender_t *sender = s_sender (eps, 1, &seen, 1, 4); /* resend 10 s, dead 10 s */
    s_add (sender, 1);
    zmsg_t *req = s_wait_request (sender, &fake, 3000);
    assert_non_null (req);
    zmsg_destroy (&req);
    zsock_destroy (&fake.sock);
    int hold = s_reserve_port (&port); /* kept while the collector is down */
    s_pump (sender, 100);
    close (hold);
    s_fake_bind (&fake, port);
    int64_t start = zclock_mono ();
    req = s_wait_request (sender, &fake, 5000);
    assert_non_null (req);
    assert_true (zclock_mono () - start < 4000);
    assert_int_equal (sender_stats (sender)->failovers, 0);
    s_reply (&fake, req, "a");
    for (int i = 0; i < 100 && seen.done == 0; i++)
        s_pump (sender, 10);
    assert_int_equal (seen.done, 1);
    zmsg_destroy (&req);
    sender_destroy (&sender);
    zsock_destroy (&fake.sock);
}

int
main (void)
{
    zsys_handler_set (NULL);
    zsys_set_logstream (stderr);
    if (getenv ("PARLEY_TEST_DEBUG") && log_set_level ("debug") != 0)
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_full_batch_is_sent_and_outcomes_go_to_their_events),
        cmocka_unit_test (test_window_bounds_batches_awaiting_outcomes),
        cmocka_unit_test (test_flush_sends_a_partial_batch),
        cmocka_unit_test (test_unanswered_batch_is_resent_after_the_timeout_and_answered_once),
        cmocka_unit_test (test_outcomes_that_do_not_match_the_batch_are_not_taken),
        cmocka_unit_test (test_error_reply_means_resend_later),
        cmocka_unit_test (test_refused_batches_are_resent_oldest_first_and_not_overtaken),
        cmocka_unit_test (test_pings_keep_a_quiet_collector_alive),
        cmocka_unit_test (test_silent_collector_fails_over_to_the_next_endpoint),
        cmocka_unit_test (test_collector_started_later_receives_the_batch),
        cmocka_unit_test (test_restarted_collector_gets_unanswered_batches_again),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}
