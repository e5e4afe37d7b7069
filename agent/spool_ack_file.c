/* The spool's saved floor (spool_ack_file.h). */
#include "spool_ack_file.h"

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
#include "mem.h"

#define S_ACK_FILE "ack"
#define S_PREFIX "floor "

void
spool_ack_file_init (spool_ack_file_t *self, const char *spool_dir)
{
    memset (self, 0, sizeof *self);
    self->path = xasprintf ("%s/%s", spool_dir, S_ACK_FILE);
}

void
spool_ack_file_fini (spool_ack_file_t *self)
{
    free (self->path);
    self->path = NULL;
}

uint64_t
spool_ack_file_load (spool_ack_file_t *self)
{
    self->saved = 0;
    self->saved_at = zclock_mono ();
    self->synced = true; /* whatever is on disk was not written lazily by this process */
    char text[64] = "";
    int fd = open (self->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            log_warn (
              "spool",
              "could not read spool acknowledgement file, resending from the oldest segment",
              "file=\"%s\" err=\"%s\"",
              self->path,
              strerror (errno));
        return 0;
    }
    ssize_t n = read (fd, text, sizeof text - 1);
    close (fd);
    size_t plen = strlen (S_PREFIX);
    uint64_t floor = 0;
    char *end = NULL;
    if (n > (ssize_t)plen && text[n - 1] == '\n' && strncmp (text, S_PREFIX, plen) == 0 &&
        text[plen] >= '0' && text[plen] <= '9') {
        text[n] = '\0';
        errno = 0;
        floor = strtoull (text + plen, &end, 10);
    }
    if (!end || *end != '\n' || errno) {
        /* A power cut can leave an empty or partial file: the oldest segment is a safe floor. */
        log_warn ("spool",
                  "spool acknowledgement file unreadable, resending from the oldest segment",
                  "file=\"%s\"",
                  self->path);
        return 0;
    }
    self->saved = floor;
    return floor;
}

int
spool_ack_file_save (spool_ack_file_t *self, uint64_t floor, bool durable)
{
    char text[64];
    int n = snprintf (text, sizeof text, S_PREFIX "%" PRIu64 "\n", floor);
    int rc = durable ? fileio_replace (self->path, text, (size_t)n, 0640)
                     : fileio_replace_unsynced (self->path, text, (size_t)n, 0640);
    self->saved_at = zclock_mono ();
    if (rc == 0) {
        self->saved = floor;
        self->synced = durable;
        if (self->failing)
            log_info ("spool", "spool acknowledgement file written again", "floor=%" PRIu64, floor);
        self->failing = false;
    } else if (!self->failing) {
        log_warn ("spool",
                  "could not write spool acknowledgement file",
                  "file=\"%s\" err=\"%s\"",
                  self->path,
                  strerror (errno));
        self->failing = true;
    }
    return rc;
}

bool
spool_ack_file_is_stale (const spool_ack_file_t *self, uint64_t floor)
{
    return self->saved != floor;
}

bool
spool_ack_file_is_durable (const spool_ack_file_t *self, uint64_t floor)
{
    return self->saved == floor && self->synced;
}

int64_t
spool_ack_file_due_in (const spool_ack_file_t *self, uint64_t floor, int64_t now, int interval_ms)
{
    if (self->saved == floor)
        return -1;
    int64_t due = self->saved_at + interval_ms - now;
    return due < 0 ? 0 : due;
}
