/* Reading records back, with damage set aside (spool_cursor.h). */
#include "spool_cursor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "mem.h"
#include "spool_frame.h"
#include "spool_quarantine.h"

#define S_HEADER SPOOL_FRAME_HEADER

static spool_segment_t *
s_seg (const spool_cursor_t *self)
{
    return &self->segs->list[self->seg];
}

void
spool_cursor_init (spool_cursor_t *self,
                   spool_segments_t *segs,
                   const char *quarantine_dir,
                   spool_stats_t *stats)
{
    memset (self, 0, sizeof *self);
    self->segs = segs;
    self->quarantine_dir = quarantine_dir;
    self->stats = stats;
    self->fd = -1;
    self->buf = xmalloc (SPOOL_CURSOR_BUF);
}

void
spool_cursor_fini (spool_cursor_t *self)
{
    fileio_close (&self->fd);
    free (self->buf);
    self->buf = NULL;
}

void
spool_cursor_set (spool_cursor_t *self, size_t seg, uint64_t off, uint64_t prev_id)
{
    if (self->seg != seg)
        fileio_close (&self->fd);
    self->seg = seg;
    self->off = off;
    self->buf_len = 0;
    uint64_t first = s_seg (self)->first;
    uint64_t start = first ? first - 1 : 0;
    self->prev_id = prev_id > start ? prev_id : start;
}

uint64_t
spool_cursor_pos (const spool_cursor_t *self)
{
    return s_seg (self)->base + self->off;
}

void
spool_cursor_seek (spool_cursor_t *self, uint64_t pos, uint64_t prev_id)
{
    size_t k = spool_segments_find (self->segs, pos);
    const spool_segment_t *seg = &self->segs->list[k];
    uint64_t off = pos > seg->base ? pos - seg->base : 0;
    if (off > seg->size)
        off = seg->size;
    spool_cursor_set (self, k, off, prev_id);
}

void
spool_cursor_segments_removed (spool_cursor_t *self, size_t removed)
{
    if (self->seg >= removed) {
        self->seg -= removed;
        return;
    }
    fileio_close (&self->fd);
    self->seg = 0;
    self->off = 0;
    self->buf_len = 0;
}

static int
s_open (spool_cursor_t *self)
{
    if (self->fd >= 0)
        return 0;
    char *path = spool_segments_path (self->segs, s_seg (self)->first);
    self->fd = open (path, O_RDWR | O_CLOEXEC);
    int e = errno;
    if (self->fd < 0)
        log_error (
          "spool", "could not open spool segment", "file=\"%s\" err=\"%s\"", path, strerror (e));
    free (path);
    errno = e;
    return self->fd < 0 ? -1 : 0;
}

/* Makes [off, off + n) of the cursor's segment available; n ≤ SPOOL_CURSOR_BUF. Sets *p to
   it. Returns 1, 0 when the segment ends before off + n, or -1 on I/O error. */
static int
s_fill (spool_cursor_t *self, uint64_t off, size_t n, const unsigned char **p)
{
    uint64_t end = s_seg (self)->size;
    if (off + n > end)
        return 0;
    if (off < self->buf_off || off + n > self->buf_off + self->buf_len) {
        if (s_open (self) != 0)
            return -1;
        size_t want = end - off < SPOOL_CURSOR_BUF ? (size_t)(end - off) : SPOOL_CURSOR_BUF;
        ssize_t got = spool_segments_read (self->fd, self->buf, want, off);
        if (got < 0) {
            int e = errno;
            log_error ("spool",
                       "could not read spool segment",
                       "segment=%" PRIu64 " offset=%" PRIu64 " err=\"%s\"",
                       s_seg (self)->first,
                       off,
                       strerror (e));
            self->buf_len = 0;
            errno = e;
            return -1;
        }
        self->buf_off = off;
        self->buf_len = (size_t)got;
        if ((size_t)got < n)
            return 0; /* the file is shorter than we thought: treat the rest as missing */
    }
    *p = self->buf + (off - self->buf_off);
    return 1;
}

/* Whether a valid record or padding starts at off, below end. 1 yes (header in *fh),
   0 no, -1 I/O error. */
