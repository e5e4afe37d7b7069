/* The server half of PARLEY/1 (see wire_server.h). */
#include "wire_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
    /* CURVE (not insecure): */
    bool curve;
    char *keys_dir;
    zactor_t *auth;         /* zauth, started before the bind */
    zhash_t *keys;          /* public key (Z85) -> s_key_t, as loaded from keys_dir */
    zsock_t *monitor;       /* PAIR receiving the ROUTER's connection events */
    zhash_t *peers;         /* routing ids (hex) seen: the first request of each is logged */
    zhash_t *fds;           /* accepted fd (decimal) -> peer address, for the disconnect line */
    int64_t lazy_reload_ms; /* the last reload for a key not in the table */
    size_t max_connections;
    bool at_limit;       /* said once per episode */
    size_t rss_max;      /* the memory guard (wire_server.h) */
    int64_t guard_next;  /* when the memory is looked at next */
    int64_t trim_next;   /* malloc_trim not before this */
    int statm;           /* /proc/self/statm, or -1: no guard */
    int64_t guard_quiet; /* no drop before this (the cooldown) */
    bool *unbound;       /* endpoints[i] could not be bound again yet */
};

/* An authorised key: its scope's metadata, and the file it came from (for logs). */
typedef struct {
    char *associations;
    char *regions;
    char *file;
} s_key_t;

static void
s_key_free (void *data)
{
    s_key_t *k = data;
    free (k->associations);
    free (k->regions);
    free (k->file);
    free (k);
}

static char *
s_dup_or_null (const char *text)
{
    return text ? xstrdup (text) : NULL;
}

