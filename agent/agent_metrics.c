/* The agent's metrics and health endpoint (see agent_metrics.h). */
#include "agent_metrics.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "metrics_http.h"

struct agent_metrics {
    agent_t *agent;
    metrics_t *registry;
    metrics_http_t *http;
    int64_t started_ms;
    metrics_family_t *lines;
    char *last_source; /* s_on_read's last source (a copy), and its series */
    metrics_counter_t *last_lines;
    metrics_counter_t *spooled, *rejected, *accepted, *duplicate, *rejected_by_collector;
    metrics_counter_t *retries, *failovers, *errors, *quarantined, *quarantined_bytes;
    metrics_gauge_t *unacked, *spool_bytes, *spool_max, *paused, *since_ack, *since_reply;
    metrics_gauge_t *ready;
};

static void
s_on_read (void *arg, const char *source)
{
    agent_metrics_t *self = arg;
    /* Lines come in runs from one input: most skip the family's lookup. */
    if (!self->last_source || strcmp (source, self->last_source) != 0) {
        free (self->last_source);
        self->last_source = xstrdup (source);
        self->last_lines = metrics_family_counter (self->lines, source);
    }
    metrics_counter_add (self->last_lines, 1);
}

/* Seconds since a zclock_mono time, or since the start when it never happened. */
static double
s_since (agent_metrics_t *self, int64_t when_ms, int64_t now)
{
    return (double)(now - (when_ms ? when_ms : self->started_ms)) / 1000.0;
}

static bool
s_ready (void *arg, char *reason, size_t len)
{
    agent_metrics_t *self = arg;
    agent_health_t h;
    agent_health (self->agent, &h);
    int64_t now = zclock_mono ();
    if (h.spool_paused) {
        snprintf (reason, len, "the spool takes no events (full, or a disk error)");
        return false;
    }
    if (!h.last_reply_ms) {
        snprintf (reason, len, "no collector has answered yet");
        return false;
    }
    if (now - h.last_reply_ms >= AGENT_METRICS_REACHABLE_S * 1000) {
        snprintf (reason,
                  len,
                  "no answer from a collector for %" PRId64 " s",
                  (now - h.last_reply_ms) / 1000);
        return false;
    }
    return true;
}

static void
s_collect (void *arg, metrics_t *registry)
{
    (void)registry;
    agent_metrics_t *self = arg;
    const agent_counts_t *c = agent_counts (self->agent);
    agent_backlog_t b;
    agent_backlog (self->agent, &b);
    agent_health_t h;
    agent_health (self->agent, &h);
    int64_t now = zclock_mono ();
    metrics_counter_set_total (self->spooled, c->spooled);
    metrics_counter_set_total (self->rejected, c->rejected_by_agent);
    metrics_counter_set_total (self->accepted, c->accepted);
    metrics_counter_set_total (self->duplicate, c->duplicates);
    metrics_counter_set_total (self->rejected_by_collector, c->rejected_by_collector);
    metrics_counter_set_total (self->retries, h.resends);
    metrics_counter_set_total (self->failovers, h.failovers);
    metrics_counter_set_total (self->errors, h.errors);
    metrics_counter_set_total (self->quarantined, h.quarantined_records);
    metrics_counter_set_total (self->quarantined_bytes, h.quarantined_bytes);
    metrics_gauge_set (self->unacked, (double)b.records);
    metrics_gauge_set (self->spool_bytes, (double)b.bytes);
    metrics_gauge_set (self->spool_max, (double)b.spool_max);
    metrics_gauge_set (self->paused, h.spool_paused);
    metrics_gauge_set (self->since_ack, s_since (self, h.last_outcomes_ms, now));
    metrics_gauge_set (self->since_reply, s_since (self, h.last_reply_ms, now));
    char why[256];
    metrics_gauge_set (self->ready, s_ready (self, why, sizeof why));
}

