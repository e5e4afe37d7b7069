/* spool_ack_file: the saved floor reads back as written, anything damaged reads back as
   0 (resend from the oldest segment), lazy writes are not fsynced and durable ones are,
   and a clean close leaves the last floor fsynced even after a lazy write.

   fsync is interposed (this program defines it; the static libraries' calls bind to it)
   to record which files were fsynced; it passes through to the kernel. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spool.h"
#include "spool_ack_file.h"
#include "test_files.h"

/* --- interposed fsync ----------------------------------------------------------------- */

static int s_fsyncs_of_ack_tmp; /* fsync calls on a file named ack.tmp */

int
fsync (int fd)
{
    char link[64], path[256];
    snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink (link, path, sizeof path - 1);
    path[n > 0 ? n : 0] = '\0';
    size_t len = strlen (path);
    if (len >= 8 && strcmp (path + len - 8, "/ack.tmp") == 0)
        s_fsyncs_of_ack_tmp++;
    return (int)syscall (SYS_fsync, fd);
}

/* --- helpers -------------------------------------------------------------------------- */

static char s_dir[64];
static char s_spool_dir[96];

static int
s_rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

static int
s_setup (void **state)
{
    s_fsyncs_of_ack_tmp = 0;
    snprintf (s_dir, sizeof s_dir, "/tmp/parley-ack-file-XXXXXX");
    if (!mkdtemp (s_dir))
        return -1;
    snprintf (s_spool_dir, sizeof s_spool_dir, "%s/spool", s_dir);
    return mkdir (s_spool_dir, 0700);
}

