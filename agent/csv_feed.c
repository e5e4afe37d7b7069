/* A CSV input read through a mapping (see csv_feed.h). */
#include "csv_feed.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_reader.h"
#include "mem.h"

struct csv_feed {
    char *name;
    int fd;
    const csv_mapping_t *mapping;
    csv_reader_t *reader;
    csv_map_t *map;
    bool follow, finished, failed;
    bool is_file;
    uint64_t fed_offset; /* input offset just past the bytes fed to the reader */
    bool resume_pending;
    uint64_t resume_offset, resume_lines;
    char *buf;
    char error[512];
};

csv_feed_t *
csv_feed_new_fd (int fd, const char *name, const csv_mapping_t *mapping)
{
    csv_feed_t *self = xcalloc (1, sizeof *self);
    self->name = xstrdup (name);
    self->fd = fd;
    struct stat st;
    self->is_file = fstat (fd, &st) == 0 && S_ISREG (st.st_mode);
    self->mapping = mapping;
    self->reader = csv_reader_new (NULL);
    self->buf = xmalloc (CSV_FEED_READ_SIZE);
    return self;
}

csv_feed_t *
csv_feed_open (const char *path, const csv_mapping_t *mapping, char *err, size_t errlen)
{
    /* O_NONBLOCK so that a FIFO does not wait for its writer here (see feed.c). */
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf (err, errlen, "could not open input \"%s\": %s", path, strerror (errno));
        return NULL;
    }
    struct stat st;
    if (fstat (fd, &st) != 0 || S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "input \"%s\" is a directory", path);
        close (fd);
        return NULL;
    }
    if (S_ISREG (st.st_mode))
        (void)fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
    return csv_feed_new_fd (fd, path, mapping);
}

void
csv_feed_destroy (csv_feed_t **self_p)
{
    if (!*self_p)
        return;
    csv_feed_t *self = *self_p;
    if (self->fd >= 0)
        close (self->fd);
    csv_map_destroy (&self->map);
    csv_reader_destroy (&self->reader);
    free (self->buf);
    free (self->name);
    free (self);
    *self_p = NULL;
}

void
csv_feed_resume (csv_feed_t *self, uint64_t offset, uint64_t lines)
{
    self->resume_pending = offset > 0;
    self->resume_offset = offset;
    self->resume_lines = lines;
}

void
csv_feed_set_follow (csv_feed_t *self, bool follow)
{
    self->follow = follow;
}

void
csv_feed_finish (csv_feed_t *self)
{
    if (!self->finished) {
        csv_reader_finish (self->reader);
        self->finished = true;
    }
}

bool
csv_feed_has_partial (const csv_feed_t *self)
{
    uint64_t offset, lines;
    csv_reader_position (self->reader, &offset, &lines);
    return self->fed_offset > offset;
}

const char *
csv_feed_error (const csv_feed_t *self)
{
    return self->error;
}

const char *
csv_feed_name (const csv_feed_t *self)
{
    return self->name;
}

int
csv_feed_fd (const csv_feed_t *self)
{
    return self->fd;
}

static csv_feed_status_t s_fail (csv_feed_t *self, const char *format, ...) PARLEY_PRINTF (2, 3);
static csv_feed_status_t
s_fail (csv_feed_t *self, const char *format, ...)
{
    va_list ap;
    va_start (ap, format);
    vsnprintf (self->error, sizeof self->error, format, ap);
    va_end (ap);
    self->failed = true;
    return CSV_FEED_ERROR;
}

/* Whether a read () now would not block: always for a file, after poll for a stream. */
static bool
s_readable (csv_feed_t *self)
{
    if (self->is_file)
        return true;
    struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
    return poll (&pfd, 1, 0) != 0;
}

/* Reads more input into the reader. Returns the bytes read (> 0), 0 at the end of the
   input (finishing the reader unless following a file), -2 when a stream has nothing
   yet, -1 on a read error. */
static ssize_t
s_read (csv_feed_t *self)
{
    for (;;) {
        if (!s_readable (self))
            return -2;
        ssize_t n = read (self->fd, self->buf, CSV_FEED_READ_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return -2;
        if (n < 0)
            return -1;
        if (n == 0) {
            if (!self->follow || !self->is_file)
                csv_feed_finish (self);
            return 0;
        }
        csv_reader_feed (self->reader, self->buf, (size_t)n);
        self->fed_offset += (uint64_t)n;
        return n;
    }
}

static void
s_item (csv_feed_t *self, const csv_row_t *row, csv_feed_item_t *item)
{
    item->line = row->line;
    item->raw = row->raw;
    item->raw_len = row->raw_len;
    csv_reader_position (self->reader, &item->end_offset, &item->end_line);
}

csv_feed_status_t
csv_feed_next (csv_feed_t *self, int64_t now_us, csv_feed_item_t *item)
{
    if (self->failed)
        return CSV_FEED_ERROR;
    size_t budget = CSV_FEED_READ_BUDGET;
    for (;;) {
        csv_row_t row;
        reject_t why;
        switch (csv_reader_next (self->reader, &row, &why)) {
            case CSV_READER_HEADER: {
                char err[512];
                self->map = csv_map_new (self->mapping, row.fields, row.count, err, sizeof err);
                if (!self->map)
                    return s_fail (
                      self, "%s line %" PRIu64 " (header): %s", self->name, row.line, err);
                if (self->resume_pending) {
                    self->resume_pending = false;
                    if (csv_reader_resume (self->reader, self->resume_offset, self->resume_lines) !=
                          0 ||
                        lseek (self->fd, (off_t)self->resume_offset, SEEK_SET) < 0)
                        return s_fail (self,
                                       "could not resume input \"%s\" at offset %" PRIu64 ": %s",
                                       self->name,
                                       self->resume_offset,
                                       strerror (errno));
                    self->fed_offset = self->resume_offset;
                }
                continue;
            }
            case CSV_READER_ROW:
                s_item (self, &row, item);
                if (csv_map_row (self->map, &row, now_us, &item->event, &item->why) == 0)
                    return CSV_FEED_EVENT;
                return CSV_FEED_REJECT;
            case CSV_READER_BAD:
                s_item (self, &row, item);
                item->why = why;
                return CSV_FEED_REJECT;
            case CSV_READER_END:
                return CSV_FEED_EOF;
            case CSV_READER_MORE:
                break;
        }
        if (self->finished)
            continue; /* the reader has the whole input: it says END once all is taken */
        if (budget == 0)
            return CSV_FEED_AGAIN;
        ssize_t rc = s_read (self);
        if (rc == -1)
            return s_fail (self, "could not read input \"%s\": %s", self->name, strerror (errno));
        if (rc == -2 || (rc == 0 && !self->finished))
            return CSV_FEED_WAIT;
        budget = (size_t)rc >= budget ? 0 : budget - (size_t)rc;
    }
}
