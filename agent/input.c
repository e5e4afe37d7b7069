/* One input of the agent (see input.h): a reader (feed or csv_feed) over the file now at
   the name, the position past what was taken, and the checks made at the end of a
   followed file. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_feed.h"
#include "feed.h"
#include "log.h"
#include "mem.h"

/* A followed file is looked at this often even without a change notice (a file system
   without inotify, a missed event). */
#define INPUT_LOOK_MS 1000

typedef enum {
    S_OPEN,    /* a reader over the file (or stream) */
    S_MISSING, /* followed, and no file at the name: wait for one */
    S_DONE,    /* finished */
} s_state_t;

typedef enum { S_R_ITEM, S_R_WAIT, S_R_AGAIN, S_R_EOF, S_R_ERROR } s_read_t;

struct input {
    char *path;
    bool follow, stream, fifo;
    const csv_mapping_t *mapping;
    offsets_t *offsets;
    s_state_t state;
    feed_t *feed;     /* JSON lines */
    csv_feed_t *csvf; /* or CSV */
    int fd;           /* the reader's (borrowed from it) */
    bool finishing;   /* the reader was told the input has ended */
    bool rotating;    /* ... because another file has the name, or none */
    bool at_file_end; /* INPUT_FILE_END said, input_next_file not called yet */
    bool ready;

    bool peeked; /* item was returned and not consumed */
    input_item_t item;

    /* Positions (files only) */
    uint64_t pos_offset, pos_line; /* past the last item consumed */
    bool pos_dirty;                /* moved since last noted */
    bool cand_valid;               /* a noted position, put in offsets once cand_id is durable */
    uint64_t cand_offset, cand_line, cand_id;
    uint64_t last_id; /* the last record appended from this input */
    int64_t last_note;

    /* Following */
    bool fp_valid; /* fp is the kilobyte before fp_pos, as seen at the end of the file */
    uint64_t fp, fp_len, fp_pos;
    int64_t last_change;
    bool writer_closed; /* IN_CLOSE_WRITE since the last change */
    bool waited;        /* INPUT_WAIT said at the end of a followed file: check it first */
    int64_t last_look;
};

/* --- the reader ------------------------------------------------------------------- */

static void
s_close_reader (input_t *self)
{
    feed_destroy (&self->feed);
    csv_feed_destroy (&self->csvf);
    self->fd = -1;
    self->finishing = self->rotating = false;
    self->peeked = false;
    self->fp_valid = false;
}

/* A reader over fd (owned from now on), resuming at offset (line lines before it). */
static void
s_start_reader (input_t *self, int fd, uint64_t offset, uint64_t line)
{
    if (self->mapping) {
        self->csvf = csv_feed_new_fd (fd, self->path, self->mapping);
        csv_feed_set_follow (self->csvf, self->follow);
        if (offset > 0)
            csv_feed_resume (self->csvf, offset, line);
    } else {
        self->feed = feed_new_fd (fd, self->path);
        feed_set_follow (self->feed, self->follow);
        if (offset > 0 && feed_resume (self->feed, offset, line) != 0) {
            log_warn ("agent",
                      "could not resume input where it stopped, reading it from the start",
                      "input=\"%s\" offset=%" PRIu64,
                      self->path,
                      offset);
            offset = line = 0;
            (void)lseek (fd, 0, SEEK_SET);
        }
    }
    self->fd = fd;
    self->state = S_OPEN;
    self->pos_offset = offset;
    self->pos_line = line;
    self->pos_dirty = self->cand_valid = false;
    self->finishing = self->rotating = self->at_file_end = false;
    self->fp_valid = false;
    self->ready = true;
}

/* Opens what is at the name now. Returns 0, 1 when a followed file is missing (state
   S_MISSING), or -1 with err filled. */
