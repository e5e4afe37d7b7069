/* spool_bench: appends per second into the agent's spool under each fsync policy, then
   how fast the records read back and acknowledge. Not a test; the numbers go in
   docs/SPOOL.md. CMake builds it with the rest (bench/CMakeLists.txt); from the top of
   the tree:

     cmake --build build -j2 --target spool_bench
     build/bench/spool_bench [DIR [RECORDS [BYTES]]]   (defaults: a new /tmp dir, 200000, 300)

   DIR is emptied of its spool first; use a directory on the disk the agent will use. */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
s_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return ftw->level == 0 ? 0 : remove (path);
}

static int
s_run (const char *dir, bool always, uint64_t records, size_t bytes, uint64_t limit_ms)
{
    nftw (dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    spool_options_t o;
    spool_options_defaults (&o);
    o.fsync_always = always;
    o.max_bytes = 64ull * 1024 * 1024 * 1024;
    char err[256];
    spool_t *spool = spool_open (dir, &o, err, sizeof err);
    if (!spool) {
        fprintf (stderr, "spool_bench: %s\n", err);
        return -1;
    }
    unsigned char *payload = malloc (bytes);
    memset (payload, 'x', bytes);
    double t0 = s_now ();
    uint64_t n = 0;
    for (; n < records; n++) {
        uint64_t id;
        if (spool_append (spool, payload, bytes, &id) != SPOOL_OK ||
            spool_sync_if_due (spool) != 0) {
            fprintf (stderr, "spool_bench: append failed: %s\n", strerror (errno));
            return -1;
        }
        if ((n & 255) == 0 && limit_ms && (s_now () - t0) * 1000 > (double)limit_ms)
            break;
    }
    if (spool_sync (spool) != 0)
        return -1;
    double t1 = s_now ();
    uint64_t id, first = 0, count = 0;
    const void *data;
    size_t len;
    int rc;
    while ((rc = spool_read_next (spool, &id, &data, &len)) == 1) {
        if (!first)
            first = id;
        if (++count % 1000 == 0) {
            if (spool_ack (spool, first, id) != 0)
                return -1;
            first = 0;
        }
    }
    if (rc < 0 || (first && spool_ack (spool, first, id) != 0))
        return -1;
    double t2 = s_now ();
    spool_stats_t st;
    spool_get_stats (spool, &st);
    printf ("fsync=%-7s records=%-8" PRIu64 " bytes=%-5zu append=%9.0f/s (%6.1f MB/s, %" PRIu64
            " fsyncs)  read+ack=%9.0f/s  pending_after=%" PRIu64 "\n",
            always ? "always" : "group",
            n,
            bytes,
            (double)n / (t1 - t0),
            (double)n * (double)(bytes + SPOOL_RECORD_HEADER) / (t1 - t0) / 1e6,
            st.fsyncs,
            (double)count / (t2 - t1),
            spool_pending_records (spool));
    spool_destroy (&spool);
    free (payload);
    return 0;
}

int
main (int argc, char **argv)
{
    char tmp[] = "/tmp/parley-spool-bench-XXXXXX";
    const char *dir = argc > 1 ? argv[1] : mkdtemp (tmp);
    uint64_t records = argc > 2 ? strtoull (argv[2], NULL, 10) : 200000;
    size_t bytes = argc > 3 ? (size_t)strtoul (argv[3], NULL, 10) : 300;
    if (!dir || records == 0 || bytes == 0 || bytes > SPOOL_RECORD_MAX) {
        fprintf (stderr, "usage: spool_bench [DIR [RECORDS [BYTES]]]\n");
        return 2;
    }
    log_threshold = LOG_LEVEL_WARN;
    int rc = s_run (dir, false, records, bytes, 0);
    /* fsync per record is slow: stop after 10 s whatever was asked. */
    if (rc == 0)
        rc = s_run (dir, true, records, bytes, 10000);
    nftw (dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    if (argc <= 1)
        rmdir (dir);
    return rc == 0 ? 0 : 1;
}
