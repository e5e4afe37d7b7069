/* A drop folder (see watch_dir.h). */
#include "watch_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "mem.h"

/* A file found being written is looked at again this often. */
#define WATCH_DIR_LOOK_MS 1000

typedef enum {
    S_WRITING, /* found open for writing: waits for its close */
    S_READY,   /* complete, not taken yet */
    S_TAKEN,   /* being read (or could not be moved away) */
} s_state_t;

typedef struct {
    char *name;
    char *path;
    s_state_t state;
} s_file_t;

struct watch_dir {
    char *dir;
    csv_mapping_t *mapping; /* DIR/mapping.ini, when the folder has one */
    bool csv, once;
    int wd;
    s_file_t *files;
    size_t count, cap;
    int64_t last_look;
};

static bool
s_matches (const watch_dir_t *self, const char *name)
{
    if (!name || name[0] == '.')
        return false;
    size_t n = strlen (name);
    if (n > 6 && strcasecmp (name + n - 6, ".jsonl") == 0)
        return true;
    return self->csv && n > 4 && strcasecmp (name + n - 4, ".csv") == 0;
}

static s_file_t *
s_find (watch_dir_t *self, const char *name)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->files[i].name, name) == 0)
            return &self->files[i];
    return NULL;
}

static s_file_t *
s_add (watch_dir_t *self, const char *name, s_state_t state)
{
    if (self->count == self->cap) {
        self->cap = self->cap ? 2 * self->cap : 16;
        self->files = xrealloc (self->files, self->cap * sizeof *self->files);
    }
    s_file_t *f = &self->files[self->count++];
    f->name = xstrdup (name);
    f->path = xasprintf ("%s/%s", self->dir, name);
    f->state = state;
    return f;
}

static void
s_remove (watch_dir_t *self, s_file_t *f)
{
    free (f->name);
    free (f->path);
    *f = self->files[--self->count];
}

/* Whether a process this one can see has the file (dev, ino) open for writing: its
   /proc/PID/fd links, and the access mode in /proc/PID/fdinfo. */
static bool
s_open_for_writing (dev_t dev, ino_t ino)
{
    DIR *proc = opendir ("/proc");
    if (!proc)
        return false;
    bool found = false;
    pid_t me = getpid ();
    struct dirent *p;
    while (!found && (p = readdir (proc))) {
        char *end;
        long pid = strtol (p->d_name, &end, 10);
        if (*end || pid <= 0 || pid == me)
            continue;
        char path[64];
        snprintf (path, sizeof path, "/proc/%ld/fd", pid);
        DIR *fds = opendir (path);
        if (!fds)
            continue; /* gone, or not ours to see */
        struct dirent *f;
        while (!found && (f = readdir (fds))) {
            if (f->d_name[0] == '.')
                continue;
            char link[320];
            struct stat st;
            snprintf (link, sizeof link, "/proc/%ld/fd/%s", pid, f->d_name);
            if (stat (link, &st) != 0 || st.st_dev != dev || st.st_ino != ino)
                continue;
            char info[320], text[256];
            snprintf (info, sizeof info, "/proc/%ld/fdinfo/%s", pid, f->d_name);
            FILE *in = fopen (info, "r");
            if (!in)
                continue;
            while (fgets (text, sizeof text, in)) {
                unsigned long flags;
                if (sscanf (text, "flags: %lo", &flags) == 1) {
                    int mode = (int)(flags & O_ACCMODE);
                    found = mode == O_WRONLY || mode == O_RDWR;
                    break;
                }
            }
            fclose (in);
        }
        closedir (fds);
    }
    closedir (proc);
    return found;
}

static bool
s_is_written (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 && s_open_for_writing (st.st_dev, st.st_ino);
}

static bool
s_is_regular (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 && S_ISREG (st.st_mode);
}