static int
s_open (input_t *self, char *err, size_t errlen)
{
    if (strcmp (self->path, "-") == 0) {
        self->stream = true;
        s_start_reader (self, STDIN_FILENO, 0, 0);
        return 0;
    }
    /* O_NONBLOCK: a FIFO must not wait here for its writer, and must not be opened and
       closed again before it is read (its writer would get SIGPIPE). */
    int fd = open (self->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT && self->follow) {
            self->state = S_MISSING;
            return 1;
        }
        snprintf (err, errlen, "could not open input \"%s\": %s", self->path, strerror (errno));
        return -1;
    }
    struct stat st;
    if (fstat (fd, &st) != 0 || S_ISDIR (st.st_mode)) {
        snprintf (err,
                  errlen,
                  "could not read input \"%s\": %s",
                  self->path,
                  S_ISDIR (st.st_mode) ? "is a directory" : strerror (errno));
        close (fd);
        return -1;
    }
    self->fifo = S_ISFIFO (st.st_mode);
    self->stream = !S_ISREG (st.st_mode);
    uint64_t offset = 0, line = 0;
    if (!self->stream) {
        (void)fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
        offsets_resume (self->offsets, self->path, fd, &offset, &line);
    }
    s_start_reader (self, fd, offset, line);
    log_info ("agent",
              "reading input",
              "input=\"%s\" from_line=%" PRIu64 " from_offset=%" PRIu64 "%s",
              self->path,
              line + 1,
              offset,
              self->follow ? " follow=true" : "");
    return 0;
}

/* Starts again over the same file at offset: a new reader on a descriptor of its own
   (the old reader closes its own). */
static void
s_restart_at (input_t *self, uint64_t offset, uint64_t line)
{
    int fd = dup (self->fd);
    if (fd < 0 || lseek (fd, 0, SEEK_SET) != 0) {
        log_error ("agent",
                   "could not read input again, finished",
                   "input=\"%s\" err=\"%s\"",
                   self->path,
                   strerror (errno));
        if (fd >= 0)
            close (fd);
        s_close_reader (self);
        self->state = S_DONE;
        return;
    }
    uint64_t keep_id = self->last_id;
    s_close_reader (self);
    s_start_reader (self, fd, offset, line);
    self->last_id = keep_id;
    if (offset == 0)
        self->pos_dirty = true; /* so that the old, larger position is replaced */
}

static void
s_finish_reader (input_t *self)
{
    if (self->feed)
        feed_finish (self->feed);
    else
        csv_feed_finish (self->csvf);
    self->finishing = true;
}

static bool
s_has_partial (input_t *self)
{
    return self->feed ? feed_has_partial (self->feed) : csv_feed_has_partial (self->csvf);
}

static bool
s_is_blank (const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r')
            return false;
    return true;
}

static s_read_t
s_read_feed (input_t *self, input_item_t *item)
{
    feed_line_t line;
    switch (feed_next (self->feed, &line)) {
        case FEED_LINE:
            break;
        case FEED_WAIT:
            return S_R_WAIT;
        case FEED_AGAIN:
            return S_R_AGAIN;
        case FEED_EOF:
            return S_R_EOF;
        case FEED_ERROR:
        default:
            log_error ("agent",
                       "could not read input, skipped the rest",
                       "input=\"%s\" line=%" PRIu64 " err=\"%s\"",
                       self->path,
                       self->pos_line,
                       strerror (errno));
            return S_R_ERROR;
    }
    memset (item, 0, sizeof *item);
    item->line = item->end_line = line.number;
    item->end_offset = line.end_offset;
    if (line.too_long) {
        item->kind = INPUT_ITEM_REFUSED;
        /* Worded as event_parse words it, so the agent and the collector agree. */
        reject_set (&item->why,
                    "",
                    "line is %" PRIu64 " bytes long (at most %d)",
                    line.total_len,
                    FEED_LINE_MAX);
    } else {
        item->kind = s_is_blank (line.data, line.len) ? INPUT_ITEM_BLANK : INPUT_ITEM_EVENT;
        item->data = line.data;
        item->len = line.len;
    }
    return S_R_ITEM;
}

