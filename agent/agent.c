/* The agent's loop (see agent.h). */
#include "agent.h"

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
    sender_t *sender;
    agent_counts_t counts;

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

    /* A valid line the spool could not take yet, kept encoded in rec until it can. */
    char *rec;
    size_t held_len;
    bool held;
    uint64_t held_offset, held_line;
    bool paused_full;      /* spool at --spool-max: wait for acks */
    bool pause_logged;     /* this pause was logged at warn (its end is then logged too) */
    int64_t last_full_log; /* under steady backpressure, say so once a minute, not per pause */
    bool paused_error;     /* append failed: retry at retry_at */
    int64_t retry_at;
    backoff_t io_backoff;
    bool sync_failed; /* fsync failed: input paused, spool_sync retried at sync_retry_at */
    int64_t sync_retry_at;
    backoff_t sync_backoff;

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
    self->counts.rejected_by_agent++;
    if (rejects_write (self->rejects, why, feed_name (self->feed), line, data, len) != 0) {
        /* logged with the reject itself */
    }
}

static void
s_advance (agent_t *self, uint64_t offset, uint64_t line)
{
    self->pos_offset = offset;
    self->pos_line = line;
    self->pos_dirty = feed_is_file (self->feed);
}

/* Appends the held record. Returns true once it is in the spool. */
static bool
s_append_held (agent_t *self, int64_t now)
{
    if (self->paused_error && now < self->retry_at)
        return false;
    if (self->paused_full && spool_is_full (self->spool, self->held_len))
        return false;
    uint64_t id;
    spool_status_t st = spool_append (self->spool, self->rec, self->held_len, &id);
    if (st == SPOOL_OK) {
        if (self->paused_error || (self->paused_full && self->pause_logged))
            log_info ("agent",
                      "spool has room again, input resumed",
                      "pending_bytes=%" PRIu64,
                      spool_pending_bytes (self->spool));
        else if (self->paused_full)
            log_debug ("agent",
                       "spool has room again, input resumed",
                       "pending_bytes=%" PRIu64,
                       spool_pending_bytes (self->spool));
        self->paused_full = self->paused_error = self->pause_logged = false;
        backoff_reset (&self->io_backoff);
        self->held = false;
        self->last_appended = id;
        self->counts.spooled++;
        s_advance (self, self->held_offset, self->held_line);
        return true;
    }
    if (st == SPOOL_FULL) {
        if (!self->paused_full) {
            self->pause_logged = self->last_full_log == 0 || now - self->last_full_log >= 60000;
            if (self->pause_logged) {
                log_warn ("agent",
                          "spool full, input paused",
                          "pending_bytes=%" PRIu64 " pending_records=%" PRIu64
                          " spool_max=%" PRIu64,
                          spool_pending_bytes (self->spool),
                          spool_pending_records (self->spool),
                          self->opts->spool_max);
                self->last_full_log = now;
            } else {
                log_debug ("agent",
                           "spool full, input paused",
                           "pending_bytes=%" PRIu64,
                           spool_pending_bytes (self->spool));
            }
        }
        self->paused_full = true;
        self->paused_error = false;
        return false;
    }
    int64_t wait = backoff_next (&self->io_backoff);
    log_error ("agent",
               "could not append to the spool, input paused",
               "err=\"%s\" retry_ms=%" PRId64,
               strerror (errno),
               wait);
    self->paused_full = false;
    self->paused_error = true;
    self->retry_at = now + wait;
    return false;
}

static bool
s_is_blank (const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r')
            return false;
    return true;
}

