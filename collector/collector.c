#include "collector.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "mem.h"
#include "receiver.h"
#include "schema.h"
#include "store.h"

typedef struct {
    uint64_t batches, events, accepted, duplicates, rejected;
} s_counts_t;

struct collector {
    const collector_options_t *opts;
    receiver_t *receiver;
    db_t *db;
    store_t *store;
    bool schema_broken;          /* the last schema step failed on a working connection */
    receiver_batch_t **held;     /* batches read and not yet acknowledged */
    size_t held_count, held_cap;
    store_item_t *items;
    size_t item_cap;
    backoff_t write_backoff;
    s_counts_t total, at_last_line;
    int64_t last_line_ms, started_ms;
    uint64_t transactions_at_last_line;
};

/* Runs after every (re)connection: the schema may have been created, dropped or
   upgraded meanwhile, and the session's staging tables are per connection. */
static int
s_on_connect (PGconn *conn, void *arg)
{
    collector_t *self = arg;
    self->schema_broken = false;
    if (schema_migrate (conn) != 0) {
        self->schema_broken = PQstatus (conn) == CONNECTION_OK;
        return -1;
    }
    if (self->store && store_prepare (self->store, conn) != 0) {
        self->schema_broken = PQstatus (conn) == CONNECTION_OK;
        return -1;
    }
    return 0;
}

collector_t *
collector_new (const collector_options_t *opts)
{
    collector_t *self = xcalloc (1, sizeof *self);
    self->opts = opts;
    self->receiver = receiver_new (opts->binds, opts->bind_count);
    if (!self->receiver) {
        free (self);
        return NULL;
    }
    self->db = db_new (opts->db, "parley-collector");
    db_set_on_connect (self->db, s_on_connect, self);
    self->store = store_new ();
    backoff_init (&self->write_backoff, 250, 10000);
    return self;
}

static void
s_release_held (collector_t *self)
{
    for (size_t i = 0; i < self->held_count; i++)
        receiver_batch_destroy (&self->held[i]);
    self->held_count = 0;
}

void
collector_destroy (collector_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    collector_t *self = *self_p;
    s_release_held (self);
    free (self->held);
    free (self->items);
    store_destroy (&self->store);
    db_destroy (&self->db);
    /* Replies already queued get a second to leave: an acknowledgement lost here would
       only cause a resend, but a clean stop should not cause any. */
    receiver_destroy (&self->receiver, 1000);
    free (self);
    *self_p = NULL;
}

static void
s_sleep_ms (int64_t ms, const volatile sig_atomic_t *stop)
{
    int64_t until = zclock_mono () + ms;
    while (!*stop && zclock_mono () < until) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep (&ts, NULL);
    }
}

