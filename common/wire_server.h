/* The server half of PARLEY/1 (docs/PROTOCOL.md), written once for every program that
   takes batches from agents: the collector, which commits them to PostgreSQL, and a
   regional hub (parley-agent --relay-bind), which spools them and forwards them upstream.

   A ROUTER socket bound to every endpoint given. PING is answered with PONG and a
   malformed request with ERROR here, to that peer only; a BATCH is handed to the caller,
   who answers it exactly once: wire_server_reply with its OUTCOMES once what they promise
   is done (committed, or durably spooled), or wire_server_refuse with an ERROR (nothing of
   it taken: the agent keeps it and resends it later).

   The order after a refusal (docs/PROTOCOL.md, section 8) is kept here as well: once a
   batch of a peer has been refused, wire_server_recv answers that peer's later batches
   itself with ERROR WIRE_SERVER_OUT_OF_ORDER until the refused one comes again
   (wire_order.h), so a caller only ever sees batches it may take in order.

   Socket options: ZMQ_MAXMSGSIZE = WIRE_FRAME_MAX (a larger frame disconnects that peer
   only), ROUTER_MANDATORY (a reply to a peer that has gone fails loudly instead of being
   dropped in silence), no ZMTP heartbeats of its own (libzmq 4.3.4 can abort on them, see
   wire_server.c; an agent's own heartbeats carry a TTL that closes its pipe within seconds
   of its death, and TCP keepalive catches the rest), SNDHWM of WIRE_SERVER_SNDHWM replies
   per peer, every reply sent with ZMQ_DONTWAIT (a peer that does not read loses replies
   and never stalls the others), RCVHWM of WIRE_SERVER_RCVHWM messages per agent: while the caller
   does not read (the collector already holds --max-events for its next transaction, a hub waits for
   its spool), ZeroMQ queues at most that much per agent and then stops reading that agent's TCP
   connection, so backpressure reaches the agents instead of memory growing here.

   CURVE (docs/SECURITY.md): unless opts.insecure, the socket is a CURVE server with the
   secret cert opts.curve_secret, and czmq's zauth, started before the socket binds, admits
   only the public certs in opts.authorized_keys (ZAP domain CURVE_CERT_ZAP_DOMAIN, with
   ZMQ_ZAP_ENFORCE_DOMAIN set so that a missing handler fails closed): an unknown key fails
   the handshake and nothing from it is read. Each batch carries its sender's key (the
   "User-Id" property of a frame from the wire) and that key's scope (key_scope.h), read
   from the cert's metadata in the folder as loaded at start or at the last
   wire_server_reload_keys. A message from a key no longer in the folder after a reload (a
   connection made before it was removed) is dropped unanswered and logged.

   Connections are logged from the socket's monitor: accepted (with the peer's address),
   handshake failed, disconnected; and the first request of each routing id names its
   address and key.

   What no socket option bounds: libzmq assembles a whole multipart message, however many frames
   it has, before the caller can see it (ZMQ_MAXMSGSIZE counts one frame, RCVHWM whole messages,
   and the frames of an unfinished message are held without limit: 16,000 frames of 64 KiB took
   the collector to 1 GB; 5 million empty frames, 10 MB on the wire, a bare ROUTER to 323 MiB).
   So the memory guard: wire_server_recv looks at the process's resident memory
   (/proc/self/statm) at least every WIRE_SERVER_GUARD_MS while it waits or reads, and when it
   is over rss_max, first gives back to the system what glibc keeps of freed memory
   (malloc_trim, at most once per WIRE_SERVER_TRIM_MS), and if it is still over, unbinds and
   binds again every endpoint, which closes every connection and frees what their pipes held
   (docs/PROTOCOL.md, "Sizes"). Agents reconnect within a second and resend what is
   unanswered (resends are safe: section 6); the caller's batches are kept. At most one such
   drop per WIRE_SERVER_GUARD_COOLDOWN_MS, so a caller that itself holds more than rss_max
   does not lose its agents in a loop. With CURVE no frame is read before the handshake, so
   only the holder of an authorised key can bring the guard into play. */
