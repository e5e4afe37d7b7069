/* Delivery to the collector (see sender.h). */
#include "sender.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "curve_cert.h"
#include "log.h"
#include "mem.h"
#include "rate_limit.h"  /* RATE_LIMIT_REASON */
#include "wire_server.h" /* WIRE_SERVER_OUT_OF_ORDER */

/* The first wait after an ERROR reply is drawn from [S_REFUSED_FIRST_MS / 2, S_REFUSED_FIRST_MS].
 */
#define S_REFUSED_FIRST_MS 2000

typedef struct {
    uint64_t id;
    uint64_t line;
    char *source;
} s_meta_t;

typedef struct {
    uint64_t seq;
    zmsg_t *msg;    /* the BATCH message, kept to be sent again */
    s_meta_t *meta; /* per event, in order */
    size_t count;
    size_t bytes;
    bool sent;        /* on the wire of the current connection, awaiting outcomes */
    bool refused;     /* the collector answered ERROR: goes out again at deadline */
    int64_t deadline; /* when sent: resend at this time (zclock_mono) */
    backoff_t backoff;
    backoff_t refused_backoff; /* paces resends after ERROR replies */
} s_batch_t;

struct sender {
    sender_options_t opts;
    sender_handler_t handler;
    size_t endpoint; /* index of the current endpoint */
    zsock_t *dealer;
    zsock_t *monitor;    /* PAIR receiving the DEALER's connection events */
    unsigned generation; /* numbers the monitor endpoints: each socket gets its own */
    bool connected;      /* handshake done (monitor), and no disconnect since */
    s_batch_t *open;     /* collecting events, not yet sent */
    s_batch_t **batches; /* closed batches awaiting outcomes, oldest first */
    size_t count;
    uint64_t next_seq;
    int64_t last_heard; /* last message from the collector, or the socket's creation */
    int64_t last_ping;
    bool want_ping;
    uint64_t ping_token;
    unsigned silent_failovers; /* in a row, without hearing anything: throttles the log */
    zcert_t *cert;             /* our CURVE keys, or NULL: plaintext */
    char server_key[CURVE_CERT_KEY_LEN + 1];
    backoff_t refused_backoff; /* after the collector refused our key */
    int64_t refused_until;     /* no socket until then (zclock_mono); 0: none */
    sender_stats_t stats;
};

void
sender_options_defaults (sender_options_t *opts)
{
    memset (opts, 0, sizeof *opts);
    opts->batch_max = 1000;
    opts->batch_bytes = 4 * 1024 * 1024;
    opts->window = 4;
    opts->resend_ms = 10000;
    opts->resend_max_ms = 60000;
    opts->ping_ms = 1000;
    opts->dead_ms = 3000;
    opts->refused_max_ms = 30000;
}

static void
s_batch_destroy (s_batch_t **batch_p)
{
    s_batch_t *b = *batch_p;
    if (!b)
        return;
    zmsg_destroy (&b->msg);
    for (size_t i = 0; i < b->count; i++)
        free (b->meta[i].source);
    free (b->meta);
    free (b);
    *batch_p = NULL;
}

/* Sends msg without taking it and without blocking: the first frame decides (a ZeroMQ
   multipart message is queued whole or not at all). Returns 0, or -1 (e.g. EAGAIN when
   the pipe is at its high-water mark). Batches go out only while the monitor says a
   connection is up (s_send_batch), so nothing is queued for a collector that is away. */
static int
s_send (void *handle, zmsg_t *msg)
{
    size_t n = zmsg_size (msg), i = 0;
    for (zframe_t *f = zmsg_first (msg); f; f = zmsg_next (msg), i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
        if (zmq_send (handle, zframe_data (f), zframe_size (f), flags) < 0) {
            assert (i == 0);
            return -1;
        }
    }
    return 0;
}

static void
s_teardown (sender_t *self)
{
    if (self->dealer)
        zmq_socket_monitor (zsock_resolve (self->dealer), NULL, 0);
    zsock_destroy (&self->monitor);
    zsock_destroy (&self->dealer);
    self->connected = false;
}

