#include "collector.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "backoff.h"
#include "collector_metrics.h"
#include "db.h"
#include "db_session.h"
#include "event.h"
#include "log.h"
#include "mem.h"
#include "wire_server.h"
#include "retention.h"
#include "rate_limit.h"
#include "schema.h"
#include "store.h"
#include "daemon_signals.h"
#include "service_notify.h"

/* How long a reconnection attempt may take while the database is known to be away: the
   socket is not read meanwhile, and agents take 3 s of silence for a dead collector. */
#define S_RECONNECT_TIMEOUT_MS 2000
/* The ERROR reason for a batch that cannot be stored now (docs/PROTOCOL.md, section 8). */
#define S_UNAVAILABLE "database unavailable, resend later"

typedef struct {
    uint64_t batches, events, accepted, duplicates, rejected;
} s_counts_t;

/* Batches written in one transaction, each event checked and staged as its batch arrived. */
typedef struct {
    wire_server_batch_t **batches;
    size_t count, cap;
    store_item_t *items; /* the batches' events, in order */
    size_t events, item_cap;
    db_buf_t rows; /* their staging rows (store_stage) */
} s_group_t;

struct collector {
    const collector_options_t *opts;
    wire_server_t *server; /* the agents' side of PARLEY/1 */
    db_session_t *db;
    store_t *store;
    collector_metrics_t *metrics; /* --metrics-bind (collector_metrics.h) */
    bool schema_broken;           /* the last schema step failed on a working connection */
    schema_mode_t schema_mode;    /* SCHEMA_START for the daemon (schema.h) */
    int pending;                  /* SCHEMA_LIST: what schema_list_pending found */
    /* Batches read and not yet acknowledged: the group being written, and the next one,
       read and checked while the database works on the first (see s_idle). */
    s_group_t groups[2];
    s_group_t *current, *next;
    const volatile sig_atomic_t *stop;
    volatile sig_atomic_t *reload; /* SIGHUP: re-read the authorised keys (or NULL) */
    backoff_t write_backoff;
    backoff_t watch_backoff; /* s_watch_db: reconnecting between batches, and when next */
    int64_t watch_at;
    bool db_down;     /* the last write could not be done: refusing batches */
    int64_t retry_at; /* while db_down: when the next batch may try again */
    int64_t down_since;
    uint64_t refused_at_down; /* batches the server had refused when the database went away */
    s_counts_t total, at_last_line;
    int64_t last_line_ms, started_ms;
    uint64_t transactions_at_last_line;
    retention_t *retention;  /* --notes-retention-days, or NULL */
    rate_limit_t *rate;      /* --rate-limit, or NULL */
    int rate_now, burst_now; /* what rate was made with (SIGHUP may change the options) */
};

/* Runs after every (re)connection: the schema may have been created, dropped or
   upgraded meanwhile, and the session's staging tables are per connection. */
static int
s_on_connect (PGconn *conn, void *arg)
{
    collector_t *self = arg;
    self->schema_broken = false;
    if (self->schema_mode == SCHEMA_LIST) {
        self->pending = schema_list_pending (conn, stdout);
        self->schema_broken = self->pending < 0 && PQstatus (conn) == CONNECTION_OK;
        return self->pending < 0 ? -1 : 0;
    }
    if (schema_migrate (conn, self->schema_mode) != 0) {
        self->schema_broken = PQstatus (conn) == CONNECTION_OK;
        return -1;
    }
    if (self->store && store_prepare (self->store, conn) != 0) {
        self->schema_broken = PQstatus (conn) == CONNECTION_OK;
        return -1;
    }
    collector_metrics_connected (self->metrics);
    return 0;
}

/* Who a batch is from, for per-agent limits: its CURVE key (an agent that reconnects is
   the same agent), or its connection when --insecure. */
static const char *
s_sender (const wire_server_batch_t *batch)
{
    return batch->key[0] ? batch->key : batch->peer_name;
}

/* The connection ceiling: --max-connections, or the descriptor limit (soft raised to hard
   first: systemd's default soft limit is 1024) less a margin for the database, the log and
   libzmq's own descriptors, so that the limit is the collector's, logged, and never the
   kernel's (at EMFILE libzmq retries accept in a loop and serves no one). */
