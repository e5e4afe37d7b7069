/* The agent's loop (see agent.h). */
#include "agent.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backoff.h"
#include "event.h"
#include "input_set.h"
#include "intake.h"
#include "log.h"
#include "mem.h"
#include "offsets.h"
#include "record.h"
#include "rejects.h"
#include "sender.h"
#include "spool.h"
#include "poll_timeout.h"
#include "daemon_signals.h"
#include "service_notify.h"

#define AGENT_PROGRESS_MS 30000

typedef struct {
    uint64_t first, last;
} s_range_t;

struct agent {
    const agent_options_t *opts;
    spool_t *spool;
    offsets_t *offsets;
    rejects_t *rejects;
    intake_t *intake;
    sender_t *sender;
    agent_counts_t counts;
    agent_producer_t producers[AGENT_PRODUCERS_MAX];
    int nproducers;

    input_set_t *inputs; /* the file inputs: the agent's own producer */
    bool stopped_early;  /* --once: stopped (signal, --timeout) before it was done */
    bool timed_out;

    /* Delivery */
    int64_t read_retry_at; /* spool_read_next failed: not before this */
    backoff_t read_backoff;
    s_range_t *acks; /* acknowledgements the spool failed to record: retried */
    size_t nacks, acks_cap;
    int64_t ack_retry_at;

    int64_t last_progress;
    agent_counts_t progress_counts;
    void (*on_read) (void *arg, const char *source); /* agent_on_read */
    void *on_read_arg;
};

static void
s_on_read (void *arg, const char *source)
{
    agent_t *self = arg;
    if (self->on_read)
        self->on_read (self->on_read_arg, source);
}

/* --- outcomes --------------------------------------------------------------------- */

static void
s_on_outcome (void *arg, const sender_event_t *event, const wire_outcome_t *outcome)
{
    agent_t *self = arg;
    self->counts.sent++;
    switch (outcome->verdict) {
        case WIRE_ACCEPTED:
            self->counts.accepted++;
            break;
        case WIRE_DUPLICATE:
            self->counts.duplicates++;
            break;
        case WIRE_REJECTED:
            self->counts.rejected_by_collector++;
            if (rejects_write (self->rejects,
                               &outcome->why,
                               event->source,
                               event->line,
                               event->data,
                               event->len) != 0) {
                /* logged with the reject itself */
            }
            break;
    }
}

static void
s_ack (agent_t *self, uint64_t first, uint64_t last)
{
    if (spool_ack (self->spool, first, last) == 0)
        return;
    log_error ("agent",
               "could not acknowledge records in the spool, will retry",
               "first=%" PRIu64 " last=%" PRIu64 " err=\"%s\"",
               first,
               last,
               strerror (errno));
    if (self->nacks == self->acks_cap) {
        self->acks_cap = self->acks_cap ? 2 * self->acks_cap : 8;
        self->acks = xrealloc (self->acks, self->acks_cap * sizeof *self->acks);
    }
    self->acks[self->nacks++] = (s_range_t){ first, last };
    self->ack_retry_at = zclock_mono () + 1000;
}

static void
s_on_done (void *arg, uint64_t first, uint64_t last, size_t count)
{
    agent_t *self = arg;
    s_ack (self, first, last);
}

static void
s_retry_acks (agent_t *self, int64_t now)
{
    if (self->nacks == 0 || now < self->ack_retry_at)
        return;
    size_t n = self->nacks;
    s_range_t *acks = self->acks;
    self->acks = NULL;
    self->nacks = self->acks_cap = 0;
    for (size_t i = 0; i < n; i++)
        s_ack (self, acks[i].first, acks[i].last);
    free (acks);
}

/* --- delivery --------------------------------------------------------------------- */

/* Fills the sender's window with records read back from the spool. */
static void
s_fill_window (agent_t *self, int64_t now)
{
    if (now < self->read_retry_at)
        return;
    while (sender_has_room (self->sender)) {
        uint64_t id;
        const void *data;
        size_t len;
        int rc = spool_read_next (self->spool, &id, &data, &len);
        if (rc < 0) {
            int64_t wait = backoff_next (&self->read_backoff);
            log_error ("agent",
                       "could not read the spool, will retry",
                       "err=\"%s\" retry_ms=%" PRId64,
                       strerror (errno),
                       wait);
            self->read_retry_at = now + wait;
            break;
        }
        backoff_reset (&self->read_backoff);
        if (rc == 0)
            break;
        record_t rec;
        if (record_decode (data, len, &rec) != 0) {
            /* Checksummed by the spool, so written by something else than this agent. */
            log_error ("agent",
                       "spool record is not an event record, set aside",
                       "id=%" PRIu64 " bytes=%zu",
                       id,
                       len);
            s_ack (self, id, id);
            continue;
        }
        char source[RECORD_SOURCE_MAX + 1];
        memcpy (source, rec.source, rec.source_len);
        source[rec.source_len] = '\0';
        sender_event_t event = { id, source, rec.line, rec.data, rec.len };
        sender_add (self->sender, &event);
    }
    sender_flush (self->sender);
}