static int
s_connect (sender_t *self)
{
    const char *endpoint = self->opts.endpoints[self->endpoint];
    self->dealer = zsock_new (ZMQ_DEALER);
    if (!self->dealer) {
        log_error ("sender", "could not create socket", "err=\"%s\"", zmq_strerror (zmq_errno ()));
        return -1;
    }
    /* Unanswered batches live in memory and in the spool, never only in the socket: on
       close, whatever is queued there is worth nothing, and waiting for it would only
       hold up a failover or an exit. */
    zsock_set_linger (self->dealer, 0);
    zsock_set_sndtimeo (self->dealer, 0);
    zsock_set_rcvtimeo (self->dealer, 0);
    /* Not ZMQ_IMMEDIATE: with it, libzmq 4.3.4 aborts the whole agent ("Assertion failed:
       !_more (src/fq.cpp:112)") when the connection drops while we are reading a
       many-frame OUTCOMES, as a collector killed right after answering does (found by
       tests/fault/test_collector_killed.py). Without it the message is read whole. */
    zsock_set_immediate (self->dealer, 0);
    zsock_set_reconnect_ivl (self->dealer, 100);
    /* Capped low: a collector that comes back is found within about a second. */
    zsock_set_reconnect_ivl_max (self->dealer, self->opts.ping_ms);
    zsock_set_connect_timeout (self->dealer, self->opts.dead_ms);
    zsock_set_handshake_ivl (self->dealer, self->opts.dead_ms);
    /* ZMTP heartbeats as well: they keep idle connections open through NAT and let
       libzmq drop a dead TCP connection, which the monitor then reports. */
    zsock_set_heartbeat_ivl (self->dealer, self->opts.ping_ms);
    zsock_set_heartbeat_timeout (self->dealer, self->opts.dead_ms);
    zsock_set_heartbeat_ttl (self->dealer, self->opts.dead_ms);
    zsock_set_maxmsgsize (self->dealer, WIRE_FRAME_MAX);
    if (self->cert) {
        zcert_apply (self->cert, self->dealer);
        zsock_set_curve_serverkey (self->dealer, self->server_key);
    }

    char monitor_ep[96];
    snprintf (monitor_ep,
              sizeof monitor_ep,
              "inproc://parley-sender-%p-%u",
              (void *)self,
              ++self->generation);
    if (zmq_socket_monitor (zsock_resolve (self->dealer),
                            monitor_ep,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                              ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                              ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0) {
        log_error ("sender", "could not monitor socket", "err=\"%s\"", zmq_strerror (zmq_errno ()));
        s_teardown (self);
        return -1;
    }
    self->monitor = zsock_new (ZMQ_PAIR);
    if (!self->monitor || zsock_connect (self->monitor, "%s", monitor_ep) != 0) {
        log_error ("sender", "could not monitor socket", "err=\"%s\"", zmq_strerror (zmq_errno ()));
        s_teardown (self);
        return -1;
    }
    zsock_set_rcvtimeo (self->monitor, 0);
    if (zsock_connect (self->dealer, "%s", endpoint) != 0) {
        /* A malformed endpoint: logged; the failover timer moves on to the next one. */
        log_error ("sender",
                   "could not connect to collector",
                   "endpoint=\"%s\" err=\"%s\"",
                   endpoint,
                   zmq_strerror (zmq_errno ()));
    }
    self->last_heard = zclock_mono ();
    self->last_ping = 0;
    self->want_ping = true;
    return 0;
}

/* Every unanswered batch goes out again on the next connection, timed afresh: its
   earlier timeouts were the dead connection's, not the collector's. */
static void
s_mark_all_unsent (sender_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        self->batches[i]->sent = false;
        self->batches[i]->refused = false;
        backoff_reset (&self->batches[i]->backoff);
    }
}

