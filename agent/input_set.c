/* The agent's inputs as a set (see input_set.h). */
#include "input_set.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_options.h"
#include "event.h"
#include "input.h"
#include "log.h"
#include "mem.h"
#include "watch_dir.h"
#include "poll_timeout.h"

#define S_FILE_EVENTS (IN_MODIFY | IN_CLOSE_WRITE | IN_MOVE_SELF | IN_DELETE_SELF)
#define S_DIR_EVENTS (IN_CREATE | IN_MOVED_TO)

typedef struct {
    input_t *input;
    watch_dir_t *from; /* the --watch folder it was taken from, or NULL */
    int wd;            /* inotify watch on the file read now (-1: none) */
    uint64_t wd_dev, wd_ino;
    bool wd_tried; /* a watch was asked for the file (dev, ino) */
    int dir_wd;    /* on its folder, for the name (followed inputs; -1: none) */
    char *base;    /* the name within that folder */
    bool done;
} s_entry_t;

struct input_set {
    intake_t *intake;
    offsets_t *offsets;
    rejects_t *rejects;
    const csv_mapping_t *mapping;
    bool follow;
    int inotify_fd; /* -1 when nothing is followed or watched */
    s_entry_t *entries;
    size_t count, cap;
    size_t next; /* round robin: the entry read first next turn */
    watch_dir_t **dirs;
    size_t ndirs;
    int polled[INPUT_SET_POLLED_MAX]; /* entry of each poll item after the first */
    int npolled;
    bool inotify_polled;
    input_set_counts_t counts;
    input_set_options_t opts; /* on_read */
    bool failed;
    int64_t last_save;
};

/* --- entries and their watches --------------------------------------------------- */

static void
s_watch_file (input_set_t *self, s_entry_t *e)
{
    if (self->inotify_fd < 0 || !self->follow || e->from || input_is_stream (e->input))
        return;
    int fd = input_fd (e->input);
    struct stat st;
    if (fd < 0 || fstat (fd, &st) != 0)
        return;
    if (e->wd_tried && e->wd_dev == (uint64_t)st.st_dev && e->wd_ino == (uint64_t)st.st_ino)
        return; /* watched (or tried: the once-a-second look covers it) */
    if (e->wd >= 0)
        inotify_rm_watch (self->inotify_fd, e->wd);
    /* The file read now, through its descriptor: after a rotation the name is another's. */
    char path[64];
    snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
    e->wd = inotify_add_watch (self->inotify_fd, path, S_FILE_EVENTS);
    e->wd_dev = (uint64_t)st.st_dev;
    e->wd_ino = (uint64_t)st.st_ino;
    e->wd_tried = true;
    if (e->wd < 0)
        log_warn ("agent",
                  "could not watch input for changes, looking at it every second",
                  "input=\"%s\" err=\"%s\"",
                  input_path (e->input),
                  strerror (errno));
}

static void
s_watch_dir_of (input_set_t *self, s_entry_t *e, const char *path)
{
    if (self->inotify_fd < 0 || !self->follow || strcmp (path, "-") == 0)
        return;
    char *copy = xstrdup (path);
    char *slash = strrchr (copy, '/');
    const char *dir = ".";
    if (slash) {
        *slash = '\0';
        dir = slash == copy ? "/" : copy;
        e->base = xstrdup (slash + 1);
    } else {
        e->base = xstrdup (path);
    }
    e->dir_wd = inotify_add_watch (self->inotify_fd, dir, S_DIR_EVENTS | IN_MASK_ADD);
    if (e->dir_wd < 0)
        log_warn ("agent",
                  "could not watch input's folder, looking for a new file every second",
                  "dir=\"%s\" err=\"%s\"",
                  dir,
                  strerror (errno));
    free (copy);
}

static s_entry_t *
s_add (input_set_t *self, input_t *input, watch_dir_t *from)
{
    if (self->count == self->cap) {
        self->cap = self->cap ? 2 * self->cap : 8;
        self->entries = xrealloc (self->entries, self->cap * sizeof *self->entries);
    }
    s_entry_t *e = &self->entries[self->count++];
    memset (e, 0, sizeof *e);
    e->input = input;
    e->from = from;
    e->wd = e->dir_wd = -1;
    if (!from)
        s_watch_dir_of (self, e, input_path (input));
    s_watch_file (self, e);
    return e;
}

static void
s_entry_fini (input_set_t *self, s_entry_t *e)
{
    if (e->wd >= 0 && self->inotify_fd >= 0)
        inotify_rm_watch (self->inotify_fd, e->wd);
    input_destroy (&e->input);
    free (e->base);
}

