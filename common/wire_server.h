/* The collector's ROUTER socket: binds, enforces the frame size limit, answers PING and
   malformed requests itself, and hands BATCH requests to the caller, who replies with
   receiver_reply once the batch is committed.

   Socket options: ZMQ_MAXMSGSIZE = WIRE_FRAME_MAX (a larger frame disconnects that peer
   only), ROUTER_MANDATORY (a reply to a peer that has gone fails loudly instead of being
   dropped in silence), ZMTP heartbeats (a dead agent's pipe is closed within seconds),
   RCVHWM of RECEIVER_RCVHWM messages per agent: while the collector does not read (it
   already holds --max-events for its next transaction), ZeroMQ queues at most that much
   per agent and then stops reading that agent's TCP connection, so backpressure reaches
   the agents instead of memory growing here. */
#ifndef PARLEY_RECEIVER_H
#define PARLEY_RECEIVER_H
#include <czmq.h>
#include <stdint.h>
#include "parley.h"
#include "wire.h"

#define RECEIVER_RCVHWM          64
#define RECEIVER_SNDHWM          1000
#define RECEIVER_HEARTBEAT_MS    2000
#define RECEIVER_HEARTBEAT_TIMEOUT_MS 6000

/* A BATCH request as received. The caller owns it (receiver_batch_destroy). */
typedef struct {
    zframe_t *peer;     /* the agent's routing id */
    zmsg_t *msg;        /* the whole request; the event frames point into it */
    uint64_t seq;
    size_t count;       /* number of events */
    zframe_t **events;  /* count frames, borrowed from msg */
} receiver_batch_t;

void receiver_batch_destroy (receiver_batch_t **self_p);

typedef struct receiver receiver_t;

/* A ROUTER bound to every endpoint (e.g. "tcp://127.0.0.1:5570", "tcp://0.0.0.0:5570",
   "ipc:///run/parley/collector.sock"; a tcp port "*" picks a free one). Logs each bound
   endpoint ("listening"). Returns NULL, with the failing endpoint logged, if any bind
   fails. Caller owns the result. */
receiver_t *receiver_new (const char *const *endpoints, size_t count);
/* Closes the socket, giving queued replies up to linger_ms to leave. */
void receiver_destroy (receiver_t **self_p, int linger_ms);

/* The endpoint actually bound for endpoints[index] (with the port resolved). Borrowed. */
const char *receiver_endpoint (receiver_t *self, size_t index);

/* Waits up to timeout_ms (0: do not wait) for the next BATCH. PING is answered with PONG
   and a malformed request with ERROR, to that peer only, without returning. Returns the
   batch, or NULL when none came in time or a signal interrupted the wait. */
receiver_batch_t *receiver_recv (receiver_t *self, int timeout_ms);

/* The ROUTER's libzmq handle, for a caller that polls it together with other things
   (then receiver_recv with timeout 0 reads what came). Borrowed. */
void *receiver_socket (receiver_t *self);

/* Sends reply (OUTCOMES or ERROR, without the routing id) to the batch's peer; takes the
   reply. Returns 0, or -1 when the peer cannot be reached (it disconnected: it will
   resend, and de-duplication absorbs that) — logged at debug, nothing else to do. */
int receiver_reply (receiver_t *self, const receiver_batch_t *batch, zmsg_t **reply_p);

typedef struct {
    uint64_t requests;   /* every request read */
    uint64_t pings;
    uint64_t malformed;  /* answered with ERROR */
    uint64_t unroutable; /* replies to peers that had gone */
} receiver_stats_t;

const receiver_stats_t *receiver_stats (receiver_t *self);

#endif