#define S_FD_MARGIN 128
static size_t
s_max_connections (const collector_options_t *opts)
{
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rlim_t was = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = was;
    }
    size_t fds = getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                   ? (size_t)rl.rlim_cur
                   : 1048576;
    size_t room = fds > 2 * S_FD_MARGIN ? fds - S_FD_MARGIN : fds / 2;
    size_t max = opts->max_connections > 0 ? (size_t)opts->max_connections : room;
    if (max > room)
        log_warn ("collector",
                  "--max-connections is above what the descriptor limit allows",
                  "max_connections=%zu fd_limit=%zu",
                  max,
                  fds);
    log_info ("collector", "connection limit", "max_connections=%zu fd_limit=%zu", max, fds);
    return max;
}

/* While a connection attempt waits: /metrics and /readyz are still answered. */
static void
s_tick (void *arg)
{
    collector_t *self = arg;
    collector_metrics_process (self->metrics);
}

/* /readyz: the database connected and its schema current. */
static bool
s_ready (void *arg, char *reason, size_t len)
{
    collector_t *self = arg;
    if (self->schema_broken)
        snprintf (reason, len, "the database schema could not be brought up to date");
    else if (!db_session_is_connected (self->db) && *db_session_describe (self->db) == '(')
        snprintf (reason, len, "database not connected (no connection made yet)");
    else if (!db_session_is_connected (self->db))
        snprintf (reason, len, "database not connected (%s)", db_session_describe (self->db));
    else
        return true;
    return false;
}

/* SIGHUP, after the options were re-read (daemon_signals): a changed --rate-limit or
   --rate-burst takes effect now, with fresh buckets (every agent starts with a full one).
   Logged at warn, as daemon_signals logs the options it reloads: the new level may be warn. */
static void
s_on_reload (void *ctx)
{
    collector_t *self = ctx;
    if (self->opts->rate_limit == self->rate_now && self->opts->rate_burst == self->burst_now)
        return;
    rate_limit_destroy (&self->rate);
    if (self->opts->rate_limit > 0)
        self->rate = rate_limit_new (self->opts->rate_limit, self->opts->rate_burst);
    self->rate_now = self->opts->rate_limit;
    self->burst_now = self->opts->rate_burst;
    log_warn ("collector",
              "rate limit changed",
              "rate_limit=%d rate_burst=%d",
              self->rate_now,
              self->burst_now);
}

collector_t *
collector_new (const collector_options_t *opts)
{
    collector_t *self = xcalloc (1, sizeof *self);
    self->opts = opts;
    self->schema_mode = SCHEMA_START;
    wire_server_options_t so = { .endpoints = opts->bind.items,
                                 .count = opts->bind.count,
                                 .comp = "receiver",
                                 .insecure = opts->insecure,
                                 .curve_secret = opts->curve_secret,
                                 .authorized_keys = opts->authorized_keys,
                                 .max_connections = s_max_connections (opts) };
    self->server = wire_server_new (&so);
    if (!self->server) {
        free (self);
        return NULL;
    }
    self->db = db_session_new (opts->db, "parley-collector");
    db_session_set_on_connect (self->db, s_on_connect, self);
    self->store = store_new ();
    if (opts->notes_retention_days > 0)
        self->retention = retention_new (opts->notes_retention_days);
    if (opts->rate_limit > 0)
        self->rate = rate_limit_new (opts->rate_limit, opts->rate_burst);
    self->rate_now = opts->rate_limit;
    self->burst_now = opts->rate_burst;
    if (daemon_signals_on_reload (s_on_reload, self) != 0)
        log_warn ("collector",
                  "rate limits will not reload on SIGHUP",
                  "reason=\"%s\"",
                  "too many reload callbacks");
    backoff_init (&self->write_backoff, 250, 4000);
    backoff_init (&self->watch_backoff, 1000, 30000);
    for (int i = 0; i < 2; i++)
        db_buf_init (&self->groups[i].rows);
    self->current = &self->groups[0];
    self->next = &self->groups[1];
    self->metrics =
      collector_metrics_new (opts->metrics_bind, s_ready, self, self->server, self->store);
    if (!self->metrics) {
        collector_destroy (&self);
        return NULL;
    }
    db_session_set_tick (self->db, s_tick, self);
    return self;
}

/* Forgets the group's batches (without answering them). */
static void
s_group_clear (s_group_t *group)
{
    for (size_t i = 0; i < group->count; i++)
        wire_server_batch_destroy (&group->batches[i]);
    group->count = 0;
    group->events = 0;
    db_buf_reset (&group->rows);
}