static int
s_check (spool_cursor_t *self, uint64_t off, uint64_t end, spool_frame_header_t *fh)
{
    const unsigned char *p;
    int rc = s_fill (self, off, S_HEADER, &p);
    if (rc <= 0)
        return rc;
    if (!spool_frame_header_read (p, fh))
        return 0;
    if (off + S_HEADER + fh->len > end)
        return 0;
    if (fh->id == 0)
        return spool_frame_verify (p, fh) ? 1 : 0;
    if (fh->len == 0 || fh->len > SPOOL_RECORD_MAX || fh->id <= self->prev_id)
        return 0;
    if (self->seg + 1 < self->segs->count && fh->id >= self->segs->list[self->seg + 1].first)
        return 0;
    rc = s_fill (self, off, S_HEADER + fh->len, &p);
    if (rc <= 0)
        return rc;
    return spool_frame_verify (p, fh) ? 1 : 0;
}

/* The first valid record or padding at or after from. 1 found (*at, *fh), 0 none, -1. */
static int
s_resync (spool_cursor_t *self, uint64_t from, uint64_t end, uint64_t *at, spool_frame_header_t *fh)
{
    uint64_t p = from;
    while (p + S_HEADER <= end) {
        size_t want = end - p < SPOOL_CURSOR_BUF ? (size_t)(end - p) : SPOOL_CURSOR_BUF;
        const unsigned char *b;
        int rc = s_fill (self, p, want, &b);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return 0;
        const unsigned char *q = spool_frame_find (b, want);
        if (!q) {
            if (want <= SPOOL_FRAME_MAGIC_LEN)
                break;
            p += want - (SPOOL_FRAME_MAGIC_LEN - 1);
            continue;
        }
        uint64_t cand = p + (uint64_t)(q - b);
        rc = s_check (self, cand, end, fh);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            *at = cand;
            return 1;
        }
        p = cand + 1;
    }
    return 0;
}

/* Copies [from, to) of the cursor's segment to quarantine, then covers it with padding.
   lost is the number of ids the stretch swallowed. */
static void
s_set_aside (spool_cursor_t *self, uint64_t from, uint64_t to, uint64_t lost)
{
    uint64_t seg_first = s_seg (self)->first;
    uint64_t bytes = to - from;
    char *path = spool_quarantine_path (self->quarantine_dir, seg_first, from);
    bool saved = spool_quarantine_copy (self->quarantine_dir, self->fd, seg_first, from, to) == 0;
    int e = errno;
    self->stats->quarantined_bytes += bytes;
    self->stats->quarantined_records += lost;
    if (!saved) {
        log_error ("spool",
                   "could not save damaged spool bytes, skipping them",
                   "segment=%" PRIu64 " offset=%" PRIu64 " bytes=%" PRIu64 " records=%" PRIu64
                   " file=\"%s\" err=\"%s\"",
                   seg_first,
                   from,
                   bytes,
                   lost,
                   path,
                   strerror (e));
        free (path);
        return;
    }
    log_warn ("spool",
              "damaged spool records moved to quarantine",
              "segment=%" PRIu64 " offset=%" PRIu64 " bytes=%" PRIu64 " records=%" PRIu64
              " file=\"%s\"",
              seg_first,
              from,
              bytes,
              lost,
              path);
    free (path);
    if (bytes < S_HEADER)
        return; /* too short to cover; found and set aside again next time, harmlessly */
    unsigned char h[S_HEADER];
    spool_frame_padding_make (h, (uint32_t)(bytes - S_HEADER));
    if (fileio_pwrite_all (self->fd, h, S_HEADER, from) != 0 ||
        spool_segments_datasync (self->segs, self->fd) != 0) {
        log_warn ("spool",
                  "could not cover damaged spool bytes",
                  "segment=%" PRIu64 " offset=%" PRIu64 " err=\"%s\"",
                  seg_first,
                  from,
                  strerror (errno));
        return;
    }
    /* Keep the buffer in step with the file. */
    if (from >= self->buf_off && from + S_HEADER <= self->buf_off + self->buf_len)
        memcpy (self->buf + (from - self->buf_off), h, S_HEADER);
    else
        self->buf_len = 0;
}

