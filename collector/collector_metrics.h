/* collector_metrics: what the collector counts, and its /metrics, /healthz and /readyz
   endpoint (--metrics-bind; common/metrics_http.h), served from the collector's own loop.

   Every call below is one line at its call site in collector.c. The collector keeps here
   a per-agent last-seen time: the peer of each batch read ("ADDRESS/ROUTINGID" today, the
   CURVE key once agents have keys), at most COLLECTOR_METRICS_PEERS_MAX peers (past that,
   the one seen longest ago is forgotten), exported as seconds since each was last seen;
   an agent counts as connected while its last batch is less than
   COLLECTOR_METRICS_CONNECTED_S old (the PINGs of an idle agent are answered inside
   wire_server and not seen here: an agent with nothing to send for that long is not
   counted). The reject reasons are a fixed set of codes (collector_metrics_reason). */
#ifndef PARLEY_COLLECTOR_METRICS_H
#define PARLEY_COLLECTOR_METRICS_H
#include <stdbool.h>
#include <stdint.h>

#include "collector_options.h" /* COLLECTOR_METRICS_BIND_DEF */
#include "metrics_http.h"
#include "parley.h"
#include "store.h"
#include "wire.h"
#include "wire_server.h"

#define COLLECTOR_METRICS_PEERS_MAX 1000
#define COLLECTOR_METRICS_CONNECTED_S 60

typedef struct collector_metrics collector_metrics_t;

/* The registry, and the endpoint on bind unless metrics_http_is_off (bind). A bind that
   fails is a start failure (NULL, logged) unless it is the default one, which is logged at
   warn and served without (a second collector on one host keeps running). server and store
   (borrowed, may be NULL) are read when /metrics is rendered; ready answers /readyz. */
collector_metrics_t *collector_metrics_new (const char *bind,
                                            metrics_ready_fn *ready,
                                            void *arg,
                                            wire_server_t *server,
                                            store_t *store);
void collector_metrics_destroy (collector_metrics_t **self_p);

/* The endpoint's descriptor (-1: none), its timeout (-1: none) and its work. */
int collector_metrics_fd (collector_metrics_t *self);
int collector_metrics_timeout_ms (collector_metrics_t *self);
void collector_metrics_process (collector_metrics_t *self);

/* Each of these is a no-op when self is NULL (--migrate-only has no metrics). */

/* A batch read from an agent: its events received, its peer seen now. */
void collector_metrics_batch (collector_metrics_t *self, const wire_server_batch_t *batch);
/* A batch answered with OUTCOMES: each outcome counted by verdict (and reason). */
void collector_metrics_outcomes (collector_metrics_t *self,
                                 const wire_server_batch_t *batch,
                                 const store_item_t *items);
/* A batch refused by the collector (the database unavailable). */
void collector_metrics_refused (collector_metrics_t *self);
/* A database connection made (the first, or a reconnection). */
void collector_metrics_connected (collector_metrics_t *self);
/* A group written: how long store_write took, from started_us (zclock_usecs). */
void collector_metrics_written (collector_metrics_t *self, int64_t started_us);

/* The reject code of an outcome: "conflict" (same event_id, other content),
   "database_refused", "malformed" (not a JSON object line), else the event field at fault
   ("event_id", "occurred_on", "stakeholder.name" ...; those are a fixed set). Borrowed. */
const char *collector_metrics_reason (const wire_outcome_t *outcome);

#endif
