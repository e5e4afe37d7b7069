/* The agent's durable spool (spool.h): the facade that ties the parts together. The
   on-disk format and the recovery rules are in docs/SPOOL.md; each part says what it
   guarantees at the top of its header:

     spool_frame.h       how one record is framed on disk (length, id, CRC)
     spool_segments.h    the segment files: naming, listing, creating, deleting, reading
     spool_cursor.h      reading records back, cutting torn tails, setting damage aside
     spool_quarantine.h  the durable copy of damaged bytes, made before they are covered
     spool_writer.h      appending, and the group-commit policy
     spool_acks.h        acknowledged ranges, records in flight, the floor
     spool_ack_file.h    the saved floor (DIR/spool/ack)

   What is left here is the order of things: open recovers before anything is appended
   or read, the floor moves before segments are reclaimed, and the reader never stands
   below the floor. */
#include "spool.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "mem.h"
#include "spool_ack_file.h"
#include "spool_acks.h"
#include "spool_cursor.h"
#include "spool_frame.h"
#include "spool_segments.h"
#include "spool_writer.h"

#define S_SEGMENT_MAX (1024ull * 1024 * 1024) /* a padding record's length is 32 bits */
#define S_LOCK_FILE "lock"

struct spool {
    char *dir;            /* DIR */
    char *spool_dir;      /* DIR/spool */
    char *quarantine_dir; /* DIR/quarantine */
    spool_options_t opts;
    int lock_fd;
    spool_segments_t segs;
    spool_writer_t writer;
    spool_acks_t acks;
    spool_ack_file_t ack_file;
    spool_cursor_t rd; /* the reader */
    spool_stats_t stats;
};

void
spool_options_defaults (spool_options_t *opts)
{
    opts->max_bytes = 1024ull * 1024 * 1024;
    opts->segment_bytes = 64ull * 1024 * 1024;
    opts->fsync_interval_ms = 50;
    opts->fsync_records = 1000;
    opts->fsync_always = false;
}

/* --- keeping the parts in step ------------------------------------------------------ */

/* Deletes the segments wholly at or below the floor, keeping the reader on a segment
   that exists and not below the floor. Returns 0, or -1 (logged; tried again later). */
static int
s_reclaim (spool_t *self)
{
    size_t removed = 0;
    int rc = spool_segments_reclaim (&self->segs, self->acks.floor, &removed);
    if (removed == 0)
        return rc;
    spool_cursor_segments_removed (&self->rd, removed);
    if (spool_cursor_pos (&self->rd) < self->acks.floor_pos)
        spool_cursor_seek (&self->rd, self->acks.floor_pos, self->acks.floor);
    return rc;
}

static bool
s_ack_file_due (spool_t *self, int64_t now)
{
    return spool_ack_file_due_in (
             &self->ack_file, self->acks.floor, now, self->opts.fsync_interval_ms) == 0;
}

/* After the floor may have moved: reclaims, keeps the reader above the floor, and saves
   the floor lazily when due. Returns 0, or -1 when a segment could not be deleted. */
static int
s_floor_advance (spool_t *self)
{
    if (!spool_acks_advance (&self->acks))
        return 0;
    int rc = s_reclaim (self);
    if (spool_cursor_pos (&self->rd) < self->acks.floor_pos)
        spool_cursor_seek (&self->rd, self->acks.floor_pos, self->acks.floor);
    if (s_ack_file_due (self, zclock_mono ()) &&
        spool_ack_file_save (&self->ack_file, self->acks.floor, false) != 0) {
        /* logged; costs resends at worst */
    }
    return rc;
}

/* When an append fails (a full disk) and every record is acknowledged, the space the
   active segment holds can only come back by leaving it: a new, empty segment becomes the
   active one and the old, now sealed and wholly acknowledged, is deleted. Without this a
   spool that filled its own disk would wait for ever with nothing left to deliver. Done
   only then, not whenever the spool is caught up, so that a trickle of events does not
   cost a file per event. Returns 1 when space was given back (worth trying again), 0 when
   there was nothing to give, -1 on failure (logged by the callee). */