static int
s_teardown (void **state)
{
    return nftw (s_dir, s_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *
s_ack_path (void)
{
    static char path[128];
    snprintf (path, sizeof path, "%s/ack", s_spool_dir);
    return path;
}

static uint64_t
s_load (void)
{
    spool_ack_file_t f;
    spool_ack_file_init (&f, s_spool_dir);
    uint64_t floor = spool_ack_file_load (&f);
    assert_int_equal (f.saved, floor);
    spool_ack_file_fini (&f);
    return floor;
}

/* --- tests ---------------------------------------------------------------------------- */

static void
test_a_saved_floor_reads_back_and_the_file_is_one_line (void **state)
{
    spool_ack_file_t f;
    spool_ack_file_init (&f, s_spool_dir);
    assert_int_equal (spool_ack_file_load (&f), 0); /* none yet */
    assert_int_equal (spool_ack_file_save (&f, 18446744073709551615ull, true), 0);
    assert_int_equal (s_load (), 18446744073709551615ull);
    assert_int_equal (spool_ack_file_save (&f, 42, false), 0);
    spool_ack_file_fini (&f);
    assert_int_equal (s_load (), 42);
    char text[64] = "";
    int fd = open (s_ack_path (), O_RDONLY);
    assert_true (fd >= 0);
    assert_int_equal (read (fd, text, sizeof text - 1), 9);
    close (fd);
    assert_string_equal (text, "floor 42\n");
    char tmp[160];
    snprintf (tmp, sizeof tmp, "%s.tmp", s_ack_path ());
    assert_int_equal (access (tmp, F_OK), -1);
}

static void
test_a_damaged_file_reads_back_as_floor_zero (void **state)
{
    static const char *bad[] = {
        "",                              /* empty: power cut before the data */
        "floor 12",                      /* partial: no newline */
        "floor \n",                      /* no number */
        "floor x1\n",                    /* not a number */
        "floor 12abc\n",                 /* trailing garbage */
        "floor 12\nfloo",                /* not ending in its newline */
        "floor -1\n",                    /* sign */
        "Floor 12\n",                    /* wrong word */
        "floor 99999999999999999999\n",  /* overflows 64 bits */
        "\xfe\xfe\xfe\xfe\xfe\xfe\xfe\n" /* binary */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        test_file_put (s_ack_path (), bad[i], strlen (bad[i]));
        if (s_load () != 0)
            fail_msg ("\"%s\" was trusted", bad[i]);
    }
    test_file_put (s_ack_path (), "floor 7\n", 8);
    assert_int_equal (s_load (), 7);
}

static void
test_lazy_writes_are_not_fsynced_and_durable_ones_are (void **state)
{
    spool_ack_file_t f;
    spool_ack_file_init (&f, s_spool_dir);
    (void)spool_ack_file_load (&f);
    assert_true (spool_ack_file_is_durable (&f, 0)); /* nothing written by us yet */
    assert_int_equal (spool_ack_file_save (&f, 5, false), 0);
    assert_int_equal (s_fsyncs_of_ack_tmp, 0);
    assert_false (spool_ack_file_is_stale (&f, 5));
    assert_false (spool_ack_file_is_durable (&f, 5));
    assert_int_equal (spool_ack_file_save (&f, 5, true), 0);
    assert_int_equal (s_fsyncs_of_ack_tmp, 1);
    assert_true (spool_ack_file_is_durable (&f, 5));
    assert_true (spool_ack_file_is_stale (&f, 6));
    assert_false (spool_ack_file_is_durable (&f, 6));
    spool_ack_file_fini (&f);
}

static void
test_a_failed_write_keeps_the_old_floor_and_is_retried (void **state)
{
    spool_ack_file_t f;
    spool_ack_file_init (&f, s_spool_dir);
    assert_int_equal (spool_ack_file_save (&f, 3, true), 0);
    /* The directory in the way of the temporary: every write fails until it goes. */
    char tmp[160];
    snprintf (tmp, sizeof tmp, "%s.tmp", s_ack_path ());
    assert_int_equal (mkdir (tmp, 0700), 0);
    errno = 0;
    assert_int_equal (spool_ack_file_save (&f, 9, false), -1);
    assert_int_equal (errno, EISDIR);
    assert_true (f.failing);
    assert_int_equal (f.saved, 3);
    assert_true (spool_ack_file_is_stale (&f, 9));
    assert_int_equal (s_load (), 3);
    assert_int_equal (rmdir (tmp), 0);
    assert_int_equal (spool_ack_file_save (&f, 9, false), 0);
    assert_false (f.failing);
    assert_int_equal (s_load (), 9);
    spool_ack_file_fini (&f);
}

static void
test_a_lazy_write_falls_due_once_per_interval (void **state)
{
    spool_ack_file_t f;
    spool_ack_file_init (&f, s_spool_dir);
    (void)spool_ack_file_load (&f);
    int64_t t = f.saved_at;
    assert_int_equal (spool_ack_file_due_in (&f, 0, t + 1000, 50), -1); /* saved already */
    assert_int_equal (spool_ack_file_due_in (&f, 1, t, 50), 50);
    assert_int_equal (spool_ack_file_due_in (&f, 1, t + 20, 50), 30);
    assert_int_equal (spool_ack_file_due_in (&f, 1, t + 50, 50), 0);
    assert_int_equal (spool_ack_file_due_in (&f, 1, t + 5000, 50), 0);
    spool_ack_file_fini (&f);
}

/* Through the spool: acknowledgements write the floor lazily while it runs; close must
   still fsync it, or a power cut after a clean stop would cost resends. */
static void
test_close_fsyncs_the_floor_even_after_a_lazy_write (void **state)
{
    spool_options_t o;
    spool_options_defaults (&o);
    o.fsync_interval_ms = 0; /* every floor move is due at once */
    char err[256];
    spool_t *spool = spool_open (s_dir, &o, err, sizeof err);
    assert_non_null (spool);
    uint64_t id;
    for (int i = 0; i < 10; i++)
        assert_int_equal (spool_append (spool, "payload", 7, &id), SPOOL_OK);
    const void *data;
    size_t len;
    while (spool_read_next (spool, &id, &data, &len) == 1)
        ;
    assert_int_equal (spool_ack (spool, 1, 10), 0); /* moves the floor: a lazy write */
    assert_int_equal (s_load (), 10);
    assert_int_equal (s_fsyncs_of_ack_tmp, 0);
    spool_destroy (&spool);
    assert_null (spool);
    assert_int_equal (s_fsyncs_of_ack_tmp, 1);
    assert_int_equal (s_load (), 10);
}

int
main (void)
{
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_a_saved_floor_reads_back_and_the_file_is_one_line, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_damaged_file_reads_back_as_floor_zero, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_lazy_writes_are_not_fsynced_and_durable_ones_are, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_failed_write_keeps_the_old_floor_and_is_retried, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_lazy_write_falls_due_once_per_interval, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_close_fsyncs_the_floor_even_after_a_lazy_write, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
