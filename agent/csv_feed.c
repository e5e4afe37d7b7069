/* A CSV input read through a mapping (see csv_feed.h). */
#include "csv_feed.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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
    bool resume_pending;
    uint64_t resume_offset, resume_lines;
    char *buf;
    char error[512];
};

csv_feed_t *
csv_feed_open (const char *path, const csv_mapping_t *mapping, char *err, size_t errlen)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
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
    csv_feed_t *self = xcalloc (1, sizeof *self);
    self->name = xstrdup (path);
    self->fd = fd;
    self->mapping = mapping;
    self->reader = csv_reader_new (NULL);
    self->buf = xmalloc (CSV_FEED_READ_SIZE);
    return self;
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

/* Reads more input into the reader. Returns 1 when some was read, 0 at the end of the
   file (finishing the reader unless following), -1 on a read error. */
static int
s_read (csv_feed_t *self)
{
    for (;;) {
        ssize_t n = read (self->fd, self->buf, CSV_FEED_READ_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            if (!self->follow) {
                csv_reader_finish (self->reader);
                self->finished = true;
            }
            return 0;
        }
        csv_reader_feed (self->reader, self->buf, (size_t)n);
        return 1;
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
        int rc = s_read (self);
        if (rc < 0)
            return s_fail (self, "could not read input \"%s\": %s", self->name, strerror (errno));
        if (rc == 0 && !self->finished)
            return CSV_FEED_WAIT;
    }
}