sender_t *
sender_new (const sender_options_t *opts, const sender_handler_t *handler)
{
    assert (opts->nendpoints > 0 && opts->window > 0 && opts->batch_max > 0);
    sender_t *self = xcalloc (1, sizeof *self);
    self->opts = *opts;
    self->handler = *handler;
    self->batches = xcalloc (opts->window, sizeof *self->batches);
    self->next_seq = 1;
    backoff_init (
      &self->refused_backoff, 1000, opts->refused_max_ms > 1000 ? opts->refused_max_ms : 1000);
    char err[512];
    if (opts->curve_secret || opts->collector_key) {
        if (!opts->curve_secret || !opts->collector_key) {
            log_error ("sender", "CURVE needs both --curve-secret and --collector-key", NULL);
            goto fail;
        }
        self->cert = curve_cert_load_secret (opts->curve_secret, err, sizeof err);
        if (!self->cert) {
            log_error ("sender", "could not load our secret key", "err=\"%s\"", err);
            goto fail;
        }
        if (curve_cert_public_key (opts->collector_key, self->server_key, err, sizeof err) != 0) {
            log_error ("sender", "could not read the collector's key", "err=\"%s\"", err);
            goto fail;
        }
        log_info ("sender",
                  "curve enabled",
                  "public_key=\"%s\" collector_key=\"%s\"",
                  zcert_public_txt (self->cert),
                  self->server_key);
    } else {
        log_warn ("sender",
                  "no --collector-key: sending in plaintext (a collector that requires CURVE "
                  "will not answer)",
                  NULL);
    }
    if (s_connect (self) != 0)
        goto fail;
    return self;
fail:
    zcert_destroy (&self->cert);
    free (self->batches);
    free (self);
    return NULL;
}

void
sender_destroy (sender_t **self_p)
{
    if (!*self_p)
        return;
    sender_t *self = *self_p;
    s_teardown (self);
    zcert_destroy (&self->cert);
    s_batch_destroy (&self->open);
    for (size_t i = 0; i < self->count; i++)
        s_batch_destroy (&self->batches[i]);
    free (self->batches);
    free (self);
    *self_p = NULL;
}

bool
sender_has_room (sender_t *self)
{
    return self->open || self->count < self->opts.window;
}

size_t
sender_in_flight (sender_t *self)
{
    return self->count + (self->open ? 1 : 0);
}

const char *
sender_endpoint (sender_t *self)
{
    return self->opts.endpoints[self->endpoint];
}

const sender_stats_t *
sender_stats (sender_t *self)
{
    return &self->stats;
}

/* Puts batch b on the wire if the socket takes it now; otherwise it waits for POLLOUT. */
static void
s_send_batch (sender_t *self, s_batch_t *b, int64_t now)
{
    /* Only on a connection known to be up: just after a disconnect, libzmq may still
       take a message into the dying pipe and lose it there. */
    if (!self->connected || s_send (zsock_resolve (self->dealer), b->msg) != 0)
        return;
    b->sent = true;
    b->deadline = now + backoff_next (&b->backoff);
    self->stats.sends++;
    log_debug ("sender",
               "batch sent",
               "seq=%" PRIu64 " events=%zu bytes=%zu endpoint=\"%s\"",
               b->seq,
               b->count,
               b->bytes,
               sender_endpoint (self));
}

static void s_send_waiting (sender_t *self, int64_t now);

static void
s_close_open (sender_t *self)
{
    s_batch_t *b = self->open;
    if (!b)
        return;
    self->open = NULL;
    assert (self->count < self->opts.window);
    self->batches[self->count++] = b;
    self->stats.batches++;
    /* Straight out, by the same rule as every send: not ahead of an older batch that
       still has to go. */
    s_send_waiting (self, zclock_mono ());
}