/* Cuts the torn tail of the last segment at open: a write the crash interrupted. */
static void
s_cut_tail (spool_cursor_t *self, uint64_t off)
{
    spool_segment_t *seg = s_seg (self);
    uint64_t bytes = seg->size - off;
    log_warn ("spool",
              "torn record cut from the end of the spool",
              "segment=%" PRIu64 " offset=%" PRIu64 " bytes=%" PRIu64,
              seg->first,
              off,
              bytes);
    if (ftruncate (self->fd, (off_t)off) != 0 ||
        spool_segments_datasync (self->segs, self->fd) != 0)
        /* Appends overwrite it anyway; the next open cuts whatever is left. */
        log_warn ("spool",
                  "could not cut torn record",
                  "segment=%" PRIu64 " err=\"%s\"",
                  seg->first,
                  strerror (errno));
    seg->size = off;
    self->buf_len = 0;
    self->stats->torn_bytes_cut += bytes;
}

int
spool_cursor_next (spool_cursor_t *self, bool tail, uint64_t last_id, spool_cursor_record_t *rec)
{
    const spool_segments_t *segs = self->segs;
    for (;;) {
        uint64_t end = s_seg (self)->size;
        if (self->off >= end)
            return 0;
        spool_frame_header_t fh;
        int rc = s_check (self, self->off, end, &fh);
        if (rc < 0)
            return -1;
        if (rc == 1 && fh.id == 0) {
            self->off += S_HEADER + (uint64_t)fh.len;
            continue;
        }
        if (rc == 1) {
            const unsigned char *p;
            if (s_fill (self, self->off, S_HEADER + fh.len, &p) != 1)
                return -1; /* just checked: cannot happen */
            *rec = (spool_cursor_record_t){ fh.id, self->off, p + S_HEADER, fh.len };
            self->off += S_HEADER + (uint64_t)fh.len;
            self->prev_id = fh.id;
            return 1;
        }
        uint64_t next;
        rc = s_resync (self, self->off + 1, end, &next, &fh);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            uint64_t lost = fh.id && fh.id > self->prev_id ? fh.id - self->prev_id - 1 : 0;
            s_set_aside (self, self->off, next, lost);
            self->off = next;
            continue;
        }
        bool last = self->seg + 1 == segs->count;
        if (tail && last) {
            s_cut_tail (self, self->off);
            return 0;
        }
        uint64_t bound = last ? last_id : segs->list[self->seg + 1].first - 1;
        s_set_aside (self, self->off, end, bound > self->prev_id ? bound - self->prev_id : 0);
        self->off = end;
        return 0;
    }
}

int
spool_cursor_recover_tail (spool_segments_t *segs,
                           const char *quarantine_dir,
                           spool_stats_t *stats,
                           uint64_t *max_id)
{
    spool_cursor_t cur;
    spool_cursor_init (&cur, segs, quarantine_dir, stats);
    spool_cursor_set (&cur, segs->count - 1, 0, 0);
    *max_id = cur.prev_id;
    spool_cursor_record_t rec;
    int rc;
    while ((rc = spool_cursor_next (&cur, true, 0, &rec)) == 1)
        *max_id = rec.id;
    spool_cursor_fini (&cur);
    return rc;
}

int
spool_cursor_find_above (spool_cursor_t *self, uint64_t floor, uint64_t last_id)
{
    const spool_segments_t *segs = self->segs;
    size_t k = 0;
    while (k + 1 < segs->count && segs->list[k + 1].first <= floor + 1)
        k++;
    spool_cursor_set (self, k, 0, 0);
    for (;;) {
        uint64_t prev = self->prev_id;
        spool_cursor_record_t rec;
        int rc = spool_cursor_next (self, false, last_id, &rec);
        if (rc < 0)
            return -1;
        if (rc == 1 && rec.id > floor) {
            /* Step back onto it: it is the next record to read. */
            self->off = rec.start;
            self->prev_id = prev;
            return 0;
        }
        if (rc == 0) {
            if (self->seg + 1 == segs->count)
                return 0;
            spool_cursor_set (self, self->seg + 1, 0, 0);
        }
    }
}