#ifndef PARLEY_WIRE_SERVER_H
#define PARLEY_WIRE_SERVER_H
#include "key_scope.h"
#include "parley.h"
#include "wire.h"
#include <czmq.h>
#include <stdint.h>
#include "curve_cert.h"

#define WIRE_SERVER_RCVHWM 64
/* What CURVE adds to each frame on the wire (ZMTP 3 MESSAGE command: name 8, nonce 8,
   flags 1, MAC 16), allowed on top of WIRE_FRAME_MAX: the bound stays exactly 64 KiB. */
#define WIRE_SERVER_CURVE_OVERHEAD 33
/* Replies queued per peer before more to it are dropped (a peer that does not read): with
   at most 5000 outcomes a reply, this bounds what one peer's replies hold here. */
#define WIRE_SERVER_SNDHWM 256
/* Requests one wire_server_recv call answers itself (PING, malformed, held back) at most. */
#define WIRE_SERVER_RECV_BUDGET 256
/* TCP keepalive: a connection to a host that went away is dropped after about 30 + 3 * 5 s
   of silence, even from a client that sends no ZMTP heartbeats. */
#define WIRE_SERVER_KEEPALIVE_IDLE_S 30
#define WIRE_SERVER_KEEPALIVE_INTVL_S 5
#define WIRE_SERVER_KEEPALIVE_CNT 3
/* The ERROR reason for a batch of a peer whose earlier batch was refused and has not come
   again (docs/PROTOCOL.md, section 8: a fixed text a client may match on). */
#define WIRE_SERVER_OUT_OF_ORDER "an earlier batch was refused, resend it first"
/* Room for a peer's name: "ADDRESS/ROUTINGID" (the routing id in hex, cut to 32 bytes). */
#define WIRE_SERVER_PEER_MAX 128
/* The memory guard (above): the resident memory over which every connection is dropped, unless
   wire_server_options_t says otherwise; how often it is looked at; the least time between two
   drops; the least time between two malloc_trim calls (each walks the heap). 512 MiB is above what
   the collector holds for itself at its limits (two groups of
   --max-events 10,000 events of 16 KiB: 320 MiB) plus what its agents' queues hold in use. */
#define WIRE_SERVER_RSS_MAX_DEF ((size_t)512 * 1024 * 1024)
#define WIRE_SERVER_GUARD_MS 20
#define WIRE_SERVER_GUARD_COOLDOWN_MS 1000
#define WIRE_SERVER_TRIM_MS 1000

typedef struct {
    const char *const *endpoints; /* e.g. "tcp://0.0.0.0:5570", "ipc:///run/parley/c.sock";
                                     a tcp port "*" picks a free one (borrowed) */
    size_t count;
    const char *comp;            /* the log component of its lines ("receiver", "relay") */
    bool insecure;               /* plaintext, no identity: every batch has key "" and scope NULL */
    const char *curve_secret;    /* the server's NAME.cert_secret (unless insecure) */
    const char *authorized_keys; /* folder of the agents' public certs (unless insecure) */
    size_t max_connections;      /* connections open at once; one beyond is closed at once (the
                                    monitor's ACCEPTED), logged once per episode; 0: no limit */
    size_t rss_max;              /* the memory guard's limit in bytes; 0: WIRE_SERVER_RSS_MAX_DEF */
} wire_server_options_t;

/* Whether an endpoint stays on this host (tcp:// to a loopback address or localhost,
   ipc://), where --insecure is allowed. */
bool wire_server_endpoint_is_local (const char *endpoint);

/* A BATCH request as received. The caller owns it until it answers it (wire_server_reply
   or wire_server_refuse) or destroys it (wire_server_batch_destroy: no answer; the agent
   resends on its timeout). */
typedef struct {
    zframe_t *peer;                       /* the agent's routing id */
    char peer_name[WIRE_SERVER_PEER_MAX]; /* "127.0.0.1/0080000001": for logs and sources */
    char key[CURVE_CERT_KEY_LEN + 1];     /* the sender's public key, Z85; "" if insecure */
    key_scope_t *scope; /* what that key may report for (owned); NULL if insecure */
    zmsg_t *msg;        /* the whole request; the event frames point into it */
    uint64_t seq;
    size_t count;      /* number of events */
    zframe_t **events; /* count frames, borrowed from msg */
} wire_server_batch_t;