static void
s_hold (collector_t *self, receiver_batch_t *batch)
{
    if (self->held_count == self->held_cap) {
        self->held_cap = self->held_cap ? 2 * self->held_cap : 16;
        self->held = xrealloc (self->held, self->held_cap * sizeof *self->held);
    }
    self->held[self->held_count++] = batch;
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
    if (elapsed < (int64_t) self->opts->stats_interval_s * 1000)
        return;
    uint64_t events = self->total.events - self->at_last_line.events;
    if (events > 0) {
        const store_stats_t *ss = store_stats (self->store);
        log_info ("collector", "ingest progress",
                  "batches=%" PRIu64 " events=%" PRIu64 " accepted=%" PRIu64 " duplicates=%" PRIu64
                  " rejected=%" PRIu64 " transactions=%" PRIu64 " events_per_s=%.0f",
                  self->total.batches - self->at_last_line.batches, events,
                  self->total.accepted - self->at_last_line.accepted,
                  self->total.duplicates - self->at_last_line.duplicates,
                  self->total.rejected - self->at_last_line.rejected,
                  ss->transactions - self->transactions_at_last_line,
                  (double) events * 1000.0 / (double) elapsed);
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
    const receiver_stats_t *rs = receiver_stats (self->receiver);
    log_info ("collector", "ingest totals",
              "batches=%" PRIu64 " events=%" PRIu64 " accepted=%" PRIu64 " duplicates=%" PRIu64
              " rejected=%" PRIu64 " transactions=%" PRIu64 " db_refused=%" PRIu64
              " splits=%" PRIu64 " malformed_requests=%" PRIu64 " unroutable_replies=%" PRIu64
              " uptime_s=%" PRId64,
              self->total.batches, self->total.events, self->total.accepted,
              self->total.duplicates, self->total.rejected, ss->transactions, ss->db_refused,
              ss->splits, rs->malformed, rs->unroutable,
              self->started_ms ? (zclock_mono () - self->started_ms) / 1000 : 0);
}

/* Writes what is held until it is committed (or a stop request meets a database that is
   not there), then acknowledges each batch. Returns 0 when acknowledged, -1 when given up
   because of a stop request (nothing acknowledged that was not committed). */
static int
s_process_held (collector_t *self, const volatile sig_atomic_t *stop)
{
    size_t count = 0;
    for (size_t b = 0; b < self->held_count; b++)
        count += self->held[b]->count;
    if (count > self->item_cap) {
        self->item_cap = count;
        self->items = xrealloc (self->items, count * sizeof *self->items);
    }
    size_t k = 0;
    for (size_t b = 0; b < self->held_count; b++) {
        receiver_batch_t *batch = self->held[b];
        for (size_t e = 0; e < batch->count; e++, k++) {
            store_item_t *item = &self->items[k];
            memset (item, 0, sizeof *item);
            item->line = (const char *) zframe_data (batch->events[e]);
            item->len = zframe_size (batch->events[e]);
        }
    }
    int64_t down_since = 0;
    for (;;) {
        if (!db_is_connected (self->db) && db_ensure (self->db, stop) != 0)
            break;
        if (store_write (self->store, db_conn (self->db), self->items, count, event_now_us ())
            == STORE_OK) {
            backoff_reset (&self->write_backoff);
            if (down_since)
                log_info ("collector", "held batches written after database recovery",
                          "batches=%zu events=%zu waited_ms=%" PRId64, self->held_count, count,
                          zclock_mono () - down_since);
            goto reply;
        }
        if (!down_since)
            down_since = zclock_mono ();
        /* A fresh session clears whatever the failure left behind (an aborted transaction, a
           dropped staging table). The backoff also paces failures that reconnecting does
           not cure (disk full, a broken schema), which must stall, not spin. */
        db_disconnect (self->db);
        int64_t wait_ms = backoff_next (&self->write_backoff);
        log_warn ("collector", "holding batches until the database is back",
                  "batches=%zu events=%zu retry_ms=%" PRId64, self->held_count, count, wait_ms);
        s_sleep_ms (wait_ms, stop);
        if (*stop)
            break;
    }
    log_warn ("collector", "stopping with unacknowledged batches; agents will resend them",
              "batches=%zu events=%zu", self->held_count, count);
    s_release_held (self);
    return -1;

reply:
    k = 0;
    for (size_t b = 0; b < self->held_count; b++) {
        receiver_batch_t *batch = self->held[b];
        zmsg_t *reply = wire_outcomes_new (batch->seq);
        for (size_t e = 0; e < batch->count; e++, k++) {
            const wire_outcome_t *o = &self->items[k].outcome;
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
        (void) receiver_reply (self->receiver, batch, &reply);
    }
    s_release_held (self);
    return 0;
}

/* The first connection: a database that is not there yet is waited for (with backoff),
   but a schema that cannot be brought up to date on a working connection is a failure a
   restart (or a person) has to solve. Returns 0, -1 when stopped, 1 on that failure. */
static int
s_first_connect (collector_t *self, const volatile sig_atomic_t *stop)
{
    backoff_t wait;
    backoff_init (&wait, 250, 10000);
    while (!*stop) {
        if (db_connect (self->db, stop, 10000) == 0)
            return 0;
        if (self->schema_broken) {
            log_error ("collector", "could not bring the database schema up to date", "%s",
                       db_describe (self->db));
            return 1;
        }
        s_sleep_ms (backoff_next (&wait), stop);
    }
    return -1;
}

int
collector_run (collector_t *self, const volatile sig_atomic_t *stop)
{
    int rc = s_first_connect (self, stop);
    if (rc > 0)
        return 1;
    size_t max_events = (size_t) self->opts->max_events;
    log_info ("collector", "ready", "max_events=%zu", max_events);
    s_stats_line (self);
    while (!*stop) {
        /* Nothing is read while the database is away: the high-water marks push back. */
        if (!db_is_connected (self->db) && db_ensure (self->db, stop) != 0)
            break;
        receiver_batch_t *batch = receiver_recv (self->receiver, 200);
        s_stats_line (self);
        if (!batch)
            continue;
        s_hold (self, batch);
        size_t events = batch->count;
        /* Group commit: batches already waiting share one transaction. */
        while (events < max_events && !*stop && (batch = receiver_recv (self->receiver, 0))) {
            s_hold (self, batch);
            events += batch->count;
        }
        (void) s_process_held (self, stop);
    }
    s_release_held (self);
    s_totals_line (self);
    log_info ("collector", "stopped", "exit_status=%d", 0);
    return 0;
}

int
collector_migrate_only (const collector_options_t *opts)
{
    db_t *db = db_new (opts->db, "parley-collector");
    collector_t shim = {.opts = opts};
    db_set_on_connect (db, s_on_connect, &shim);
    static const volatile sig_atomic_t never = 0;
    int rc = db_connect (db, &never, 30000) == 0 ? 0 : 1;
    db_destroy (&db);
    return rc;
}