void
sender_add (sender_t *self, const sender_event_t *event)
{
    assert (sender_has_room (self));
    if (!self->open) {
        s_batch_t *b = xcalloc (1, sizeof *b);
        b->seq = self->next_seq++;
        b->msg = wire_batch_new (b->seq);
        b->meta = xmalloc (self->opts.batch_max * sizeof *b->meta);
        backoff_init (&b->backoff, self->opts.resend_ms, self->opts.resend_max_ms);
        /* An ERROR (e.g. "database unavailable, resend later") is an answer: the collector
           is alive and wants the batch later. The first resend comes after 1 to 2 s, then
           the ceiling doubles up to resend_ms (but at least 2 s). */
        backoff_init (&b->refused_backoff,
                      S_REFUSED_FIRST_MS,
                      self->opts.resend_ms > S_REFUSED_FIRST_MS ? self->opts.resend_ms
                                                                : S_REFUSED_FIRST_MS);
        self->open = b;
    }
    s_batch_t *b = self->open;
    wire_batch_add (b->msg, event->data, event->len);
    b->meta[b->count++] = (s_meta_t){ event->id, event->line, xstrdup (event->source) };
    b->bytes += event->len;
    if (b->count >= self->opts.batch_max || b->bytes >= self->opts.batch_bytes)
        s_close_open (self);
}

void
sender_flush (sender_t *self)
{
    s_close_open (self);
}

static s_batch_t *
s_find (sender_t *self, uint64_t seq, size_t *index)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->batches[i]->seq == seq) {
            *index = i;
            return self->batches[i];
        }
    return NULL;
}

static void
s_remove (sender_t *self, size_t index)
{
    s_batch_destroy (&self->batches[index]);
    memmove (&self->batches[index],
             &self->batches[index + 1],
             (self->count - index - 1) * sizeof *self->batches);
    self->count--;
}

/* A batch the collector could not take (ERROR, or outcomes that do not fit it): it goes
   out again after the next backoff step, never dropped. A batch over the collector's rate
   limit waits the first step only (1 to 2 s), however often it was refused: the collector
   is healthy and takes it as soon as this agent's bucket has refilled. So does a batch
   refused only because an earlier one was: it cannot go before that one anyway
   (s_send_waiting), which carries the real pause. */
static void
s_retry_later (sender_t *self, s_batch_t *b, bool rate_limited)
{
    if (rate_limited)
        backoff_reset (&b->refused_backoff);
    int64_t wait = backoff_next (&b->refused_backoff);
    b->deadline = zclock_mono () + wait;
    b->sent = true;
    b->refused = true;
    log_debug (
      "sender", "batch will be sent again", "seq=%" PRIu64 " retry_ms=%" PRId64, b->seq, wait);
}

static void
s_handle_outcomes (sender_t *self, zmsg_t *msg, const wire_header_t *hdr)
{
    size_t index;
    s_batch_t *b = s_find (self, hdr->seq, &index);
    if (!b) {
        /* The answer to an earlier send of a batch already answered. */
        log_debug ("sender", "outcomes for no batch in flight, ignored", "seq=%" PRIu64, hdr->seq);
        return;
    }
    /* Check every outcome before acting on any: a batch is answered whole or not at all. */
    wire_outcome_t outcome;
    bool ok = hdr->body_count == b->count;
    for (zframe_t *f = zmsg_next (msg); ok && f; f = zmsg_next (msg))
        ok = wire_outcome_parse (f, &outcome) == 0;
    if (!ok) {
        log_error ("sender",
                   "collector sent outcomes that do not match the batch, will resend",
                   "seq=%" PRIu64 " events=%zu outcomes=%zu endpoint=\"%s\"",
                   b->seq,
                   b->count,
                   hdr->body_count,
                   sender_endpoint (self));
        s_retry_later (self, b, false);
        return;
    }
    /* Both messages start with version, command and seq; the events and outcomes follow. */
    zframe_t *ev = zmsg_first (b->msg), *f = zmsg_first (msg);
    for (size_t skip = 0; skip < 3; skip++) {
        ev = zmsg_next (b->msg);
        f = zmsg_next (msg);
    }
    uint64_t first = UINT64_MAX, last = 0;
    for (size_t i = 0; i < b->count; i++, f = zmsg_next (msg), ev = zmsg_next (b->msg)) {
        if (wire_outcome_parse (f, &outcome) != 0)
            assert (false); /* checked above */
        sender_event_t event = {
            b->meta[i].id, b->meta[i].source, b->meta[i].line, zframe_data (ev), zframe_size (ev)
        };
        if (self->handler.outcome)
            self->handler.outcome (self->handler.arg, &event, &outcome);
        if (b->meta[i].id < first)
            first = b->meta[i].id;
        if (b->meta[i].id > last)
            last = b->meta[i].id;
    }
    log_debug ("sender", "batch answered", "seq=%" PRIu64 " events=%zu", b->seq, b->count);
    if (self->handler.done)
        self->handler.done (self->handler.arg, first, last, b->count);
    self->stats.answered++;
    self->stats.last_outcomes_ms = zclock_mono ();
    s_remove (self, index);
}