static void
s_take_line (agent_t *self, const feed_line_t *line, int64_t now)
{
    self->counts.read++;
    if (line->too_long) {
        reject_t why;
        /* Worded as event_parse words it, so the agent and the collector agree. */
        reject_set (
          &why, "", "line is %" PRIu64 " bytes long (at most %d)", line->total_len, FEED_LINE_MAX);
        s_reject (self, &why, line->number, NULL, 0);
        s_advance (self, line->end_offset, line->number);
        return;
    }
    if (s_is_blank (line->data, line->len)) {
        self->counts.blank++;
        s_advance (self, line->end_offset, line->number);
        return;
    }
    event_t ev;
    reject_t why;
    int rc = event_parse (&ev, line->data, line->len, event_now_us (), &why);
    event_fini (&ev);
    if (rc != 0) {
        s_reject (self, &why, line->number, line->data, line->len);
        s_advance (self, line->end_offset, line->number);
        return;
    }
    self->held_len = record_encode (
      self->rec, SPOOL_RECORD_MAX, feed_name (self->feed), line->number, line->data, line->len);
    assert (self->held_len > 0); /* a line of at most FEED_LINE_MAX always fits */
    self->held = true;
    self->held_offset = line->end_offset;
    self->held_line = line->number;
    s_append_held (self, now);
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
    uint64_t durable = spool_durable_id (self->spool);
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

/* An fsync failure pauses input: what was appended since the last good sync may not be
   on disk, so no position past it is saved, and nothing more is taken until a sync
   succeeds again. */
static void
s_sync_failed (agent_t *self, int64_t now)
{
    int64_t wait = backoff_next (&self->sync_backoff);
    log_error ("agent",
               "could not sync the spool, input paused",
               "err=\"%s\" retry_ms=%" PRId64,
               strerror (errno),
               wait);
    self->sync_failed = true;
    self->sync_retry_at = now + wait;
}

static int
s_sync (agent_t *self)
{
    if (spool_sync (self->spool) != 0) {
        s_sync_failed (self, zclock_mono ());
        return -1;
    }
    if (self->sync_failed)
        log_info ("agent",
                  "spool synced again, input resumed",
                  "pending_records=%" PRIu64,
                  spool_pending_records (self->spool));
    self->sync_failed = false;
    backoff_reset (&self->sync_backoff);
    return 0;
}

/* Group commit: fsync when the policy says so (or retry a failed one). */
static void
s_sync_if_due (agent_t *self, int64_t now)
{
    if (self->sync_failed) {
        if (now >= self->sync_retry_at && s_sync (self) != 0) {
            /* logged, retried later */
        }
        return;
    }
    if (spool_sync_if_due (self->spool) != 0)
        s_sync_failed (self, now);
}

static void
s_close_feed (agent_t *self, bool at_end)
{
    if (at_end && feed_is_file (self->feed)) {
        /* Make the file's last lines durable now, so that its end position can be saved
           before the feed (and the descriptor offsets needs) goes. */
        if (s_sync (self) == 0)
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
        if (self->held && !s_append_held (self, now))
            return;
        if (!self->feed && s_open_next_feed (self) != 0) {
            self->inputs_done = true;
            log_info ("agent",
                      "every input read",
                      "lines=%" PRIu64 " spooled=%" PRIu64 " rejected=%" PRIu64,
                      self->counts.read,
                      self->counts.spooled,
                      self->counts.rejected_by_agent);
            return;
        }
        feed_line_t line;
        switch (feed_next (self->feed, &line)) {
            case FEED_LINE:
                s_take_line (self, &line, now);
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

static bool
s_input_paused (agent_t *self)
{
    return self->sync_failed || (self->held && (self->paused_full || self->paused_error));
}

/* --- loop ------------------------------------------------------------------------- */

static void
s_progress (agent_t *self, int64_t now)
{
    if (now - self->last_progress < AGENT_PROGRESS_MS)
        return;
    self->last_progress = now;
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
s_once_done (agent_t *self)
{
    return self->opts->once && self->inputs_done && !self->held && self->nacks == 0 &&
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
    t = s_min_timeout (t, spool_sync_due_in_ms (self->spool));
    if (!self->inputs_done && !self->input_waiting && !s_input_paused (self))
        t = 0;
    if (self->held && self->paused_error)
        t = s_min_timeout (t, (int)(self->retry_at > now ? self->retry_at - now : 0));
    if (self->held && self->paused_full)
        t = s_min_timeout (t, 1000); /* room may come from an ack already handled */
    if (self->sync_failed)
        t = s_min_timeout (t, (int)(self->sync_retry_at > now ? self->sync_retry_at - now : 0));
    if (self->read_retry_at > now)
        t = s_min_timeout (t, (int)(self->read_retry_at - now));
    if (self->nacks > 0)
        t = s_min_timeout (t, (int)(self->ack_retry_at > now ? self->ack_retry_at - now : 0));
    if (self->pos_dirty || self->cand_valid)
        t = s_min_timeout (t, AGENT_OFFSETS_MS);
    t = s_min_timeout (t, AGENT_PROGRESS_MS);
    return t;
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
    self->rec = xmalloc (SPOOL_RECORD_MAX);
    backoff_init (&self->io_backoff, 500, 5000); /* a freed disk is found within 5 s */
    backoff_init (&self->read_backoff, 1000, 30000);
    backoff_init (&self->sync_backoff, 1000, 30000);
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
    rejects_close (&self->rejects);
    offsets_destroy (&self->offsets);
    spool_close (&self->spool);
    free (self->acks);
    free (self->rec);
    free (self);
    *self_p = NULL;
}

/* Everything taken is made durable and its position saved. Returns 0, or -1 if the
   spool could not be synced (positions then stay where they were: lines are read again,
   never lost). */
static int
s_finish (agent_t *self)
{
    int rc = s_sync (self);
    if (rc == 0)
        s_checkpoint (self, zclock_mono (), true);
    if (rejects_sync (self->rejects) != 0)
        rc = -1;
    if (offsets_save (self->offsets) != 0)
        rc = -1;
    return rc;
}

int
agent_run (agent_t *self, volatile sig_atomic_t *stop)
{
    zmq_pollitem_t items[4];
    while (!*stop) {
        int64_t now = zclock_mono ();
        s_retry_acks (self, now);
        s_fill_window (self, now);
        if (s_once_done (self))
            break;
        int n = sender_pollitems (self->sender, items, 3);
        if (self->input_waiting && self->feed && !s_input_paused (self))
            items[n++] = (zmq_pollitem_t){ NULL, feed_fd (self->feed), ZMQ_POLLIN, 0 };
        int timeout = s_timeout (self, now);
        if (zmq_poll (items, n, timeout) < 0 && zmq_errno () != EINTR) {
            log_error ("agent", "could not poll", "err=\"%s\"", zmq_strerror (zmq_errno ()));
            break;
        }
        if (*stop)
            break;
        sender_process (self->sender);
        now = zclock_mono ();
        if (!self->inputs_done && !self->sync_failed)
            s_read_input (self, now);
        s_sync_if_due (self, now);
        if (!self->sync_failed)
            s_checkpoint (self, now, false);
        s_progress (self, now);
    }
    bool finished = s_once_done (self);
    int rc = s_finish (self);
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
    return &self->counts;
}

void
agent_print_summary (agent_t *self, FILE *out)
{
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