/* Adds a batch to the group, its events checked and staged now. */
static void
s_group_add (s_group_t *group, wire_server_batch_t *batch)
{
    if (group->count == group->cap) {
        group->cap = group->cap ? 2 * group->cap : 16;
        group->batches = xrealloc (group->batches, group->cap * sizeof *group->batches);
    }
    group->batches[group->count++] = batch;
    if (group->events + batch->count > group->item_cap) {
        group->item_cap = 2 * (group->events + batch->count);
        group->items = xrealloc (group->items, group->item_cap * sizeof *group->items);
    }
    store_item_t *items = &group->items[group->events];
    for (size_t e = 0; e < batch->count; e++) {
        memset (&items[e], 0, sizeof items[e]);
        items[e].line = (const char *)zframe_data (batch->events[e]);
        items[e].len = zframe_size (batch->events[e]);
        items[e].scope = batch->scope;
    }
    store_stage (items, batch->count, &group->rows, event_now_us (), s_sender (batch));
    group->events += batch->count;
}

void
collector_destroy (collector_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    collector_t *self = *self_p;
    for (int i = 0; i < 2; i++) {
        s_group_clear (&self->groups[i]);
        free (self->groups[i].batches);
        free (self->groups[i].items);
        db_buf_fini (&self->groups[i].rows);
    }
    collector_metrics_destroy (&self->metrics);
    store_destroy (&self->store);
    retention_destroy (&self->retention);
    rate_limit_destroy (&self->rate);
    db_session_destroy (&self->db);
    /* Replies already queued get a second to leave: an acknowledgement lost here would
       only cause a resend, but a clean stop should not cause any. */
    wire_server_destroy (&self->server, 1000);
    free (self);
    *self_p = NULL;
}

/* Refuses a batch for want of the database (counted). */
static void
s_refuse (collector_t *self, wire_server_batch_t **batch_p)
{
    collector_metrics_refused (self->metrics);
    wire_server_refuse (self->server, batch_p, S_UNAVAILABLE);
}

/* Polls items[0..n) (room for one more) and the metrics endpoint, which it serves. */
static int
s_poll (collector_t *self, zmq_pollitem_t *items, int n, long timeout_ms)
{
    int fd = collector_metrics_fd (self->metrics);
    if (fd >= 0) {
        items[n++] = (zmq_pollitem_t){ NULL, fd, ZMQ_POLLIN, 0 };
        int t = collector_metrics_timeout_ms (self->metrics);
        if (t >= 0 && t < timeout_ms)
            timeout_ms = t;
    }
    int rc = zmq_poll (items, n, timeout_ms);
    collector_metrics_process (self->metrics);
    return rc;
}

/* wire_server_recv, with the metrics endpoint served while it waits. */
static wire_server_batch_t *
s_recv (collector_t *self, int timeout_ms)
{
    if (collector_metrics_fd (self->metrics) < 0)
        return wire_server_recv (self->server, timeout_ms);
    /* An unfinished message never makes the socket readable: the memory guard runs here
       itself, the wait cut to its pace (the caller comes back). The monitor is polled too:
       connections are logged while their descriptors are open. */
    wire_server_guard (self->server);
    if (timeout_ms > WIRE_SERVER_GUARD_MS)
        timeout_ms = WIRE_SERVER_GUARD_MS;
    zmq_pollitem_t items[3] = { { wire_server_socket (self->server), 0, ZMQ_POLLIN, 0 },
                                { wire_server_monitor_socket (self->server), 0, ZMQ_POLLIN, 0 } };
    if (s_poll (self, items, 2, timeout_ms) <= 0)
        return NULL;
    if (items[1].revents & ZMQ_POLLIN)
        wire_server_log_connections (self->server);
    if (!(items[0].revents & ZMQ_POLLIN))
        return NULL;
    return wire_server_recv (self->server, 0);
}

/* Refuses every batch of the group, in order, with ERROR: their agents keep them and send
   them again later; nothing of them is kept here, but their agents' later batches now
   wait for them (common/wire_server.h). */
static void
s_refuse_group (collector_t *self, s_group_t *group)
{
    for (size_t b = 0; b < group->count; b++)
        s_refuse (self, &group->batches[b]);
    group->count = 0;
    s_group_clear (group);
}

/* A batch read (the server has already refused those that would overtake an earlier
   refused batch of their agent): refused while the database is known to be away, else
   into the next group. */
