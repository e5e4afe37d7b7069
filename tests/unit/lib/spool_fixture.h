/* For the spool's unit tests (test_spool*.c): a fresh directory per test, payloads that
   tell each record apart, opening, appending and reading back with checks, and looking
   at the spool's files directly. Include after cmocka.h. Everything here is static, so
   each test program has its own copy of the directory name and the log capture. */
#ifndef PARLEY_TEST_SPOOL_FIXTURE_H
#define PARLEY_TEST_SPOOL_FIXTURE_H
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "file_size_limit.h"
#include "log.h"
#include "spool.h"

#define HDR SPOOL_RECORD_HEADER

static char s_dir[64];

static inline int
s_rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

static inline void
s_rmrf (const char *path)
{
    nftw (path, s_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static inline int
s_setup (void **state)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/parley-test-spool-XXXXXX");
    if (!mkdtemp (s_dir))
        return -1;
    return 0;
}

static inline int
s_teardown (void **state)
{
    s_rmrf (s_dir);
    return 0;
}

/* Deterministic payload of record id: its length is fixed, or varies with id. */
static inline size_t
s_payload (uint64_t id, unsigned char *buf, size_t fixed)
{
    size_t len = fixed ? fixed : 1 + (size_t)((id * 2654435761u) % 200);
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(id * 131 + i * 7 + (id >> 8));
    return len;
}

static inline spool_options_t
s_opts (uint64_t segment_bytes, uint64_t max_bytes)
{
    spool_options_t o;
    spool_options_defaults (&o);
    if (segment_bytes)
        o.segment_bytes = segment_bytes;
    if (max_bytes)
        o.max_bytes = max_bytes;
    return o;
}

static inline spool_t *
s_open_at (const char *dir, const spool_options_t *o)
{
    char err[256] = "";
    spool_t *spool = spool_open (dir, o, err, sizeof err);
    if (!spool)
        fprintf (stderr, "spool_open: %s\n", err);
    assert_non_null (spool);
    return spool;
}

static inline spool_t *
s_open (const spool_options_t *o)
{
    return s_open_at (s_dir, o);
}

/* Appends the payload of the next id (which must be expected). */
static inline void
s_append (spool_t *spool, uint64_t expected, size_t fixed)
{
    unsigned char buf[SPOOL_RECORD_MAX];
    size_t len = s_payload (expected, buf, fixed);
    uint64_t id = 0;
    assert_int_equal (spool_append (spool, buf, len, &id), SPOOL_OK);
    assert_int_equal (id, expected);
}

static inline void
s_append_range (spool_t *spool, uint64_t first, uint64_t last, size_t fixed)
{
    for (uint64_t id = first; id <= last; id++)
        s_append (spool, id, fixed);
}

/* Reads the next record, checks it is id with the right payload. */
static inline void
s_expect (spool_t *spool, uint64_t expected, size_t fixed)
{
    uint64_t id = 0;
    const void *data;
    size_t len;
    assert_int_equal (spool_read_next (spool, &id, &data, &len), 1);
    assert_int_equal (id, expected);
    unsigned char buf[SPOOL_RECORD_MAX];
    size_t want = s_payload (expected, buf, fixed);
    assert_int_equal (len, want);
    assert_memory_equal (data, buf, len);
}

static inline void
s_expect_range (spool_t *spool, uint64_t first, uint64_t last, size_t fixed)
{
    for (uint64_t id = first; id <= last; id++)
        s_expect (spool, id, fixed);
}

static inline void
s_expect_end (spool_t *spool)
{
    uint64_t id;
    const void *data;
    size_t len;
    assert_int_equal (spool_read_next (spool, &id, &data, &len), 0);
}

static inline char *s_path (const char *fmt, ...) PARLEY_PRINTF (1, 2);

static inline char *
s_path (const char *fmt, ...)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (p, sizeof buf[0], fmt, ap);
    va_end (ap);
    return p;
}

static inline char *
s_segment (const char *dir, uint64_t first)
{
    return s_path ("%s/spool/%020" PRIu64 ".seg", dir, first);
}

static inline bool
s_exists (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0;
}

static inline int64_t
s_size (const char *path)
{
    struct stat st;
    if (stat (path, &st) != 0)
        return -1;
    return st.st_size;
}

/* Number of files in dir/sub whose names end with suffix. */
static inline int
s_count (const char *dir, const char *sub, const char *suffix)
{
    DIR *d = opendir (s_path ("%s/%s", dir, sub));
    if (!d)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir (d))) {
        size_t l = strlen (de->d_name), s = strlen (suffix);
        if (de->d_name[0] != '.' && l >= s && strcmp (de->d_name + l - s, suffix) == 0)
            n++;
    }
    closedir (d);
    return n;
}

/* The one quarantine file's size (-1 unless there is exactly one). */
static inline int64_t
s_quarantine_size (const char *dir)
{
    DIR *d = opendir (s_path ("%s/quarantine", dir));
    if (!d)
        return -1;
    int n = 0;
    int64_t size = -1;
    struct dirent *de;
    while ((de = readdir (d))) {
        if (de->d_name[0] == '.')
            continue;
        n++;
        size = s_size (s_path ("%s/quarantine/%s", dir, de->d_name));
    }
    closedir (d);
    return n == 1 ? size : -1;
}

static inline void
s_flip (const char *path, int64_t off, unsigned char mask)
{
    int fd = open (path, O_RDWR);
    assert_true (fd >= 0);
    unsigned char b;
    assert_int_equal (pread (fd, &b, 1, off), 1);
    b ^= mask;
    assert_int_equal (pwrite (fd, &b, 1, off), 1);
    close (fd);
}

static inline void
s_write_at (const char *path, int64_t off, const void *data, size_t len)
{
    int fd = open (path, O_RDWR);
    assert_true (fd >= 0);
    assert_int_equal (pwrite (fd, data, len, off), (ssize_t)len);
    close (fd);
}

static inline void
s_append_bytes (const char *path, const void *data, size_t len)
{
    int fd = open (path, O_WRONLY | O_APPEND);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, data, len), (ssize_t)len);
    close (fd);
}

static inline spool_stats_t
s_stats (spool_t *spool)
{
    spool_stats_t st;
    spool_get_stats (spool, &st);
    return st;
}

/* Sends stderr to a file while a block runs, so a test can read the log lines. */
static int s_saved_stderr = -1;
static char s_log_path[128];

static inline void
s_capture_start (void)
{
    snprintf (s_log_path, sizeof s_log_path, "%s/test.log", s_dir);
    fflush (stderr);
    s_saved_stderr = dup (2);
    int fd = open (s_log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    dup2 (fd, 2);
    close (fd);
}

/* Stops capturing; returns the captured text (static buffer), also echoed to stderr. */
static inline const char *
s_capture_stop (void)
{
    static char text[16384];
    fflush (stderr);
    dup2 (s_saved_stderr, 2);
    close (s_saved_stderr);
    FILE *f = fopen (s_log_path, "r");
    assert_non_null (f);
    size_t n = fread (text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose (f);
    unlink (s_log_path);
    fputs (text, stderr);
    return text;
}

#endif