/* --- loop ------------------------------------------------------------------------- */

static void
s_fill_counts (agent_t *self)
{
    const intake_stats_t *st = intake_stats (self->intake);
    self->counts.spooled = st->taken;
    self->counts.rejected_by_agent = st->rejected;
    if (self->inputs) {
        self->counts.read = input_set_counts (self->inputs)->read;
        self->counts.blank = input_set_counts (self->inputs)->blank;
    }
}

static void
s_progress (agent_t *self, int64_t now)
{
    if (now - self->last_progress < AGENT_PROGRESS_MS)
        return;
    self->last_progress = now;
    s_fill_counts (self);
    if (memcmp (&self->progress_counts, &self->counts, sizeof self->counts) == 0)
        return;
    self->progress_counts = self->counts;
    const sender_stats_t *st = sender_stats (self->sender);
    log_info ("agent",
              "progress",
              "read=%" PRIu64 " spooled=%" PRIu64 " sent=%" PRIu64 " accepted=%" PRIu64
              " duplicates=%" PRIu64 " rejected_by_agent=%" PRIu64 " rejected_by_collector=%" PRIu64
              " pending=%" PRIu64 " resends=%" PRIu64 " failovers=%" PRIu64,
              self->counts.read,
              self->counts.spooled,
              self->counts.sent,
              self->counts.accepted,
              self->counts.duplicates,
              self->counts.rejected_by_agent,
              self->counts.rejected_by_collector,
              spool_pending_records (self->spool),
              st->resends,
              st->failovers);
}

static bool
s_producers_idle (agent_t *self)
{
    for (int i = 0; i < self->nproducers; i++) {
        agent_producer_t *p = &self->producers[i];
        if (p->is_idle && !p->is_idle (p->self))
            return false;
    }
    return true;
}

static bool
s_once_done (agent_t *self)
{
    return self->opts->once && s_producers_idle (self) && self->nacks == 0 &&
           sender_in_flight (self->sender) == 0 && spool_pending_records (self->spool) == 0;
}

static int
s_timeout (agent_t *self, int64_t now)
{
    int t = sender_timeout_ms (self->sender);
    t = poll_timeout_min (t, intake_timeout_ms (self->intake, now));
    for (int i = 0; i < self->nproducers; i++) {
        agent_producer_t *p = &self->producers[i];
        if (p->timeout_ms)
            t = poll_timeout_min (t, p->timeout_ms (p->self, now));
    }
    if (self->read_retry_at > now)
        t = poll_timeout_min (t, (int)(self->read_retry_at - now));
    if (self->nacks > 0)
        t = poll_timeout_min (t, (int)(self->ack_retry_at > now ? self->ack_retry_at - now : 0));
    t = poll_timeout_min (t, AGENT_PROGRESS_MS);
    return t;
}

int
agent_add_producer (agent_t *self, const agent_producer_t *producer)
{
    assert (producer->process);
    if (self->nproducers == AGENT_PRODUCERS_MAX)
        return -1;
    self->producers[self->nproducers++] = *producer;
    return 0;
}

intake_t *
agent_intake (agent_t *self)
{
    return self->intake;
}