static void
s_take (collector_t *self, wire_server_batch_t *batch)
{
    int64_t now = zclock_mono ();
    collector_metrics_batch (self->metrics, batch);
    if (self->db_down && now < self->retry_at)
        s_refuse (self, &batch);
    /* Keyed by the agent's CURVE key (the connection's peer name when --insecure). */
    else if (self->rate && !rate_limit_take (self->rate, s_sender (batch), batch->count, now)) {
        collector_metrics_rate_limited (self->metrics);
        wire_server_refuse (self->server, &batch, RATE_LIMIT_REASON);
    } else
        s_group_add (self->next, batch);
}

/* While the database works on the current group (db_idle_fn): reads the batches that come
   meanwhile into the next group, checking and staging them, so that the collector's own
   work overlaps the database's. Stops taking more at --max-events (ZeroMQ then queues, up
   to its high-water mark) or on a stop request. */
static void
s_idle (void *arg, int fd)
{
    collector_t *self = arg;
    wire_server_guard (self->server); /* a transaction can outlast many of its looks */
    bool room = !*self->stop && self->next->events < (size_t)self->opts->max_events;
    zmq_pollitem_t items[3] = { { NULL, fd, ZMQ_POLLIN, 0 },
                                { wire_server_socket (self->server), 0, ZMQ_POLLIN, 0 } };
    if (s_poll (self, items, room ? 2 : 1, 100) <= 0 || !room || !(items[1].revents & ZMQ_POLLIN))
        return;
    wire_server_batch_t *batch = wire_server_recv (self->server, 0);
    if (batch)
        s_take (self, batch);
}

/* One throughput line per --stats-interval with something to say; never per event. */
static void
s_stats_line (collector_t *self)
{
    int64_t now = zclock_mono ();
    if (self->last_line_ms == 0) {
        self->last_line_ms = self->started_ms = now;
        return;
    }
    int64_t elapsed = now - self->last_line_ms;
    if (elapsed < (int64_t)self->opts->stats_interval_s * 1000)
        return;
    uint64_t events = self->total.events - self->at_last_line.events;
    if (events > 0) {
        const store_stats_t *ss = store_stats (self->store);
        log_info ("collector",
                  "ingest progress",
                  "batches=%" PRIu64 " events=%" PRIu64 " accepted=%" PRIu64 " duplicates=%" PRIu64
                  " rejected=%" PRIu64 " transactions=%" PRIu64 " events_per_s=%.0f",
                  self->total.batches - self->at_last_line.batches,
                  events,
                  self->total.accepted - self->at_last_line.accepted,
                  self->total.duplicates - self->at_last_line.duplicates,
                  self->total.rejected - self->at_last_line.rejected,
                  ss->transactions - self->transactions_at_last_line,
                  (double)events * 1000.0 / (double)elapsed);
        self->transactions_at_last_line = ss->transactions;
    }
    self->at_last_line = self->total;
    self->last_line_ms = now;
}

/* Since start, for the last line. */
static void
s_totals_line (collector_t *self)
{
    const store_stats_t *ss = store_stats (self->store);
    const wire_server_stats_t *rs = wire_server_stats (self->server);
    log_info ("collector",
              "ingest totals",
              "batches=%" PRIu64 " events=%" PRIu64 " accepted=%" PRIu64 " duplicates=%" PRIu64
              " rejected=%" PRIu64 " transactions=%" PRIu64 " db_refused=%" PRIu64
              " splits=%" PRIu64 " malformed_requests=%" PRIu64 " unroutable_replies=%" PRIu64
              " dropped_replies=%" PRIu64 " refused_batches=%" PRIu64 " uptime_s=%" PRId64,
              self->total.batches,
              self->total.events,
              self->total.accepted,
              self->total.duplicates,
              self->total.rejected,
              ss->transactions,
              ss->db_refused,
              ss->splits,
              rs->malformed,
              rs->unroutable,
              rs->dropped,
              rs->refused,
              self->started_ms ? (zclock_mono () - self->started_ms) / 1000 : 0);
}

/* Writes the current group and acknowledges each of its batches once committed. A failure
   that is not the data's fault gets one more try on a fresh session (which cures a
   connection the server dropped, a serialization failure, a deadlock); if that fails too,
   the database is taken for away: every batch of the group is answered with ERROR (nothing
   acknowledged, the agents resend), and until the backoff has passed every new batch is
   too, while the socket is still read (PING answered). Returns 0 when acknowledged, -1
   otherwise. */
