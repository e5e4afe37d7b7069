/* Durable file writing (fileio.h). The loops live here once; callers say what a failure
   means for their file. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"

/* One loop for write and pwrite (off NULL: at the file position), so the two cannot
   come to disagree on EINTR or on short writes. */
static int
s_write_loop (int fd, const unsigned char *buf, size_t len, const uint64_t *off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = off ? pwrite (fd, buf + done, len - done, (off_t)(*off + done))
                        : write (fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            /* No error and no progress: looping would spin for ever. */
            errno = EIO;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

int
fileio_write_all (int fd, const void *buf, size_t len)
{
    return s_write_loop (fd, buf, len, NULL);
}

int
fileio_pwrite_all (int fd, const void *buf, size_t len, uint64_t off)
{
    return s_write_loop (fd, buf, len, &off);
}

int
fileio_append_whole (int fd, const void *buf, size_t len)
{
    off_t start = lseek (fd, 0, SEEK_END);
    if (s_write_loop (fd, buf, len, NULL) == 0)
        return 0;
    int e = errno;
    if (start >= 0 && ftruncate (fd, start) != 0) {
        /* still torn; the caller's reader sees one bad line or record, not more */
    }
    errno = e;
    return -1;
}

int
fileio_fsync (int fd)
{
    int rc;
    while ((rc = fsync (fd)) != 0 && errno == EINTR)
        ;
    return rc;
}

int
fileio_fdatasync (int fd)
{
    int rc;
    while ((rc = fdatasync (fd)) != 0 && errno == EINTR)
        ;
    return rc;
}

void
fileio_close (int *fd_p)
{
    if (*fd_p < 0)
        return;
    int e = errno;
    close (*fd_p);
    *fd_p = -1;
    errno = e;
}

int
fileio_fsync_dir (const char *dir)
{
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fileio_fsync (fd);
    fileio_close (&fd);
    return rc;
}

/* The directory part of path ("." for a bare name); caller frees. */
static char *
s_dirname (const char *path)
{
    const char *slash = strrchr (path, '/');
    if (!slash)
        return xstrdup (".");
    return xstrndup (path, slash == path ? 1 : (size_t)(slash - path));
}

static int
s_replace (const char *path, const void *data, size_t len, mode_t mode, bool durable)
{
    char *tmp = xasprintf ("%s.tmp", path);
    char *dir = s_dirname (path);

    int rc = -1, e = 0;
    bool renamed = false;
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        e = errno;
        goto out;
    }
    /* fsync before the rename: otherwise the rename can reach the disk before the data,
       and a crash leaves path empty instead of old or new. */
    bool ok = s_write_loop (fd, data, len, NULL) == 0 && (!durable || fileio_fsync (fd) == 0);
    e = errno;
    /* close can report a delayed write error (NFS); EINTR on Linux still closes. */
    if (close (fd) != 0 && ok && errno != EINTR) {
        e = errno;
        ok = false;
    }
    if (!ok)
        goto out;
    if (rename (tmp, path) != 0) {
        e = errno;
        goto out;
    }
    renamed = true;
    /* Until the directory is on disk the rename can be undone by a power cut. */
    if (durable && fileio_fsync_dir (dir) != 0) {
        e = errno;
        goto out;
    }
    rc = 0;
out:
    if (!renamed && fd >= 0 && unlink (tmp) != 0) {
        /* a stale path.tmp is harmless: the next replace truncates it */
    }
    free (tmp);
    free (dir);
    if (rc != 0)
        errno = e;
    return rc;
}

int
fileio_replace (const char *path, const void *data, size_t len, mode_t mode)
{
    return s_replace (path, data, len, mode, true);
}

int
fileio_replace_unsynced (const char *path, const void *data, size_t len, mode_t mode)
{
    return s_replace (path, data, len, mode, false);
}
