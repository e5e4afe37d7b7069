/* The backlog of a spool from its files, read-only (see spool_backlog.h). */
#include "spool_backlog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "record.h"
#include "spool_ack_file.h"
#include "spool_frame.h"

#define S_SEGMENT_DIGITS 20

static int
s_cmp (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The segments' numbers, in order (caller frees). */
static uint64_t *
s_list (const char *spool_dir, size_t *count, char *err, size_t errlen)
{
    DIR *d = opendir (spool_dir);
    if (!d) {
        snprintf (err, errlen, "no spool in \"%s\": %s", spool_dir, strerror (errno));
        return NULL;
    }
    uint64_t *list = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        const char *name = e->d_name;
        size_t len = strlen (name);
        if (len != S_SEGMENT_DIGITS + 4 || strcmp (name + S_SEGMENT_DIGITS, ".seg") != 0 ||
            strspn (name, "0123456789") != S_SEGMENT_DIGITS)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            list = xrealloc (list, cap * sizeof *list);
        }
        list[n++] = strtoull (name, NULL, 10);
    }
    closedir (d);
    if (n > 0)
        qsort (list, n, sizeof *list, s_cmp);
    *count = n;
    return list ? list : xcalloc (1, sizeof *list);
}

/* The whole file (caller frees); NULL with errno when it cannot be read. */
static unsigned char *
s_slurp (const char *path, size_t *len)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    unsigned char *buf = NULL;
    if (fstat (fd, &st) == 0) {
        size_t size = (size_t)st.st_size, got = 0;
        buf = xmalloc (size ? size : 1);
        while (got < size) {
            ssize_t r = pread (fd, buf + got, size - got, (off_t)got);
            if (r <= 0)
                break; /* a shorter file: it is being cut, or a read error; what was read counts */
            got += (size_t)r;
        }
        *len = got;
    }
    int saved = errno;
    close (fd);
    errno = saved;
    return buf;
}

static void
s_oldest (spool_backlog_t *st, uint64_t id, const unsigned char *payload, size_t len)
{
    st->oldest_id = id;
    record_t rec;
    if (record_decode (payload, len, &rec) != 0)
        return;
    st->oldest_line = rec.line;
    snprintf (st->oldest_source, sizeof st->oldest_source, "%.*s", (int)rec.source_len, rec.source);
    json_t *obj = json_loadb (rec.data, rec.len, 0, NULL);
    const char *at = json_string_value (json_object_get (obj, "reported_at"));
    if (at)
        snprintf (st->oldest_reported_at, sizeof st->oldest_reported_at, "%s", at);
    json_decref (obj);
}

/* The frames of one segment: what is above the floor is counted. */
static void
s_scan (spool_backlog_t *st, const unsigned char *buf, size_t len, bool *counting)
{
    size_t off = 0;
    while (off + SPOOL_FRAME_HEADER <= len) {
        spool_frame_header_t fh;
        bool whole = spool_frame_header_read (buf + off, &fh) &&
                     (fh.id == 0 || (fh.len >= 1 && fh.len <= SPOOL_RECORD_MAX)) &&
                     fh.len <= len - off - SPOOL_FRAME_HEADER;
        if (!whole || !spool_frame_verify (buf + off, &fh)) {
            /* Damage (skipped, as the agent will set it aside), or a tail being written or
               torn (the end: the agent cuts it). */
            const unsigned char *next = spool_frame_find (buf + off + 1, len - off - 1);
            if (!next)
                return;
            size_t skip = (size_t)(next - (buf + off));
            st->damaged_bytes += skip;
            if (*counting)
                st->bytes += skip;
            off += skip;
            continue;
        }
        size_t size = SPOOL_FRAME_HEADER + fh.len;
        if (fh.id > st->floor) {
            if (!*counting) {
                *counting = true;
                s_oldest (st, fh.id, buf + off + SPOOL_FRAME_HEADER, fh.len);
            }
            st->events++;
        }
        if (*counting)
            st->bytes += size;
        off += size;
    }
}

int
spool_backlog_read (const char *dir, spool_backlog_t *st, char *err, size_t errlen)
{
    memset (st, 0, sizeof *st);
    char *spool_dir = xasprintf ("%s/spool", dir);
    size_t count = 0;
    uint64_t *list = s_list (spool_dir, &count, err, errlen);
    if (!list) {
        free (spool_dir);
        return -1;
    }
    spool_ack_file_t ack;
    spool_ack_file_init (&ack, spool_dir);
    st->floor = spool_ack_file_load (&ack);
    spool_ack_file_fini (&ack);
    bool counting = false;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        char *path = xasprintf ("%s/%020" PRIu64 ".seg", spool_dir, list[i]);
        size_t len = 0;
        unsigned char *buf = s_slurp (path, &len);
        if (buf) {
            st->segments++;
            s_scan (st, buf, len, &counting);
        } else if (errno != ENOENT) { /* ENOENT: deleted meanwhile, all acknowledged */
            snprintf (err, errlen, "could not read \"%s\": %s", path, strerror (errno));
            rc = -1;
        }
        free (buf);
        free (path);
    }
    free (list);
    free (spool_dir);
    return rc;
}