agent_t *
agent_new (const agent_options_t *opts, const csv_mapping_t *mapping, char *err, size_t errlen)
{
    const char *dir = opts->spool_dir;
    if (mkdir (dir, 0750) != 0 && errno != EEXIST) {
        snprintf (
          err, errlen, "could not create spool directory \"%s\": %s", dir, strerror (errno));
        return NULL;
    }
    agent_t *self = xcalloc (1, sizeof *self);
    self->opts = opts;
    backoff_init (&self->read_backoff, 1000, 30000);
    self->last_progress = zclock_mono ();

    spool_options_t so;
    spool_options_defaults (&so);
    so.max_bytes = opts->spool_max;
    so.fsync_always = opts->fsync == AGENT_FSYNC_ALWAYS;
    /* Whole segments are reclaimed: keep several within the bound so acks free room. */
    if (so.segment_bytes > so.max_bytes / 8) {
        so.segment_bytes = so.max_bytes / 8;
        if (so.segment_bytes < 2 * SPOOL_RECORD_MAX)
            so.segment_bytes = 2 * SPOOL_RECORD_MAX;
    }
    self->spool = spool_open (dir, &so, err, errlen);
    if (!self->spool)
        goto fail;
    self->offsets = offsets_open (dir, err, errlen);
    if (!self->offsets)
        goto fail;
    self->rejects = rejects_open (dir, err, errlen);
    if (!self->rejects)
        goto fail;
    self->intake = intake_new (self->spool, self->rejects, opts->spool_max);
    sender_options_t sopts;
    sender_options_defaults (&sopts);
    sopts.endpoints = opts->connect.items;
    sopts.nendpoints = opts->connect.count;
    sopts.batch_max = (size_t)opts->batch;
    sopts.window = (size_t)opts->window;
    sopts.resend_ms = opts->resend_ms;
    sopts.curve_secret = opts->curve_secret;
    sopts.collector_key = opts->collector_key;
    if (sopts.resend_max_ms < 6 * opts->resend_ms)
        sopts.resend_max_ms = 6 * opts->resend_ms;
    sender_handler_t handler = { s_on_outcome, s_on_done, self };
    self->sender = sender_new (&sopts, &handler);
    if (!self->sender) {
        snprintf (err, errlen, "could not create the collector socket");
        goto fail;
    }
    input_set_options_t io = { .inputs = (const char *const *)opts->inputs,
                               .ninputs = opts->ninputs,
                               .watch = opts->watch.items,
                               .nwatch = opts->watch.count,
                               .follow = opts->follow,
                               .once = opts->once,
                               .mapping = mapping,
                               .on_read = s_on_read,
                               .on_read_arg = self };
    self->inputs = input_set_new (&io, self->intake, self->offsets, self->rejects, err, errlen);
    if (!self->inputs)
        goto fail;
    agent_producer_t files = { self->inputs,      input_set_pollitems, input_set_timeout_ms,
                               input_set_process, input_set_is_idle,   input_set_finish };
    if (agent_add_producer (self, &files) != 0)
        abort (); /* the first producer always fits */
    log_info ("agent",
              "agent started",
              "spool=\"%s\" pending_records=%" PRIu64 " pending_bytes=%" PRIu64
              " inputs=%d endpoint=\"%s\"",
              dir,
              spool_pending_records (self->spool),
              spool_pending_bytes (self->spool),
              opts->ninputs,
              sender_endpoint (self->sender));
    return self;
fail:
    agent_destroy (&self);
    return NULL;
}

void
agent_destroy (agent_t **self_p)
{
    if (!*self_p)
        return;
    agent_t *self = *self_p;
    sender_destroy (&self->sender);
    input_set_destroy (&self->inputs);
    intake_destroy (&self->intake);
    rejects_destroy (&self->rejects);
    offsets_destroy (&self->offsets);
    spool_destroy (&self->spool);
    free (self->acks);
    free (self);
    *self_p = NULL;
}

/* Everything taken is made durable and its position saved. Returns 0, or -1 if the
   spool could not be synced (positions then stay where they were: lines are read again,
   never lost). */
static int
s_finish (agent_t *self)
{
    int rc = intake_sync (self->intake);
    for (int i = 0; i < self->nproducers; i++) {
        agent_producer_t *p = &self->producers[i];
        if (p->finish)
            p->finish (p->self);
    }
    if (rejects_sync (self->rejects) != 0)
        rc = -1;
    if (offsets_save (self->offsets) != 0)
        rc = -1;
    return rc;
}