/* Lists the folder: every matching file not known yet is ready, or waits for its writer. */
static void
s_scan (watch_dir_t *self)
{
    DIR *d = opendir (self->dir);
    if (!d) {
        log_error ("agent",
                   "could not list watched folder",
                   "dir=\"%s\" err=\"%s\"",
                   self->dir,
                   strerror (errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir (d))) {
        if (!s_matches (self, e->d_name) || s_find (self, e->d_name))
            continue;
        char *path = xasprintf ("%s/%s", self->dir, e->d_name);
        bool regular = s_is_regular (path), written = regular && s_is_written (path);
        free (path);
        if (!regular)
            continue;
        if (written && self->once) {
            log_warn ("agent",
                      "file in watched folder is still being written, left for the next run",
                      "dir=\"%s\" file=\"%s\"",
                      self->dir,
                      e->d_name);
            continue;
        }
        s_file_t *f = s_add (self, e->d_name, written ? S_WRITING : S_READY);
        if (written)
            log_info ("agent",
                      "file in watched folder is being written, waiting for it to be closed",
                      "file=\"%s\"",
                      f->path);
    }
    closedir (d);
}

watch_dir_t *
watch_dir_new (const char *dir, bool csv, bool once, int inotify_fd, char *err, size_t errlen)
{
    struct stat st;
    if (stat (dir, &st) != 0 || !S_ISDIR (st.st_mode)) {
        snprintf (err,
                  errlen,
                  "could not watch folder \"%s\": %s",
                  dir,
                  errno && !S_ISDIR (st.st_mode) ? strerror (errno) : "not a directory");
        return NULL;
    }
    watch_dir_t *self = xcalloc (1, sizeof *self);
    self->dir = xstrdup (dir);
    size_t n = strlen (self->dir);
    while (n > 1 && self->dir[n - 1] == '/')
        self->dir[--n] = '\0';
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", self->dir, WATCH_DIR_MAPPING);
    if (access (path, F_OK) == 0) {
        char why[512];
        self->mapping = csv_mapping_load (path, why, sizeof why);
        if (!self->mapping) {
            snprintf (err, errlen, "%s", why);
            watch_dir_destroy (&self);
            return NULL;
        }
    }
    self->csv = csv || self->mapping;
    self->once = once;
    self->wd = -1;
    if (inotify_fd >= 0) {
        self->wd =
          inotify_add_watch (inotify_fd, self->dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MASK_ADD);
        if (self->wd < 0) {
            snprintf (err, errlen, "could not watch folder \"%s\": %s", dir, strerror (errno));
            watch_dir_destroy (&self);
            return NULL;
        }
    }
    s_scan (self);
    log_info ("agent",
              "watching folder",
              "dir=\"%s\" files=%zu mapping=\"%s\"",
              self->dir,
              self->count,
              self->mapping ? WATCH_DIR_MAPPING : "");
    return self;
}

void
watch_dir_destroy (watch_dir_t **self_p)
{
    if (!*self_p)
        return;
    watch_dir_t *self = *self_p;
    csv_mapping_destroy (&self->mapping);
    while (self->count > 0)
        s_remove (self, &self->files[self->count - 1]);
    free (self->files);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

int
watch_dir_wd (const watch_dir_t *self)
{
    return self->wd;
}

const char *
watch_dir_path (const watch_dir_t *self)
{
    return self->dir;
}

void
watch_dir_on_event (watch_dir_t *self, uint32_t mask, const char *name)
{
    if (mask & IN_Q_OVERFLOW) {
        s_scan (self);
        return;
    }
    if (!(mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) || !s_matches (self, name))
        return;
    s_file_t *f = s_find (self, name);
    if (f) {
        if (f->state == S_WRITING)
            f->state = S_READY;
        return; /* ready or being read already */
    }
    char *path = xasprintf ("%s/%s", self->dir, name);
    bool regular = s_is_regular (path);
    free (path);
    if (regular)
        s_add (self, name, S_READY);
}

const char *
watch_dir_take (watch_dir_t *self, int64_t now_ms)
{
    if (now_ms - self->last_look >= WATCH_DIR_LOOK_MS) {
        self->last_look = now_ms;
        for (size_t i = 0; i < self->count; i++)
            if (self->files[i].state == S_WRITING && !s_is_written (self->files[i].path))
                self->files[i].state = S_READY;
    }
    for (size_t i = 0; i < self->count; i++) {
        s_file_t *f = &self->files[i];
        if (f->state != S_READY)
            continue;
        if (!s_is_regular (f->path)) { /* moved away or deleted meanwhile */
            s_remove (self, f);
            i--;
            continue;
        }
        f->state = S_TAKEN;
        return f->path;
    }
    return NULL;
}

/* A free name for base in dir: base, base.1, base.2 ... (caller frees). */
static char *
s_free_name (const char *dir, const char *base)
{
    char *path = xasprintf ("%s/%s", dir, base);
    for (int i = 1; access (path, F_OK) == 0; i++) {
        free (path);
        path = xasprintf ("%s/%s.%d", dir, base, i);
    }
    return path;
}

int
watch_dir_done (watch_dir_t *self, const char *path, bool failed)
{
    s_file_t *f = NULL;
    for (size_t i = 0; i < self->count && !f; i++)
        if (self->files[i].path == path || strcmp (self->files[i].path, path) == 0)
            f = &self->files[i];
    if (!f)
        return -1;
    char *to_dir = xasprintf ("%s/%s", self->dir, failed ? WATCH_DIR_FAILED : WATCH_DIR_DONE);
    char *to = NULL;
    int rc = -1;
    if (mkdir (to_dir, 0750) != 0 && errno != EEXIST)
        goto out;
    to = s_free_name (to_dir, f->name);
    if (rename (f->path, to) != 0)
        goto out;
    /* Durable: the name gone from DIR and present in done/ (or failed/). */
    if (fileio_fsync_dir (to_dir) != 0 || fileio_fsync_dir (self->dir) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        log_error ("agent",
                   "could not move file out of watched folder",
                   "file=\"%s\" to=\"%s\" err=\"%s\"",
                   f->path,
                   to ? to : to_dir,
                   strerror (errno));
    else if (failed)
        log_error ("agent",
                   "file could not be read, moved to failed/",
                   "file=\"%s\" to=\"%s\"",
                   f->path,
                   to);
    else
        log_info ("agent", "file read, moved to done/", "file=\"%s\" to=\"%s\"", f->path, to);
    if (rc == 0)
        s_remove (self, f);
    free (to);
    free (to_dir);
    return rc;
}

int
watch_dir_timeout_ms (const watch_dir_t *self, int64_t now_ms)
{
    for (size_t i = 0; i < self->count; i++) {
        if (self->files[i].state == S_READY)
            return 0;
    }
    for (size_t i = 0; i < self->count; i++)
        if (self->files[i].state == S_WRITING) {
            int64_t due = self->last_look + WATCH_DIR_LOOK_MS;
            return due <= now_ms ? 0 : (int)(due - now_ms);
        }
    return -1;
}

bool
watch_dir_is_idle (const watch_dir_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->files[i].state != S_TAKEN)
            return false;
    return true;
}

const csv_mapping_t *
watch_dir_mapping (const watch_dir_t *self)
{
    return self->mapping;
}
