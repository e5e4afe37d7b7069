/* The one way into the spool (see intake.h): the v1 check, the record with its source,
   the append, and what happens when the spool is full or the disk fails. */
#include "intake.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "event.h"
#include "log.h"
#include "mem.h"
#include "record.h"
#include "poll_timeout.h"

struct intake {
    spool_t *spool;
    rejects_t *rejects;
    uint64_t spool_max;
    char *rec; /* one encoded record */
    intake_stats_t stats;
    uint64_t last_id;

    bool paused_full;      /* the last offer found the spool at --spool-max */
    bool pause_logged;     /* this pause was logged at warn (its end is then logged too) */
    int64_t last_full_log; /* under steady backpressure, say so once a minute, not per pause */
    bool paused_error;     /* an append failed: nothing is tried before retry_at */
    int64_t retry_at;
    backoff_t io_backoff;
    bool sync_failed; /* fsync failed: offers refused, spool_sync retried at sync_retry_at */
    int64_t sync_retry_at;
    backoff_t sync_backoff;
    bool want_sync;
};

intake_t *
intake_new (spool_t *spool, rejects_t *rejects, uint64_t spool_max)
{
    intake_t *self = xcalloc (1, sizeof *self);
    self->spool = spool;
    self->rejects = rejects;
    self->spool_max = spool_max;
    self->rec = xmalloc (SPOOL_RECORD_MAX);
    backoff_init (&self->io_backoff, 500, 5000); /* a freed disk is found within 5 s */
    backoff_init (&self->sync_backoff, 1000, 30000);
    return self;
}

void
intake_destroy (intake_t **self_p)
{
    if (!*self_p)
        return;
    intake_t *self = *self_p;
    free (self->rec);
    free (self);
    *self_p = NULL;
}

static void
s_resumed (intake_t *self)
{
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
}

static void
s_full (intake_t *self, int64_t now)
{
    if (!self->paused_full) {
        self->pause_logged = self->last_full_log == 0 || now - self->last_full_log >= 60000;
        if (self->pause_logged) {
            log_warn ("agent",
                      "spool full, input paused",
                      "pending_bytes=%" PRIu64 " pending_records=%" PRIu64 " spool_max=%" PRIu64,
                      spool_pending_bytes (self->spool),
                      spool_pending_records (self->spool),
                      self->spool_max);
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
}

static void
s_append_failed (intake_t *self, int64_t now)
{
    int64_t wait = backoff_next (&self->io_backoff);
    log_error ("agent",
               "could not append to the spool, input paused",
               "err=\"%s\" retry_ms=%" PRId64,
               strerror (errno),
               wait);
    self->paused_full = false;
    self->paused_error = true;
    self->retry_at = now + wait;
}

intake_status_t
intake_offer (intake_t *self,
              const char *source,
              uint64_t line,
              const char *data,
              size_t len,
              uint64_t *id,
              reject_t *why)
{
    int64_t now = zclock_mono ();
    if (self->sync_failed || (self->paused_error && now < self->retry_at))
        return INTAKE_FAILED;
    size_t source_len = strlen (source);
    if (source_len > RECORD_SOURCE_MAX)
        source_len = RECORD_SOURCE_MAX;
    /* While full, ask the spool before spending a check on the event. */
    if (self->paused_full && spool_is_full (self->spool, RECORD_HEADER + source_len + len))
        return INTAKE_FULL;

    event_t ev;
    int rc = event_parse (&ev, data, len, event_now_us (), why);
    event_fini (&ev);
    if (rc != 0) {
        self->stats.rejected++;
        return INTAKE_REJECTED;
    }
    size_t n = record_encode (self->rec, SPOOL_RECORD_MAX, source, line, data, len);
    assert (n > 0); /* an event of at most EVENT_LINE_MAX bytes always fits */
    uint64_t got;
    switch (spool_append (self->spool, self->rec, n, &got)) {
        case SPOOL_OK:
            s_resumed (self);
            self->last_id = got;
            self->stats.taken++;
            *id = got;
            return INTAKE_TAKEN;
        case SPOOL_FULL:
            s_full (self, now);
            return INTAKE_FULL;
        default:
            s_append_failed (self, now);
            return INTAKE_FAILED;
    }
}

void
intake_reject (intake_t *self,
               const reject_t *why,
               const char *source,
               uint64_t line,
               const char *data,
               size_t len)
{
    if (rejects_write (self->rejects, why, source, line, data, len) != 0) {
        /* logged with the reject itself; it waits in memory */
    }
}

void
intake_refuse (intake_t *self,
               const reject_t *why,
               const char *source,
               uint64_t line,
               const char *data,
               size_t len)
{
    self->stats.rejected++;
    intake_reject (self, why, source, line, data, len);
}

uint64_t
intake_durable_id (intake_t *self)
{
    return spool_durable_id (self->spool);
}

uint64_t
intake_last_id (intake_t *self)
{
    return self->last_id;
}

void
intake_want_sync (intake_t *self)
{
    self->want_sync = true;
}

/* An fsync failure pauses every producer: what was appended since the last good sync may
   not be on disk, so no position past it may be saved, and nothing more is taken until a
   sync succeeds again. */
static void
s_sync_failed (intake_t *self, int64_t now)
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

int
intake_sync (intake_t *self)
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
    self->want_sync = false;
    backoff_reset (&self->sync_backoff);
    /* Rejected lines before a saved position must not be lost either. */
    if (rejects_sync (self->rejects) != 0) {
        /* logged; a reject line is worth less than the delivery it would hold up */
    }
    return 0;
}

bool
intake_is_paused (intake_t *self)
{
    if (self->sync_failed)
        return true;
    if (self->paused_error)
        return zclock_mono () < self->retry_at;
    /* A record of a typical size: room for it means an offer is worth making. */
    return self->paused_full && spool_is_full (self->spool, 1024);
}

void
intake_process (intake_t *self, int64_t now)
{
    if (self->sync_failed) {
        if (now >= self->sync_retry_at && intake_sync (self) != 0) {
            /* logged, retried later */
        }
        return;
    }
    if (self->want_sync && spool_durable_id (self->spool) < self->last_id) {
        if (intake_sync (self) != 0) {
            /* logged, retried later */
        }
        return;
    }
    self->want_sync = false;
    if (spool_sync_if_due (self->spool) != 0)
        s_sync_failed (self, now);
}

int
intake_timeout_ms (intake_t *self, int64_t now)
{
    if (self->sync_failed)
        return (int)(self->sync_retry_at > now ? self->sync_retry_at - now : 0);
    if (self->want_sync)
        return 0;
    int t = spool_sync_due_in_ms (self->spool);
    if (self->paused_error)
        t = poll_timeout_min (t, (int)(self->retry_at > now ? self->retry_at - now : 0));
    if (self->paused_full)
        t = poll_timeout_min (t, 1000); /* room may come from an ack already handled */
    return t;
}

const intake_stats_t *
intake_stats (intake_t *self)
{
    return &self->stats;
}
