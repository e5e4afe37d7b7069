/* The spool's segment files (spool_segments.h). */
#include "spool_segments.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "mem.h"

#define S_SEGMENT_EXT ".seg"
#define S_BLOCK 512 /* the unit a bad sector is read around in */

int
spool_segments_init (spool_segments_t *self,
                     const char *dir,
                     spool_stats_t *stats,
                     char *err,
                     size_t errlen)
{
    memset (self, 0, sizeof *self);
    self->dir = xstrdup (dir);
    self->stats = stats;
    self->dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (self->dir_fd < 0) {
        snprintf (err, errlen, "could not open spool directory \"%s\": %s", dir, strerror (errno));
        return -1;
    }
    return 0;
}

void
spool_segments_fini (spool_segments_t *self)
{
    fileio_close (&self->dir_fd);
    free (self->list);
    free (self->dir);
    self->list = NULL;
    self->dir = NULL;
    self->count = self->cap = 0;
}

char *
spool_segments_path (const spool_segments_t *self, uint64_t first)
{
    return xasprintf ("%s/%020" PRIu64 S_SEGMENT_EXT, self->dir, first);
}

void
spool_segments_push (spool_segments_t *self, uint64_t first, uint64_t size)
{
    if (self->count == self->cap) {
        self->cap = self->cap ? 2 * self->cap : 16;
        self->list = xrealloc (self->list, self->cap * sizeof *self->list);
    }
    uint64_t base = 0;
    if (self->count)
        base = self->list[self->count - 1].base + self->list[self->count - 1].size;
    self->list[self->count++] = (spool_segment_t){ first, size, base };
}

static int
s_cmp (const void *a, const void *b)
{
    uint64_t x = ((const spool_segment_t *)a)->first, y = ((const spool_segment_t *)b)->first;
    return x < y ? -1 : x > y;
}

/* Whether name is exactly one of our segment names (then *first and *size are set).
   Anything else ending in .seg is logged and left alone; other files (ack, lock) are not
   segments at all and pass silently. */
static bool
s_is_segment (const spool_segments_t *self, const char *name, uint64_t *first, uint64_t *size)
{
    size_t n = strlen (name), ext = strlen (S_SEGMENT_EXT);
    if (n <= ext || strcmp (name + n - ext, S_SEGMENT_EXT) != 0)
        return false;
    char *end;
    errno = 0;
    unsigned long long number = strtoull (name, &end, 10);
    bool ok = !errno && number != 0 && end == name + n - ext && name[0] != '-' && name[0] != '+';
    char *path = ok ? spool_segments_path (self, number) : NULL;
    struct stat st;
    /* Same number, other spelling (e.g. fewer digits): not one of ours. */
    ok = ok && strcmp (path + strlen (self->dir) + 1, name) == 0;
    ok = ok && stat (path, &st) == 0 && S_ISREG (st.st_mode);
    free (path);
    if (!ok) {
        log_warn ("spool",
                  "ignoring unexpected file in spool directory",
                  "file=\"%s/%s\"",
                  self->dir,
                  name);
        return false;
    }
    *first = number;
    *size = (uint64_t)st.st_size;
    return true;
}

int
spool_segments_load (spool_segments_t *self, char *err, size_t errlen)
{
    DIR *d = opendir (self->dir);
    if (!d) {
        snprintf (
          err, errlen, "could not read spool directory \"%s\": %s", self->dir, strerror (errno));
        return -1;
    }
    struct dirent *de;
    uint64_t first, size;
    while ((de = readdir (d)))
        if (s_is_segment (self, de->d_name, &first, &size))
            spool_segments_push (self, first, size);
    closedir (d);
    if (self->count > 1)
        qsort (self->list, self->count, sizeof *self->list, s_cmp);
    return 0;
}

void
spool_segments_rebase (spool_segments_t *self)
{
    uint64_t base = 0;
    for (size_t i = 0; i < self->count; i++) {
        self->list[i].base = base;
        base += self->list[i].size;
    }
}

spool_segment_t *
spool_segments_active (spool_segments_t *self)
{
    return &self->list[self->count - 1];
}

uint64_t
spool_segments_end (const spool_segments_t *self)
{
    const spool_segment_t *last = &self->list[self->count - 1];
    return last->base + last->size;
}

size_t
spool_segments_find (const spool_segments_t *self, uint64_t pos)
{
    size_t k = 0;
    while (k + 1 < self->count && self->list[k + 1].base <= pos)
        k++;
    return k;
}

int
spool_segments_sync_dir (spool_segments_t *self)
{
    if (fileio_fsync (self->dir_fd) == 0)
        return 0;
    int e = errno;
    log_error (
      "spool", "could not fsync spool directory", "dir=\"%s\" err=\"%s\"", self->dir, strerror (e));
    errno = e;
    return -1;
}

int
spool_segments_create (spool_segments_t *self, uint64_t first, bool quiet)
{
    char *path = spool_segments_path (self, first);
    int fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    int e = errno;
    if (fd < 0 && !quiet)
        log_error (
          "spool", "could not create spool segment", "file=\"%s\" err=\"%s\"", path, strerror (e));
    /* The name must be on disk before any record in the file counts as durable. */
    if (fd >= 0 && spool_segments_sync_dir (self) != 0) {
        e = errno;
        fileio_close (&fd);
        if (unlink (path) != 0) {
            /* an empty segment is harmless: the next open adopts it */
        }
    }
    free (path);
    if (fd >= 0)
        spool_segments_push (self, first, 0);
    errno = e;
    return fd;
}

int
spool_segments_reclaim (spool_segments_t *self, uint64_t floor, size_t *removed)
{
    size_t n = 0;
    int rc = 0;
    /* The next segment's name minus 1 is the highest id this one can hold. */
    while (n + 1 < self->count && self->list[n + 1].first - 1 <= floor) {
        char *path = spool_segments_path (self, self->list[n].first);
        if (unlink (path) != 0 && errno != ENOENT) {
            int e = errno;
            log_error ("spool",
                       "could not delete acknowledged spool segment",
                       "file=\"%s\" err=\"%s\"",
                       path,
                       strerror (e));
            free (path);
            errno = e;
            rc = -1;
            break;
        }
        free (path);
        n++;
    }
    *removed = n;
    if (n == 0)
        return rc;
    memmove (self->list, self->list + n, (self->count - n) * sizeof *self->list);
    self->count -= n;
    /* Losing a deletion to a crash only leaves a segment the next open deletes again. */
    if (spool_segments_sync_dir (self) != 0)
        rc = -1;
    return rc;
}

int
spool_segments_datasync (spool_segments_t *self, int fd)
{
    self->stats->fsyncs++;
    return fileio_fdatasync (fd);
}

ssize_t
spool_segments_read (int fd, unsigned char *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread (fd, buf + done, len - done, (off_t)(off + done));
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno != EIO)
            return -1;
        size_t block = S_BLOCK - (size_t)((off + done) % S_BLOCK);
        if (block > len - done)
            block = len - done;
        ssize_t m = pread (fd, buf + done, block, (off_t)(off + done));
        if (m > 0) {
            done += (size_t)m;
            continue;
        }
        if (m == 0)
            break;
        log_warn ("spool",
                  "unreadable spool block, treated as damaged",
                  "offset=%" PRIu64 " bytes=%zu",
                  off + done,
                  block);
        memset (buf + done, 0, block);
        done += block;
    }
    return (ssize_t)done;
}