/* A dropped file is read through its folder's own mapping when it has one. */
static input_t *
s_open_input (input_set_t *self,
              const char *path,
              const watch_dir_t *from,
              bool follow,
              char *err,
              size_t errlen)
{
    const csv_mapping_t *mapping =
      from && watch_dir_mapping (from) ? watch_dir_mapping (from) : self->mapping;
    input_options_t io = { .follow = follow,
                           .mapping = agent_options_is_csv (path) ? mapping : NULL,
                           .offsets = self->offsets };
    return input_new (path, &io, err, errlen);
}

static size_t
s_watched_count (const input_set_t *self)
{
    size_t n = 0;
    for (size_t i = 0; i < self->count; i++)
        n += self->entries[i].from != NULL && !self->entries[i].done;
    return n;
}

/* Takes the complete files of the --watch folders, as many as may be read at once. */
static void
s_take_watched (input_set_t *self, int64_t now)
{
    size_t n = s_watched_count (self);
    for (size_t d = 0; d < self->ndirs && n < INPUT_SET_WATCHED_MAX; d++) {
        const char *path;
        while (n < INPUT_SET_WATCHED_MAX && (path = watch_dir_take (self->dirs[d], now))) {
            char err[512];
            input_t *in = s_open_input (self, path, self->dirs[d], false, err, sizeof err);
            if (!in) {
                log_error ("agent", "could not open file of watched folder", "err=\"%s\"", err);
                self->failed = true;
                if (watch_dir_done (self->dirs[d], path, true) != 0) {
                    /* logged; it stays taken for this run */
                }
                continue;
            }
            s_add (self, in, self->dirs[d]);
            n++;
        }
    }
}

/* --- reading ------------------------------------------------------------------------ */

typedef enum { S_MORE, S_WAITING, S_PAUSED, S_DONE } s_result_t;

static void
s_save (input_set_t *self, int64_t now)
{
    /* Rejected lines before a saved position must not be lost either. */
    if (rejects_sync (self->rejects) != 0) {
        /* logged; a reject line is worth less than the delivery it would hold up */
    }
    if (offsets_save (self->offsets) != 0) {
        /* logged; the old positions stay: those lines are read again later */
    }
    self->last_save = now;
}

/* The file is read to its end: everything taken from it is made durable and its last
   position saved before it is left (for the next file at the name, done/, or good). */
static bool
s_file_end (input_set_t *self, s_entry_t *e, int64_t now)
{
    if (intake_sync (self->intake) != 0)
        return false; /* logged; tried again next turn */
    if (input_checkpoint (e->input, intake_durable_id (self->intake), now, true))
        s_save (self, now);
    if (e->from && watch_dir_done (e->from, input_path (e->input), false) == 0) {
        offsets_forget (self->offsets, input_fd (e->input));
        s_save (self, now);
    }
    input_next_file (e->input);
    s_watch_file (self, e);
    return true;
}

static s_result_t
s_read_entry (input_set_t *self, s_entry_t *e, int64_t now, int64_t now_us)
{
    input_t *in = e->input;
    const char *source = input_path (in);
    for (int n = 0; n < INPUT_SET_LINES; n++) {
        input_item_t item;
        switch (input_next (in, now, now_us, &item)) {
            case INPUT_ITEM:
                break;
            case INPUT_WAIT:
                return S_WAITING;
            case INPUT_AGAIN:
                return S_MORE;
            case INPUT_FILE_END:
                if (!s_file_end (self, e, now))
                    return S_PAUSED;
                continue;
            case INPUT_END:
                e->done = true;
                return S_DONE;
            case INPUT_FAILED:
            default:
                self->failed = true;
                if (e->from && watch_dir_done (e->from, source, true) != 0) {
                    /* logged; it stays taken for this run */
                }
                e->done = true;
                return S_DONE;
        }
        uint64_t id;
        reject_t why;
        switch (item.kind) {
            case INPUT_ITEM_BLANK:
                self->counts.blank++;
                break;
            case INPUT_ITEM_REFUSED:
                intake_refuse (self->intake, &item.why, source, item.line, item.data, item.len);
                break;
            case INPUT_ITEM_EVENT:
                switch (
                  intake_offer (self->intake, source, item.line, item.data, item.len, &id, &why)) {
                    case INTAKE_TAKEN:
                        input_taken (in, id);
                        break;
                    case INTAKE_REJECTED:
                        intake_reject (self->intake, &why, source, item.line, item.data, item.len);
                        break;
                    case INTAKE_FULL:
                    case INTAKE_FAILED:
                    default:
                        return S_PAUSED; /* the same item is offered again later */
                }
                break;
        }
        self->counts.read++;
        if (self->opts.on_read)
            self->opts.on_read (self->opts.on_read_arg, source);
        input_consume (in);
    }
    return S_MORE;
}

