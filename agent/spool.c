/* The agent's durable spool: segment files of checksummed records, group commit, an
   acknowledged floor, and recovery that never needs a human. The on-disk format and the
   recovery rules are in docs/SPOOL.md; this file follows them.

   Positions: each segment has a base, its first byte's place in one logical stream that
   runs through all segments in order, so "unacknowledged bytes" is one subtraction
   (end of the stream minus the end of the floor record). Bases live only in memory and
   are recomputed on open; only the last segment ever shrinks (a torn tail, or a failed
   append rolled back), so they never need to move.

   Reading back: a cursor walks one segment at a time through a small buffer, checking
   every record's checksum. Damage is set aside (copied to DIR/quarantine/ and covered
   in place by a padding record, so it is not found again) and the cursor resyncs on the
   next valid record. The records read but not yet below the floor are remembered in a
   ring (id and end position), which is what lets the floor move past acknowledged
   records and past the ids of quarantined ones; its size is bounded by the sender's
   window, not by the backlog. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "mem.h"

/* 0xFE never occurs in UTF-8, so JSON payloads cannot contain a false magic; the last
   byte is the format version. */
static const unsigned char s_magic[4] = {0xFE, 'P', 'S', 0x01};

#define S_HEADER        SPOOL_RECORD_HEADER
#define S_HEADER_CRC_AT 16
#define S_BUF_CAP       (128 * 1024)  /* ≥ one whole record: reads never straddle a refill */
#define S_SEGMENT_MAX   (1024ull * 1024 * 1024)  /* a padding record's length is 32 bits */
#define S_SEGMENT_EXT   ".seg"
#define S_ACK_FILE      "ack"
#define S_ACK_TMP       "ack.tmp"
#define S_LOCK_FILE     "lock"
#define S_BLOCK         512

typedef struct {
    uint64_t first;  /* from the name: no id in it is lower, every id before it is lower */
    uint64_t size;   /* bytes in use; for the active segment, where the next append goes */
    uint64_t base;   /* logical position of its first byte */
} s_segment_t;

typedef struct {
    size_t seg;          /* index in self->segs */
    int fd;              /* open on segs[seg], or -1 */
    uint64_t off;        /* next byte to look at */
    uint64_t prev_id;    /* id of the record before off (the segment's first - 1 at its start) */
    unsigned char *buf;  /* S_BUF_CAP bytes of segs[seg] from buf_off */
    uint64_t buf_off;
    size_t buf_len;
} s_cursor_t;

typedef struct {
    uint64_t id;
    uint64_t end;  /* logical position just after the record */
} s_flight_t;

typedef struct {
    uint64_t first, last;
} s_range_t;

typedef struct {
    uint64_t id;
    uint32_t len;
    bool pad;
} s_header_t;

typedef struct {
    uint64_t id;
    uint64_t start;
    const unsigned char *data;
    size_t len;
} s_record_t;

struct spool {
    char *dir;              /* DIR */
    char *spool_dir;        /* DIR/spool */
    char *quarantine_dir;   /* DIR/quarantine */
    spool_options_t opts;
    int dir_fd;             /* DIR/spool, for fsync after creating or deleting segments */
    int lock_fd;

    s_segment_t *segs;      /* oldest first; the last is the active one */
    size_t nsegs, segs_cap;
    int wfd;                /* the active segment */
    unsigned char *wbuf;    /* header + payload, written with one pwrite */

    uint64_t last_id;       /* highest id given out (or bound: no record has a higher one) */
    uint64_t durable_id;
    uint32_t unsynced;      /* records appended since the last fsync */
    int64_t unsynced_since; /* when the oldest of them was appended (ms, monotonic) */

    uint64_t floor;         /* every id ≤ floor is acknowledged (or does not exist) */
    uint64_t floor_pos;     /* logical position just after the floor record */
    s_range_t *acks;        /* acknowledged ranges above the floor, sorted, disjoint */
    size_t nacks, acks_cap;

    s_flight_t *ring;       /* records read, above the floor, in id order */
    size_t ring_head, ring_len, ring_cap;
    uint64_t ring_max;      /* highest id ever put in the ring */
    uint64_t read_passed;   /* every id ≤ this has been read or does not exist */
    uint64_t passed_pos;    /* logical position the reader has reached at most */
    s_cursor_t rd;

    uint64_t ack_saved;     /* floor last written to the ack file */
    int64_t ack_saved_at;
    bool ack_failing;       /* log a failing ack-file write once, not at every ack */
    bool append_failing;    /* same for appends */

    spool_stats_t stats;
};

/* --- small helpers ---------------------------------------------------------------- */

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_put32 (unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char) (v >> (8 * i));
}

static void
s_put64 (unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char) (v >> (8 * i));
}

