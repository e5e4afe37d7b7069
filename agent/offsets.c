#include "offsets.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "mem.h"

/* Bytes at the start of a file whose hash tells a reused inode from the file we read. */
#define OFFSETS_FP_MAX 1024

typedef struct {
    char *name;
    uint64_t dev, ino;
    uint64_t offset, line;
    uint64_t fp_len; /* bytes hashed into fp */
    uint64_t fp;
    uint64_t tail_len; /* bytes just before offset hashed into tail_fp */
    uint64_t tail_fp;
} s_entry_t;

struct offsets {
    char *path;
    s_entry_t *entries;
    size_t count, cap;
    bool dirty;
};

/* FNV-1a of the len bytes at from; 0 when they cannot all be read. */
static uint64_t
s_hash_at (int fd, uint64_t from, uint64_t len)
{
    unsigned char buf[OFFSETS_FP_MAX];
    if (len > sizeof buf)
        return 0;
    ssize_t n = pread (fd, buf, (size_t)len, (off_t)from);
    uint64_t h = 0xcbf29ce484222325ull;
    for (ssize_t i = 0; i < n; i++)
        h = (h ^ buf[i]) * 0x100000001b3ull;
    return n == (ssize_t)len ? h : 0;
}

static uint64_t
s_fingerprint (int fd, uint64_t len)
{
    return s_hash_at (fd, 0, len);
}

uint64_t
offsets_fingerprint_before (int fd, uint64_t offset, uint64_t *len)
{
    *len = offset < OFFSETS_FP_MAX ? offset : OFFSETS_FP_MAX;
    uint64_t h = s_hash_at (fd, offset - *len, *len);
    if (h == 0)
        *len = 0;
    return h;
}

static s_entry_t *
s_find (offsets_t *self, uint64_t dev, uint64_t ino)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->entries[i].dev == dev && self->entries[i].ino == ino)
            return &self->entries[i];
    return NULL;
}

static s_entry_t *
s_add (offsets_t *self, const char *name, uint64_t dev, uint64_t ino)
{
    if (self->count == self->cap) {
        self->cap = self->cap ? 2 * self->cap : 8;
        self->entries = xrealloc (self->entries, self->cap * sizeof *self->entries);
    }
    s_entry_t *e = &self->entries[self->count++];
    memset (e, 0, sizeof *e);
    e->name = xstrdup (name);
    e->dev = dev;
    e->ino = ino;
    return e;
}

static void
s_remove (offsets_t *self, s_entry_t *e)
{
    free (e->name);
    *e = self->entries[--self->count];
}

static void
s_load (offsets_t *self)
{
    json_error_t jerr;
    json_t *root = json_load_file (self->path, 0, &jerr);
    if (!root) {
        if (access (self->path, F_OK) == 0)
            log_warn ("offsets",
                      "could not read saved input offsets, inputs will be read from the start",
                      "path=\"%s\" err=\"%s\"",
                      self->path,
                      jerr.text);
        return;
    }
    json_t *files = json_object_get (root, "files");
    size_t i;
    json_t *f;
    json_array_foreach (files, i, f)
    {
        const char *name = json_string_value (json_object_get (f, "name"));
        json_t *dev = json_object_get (f, "dev"), *ino = json_object_get (f, "ino");
        if (!name || !json_is_integer (dev) || !json_is_integer (ino))
            continue;
        s_entry_t *e = s_add (
          self, name, (uint64_t)json_integer_value (dev), (uint64_t)json_integer_value (ino));
        e->offset = (uint64_t)json_integer_value (json_object_get (f, "offset"));
        e->line = (uint64_t)json_integer_value (json_object_get (f, "line"));
        e->fp_len = (uint64_t)json_integer_value (json_object_get (f, "fingerprint_len"));
        const char *fp = json_string_value (json_object_get (f, "fingerprint"));
        e->fp = fp ? strtoull (fp, NULL, 16) : 0;
        e->tail_len = (uint64_t)json_integer_value (json_object_get (f, "tail_len"));
        const char *tail = json_string_value (json_object_get (f, "tail_fingerprint"));
        e->tail_fp = tail ? strtoull (tail, NULL, 16) : 0;
        if (e->fp_len > OFFSETS_FP_MAX || e->tail_len > OFFSETS_FP_MAX || e->tail_len > e->offset)
            e->fp_len = 0, e->offset = 0, e->line = 0, e->tail_len = 0;
    }
    json_decref (root);
}

offsets_t *
offsets_open (const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat (dir, &st) != 0) {
        snprintf (err, errlen, "could not use spool directory \"%s\": %s", dir, strerror (errno));
        return NULL;
    }
    if (!S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "could not use spool directory \"%s\": not a directory", dir);
        return NULL;
    }
    offsets_t *self = xcalloc (1, sizeof *self);
    self->path = xasprintf ("%s/%s", dir, OFFSETS_FILE);
    s_load (self);
    return self;
}

void
offsets_destroy (offsets_t **self_p)
{
    if (!*self_p)
        return;
    offsets_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free (self->entries[i].name);
    free (self->entries);
    free (self->path);
    free (self);
    *self_p = NULL;
}