/* The public certs of dir: key -> s_key_t. NULL when the folder cannot be read. */
static zhash_t *
s_load_keys (const char *comp, const char *dir)
{
    DIR *d = opendir (dir);
    if (!d) {
        log_error (comp,
                   "could not read the authorised keys",
                   "dir=\"%s\" err=\"%s\"",
                   dir,
                   strerror (errno));
        return NULL;
    }
    zhash_t *keys = zhash_new ();
    struct dirent *e;
    while ((e = readdir (d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        if (snprintf (path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        zcert_t *cert = zcert_load (path);
        if (!cert) {
            log_warn (comp, "not a certificate, ignored", "file=\"%s\"", path);
            continue;
        }
        s_key_t *k = xcalloc (1, sizeof *k);
        k->associations = s_dup_or_null (zcert_meta (cert, CURVE_CERT_META_ASSOCIATIONS));
        k->regions = s_dup_or_null (zcert_meta (cert, CURVE_CERT_META_REGIONS));
        k->file = xstrdup (e->d_name);
        if (zhash_insert (keys, zcert_public_txt (cert), k) == 0)
            zhash_freefn (keys, zcert_public_txt (cert), s_key_free);
        else
            s_key_free (k); /* the same key twice (e.g. NAME.cert and NAME.cert_secret) */
        zcert_destroy (&cert);
    }
    closedir (d);
    return keys;
}

bool
wire_server_endpoint_is_local (const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) == 0)
        return true;
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return false;
    const char *host = endpoint + 6;
    size_t n = strlen (host);
    const char *colon = strrchr (host, ':');
    if (colon)
        n = (size_t)(colon - host);
    if (n == 9 && strncmp (host, "localhost", 9) == 0)
        return true;
    if (n == 5 && strncmp (host, "[::1]", 5) == 0)
        return true;
    return n >= 4 && strncmp (host, "127.", 4) == 0;
}

/* Starts zauth on dir and loads the key table; 0 or -1 (logged). */
static int
s_curve_start (wire_server_t *self, const wire_server_options_t *opts)
{
    char err[512];
    if (!opts->curve_secret || !opts->authorized_keys) {
        log_error (self->comp, "no CURVE keys given (or run with --insecure)", NULL);
        return -1;
    }
    zcert_t *cert = curve_cert_load_secret (opts->curve_secret, err, sizeof err);
    if (!cert) {
        log_error (self->comp, "could not load the server's secret key", "err=\"%s\"", err);
        return -1;
    }
    self->keys_dir = xstrdup (opts->authorized_keys);
    self->keys = s_load_keys (self->comp, self->keys_dir);
    if (!self->keys) {
        zcert_destroy (&cert);
        return -1;
    }
    /* zauth before the bind: a connection accepted before the handler exists would not
       be checked (and with ZAP enforced would fail). */
    self->auth = zactor_new (zauth, NULL);
    if (!self->auth || zstr_sendx (self->auth, "CURVE", self->keys_dir, NULL) != 0 ||
        zsock_wait (self->auth) != 0) {
        log_error (self->comp, "could not start the ZAP handler", NULL);
        zcert_destroy (&cert);
        return -1;
    }
    zcert_apply (cert, self->router);
    zsock_set_curve_server (self->router, 1);
    zsock_set_zap_domain (self->router, CURVE_CERT_ZAP_DOMAIN);
    /* ZMQ_ZAP_ENFORCE_DOMAIN (a DRAFT option czmq's setter ignores; libzmq takes it). */
    int one = 1;
    if (zmq_setsockopt (zsock_resolve (self->router), 93, &one, sizeof one) != 0) {
        log_error (self->comp, "could not enforce ZAP", "err=\"%s\"", zmq_strerror (zmq_errno ()));
        zcert_destroy (&cert);
        return -1;
    }
    log_info (self->comp,
              "curve enabled",
              "public_key=\"%s\" authorized_keys=\"%s\" keys=%zu",
              zcert_public_txt (cert),
              self->keys_dir,
              zhash_size (self->keys));
    zcert_destroy (&cert);
    self->curve = true;
    return 0;
}

int
wire_server_reload_keys (wire_server_t *self)
{
    if (!self->curve)
        return 0;
    zhash_t *keys = s_load_keys (self->comp, self->keys_dir);
    if (!keys)
        return -1;
    size_t added = 0, removed = 0;
    for (void *k = zhash_first (keys); k; k = zhash_next (keys))
        if (!zhash_lookup (self->keys, zhash_cursor (keys)))
            added++;
    for (void *k = zhash_first (self->keys); k; k = zhash_next (self->keys))
        if (!zhash_lookup (keys, zhash_cursor (self->keys)))
            removed++;
    zhash_destroy (&self->keys);
    self->keys = keys;
    /* zauth's store rescans the folder when it changes; told again so that it surely
       holds what the table holds from the next handshake on. */
    if (zstr_sendx (self->auth, "CURVE", self->keys_dir, NULL) != 0 || zsock_wait (self->auth) != 0)
        log_warn (self->comp, "could not reload the ZAP handler", NULL);
    log_info (self->comp,
              "authorised keys reloaded",
              "keys=%zu added=%zu removed=%zu",
              zhash_size (self->keys),
              added,
              removed);
    return 0;
}

/* The peer address of an accepted descriptor, "ADDR:PORT". */
static void
s_fd_peer (int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (getpeername (fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            inet_ntop (AF_INET, &in->sin_addr, host, sizeof host);
            port = ntohs (in->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            inet_ntop (AF_INET6, &in6->sin6_addr, host, sizeof host);
            port = ntohs (in6->sin6_port);
        } else {
            snprintf (host, sizeof host, "local");
        }
    }
    snprintf (out, cap, "%s:%d", host, port);
}

/* The local port of fd, or -1. */
static int
s_local_port (int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname (fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs (((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs (((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

/* A connection beyond max_connections: shut down at once, so that its descriptor is
   released and those of the connected agents (and the database's) never run out; libzmq
   then sees it end. The descriptor is libzmq's and might have been closed and reused
   since the event: it is touched only if it is still a TCP connection to one of our bound
   ports. */
static void
s_close_over_limit (wire_server_t *self, int fd)
{
    int port = s_local_port (fd);
    bool ours = false;
    for (size_t i = 0; i < self->endpoint_count && !ours && port > 0; i++) {
        const char *colon = strrchr (self->endpoints[i], ':');
        ours = colon && strncmp (self->endpoints[i], "tcp://", 6) == 0 && atoi (colon + 1) == port;
    }
    if (!ours)
        return;
    self->stats.over_limit++;
    if (!self->at_limit) {
        self->at_limit = true;
        log_warn (self->comp,
                  "connection limit reached, closing new connections",
                  "max_connections=%zu",
                  self->max_connections);
    }
    if (shutdown (fd, SHUT_RDWR) != 0) {
        /* already gone: nothing to release */
    }
}

/* Logs the connection events waiting on the monitor. */
static void
s_monitor (wire_server_t *self)
{
    if (!self->monitor)
        return;
    for (int n = 0; n < 1024; n++) {
        zmsg_t *msg = zmsg_recv (self->monitor);
        if (!msg)
            return;
        zframe_t *f = zmsg_first (msg);
        uint16_t event = 0;
        uint32_t value = 0;
        if (f && zframe_size (f) >= 6) {
            memcpy (&event, zframe_data (f), sizeof event);
            memcpy (&value, zframe_data (f) + 2, sizeof value);
        }
        char fdkey[16], peer[INET6_ADDRSTRLEN + 8];
        snprintf (fdkey, sizeof fdkey, "%u", value);
        if (event == ZMQ_EVENT_ACCEPTED && self->max_connections &&
            zhash_size (self->fds) >= self->max_connections) {
            s_close_over_limit (self, (int)value);
        } else if (event == ZMQ_EVENT_ACCEPTED) {
            s_fd_peer ((int)value, peer, sizeof peer);
            if (zhash_size (self->fds) < 100000) {
                zhash_update (self->fds, fdkey, xstrdup (peer));
                zhash_freefn (self->fds, fdkey, free);
            }
            log_info (self->comp, "connection accepted", "peer=%s fd=%u", peer, value);
        } else if (event == ZMQ_EVENT_DISCONNECTED) {
            const char *was = zhash_lookup (self->fds, fdkey);
            if (was)
                log_info (self->comp, "connection closed", "peer=%s fd=%u", was, value);
            else
                log_debug (self->comp, "connection closed", "peer=? fd=%u", value);
            zhash_delete (self->fds, fdkey);
            if (self->at_limit && zhash_size (self->fds) < self->max_connections) {
                self->at_limit = false;
                log_info (self->comp,
                          "below the connection limit again, accepting connections",
                          "connections=%zu max_connections=%zu closed_over_limit=%" PRIu64,
                          zhash_size (self->fds),
                          self->max_connections,
                          self->stats.over_limit);
            }
        } else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            log_debug (self->comp, "handshake succeeded", NULL);
        } else if (event & (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)) {
            self->stats.handshakes_failed++;
            log_warn (self->comp,
                      "handshake failed",
                      "reason=%s code=%u",
                      event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH       ? "key not authorised"
                      : event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ? "protocol"
                                                                     : "no detail",
                      value);
        }
        zmsg_destroy (&msg);
    }
}

static int
s_monitor_start (wire_server_t *self)
{
    /* A name of its own: a server made at the address of one just destroyed must not meet
       the old monitor endpoint, which libzmq unbinds asynchronously. */
    static unsigned generation;
    char ep[96];
    snprintf (ep, sizeof ep, "inproc://parley-wire-server-%p-%u", (void *)self, ++generation);
    if (zmq_socket_monitor (zsock_resolve (self->router),
                            ep,
                            ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                              ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                              ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                              ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0)
        return -1;
    self->monitor = zsock_new (ZMQ_PAIR);
    if (!self->monitor || zsock_connect (self->monitor, "%s", ep) != 0)
        return -1;
    zsock_set_rcvtimeo (self->monitor, 0);
    return 0;
}

void
wire_server_batch_destroy (wire_server_batch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wire_server_batch_t *self = *self_p;
    zframe_destroy (&self->peer);
    key_scope_destroy (&self->scope);
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
    self->max_connections = opts->max_connections;
    self->peers = zhash_new ();
    self->fds = zhash_new ();
    if (opts->insecure)
        log_warn (self->comp,
                  "running without CURVE: anyone who reaches the endpoint may send events",
                  NULL);
    else if (s_curve_start (self, opts) != 0) {
        wire_server_destroy (&self, 0);
        return NULL;
    }
    if (s_monitor_start (self) != 0) {
        log_error (
          self->comp, "could not monitor socket", "err=\"%s\"", zmq_strerror (zmq_errno ()));
        wire_server_destroy (&self, 0);
        return NULL;
    }
    /* libzmq checks the size on the wire, where a CURVE frame carries its box's overhead
       (WIRE_SERVER_CURVE_OVERHEAD): a frame of WIRE_FRAME_MAX must still pass. */
    zsock_set_maxmsgsize (self->router,
                          WIRE_FRAME_MAX + (self->curve ? WIRE_SERVER_CURVE_OVERHEAD : 0));
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
    if (self->router && self->monitor)
        zmq_socket_monitor (zsock_resolve (self->router), NULL, 0);
    zsock_destroy (&self->monitor);
    if (self->router) {
        zsock_set_linger (self->router, linger_ms);
        zsock_destroy (&self->router);
    }
    zactor_destroy (&self->auth);
    zhash_destroy (&self->keys);
    zhash_destroy (&self->peers);
    zhash_destroy (&self->fds);
    free (self->keys_dir);
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

void
wire_server_log_connections (wire_server_t *self)
{
    s_monitor (self);
}

void *
wire_server_monitor_socket (wire_server_t *self)
{
    return self->monitor ? zsock_resolve (self->monitor) : NULL;
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
    /* The key comes from a frame that came over the wire (the routing id frame is the
       ROUTER's own); zauth put it there at the handshake. */
    const char *key = "";
    const s_key_t *entry = NULL;
    if (self->curve) {
        key = zframe_meta (zmsg_first (msg), "User-Id");
        entry = key && *key ? zhash_lookup (self->keys, key) : NULL;
        /* zauth's store rescans the folder by itself when it changes, so a key added there
           passes the handshake before any SIGHUP: read the folder again (at most once a
           second) rather than drop what zauth admitted. */
        if (!entry && key && *key && zclock_mono () - self->lazy_reload_ms >= 1000) {
            self->lazy_reload_ms = zclock_mono ();
            if (wire_server_reload_keys (self) == 0)
                entry = zhash_lookup (self->keys, key);
        }
        if (!entry) {
            self->stats.unauthorised++;
            log_warn (self->comp,
                      "message from a key not authorised now, dropped",
                      "peer=%s key=\"%s\"",
                      who,
                      key ? key : "");
            zframe_destroy (&peer);
            zmsg_destroy (&msg);
            return NULL;
        }
    }
    if (zhash_lookup (self->peers, who) == NULL) {
        if (zhash_size (self->peers) >= 10000) {
            zhash_destroy (&self->peers); /* bounded: a peer may be named twice, never lost */
            self->peers = zhash_new ();
        }
        zhash_insert (self->peers, who, (void *)1);
        log_info (self->comp,
                  "peer identified",
                  "peer=%s key=\"%s\" cert=\"%s\"",
                  who,
                  key,
                  entry ? entry->file : "");
    }
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
        snprintf (batch->key, sizeof batch->key, "%s", key);
        if (entry)
            batch->scope = key_scope_new (entry->associations, entry->regions);
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
        log_warn (self->comp,
                  "malformed request answered with ERROR",
                  "peer=%s key=\"%s\" err=\"%s\"",
                  who,
                  key,
                  err);
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
    s_monitor (self);
    for (int budget = WIRE_SERVER_RECV_BUDGET; budget > 0; budget--) {
        zmq_pollitem_t items[2] = { { zsock_resolve (self->router), 0, ZMQ_POLLIN, 0 },
                                    { zsock_resolve (self->monitor), 0, ZMQ_POLLIN, 0 } };
        int rc;
        /* The wait in slices, so that the guard runs while an unfinished message grows; the
           monitor too, so that a connection is logged while its descriptor is open
           (getpeername names the peer). */
        for (;;) {
            wire_server_guard (self);
            int64_t left = deadline - zclock_mono ();
            long slice = left <= 0                     ? 0
                         : left < WIRE_SERVER_GUARD_MS ? (long)left
                                                       : WIRE_SERVER_GUARD_MS;
            rc = zmq_poll (items, 2, slice);
            if (rc != 0 || slice == 0)
                break;
        }
        if (rc <= 0)
            return NULL; /* timed out, or a signal (EINTR): the caller looks at its flags */
        if (items[1].revents & ZMQ_POLLIN)
            s_monitor (self);
        if (!(items[0].revents & ZMQ_POLLIN))
            continue;
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