static void
s_handle_message (sender_t *self, zmsg_t *msg)
{
    wire_header_t hdr;
    char err[256];
    if (wire_decode (msg, &hdr, err, sizeof err) != 0) {
        log_warn ("sender",
                  "could not decode a message from the collector, ignored",
                  "endpoint=\"%s\" err=\"%s\"",
                  sender_endpoint (self),
                  err);
        return;
    }
    switch (hdr.kind) {
        case WIRE_OUTCOMES:
            s_handle_outcomes (self, msg, &hdr);
            break;
        case WIRE_PONG:
            break;
        case WIRE_PING: {
            /* The protocol has the agent ask; answering a collector that asks costs nothing. */
            zmsg_t *pong = wire_pong_new (hdr.token);
            if (s_send (zsock_resolve (self->dealer), pong) != 0) {
                /* not connected: nothing to answer on */
            }
            zmsg_destroy (&pong);
            break;
        }
        case WIRE_ERROR: {
            self->stats.errors++;
            size_t index;
            s_batch_t *b = hdr.has_seq ? s_find (self, hdr.seq, &index) : NULL;
            bool limited = strcmp (hdr.reason, RATE_LIMIT_REASON) == 0 ||
                           strcmp (hdr.reason, WIRE_SERVER_OUT_OF_ORDER) == 0;
            if (b && limited) {
                /* Expected under a limit, batch after batch (and for the batches behind a
                   refused one): not worth a warning each. Any other reason is warned. */
                log_debug ("sender",
                           "collector refused a batch for now, will resend",
                           "seq=%" PRIu64 " reason=\"%s\" endpoint=\"%s\"",
                           hdr.seq,
                           hdr.reason,
                           sender_endpoint (self));
                s_retry_later (self, b, true);
            } else if (b) {
                log_warn ("sender",
                          "collector refused a batch, will resend",
                          "seq=%" PRIu64 " reason=\"%s\" endpoint=\"%s\"",
                          hdr.seq,
                          hdr.reason,
                          sender_endpoint (self));
                s_retry_later (self, b, false);
            } else if (strncmp (hdr.reason, "unsupported protocol version", 28) == 0) {
                /* Not cured by resending: said at error level; the batches wait in the
                   spool and go again on the resend timeout, for a collector upgraded. */
                log_error ("sender",
                           "collector speaks another protocol version, batches kept for later",
                           "reason=\"%s\" endpoint=\"%s\" batches=%zu",
                           hdr.reason,
                           sender_endpoint (self),
                           self->count);
            } else {
                log_warn ("sender",
                          "collector reported an error",
                          "seq=%s reason=\"%s\" endpoint=\"%s\"",
                          hdr.has_seq ? "known" : "none",
                          hdr.reason,
                          sender_endpoint (self));
            }
            break;
        }
        case WIRE_BATCH:
            log_warn ("sender",
                      "collector sent a request, ignored",
                      "endpoint=\"%s\"",
                      sender_endpoint (self));
            break;
    }
}

static void
s_receive (sender_t *self)
{
    for (;;) {
        zmsg_t *msg = zmsg_recv (self->dealer);
        if (!msg)
            break;
        self->stats.last_reply_ms = self->last_heard = zclock_mono ();
        if (self->silent_failovers > 0) {
            log_info ("sender", "collector answering", "endpoint=\"%s\"", sender_endpoint (self));
            self->silent_failovers = 0;
        }
        s_handle_message (self, msg);
        zmsg_destroy (&msg);
    }
}

/* Reads the socket's connection events. A dropped connection costs the socket: it is
   rebuilt on the same endpoint, so that nothing queued in the old one after the drop can
   go out on the next connection ahead of the older batches resent there. */