void
offsets_resume (offsets_t *self, const char *name, int fd, uint64_t *offset, uint64_t *line)
{
    *offset = *line = 0;
    struct stat st;
    if (fstat (fd, &st) != 0)
        return;
    /* The same name now on another file: the old one was rotated or replaced. */
    for (size_t i = 0; i < self->count; i++) {
        s_entry_t *e = &self->entries[i];
        if (strcmp (e->name, name) == 0 &&
            (e->dev != (uint64_t)st.st_dev || e->ino != (uint64_t)st.st_ino)) {
            s_remove (self, e);
            self->dirty = true;
            i--;
        }
    }
    s_entry_t *e = s_find (self, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
    if (!e)
        return;
    if (strcmp (e->name, name) != 0) {
        log_info ("offsets",
                  "input was read before under another name",
                  "input=\"%s\" was=\"%s\"",
                  name,
                  e->name);
        free (e->name);
        e->name = xstrdup (name);
        self->dirty = true;
    }
    if ((uint64_t)st.st_size < e->offset) {
        log_warn ("offsets",
                  "input is shorter than where reading stopped, reading it from the start",
                  "input=\"%s\" size=%jd offset=%" PRIu64,
                  name,
                  (intmax_t)st.st_size,
                  e->offset);
        e->offset = e->line = e->fp_len = 0;
        self->dirty = true;
        return;
    }
    const char *changed = NULL;
    if (e->fp_len > 0 && s_fingerprint (fd, e->fp_len) != e->fp)
        changed = "input is not the file read before, reading it from the start";
    /* The bytes just before the saved offset: a file rewritten in place with the same
       start (lines inserted or changed further on) would otherwise resume mid-way. */
    else if (e->tail_len > 0 && s_hash_at (fd, e->offset - e->tail_len, e->tail_len) != e->tail_fp)
        changed = "input changed before where reading stopped, reading it from the start";
    if (changed) {
        log_warn ("offsets", changed, "input=\"%s\" offset=%" PRIu64, name, e->offset);
        e->offset = e->line = e->fp_len = e->tail_len = 0;
        self->dirty = true;
        return;
    }
    *offset = e->offset;
    *line = e->line;
}

void
offsets_update (offsets_t *self, const char *name, int fd, uint64_t offset, uint64_t line)
{
    struct stat st;
    if (fstat (fd, &st) != 0)
        return;
    s_entry_t *e = s_find (self, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
    if (!e)
        e = s_add (self, name, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
    if (e->offset == offset && e->line == line)
        return;
    e->offset = offset;
    e->line = line;
    /* Fingerprint only bytes already read: they are the ones a resume relies on. */
    uint64_t want = offset < OFFSETS_FP_MAX ? offset : OFFSETS_FP_MAX;
    if (e->fp_len != want) {
        e->fp = s_fingerprint (fd, want);
        e->fp_len = e->fp ? want : 0;
    }
    e->tail_fp = offsets_fingerprint_before (fd, offset, &e->tail_len);
    self->dirty = true;
}

void
offsets_forget (offsets_t *self, int fd)
{
    struct stat st;
    if (fstat (fd, &st) != 0)
        return;
    s_entry_t *e = s_find (self, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
    if (e) {
        s_remove (self, e);
        self->dirty = true;
    }
}

bool
offsets_is_dirty (offsets_t *self)
{
    return self->dirty;
}

int
offsets_save (offsets_t *self)
{
    if (!self->dirty)
        return 0;
    json_t *files = json_array ();
    for (size_t i = 0; i < self->count; i++) {
        s_entry_t *e = &self->entries[i];
        char fp[17], tail[17];
        snprintf (fp, sizeof fp, "%016" PRIx64, e->fp);
        snprintf (tail, sizeof tail, "%016" PRIx64, e->tail_fp);
        json_array_append_new (files,
                               json_pack ("{s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:s}",
                                          "name",
                                          e->name,
                                          "dev",
                                          (json_int_t)e->dev,
                                          "ino",
                                          (json_int_t)e->ino,
                                          "offset",
                                          (json_int_t)e->offset,
                                          "line",
                                          (json_int_t)e->line,
                                          "fingerprint_len",
                                          (json_int_t)e->fp_len,
                                          "fingerprint",
                                          fp,
                                          "tail_len",
                                          (json_int_t)e->tail_len,
                                          "tail_fingerprint",
                                          tail));
    }
    json_t *root = json_pack ("{s:i, s:o}", "version", 1, "files", files);
    char *text = json_dumps (root, JSON_INDENT (1));
    json_decref (root);
    size_t len = strlen (text);
    text[len] = '\n'; /* json_dumps' NUL is replaced; the length below excludes it */

    /* Replaced atomically and durably (file, rename, directory): after a crash the file
       holds either the old positions or the new ones, never an empty or partial file. */
    int rc = fileio_replace (self->path, text, len + 1, 0644);
    if (rc != 0)
        log_error ("offsets",
                   "could not save input offsets",
                   "path=\"%s\" err=\"%s\"",
                   self->path,
                   strerror (errno));
    else
        self->dirty = false;
    free (text);
    return rc;
}