static void
s_register (agent_metrics_t *self)
{
    metrics_t *m = self->registry;
    self->lines = metrics_counter_family (m,
                                          "parley_agent_lines_read_total",
                                          "Input lines (and CSV rows) read, by input.",
                                          "input",
                                          AGENT_METRICS_INPUTS_MAX);
    self->spooled = metrics_counter (
      m, "parley_agent_events_spooled_total", "Events appended to the spool (every producer).");
    self->rejected = metrics_counter (m,
                                      "parley_agent_lines_rejected_total",
                                      "Lines that failed the agent's checks (rejected.jsonl).");
    self->accepted =
      metrics_counter (m, "parley_agent_events_accepted_total", "Events the collector stored.");
    self->duplicate = metrics_counter (
      m, "parley_agent_events_duplicate_total", "Events the collector absorbed as duplicates.");
    self->rejected_by_collector = metrics_counter (m,
                                                   "parley_agent_events_rejected_total",
                                                   "Events the collector rejected "
                                                   "(rejected.jsonl).");
    self->unacked = metrics_gauge (
      m, "parley_agent_unacknowledged_events", "Events in the spool without an outcome yet.");
    self->spool_bytes = metrics_gauge (
      m, "parley_agent_spool_bytes", "Bytes the unacknowledged events take in the spool.");
    self->spool_max =
      metrics_gauge (m, "parley_agent_spool_max_bytes", "The spool's bound (--spool-max).");
    self->paused = metrics_gauge (
      m, "parley_agent_spool_paused", "1 while the spool takes no events (full, or a disk error).");
    self->retries = metrics_counter (
      m, "parley_agent_send_retries_total", "Batches sent again (timeout, ERROR, failover).");
    self->failovers = metrics_counter (
      m, "parley_agent_failovers_total", "Collector connections given up for silence.");
    self->errors = metrics_counter (
      m, "parley_agent_collector_errors_total", "ERROR replies (the batch is sent again).");
    self->since_ack = metrics_gauge (m,
                                     "parley_agent_last_ack_age_seconds",
                                     "Seconds since the last OUTCOMES (since start if none).");
    self->since_reply = metrics_gauge (m,
                                       "parley_agent_last_reply_age_seconds",
                                       "Seconds since a collector last answered (PONG or "
                                       "OUTCOMES; since start if none).");
    self->quarantined = metrics_counter (m,
                                         "parley_agent_quarantined_records_total",
                                         "Damaged spool records set aside in quarantine/.");
    self->quarantined_bytes = metrics_counter (
      m, "parley_agent_quarantined_bytes_total", "Damaged spool bytes set aside in quarantine/.");
    self->ready = metrics_gauge (m, "parley_agent_ready", "1 when /readyz answers 200, else 0.");
}

/* --- the agent's loop --------------------------------------------------------------- */

static int
s_pollitems (void *arg, zmq_pollitem_t *items, int max)
{
    agent_metrics_t *self = arg;
    if (max < 1)
        return 0;
    items[0] = (zmq_pollitem_t){ NULL, metrics_http_fd (self->http), ZMQ_POLLIN, 0 };
    return 1;
}

static int
s_timeout_ms (void *arg, int64_t now)
{
    (void)now;
    agent_metrics_t *self = arg;
    return metrics_http_timeout_ms (self->http);
}

static void
s_process (void *arg, zmq_pollitem_t *items, int n, int64_t now)
{
    (void)items;
    (void)n;
    (void)now;
    agent_metrics_t *self = arg;
    metrics_http_process (self->http);
}

agent_metrics_t *
agent_metrics_new (const agent_options_t *opts, agent_t *agent, char *err, size_t errlen)
{
    agent_metrics_t *self = xcalloc (1, sizeof *self);
    self->agent = agent;
    self->started_ms = zclock_mono ();
    self->registry = metrics_new ();
    s_register (self);
    metrics_on_collect (self->registry, s_collect, self);
    agent_on_read (agent, s_on_read, self);
    const char *bind = opts->metrics_bind;
    if (metrics_http_is_off (bind))
        return self;
    self->http = metrics_http_new (bind, self->registry, s_ready, self, err, errlen);
    if (!self->http) {
        if (strcmp (bind, AGENT_METRICS_BIND_DEF) != 0) {
            agent_metrics_destroy (&self);
            return NULL;
        }
        log_warn ("metrics", "could not serve metrics, going on without", "reason=\"%s\"", err);
        return self;
    }
    agent_producer_t producer = {
        .self = self, .pollitems = s_pollitems, .timeout_ms = s_timeout_ms, .process = s_process
    };
    if (agent_add_producer (agent, &producer) != 0) {
        snprintf (err, errlen, "too many producers in the agent's loop");
        agent_metrics_destroy (&self);
        return NULL;
    }
    log_info ("metrics",
              "serving metrics",
              "bind=%s port=%u",
              bind,
              (unsigned)metrics_http_port (self->http));
    return self;
}

void
agent_metrics_destroy (agent_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agent_metrics_t *self = *self_p;
    if (self->agent)
        agent_on_read (self->agent, NULL, NULL);
    metrics_http_destroy (&self->http);
    metrics_destroy (&self->registry);
    free (self->last_source);
    free (self);
    *self_p = NULL;
}