static void
s_monitor (sender_t *self)
{
    bool dropped = false;
    for (;;) {
        zmsg_t *msg = zmsg_recv (self->monitor);
        if (!msg)
            break;
        zframe_t *f = zmsg_first (msg);
        uint16_t event = 0;
        if (f && zframe_size (f) >= 6)
            memcpy (&event, zframe_data (f), sizeof event);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            self->connected = true;
            backoff_reset (&self->refused_backoff);
            self->want_ping = true; /* prove the collector itself, not only its socket, is there */
            log_info ("sender",
                      "connected to collector",
                      "endpoint=\"%s\" batches_waiting=%zu",
                      sender_endpoint (self),
                      self->count);
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
                   (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && self->cert)) {
            /* libzmq does not reconnect after this, and sends would wait forever: the
               socket is rebuilt, after a backoff, like a dropped one. */
            int64_t wait = backoff_next (&self->refused_backoff);
            self->refused_until = zclock_mono () + wait;
            self->stats.key_refusals++;
            log_error ("sender",
                       event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                         ? "collector refused our key"
                         : "curve handshake with collector failed (wrong collector key?)",
                       "endpoint=\"%s\" public_key=\"%s\" retry_ms=%" PRId64,
                       sender_endpoint (self),
                       self->cert ? zcert_public_txt (self->cert) : "",
                       wait);
            self->connected = false;
            s_mark_all_unsent (self);
            dropped = true;
        } else if (event == ZMQ_EVENT_DISCONNECTED && !self->connected) {
            /* Closed before the handshake (a collector at its connection limit closes new
               connections at once): nothing of ours went on it, so the socket is kept and
               libzmq reconnects with its own backoff. Rebuilding it here would make and
               drop sockets as fast as the collector closes them, until we ran out of
               descriptors. */
        } else if (event == ZMQ_EVENT_DISCONNECTED) {
            /* Whatever was on that connection is lost with it (or was answered into it). */
            log_warn ("sender",
                      "connection to collector lost, will resend unanswered batches",
                      "endpoint=\"%s\" batches=%zu",
                      sender_endpoint (self),
                      self->count);
            self->connected = false;
            s_mark_all_unsent (self);
            dropped = true;
        }
        zmsg_destroy (&msg);
        if (dropped)
            break;
    }
    if (!dropped)
        return;
    /* What arrived before the drop is still readable: take those answers first. */
    s_receive (self);
    /* The silence is the collector's, not the socket's: a collector that keeps dropping
       connections is still failed over from after dead_ms. */
    int64_t heard = self->last_heard;
    s_teardown (self);
    s_mark_all_unsent (self);
    if (self->refused_until > zclock_mono ())
        return; /* sender_process makes the socket again once the wait is over */
    if (s_connect (self) == 0)
        self->last_heard = heard;
}

static void
s_send_waiting (sender_t *self, int64_t now)
{
    if (!self->connected)
        return;
    if (self->want_ping) {
        char token[24];
        snprintf (token, sizeof token, "%" PRIu64, ++self->ping_token);
        zmsg_t *ping = wire_ping_new (token);
        if (s_send (zsock_resolve (self->dealer), ping) == 0) {
            self->want_ping = false;
            self->last_ping = now;
        }
        zmsg_destroy (&ping);
    }
    /* Oldest first, and nothing after a batch that waits to be resent after an ERROR: the
       collector commits each agent's batches in their order (docs/PROTOCOL.md, section 8). */
    for (size_t i = 0; i < self->count; i++) {
        s_batch_t *b = self->batches[i];
        if (b->sent && now < b->deadline) {
            if (b->refused)
                break;
            continue;
        }
        if (b->sent) {
            if (b->refused)
                log_debug ("sender",
                           "sending a refused batch again",
                           "seq=%" PRIu64 " endpoint=\"%s\"",
                           b->seq,
                           sender_endpoint (self));
            else
                log_warn ("sender",
                          "no outcomes for batch, resending",
                          "seq=%" PRIu64 " endpoint=\"%s\"",
                          b->seq,
                          sender_endpoint (self));
            b->sent = false;
            b->refused = false;
            self->stats.resends++;
        }
        s_send_batch (self, b, now);
        if (!b->sent)
            break; /* the socket takes no more now */
    }
}