static uint32_t
s_get32 (const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t
s_get64 (const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t
s_crc (const unsigned char *header, const void *payload, size_t len)
{
    uLong crc = crc32 (0L, Z_NULL, 0);
    crc = crc32 (crc, header, S_HEADER_CRC_AT);
    if (len)
        crc = crc32 (crc, payload, (uInt) len);
    return (uint32_t) crc;
}

/* Fills a header; a padding record (id 0) is checksummed over its header only, since
   what it covers is damaged by definition. */
static void
s_header_make (unsigned char *h, uint32_t len, uint64_t id, const void *payload)
{
    memcpy (h, s_magic, 4);
    s_put32 (h + 4, len);
    s_put64 (h + 8, id);
    s_put32 (h + S_HEADER_CRC_AT, s_crc (h, payload, id ? len : 0));
}

static char *
s_segment_path (spool_t *self, uint64_t first)
{
    return xasprintf ("%s/%020" PRIu64 S_SEGMENT_EXT, self->spool_dir, first);
}

static int
s_fsync_dir (spool_t *self)
{
    if (fsync (self->dir_fd) == 0)
        return 0;
    int e = errno;
    log_error ("spool", "could not fsync spool directory", "dir=\"%s\" err=\"%s\"", self->spool_dir,
               strerror (e));
    errno = e;
    return -1;
}

static int
s_fdatasync (spool_t *self, int fd)
{
    self->stats.fsyncs++;
    return fdatasync (fd);
}

/* pread that survives a bad sector: on EIO the range is read again block by block and
   what cannot be read comes back as zeros, which no checksum accepts, so the damage is
   set aside like any other instead of failing every read of the spool forever. Returns
   the bytes read (fewer at end of file), or -1. */
static ssize_t
s_pread (spool_t *self, int fd, unsigned char *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread (fd, buf + done, len - done, (off_t) (off + done));
        if (n > 0) {
            done += (size_t) n;
            continue;
        }
        if (n == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno != EIO)
            return -1;
        size_t block = S_BLOCK - (size_t) ((off + done) % S_BLOCK);
        if (block > len - done)
            block = len - done;
        ssize_t m = pread (fd, buf + done, block, (off_t) (off + done));
        if (m > 0) {
            done += (size_t) m;
            continue;
        }
        if (m == 0)
            break;
        log_warn ("spool", "unreadable spool block, treated as damaged", "offset=%" PRIu64 " bytes=%zu",
                  off + done, block);
        memset (buf + done, 0, block);
        done += block;
    }
    return (ssize_t) done;
}

static int
s_pwrite_all (int fd, const unsigned char *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite (fd, buf + done, len - done, (off_t) (off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        done += (size_t) n;
    }
    return 0;
}

/* --- acknowledged ranges and records in flight ------------------------------------ */

static bool
s_is_acked (spool_t *self, uint64_t id)
{
    size_t lo = 0, hi = self->nacks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (self->acks[mid].last < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->nacks && self->acks[lo].first <= id;
}

static void
s_acks_add (spool_t *self, uint64_t first, uint64_t last)
{
    /* Find the first range that ends at or after first - 1 (touching ranges merge). */
    size_t i = 0;
    while (i < self->nacks && self->acks[i].last + 1 < first)
        i++;
    size_t j = i;
    while (j < self->nacks && self->acks[j].first <= last + 1) {
        if (self->acks[j].first < first)
            first = self->acks[j].first;
        if (self->acks[j].last > last)
            last = self->acks[j].last;
        j++;
    }
    if (j == i) {
        if (self->nacks == self->acks_cap) {
            self->acks_cap = self->acks_cap ? 2 * self->acks_cap : 16;
            self->acks = xrealloc (self->acks, self->acks_cap * sizeof *self->acks);
        }
        memmove (self->acks + i + 1, self->acks + i, (self->nacks - i) * sizeof *self->acks);
        self->nacks++;
    }
    else if (j > i + 1) {
        memmove (self->acks + i + 1, self->acks + j, (self->nacks - j) * sizeof *self->acks);
        self->nacks -= j - i - 1;
    }
    self->acks[i] = (s_range_t) {first, last};
}

/* Drops what the floor now covers. */
static void
s_acks_prune (spool_t *self)
{
    size_t i = 0;
    while (i < self->nacks && self->acks[i].last <= self->floor)
        i++;
    if (i) {
        memmove (self->acks, self->acks + i, (self->nacks - i) * sizeof *self->acks);
        self->nacks -= i;
    }
    if (self->nacks && self->acks[0].first <= self->floor)
        self->acks[0].first = self->floor + 1;
}

static void
s_ring_push (spool_t *self, uint64_t id, uint64_t end)
{
    if (self->ring_len == self->ring_cap) {
        size_t cap = self->ring_cap ? 2 * self->ring_cap : 1024;
        s_flight_t *ring = xmalloc (cap * sizeof *ring);
        for (size_t i = 0; i < self->ring_len; i++)
            ring[i] = self->ring[(self->ring_head + i) % self->ring_cap];
        free (self->ring);
        self->ring = ring;
        self->ring_cap = cap;
        self->ring_head = 0;
    }
    self->ring[(self->ring_head + self->ring_len) % self->ring_cap] = (s_flight_t) {id, end};
    self->ring_len++;
    self->ring_max = id;
}

/* --- cursor: reading a segment, with damage set aside ----------------------------- */

static uint64_t
s_cursor_pos (spool_t *self, const s_cursor_t *cur)
{
    return self->segs[cur->seg].base + cur->off;
}

static void
s_cursor_init (s_cursor_t *cur)
{
    memset (cur, 0, sizeof *cur);
    cur->fd = -1;
    cur->buf = xmalloc (S_BUF_CAP);
}

static void
s_cursor_fini (s_cursor_t *cur)
{
    if (cur->fd >= 0)
        close (cur->fd);
    cur->fd = -1;
    free (cur->buf);
    cur->buf = NULL;
}

/* Puts the cursor at off in segment seg; the file is opened on first use. */
static void
s_cursor_set (spool_t *self, s_cursor_t *cur, size_t seg, uint64_t off, uint64_t prev_id)
{
    if (cur->seg != seg && cur->fd >= 0) {
        close (cur->fd);
        cur->fd = -1;
    }
    cur->seg = seg;
    cur->off = off;
    cur->buf_len = 0;
    uint64_t start = self->segs[seg].first ? self->segs[seg].first - 1 : 0;
    cur->prev_id = prev_id > start ? prev_id : start;
}

static int
s_cursor_open (spool_t *self, s_cursor_t *cur)
{
    if (cur->fd >= 0)
        return 0;
    char *path = s_segment_path (self, self->segs[cur->seg].first);
    cur->fd = open (path, O_RDWR | O_CLOEXEC);
    int e = errno;
    if (cur->fd < 0)
        log_error ("spool", "could not open spool segment", "file=\"%s\" err=\"%s\"", path, strerror (e));
    free (path);
    errno = e;
    return cur->fd < 0 ? -1 : 0;
}

/* Makes [off, off + n) of the cursor's segment available; n ≤ S_BUF_CAP. Sets *p to it.
   Returns 1, 0 when the segment ends before off + n, or -1 on I/O error. */
static int
s_cursor_fill (spool_t *self, s_cursor_t *cur, uint64_t off, size_t n, const unsigned char **p)
{
    uint64_t end = self->segs[cur->seg].size;
    if (off + n > end)
        return 0;
    if (off < cur->buf_off || off + n > cur->buf_off + cur->buf_len) {
        if (s_cursor_open (self, cur) != 0)
            return -1;
        size_t want = end - off < S_BUF_CAP ? (size_t) (end - off) : S_BUF_CAP;
        ssize_t got = s_pread (self, cur->fd, cur->buf, want, off);
        if (got < 0) {
            int e = errno;
            log_error ("spool", "could not read spool segment", "segment=%" PRIu64 " offset=%" PRIu64 " err=\"%s\"",
                       self->segs[cur->seg].first, off, strerror (e));
            cur->buf_len = 0;
            errno = e;
            return -1;
        }
        cur->buf_off = off;
        cur->buf_len = (size_t) got;
        if ((size_t) got < n)
            return 0; /* the file is shorter than we thought: treat the rest as missing */
    }
    *p = cur->buf + (off - cur->buf_off);
    return 1;
}

/* Whether a valid record or padding starts at off, below end. 1 yes (header in *h),
   0 no, -1 I/O error. */
static int
s_check (spool_t *self, s_cursor_t *cur, uint64_t off, uint64_t end, s_header_t *h)
{
    const unsigned char *p;
    int rc = s_cursor_fill (self, cur, off, S_HEADER, &p);
    if (rc <= 0)
        return rc;
    if (memcmp (p, s_magic, 4) != 0)
        return 0;
    uint32_t len = s_get32 (p + 4);
    uint64_t id = s_get64 (p + 8);
    uint32_t crc = s_get32 (p + S_HEADER_CRC_AT);
    if (off + S_HEADER + len > end)
        return 0;
    if (id == 0) {
        if (s_crc (p, NULL, 0) != crc)
            return 0;
        *h = (s_header_t) {0, len, true};
        return 1;
    }
    if (len == 0 || len > SPOOL_RECORD_MAX || id <= cur->prev_id)
        return 0;
    if (cur->seg + 1 < self->nsegs && id >= self->segs[cur->seg + 1].first)
        return 0;
    rc = s_cursor_fill (self, cur, off, S_HEADER + len, &p);
    if (rc <= 0)
        return rc;
    if (s_crc (p, p + S_HEADER, len) != crc)
        return 0;
    *h = (s_header_t) {id, len, false};
    return 1;
}

/* The first valid record or padding at or after from. 1 found (*at, *h), 0 none, -1. */
static int
s_resync (spool_t *self, s_cursor_t *cur, uint64_t from, uint64_t end, uint64_t *at, s_header_t *h)
{
    uint64_t p = from;
    while (p + S_HEADER <= end) {
        size_t want = end - p < S_BUF_CAP ? (size_t) (end - p) : S_BUF_CAP;
        const unsigned char *b;
        int rc = s_cursor_fill (self, cur, p, want, &b);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return 0;
        const unsigned char *q = memmem (b, want, s_magic, sizeof s_magic);
        if (!q) {
            if (want <= sizeof s_magic)
                break;
            p += want - (sizeof s_magic - 1);
            continue;
        }
        uint64_t cand = p + (uint64_t) (q - b);
        rc = s_check (self, cur, cand, end, h);
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

/* Copies [from, to) of the cursor's segment to DIR/quarantine/, then covers it with a
   padding record so that neither a later read nor the next open finds it again. If the
   copy cannot be made the bytes stay where they are (skipped in memory; found again
   next time) rather than being lost. lost is the number of ids the gap swallowed. */
static void
s_set_aside (spool_t *self, s_cursor_t *cur, uint64_t from, uint64_t to, uint64_t lost)
{
    uint64_t seg_first = self->segs[cur->seg].first;
    uint64_t bytes = to - from;
    char *path = xasprintf ("%s/%020" PRIu64 "-%" PRIu64 ".bad", self->quarantine_dir, seg_first, from);
    bool saved = false;
    int fd = -1;
    unsigned char *chunk = NULL;
    if (mkdir (self->quarantine_dir, 0750) != 0 && errno != EEXIST)
        goto done;
    fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        goto done;
    chunk = xmalloc (S_BUF_CAP);
    for (uint64_t off = from; off < to;) {
        size_t n = to - off < S_BUF_CAP ? (size_t) (to - off) : S_BUF_CAP;
        ssize_t got = s_pread (self, cur->fd, chunk, n, off);
        if (got <= 0 || s_pwrite_all (fd, chunk, (size_t) got, off - from) != 0)
            goto done;
        off += (uint64_t) got;
    }
    if (fsync (fd) != 0)
        goto done;
    int qfd = open (self->quarantine_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (qfd >= 0) {
        if (fsync (qfd) != 0) {
            /* the copy itself is durable; only its name might not be after a crash */
        }
        close (qfd);
    }
    saved = true;
done:;
    int e = errno;
    free (chunk);
    if (fd >= 0)
        close (fd);
    self->stats.quarantined_bytes += bytes;
    self->stats.quarantined_records += lost;
    if (!saved) {
        log_error ("spool", "could not save damaged spool bytes, skipping them",
                   "segment=%" PRIu64 " offset=%" PRIu64 " bytes=%" PRIu64 " records=%" PRIu64
                   " file=\"%s\" err=\"%s\"",
                   seg_first, from, bytes, lost, path, strerror (e));
        free (path);
        return;
    }
    log_warn ("spool", "damaged spool records moved to quarantine",
              "segment=%" PRIu64 " offset=%" PRIu64 " bytes=%" PRIu64 " records=%" PRIu64 " file=\"%s\"",
              seg_first, from, bytes, lost, path);
    free (path);
    if (bytes < S_HEADER)
        return; /* too short to cover; found and set aside again next time, harmlessly */
    unsigned char h[S_HEADER];
    s_header_make (h, (uint32_t) (bytes - S_HEADER), 0, NULL);
    if (s_pwrite_all (cur->fd, h, S_HEADER, from) != 0 || s_fdatasync (self, cur->fd) != 0) {
        log_warn ("spool", "could not cover damaged spool bytes", "segment=%" PRIu64 " offset=%" PRIu64 " err=\"%s\"",
                  seg_first, from, strerror (errno));
        return;
    }
    /* Keep the buffer in step with the file. */
    if (from >= cur->buf_off && from + S_HEADER <= cur->buf_off + cur->buf_len)
        memcpy (cur->buf + (from - cur->buf_off), h, S_HEADER);
    else
        cur->buf_len = 0;
}

/* Cuts the torn tail of the last segment at open: a write the crash interrupted. */
static void
s_cut_tail (spool_t *self, s_cursor_t *cur, uint64_t off)
{
    s_segment_t *seg = &self->segs[cur->seg];
    uint64_t bytes = seg->size - off;
    log_warn ("spool", "torn record cut from the end of the spool",
              "segment=%" PRIu64 " offset=%" PRIu64 " bytes=%" PRIu64, seg->first, off, bytes);
    if (ftruncate (cur->fd, (off_t) off) != 0 || s_fdatasync (self, cur->fd) != 0)
        /* Appends overwrite it anyway; the next open cuts whatever is left. */
        log_warn ("spool", "could not cut torn record", "segment=%" PRIu64 " err=\"%s\"", seg->first,
                  strerror (errno));
    seg->size = off;
    cur->buf_len = 0;
    self->stats.torn_bytes_cut += bytes;
}

/* The next record in the cursor's segment. Returns 1 (*rec), 0 at the end of the segment,
   -1 on I/O error. tail: this is the last segment at open, where an invalid stretch
   with nothing valid after it is a torn write to cut rather than damage to set aside. */
static int
s_cursor_next (spool_t *self, s_cursor_t *cur, bool tail, s_record_t *rec)
{
    for (;;) {
        uint64_t end = self->segs[cur->seg].size;
        if (cur->off >= end)
            return 0;
        s_header_t h;
        int rc = s_check (self, cur, cur->off, end, &h);
        if (rc < 0)
            return -1;
        if (rc == 1 && h.pad) {
            cur->off += S_HEADER + (uint64_t) h.len;
            continue;
        }
        if (rc == 1) {
            const unsigned char *p;
            if (s_cursor_fill (self, cur, cur->off, S_HEADER + h.len, &p) != 1)
                return -1; /* just checked: cannot happen */
            *rec = (s_record_t) {h.id, cur->off, p + S_HEADER, h.len};
            cur->off += S_HEADER + (uint64_t) h.len;
            cur->prev_id = h.id;
            return 1;
        }
        uint64_t next;
        rc = s_resync (self, cur, cur->off + 1, end, &next, &h);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            uint64_t lost = !h.pad && h.id > cur->prev_id ? h.id - cur->prev_id - 1 : 0;
            s_set_aside (self, cur, cur->off, next, lost);
            cur->off = next;
            continue;
        }
        if (tail && cur->seg + 1 == self->nsegs) {
            s_cut_tail (self, cur, cur->off);
            return 0;
        }
        uint64_t bound = cur->seg + 1 < self->nsegs ? self->segs[cur->seg + 1].first - 1 : self->last_id;
        s_set_aside (self, cur, cur->off, end, bound > cur->prev_id ? bound - cur->prev_id : 0);
        cur->off = end;
        return 0;
    }
}

/* --- segments ---------------------------------------------------------------------- */

static int
s_segment_cmp (const void *a, const void *b)
{
    uint64_t x = ((const s_segment_t *) a)->first, y = ((const s_segment_t *) b)->first;
    return x < y ? -1 : x > y;
}

static void
s_segment_push (spool_t *self, uint64_t first, uint64_t size)
{
    if (self->nsegs == self->segs_cap) {
        self->segs_cap = self->segs_cap ? 2 * self->segs_cap : 16;
        self->segs = xrealloc (self->segs, self->segs_cap * sizeof *self->segs);
    }
    uint64_t base = 0;
    if (self->nsegs)
        base = self->segs[self->nsegs - 1].base + self->segs[self->nsegs - 1].size;
    self->segs[self->nsegs++] = (s_segment_t) {first, size, base};
}

/* Lists DIR/spool/NNN.seg. Returns 0, or -1 with err set. */
static int
s_segments_load (spool_t *self, char *err, size_t errlen)
{
    DIR *d = opendir (self->spool_dir);
    if (!d) {
        snprintf (err, errlen, "could not read spool directory \"%s\": %s", self->spool_dir, strerror (errno));
        return -1;
    }
    struct dirent *de;
    while ((de = readdir (d))) {
        size_t n = strlen (de->d_name);
        if (n <= strlen (S_SEGMENT_EXT) || strcmp (de->d_name + n - strlen (S_SEGMENT_EXT), S_SEGMENT_EXT) != 0)
            continue;
        char *end;
        errno = 0;
        unsigned long long first = strtoull (de->d_name, &end, 10);
        if (errno || first == 0 || end != de->d_name + n - strlen (S_SEGMENT_EXT) || de->d_name[0] == '-'
            || de->d_name[0] == '+') {
            log_warn ("spool", "ignoring unexpected file in spool directory", "file=\"%s/%s\"", self->spool_dir,
                      de->d_name);
            continue;
        }
        char *path = s_segment_path (self, first);
        struct stat st;
        int rc = stat (path, &st);
        if (rc != 0 || !S_ISREG (st.st_mode)) {
            log_warn ("spool", "ignoring unexpected file in spool directory", "file=\"%s\"", path);
            free (path);
            continue;
        }
        if (strcmp (path + strlen (self->spool_dir) + 1, de->d_name) != 0) {
            /* Same number, other spelling (e.g. fewer digits): not one of ours. */
            log_warn ("spool", "ignoring unexpected file in spool directory", "file=\"%s/%s\"", self->spool_dir,
                      de->d_name);
            free (path);
            continue;
        }
        free (path);
        s_segment_push (self, first, (uint64_t) st.st_size);
    }
    closedir (d);
    if (self->nsegs > 1)
        qsort (self->segs, self->nsegs, sizeof *self->segs, s_segment_cmp);
    return 0;
}

static void
s_bases_compute (spool_t *self)
{
    uint64_t base = 0;
    for (size_t i = 0; i < self->nsegs; i++) {
        self->segs[i].base = base;
        base += self->segs[i].size;
    }
}

static uint64_t
s_end_pos (spool_t *self)
{
    const s_segment_t *last = &self->segs[self->nsegs - 1];
    return last->base + last->size;
}

/* Creates the next segment (named after the next id) and makes it the active one. The
   old one is fsynced first, so a sealed segment is always whole on disk and damage in
   one is never mistaken for a torn write. */
static int
s_segment_roll (spool_t *self)
{
    if (self->unsynced && spool_sync (self) != 0)
        return -1;
    uint64_t first = self->last_id + 1;
    char *path = s_segment_path (self, first);
    int fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        int e = errno;
        if (!self->append_failing) /* a full disk is retried: say it once */
            log_error ("spool", "could not create spool segment", "file=\"%s\" err=\"%s\"", path, strerror (e));
        free (path);
        errno = e;
        return -1;
    }
    if (s_fsync_dir (self) != 0) {
        int e = errno;
        close (fd);
        if (unlink (path) != 0) {
            /* an empty segment is harmless: the next open adopts it */
        }
        free (path);
        errno = e;
        return -1;
    }
    free (path);
    close (self->wfd);
    self->wfd = fd;
    s_segment_push (self, first, 0);
    return 0;
}

/* Puts the reader at logical position pos (after id prev_id). */
static void
s_reader_seek (spool_t *self, uint64_t pos, uint64_t prev_id)
{
    size_t k = 0;
    while (k + 1 < self->nsegs && self->segs[k + 1].base <= pos)
        k++;
    uint64_t off = pos > self->segs[k].base ? pos - self->segs[k].base : 0;
    if (off > self->segs[k].size)
        off = self->segs[k].size;
    s_cursor_set (self, &self->rd, k, off, prev_id);
}

/* Deletes the sealed segments every record of which is at or below the floor. Returns 0,
   or -1 if one could not be deleted (logged; tried again at the next ack). */
static int
s_reclaim (spool_t *self)
{
    size_t n = 0;
    int rc = 0;
    while (n + 1 < self->nsegs && self->segs[n + 1].first - 1 <= self->floor) {
        char *path = s_segment_path (self, self->segs[n].first);
        if (unlink (path) != 0 && errno != ENOENT) {
            int e = errno;
            log_error ("spool", "could not delete acknowledged spool segment", "file=\"%s\" err=\"%s\"", path,
                       strerror (e));
            free (path);
            errno = e;
            rc = -1;
            break;
        }
        free (path);
        n++;
    }
    if (n == 0)
        return rc;
    memmove (self->segs, self->segs + n, (self->nsegs - n) * sizeof *self->segs);
    self->nsegs -= n;
    if (self->rd.seg >= n)
        self->rd.seg -= n;
    else {
        if (self->rd.fd >= 0)
            close (self->rd.fd);
        self->rd.fd = -1;
        self->rd.seg = 0;
        self->rd.off = 0;
        self->rd.buf_len = 0;
    }
    if (s_cursor_pos (self, &self->rd) < self->floor_pos)
        s_reader_seek (self, self->floor_pos, self->floor);
    /* Losing a deletion to a crash only leaves a segment the next open deletes again. */
    if (s_fsync_dir (self) != 0)
        rc = -1;
    return rc;
}

/* When an append fails (a full disk) and every record is acknowledged, the space the
   active segment holds can only come back by leaving it: a new, empty segment becomes the
   active one and the old, now sealed and wholly acknowledged, is deleted. Without this a
   spool that filled its own disk would wait for ever with nothing left to deliver. Done
   only then, not whenever the spool is caught up, so that a trickle of events does not
   cost a file per event. Returns 1 when space was given back (worth trying again), 0 when
   there was nothing to give, -1 on failure (logged by the callee). */
static int
s_retire_active (spool_t *self)
{
    const s_segment_t *active = &self->segs[self->nsegs - 1];
    if (self->floor < self->last_id || active->size == 0)
        return 0;
    int e = errno;
    if (s_segment_roll (self) != 0 || s_reclaim (self) != 0) {
        errno = e;
        return -1;
    }
    log_info ("spool", "acknowledged active segment deleted to make room",
              "next_segment=%" PRIu64, self->segs[self->nsegs - 1].first);
    return 1;
}

/* --- the ack file ------------------------------------------------------------------ */

/* Writes DIR/spool/ack (temp file and rename). Not fsynced except at close: losing a
   floor update to a power cut only means records are sent again, and the oldest segment
   still on disk bounds how far back that goes. */
static int
s_ack_save (spool_t *self, bool durable)
{
    char text[64];
    int n = snprintf (text, sizeof text, "floor %" PRIu64 "\n", self->floor);
    char *tmp = xasprintf ("%s/%s", self->spool_dir, S_ACK_TMP);
    char *path = xasprintf ("%s/%s", self->spool_dir, S_ACK_FILE);
    int rc = -1;
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        goto out;
    if (s_pwrite_all (fd, (const unsigned char *) text, (size_t) n, 0) != 0 || (durable && fsync (fd) != 0)) {
        int e = errno;
        close (fd);
        errno = e;
        goto out;
    }
    close (fd);
    if (rename (tmp, path) != 0)
        goto out;
    if (durable && fsync (self->dir_fd) != 0)
        goto out;
    rc = 0;
out:
    self->ack_saved_at = s_now_ms ();
    if (rc == 0) {
        self->ack_saved = self->floor;
        if (self->ack_failing)
            log_info ("spool", "spool acknowledgement file written again", "floor=%" PRIu64, self->floor);
        self->ack_failing = false;
    }
    else if (!self->ack_failing) {
        log_warn ("spool", "could not write spool acknowledgement file", "file=\"%s\" err=\"%s\"", path,
                  strerror (errno));
        self->ack_failing = true;
    }
    free (tmp);
    free (path);
    return rc;
}

static bool
s_ack_due (spool_t *self, int64_t now)
{
    return self->ack_saved != self->floor && now - self->ack_saved_at >= self->opts.fsync_interval_ms;
}

/* Reads the saved floor; 0 when there is none or it cannot be trusted (logged). */
static uint64_t
s_ack_load (spool_t *self)
{
    char *path = xasprintf ("%s/%s", self->spool_dir, S_ACK_FILE);
    uint64_t floor = 0;
    char text[64] = "";
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            log_warn ("spool", "could not read spool acknowledgement file, resending from the oldest segment",
                      "file=\"%s\" err=\"%s\"", path, strerror (errno));
        free (path);
        return 0;
    }
    ssize_t n = read (fd, text, sizeof text - 1);
    close (fd);
    char *end = NULL;
    if (n > 6 && text[n - 1] == '\n' && strncmp (text, "floor ", 6) == 0 && text[6] >= '0' && text[6] <= '9') {
        text[n] = '\0';
        errno = 0;
        floor = strtoull (text + 6, &end, 10);
    }
    if (!end || *end != '\n' || errno) {
        /* A power cut can leave an empty or partial file: the oldest segment is a safe floor. */
        log_warn ("spool", "spool acknowledgement file unreadable, resending from the oldest segment",
                  "file=\"%s\"", path);
        floor = 0;
    }
    free (path);
    return floor;
}

/* --- open and close ---------------------------------------------------------------- */

void
spool_options_defaults (spool_options_t *opts)
{
    opts->max_bytes = 1024ull * 1024 * 1024;
    opts->segment_bytes = 64ull * 1024 * 1024;
    opts->fsync_interval_ms = 50;
    opts->fsync_records = 1000;
    opts->fsync_always = false;
}

static int
s_mkdir (const char *path, char *err, size_t errlen)
{
    if (mkdir (path, 0750) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat (path, &st) == 0 && S_ISDIR (st.st_mode))
            return 0;
        if (errno == EEXIST)
            errno = ENOTDIR;
    }
    snprintf (err, errlen, "could not use spool directory \"%s\": %s", path, strerror (errno));
    return -1;
}

/* Scans the last segment whole: cuts a torn tail, sets damage aside, and finds the
   highest id on disk. Returns 0, or -1 on I/O error. */
static int
s_recover_tail (spool_t *self, uint64_t *max_id)
{
    s_cursor_t cur;
    s_cursor_init (&cur);
    s_cursor_set (self, &cur, self->nsegs - 1, 0, 0);
    *max_id = cur.prev_id;
    s_record_t rec;
    int rc;
    while ((rc = s_cursor_next (self, &cur, true, &rec)) == 1)
        *max_id = rec.id;
    s_cursor_fini (&cur);
    return rc;
}

/* Puts the reader on the first record above the floor, and the floor position there. */
static int
s_position_reader (spool_t *self)
{
    size_t k = 0;
    while (k + 1 < self->nsegs && self->segs[k + 1].first <= self->floor + 1)
        k++;
    s_cursor_set (self, &self->rd, k, 0, 0);
    for (;;) {
        uint64_t prev = self->rd.prev_id;
        s_record_t rec;
        int rc = s_cursor_next (self, &self->rd, false, &rec);
        if (rc < 0)
            return -1;
        if (rc == 1 && rec.id > self->floor) {
            self->rd.off = rec.start;
            self->rd.prev_id = prev;
            break;
        }
        if (rc == 0) {
            if (self->rd.seg + 1 == self->nsegs)
                break;
            s_cursor_set (self, &self->rd, self->rd.seg + 1, 0, 0);
        }
    }
    self->floor_pos = s_cursor_pos (self, &self->rd);
    self->passed_pos = self->floor_pos;
    self->read_passed = self->floor;
    return 0;
}

spool_t *
spool_open (const char *dir, const spool_options_t *opts, char *err, size_t errlen)
{
    spool_t *self = xcalloc (1, sizeof *self);
    self->dir_fd = self->lock_fd = self->wfd = -1;
    s_cursor_init (&self->rd);
    self->opts = *opts;
    if (self->opts.segment_bytes == 0)
        self->opts.segment_bytes = 1;
    if (self->opts.segment_bytes > S_SEGMENT_MAX)
        self->opts.segment_bytes = S_SEGMENT_MAX;
    if (self->opts.fsync_records == 0)
        self->opts.fsync_records = 1;
    if (self->opts.fsync_interval_ms < 0)
        self->opts.fsync_interval_ms = 0;
    self->dir = xstrdup (dir);
    self->spool_dir = xasprintf ("%s/spool", dir);
    self->quarantine_dir = xasprintf ("%s/quarantine", dir);
    self->wbuf = xmalloc (S_HEADER + SPOOL_RECORD_MAX);

    if (s_mkdir (dir, err, errlen) != 0 || s_mkdir (self->spool_dir, err, errlen) != 0)
        goto fail;
    self->dir_fd = open (self->spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (self->dir_fd < 0) {
        snprintf (err, errlen, "could not open spool directory \"%s\": %s", self->spool_dir, strerror (errno));
        goto fail;
    }
    char *lock = xasprintf ("%s/%s", self->spool_dir, S_LOCK_FILE);
    self->lock_fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    free (lock);
    if (self->lock_fd < 0) {
        snprintf (err, errlen, "could not lock spool directory \"%s\": %s", self->spool_dir, strerror (errno));
        goto fail;
    }
    if (flock (self->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            snprintf (err, errlen, "spool directory \"%s\" is in use by another process", self->spool_dir);
        else
            snprintf (err, errlen, "could not lock spool directory \"%s\": %s", self->spool_dir, strerror (errno));
        goto fail;
    }
    if (s_segments_load (self, err, errlen) != 0)
        goto fail;

    uint64_t saved_floor = s_ack_load (self);
    self->floor = saved_floor;
    if (self->nsegs && self->segs[0].first - 1 > self->floor)
        self->floor = self->segs[0].first - 1; /* everything in deleted segments was acknowledged */

    if (self->nsegs == 0) {
        self->last_id = self->floor;
        char *path = s_segment_path (self, self->last_id + 1);
        int fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (fd < 0) {
            snprintf (err, errlen, "could not create spool segment \"%s\": %s", path, strerror (errno));
            free (path);
            goto fail;
        }
        free (path);
        close (fd);
        s_segment_push (self, self->last_id + 1, 0);
    }
    else {
        uint64_t max_id;
        if (s_recover_tail (self, &max_id) != 0) {
            snprintf (err, errlen, "could not recover spool in \"%s\": %s", self->spool_dir, strerror (errno));
            goto fail;
        }
        /* A floor above what survived (the ack file outlived an unsynced tail) must still
           never be handed out again: those ids would count as acknowledged. */
        self->last_id = max_id > self->floor ? max_id : self->floor;
    }
    s_bases_compute (self);

    if (s_position_reader (self) != 0) {
        snprintf (err, errlen, "could not read spool in \"%s\": %s", self->spool_dir, strerror (errno));
        goto fail;
    }
    if (s_reclaim (self) != 0) {
        /* logged; retried at the next ack */
    }

    char *path = s_segment_path (self, self->segs[self->nsegs - 1].first);
    self->wfd = open (path, O_RDWR | O_CLOEXEC);
    if (self->wfd < 0) {
        snprintf (err, errlen, "could not open spool segment \"%s\": %s", path, strerror (errno));
        free (path);
        goto fail;
    }
    /* What is on disk now may be only in the page cache (the last run was killed before
       its fsync): make it durable before anyone counts on durable_id. */
    if (s_fdatasync (self, self->wfd) != 0 || fsync (self->dir_fd) != 0) {
        snprintf (err, errlen, "could not fsync spool segment \"%s\": %s", path, strerror (errno));
        free (path);
        goto fail;
    }
    free (path);
    self->durable_id = self->last_id;
    self->ack_saved = saved_floor;
    self->ack_saved_at = s_now_ms ();
    log_info ("spool", "spool opened",
              "dir=\"%s\" segments=%zu floor=%" PRIu64 " next_id=%" PRIu64 " pending_records=%" PRIu64
              " pending_bytes=%" PRIu64,
              self->spool_dir, self->nsegs, self->floor, self->last_id + 1, spool_pending_records (self),
              spool_pending_bytes (self));
    return self;
fail:
    spool_close (&self);
    return NULL;
}

void
spool_close (spool_t **self_p)
{
    if (!*self_p)
        return;
    spool_t *self = *self_p;
    if (self->wfd >= 0) {
        if (self->unsynced && spool_sync (self) != 0) {
            /* logged */
        }
        if (self->ack_saved != self->floor && s_ack_save (self, true) != 0) {
            /* logged; at worst records are sent again */
        }
        close (self->wfd);
    }
    s_cursor_fini (&self->rd);
    if (self->lock_fd >= 0)
        close (self->lock_fd);
    if (self->dir_fd >= 0)
        close (self->dir_fd);
    free (self->segs);
    free (self->acks);
    free (self->ring);
    free (self->wbuf);
    free (self->dir);
    free (self->spool_dir);
    free (self->quarantine_dir);
    free (self);
    *self_p = NULL;
}

/* --- appending and syncing --------------------------------------------------------- */

spool_status_t
spool_append (spool_t *self, const void *data, size_t len, uint64_t *id)
{
    if (len == 0 || len > SPOOL_RECORD_MAX) {
        log_error ("spool", "record size out of range", "bytes=%zu max=%d", len, SPOOL_RECORD_MAX);
        errno = EINVAL;
        return SPOOL_ERROR;
    }
    if (spool_is_full (self, len))
        return SPOOL_FULL;
    s_segment_t *seg = &self->segs[self->nsegs - 1];
    uint64_t size = S_HEADER + (uint64_t) len;
    if (seg->size > 0 && seg->size + size > self->opts.segment_bytes) {
        if (s_segment_roll (self) != 0)
            goto fail;
        seg = &self->segs[self->nsegs - 1];
    }
    uint64_t new_id = self->last_id + 1;
    s_header_make (self->wbuf, (uint32_t) len, new_id, data);
    memcpy (self->wbuf + S_HEADER, data, len);
    if (s_pwrite_all (self->wfd, self->wbuf, (size_t) size, seg->size) != 0)
        goto undo;
    if (self->opts.fsync_always && s_fdatasync (self, self->wfd) != 0)
        goto undo;
    seg->size += size;
    self->last_id = new_id;
    self->stats.appended++;
    if (self->opts.fsync_always)
        self->durable_id = new_id;
    else if (self->unsynced++ == 0)
        self->unsynced_since = s_now_ms ();
    if (self->append_failing)
        log_info ("spool", "spool appends succeed again", "id=%" PRIu64, new_id);
    self->append_failing = false;
    *id = new_id;
    return SPOOL_OK;

undo:;
    /* A partial record must not stay behind: the next append (or the next open) would
       otherwise meet it where a record should start. */
    int e = errno;
    if (ftruncate (self->wfd, (off_t) seg->size) != 0) {
        /* the next append overwrites it; the next open cuts it */
    }
    errno = e;
fail:
    e = errno;
    if (s_retire_active (self) == 1)
        return spool_append (self, data, len, id);
    if (!self->append_failing)
        log_error ("spool", "could not append to spool", "segment=%" PRIu64 " err=\"%s\"",
                   self->segs[self->nsegs - 1].first, strerror (e));
    self->append_failing = true;
    errno = e;
    return SPOOL_ERROR;
}

int
spool_sync (spool_t *self)
{
    if (self->ack_saved != self->floor && s_ack_save (self, false) != 0) {
        /* logged; not a failure of the sync: it only costs resends */
    }
    if (self->unsynced == 0)
        return 0;
    if (s_fdatasync (self, self->wfd) != 0) {
        int e = errno;
        log_error ("spool", "could not fsync spool segment", "segment=%" PRIu64 " err=\"%s\"",
                   self->segs[self->nsegs - 1].first, strerror (e));
        errno = e;
        return -1;
    }
    self->durable_id = self->last_id;
    self->unsynced = 0;
    return 0;
}

int
spool_sync_if_due (spool_t *self)
{
    int64_t now = s_now_ms ();
    if (self->unsynced
        && (self->unsynced >= self->opts.fsync_records || now - self->unsynced_since >= self->opts.fsync_interval_ms))
        return spool_sync (self);
    if (s_ack_due (self, now) && s_ack_save (self, false) != 0) {
        /* logged */
    }
    return 0;
}

int
spool_sync_due_in_ms (spool_t *self)
{
    int64_t now = s_now_ms ();
    int64_t due = -1;
    if (self->unsynced) {
        due = self->unsynced >= self->opts.fsync_records
                  ? 0
                  : self->unsynced_since + self->opts.fsync_interval_ms - now;
        if (due < 0)
            due = 0;
    }
    if (self->ack_saved != self->floor) {
        int64_t a = self->ack_saved_at + self->opts.fsync_interval_ms - now;
        if (a < 0)
            a = 0;
        if (due < 0 || a < due)
            due = a;
    }
    return due > INT32_MAX ? INT32_MAX : (int) due;
}

uint64_t
spool_durable_id (spool_t *self)
{
    return self->durable_id;
}

/* --- reading and acknowledging ----------------------------------------------------- */

/* Moves the floor over every acknowledged record at the front of the ring, and past
   ids that do not exist (quarantined) once nothing read is left unacknowledged. */
static int
s_floor_advance (spool_t *self)
{
    uint64_t old = self->floor;
    while (self->ring_len) {
        s_flight_t *f = &self->ring[self->ring_head];
        if (!s_is_acked (self, f->id))
            break;
        self->floor = f->id;
        self->floor_pos = f->end;
        self->ring_head = (self->ring_head + 1) % self->ring_cap;
        self->ring_len--;
    }
    if (self->ring_len == 0 && self->read_passed > self->floor) {
        self->floor = self->read_passed;
        self->floor_pos = self->passed_pos;
    }
    if (self->floor == old)
        return 0;
    s_acks_prune (self);
    int rc = s_reclaim (self);
    if (s_cursor_pos (self, &self->rd) < self->floor_pos)
        s_reader_seek (self, self->floor_pos, self->floor);
    if (s_ack_due (self, s_now_ms ()) && s_ack_save (self, false) != 0) {
        /* logged; costs resends at worst */
    }
    return rc;
}

int
spool_read_next (spool_t *self, uint64_t *id, const void **data, size_t *len)
{
    for (;;) {
        s_record_t rec;
        int rc = s_cursor_next (self, &self->rd, false, &rec);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (self->rd.seg + 1 < self->nsegs) {
                s_cursor_set (self, &self->rd, self->rd.seg + 1, 0, 0);
                continue;
            }
            /* Everything appended has been read: ids up to last_id that were not
               returned do not exist (set aside), so the floor may pass them. */
            uint64_t pos = s_cursor_pos (self, &self->rd);
            if (self->last_id > self->read_passed) {
                self->read_passed = self->last_id;
                self->passed_pos = pos;
                if (s_floor_advance (self) != 0) {
                    /* logged; retried at the next ack */
                }
            }
            return 0;
        }
        if (rec.id <= self->floor)
            continue;
        uint64_t end = s_cursor_pos (self, &self->rd);
        if (rec.id > self->ring_max)
            s_ring_push (self, rec.id, end);
        if (rec.id > self->read_passed) {
            self->read_passed = rec.id;
            self->passed_pos = end;
        }
        if (s_is_acked (self, rec.id)) {
            if (s_floor_advance (self) != 0) {
                /* logged; retried at the next ack */
            }
            continue;
        }
        *id = rec.id;
        *data = rec.data;
        *len = rec.len;
        return 1;
    }
}

void
spool_rewind (spool_t *self)
{
    s_reader_seek (self, self->floor_pos, self->floor);
}

int
spool_ack (spool_t *self, uint64_t first, uint64_t last)
{
    if (first > last) {
        /* A caller's bug, but retrying it would not help: nothing to do. */
        log_error ("spool", "acknowledged range is empty", "first=%" PRIu64 " last=%" PRIu64, first, last);
        return 0;
    }
    /* Ids not given out yet cannot have been acknowledged; keeping them would make a
       future record count as delivered before it is ever sent. */
    if (last > self->last_id)
        last = self->last_id;
    if (first <= self->floor)
        first = self->floor + 1;
    if (first > last)
        return 0;
    s_acks_add (self, first, last);
    return s_floor_advance (self);
}

bool
spool_is_full (spool_t *self, size_t len)
{
    return spool_pending_bytes (self) + S_HEADER + len > self->opts.max_bytes;
}

uint64_t
spool_pending_records (spool_t *self)
{
    uint64_t acked = 0;
    for (size_t i = 0; i < self->nacks; i++)
        acked += self->acks[i].last - self->acks[i].first + 1;
    uint64_t above = self->last_id - self->floor;
    return above > acked ? above - acked : 0;
}

uint64_t
spool_pending_bytes (spool_t *self)
{
    uint64_t end = s_end_pos (self);
    return end > self->floor_pos ? end - self->floor_pos : 0;
}

void
spool_get_stats (spool_t *self, spool_stats_t *stats)
{
    *stats = self->stats;
    stats->segments = self->nsegs;
    stats->disk_bytes = s_end_pos (self) - self->segs[0].base;
    stats->floor = self->floor;
    stats->last_id = self->last_id;
    stats->in_flight = self->ring_len;
    stats->ack_ranges = self->nacks;
}
