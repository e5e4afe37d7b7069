#include "wire_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"

struct receiver {
    zsock_t *router;
    char **endpoints; /* as bound, ports resolved */
    size_t endpoint_count;
    receiver_stats_t stats;
};

void
receiver_batch_destroy (receiver_batch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    receiver_batch_t *self = *self_p;
    zframe_destroy (&self->peer);
    zmsg_destroy (&self->msg);
    free (self->events);
    free (self);
    *self_p = NULL;
}

receiver_t *
receiver_new (const char *const *endpoints, size_t count)
{
    receiver_t *self = xcalloc (1, sizeof *self);
    self->router = zsock_new (ZMQ_ROUTER);
    if (!self->router) {
        log_error ("receiver", "could not create socket", "err=\"%s\"", zmq_strerror (zmq_errno ()));
        free (self);
        return NULL;
    }
    zsock_set_maxmsgsize (self->router, WIRE_FRAME_MAX);
    zsock_set_router_mandatory (self->router, 1);
    zsock_set_rcvhwm (self->router, RECEIVER_RCVHWM);
    zsock_set_sndhwm (self->router, RECEIVER_SNDHWM);
    /* A reply to an agent whose queue is full must not block the collector for long: the
       agent resends what is not acknowledged anyway. */
    zsock_set_sndtimeo (self->router, 1000);
    zsock_set_heartbeat_ivl (self->router, RECEIVER_HEARTBEAT_MS);
    zsock_set_heartbeat_timeout (self->router, RECEIVER_HEARTBEAT_TIMEOUT_MS);
    zsock_set_heartbeat_ttl (self->router, RECEIVER_HEARTBEAT_TIMEOUT_MS);
    zsock_set_linger (self->router, 0);
    self->endpoints = xcalloc (count ? count : 1, sizeof *self->endpoints);
    for (size_t i = 0; i < count; i++) {
        if (zsock_bind (self->router, "%s", endpoints[i]) < 0) {
            log_error ("receiver", "could not bind", "endpoint=%s err=\"%s\"", endpoints[i],
                       zmq_strerror (zmq_errno ()));
            receiver_destroy (&self, 0);
            return NULL;
        }
        const char *bound = zsock_endpoint (self->router);
        self->endpoints[i] = xstrdup (bound ? bound : endpoints[i]);
        self->endpoint_count++;
        log_info ("receiver", "listening", "endpoint=%s", self->endpoints[i]);
    }
    return self;
}

void
receiver_destroy (receiver_t **self_p, int linger_ms)
{
    if (!self_p || !*self_p)
        return;
    receiver_t *self = *self_p;
    if (self->router) {
        zsock_set_linger (self->router, linger_ms);
        zsock_destroy (&self->router);
    }
    for (size_t i = 0; i < self->endpoint_count; i++)
        free (self->endpoints[i]);
    free (self->endpoints);
    free (self);
    *self_p = NULL;
}

const char *
receiver_endpoint (receiver_t *self, size_t index)
{
    return index < self->endpoint_count ? self->endpoints[index] : NULL;
}

void *
receiver_socket (receiver_t *self)
{
    return zsock_resolve (self->router);
}

const receiver_stats_t *
receiver_stats (receiver_t *self)
{
    return &self->stats;
}

/* A short printable form of a routing id for logs. */
static void
s_peer_text (const zframe_t *peer, char *out, size_t cap)
{
    const unsigned char *p = zframe_data ((zframe_t *) peer);
    size_t n = zframe_size ((zframe_t *) peer), o = 0;
    for (size_t i = 0; i < n && o + 3 < cap; i++)
        o += (size_t) snprintf (out + o, cap - o, "%02x", p[i]);
    out[o] = '\0';
}

static int
s_send (receiver_t *self, zframe_t *peer, zmsg_t **reply_p)
{
    zmsg_t *reply = *reply_p;
    *reply_p = NULL;
    zframe_t *dest = zframe_dup (peer);
    zmsg_prepend (reply, &dest);
    if (zmsg_send (&reply, self->router) == 0)
        return 0;
    int err = zmq_errno ();
    zmsg_destroy (&reply);
    self->stats.unroutable++;
    char who[64];
    s_peer_text (peer, who, sizeof who);
    log_debug ("receiver", "could not reply, peer gone", "peer=%s err=\"%s\"", who, zmq_strerror (err));
    return -1;
}

int
receiver_reply (receiver_t *self, const receiver_batch_t *batch, zmsg_t **reply_p)
{
    return s_send (self, batch->peer, reply_p);
}

/* Handles one request. Returns the batch it is, or NULL when it was answered here. */
static receiver_batch_t *
s_handle (receiver_t *self, zmsg_t *msg)
{
    zframe_t *peer = zmsg_pop (msg);
    if (!peer || zmsg_size (msg) == 0) {
        zframe_destroy (&peer);
        zmsg_destroy (&msg);
        return NULL;
    }
    self->stats.requests++;
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
        receiver_batch_t *batch = xcalloc (1, sizeof *batch);
        batch->peer = peer;
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
        char who[64];
        s_peer_text (peer, who, sizeof who);
        log_warn ("receiver", "malformed request answered with ERROR", "peer=%s err=\"%s\"", who, err);
    }
    (void) s_send (self, peer, &reply);
    zframe_destroy (&peer);
    zmsg_destroy (&msg);
    return NULL;
}

receiver_batch_t *
receiver_recv (receiver_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono () + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        int64_t left = deadline - zclock_mono ();
        zmq_pollitem_t item = {zsock_resolve (self->router), 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll (&item, 1, left > 0 ? (long) left : 0);
        if (rc <= 0)
            return NULL; /* timed out, or a signal (EINTR): the caller looks at its flags */
        zmsg_t *msg = zmsg_recv (self->router);
        if (!msg)
            return NULL;
        receiver_batch_t *batch = s_handle (self, msg);
        if (batch)
            return batch;
    }
}