static void
s_failover (sender_t *self, int64_t now)
{
    const char *from = sender_endpoint (self);
    size_t next = (self->endpoint + 1) % self->opts.nendpoints;
    self->silent_failovers++;
    self->stats.failovers++;
    /* Said loudly the first time, then at 1, 2, 4, 8... so an absent collector does not
       fill the log. */
    unsigned n = self->silent_failovers;
    if ((n & (n - 1)) == 0)
        log_warn ("sender",
                  "collector not answering, trying the next endpoint",
                  "endpoint=\"%s\" next=\"%s\" silent_ms=%" PRId64 " batches=%zu attempt=%u",
                  from,
                  self->opts.endpoints[next],
                  now - self->last_heard,
                  self->count,
                  n);
    else
        log_debug ("sender",
                   "collector not answering, trying the next endpoint",
                   "endpoint=\"%s\" next=\"%s\" attempt=%u",
                   from,
                   self->opts.endpoints[next],
                   n);
    s_teardown (self);
    self->endpoint = next;
    s_mark_all_unsent (self);
    if (s_connect (self) != 0) {
        /* Out of sockets or file descriptors: try again at the next timeout. */
        self->last_heard = now;
    }
}

void
sender_process (sender_t *self)
{
    if (!self->dealer) {
        if (self->refused_until > zclock_mono ())
            return;
        self->refused_until = 0;
        if (s_connect (self) != 0)
            return;
    }
    s_monitor (self);
    if (!self->dealer)
        return; /* refused: waiting before the next socket */
    s_receive (self);
    int64_t now = zclock_mono ();
    if (now - self->last_heard >= self->opts.dead_ms) {
        s_failover (self, now);
        if (!self->dealer)
            return;
        now = zclock_mono ();
    }
    if (!self->want_ping && now - self->last_heard >= self->opts.ping_ms &&
        now - self->last_ping >= self->opts.ping_ms)
        self->want_ping = true;
    s_send_waiting (self, now);
}

static bool
s_has_waiting (sender_t *self)
{
    if (!self->connected)
        return false; /* the monitor's HANDSHAKE_SUCCEEDED wakes the poll */
    if (self->want_ping)
        return true;
    for (size_t i = 0; i < self->count; i++) {
        if (!self->batches[i]->sent)
            return true;
        if (self->batches[i]->refused)
            return false; /* the rest waits for it; its deadline wakes the poll */
    }
    return false;
}

int
sender_pollitems (sender_t *self, zmq_pollitem_t *items, int max)
{
    if (!self->dealer || max < 2)
        return 0;
    items[0] = (zmq_pollitem_t){ zsock_resolve (self->dealer),
                                 0,
                                 (short)(ZMQ_POLLIN | (s_has_waiting (self) ? ZMQ_POLLOUT : 0)),
                                 0 };
    items[1] = (zmq_pollitem_t){ zsock_resolve (self->monitor), 0, ZMQ_POLLIN, 0 };
    return 2;
}

int
sender_timeout_ms (sender_t *self)
{
    int64_t now = zclock_mono ();
    if (!self->dealer) {
        int64_t left = self->refused_until - now;
        return left > 0 ? (left < 1000 ? (int)left : 1000) : 100;
    }
    int64_t due = self->last_heard + self->opts.dead_ms;
    if (!self->want_ping) {
        int64_t ping = (self->last_heard > self->last_ping ? self->last_heard : self->last_ping) +
                       self->opts.ping_ms;
        if (ping < due)
            due = ping;
    }
    for (size_t i = 0; i < self->count; i++)
        if (self->batches[i]->sent && self->batches[i]->deadline < due)
            due = self->batches[i]->deadline;
    int64_t wait = due - now;
    if (wait < 0)
        wait = 0;
    if (wait > INT_MAX)
        wait = INT_MAX;
    return (int)wait;
}