static int
s_process_current (collector_t *self, const volatile sig_atomic_t *stop)
{
    s_group_t *group = self->current;
    for (int attempt = 0; attempt < 2; attempt++) {
        /* A fresh session clears whatever a failure left behind (an aborted transaction,
           a dropped staging table). After a stop request, only what needs no new session. */
        if (attempt > 0 && *stop)
            break;
        if (!db_session_is_connected (self->db) &&
            db_session_connect (self->db, stop, S_RECONNECT_TIMEOUT_MS) != 0)
            break;
        int64_t started_us = zclock_usecs ();
        if (store_write (self->store,
                         db_session_conn (self->db),
                         group->items,
                         group->events,
                         &group->rows,
                         s_idle,
                         self) == STORE_OK) {
            collector_metrics_written (self->metrics, started_us);
            backoff_reset (&self->write_backoff);
            if (self->db_down) {
                self->db_down = false;
                uint64_t refused = wire_server_stats (self->server)->refused;
                log_info ("collector",
                          "database available again, taking batches",
                          "down_ms=%" PRId64 " refused_batches=%" PRIu64,
                          zclock_mono () - self->down_since,
                          refused - self->refused_at_down);
            }
            goto reply;
        }
        db_session_disconnect (self->db);
    }
    /* The batches read meanwhile are refused too: written now, they would overtake the
       refused ones of the same agents (common/wire_order.h). */
    if (*stop) {
        log_warn ("collector",
                  "stopping with unacknowledged batches; agents will resend them",
                  "batches=%zu events=%zu",
                  group->count + self->next->count,
                  group->events + self->next->events);
        s_refuse_group (self, group);
        s_refuse_group (self, self->next);
        return -1;
    }
    /* The backoff also paces failures that reconnecting does not cure (a full disk, a
       broken schema): they stall ingest loudly, and never turn events into rejections. */
    int64_t wait_ms = backoff_next (&self->write_backoff);
    self->retry_at = zclock_mono () + wait_ms;
    if (!self->db_down) {
        self->db_down = true;
        self->down_since = zclock_mono ();
        self->refused_at_down = wire_server_stats (self->server)->refused;
        log_warn ("collector",
                  "database unavailable, refusing batches until it is back",
                  "batches=%zu events=%zu retry_ms=%" PRId64,
                  group->count,
                  group->events,
                  wait_ms);
    } else {
        log_debug ("collector", "database still unavailable", "retry_ms=%" PRId64, wait_ms);
    }
    s_refuse_group (self, group);
    s_refuse_group (self, self->next);
    return -1;

reply:;
    size_t k = 0;
    for (size_t b = 0; b < group->count; b++) {
        wire_server_batch_t *batch = group->batches[b];
        zmsg_t *reply = wire_outcomes_new (batch->seq);
        collector_metrics_outcomes (self->metrics, batch, &group->items[k]);
        for (size_t e = 0; e < batch->count; e++, k++) {
            const wire_outcome_t *o = &group->items[k].outcome;
            wire_outcomes_add (reply, o);
            self->total.events++;
            if (o->verdict == WIRE_ACCEPTED)
                self->total.accepted++;
            else if (o->verdict == WIRE_DUPLICATE)
                self->total.duplicates++;
            else
                self->total.rejected++;
        }
        self->total.batches++;
        (void)wire_server_reply (self->server, batch, &reply);
    }
    s_group_clear (group);
    return 0;
}

/* The next group becomes the current one and is written; the one written becomes the
   (empty) next. A group formed while the database was known to be away is refused. */
static void
s_write_next (collector_t *self, const volatile sig_atomic_t *stop)
{
    s_group_t *group = self->next;
    self->next = self->current;
    self->current = group;
    if (self->db_down && zclock_mono () < self->retry_at) {
        s_refuse_group (self, group);
        return;
    }
    (void)s_process_current (self, stop);
}

/* The first connection: a database that is not there yet is waited for (with backoff),
   but a schema that cannot be brought up to date on a working connection is a failure a
   restart (or a person) has to solve. Between attempts the socket is served: PING is
   answered, a BATCH refused. Returns 0, -1 when stopped, 1 on that failure. */
