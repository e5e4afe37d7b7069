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
#include "feed.h"
#include "intake.h"
#include "log.h"
#include "mem.h"
#include "offsets.h"
#include "record.h"
#include "rejects.h"
#include "sender.h"
#include "spool.h"

/* Lines read per turn of the loop (and at most this long), so that a large file does
   not starve the socket. */
#define AGENT_READ_BUDGET 1000
#define AGENT_READ_MS 20
/* Input positions are saved at most this often (once their lines are durable): a crash
   reads again at most this much input, which the collector reports as duplicates. */
#define AGENT_OFFSETS_MS 100
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

    /* Input */
    int next_input; /* index of the next input to open */
    feed_t *feed;   /* the input being read */
    bool inputs_done;
    bool input_waiting;  /* the feed said FEED_WAIT: poll its descriptor */
    bool input_failed;   /* some input could not be read: the run ends with status 1 */
    uint64_t pos_offset; /* the feed's position past the last line taken (spooled or rejected) */
    uint64_t pos_line;
    bool pos_dirty;  /* pos moved since it was last noted */
    bool cand_valid; /* a noted position, saved once record cand_id is durable */
    uint64_t cand_offset, cand_line, cand_id;
    uint64_t last_appended; /* id of the last record appended */
    int64_t last_offsets_save;
    /* A line the intake could not take yet (spool full, disk error): offered again
       before the feed is read further (its data stays valid until then). */
    feed_line_t held_line;
    bool held;

    /* Delivery */
    int64_t read_retry_at; /* spool_read_next failed: not before this */
    backoff_t read_backoff;
    s_range_t *acks; /* acknowledgements the spool failed to record: retried */
    size_t nacks, acks_cap;
    int64_t ack_retry_at;

    int64_t last_progress;
    agent_counts_t progress_counts;
};

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

/* --- input ------------------------------------------------------------------------ */

static void
s_reject (agent_t *self, const reject_t *why, uint64_t line, const char *data, size_t len)
{
    intake_reject (self->intake, why, feed_name (self->feed), line, data, len);
}

static void
s_advance (agent_t *self, uint64_t offset, uint64_t line)
{
    self->pos_offset = offset;
    self->pos_line = line;
    self->pos_dirty = feed_is_file (self->feed);
}

static bool
s_is_blank (const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r')
            return false;
    return true;
}

/* Offers a line to the intake. Returns false when the intake could not take it now: the
   line is then held (the feed is not read further, so its data stays valid) and offered
   again later. */
static bool
s_take_line (agent_t *self, const feed_line_t *line)
{
    if (line->too_long) {
        reject_t why;
        /* Worded as event_parse words it, so the agent and the collector agree. */
        reject_set (
          &why, "", "line is %" PRIu64 " bytes long (at most %d)", line->total_len, FEED_LINE_MAX);
        intake_refuse (self->intake, &why, feed_name (self->feed), line->number, NULL, 0);
        s_advance (self, line->end_offset, line->number);
        return true;
    }
    if (s_is_blank (line->data, line->len)) {
        self->counts.blank++;
        s_advance (self, line->end_offset, line->number);
        return true;
    }
    uint64_t id;
    reject_t why;
    switch (intake_offer (
      self->intake, feed_name (self->feed), line->number, line->data, line->len, &id, &why)) {
        case INTAKE_TAKEN:
            self->last_appended = id;
            s_advance (self, line->end_offset, line->number);
            return true;
        case INTAKE_REJECTED:
            s_reject (self, &why, line->number, line->data, line->len);
            s_advance (self, line->end_offset, line->number);
            return true;
        case INTAKE_FULL:
        case INTAKE_FAILED:
            break;
    }
    self->held_line = *line;
    self->held = true;
    return false;
}

static void
s_save_position (agent_t *self, uint64_t offset, uint64_t line, int64_t now)
{
    offsets_update (self->offsets, feed_name (self->feed), feed_fd (self->feed), offset, line);
    /* Rejected lines before the saved position must not be lost either. */
    if (rejects_sync (self->rejects) != 0) {
        /* logged; a reject line is worth less than the delivery it would hold up */
    }
    if (offsets_save (self->offsets) != 0) {
        /* logged; the old positions stay: those lines are read again later */
    }
    self->last_offsets_save = now;
}