static s_read_t
s_read_csv (input_t *self, int64_t now_us, input_item_t *item)
{
    csv_feed_item_t row;
    csv_feed_status_t st = csv_feed_next (self->csvf, now_us, &row);
    switch (st) {
        case CSV_FEED_EVENT:
        case CSV_FEED_REJECT:
            break;
        case CSV_FEED_WAIT:
            return S_R_WAIT;
        case CSV_FEED_AGAIN:
            return S_R_AGAIN;
        case CSV_FEED_EOF:
            return S_R_EOF;
        case CSV_FEED_ERROR:
        default:
            log_error ("agent",
                       "could not read input, skipped the rest",
                       "input=\"%s\" err=\"%s\"",
                       self->path,
                       csv_feed_error (self->csvf));
            return S_R_ERROR;
    }
    memset (item, 0, sizeof *item);
    item->line = row.line;
    item->end_offset = row.end_offset;
    item->end_line = row.end_line;
    if (st == CSV_FEED_EVENT) {
        item->kind = INPUT_ITEM_EVENT;
        item->data = row.event.line;
        item->len = row.event.len;
    } else {
        item->kind = INPUT_ITEM_REFUSED;
        item->why = row.why;
        item->data = row.raw;
        item->len = row.raw_len;
    }
    return S_R_ITEM;
}

/* --- following -------------------------------------------------------------------- */

/* Whether the file still holds what was read: not truncated below the read position,
   and the kilobyte before the position taken unchanged since it was last seen. Made
   before reading on after a wait, so that bytes written over what was read are never
   taken from the middle of a line. Starts again from the start (logged) and returns
   true when it does not. */
static bool
s_check_content (input_t *self, struct stat *st)
{
    if (fstat (self->fd, st) != 0) {
        memset (st, 0, sizeof *st);
        st->st_nlink = 1;
        return false;
    }
    off_t read_to = lseek (self->fd, 0, SEEK_CUR);
    if (read_to >= 0 && st->st_size < read_to) {
        log_warn ("agent",
                  "input was truncated, reading it from the start",
                  "input=\"%s\" size=%jd offset=%" PRIu64,
                  self->path,
                  (intmax_t)st->st_size,
                  self->pos_offset);
        s_restart_at (self, 0, 0);
        return true;
    }
    if (self->pos_offset > 0) {
        uint64_t len;
        uint64_t fp = offsets_fingerprint_before (self->fd, self->pos_offset, &len);
        if (!self->fp_valid || self->fp_pos != self->pos_offset) {
            self->fp_valid = len > 0;
            self->fp = fp;
            self->fp_len = len;
            self->fp_pos = self->pos_offset;
        } else if (len != self->fp_len || fp != self->fp) {
            log_warn ("agent",
                      "input changed before where reading stopped, reading it from the start",
                      "input=\"%s\" offset=%" PRIu64,
                      self->path,
                      self->pos_offset);
            s_restart_at (self, 0, 0);
            return true;
        }
    }
    return false;
}

/* At the end of a followed file: whether to read again (the checks of input.h found
   something), or wait. */
static bool
s_look_at_end (input_t *self, int64_t now)
{
    self->last_look = now;
    struct stat st;
    if (s_check_content (self, &st))
        return true;
    struct stat now_at_name;
    bool other = stat (self->path, &now_at_name) == 0 &&
                 (now_at_name.st_dev != st.st_dev || now_at_name.st_ino != st.st_ino);
    if (other || st.st_nlink == 0) {
        log_info ("agent",
                  other ? "input rotated, finishing the old file" : "input deleted, finishing it",
                  "input=\"%s\" line=%" PRIu64,
                  self->path,
                  self->pos_line);
        s_finish_reader (self);
        self->rotating = true;
        return true;
    }
    if (self->writer_closed && now - self->last_change >= INPUT_PARTIAL_MS &&
        s_has_partial (self)) {
        log_info ("agent",
                  "taking a last line without a newline: its writer closed the file",
                  "input=\"%s\" line=%" PRIu64,
                  self->path,
                  self->pos_line + 1);
        s_finish_reader (self);
        return true;
    }
    return false;
}