static int
s_retire_active (spool_t *self)
{
    if (self->acks.floor < self->writer.last_id || spool_segments_active (&self->segs)->size == 0)
        return 0;
    int e = errno;
    if (spool_writer_roll (&self->writer) != 0 || s_reclaim (self) != 0) {
        errno = e;
        return -1;
    }
    log_info ("spool",
              "acknowledged active segment deleted to make room",
              "next_segment=%" PRIu64,
              spool_segments_active (&self->segs)->first);
    return 1;
}

/* --- open and close ----------------------------------------------------------------- */

static int
s_mkdir (const char *path, char *err, size_t errlen)
{
    if (mkdir (path, 0750) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat (path, &st) == 0 && S_ISDIR (st.st_mode))
            return 0;
        if (errno == EEXIST)
            errno = ENOTDIR;
    }
    snprintf (err, errlen, "could not use spool directory \"%s\": %s", path, strerror (errno));
    return -1;
}

/* Only one process may have a spool open: two writers would interleave records. */
static int
s_lock (spool_t *self, char *err, size_t errlen)
{
    char *lock = xasprintf ("%s/%s", self->spool_dir, S_LOCK_FILE);
    self->lock_fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    free (lock);
    if (self->lock_fd >= 0 && flock (self->lock_fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    if (self->lock_fd >= 0 && errno == EWOULDBLOCK)
        snprintf (
          err, errlen, "spool directory \"%s\" is in use by another process", self->spool_dir);
    else
        snprintf (err,
                  errlen,
                  "could not lock spool directory \"%s\": %s",
                  self->spool_dir,
                  strerror (errno));
    return -1;
}

/* Recovery (docs/SPOOL.md, "Recovery"): the floor, the last segment checked whole, the
   next id, and where reading resumes. Returns 0, or -1 with err. */
static int
s_recover (spool_t *self, uint64_t saved_floor, char *err, size_t errlen)
{
    uint64_t floor = saved_floor;
    spool_segments_t *segs = &self->segs;
    if (segs->count && segs->list[0].first - 1 > floor)
        floor = segs->list[0].first - 1; /* everything in deleted segments was acknowledged */

    uint64_t last_id = floor;
    if (segs->count == 0) {
        int fd = spool_segments_create (segs, floor + 1, true);
        if (fd < 0) {
            char *path = spool_segments_path (segs, floor + 1);
            snprintf (
              err, errlen, "could not create spool segment \"%s\": %s", path, strerror (errno));
            free (path);
            return -1;
        }
        close (fd);
    } else {
        uint64_t max_id;
        if (spool_cursor_recover_tail (segs, self->quarantine_dir, &self->stats, &max_id) != 0) {
            snprintf (err,
                      errlen,
                      "could not recover spool in \"%s\": %s",
                      self->spool_dir,
                      strerror (errno));
            return -1;
        }
        /* A floor above what survived (the ack file outlived an unsynced tail) must still
           never be handed out again: those ids would count as acknowledged. */
        if (max_id > floor)
            last_id = max_id;
    }
    spool_segments_rebase (segs);
    self->writer.last_id = last_id;

    if (spool_cursor_find_above (&self->rd, floor, last_id) != 0) {
        snprintf (
          err, errlen, "could not read spool in \"%s\": %s", self->spool_dir, strerror (errno));
        return -1;
    }
    spool_acks_start (&self->acks, floor, spool_cursor_pos (&self->rd));
    if (s_reclaim (self) != 0) {
        /* logged; retried at the next ack */
    }
    return 0;
}

spool_t *
spool_open (const char *dir, const spool_options_t *opts, char *err, size_t errlen)
{
    spool_t *self = xcalloc (1, sizeof *self);
    self->lock_fd = -1;
    self->opts = *opts;
    if (self->opts.segment_bytes == 0)
        self->opts.segment_bytes = 1;
    if (self->opts.segment_bytes > S_SEGMENT_MAX)
        self->opts.segment_bytes = S_SEGMENT_MAX;
    if (self->opts.fsync_records == 0)
        self->opts.fsync_records = 1;
    if (self->opts.fsync_interval_ms < 0)
        self->opts.fsync_interval_ms = 0;
    self->dir = xstrdup (dir);
    self->spool_dir = xasprintf ("%s/spool", dir);
    self->quarantine_dir = xasprintf ("%s/quarantine", dir);
    spool_acks_init (&self->acks);
    spool_ack_file_init (&self->ack_file, self->spool_dir);
    spool_writer_init (&self->writer, &self->segs, &self->stats, &self->opts);
    spool_cursor_init (&self->rd, &self->segs, self->quarantine_dir, &self->stats);

    if (s_mkdir (dir, err, errlen) != 0 || s_mkdir (self->spool_dir, err, errlen) != 0)
        goto fail;
    if (spool_segments_init (&self->segs, self->spool_dir, &self->stats, err, errlen) != 0)
        goto fail;
    if (s_lock (self, err, errlen) != 0 || spool_segments_load (&self->segs, err, errlen) != 0)
        goto fail;
    uint64_t saved_floor = spool_ack_file_load (&self->ack_file);
    if (s_recover (self, saved_floor, err, errlen) != 0)
        goto fail;
    if (spool_writer_open (&self->writer, err, errlen) != 0)
        goto fail;
    self->ack_file.saved_at = zclock_mono ();
    log_info ("spool",
              "spool opened",
              "dir=\"%s\" segments=%zu floor=%" PRIu64 " next_id=%" PRIu64
              " pending_records=%" PRIu64 " pending_bytes=%" PRIu64,
              self->spool_dir,
              self->segs.count,
              self->acks.floor,
              self->writer.last_id + 1,
              spool_pending_records (self),
              spool_pending_bytes (self));
    return self;
fail:
    spool_destroy (&self);
    return NULL;
}

void
spool_destroy (spool_t **self_p)
{
    if (!*self_p)
        return;
    spool_t *self = *self_p;
    if (self->writer.fd >= 0) {
        if (spool_writer_sync (&self->writer) != 0) {
            /* logged */
        }
        /* Durably, even if a lazy write already put this floor in the file: otherwise
           a power cut after a clean stop could still cost resends. */
        if (!spool_ack_file_is_durable (&self->ack_file, self->acks.floor) &&
            spool_ack_file_save (&self->ack_file, self->acks.floor, true) != 0) {
            /* logged; at worst records are sent again */
        }
    }
    spool_writer_fini (&self->writer);
    spool_cursor_fini (&self->rd);
    fileio_close (&self->lock_fd);
    spool_segments_fini (&self->segs);
    spool_acks_fini (&self->acks);
    spool_ack_file_fini (&self->ack_file);
    free (self->dir);
    free (self->spool_dir);
    free (self->quarantine_dir);
    free (self);
    *self_p = NULL;
}

/* --- appending and syncing ---------------------------------------------------------- */

spool_status_t
spool_append (spool_t *self, const void *data, size_t len, uint64_t *id)
{
    if (len == 0 || len > SPOOL_RECORD_MAX) {
        log_error ("spool", "record size out of range", "bytes=%zu max=%d", len, SPOOL_RECORD_MAX);
        errno = EINVAL;
        return SPOOL_ERROR;
    }
    if (spool_is_full (self, len))
        return SPOOL_FULL;
    if (spool_writer_append (&self->writer, data, len, id) == 0)
        return SPOOL_OK;
    int e = errno;
    if (s_retire_active (self) == 1)
        return spool_append (self, data, len, id);
    spool_writer_failed (&self->writer, e);
    errno = e;
    return SPOOL_ERROR;
}

int
spool_sync (spool_t *self)
{
    if (spool_ack_file_is_stale (&self->ack_file, self->acks.floor) &&
        spool_ack_file_save (&self->ack_file, self->acks.floor, false) != 0) {
        /* logged; not a failure of the sync: it only costs resends */
    }
    return spool_writer_sync (&self->writer);
}

int
spool_sync_if_due (spool_t *self)
{
    int64_t now = zclock_mono ();
    if (spool_writer_due_in (&self->writer, now) == 0)
        return spool_sync (self);
    if (s_ack_file_due (self, now) &&
        spool_ack_file_save (&self->ack_file, self->acks.floor, false) != 0) {
        /* logged */
    }
    return 0;
}

int
spool_sync_due_in_ms (spool_t *self)
{
    int64_t now = zclock_mono ();
    int64_t due = spool_writer_due_in (&self->writer, now);
    int64_t a =
      spool_ack_file_due_in (&self->ack_file, self->acks.floor, now, self->opts.fsync_interval_ms);
    if (a >= 0 && (due < 0 || a < due))
        due = a;
    return due > INT32_MAX ? INT32_MAX : (int)due;
}

uint64_t
spool_durable_id (spool_t *self)
{
    return self->writer.durable_id;
}

/* --- reading and acknowledging ------------------------------------------------------ */

int
spool_read_next (spool_t *self, uint64_t *id, const void **data, size_t *len)
{
    for (;;) {
        spool_cursor_record_t rec;
        int rc = spool_cursor_next (&self->rd, false, self->writer.last_id, &rec);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (self->rd.seg + 1 < self->segs.count) {
                spool_cursor_set (&self->rd, self->rd.seg + 1, 0, 0);
                continue;
            }
            /* Everything appended has been read: ids up to last_id that were not
               returned do not exist (set aside), so the floor may pass them. */
            if (spool_acks_read_all (
                  &self->acks, self->writer.last_id, spool_cursor_pos (&self->rd)) &&
                s_floor_advance (self) != 0) {
                /* logged; retried at the next ack */
            }
            return 0;
        }
        if (rec.id <= self->acks.floor)
            continue;
        spool_acks_read (&self->acks, rec.id, spool_cursor_pos (&self->rd));
        if (spool_acks_contains (&self->acks, rec.id)) {
            if (s_floor_advance (self) != 0) {
                /* logged; retried at the next ack */
            }
            continue;
        }
        *id = rec.id;
        *data = rec.data;
        *len = rec.len;
        return 1;
    }
}

void
spool_rewind (spool_t *self)
{
    spool_cursor_seek (&self->rd, self->acks.floor_pos, self->acks.floor);
}

int
spool_ack (spool_t *self, uint64_t first, uint64_t last)
{
    if (first > last) {
        /* A caller's bug, but retrying it would not help: nothing to do. */
        log_error (
          "spool", "acknowledged range is empty", "first=%" PRIu64 " last=%" PRIu64, first, last);
        return 0;
    }
    /* Ids not given out yet cannot have been acknowledged; keeping them would make a
       future record count as delivered before it is ever sent. */
    if (last > self->writer.last_id)
        last = self->writer.last_id;
    if (first <= self->acks.floor)
        first = self->acks.floor + 1;
    if (first > last)
        return 0;
    spool_acks_add (&self->acks, first, last);
    return s_floor_advance (self);
}

bool
spool_is_full (spool_t *self, size_t len)
{
    return spool_pending_bytes (self) + SPOOL_FRAME_HEADER + len > self->opts.max_bytes;
}

uint64_t
spool_pending_records (spool_t *self)
{
    return spool_acks_pending (&self->acks, self->writer.last_id);
}

uint64_t
spool_pending_bytes (spool_t *self)
{
    uint64_t end = spool_segments_end (&self->segs);
    return end > self->acks.floor_pos ? end - self->acks.floor_pos : 0;
}

void
spool_get_stats (spool_t *self, spool_stats_t *stats)
{
    *stats = self->stats;
    stats->segments = self->segs.count;
    stats->disk_bytes = spool_segments_end (&self->segs) - self->segs.list[0].base;
    stats->floor = self->acks.floor;
    stats->last_id = self->writer.last_id;
    stats->in_flight = self->acks.ring_len;
    stats->ack_ranges = self->acks.nranges;
}