int
agent_run (agent_t *self, volatile sig_atomic_t *stop)
{
    zmq_pollitem_t items[AGENT_POLLITEMS_MAX];
    int first[AGENT_PRODUCERS_MAX], count[AGENT_PRODUCERS_MAX];
    int64_t deadline = zclock_mono () + (int64_t)self->opts->timeout_s * 1000;
    while (!*stop) {
        service_notify_turn (); /* READY=1 at the first turn, then the watchdog */
        daemon_signals_turn (); /* logs signals, SIGHUP reloads: in the loop, not a handler */
        int64_t now = zclock_mono ();
        s_retry_acks (self, now);
        s_fill_window (self, now);
        if (s_once_done (self))
            break;
        int n = sender_pollitems (self->sender, items, 3);
        for (int i = 0; i < self->nproducers; i++) {
            agent_producer_t *p = &self->producers[i];
            first[i] = n;
            count[i] =
              p->pollitems ? p->pollitems (p->self, items + n, AGENT_POLLITEMS_MAX - n) : 0;
            n += count[i];
        }
        int timeout = s_timeout (self, now);
        if (self->opts->timeout_s > 0)
            timeout = poll_timeout_min (timeout, (int)(deadline > now ? deadline - now : 0));
        if (zmq_poll (items, n, timeout) < 0 && zmq_errno () != EINTR) {
            log_error ("agent", "could not poll", "err=\"%s\"", zmq_strerror (zmq_errno ()));
            break;
        }
        if (*stop)
            break;
        sender_process (self->sender);
        now = zclock_mono ();
        intake_process (self->intake, now);
        for (int i = 0; i < self->nproducers; i++) {
            agent_producer_t *p = &self->producers[i];
            p->process (p->self, items + first[i], count[i], now);
        }
        intake_process (self->intake, now);
        s_progress (self, now);
        if (self->opts->timeout_s > 0 && now >= deadline) {
            self->timed_out = true;
            break;
        }
    }
    bool finished = s_once_done (self);
    self->stopped_early = self->opts->once && !finished;
    int rc = s_finish (self);
    s_fill_counts (self);
    const sender_stats_t *st = sender_stats (self->sender);
    log_info ("agent",
              finished ? "agent finished" : "agent stopping",
              "read=%" PRIu64 " spooled=%" PRIu64 " sent=%" PRIu64 " pending=%" PRIu64
              " resends=%" PRIu64 " failovers=%" PRIu64,
              self->counts.read,
              self->counts.spooled,
              self->counts.sent,
              spool_pending_records (self->spool),
              st->resends,
              st->failovers);
    if (input_set_failed (self->inputs))
        rc = -1;
    return rc;
}

void
agent_backlog (agent_t *self, agent_backlog_t *backlog)
{
    backlog->records = spool_pending_records (self->spool);
    backlog->bytes = spool_pending_bytes (self->spool);
    backlog->spool_max = self->opts->spool_max;
}

void
agent_health (agent_t *self, agent_health_t *health)
{
    const sender_stats_t *ss = sender_stats (self->sender);
    spool_stats_t sp;
    spool_get_stats (self->spool, &sp);
    *health = (agent_health_t){ .resends = ss->resends,
                                .failovers = ss->failovers,
                                .errors = ss->errors,
                                .last_reply_ms = ss->last_reply_ms,
                                .last_outcomes_ms = ss->last_outcomes_ms,
                                .quarantined_records = sp.quarantined_records,
                                .quarantined_bytes = sp.quarantined_bytes,
                                .spool_paused = intake_is_paused (self->intake) };
}

void
agent_on_read (agent_t *self, void (*fn) (void *arg, const char *source), void *arg)
{
    self->on_read = fn;
    self->on_read_arg = arg;
}

bool
agent_stopped_early (agent_t *self, bool *timed_out)
{
    if (timed_out)
        *timed_out = self->timed_out;
    return self->stopped_early;
}

bool
agent_inputs_read (agent_t *self)
{
    return input_set_is_idle (self->inputs);
}

uint64_t
agent_unacknowledged (agent_t *self)
{
    return spool_pending_records (self->spool);
}

const agent_counts_t *
agent_counts (agent_t *self)
{
    s_fill_counts (self);
    return &self->counts;
}

void
agent_print_summary (agent_t *self, FILE *out)
{
    s_fill_counts (self);
    const agent_counts_t *c = &self->counts;
    fprintf (out,
             "parley-agent: read %" PRIu64 " lines, sent %" PRIu64 " events, %" PRIu64
             " accepted, %" PRIu64 " duplicates, %" PRIu64 " rejected (%" PRIu64
             " by the agent, %" PRIu64 " by the collector)",
             c->read,
             c->sent,
             c->accepted,
             c->duplicates,
             c->rejected_by_agent + c->rejected_by_collector,
             c->rejected_by_agent,
             c->rejected_by_collector);
    if (c->blank > 0)
        fprintf (out, ", %" PRIu64 " blank %s skipped", c->blank, c->blank == 1 ? "line" : "lines");
    fputc ('\n', out);
    fflush (out);
}
