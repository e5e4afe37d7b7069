/* libFuzzer target: the spool's recovery reader (agent/spool.h, docs/SPOOL.md). The input is
   written as the one segment file of a spool (DIR/spool/00000000000000000001.seg), as a crash
   or a bad disk could leave it; spool_open must recover it and spool_read_next return only
   whole, checked records, in increasing id order, never crash or loop. The spool must then
   still take an append and give it back. Runs in a fresh directory under TMPDIR (or /dev/shm
   when it exists, which keeps the fsyncs cheap). */
#include "log.h"
#include "spool.h"
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[256];

static int
s_remove (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

static void
s_clean (void)
{
    /* The directory may be partly made; whatever could not be removed shows on the next open. */
    (void)nftw (s_dir, s_remove, 16, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    log_threshold = LOG_LEVEL_ERROR + 1;
    const char *tmp = access ("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv ("TMPDIR");
    snprintf (s_dir, sizeof s_dir, "%s/parley-fuzz-spool-%ld", tmp ? tmp : "/tmp", (long)getpid ());
    atexit (s_clean);
    return 0;
}

static void
s_write_segment (const uint8_t *data, size_t size)
{
    char path[320];
    if (mkdir (s_dir, 0700) != 0)
        abort ();
    snprintf (path, sizeof path, "%s/spool", s_dir);
    if (mkdir (path, 0700) != 0)
        abort ();
    snprintf (path, sizeof path, "%s/spool/00000000000000000001.seg", s_dir);
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        abort ();
    size_t done = 0;
    while (done < size) {
        ssize_t n = write (fd, data + done, size - done);
        if (n <= 0)
            abort ();
        done += (size_t)n;
    }
    close (fd);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_clean ();
    s_write_segment (data, size);
    spool_options_t opts;
    spool_options_defaults (&opts);
    opts.segment_bytes = 1 << 20;
    char err[512];
    spool_t *spool = spool_open (s_dir, &opts, err, sizeof err);
    if (!spool) {
        s_clean ();
        return 0;
    }
    uint64_t last = 0, id;
    const void *rec;
    size_t len;
    int rc;
    while ((rc = spool_read_next (spool, &id, &rec, &len)) == 1) {
        if (id <= last || len == 0 || len > SPOOL_RECORD_MAX || (size_t)len > size)
            abort (); /* ids only go up; a record is never empty nor bigger than the input */
        last = id;
    }
    if (rc == 0) {
        static const char probe[] = "{\"probe\":true}";
        uint64_t new_id;
        if (spool_append (spool, probe, sizeof probe - 1, &new_id) == SPOOL_OK) {
            if (new_id <= last)
                abort (); /* an append after recovery gets an id above every one read */
            if (spool_read_next (spool, &id, &rec, &len) != 1 || id != new_id ||
                len != sizeof probe - 1 || memcmp (rec, probe, len) != 0)
                abort ();
        }
    }
    spool_destroy (&spool);
    s_clean ();
    return 0;
}
