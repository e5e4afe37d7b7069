/* Copies of damaged spool bytes (spool_quarantine.h). */
#include "spool_quarantine.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "mem.h"
#include "spool_segments.h"

#define S_CHUNK (128 * 1024)

char *
spool_quarantine_path (const char *dir, uint64_t seg_first, uint64_t from)
{
    return xasprintf ("%s/%020" PRIu64 "-%" PRIu64 ".bad", dir, seg_first, from);
}

int
spool_quarantine_copy (const char *dir, int fd, uint64_t seg_first, uint64_t from, uint64_t to)
{
    if (mkdir (dir, 0750) != 0 && errno != EEXIST)
        return -1;
    char *path = spool_quarantine_path (dir, seg_first, from);
    int out = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    free (path);
    if (out < 0)
        return -1;
    int rc = -1;
    unsigned char *chunk = xmalloc (S_CHUNK);
    for (uint64_t off = from; off < to;) {
        size_t n = to - off < S_CHUNK ? (size_t)(to - off) : S_CHUNK;
        ssize_t got = spool_segments_read (fd, chunk, n, off);
        if (got == 0)
            errno = EIO; /* the segment is shorter than the stretch: the copy is not whole */
        if (got <= 0 || fileio_write_all (out, chunk, (size_t)got) != 0)
            goto out;
        off += (uint64_t)got;
    }
    if (fileio_fsync (out) != 0)
        goto out;
    if (fileio_fsync_dir (dir) != 0) {
        /* the copy itself is durable; only its name might not be after a crash */
    }
    rc = 0;
out:;
    int e = errno;
    free (chunk);
    fileio_close (&out);
    errno = e;
    return rc;
}