static void
s_read (input_set_t *self, int64_t now)
{
    if (self->count == 0)
        return;
    int64_t now_us = event_now_us ();
    size_t first = self->next % self->count;
    for (size_t k = 0; k < self->count; k++) {
        size_t i = (first + k) % self->count;
        s_entry_t *e = &self->entries[i];
        if (e->done || !input_is_ready (e->input))
            continue;
        if (zclock_mono () - now >= INPUT_SET_READ_MS || intake_is_paused (self->intake)) {
            self->next = i; /* it goes first next turn */
            return;
        }
        s_result_t r = s_read_entry (self, e, now, now_us);
        s_watch_file (self, e);
        if (r == S_PAUSED) {
            self->next = i;
            return;
        }
    }
    self->next = first + 1;
}

/* Drops the finished entries (keeping the round robin's place roughly). */
static void
s_compact (input_set_t *self)
{
    size_t j = 0;
    for (size_t i = 0; i < self->count; i++) {
        if (self->entries[i].done)
            s_entry_fini (self, &self->entries[i]);
        else
            self->entries[j++] = self->entries[i];
    }
    self->count = j;
}

/* --- change notices ----------------------------------------------------------------- */

static void
s_on_event (input_set_t *self, const struct inotify_event *ev, int64_t now)
{
    for (size_t i = 0; i < self->count; i++) {
        s_entry_t *e = &self->entries[i];
        if (ev->mask & IN_Q_OVERFLOW) {
            input_notify (e->input, IN_MODIFY, now);
            continue;
        }
        if (ev->wd == e->wd) {
            if (ev->mask & IN_IGNORED)
                e->wd = -1; /* the file is gone: watched again if it comes back */
            input_notify (e->input, ev->mask, now);
        }
        if (ev->wd == e->dir_wd && ev->len > 0 && strcmp (ev->name, e->base) == 0)
            input_notify (e->input, ev->mask, now);
    }
    for (size_t d = 0; d < self->ndirs; d++)
        if ((ev->mask & IN_Q_OVERFLOW) || ev->wd == watch_dir_wd (self->dirs[d]))
            watch_dir_on_event (self->dirs[d], ev->mask, ev->len > 0 ? ev->name : NULL);
}

