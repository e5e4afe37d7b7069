/* A regional hub's relay (parley-agent --relay-bind): association agents deliver to the
   hub exactly as to the collector, and the hub forwards what it took with its own sender,
   from its own spool, to the collector or to the next hub (docs/PROTOCOL.md, section 11).

   Each event is also checked against the scope of the key that sent it (key_scope.h): an
   event for an association the key may not report for is answered "rejected" with the
   reason "not authorised for association X" and never spooled.

   The agents' side is the server half of PARLEY/1 that the collector uses too
   (common/wire_server.h): the same socket options, PING/PONG, ERROR for a malformed
   request, the order after a refusal. Each event of a batch goes through the intake
   (intake_offer: the v1 rules of event_parse, then the spool), with the source
   "relay:ADDRESS/ROUTINGID" naming the agent it came from and as line its place in the
   batch, so that an event refused further up (a conflict found at the collector) lands in
   the hub's rejected.jsonl naming that agent.

   A batch's OUTCOMES are sent only once every event of it taken into the spool is durable
   (intake_durable_id at or past the batch's last record; intake_want_sync asks for the
   fsync at once): "accepted" for an event the hub now holds and will deliver, "rejected"
   TAB field TAB reason for one that breaks a v1 rule. A batch the spool cannot take whole
   (at --spool-max, or a failing disk) is answered ERROR RELAY_FULL or RELAY_UNAVAILABLE
   and nothing of it is acknowledged. The spool has no room check for a whole batch, so the
   events offered before the one that found it full stay in the spool: they are forwarded,
   and when the agent resends the batch they go again, which the collector answers as
   duplicates (harmless; counted as relay_stats ()->orphaned).

   The relay joins the agent's loop as a producer (agent.h): it polls its socket, answers
   what has become durable, and on the way out (finish, after the last sync) answers every
   batch that is durable by then. Batches waiting for their fsync are bounded
   (RELAY_PENDING_MAX events): beyond that the socket is not read, and ZeroMQ's per-agent
   high-water mark pushes back on the agents. */
#ifndef PARLEY_RELAY_H
#define PARLEY_RELAY_H
#include "agent.h"
#include "intake.h"
#include "parley.h"
#include "wire_server.h"
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* ERROR reasons (docs/PROTOCOL.md, section 11): fixed texts a client may match on. */
#define RELAY_FULL "hub spool full, resend later"
#define RELAY_UNAVAILABLE "hub spool unavailable, resend later"
/* Events of answered-to-be batches held in memory until their records are durable. */
#define RELAY_PENDING_MAX 50000

typedef struct relay relay_t;

typedef struct {
    uint64_t batches;  /* batches answered with OUTCOMES */
    uint64_t accepted; /* events taken into the spool and acknowledged */
    uint64_t rejected; /* events answered "rejected" (a v1 rule) */
    uint64_t refused;  /* batches answered ERROR (full or unavailable spool) */
    uint64_t orphaned; /* events appended from batches then refused: duplicates later */
} relay_stats_t;

/* Binds the endpoints of opts (e.g. "tcp://0.0.0.0:5571"; its CURVE fields as for the
   collector: --relay-curve-secret, --relay-authorized-keys, or --insecure; opts->comp is set
   here) and offers what comes to intake (borrowed: it must outlive the relay). Returns NULL
   when a bind fails or the keys cannot be read (logged). Caller owns the result. */
relay_t *relay_new (const wire_server_options_t *opts, intake_t *intake);

/* The flag a SIGHUP handler sets: at its next turn the relay clears it and re-reads its
   authorised keys (wire_server_reload_keys). flag must outlive the relay. */
void relay_watch_reload (relay_t *self, volatile sig_atomic_t *flag);
/* Closes the socket, giving replies already queued a second to leave; batches not yet
   answered are dropped (their agents resend them). NULL-safe; sets *self_p to NULL. */
void relay_destroy (relay_t **self_p);

/* The relay as a producer of the agent's loop (agent_add_producer copies it). */
agent_producer_t relay_producer (relay_t *self);

/* The endpoint actually bound for endpoints[index] (port resolved). Borrowed. */
const char *relay_endpoint (relay_t *self, size_t index);
const relay_stats_t *relay_stats (relay_t *self);

#endif
