#include "rejects.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"

struct rejects {
    char *path;
    int fd;
    bool dirty;
    uint64_t count;
};

rejects_t *
rejects_open (const char *dir, char *err, size_t errlen)
{
    char *path = xasprintf ("%s/%s", dir, REJECTS_FILE);
    int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf (err, errlen, "could not open \"%s\": %s", path, strerror (errno));
        free (path);
        return NULL;
    }
    rejects_t *self = xcalloc (1, sizeof *self);
    self->path = path;
    self->fd = fd;
    return self;
}

void
rejects_close (rejects_t **self_p)
{
    if (!*self_p)
        return;
    rejects_t *self = *self_p;
    if (rejects_sync (self) != 0) {
        /* already logged */
    }
    close (self->fd);
    free (self->path);
    free (self);
    *self_p = NULL;
}

int
rejects_write (rejects_t *self,
               const reject_t *why,
               const char *source,
               uint64_t line,
               const char *input,
               size_t len)
{
    char *json = reject_to_json (why, source, line, input, input ? len : 0);
    size_t n = strlen (json);
    json = xrealloc (json, n + 2);
    json[n] = '\n';
    json[n + 1] = '\0';
    int rc = 0;
    size_t done = 0;
    /* Where this line starts, so that a write cut short (a full disk) can be taken back:
       a torn line would make the rest of the file unreadable as JSON lines. */
    off_t start = lseek (self->fd, 0, SEEK_END);
    while (done < n + 1) {
        ssize_t w = write (self->fd, json + done, n + 1 - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            /* Keep the reason somewhere: the feed's owner still needs to learn of it. */
            int e = errno;
            if (done > 0 && start >= 0 && ftruncate (self->fd, start) != 0) {
                /* still torn: the reader of the file sees one bad line, not more */
            }
            errno = e;
            json[n] = '\0';
            log_error ("rejects",
                       "could not append to rejected.jsonl",
                       "path=\"%s\" err=\"%s\" line=%s",
                       self->path,
                       strerror (errno),
                       json);
            rc = -1;
            break;
        }
        done += (size_t)w;
    }
    if (rc == 0) {
        self->dirty = true;
        self->count++;
    }
    free (json);
    return rc;
}

int
rejects_sync (rejects_t *self)
{
    if (!self->dirty)
        return 0;
    if (fdatasync (self->fd) != 0) {
        log_error ("rejects",
                   "could not fsync rejected.jsonl",
                   "path=\"%s\" err=\"%s\"",
                   self->path,
                   strerror (errno));
        return -1;
    }
    self->dirty = false;
    return 0;
}

uint64_t
rejects_count (rejects_t *self)
{
    return self->count;
}