/* --- API -------------------------------------------------------------------------- */

input_t *
input_new (const char *path, const input_options_t *opts, char *err, size_t errlen)
{
    input_t *self = xcalloc (1, sizeof *self);
    self->path = xstrdup (path);
    self->follow = opts->follow;
    self->mapping = opts->mapping;
    self->offsets = opts->offsets;
    self->fd = -1;
    self->ready = true;
    self->last_change = self->last_look = INT64_MIN / 2;
    if (s_open (self, err, errlen) < 0) {
        input_destroy (&self);
        return NULL;
    }
    if (self->state == S_MISSING)
        log_warn ("agent", "input does not exist yet, waiting for it", "input=\"%s\"", path);
    return self;
}

void
input_destroy (input_t **self_p)
{
    if (!*self_p)
        return;
    input_t *self = *self_p;
    s_close_reader (self);
    free (self->path);
    free (self);
    *self_p = NULL;
}

input_status_t
input_next (input_t *self, int64_t now_ms, int64_t now_us, input_item_t *item)
{
    if (self->peeked) {
        *item = self->item;
        return INPUT_ITEM;
    }
    for (;;) {
        if (self->state == S_DONE)
            return INPUT_END;
        if (self->at_file_end)
            return INPUT_FILE_END;
        if (self->state == S_MISSING) {
            char err[512];
            if (access (self->path, F_OK) != 0)
                goto wait;
            int rc = s_open (self, err, sizeof err);
            if (rc < 0) {
                log_error ("agent", "could not open input, waiting", "err=\"%s\"", err);
                self->state = S_MISSING;
            }
            if (rc != 0)
                goto wait;
        }
        if (self->waited) {
            /* First make sure what was read is still there (input.h, Following). */
            self->waited = false;
            struct stat st;
            if (!self->finishing && s_check_content (self, &st))
                continue;
        }
        s_read_t r = self->feed ? s_read_feed (self, item) : s_read_csv (self, now_us, item);
        switch (r) {
            case S_R_ITEM:
                self->item = *item;
                self->peeked = true;
                return INPUT_ITEM;
            case S_R_AGAIN:
                return INPUT_AGAIN;
            case S_R_ERROR:
                s_close_reader (self);
                self->state = S_DONE;
                return INPUT_FAILED;
            case S_R_WAIT:
                if (self->stream || !self->follow || self->finishing)
                    goto wait;
                if (s_look_at_end (self, now_ms))
                    continue;
                goto wait;
            case S_R_EOF:
                if (self->fifo && self->follow) {
                    /* The writer closed: open the FIFO again, for the next writer. */
                    log_info ("agent",
                              "FIFO writer closed, waiting for the next",
                              "input=\"%s\" lines=%" PRIu64,
                              self->path,
                              self->pos_line);
                    s_close_reader (self);
                    char err[512];
                    if (s_open (self, err, sizeof err) != 0) {
                        log_error ("agent", "could not open input again", "err=\"%s\"", err);
                        self->state = S_DONE;
                        return INPUT_FAILED;
                    }
                    goto wait;
                }
                if (self->stream) {
                    log_info ("agent",
                              "input read",
                              "input=\"%s\" lines=%" PRIu64,
                              self->path,
                              self->pos_line);
                    s_close_reader (self);
                    self->state = S_DONE;
                    return INPUT_END;
                }
                if (self->follow && !self->rotating) {
                    /* The newline rule took the last line: go on following from there. */
                    s_restart_at (self, self->pos_offset, self->pos_line);
                    continue;
                }
                self->at_file_end = true;
                return INPUT_FILE_END;
        }
    }
wait:
    self->waited = self->follow && !self->stream && self->state == S_OPEN;
    self->ready = false;
    self->last_look = now_ms;
    return INPUT_WAIT;
}

