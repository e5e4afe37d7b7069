/* Keeps each agent's batches committed in the order the agent numbered them, across
   refusals. Without it, a batch refused while the database was away ("resend later") could
   be overtaken by the same agent's later batches, and when two of its lines share an
   event_id with different content (a conflict: the first stays), the second would win.

   The rule (docs/PROTOCOL.md, section 8): once a peer's batch seq N has been refused, that
   peer's batches with a higher seq are refused too until N (or a lower seq) is taken again.
   Peers are told apart by their ROUTER routing id, so a new connection starts clean: the
   agent resends everything unanswered on it, oldest first. */
#ifndef PARLEY_ORDER_H
#define PARLEY_ORDER_H
#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

/* An entry no batch has touched for this long is forgotten: its connection is long gone. */
#define ORDER_FORGET_MS (10 * 60 * 1000)
/* A client that does not send the refused batch again within this long (one that resends
   under new numbers, against docs/PROTOCOL.md) is released, with a warning, rather than
   refused for ever. Parley's agent resends a refused batch within --resend-timeout. */
#define ORDER_HOLD_MAX_MS (60 * 1000)

typedef struct order order_t;

order_t *order_new (void);
void order_destroy (order_t **self_p);

/* The peer's batch seq was refused: its later batches must wait for it. */
void order_refused (order_t *self, zframe_t *peer, uint64_t seq, int64_t now_ms);

/* May the peer's batch seq be taken now? false while an earlier batch of that peer has
   been refused and not taken since (for at most ORDER_HOLD_MAX_MS). Taking seq at or
   below the refused one lifts the hold (if that batch is refused again, order_refused
   sets it again). */
bool order_admit (order_t *self, zframe_t *peer, uint64_t seq, int64_t now_ms);

/* Peers on hold (for logs and tests). */
size_t order_held (order_t *self);

#endif
