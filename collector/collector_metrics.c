/* The collector's metrics (see collector_metrics.h). */
#include "collector_metrics.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "metrics.h"

typedef struct {
    char name[WIRE_SERVER_PEER_MAX];
    int64_t seen_ms; /* zclock_mono */
} s_peer_t;

struct collector_metrics {
    metrics_t *registry;
    metrics_http_t *http;
    wire_server_t *server;
    store_t *store;
    metrics_counter_t *received, *accepted, *duplicate, *batches, *reconnects;
    metrics_family_t *rejected, *refused;
    metrics_counter_t *refused_unavailable, *refused_out_of_order, *refused_rate_limited;
    uint64_t own_refusals, rate_limited;
    metrics_histogram_t *transaction;
    metrics_gauge_t *connected, *known, *db_up;
    metrics_family_t *last_seen;
    metrics_counter_t *malformed, *pings, *dropped, *transactions, *splits;
    metrics_counter_t *handshakes_failed, *unauthorised, *over_limit, *shed;
    uint64_t connections;
    metrics_ready_fn *ready;
    void *ready_arg;
    s_peer_t *peers;
    size_t npeers;
};

static void
s_collect (void *arg, metrics_t *registry)
{
    (void)registry;
    collector_metrics_t *self = arg;
    int64_t now = zclock_mono ();
    size_t connected = 0;
    metrics_family_clear (self->last_seen);
    for (size_t i = 0; i < self->npeers; i++) {
        double age = (double)(now - self->peers[i].seen_ms) / 1000.0;
        metrics_gauge_set (metrics_family_gauge (self->last_seen, self->peers[i].name), age);
        connected += age < COLLECTOR_METRICS_CONNECTED_S;
    }
    metrics_gauge_set (self->connected, (double)connected);
    metrics_gauge_set (self->known, (double)self->npeers);
    char why[256];
    metrics_gauge_set (self->db_up, self->ready && self->ready (self->ready_arg, why, sizeof why));
    if (self->server) {
        const wire_server_stats_t *ws = wire_server_stats (self->server);
        metrics_counter_set_total (self->malformed, ws->malformed);
        metrics_counter_set_total (self->pings, ws->pings);
        metrics_counter_set_total (self->dropped, ws->dropped + ws->unroutable);
        metrics_counter_set_total (self->handshakes_failed, ws->handshakes_failed);
        metrics_counter_set_total (self->unauthorised, ws->unauthorised);
        metrics_counter_set_total (self->over_limit, ws->over_limit);
        metrics_counter_set_total (self->shed, ws->shed);
        uint64_t own = self->own_refusals + self->rate_limited;
        metrics_counter_set_total (self->refused_unavailable, self->own_refusals);
        metrics_counter_set_total (self->refused_rate_limited, self->rate_limited);
        metrics_counter_set_total (self->refused_out_of_order,
                                   ws->refused > own ? ws->refused - own : 0);
    }
    if (self->store) {
        const store_stats_t *ss = store_stats (self->store);
        metrics_counter_set_total (self->transactions, ss->transactions);
        metrics_counter_set_total (self->splits, ss->splits);
    }
}

/* clang-format off */
static const double s_seconds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                    1, 2.5, 5, 10, 30 };
/* clang-format on */

collector_metrics_t *
collector_metrics_new (const char *bind,
                       metrics_ready_fn *ready,
                       void *arg,
                       wire_server_t *server,
                       store_t *store)
{
    collector_metrics_t *self = xcalloc (1, sizeof *self);
    metrics_t *m = self->registry = metrics_new ();
    self->server = server;
    self->store = store;
    self->ready = ready;
    self->ready_arg = arg;
    self->received = metrics_counter (
      m, "parley_collector_events_received_total", "Events in the batches read from agents.");
    self->accepted = metrics_counter (
      m, "parley_collector_events_accepted_total", "Events stored: new event_ids, committed.");
    self->duplicate = metrics_counter (m,
                                       "parley_collector_events_duplicate_total",
                                       "Events absorbed as duplicates (event_id already stored "
                                       "with the same content).");
    self->rejected = metrics_counter_family (m,
                                             "parley_collector_events_rejected_total",
                                             "Events rejected, by reason code.",
                                             "reason",
                                             32);
    self->batches = metrics_counter (
      m, "parley_collector_batches_total", "Batches answered with OUTCOMES (committed).");
    self->refused = metrics_counter_family (m,
                                            "parley_collector_refused_batches_total",
                                            "Batches answered with ERROR (the agent resends them).",
                                            "reason",
                                            4);
    self->refused_unavailable = metrics_family_counter (self->refused, "database_unavailable");
    self->refused_out_of_order = metrics_family_counter (self->refused, "out_of_order");
    self->refused_rate_limited = metrics_family_counter (self->refused, "rate_limited");
    self->transaction =
      metrics_histogram (m,
                         "parley_collector_transaction_duration_seconds",
                         "Time to write one group of batches to the database (one transaction; "
                         "more when a refused event splits it).",
                         s_seconds,
                         sizeof s_seconds / sizeof s_seconds[0]);
    self->transactions =
      metrics_counter (m, "parley_collector_transactions_total", "Transactions committed.");
    self->splits = metrics_counter (m,
                                    "parley_collector_batch_splits_total",
                                    "Groups split to isolate an event the database refused.");
    self->reconnects = metrics_counter (m,
                                        "parley_collector_database_reconnects_total",
                                        "Database connections made after the first.");
    self->db_up = metrics_gauge (
      m, "parley_collector_database_up", "1 while connected with the schema current, else 0.");
    self->connected = metrics_gauge (
      m, "parley_collector_connected_agents", "Agents with a batch in the last 60 s.");
    self->known = metrics_gauge (
      m, "parley_collector_known_agents", "Agents with a last-seen time kept (at most 1000).");
    self->last_seen = metrics_gauge_family (m,
                                            "parley_collector_agent_last_seen_seconds",
                                            "Seconds since each known agent's last batch.",
                                            "peer",
                                            COLLECTOR_METRICS_PEERS_MAX + 1);
    self->malformed = metrics_counter (
      m, "parley_collector_malformed_requests_total", "Requests answered ERROR as unreadable.");
    self->pings = metrics_counter (m, "parley_collector_pings_total", "PINGs answered.");
    self->dropped = metrics_counter (m,
                                     "parley_collector_dropped_replies_total",
                                     "Replies not delivered (the agent had gone or did not "
                                     "read; it resends, and duplicates are absorbed).");
    self->handshakes_failed =
      metrics_counter (m,
                       "parley_collector_handshakes_failed_total",
                       "Connections whose handshake failed (an unknown CURVE key, no CURVE).");
    self->unauthorised = metrics_counter (m,
                                          "parley_collector_unauthorised_messages_total",
                                          "Messages dropped unanswered: their key was removed "
                                          "from the authorised keys since its handshake.");
    self->over_limit = metrics_counter (m,
                                        "parley_collector_connections_refused_total",
                                        "Connections closed at once: --max-connections open.");
    self->shed = metrics_counter (m,
                                  "parley_collector_memory_guard_drops_total",
                                  "Times the memory guard dropped every connection (resident "
                                  "memory over its limit).");
    metrics_on_collect (m, s_collect, self);
    self->peers = xcalloc (COLLECTOR_METRICS_PEERS_MAX, sizeof *self->peers);
    if (metrics_http_is_off (bind))
        return self;
    char err[256];
    self->http = metrics_http_new (bind, m, ready, arg, err, sizeof err);
    if (self->http) {
        log_info ("metrics",
                  "serving metrics",
                  "bind=%s port=%u",
                  bind,
                  (unsigned)metrics_http_port (self->http));
    } else if (strcmp (bind, COLLECTOR_METRICS_BIND_DEF) == 0) {
        log_warn ("metrics", "could not serve metrics, going on without", "reason=\"%s\"", err);
    } else {
        log_error ("metrics", "could not serve metrics", "reason=\"%s\"", err);
        collector_metrics_destroy (&self);
    }
    return self;
}

