/* JSON-lines input (see feed.h). One fixed buffer per feed: a line is either found within
   it or is too long, in which case its bytes are counted and dropped as they are read. */
#include "feed.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

/* Holds a longest line plus its "\r\n", with room left to read into. */
#define FEED_BUFFER (64 * 1024)

struct feed {
    char *name;
    int fd;
    bool owns_fd; /* standard input is not closed */
    bool is_file;
    bool eof;    /* read() returned 0 (and not following), or feed_finish */
    bool follow; /* a regular file's end is not the input's end */
    char *buf;
    size_t start; /* unconsumed bytes are buf[start..end) */
    size_t end;
    size_t scanned;      /* bytes after start already known to hold no newline */
    uint64_t buf_offset; /* input offset of buf[0] */
    uint64_t line;       /* number of the last line yielded */
    bool skipping;       /* inside a too-long line: its bytes are dropped as read */
    uint64_t skip_len;
};

feed_t *
feed_new_fd (int fd, const char *name)
{
    feed_t *self = xcalloc (1, sizeof *self);
    self->name = xstrdup (name);
    self->fd = fd;
    self->owns_fd = fd != STDIN_FILENO;
    struct stat st;
    self->is_file = fd != STDIN_FILENO && fstat (fd, &st) == 0 && S_ISREG (st.st_mode);
    self->buf = xmalloc (FEED_BUFFER);
    return self;
}

int
feed_resume (feed_t *self, uint64_t offset, uint64_t line)
{
    if (!self->is_file || self->end > 0 || self->eof || self->buf_offset > 0 || self->line > 0)
        return -1;
    if (lseek (self->fd, (off_t)offset, SEEK_SET) != (off_t)offset)
        return -1;
    self->buf_offset = offset;
    self->line = line;
    return 0;
}

feed_t *
feed_open (const char *path, char *err, size_t errlen)
{
    if (strcmp (path, "-") == 0)
        return feed_new_fd (STDIN_FILENO, "-");
    /* O_NONBLOCK: opening a FIFO must not wait for its writer. Reads never block anyway
       (a stream is read only when poll says so), so the flag is cleared again for files. */
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf (err, errlen, "could not open input \"%s\": %s", path, strerror (errno));
        return NULL;
    }
    struct stat st;
    if (fstat (fd, &st) != 0 || S_ISDIR (st.st_mode)) {
        snprintf (err,
                  errlen,
                  "could not read input \"%s\": %s",
                  path,
                  S_ISDIR (st.st_mode) ? "is a directory" : strerror (errno));
        close (fd);
        return NULL;
    }
    if (S_ISREG (st.st_mode))
        (void)fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
    return feed_new_fd (fd, path);
}

void
feed_destroy (feed_t **self_p)
{
    if (!*self_p)
        return;
    feed_t *self = *self_p;
    if (self->owns_fd)
        close (self->fd);
    free (self->buf);
    free (self->name);
    free (self);
    *self_p = NULL;
}

const char *
feed_name (feed_t *self)
{
    return self->name;
}

int
feed_fd (feed_t *self)
{
    return self->fd;
}

bool
feed_is_file (feed_t *self)
{
    return self->is_file;
}

void
feed_set_follow (feed_t *self, bool follow)
{
    self->follow = follow;
}

void
feed_finish (feed_t *self)
{
    self->eof = true;
}

bool
feed_has_partial (feed_t *self)
{
    return self->skipping || self->start < self->end;
}

/* Fills *line with the bytes buf[from..from+len) ending at input offset end_offset. */
static feed_status_t
s_yield (feed_t *self, feed_line_t *line, size_t from, size_t len, uint64_t end_offset)
{
    uint64_t begin = self->buf_offset + from;
    const char *data = self->buf + from;
    if (len > 0 && data[len - 1] == '\r')
        len--;
    /* A byte-order mark some editors put at the start of a file is not part of the JSON. */
    if (begin == 0 && len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    memset (line, 0, sizeof *line);
    line->number = ++self->line;
    line->end_offset = end_offset;
    line->total_len = len;
    if (len > FEED_LINE_MAX) {
        line->too_long = true;
    } else {
        line->data = data;
        line->len = len;
    }
    return FEED_LINE;
}

static feed_status_t
s_yield_too_long (feed_t *self, feed_line_t *line, uint64_t total, uint64_t end_offset)
{
    memset (line, 0, sizeof *line);
    line->number = ++self->line;
    line->too_long = true;
    line->total_len = total;
    line->end_offset = end_offset;
    self->skipping = false;
    self->skip_len = 0;
    return FEED_LINE;
}

/* Whether a read() now would not block: always for a file, after poll for anything else. */
static bool
s_readable (feed_t *self)
{
    if (self->is_file)
        return true;
    struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
    return poll (&pfd, 1, 0) != 0;
}

feed_status_t
feed_next (feed_t *self, feed_line_t *line)
{
    size_t budget = FEED_READ_BUDGET;
    for (;;) {
        size_t from = self->start + self->scanned;
        char *nl = memchr (self->buf + from, '\n', self->end - from);
        if (nl) {
            size_t pos = (size_t)(nl - self->buf), start = self->start;
            uint64_t end_offset = self->buf_offset + pos + 1;
            self->start = pos + 1;
            self->scanned = 0;
            if (self->skipping)
                return s_yield_too_long (self, line, self->skip_len + (pos - start), end_offset);
            return s_yield (self, line, start, pos - start, end_offset);
        }
        self->scanned = self->end - self->start;
        /* Past the longest line (and a "\r") with no newline in sight: stop keeping it. */
        if (!self->skipping && self->end - self->start > FEED_LINE_MAX + 1) {
            self->skipping = true;
            self->skip_len = 0;
        }
        if (self->skipping) {
            self->skip_len += self->end - self->start;
            self->buf_offset += self->end;
            self->start = self->end = self->scanned = 0;
        }
        if (self->eof) {
            if (self->skipping)
                return s_yield_too_long (self, line, self->skip_len, self->buf_offset);
            if (self->start < self->end) {
                size_t start = self->start, len = self->end - self->start;
                self->start = self->end;
                self->scanned = 0;
                return s_yield (self, line, start, len, self->buf_offset + self->end);
            }
            return FEED_EOF;
        }
        if (self->start > 0) {
            memmove (self->buf, self->buf + self->start, self->end - self->start);
            self->buf_offset += self->start;
            self->end -= self->start;
            self->start = 0;
        }
        if (budget == 0)
            return FEED_AGAIN;
        if (!s_readable (self))
            return FEED_WAIT;
        size_t room = FEED_BUFFER - self->end;
        if (room > budget)
            room = budget;
        ssize_t n = read (self->fd, self->buf + self->end, room);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return FEED_WAIT;
            return FEED_ERROR;
        }
        if (n == 0) {
            if (self->follow && self->is_file)
                return FEED_WAIT;
            self->eof = true;
        }
        self->end += (size_t)n;
        budget -= (size_t)n;
    }
}
