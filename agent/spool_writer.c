/* Appending and group commit (spool_writer.h). */
#include "spool_writer.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "spool_frame.h"

void
spool_writer_init (spool_writer_t *self,
                   spool_segments_t *segs,
                   spool_stats_t *stats,
                   const spool_options_t *opts)
{
    memset (self, 0, sizeof *self);
    self->segs = segs;
    self->stats = stats;
    self->opts = opts;
    self->fd = -1;
}

/* Closing does not sync: spool_destroy syncs first, and a failed open has nothing to. */
void
spool_writer_fini (spool_writer_t *self)
{
    fileio_close (&self->fd);
}

int
spool_writer_open (spool_writer_t *self, char *err, size_t errlen)
{
    char *path = spool_segments_path (self->segs, spool_segments_active (self->segs)->first);
    int rc = -1;
    self->fd = open (path, O_RDWR | O_CLOEXEC);
    if (self->fd < 0) {
        snprintf (err, errlen, "could not open spool segment \"%s\": %s", path, strerror (errno));
        goto out;
    }
    if (spool_segments_datasync (self->segs, self->fd) != 0 ||
        fileio_fsync (self->segs->dir_fd) != 0) {
        snprintf (err, errlen, "could not fsync spool segment \"%s\": %s", path, strerror (errno));
        goto out;
    }
    self->durable_id = self->last_id;
    rc = 0;
out:
    free (path);
    return rc;
}

int
spool_writer_roll (spool_writer_t *self)
{
    if (spool_writer_sync (self) != 0)
        return -1;
    int fd = spool_segments_create (self->segs, self->last_id + 1, self->failing);
    if (fd < 0)
        return -1;
    fileio_close (&self->fd);
    self->fd = fd;
    return 0;
}

int
spool_writer_append (spool_writer_t *self, const void *data, size_t len, uint64_t *id)
{
    spool_segment_t *seg = spool_segments_active (self->segs);
    uint64_t size = SPOOL_FRAME_HEADER + (uint64_t)len;
    if (seg->size > 0 && seg->size + size > self->opts->segment_bytes) {
        if (spool_writer_roll (self) != 0)
            return -1;
        seg = spool_segments_active (self->segs);
    }
    uint64_t new_id = self->last_id + 1;
    spool_frame_header_make (self->buf, new_id, data, (uint32_t)len);
    memcpy (self->buf + SPOOL_FRAME_HEADER, data, len);
    if (fileio_pwrite_all (self->fd, self->buf, (size_t)size, seg->size) != 0 ||
        (self->opts->fsync_always && spool_segments_datasync (self->segs, self->fd) != 0)) {
        /* A partial record must not stay behind: the next append (or the next open) would
           otherwise meet it where a record should start. */
        int e = errno;
        if (ftruncate (self->fd, (off_t)seg->size) != 0) {
            /* the next append overwrites it; the next open cuts it */
        }
        errno = e;
        return -1;
    }
    seg->size += size;
    self->last_id = new_id;
    self->stats->appended++;
    if (self->opts->fsync_always)
        self->durable_id = new_id;
    else if (self->unsynced++ == 0)
        self->unsynced_since = zclock_mono ();
    if (self->failing)
        log_info ("spool", "spool appends succeed again", "id=%" PRIu64, new_id);
    self->failing = false;
    *id = new_id;
    return 0;
}

void
spool_writer_failed (spool_writer_t *self, int e)
{
    if (!self->failing)
        log_error ("spool",
                   "could not append to spool",
                   "segment=%" PRIu64 " err=\"%s\"",
                   spool_segments_active (self->segs)->first,
                   strerror (e));
    self->failing = true;
}

int
spool_writer_sync (spool_writer_t *self)
{
    if (self->unsynced == 0)
        return 0;
    if (spool_segments_datasync (self->segs, self->fd) != 0) {
        int e = errno;
        log_error ("spool",
                   "could not fsync spool segment",
                   "segment=%" PRIu64 " err=\"%s\"",
                   spool_segments_active (self->segs)->first,
                   strerror (e));
        errno = e;
        return -1;
    }
    self->durable_id = self->last_id;
    self->unsynced = 0;
    return 0;
}

int64_t
spool_writer_due_in (const spool_writer_t *self, int64_t now)
{
    if (self->unsynced == 0)
        return -1;
    if (self->unsynced >= self->opts->fsync_records)
        return 0;
    int64_t due = self->unsynced_since + self->opts->fsync_interval_ms - now;
    return due < 0 ? 0 : due;
}