void
collector_metrics_destroy (collector_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    collector_metrics_t *self = *self_p;
    metrics_http_destroy (&self->http);
    metrics_destroy (&self->registry);
    free (self->peers);
    free (self);
    *self_p = NULL;
}

int
collector_metrics_fd (collector_metrics_t *self)
{
    return self && self->http ? metrics_http_fd (self->http) : -1;
}

int
collector_metrics_timeout_ms (collector_metrics_t *self)
{
    return self && self->http ? metrics_http_timeout_ms (self->http) : -1;
}

void
collector_metrics_process (collector_metrics_t *self)
{
    if (self && self->http)
        metrics_http_process (self->http);
}

void
collector_metrics_batch (collector_metrics_t *self, const wire_server_batch_t *batch)
{
    if (!self)
        return;
    metrics_counter_add (self->received, batch->count);
    int64_t now = zclock_mono ();
    /* An agent is its CURVE key, the same across reconnections; with --insecure, the
       connection (ADDRESS/ROUTINGID). */
    const char *who = batch->key[0] ? batch->key : batch->peer_name;
    size_t oldest = 0;
    for (size_t i = 0; i < self->npeers; i++) {
        if (strcmp (self->peers[i].name, who) == 0) {
            self->peers[i].seen_ms = now;
            return;
        }
        if (self->peers[i].seen_ms < self->peers[oldest].seen_ms)
            oldest = i;
    }
    size_t slot = self->npeers < COLLECTOR_METRICS_PEERS_MAX ? self->npeers++ : oldest;
    snprintf (self->peers[slot].name, sizeof self->peers[slot].name, "%s", who);
    self->peers[slot].seen_ms = now;
}

const char *
collector_metrics_reason (const wire_outcome_t *o)
{
    const char *field = o->why.field, *reason = o->why.reason;
    if (strncmp (reason, "conflict", 8) == 0)
        return "conflict";
    if (strncmp (reason, "database refused", 16) == 0)
        return "database_refused";
    if (!*field)
        return "malformed";
    return field;
}

void
collector_metrics_outcomes (collector_metrics_t *self,
                            const wire_server_batch_t *batch,
                            const store_item_t *items)
{
    if (!self)
        return;
    metrics_counter_add (self->batches, 1);
    for (size_t e = 0; e < batch->count; e++) {
        const wire_outcome_t *o = &items[e].outcome;
        if (o->verdict == WIRE_ACCEPTED)
            metrics_counter_add (self->accepted, 1);
        else if (o->verdict == WIRE_DUPLICATE)
            metrics_counter_add (self->duplicate, 1);
        else
            metrics_counter_add (
              metrics_family_counter (self->rejected, collector_metrics_reason (o)), 1);
    }
}

void
collector_metrics_refused (collector_metrics_t *self)
{
    if (!self)
        return;
    self->own_refusals++;
}

void
collector_metrics_rate_limited (collector_metrics_t *self)
{
    if (!self)
        return;
    self->rate_limited++;
}

void
collector_metrics_connected (collector_metrics_t *self)
{
    if (!self)
        return;
    if (self->connections++ > 0)
        metrics_counter_add (self->reconnects, 1);
}

void
collector_metrics_written (collector_metrics_t *self, int64_t started_us)
{
    if (!self)
        return;
    metrics_histogram_observe (self->transaction, (double)(zclock_usecs () - started_us) / 1e6);
}