/* Saves the position of the feed being read once every line before it is durable. While
   input flows the spool is rarely synced up to the very last append, so a position is
   first noted with the id of the last record appended by then (a candidate) and saved
   when a later sync covers that id. With force (the caller has just synced), the
   current position is saved at once. */
static void
s_checkpoint (agent_t *self, int64_t now, bool force)
{
    if (!self->feed || !feed_is_file (self->feed))
        return;
    uint64_t durable = intake_durable_id (self->intake);
    if (force) {
        if (self->pos_dirty && durable >= self->last_appended) {
            s_save_position (self, self->pos_offset, self->pos_line, now);
            self->pos_dirty = self->cand_valid = false;
        }
        return;
    }
    if (self->cand_valid && durable >= self->cand_id) {
        s_save_position (self, self->cand_offset, self->cand_line, now);
        self->cand_valid = false;
    }
    if (!self->cand_valid && self->pos_dirty && now - self->last_offsets_save >= AGENT_OFFSETS_MS) {
        self->cand_valid = true;
        self->cand_offset = self->pos_offset;
        self->cand_line = self->pos_line;
        self->cand_id = self->last_appended;
        self->pos_dirty = false;
        if (durable >= self->cand_id) {
            s_save_position (self, self->cand_offset, self->cand_line, now);
            self->cand_valid = false;
        }
    }
}

static void
s_close_feed (agent_t *self, bool at_end)
{
    if (at_end && feed_is_file (self->feed)) {
        /* Make the file's last lines durable now, so that its end position can be saved
           before the feed (and the descriptor offsets needs) goes. */
        if (intake_sync (self->intake) == 0)
            s_checkpoint (self, zclock_mono (), true);
    }
    log_info (
      "agent", "input read", "input=\"%s\" lines=%" PRIu64, feed_name (self->feed), self->pos_line);
    feed_destroy (&self->feed);
    self->input_waiting = false;
    self->pos_dirty = self->cand_valid = false;
}

static int
s_open_next_feed (agent_t *self)
{
    while (self->next_input < self->opts->ninputs) {
        const char *path = self->opts->inputs[self->next_input++];
        char err[512];
        feed_t *feed = feed_open (path, err, sizeof err);
        if (!feed) {
            log_error (
              "agent", "could not open input, skipped", "input=\"%s\" err=\"%s\"", path, err);
            self->input_failed = true;
            continue;
        }
        uint64_t offset = 0, line = 0;
        if (feed_is_file (feed)) {
            offsets_resume (self->offsets, path, feed_fd (feed), &offset, &line);
            if (offset > 0 && feed_resume (feed, offset, line) != 0) {
                log_warn ("agent",
                          "could not resume input where it stopped, reading it from the start",
                          "input=\"%s\" offset=%" PRIu64,
                          path,
                          offset);
                offset = line = 0;
            }
        }
        self->feed = feed;
        self->pos_offset = offset;
        self->pos_line = line;
        self->pos_dirty = self->cand_valid = false;
        log_info ("agent",
                  "reading input",
                  "input=\"%s\" from_line=%" PRIu64 " from_offset=%" PRIu64,
                  path,
                  line + 1,
                  offset);
        return 0;
    }
    return -1;
}

static void
s_read_input (agent_t *self, int64_t now)
{
    self->input_waiting = false;
    for (int budget = AGENT_READ_BUDGET; budget > 0 && !self->inputs_done; budget--) {
        if (budget % 100 == 0 && zclock_mono () - now >= AGENT_READ_MS)
            return;
        if (self->held) {
            feed_line_t line = self->held_line;
            self->held = false;
            if (!s_take_line (self, &line))
                return;
        }
        if (!self->feed && s_open_next_feed (self) != 0) {
            self->inputs_done = true;
            log_info ("agent",
                      "every input read",
                      "lines=%" PRIu64 " spooled=%" PRIu64 " rejected=%" PRIu64,
                      self->counts.read,
                      intake_stats (self->intake)->taken,
                      intake_stats (self->intake)->rejected);
            return;
        }
        feed_line_t line;
        switch (feed_next (self->feed, &line)) {
            case FEED_LINE:
                self->counts.read++;
                if (!s_take_line (self, &line))
                    return;
                break;
            case FEED_WAIT:
                self->input_waiting = true;
                return;
            case FEED_EOF:
                s_close_feed (self, true);
                break;
            case FEED_ERROR:
                log_error ("agent",
                           "could not read input, skipped the rest",
                           "input=\"%s\" line=%" PRIu64 " err=\"%s\"",
                           feed_name (self->feed),
                           self->pos_line,
                           strerror (errno));
                self->input_failed = true;
                s_close_feed (self, false);
                break;
        }
    }
}

