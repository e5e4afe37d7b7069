/* Keeps each client's batches taken in the order the client numbered them, across
   refusals: committed in that order by the collector, spooled in that order by a hub.
   Without it, a batch refused for now ("database unavailable, resend later", "hub spool
   full, resend later") could be overtaken by the same client's later batches, and when
   two of its lines share an event_id with different content (a conflict: the first
   stays), the second would win.

   The rule (docs/PROTOCOL.md, section 8): once a peer's batch seq N has been refused, that
   peer's batches with a higher seq are refused too until N (or a lower seq) is taken again.
   Peers are told apart by their ROUTER routing id, so a new connection starts clean: the
   agent resends everything unanswered on it, oldest first. wire_server applies the rule to
   every batch it hands out; this module is the bookkeeping.

   A refusal of a batch already answered (a copy the client sent again, its resend timeout
   having passed before the answer came) holds nothing: the batch's events are in, and the
   client, done with it, ignores the ERROR and will never send that number again, so a
   hold on it would stall the client for WIRE_ORDER_HOLD_MAX_MS. The last
   WIRE_ORDER_ANSWERED_MAX answered numbers of each peer are kept for that. */
#ifndef PARLEY_WIRE_ORDER_H
#define PARLEY_WIRE_ORDER_H
#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

/* An entry no batch has touched for this long is forgotten: its connection is long gone. */
#define WIRE_ORDER_FORGET_MS (10 * 60 * 1000)
/* A client that does not send the refused batch again within this long (one that resends
   under new numbers, against docs/PROTOCOL.md) is released, with a warning, rather than
   refused for ever. Parley's agent resends a refused batch within --resend-timeout. */
#define WIRE_ORDER_HOLD_MAX_MS (60 * 1000)
/* Answered batch numbers remembered per peer: more than any client's window. */
#define WIRE_ORDER_ANSWERED_MAX 128

typedef struct wire_order wire_order_t;

wire_order_t *wire_order_new (void);
void wire_order_destroy (wire_order_t **self_p);

/* The peer's batch seq was refused: its later batches must wait for it, unless seq was
   answered already. */
void wire_order_refused (wire_order_t *self, zframe_t *peer, uint64_t seq, int64_t now_ms);

/* The peer's batch seq was answered with its OUTCOMES (taken whole). A hold on seq itself
   is lifted (it came from refusing a copy of it). */
void wire_order_answered (wire_order_t *self, zframe_t *peer, uint64_t seq, int64_t now_ms);

/* May the peer's batch seq be taken now? false while an earlier batch of that peer has
   been refused and not taken since (for at most WIRE_ORDER_HOLD_MAX_MS). Taking seq at or
   below the refused one lifts the hold (if that batch is refused again, wire_order_refused
   sets it again), unless seq was answered before: a late copy of an answered batch is
   taken without lifting it. */
bool wire_order_admit (wire_order_t *self, zframe_t *peer, uint64_t seq, int64_t now_ms);

/* Peers on hold (for logs and tests). */
size_t wire_order_held (wire_order_t *self);

#endif