void wire_server_batch_destroy (wire_server_batch_t **self_p);

typedef struct wire_server wire_server_t;

/* A ROUTER bound to every endpoint of opts (opts is read during the call only). Logs each
   bound endpoint ("listening"). Returns NULL, with the failing endpoint logged, if any
   bind fails. Caller owns the result. */
wire_server_t *wire_server_new (const wire_server_options_t *opts);
/* Closes the socket, giving queued replies up to linger_ms to leave. NULL-safe. */
void wire_server_destroy (wire_server_t **self_p, int linger_ms);

/* Reads the authorised-keys folder again (SIGHUP): keys added are admitted at their next
   handshake, keys removed lose their next messages (see above); other connections are not
   touched. Returns 0, or -1 when the folder cannot be read (the keys loaded before stay).
   Does nothing and returns 0 when insecure. */
int wire_server_reload_keys (wire_server_t *self) PARLEY_MUST_CHECK;

/* The endpoint actually bound for endpoints[index] (with the port resolved). Borrowed. */
const char *wire_server_endpoint (wire_server_t *self, size_t index);

/* Waits up to timeout_ms (0: do not wait) for the next BATCH the caller may take. PING is
   answered with PONG, a malformed request with ERROR, and a batch held back by an earlier
   refusal of its peer with ERROR WIRE_SERVER_OUT_OF_ORDER, without returning. Returns the
   batch (caller owns it), or NULL when none came in time, a signal cut the wait short, or
   WIRE_SERVER_RECV_BUDGET requests were answered here (a flood of PINGs cannot keep the
   caller from its own work: it calls again). Runs the memory guard (above) before each read
   and at least every WIRE_SERVER_GUARD_MS of the wait. */
wire_server_batch_t *wire_server_recv (wire_server_t *self, int timeout_ms);

/* Runs the memory guard (above) now, at most once per WIRE_SERVER_GUARD_MS: for a caller that
   waits elsewhere (its own poll, a transaction) while no request comes to wake it, since an
   unfinished message never makes the socket readable. wire_server_recv runs it itself. */
void wire_server_guard (wire_server_t *self);

/* The ROUTER's libzmq handle, for a caller that polls it together with other things (then
   wire_server_recv with timeout 0 reads what came). Borrowed. */
void *wire_server_socket (wire_server_t *self);

/* The monitor's socket (connection events), for a caller that polls the ROUTER itself:
   when it is readable, wire_server_log_connections logs what it holds (wire_server_recv
   does so too). Borrowed. */
void *wire_server_monitor_socket (wire_server_t *self);
void wire_server_log_connections (wire_server_t *self);

/* Sends reply (OUTCOMES, without the routing id) to the batch's peer; takes the reply,
   not the batch. Returns 0, or -1 when the peer cannot be reached (it disconnected: it
   will resend, and de-duplication absorbs that): logged at debug, nothing else to do. */
int wire_server_reply (wire_server_t *self, const wire_server_batch_t *batch, zmsg_t **reply_p);

/* Answers the batch with ERROR reason (one line, a fixed text a client may match on, e.g.
   "database unavailable, resend later"), and holds its peer's later batches until it comes
   again. Takes the batch: *batch_p is NULL on return. */
void wire_server_refuse (wire_server_t *self, wire_server_batch_t **batch_p, const char *reason);

typedef struct {
    uint64_t requests; /* every request read */
    uint64_t pings;
    uint64_t malformed;    /* answered with ERROR as unreadable */
    uint64_t refused;      /* batches answered with ERROR: by the caller, or held back */
    uint64_t unroutable;   /* replies to peers that had gone */
    uint64_t dropped;      /* replies to peers whose queue was full (they do not read) */
    uint64_t unauthorised; /* messages from keys removed since their handshake */
    uint64_t handshakes_failed;
    uint64_t over_limit; /* connections closed at once: max_connections were open */
    uint64_t shed;       /* times the memory guard dropped every connection */
} wire_server_stats_t;

const wire_server_stats_t *wire_server_stats (wire_server_t *self);

#endif
