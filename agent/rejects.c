#include "rejects.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "mem.h"

/* Lines that could not be written (a full disk), oldest first, written before any newer
   one as soon as the file takes them again. Bounded: beyond REJECTS_BACKLOG_MAX bytes a
   line is only in the log (where every failed line also goes at once). */
typedef struct s_pending {
    struct s_pending *next;
    size_t len; /* with the newline */
    char text[];
} s_pending_t;

struct rejects {
    char *path;
    int fd;
    bool dirty;
    uint64_t count;
    s_pending_t *head, *tail;
    size_t backlog_bytes, backlog_lines;
    uint64_t dropped; /* lines beyond the backlog's bound: in the log only */
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
rejects_destroy (rejects_t **self_p)
{
    if (!*self_p)
        return;
    rejects_t *self = *self_p;
    if (rejects_sync (self) != 0) {
        /* already logged */
    }
    if (self->backlog_lines > 0 || self->dropped > 0)
        log_error ("rejects",
                   "rejected lines not written to rejected.jsonl (each is in this log)",
                   "path=\"%s\" lines=%" PRIu64,
                   self->path,
                   (uint64_t)self->backlog_lines + self->dropped);
    while (self->head) {
        s_pending_t *next = self->head->next;
        free (self->head);
        self->head = next;
    }
    close (self->fd);
    free (self->path);
    free (self);
    *self_p = NULL;
}

/* Appends text (one line with its newline) whole or not at all. Returns 0, or -1 with
   errno set; a write cut short (a full disk) is taken back, since a torn line would make
   the rest of the file unreadable as JSON lines. */
static int
s_append (rejects_t *self, const char *text, size_t len)
{
    if (fileio_append_whole (self->fd, text, len) != 0)
        return -1;
    self->dirty = true;
    self->count++;
    return 0;
}

/* Writes the backlog, oldest first, until the file refuses. Returns 0 when it is empty. */
static int
s_flush_backlog (rejects_t *self)
{
    size_t written = 0;
    int e = 0;
    while (self->head) {
        s_pending_t *p = self->head;
        if (s_append (self, p->text, p->len) != 0) {
            e = errno;
            break;
        }
        self->head = p->next;
        if (!self->head)
            self->tail = NULL;
        self->backlog_bytes -= p->len;
        self->backlog_lines--;
        free (p);
        written++;
    }
    if (written > 0)
        log_info ("rejects",
                  "rejected lines written to rejected.jsonl after all",
                  "path=\"%s\" lines=%zu",
                  self->path,
                  written);
    errno = e;
    return self->head ? -1 : 0;
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
    int rc = 0, e = 0;
    /* Older lines first, so the file keeps the order the lines were refused in. */
    if (self->head && s_flush_backlog (self) != 0) {
        e = errno;
        rc = -1;
    } else {
        json[n] = '\n'; /* over the terminating NUL: the line is written with its newline */
        if (s_append (self, json, n + 1) != 0) {
            e = errno;
            rc = -1;
        }
        json[n] = '\0';
    }
    if (rc != 0) {
        /* Keep the reason somewhere now: the feed's owner still needs to learn of it. */
        log_error ("rejects",
                   "could not append to rejected.jsonl",
                   "path=\"%s\" err=\"%s\" line=%s",
                   self->path,
                   strerror (e),
                   json);
        if (self->backlog_bytes + n + 1 <= REJECTS_BACKLOG_MAX) {
            s_pending_t *p = xmalloc (sizeof *p + n + 1);
            p->next = NULL;
            p->len = n + 1;
            memcpy (p->text, json, n);
            p->text[n] = '\n';
            if (self->tail)
                self->tail->next = p;
            else
                self->head = p;
            self->tail = p;
            self->backlog_bytes += n + 1;
            self->backlog_lines++;
        } else {
            self->dropped++;
        }
    }
    free (json);
    return rc;
}

int
rejects_sync (rejects_t *self)
{
    int rc = self->head ? s_flush_backlog (self) : 0;
    if (!self->dirty)
        return rc;
    if (fileio_fdatasync (self->fd) != 0) {
        log_error ("rejects",
                   "could not fsync rejected.jsonl",
                   "path=\"%s\" err=\"%s\"",
                   self->path,
                   strerror (errno));
        return -1;
    }
    self->dirty = false;
    return rc;
}

uint64_t
rejects_count (rejects_t *self)
{
    return self->count;
}