static int
s_first_connect (collector_t *self, const volatile sig_atomic_t *stop)
{
    backoff_t wait;
    backoff_init (&wait, 250, 10000);
    while (!*stop) {
        if (db_session_connect (self->db, stop, 10000) == 0)
            return 0;
        if (self->schema_broken) {
            log_error ("collector",
                       "could not bring the database schema up to date",
                       "%s",
                       db_session_describe (self->db));
            return 1;
        }
        int64_t until = zclock_mono () + backoff_next (&wait);
        for (int64_t left; !*stop && (left = until - zclock_mono ()) > 0;) {
            int wait_ms = left < 200 ? (int)left : 200;
            wire_server_batch_t *batch = s_recv (self, wait_ms);
            if (batch)
                s_refuse (self, &batch);
        }
    }
    return -1;
}

/* Between batches: notices a connection the server has closed (so that /readyz says so
   before a batch finds out), and tries the database again once the backoff has passed, so
   that a collector without traffic becomes ready again by itself. */
static void
s_watch_db (collector_t *self, const volatile sig_atomic_t *stop)
{
    int64_t now = zclock_mono ();
    if (db_session_is_connected (self->db)) {
        PGconn *conn = db_session_conn (self->db);
        if (PQconsumeInput (conn) == 1 && PQstatus (conn) == CONNECTION_OK)
            return;
        log_warn ("collector", "database connection lost", "%s", db_session_describe (self->db));
        db_session_disconnect (self->db);
        self->watch_at = now;
    }
    if (now < self->watch_at)
        return;
    if (db_session_connect (self->db, stop, S_RECONNECT_TIMEOUT_MS) == 0)
        backoff_reset (&self->watch_backoff);
    else
        self->watch_at = zclock_mono () + backoff_next (&self->watch_backoff);
}

int
collector_run (collector_t *self, const volatile sig_atomic_t *stop)
{
    int rc = s_first_connect (self, stop);
    if (rc > 0)
        return 1;
    size_t max_events = (size_t)self->opts->max_events;
    log_info ("collector", "ready", "max_events=%zu", max_events);
    s_stats_line (self);
    self->stop = stop;
    bool retaining = false; /* a notes retention run is under way: do not wait idle */
    while (!*stop) {
        service_notify_turn (); /* READY=1 at the first turn, then the watchdog */
        daemon_signals_turn (); /* logs signals, SIGHUP reloads: in the loop, not a handler */
        if (self->reload && *self->reload) {
            *self->reload = 0;
            if (wire_server_reload_keys (self->server) != 0) {
                /* logged; the keys loaded before stay in force */
            }
        }
        /* At most one retention batch per turn, between writes (collector/retention.h). */
        if (self->retention && !self->db_down && db_session_is_connected (self->db))
            retaining =
              retention_step (self->retention, db_session_conn (self->db), zclock_mono ()) ==
              RETENTION_BATCH_DONE;
        wire_server_batch_t *batch;
        if (self->next->events == 0) {
            batch = s_recv (self, retaining ? 0 : 200);
            s_stats_line (self);
            if (!batch) {
                s_watch_db (self, stop);
                continue;
            }
            s_take (self, batch);
        }
        /* Group commit: batches already waiting share one transaction. */
        while (self->next->events < max_events && !*stop &&
               (batch = wire_server_recv (self->server, 0)))
            s_take (self, batch);
        if (self->next->events > 0)
            s_write_next (self, stop);
        s_stats_line (self);
    }
    /* What was read while the last group was written is written too (no new session). */
    if (self->next->events > 0)
        s_write_next (self, stop);
    s_totals_line (self);
    log_info ("collector", "stopped", "exit_status=%d", 0);
    return 0;
}

void
collector_watch_reload (collector_t *self, volatile sig_atomic_t *flag)
{
    self->reload = flag;
}

int
collector_migrate (const char *db, bool dry_run)
{
    db_session_t *session = db_session_new (db, "parley-collector");
    collector_t shim = { .schema_mode = dry_run ? SCHEMA_LIST : SCHEMA_APPLY };
    db_session_set_on_connect (session, s_on_connect, &shim);
    static const volatile sig_atomic_t never = 0;
    int rc = db_session_connect (session, &never, 30000) == 0 ? 0 : 1;
    db_session_destroy (&session);
    if (rc == 0 && dry_run && shim.pending == 0)
        printf ("nothing pending\n");
    return rc;
}

int
collector_migrate_only (const collector_options_t *opts)
{
    return collector_migrate (opts->db, false);
}
