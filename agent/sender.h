/* Delivery to the collector over one DEALER socket (docs/PROTOCOL.md): events go out in
   numbered batches, at most `window` batches await their OUTCOMES at a time, and each
   batch stays in memory until its outcomes arrive, so it can be sent again: after
   resend_ms without an answer (then with exponential backoff and jitter), after an ERROR
   reply (e.g. "database unavailable, resend later": 1 to 2 s later, the wait doubling up
   to resend_ms; an ERROR is an answer, so it never counts towards a failover), after the
   connection drops, and after a failover. Resending is always safe: the collector
   de-duplicates by event_id. Batches leave oldest first: none overtakes an older one
   waiting to be resent after an ERROR, and a dropped connection costs the socket, so
   nothing queued in it overtakes the resends (the collector then stores a feed's events
   in the feed's order, which decides which of two conflicting events stays).

   CURVE: with a secret cert and the collector's public key, the socket is a CURVE client.
   A collector that does not know our key fails the handshake (the monitor's
   HANDSHAKE_FAILED_AUTH), after which libzmq never reconnects that socket: the sender logs
   "collector refused our key" and rebuilds the socket after a backoff (1 s doubling to
   refused_max_ms), so that a key added on the collector later (SIGHUP) is used within that
   time.

   Liveness: the agent PINGs when it has heard nothing for ping_ms; a collector silent for
   dead_ms is taken for dead, and the socket is rebuilt on the next --connect endpoint
   (round robin), with every unanswered batch sent again there.

   The sender never blocks: sends that cannot go now wait for the socket to be writable.
   It runs inside the caller's poll loop: sender_pollitems, then sender_process. */
#ifndef PARLEY_SENDER_H
#define PARLEY_SENDER_H
#include "parley.h"
#include "wire.h"
#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sender sender_t;

typedef struct {
    const char *const *endpoints; /* collector endpoints, in failover order (borrowed) */
    size_t nendpoints;
    size_t batch_max;   /* events per batch, 1..WIRE_BATCH_MAX; default 1000 */
    size_t batch_bytes; /* a batch closes once its events reach this many bytes; default 4 MiB */
    size_t window;      /* batches awaiting outcomes; default 4 */
    int resend_ms;      /* first resend of an unanswered batch; default 10000 */
    int resend_max_ms;  /* ceiling of the resend backoff; default 60000 */
    int ping_ms;        /* PING after this much silence from the collector; default 1000 */
    int dead_ms;        /* fail over after this much silence; default 3000 */
    /* CURVE (docs/SECURITY.md): both, or neither (plaintext, logged at start). */
    const char *curve_secret;  /* this agent's NAME.cert_secret */
    const char *collector_key; /* the collector's public key: a cert file, or Z85 text */
    int refused_max_ms;        /* ceiling of the wait before trying again after the collector
                                  refused our key; default 30000 (starts at 1 s) */
} sender_options_t;

/* One event as handed to the sender, and as given back with its outcome. */
typedef struct {
    uint64_t id;        /* spool record id */
    const char *source; /* where the line was read, for rejected.jsonl */
    uint64_t line;      /* its line number there */
    const void *data;   /* the event: one JSON line without its newline */
    size_t len;
} sender_event_t;

/* Called from sender_process when a batch's OUTCOMES arrive: outcome once per event in
   the batch's order, then done once with the lowest and highest ids of the batch. The
   handlers must not call the sender. */
typedef struct {
    void (*outcome) (void *arg, const sender_event_t *event, const wire_outcome_t *outcome);
    void (*done) (void *arg, uint64_t first_id, uint64_t last_id, size_t count);
    void *arg;
} sender_handler_t;

typedef struct {
    uint64_t batches;         /* batches made */
    uint64_t sends;           /* BATCH messages put on the wire, resends included */
    uint64_t resends;         /* of which sent again after a timeout or an ERROR */
    uint64_t failovers;       /* sockets rebuilt after the collector fell silent */
    uint64_t errors;          /* ERROR replies received */
    uint64_t answered;        /* batches whose OUTCOMES arrived */
    int64_t last_reply_ms;    /* zclock_mono of the collector's last message (0: none yet) */
    int64_t last_outcomes_ms; /* … of its last OUTCOMES (0: none yet) */
    uint64_t key_refusals;    /* handshakes the collector failed for our key */
} sender_stats_t;

void sender_options_defaults (sender_options_t *opts);

/* Creates the socket and connects it to the first endpoint (the collector need not be
   there yet). Returns NULL if the socket cannot be made or the keys cannot be read
   (logged). */
sender_t *sender_new (const sender_options_t *opts, const sender_handler_t *handler);
/* Closes the socket, dropping unanswered batches (they are still in the caller's spool);
   NULL-safe; sets *self_p to NULL. */
void sender_destroy (sender_t **self_p);

/* Whether sender_add may be called: a batch is open, or the window has room for one. */
bool sender_has_room (sender_t *self);
/* Adds an event (copied) to the open batch, opening one if needed; the batch is sent as
   soon as it is full (batch_max events or batch_bytes). Call only when has_room. */
void sender_add (sender_t *self, const sender_event_t *event);
/* Sends the open batch now, however small. */
void sender_flush (sender_t *self);
/* Batches not yet answered (the open one included). */
size_t sender_in_flight (sender_t *self);

/* Fills up to max poll items with what the sender waits for; returns how many. The
   socket may change after sender_process, so call this before every poll. */
int sender_pollitems (sender_t *self, zmq_pollitem_t *items, int max);
/* Milliseconds until the sender has timed work (PING, resend, failover); never -1. */
int sender_timeout_ms (sender_t *self);
/* Does what is due: receives and handles replies, sends what is waiting, runs timers. */
void sender_process (sender_t *self);

/* The endpoint the socket is connected to now. */
const char *sender_endpoint (sender_t *self);
const sender_stats_t *sender_stats (sender_t *self);

#endif
