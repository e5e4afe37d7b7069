/* The server half of PARLEY/1 (see wire_server.h). */
#include "wire_server.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "wire_order.h"

struct wire_server {
    zsock_t *router;
    char **endpoints; /* as bound, ports resolved */
    size_t endpoint_count;
    const char *comp;
    wire_order_t *order; /* each peer's batches taken in its order after a refusal */
    wire_server_stats_t stats;
    size_t rss_max;      /* the memory guard (wire_server.h) */
    int64_t guard_next;  /* when the memory is looked at next */
    int64_t trim_next;   /* malloc_trim not before this */
    int statm;           /* /proc/self/statm, or -1: no guard */
    int64_t guard_quiet; /* no drop before this (the cooldown) */
    bool *unbound;       /* endpoints[i] could not be bound again yet */
};

void
wire_server_batch_destroy (wire_server_batch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wire_server_batch_t *self = *self_p;
    zframe_destroy (&self->peer);
    zmsg_destroy (&self->msg);
    free (self->events);
    free (self);
    *self_p = NULL;
}

wire_server_t *
wire_server_new (const wire_server_options_t *opts)
{
    wire_server_t *self = xcalloc (1, sizeof *self);
    self->comp = opts->comp ? opts->comp : "wire_server";
    self->router = zsock_new (ZMQ_ROUTER);
    if (!self->router) {
        log_error (
          self->comp, "could not create socket", "err=\"%s\"", zmq_strerror (zmq_errno ()));
        free (self);
        return NULL;
    }
    self->order = wire_order_new ();
    self->rss_max = opts->rss_max ? opts->rss_max : WIRE_SERVER_RSS_MAX_DEF;
    self->statm = open ("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (self->statm < 0)
        log_warn (self->comp,
                  "could not open /proc/self/statm, no memory guard",
                  "err=\"%s\"",
                  strerror (errno));
    zsock_set_maxmsgsize (self->router, WIRE_FRAME_MAX);
    zsock_set_router_mandatory (self->router, 1);
    zsock_set_rcvhwm (self->router, WIRE_SERVER_RCVHWM);
    zsock_set_sndhwm (self->router, WIRE_SERVER_SNDHWM);
    /* Replies are sent with ZMQ_DONTWAIT (s_send); SNDTIMEO 0 as well, in case. */
    zsock_set_sndtimeo (self->router, 0);
    /* No ZMTP heartbeats of our own: in libzmq 4.3.4 the heartbeat timer writes to a
       connection whose input was stopped (RCVHWM reached) and has failed meanwhile, and
       aborts the process (`!_io_error`, stream_engine_base.cpp:331): a client that floods
       and disconnects could end the server. A dead agent's pipe is closed by the TTL its
       own heartbeats carry, or by TCP keepalive; PING/PONG is the protocol's own check. */
    zsock_set_heartbeat_ivl (self->router, 0);
    zsock_set_tcp_keepalive (self->router, 1);
    zsock_set_tcp_keepalive_idle (self->router, WIRE_SERVER_KEEPALIVE_IDLE_S);
    zsock_set_tcp_keepalive_intvl (self->router, WIRE_SERVER_KEEPALIVE_INTVL_S);
    zsock_set_tcp_keepalive_cnt (self->router, WIRE_SERVER_KEEPALIVE_CNT);
    zsock_set_linger (self->router, 0);
    self->endpoints = xcalloc (opts->count ? opts->count : 1, sizeof *self->endpoints);
    self->unbound = xcalloc (opts->count ? opts->count : 1, sizeof *self->unbound);
    for (size_t i = 0; i < opts->count; i++) {
        if (zsock_bind (self->router, "%s", opts->endpoints[i]) < 0) {
            log_error (self->comp,
                       "could not bind",
                       "endpoint=%s err=\"%s\"",
                       opts->endpoints[i],
                       zmq_strerror (zmq_errno ()));
            wire_server_destroy (&self, 0);
            return NULL;
        }
        const char *bound = zsock_endpoint (self->router);
        self->endpoints[i] = xstrdup (bound ? bound : opts->endpoints[i]);
        self->endpoint_count++;
        log_info (self->comp, "listening", "endpoint=%s", self->endpoints[i]);
    }
    return self;
}

void
wire_server_destroy (wire_server_t **self_p, int linger_ms)
{
    if (!self_p || !*self_p)
        return;
    wire_server_t *self = *self_p;
    if (self->router) {
        zsock_set_linger (self->router, linger_ms);
        zsock_destroy (&self->router);
    }
    for (size_t i = 0; i < self->endpoint_count; i++)
        free (self->endpoints[i]);
    free (self->endpoints);
    free (self->unbound);
    if (self->statm >= 0)
        close (self->statm);
    wire_order_destroy (&self->order);
    free (self);
    *self_p = NULL;
}

const char *
wire_server_endpoint (wire_server_t *self, size_t index)
{
    return index < self->endpoint_count ? self->endpoints[index] : NULL;
}

void *
wire_server_socket (wire_server_t *self)
{
    return zsock_resolve (self->router);
}

const wire_server_stats_t *
wire_server_stats (wire_server_t *self)
{
    return &self->stats;
}

/* "ADDRESS/ROUTINGID": the peer's address as libzmq saw the connection ("local" on ipc://)
   and its routing id in hex, which tells two connections from one address apart. The
   address is a property of a frame that came over the wire (body): the routing id frame,
   made by the ROUTER itself, carries none. */
static void
s_peer_name (zframe_t *peer, zframe_t *body, char *out, size_t cap)
{
    const char *addr = body ? zframe_meta (body, "Peer-Address") : NULL;
    int o = snprintf (out, cap, "%s/", addr && *addr ? addr : "local");
    if (o < 0 || (size_t)o >= cap) {
        out[cap - 1] = '\0';
        return;
    }
    const unsigned char *p = zframe_data (peer);
    size_t n = zframe_size (peer);
    for (size_t i = 0; i < n && i < 32 && (size_t)o + 3 <= cap; i++)
        o += snprintf (out + o, cap - (size_t)o, "%02x", p[i]);
}

/* Sends without ever waiting: a peer whose queue is full (SNDHWM: it does not read) loses
   this reply, and one that has gone (ROUTER_MANDATORY: EHOSTUNREACH) too. Either resends
   what is not answered, or pings again; de-duplication absorbs the resends. A blocking
   send here would stall every other peer for as long as the one that does not read. */
static int
s_send (wire_server_t *self, zframe_t *peer, const char *who, zmsg_t **reply_p)
{
    zmsg_t *reply = *reply_p;
    *reply_p = NULL;
    void *sock = zsock_resolve (self->router);
    int rc = zmq_send (sock, zframe_data (peer), zframe_size (peer), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    /* Past the routing id the message is taken whole (the high-water mark counts whole
       messages), so a later frame does not fail for a full queue. */
    size_t left = zmsg_size (reply);
    for (zframe_t *f = zmsg_first (reply); rc >= 0 && f; f = zmsg_next (reply)) {
        left--;
        rc = zmq_send (
          sock, zframe_data (f), zframe_size (f), (left ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT);
    }
    int err = zmq_errno ();
    zmsg_destroy (&reply);
    if (rc >= 0)
        return 0;
    if (err == EAGAIN) {
        self->stats.dropped++;
        log_debug (self->comp, "reply dropped, peer does not read", "peer=%s", who);
    } else {
        self->stats.unroutable++;
        log_debug (
          self->comp, "could not reply, peer gone", "peer=%s err=\"%s\"", who, zmq_strerror (err));
    }
    return -1;
}

int
wire_server_reply (wire_server_t *self, const wire_server_batch_t *batch, zmsg_t **reply_p)
{
    /* Answered, whether or not the answer reaches the client: its events are in. */
    wire_order_answered (self->order, batch->peer, batch->seq, zclock_mono ());
    return s_send (self, batch->peer, batch->peer_name, reply_p);
}

void
wire_server_refuse (wire_server_t *self, wire_server_batch_t **batch_p, const char *reason)
{
    wire_server_batch_t *batch = *batch_p;
    wire_order_refused (self->order, batch->peer, batch->seq, zclock_mono ());
    zmsg_t *reply = wire_error_new (&batch->seq, reason);
    (void)s_send (self, batch->peer, batch->peer_name, &reply);
    self->stats.refused++;
    wire_server_batch_destroy (batch_p);
}

/* The process's resident memory (one read: cheap enough for every look, unlike mallinfo2,
   which walks every free chunk of the heap), or 0 when it cannot be read. */
static size_t
s_resident (wire_server_t *self)
{
    char buf[96];
    ssize_t n = self->statm >= 0 ? pread (self->statm, buf, sizeof buf - 1, 0) : -1;
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    unsigned long long size, resident;
    if (sscanf (buf, "%llu %llu", &size, &resident) != 2)
        return 0;
    return (size_t)resident * (size_t)sysconf (_SC_PAGESIZE);
}

/* Binds again every endpoint that was unbound; libzmq closes the old listener in its I/O
   thread, so the port can still be taken for a moment: tried for up to a second here, and
   again at the next look if it still fails. */
static void
s_rebind (wire_server_t *self)
{
    for (size_t i = 0; i < self->endpoint_count; i++) {
        for (int tries = 0; self->unbound[i] && tries < 100; tries++) {
            if (zsock_bind (self->router, "%s", self->endpoints[i]) >= 0)
                self->unbound[i] = false;
            else
                zclock_sleep (10);
        }
        if (self->unbound[i])
            log_error (self->comp,
                       "could not bind again after dropping every connection",
                       "endpoint=%s err=\"%s\"",
                       self->endpoints[i],
                       zmq_strerror (zmq_errno ()));
    }
}

/* The memory guard (wire_server.h): the one bound on what a message can cost before this
   code sees it, since libzmq holds an unfinished message's frames without limit. Unbinding
   an endpoint ends every connection accepted on it, and their pipes' frames with them. */
void
wire_server_guard (wire_server_t *self)
{
    int64_t now = zclock_mono ();
    if (now < self->guard_next)
        return;
    self->guard_next = now + WIRE_SERVER_GUARD_MS;
    s_rebind (self);
    size_t rss = s_resident (self);
    if (rss <= self->rss_max)
        return;
    /* What glibc keeps of memory already freed (the pipes of the connections dropped last
       time, freed since by libzmq's I/O thread) is no reason to drop anyone: given back
       first. At most once per WIRE_SERVER_TRIM_MS, as it walks the heap. */
    if (now >= self->trim_next) {
        self->trim_next = now + WIRE_SERVER_TRIM_MS;
        (void)malloc_trim (0); /* returns whether it gave anything back: measured below */
        rss = s_resident (self);
        if (rss <= self->rss_max)
            return;
    }
    if (now < self->guard_quiet)
        return;
    self->guard_quiet = now + WIRE_SERVER_GUARD_COOLDOWN_MS;
    self->trim_next = now + WIRE_SERVER_GUARD_MS; /* soon: once libzmq has freed the pipes */
    self->stats.shed++;
    log_warn (self->comp,
              "memory limit reached, dropping every connection",
              "rss=%zu limit=%zu",
              rss,
              self->rss_max);
    for (size_t i = 0; i < self->endpoint_count; i++) {
        if (self->unbound[i])
            continue;
        if (zsock_unbind (self->router, "%s", self->endpoints[i]) == 0)
            self->unbound[i] = true;
        else
            log_error (self->comp,
                       "could not unbind",
                       "endpoint=%s err=\"%s\"",
                       self->endpoints[i],
                       zmq_strerror (zmq_errno ()));
    }
    s_rebind (self);
}

/* Handles one request. Returns the batch it is, or NULL when it was answered here. */
static wire_server_batch_t *
s_handle (wire_server_t *self, zmsg_t *msg)
{
    zframe_t *peer = zmsg_pop (msg);
    if (!peer || zmsg_size (msg) == 0) {
        zframe_destroy (&peer);
        zmsg_destroy (&msg);
        return NULL;
    }
    self->stats.requests++;
    char who[WIRE_SERVER_PEER_MAX];
    s_peer_name (peer, zmsg_first (msg), who, sizeof who);
    wire_header_t hdr;
    char err[256];
    zmsg_t *reply = NULL;
    bool malformed = true;
    if (wire_decode (msg, &hdr, err, sizeof err) != 0) {
        reply = wire_error_new (hdr.has_seq ? &hdr.seq : NULL, err);
    } else if (hdr.kind == WIRE_PING) {
        malformed = false;
        self->stats.pings++;
        reply = wire_pong_new (hdr.token);
    } else if (hdr.kind != WIRE_BATCH) {
        snprintf (err, sizeof err, "unexpected command (expected BATCH or PING)");
        reply = wire_error_new (hdr.has_seq ? &hdr.seq : NULL, err);
    } else {
        wire_server_batch_t *batch = xcalloc (1, sizeof *batch);
        batch->peer = peer;
        memcpy (batch->peer_name, who, sizeof who);
        batch->seq = hdr.seq;
        batch->count = hdr.body_count;
        batch->events = xcalloc (hdr.body_count, sizeof *batch->events);
        for (size_t i = 0; i < hdr.body_count; i++)
            batch->events[i] = zmsg_next (msg);
        batch->msg = msg;
        return batch;
    }
    if (malformed) {
        self->stats.malformed++;
        for (char *c = err; *c; c++)
            if (*c == '"')
                *c = '\''; /* keeps the logfmt value err="…" whole */
        log_warn (
          self->comp, "malformed request answered with ERROR", "peer=%s err=\"%s\"", who, err);
    }
    (void)s_send (self, peer, who, &reply);
    zframe_destroy (&peer);
    zmsg_destroy (&msg);
    return NULL;
}

wire_server_batch_t *
wire_server_recv (wire_server_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono () + (timeout_ms > 0 ? timeout_ms : 0);
    /* Requests answered here cost no wait, so a flood of them would keep the caller here
       for as long as it lasts: after the budget the caller gets to its own work. */
    for (int budget = WIRE_SERVER_RECV_BUDGET; budget > 0; budget--) {
        zmq_pollitem_t item = { zsock_resolve (self->router), 0, ZMQ_POLLIN, 0 };
        int rc;
        /* The wait in slices, so that the guard runs while an unfinished message grows. */
        for (;;) {
            wire_server_guard (self);
            int64_t left = deadline - zclock_mono ();
            long slice = left <= 0                     ? 0
                         : left < WIRE_SERVER_GUARD_MS ? (long)left
                                                       : WIRE_SERVER_GUARD_MS;
            rc = zmq_poll (&item, 1, slice);
            if (rc != 0 || slice == 0)
                break;
        }
        if (rc <= 0)
            return NULL; /* timed out, or a signal (EINTR): the caller looks at its flags */
        zmsg_t *msg = zmsg_recv (self->router);
        if (!msg)
            return NULL;
        wire_server_batch_t *batch = s_handle (self, msg);
        if (!batch)
            continue;
        /* Taken now, it would overtake its peer's refused batch (wire_order.h). */
        if (!wire_order_admit (self->order, batch->peer, batch->seq, zclock_mono ())) {
            wire_server_refuse (self, &batch, WIRE_SERVER_OUT_OF_ORDER);
            continue;
        }
        return batch;
    }
    return NULL;
}