void
input_consume (input_t *self)
{
    if (!self->peeked)
        return;
    self->peeked = false;
    self->pos_offset = self->item.end_offset;
    self->pos_line = self->item.end_line;
    self->pos_dirty = !self->stream;
}

void
input_taken (input_t *self, uint64_t id)
{
    self->last_id = id;
}

void
input_next_file (input_t *self)
{
    if (!self->at_file_end)
        return;
    log_info ("agent", "input read", "input=\"%s\" lines=%" PRIu64, self->path, self->pos_line);
    bool again = self->follow && self->rotating;
    s_close_reader (self);
    self->at_file_end = false;
    self->pos_offset = self->pos_line = 0;
    self->pos_dirty = self->cand_valid = false;
    if (!again) {
        self->state = S_DONE;
        return;
    }
    char err[512];
    if (s_open (self, err, sizeof err) < 0) {
        log_error ("agent", "could not open input, waiting", "err=\"%s\"", err);
        self->state = S_MISSING;
    }
    self->ready = true;
}

static void
s_note (input_t *self, uint64_t offset, uint64_t line)
{
    offsets_update (self->offsets, self->path, self->fd, offset, line);
}

bool
input_checkpoint (input_t *self, uint64_t durable, int64_t now_ms, bool force)
{
    if (self->stream || self->fd < 0)
        return false;
    if (force) {
        if ((self->pos_dirty || self->cand_valid) && durable >= self->last_id) {
            s_note (self, self->pos_offset, self->pos_line);
            self->pos_dirty = self->cand_valid = false;
            self->last_note = now_ms;
            return true;
        }
        return false;
    }
    bool noted = false;
    if (self->cand_valid && durable >= self->cand_id) {
        s_note (self, self->cand_offset, self->cand_line);
        self->cand_valid = false;
        noted = true;
    }
    if (!self->cand_valid && self->pos_dirty && now_ms - self->last_note >= INPUT_CHECKPOINT_MS) {
        self->cand_valid = true;
        self->cand_offset = self->pos_offset;
        self->cand_line = self->pos_line;
        self->cand_id = self->last_id;
        self->pos_dirty = false;
        self->last_note = now_ms;
        if (durable >= self->cand_id) {
            s_note (self, self->cand_offset, self->cand_line);
            self->cand_valid = false;
            noted = true;
        }
    }
    return noted;
}

void
input_notify (input_t *self, uint32_t mask, int64_t now_ms)
{
    self->ready = true;
    if (mask & (IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVE_SELF | IN_DELETE_SELF)) {
        self->last_change = now_ms;
        self->writer_closed = false;
    }
    if (mask & IN_CLOSE_WRITE) {
        self->last_change = now_ms;
        self->writer_closed = true;
    }
}

bool
input_is_ready (const input_t *self)
{
    return self->ready || self->peeked || self->at_file_end;
}

int
input_timeout_ms (const input_t *self, int64_t now_ms)
{
    int t = -1;
    if (self->pos_dirty || self->cand_valid)
        t = INPUT_CHECKPOINT_MS;
    if (!self->follow || self->state == S_DONE || (self->stream && !self->fifo))
        return t;
    int64_t due = self->last_look + INPUT_LOOK_MS;
    if (self->writer_closed && self->last_change + INPUT_PARTIAL_MS < due)
        due = self->last_change + INPUT_PARTIAL_MS;
    int look = due <= now_ms ? 0 : (int)(due - now_ms);
    if (self->stream)
        return t; /* a FIFO is polled */
    return t < 0 || look < t ? look : t;
}

const char *
input_path (const input_t *self)
{
    return self->path;
}

int
input_fd (const input_t *self)
{
    return self->fd;
}

bool
input_is_stream (const input_t *self)
{
    return self->stream;
}

bool
input_wants_poll (const input_t *self)
{
    return self->stream && self->state == S_OPEN && self->fd >= 0 && !self->ready && !self->peeked;
}

uint64_t
input_line (const input_t *self)
{
    return self->pos_line;
}