/* The file inputs as the agent's own producer. */
static int
s_files_pollitems (void *arg, zmq_pollitem_t *items, int max)
{
    agent_t *self = arg;
    if (max < 1 || !self->input_waiting || !self->feed || intake_is_paused (self->intake))
        return 0;
    items[0] = (zmq_pollitem_t){ NULL, feed_fd (self->feed), ZMQ_POLLIN, 0 };
    return 1;
}

static int
s_files_timeout (void *arg, int64_t now)
{
    agent_t *self = arg;
    (void)now;
    int t = -1;
    if (!self->inputs_done && !self->input_waiting && !intake_is_paused (self->intake))
        t = 0;
    if (self->pos_dirty || self->cand_valid)
        t = t < 0 || t > AGENT_OFFSETS_MS ? AGENT_OFFSETS_MS : t;
    return t;
}

static void
s_files_process (void *arg, zmq_pollitem_t *items, int n, int64_t now)
{
    agent_t *self = arg;
    (void)items;
    (void)n;
    if (!self->inputs_done && !intake_is_paused (self->intake))
        s_read_input (self, now);
}

static bool
s_files_is_idle (void *arg)
{
    agent_t *self = arg;
    return self->inputs_done && !self->held;
}

/* --- loop ------------------------------------------------------------------------- */

static void
s_fill_counts (agent_t *self)
{
    const intake_stats_t *st = intake_stats (self->intake);
    self->counts.spooled = st->taken;
    self->counts.rejected_by_agent = st->rejected;
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
s_min_timeout (int a, int b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

static int
s_timeout (agent_t *self, int64_t now)
{
    int t = sender_timeout_ms (self->sender);
    t = s_min_timeout (t, intake_timeout_ms (self->intake, now));
    for (int i = 0; i < self->nproducers; i++) {
        agent_producer_t *p = &self->producers[i];
        if (p->timeout_ms)
            t = s_min_timeout (t, p->timeout_ms (p->self, now));
    }
    if (self->read_retry_at > now)
        t = s_min_timeout (t, (int)(self->read_retry_at - now));
    if (self->nacks > 0)
        t = s_min_timeout (t, (int)(self->ack_retry_at > now ? self->ack_retry_at - now : 0));
    t = s_min_timeout (t, AGENT_PROGRESS_MS);
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
agent_new (const agent_options_t *opts, char *err, size_t errlen)
{
    const char *dir = opts->spool_dir;
    if (mkdir (dir, 0750) != 0 && errno != EEXIST) {
        snprintf (
          err, errlen, "could not create spool directory \"%s\": %s", dir, strerror (errno));
        return NULL;
    }
    for (int i = 0; i < opts->ninputs; i++) {
        if (strcmp (opts->inputs[i], "-") == 0)
            continue;
        feed_t *feed = feed_open (opts->inputs[i], err, errlen);
        if (!feed)
            return NULL;
        feed_destroy (&feed);
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
    if (sopts.resend_max_ms < 6 * opts->resend_ms)
        sopts.resend_max_ms = 6 * opts->resend_ms;
    sender_handler_t handler = { s_on_outcome, s_on_done, self };
    self->sender = sender_new (&sopts, &handler);
    if (!self->sender) {
        snprintf (err, errlen, "could not create the collector socket");
        goto fail;
    }
    agent_producer_t files = {
        self, s_files_pollitems, s_files_timeout, s_files_process, s_files_is_idle, NULL
    };
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
    feed_destroy (&self->feed);
    intake_destroy (&self->intake);
    rejects_close (&self->rejects);
    offsets_destroy (&self->offsets);
    spool_close (&self->spool);
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
    if (rc == 0)
        s_checkpoint (self, zclock_mono (), true);
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
    while (!*stop) {
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
        s_checkpoint (self, now, false);
        s_progress (self, now);
    }
    bool finished = s_once_done (self);
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
    if (self->input_failed)
        rc = -1;
    return rc;
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