static void
s_drain_inotify (input_set_t *self, int64_t now)
{
    char buf[16 * (sizeof (struct inotify_event) + NAME_MAX + 1)]
      __attribute__ ((aligned (__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read (self->inotify_fd, buf, sizeof buf);
        if (n <= 0)
            return; /* EAGAIN: all read */
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            s_on_event (self, ev, now);
            p += sizeof *ev + ev->len;
        }
    }
}

/* --- API ---------------------------------------------------------------------------- */

input_set_t *
input_set_new (const input_set_options_t *opts,
               intake_t *intake,
               offsets_t *offsets,
               rejects_t *rejects,
               char *err,
               size_t errlen)
{
    input_set_t *self = xcalloc (1, sizeof *self);
    self->intake = intake;
    self->offsets = offsets;
    self->rejects = rejects;
    self->mapping = opts->mapping;
    self->opts = *opts;
    self->follow = opts->follow;
    self->inotify_fd = -1;
    if (opts->follow || (opts->nwatch > 0 && !opts->once)) {
        self->inotify_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
        if (self->inotify_fd < 0) {
            snprintf (
              err, errlen, "could not watch files for changes (inotify): %s", strerror (errno));
            goto fail;
        }
    }
    for (int i = 0; i < opts->ninputs; i++) {
        input_t *in = s_open_input (self, opts->inputs[i], NULL, opts->follow, err, errlen);
        if (!in)
            goto fail;
        s_add (self, in, NULL);
    }
    if (opts->nwatch > 0)
        self->dirs = xcalloc (opts->nwatch, sizeof *self->dirs);
    for (size_t d = 0; d < opts->nwatch; d++) {
        self->dirs[d] = watch_dir_new (
          opts->watch[d], opts->mapping != NULL, opts->once, self->inotify_fd, err, errlen);
        if (!self->dirs[d])
            goto fail;
        self->ndirs++;
    }
    return self;
fail:
    input_set_destroy (&self);
    return NULL;
}

void
input_set_destroy (input_set_t **self_p)
{
    if (!*self_p)
        return;
    input_set_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        s_entry_fini (self, &self->entries[i]);
    free (self->entries);
    for (size_t d = 0; d < self->ndirs; d++)
        watch_dir_destroy (&self->dirs[d]);
    free (self->dirs);
    if (self->inotify_fd >= 0)
        close (self->inotify_fd);
    free (self);
    *self_p = NULL;
}

int
input_set_pollitems (void *arg, zmq_pollitem_t *items, int max)
{
    input_set_t *self = arg;
    int n = 0;
    self->npolled = 0;
    self->inotify_polled = false;
    if (self->inotify_fd >= 0 && n < max) {
        items[n++] = (zmq_pollitem_t){ NULL, self->inotify_fd, ZMQ_POLLIN, 0 };
        self->inotify_polled = true;
    }
    if (intake_is_paused (self->intake))
        return n; /* a stream with input would only wake the loop for nothing */
    for (size_t i = 0; i < self->count && n < max && self->npolled < INPUT_SET_POLLED_MAX; i++)
        if (!self->entries[i].done && input_wants_poll (self->entries[i].input)) {
            items[n++] = (zmq_pollitem_t){ NULL, input_fd (self->entries[i].input), ZMQ_POLLIN, 0 };
            self->polled[self->npolled++] = (int)i;
        }
    return n;
}

int
input_set_timeout_ms (void *arg, int64_t now)
{
    input_set_t *self = arg;
    bool paused = intake_is_paused (self->intake);
    int t = -1;
    for (size_t i = 0; i < self->count; i++) {
        s_entry_t *e = &self->entries[i];
        if (e->done)
            continue;
        if (!paused && input_is_ready (e->input))
            return 0;
        t = poll_timeout_min (t, input_timeout_ms (e->input, now));
    }
    if (!paused && s_watched_count (self) < INPUT_SET_WATCHED_MAX)
        for (size_t d = 0; d < self->ndirs; d++)
            t = poll_timeout_min (t, watch_dir_timeout_ms (self->dirs[d], now));
    if (offsets_is_dirty (self->offsets))
        t = poll_timeout_min (t, INPUT_CHECKPOINT_MS);
    return t;
}

void
input_set_process (void *arg, zmq_pollitem_t *items, int n, int64_t now)
{
    input_set_t *self = arg;
    int k = 0;
    if (self->inotify_polled && k < n) {
        if (items[k].revents)
            s_drain_inotify (self, now);
        k++;
    }
    for (int j = 0; j < self->npolled && k < n; j++, k++)
        if (items[k].revents && (size_t)self->polled[j] < self->count)
            input_notify (self->entries[self->polled[j]].input, 0, now);
    self->npolled = 0;
    /* Looks due without a notice (once a second for a followed file; the newline rule). */
    for (size_t i = 0; i < self->count; i++)
        if (!self->entries[i].done && input_timeout_ms (self->entries[i].input, now) == 0)
            input_notify (self->entries[i].input, 0, now);
    s_take_watched (self, now);
    if (!intake_is_paused (self->intake))
        s_read (self, now);
    uint64_t durable = intake_durable_id (self->intake);
    for (size_t i = 0; i < self->count; i++)
        if (!self->entries[i].done)
            (void)input_checkpoint (self->entries[i].input, durable, now, false);
    if (offsets_is_dirty (self->offsets) && now - self->last_save >= INPUT_CHECKPOINT_MS)
        s_save (self, now);
    s_compact (self);
}

bool
input_set_is_idle (void *arg)
{
    input_set_t *self = arg;
    for (size_t i = 0; i < self->count; i++)
        if (!self->entries[i].done)
            return false;
    for (size_t d = 0; d < self->ndirs; d++)
        if (!watch_dir_is_idle (self->dirs[d]))
            return false;
    return true;
}

void
input_set_finish (void *arg)
{
    input_set_t *self = arg;
    uint64_t durable = intake_durable_id (self->intake);
    int64_t now = zclock_mono ();
    for (size_t i = 0; i < self->count; i++)
        if (!self->entries[i].done)
            (void)input_checkpoint (self->entries[i].input, durable, now, true);
    s_save (self, now);
}

bool
input_set_failed (const input_set_t *self)
{
    return self->failed;
}

const input_set_counts_t *
input_set_counts (const input_set_t *self)
{
    return &self->counts;
}
