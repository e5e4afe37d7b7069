/* fileio: writes go on after short writes and EINTR and report the real error; a
   replaced file is fsynced, renamed, and its directory fsynced, in that order; a failed
   replace leaves the old file and no temporary; readers never see a half-replaced file.

   The system calls fileio.c makes are interposed: this program defines write, pwrite,
   fsync, fdatasync and rename itself, and the static library's references bind to them.
   They pass through to the kernel (syscall), and a test can make them misbehave (short
   writes, EINTR, EIO) or record what was called, in order. The rest uses the real
   kernel: RLIMIT_FSIZE for a full disk, a non-blocking pipe for a short write. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file_size_limit.h"
#include "fileio.h"
#include "test_files.h"

/* --- interposed system calls ---------------------------------------------------------- */

static struct {
    bool on;            /* misbehave and record only while a test says so */
    size_t max_write;   /* write/pwrite move at most this many bytes (0: no limit) */
    int eintr_every;    /* every Nth write/pwrite fails with EINTR (0: never) */
    int zero_after;     /* write returns 0 from this call on (0: never) */
    int fsync_fail;     /* errno for fsync/fdatasync of a file (0: succeed) */
    int fsync_eintr;    /* so many fsync calls fail with EINTR first */
    int dir_fsync_fail; /* errno for fsync of a directory */
    int calls;          /* write/pwrite calls */
    int fsyncs;         /* fsync/fdatasync calls */
    char log[16][300];  /* "fsync PATH", "rename FROM TO", in order */
    int nlog;
} s_sys;

/* Appends "what a b" (b may be NULL) to the log. */
static void
s_record (const char *what, const char *a, const char *b)
{
    if (s_sys.on && s_sys.nlog < 16)
        snprintf (s_sys.log[s_sys.nlog++],
                  sizeof s_sys.log[0],
                  "%s %s%s%s",
                  what,
                  a,
                  b ? " " : "",
                  b ? b : "");
}

static const char *
s_fd_path (int fd)
{
    static char path[256];
    char link[64];
    snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink (link, path, sizeof path - 1);
    path[n > 0 ? n : 0] = '\0';
    return path;
}

/* How much of len the next write/pwrite may move; -1 for a simulated EINTR. */
static ssize_t
s_write_budget (size_t len)
{
    if (!s_sys.on)
        return (ssize_t)len;
    s_sys.calls++;
    if (s_sys.zero_after && s_sys.calls >= s_sys.zero_after)
        return 0;
    if (s_sys.eintr_every && s_sys.calls % s_sys.eintr_every == 0) {
        errno = EINTR;
        return -1;
    }
    return s_sys.max_write && len > s_sys.max_write ? (ssize_t)s_sys.max_write : (ssize_t)len;
}

ssize_t
write (int fd, const void *buf, size_t len)
{
    ssize_t n = s_write_budget (len);
    return n <= 0 ? n : syscall (SYS_write, fd, buf, (size_t)n);
}

ssize_t
pwrite (int fd, const void *buf, size_t len, off_t off)
{
    ssize_t n = s_write_budget (len);
    return n <= 0 ? n : syscall (SYS_pwrite64, fd, buf, (size_t)n, off);
}

static int
s_sync (int fd, long nr)
{
    if (s_sys.on) {
        s_sys.fsyncs++;
        struct stat st;
        bool dir = fstat (fd, &st) == 0 && S_ISDIR (st.st_mode);
        s_record ("fsync", s_fd_path (fd), NULL);
        if (s_sys.fsync_eintr > 0) {
            s_sys.fsync_eintr--;
            errno = EINTR;
            return -1;
        }
        int fail = dir ? s_sys.dir_fsync_fail : s_sys.fsync_fail;
        if (fail) {
            errno = fail;
            return -1;
        }
    }
    return (int)syscall (nr, fd);
}

int
fsync (int fd)
{
    return s_sync (fd, SYS_fsync);
}

int
fdatasync (int fd)
{
    return s_sync (fd, SYS_fdatasync);
}

int
rename (const char *from, const char *to)
{
    s_record ("rename", from, to);
    return renameat (AT_FDCWD, from, AT_FDCWD, to);
}

/* --- helpers -------------------------------------------------------------------------- */

static char s_dir[64];

static char *
s_path (const char *name)
{
    static char buf[4][128];
    static int next;
    char *p = buf[next++ % 4];
    snprintf (p, sizeof buf[0], "%s/%s", s_dir, name);
    return p;
}

static int
s_setup (void **state)
{
    memset (&s_sys, 0, sizeof s_sys);
    snprintf (s_dir, sizeof s_dir, "/tmp/parley-fileio-XXXXXX");
    return mkdtemp (s_dir) ? 0 : -1;
}

static int
s_rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

static int
s_teardown (void **state)
{
    memset (&s_sys, 0, sizeof s_sys);
    return nftw (s_dir, s_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
s_pattern (unsigned char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(i * 7 + i / 251);
}

/* --- writing everything --------------------------------------------------------------- */

static void
test_write_all_goes_on_after_short_writes_and_eintr (void **state)
{
    enum { N = 10000 };
    static unsigned char data[N];
    s_pattern (data, N);
    int fd = open (s_path ("f"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    s_sys.on = true;
    s_sys.max_write = 7; /* 1429 short writes */
    s_sys.eintr_every = 5;
    assert_int_equal (fileio_write_all (fd, data, N), 0);
    assert_true (s_sys.calls > N / 7);
    s_sys.on = false;
    close (fd);
    test_file_expect (s_path ("f"), data, N);
}

static void
test_pwrite_all_goes_on_after_short_writes_and_leaves_the_position (void **state)
{
    enum { N = 5000 };
    static unsigned char data[N];
    s_pattern (data, N);
    int fd = open (s_path ("f"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    assert_int_equal (fileio_write_all (fd, "head", 4), 0);
    s_sys.on = true;
    s_sys.max_write = 13;
    s_sys.eintr_every = 3;
    assert_int_equal (fileio_pwrite_all (fd, data, N, 100), 0);
    s_sys.on = false;
    assert_int_equal (lseek (fd, 0, SEEK_CUR), 4);
    close (fd);
    size_t len;
    unsigned char *got = (unsigned char *)test_file_get (s_path ("f"), &len);
    assert_int_equal (len, 100 + N);
    assert_memory_equal (got + 100, data, N);
    free (got);
}

static void
test_a_write_that_makes_no_progress_fails_with_eio_instead_of_spinning (void **state)
{
    int fd = open (s_path ("f"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    s_sys.on = true;
    s_sys.max_write = 10;
    s_sys.zero_after = 3;
    errno = 0;
    assert_int_equal (fileio_write_all (fd, "0123456789abcdefghijklmnopqrstuvwxyz", 36), -1);
    assert_int_equal (errno, EIO);
    assert_int_equal (s_sys.calls, 3);
    s_sys.on = false;
    close (fd);
}

static void
test_a_full_disk_stops_the_write_with_efbig_after_what_fitted (void **state)
{
    static unsigned char data[4096];
    s_pattern (data, sizeof data);
    int fd = open (s_path ("f"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    file_size_limit_t lim;
    file_size_limit_begin (&lim, 1000);
    errno = 0;
    int rc = fileio_write_all (fd, data, sizeof data); /* the kernel writes 1000, then EFBIG */
    int e = errno;
    file_size_limit_end (&lim);
    assert_int_equal (rc, -1);
    assert_int_equal (e, EFBIG);
    close (fd);
    test_file_expect (s_path ("f"), data, 1000);
}

static void
test_a_short_write_to_a_full_pipe_reports_eagain (void **state)
{
    int p[2];
    assert_int_equal (pipe2 (p, O_NONBLOCK), 0);
    int cap = fcntl (p[1], F_GETPIPE_SZ);
    assert_true (cap > 0);
    size_t len = (size_t)cap + 1000;
    unsigned char *data = malloc (len), *back = malloc (len);
    s_pattern (data, len);
    errno = 0;
    assert_int_equal (fileio_write_all (p[1], data, len), -1);
    assert_int_equal (errno, EAGAIN);
    /* What the kernel took is exactly the start of the data. */
    ssize_t n = read (p[0], back, len);
    assert_int_equal (n, cap);
    assert_memory_equal (back, data, (size_t)cap);
    free (data);
    free (back);
    close (p[0]);
    close (p[1]);
}

static void
test_append_whole_takes_a_cut_write_back (void **state)
{
    static unsigned char data[2000];
    s_pattern (data, sizeof data);
    test_file_put (s_path ("f"), "old line\n", 9);
    int fd = open (s_path ("f"), O_WRONLY | O_APPEND);
    assert_true (fd >= 0);
    file_size_limit_t lim;
    file_size_limit_begin (&lim, 1000);
    errno = 0;
    int rc = fileio_append_whole (fd, data, sizeof data);
    int e = errno;
    file_size_limit_end (&lim);
    assert_int_equal (rc, -1);
    assert_int_equal (e, EFBIG);
    test_file_expect (s_path ("f"), "old line\n", 9);
    /* and a write that fits goes at the end */
    assert_int_equal (fileio_append_whole (fd, "new line\n", 9), 0);
    close (fd);
    test_file_expect (s_path ("f"), "old line\nnew line\n", 18);
}

/* --- fsync ---------------------------------------------------------------------------- */

static void
test_fsync_is_retried_on_eintr_only (void **state)
{
    int fd = open (s_path ("f"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    s_sys.on = true;
    s_sys.fsync_eintr = 2;
    assert_int_equal (fileio_fsync (fd), 0);
    assert_int_equal (s_sys.fsyncs, 3);
    s_sys.fsyncs = 0;
    s_sys.fsync_eintr = 1;
    assert_int_equal (fileio_fdatasync (fd), 0);
    assert_int_equal (s_sys.fsyncs, 2);
    /* EIO may mean the pages are gone: a retry could lie, so it fails at once. */
    s_sys.fsyncs = 0;
    s_sys.fsync_fail = EIO;
    errno = 0;
    assert_int_equal (fileio_fsync (fd), -1);
    assert_int_equal (errno, EIO);
    assert_int_equal (fileio_fdatasync (fd), -1);
    assert_int_equal (errno, EIO);
    assert_int_equal (s_sys.fsyncs, 2);
    s_sys.on = false;
    close (fd);
    errno = 0;
    assert_int_equal (fileio_fsync (fd), -1);
    assert_int_equal (errno, EBADF);
}

static void
test_fsync_dir_syncs_that_directory_and_reports_why_it_cannot (void **state)
{
    s_sys.on = true;
    assert_int_equal (fileio_fsync_dir (s_dir), 0);
    assert_int_equal (s_sys.nlog, 1);
    char want[300];
    snprintf (want, sizeof want, "fsync %s", s_dir);
    assert_string_equal (s_sys.log[0], want);
    s_sys.on = false;
    errno = 0;
    assert_int_equal (fileio_fsync_dir (s_path ("missing")), -1);
    assert_int_equal (errno, ENOENT);
    test_file_put (s_path ("file"), "x", 1);
    errno = 0;
    assert_int_equal (fileio_fsync_dir (s_path ("file")), -1);
    assert_int_equal (errno, ENOTDIR);
}

static void
test_close_sets_the_descriptor_to_minus_one_and_keeps_errno (void **state)
{
    int fd = open (s_path ("f"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    int copy = fd;
    errno = ENOSPC;
    fileio_close (&fd);
    assert_int_equal (fd, -1);
    assert_int_equal (errno, ENOSPC);
    assert_int_equal (fcntl (copy, F_GETFD), -1); /* really closed */
    errno = ENOSPC;
    fileio_close (&fd); /* and again: nothing to do */
    assert_int_equal (fd, -1);
    assert_int_equal (errno, ENOSPC);
}

/* --- atomic replace ------------------------------------------------------------------- */

static void
test_replace_fsyncs_the_file_renames_then_fsyncs_the_directory (void **state)
{
    test_file_put (s_path ("state"), "old", 3);
    umask (022);
    s_sys.on = true;
    assert_int_equal (fileio_replace (s_path ("state"), "new contents\n", 13, 0640), 0);
    s_sys.on = false;
    test_file_expect (s_path ("state"), "new contents\n", 13);
    assert_int_equal (access (s_path ("state.tmp"), F_OK), -1);
    char want[3][300];
    snprintf (want[0], sizeof want[0], "fsync %s/state.tmp", s_dir);
    snprintf (want[1], sizeof want[1], "rename %s/state.tmp %s/state", s_dir, s_dir);
    snprintf (want[2], sizeof want[2], "fsync %s", s_dir);
    assert_int_equal (s_sys.nlog, 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal (s_sys.log[i], want[i]);
}

static void
test_replace_creates_a_new_file_with_the_mode_asked_for (void **state)
{
    umask (022);
    assert_int_equal (fileio_replace (s_path ("fresh"), "a", 1, 0640), 0);
    struct stat st;
    assert_int_equal (stat (s_path ("fresh"), &st), 0);
    assert_int_equal (st.st_mode & 0777, 0640);
    test_file_expect (s_path ("fresh"), "a", 1);
    /* A bare relative name works too: its directory is ".". */
    char cwd[256];
    assert_non_null (getcwd (cwd, sizeof cwd));
    assert_int_equal (chdir (s_dir), 0);
    s_sys.on = true;
    assert_int_equal (fileio_replace ("bare", "b", 1, 0600), 0);
    s_sys.on = false;
    assert_int_equal (chdir (cwd), 0);
    test_file_expect (s_path ("bare"), "b", 1);
    char want[300];
    snprintf (want, sizeof want, "fsync %s", s_dir);
    assert_int_equal (s_sys.nlog, 3);
    assert_string_equal (s_sys.log[2], want);
}

static void
test_replace_unsynced_renames_without_any_fsync (void **state)
{
    test_file_put (s_path ("ack"), "floor 1\n", 8);
    s_sys.on = true;
    assert_int_equal (fileio_replace_unsynced (s_path ("ack"), "floor 2\n", 8, 0640), 0);
    s_sys.on = false;
    test_file_expect (s_path ("ack"), "floor 2\n", 8);
    assert_int_equal (s_sys.fsyncs, 0);
    assert_int_equal (s_sys.nlog, 1);
    assert_non_null (strstr (s_sys.log[0], "rename "));
}

static void
test_a_replace_cut_short_by_a_full_disk_leaves_the_old_file_and_no_temporary (void **state)
{
    static unsigned char data[4000];
    s_pattern (data, sizeof data);
    test_file_put (s_path ("state"), "old", 3);
    file_size_limit_t lim;
    file_size_limit_begin (&lim, 1000);
    errno = 0;
    int rc = fileio_replace (s_path ("state"), data, sizeof data, 0600);
    int e = errno;
    file_size_limit_end (&lim);
    assert_int_equal (rc, -1);
    assert_int_equal (e, EFBIG);
    test_file_expect (s_path ("state"), "old", 3);
    assert_int_equal (access (s_path ("state.tmp"), F_OK), -1);
}

static void
test_a_failed_fsync_of_the_new_file_stops_before_the_rename (void **state)
{
    test_file_put (s_path ("state"), "old", 3);
    s_sys.on = true;
    s_sys.fsync_fail = EIO;
    errno = 0;
    assert_int_equal (fileio_replace (s_path ("state"), "new", 3, 0600), -1);
    assert_int_equal (errno, EIO);
    s_sys.on = false;
    for (int i = 0; i < s_sys.nlog; i++)
        assert_null (strstr (s_sys.log[i], "rename "));
    test_file_expect (s_path ("state"), "old", 3);
    assert_int_equal (access (s_path ("state.tmp"), F_OK), -1);
}

static void
test_a_failed_fsync_of_the_directory_is_reported (void **state)
{
    test_file_put (s_path ("state"), "old", 3);
    s_sys.on = true;
    s_sys.dir_fsync_fail = EIO;
    errno = 0;
    assert_int_equal (fileio_replace (s_path ("state"), "new", 3, 0600), -1);
    assert_int_equal (errno, EIO);
    s_sys.on = false;
    /* The rename is done (the new contents are there) but not known to be durable. */
    test_file_expect (s_path ("state"), "new", 3);
}

static void
test_replace_reports_errno_when_it_cannot_write_or_rename (void **state)
{
    errno = 0;
    assert_int_equal (fileio_replace (s_path ("no/such/dir/file"), "x", 1, 0600), -1);
    assert_int_equal (errno, ENOENT);
    /* A directory in the way: the rename fails and the temporary goes. */
    assert_int_equal (mkdir (s_path ("taken"), 0700), 0);
    assert_int_equal (mkdir (s_path ("taken/inside"), 0700), 0);
    errno = 0;
    assert_int_equal (fileio_replace (s_path ("taken"), "x", 1, 0600), -1);
    assert_true (errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST);
    assert_int_equal (access (s_path ("taken.tmp"), F_OK), -1);
}

/* A reader polling the file while it is replaced over and over sees, every time, one
   whole version: never a missing file, an empty one, or a mixture. */
static void
test_readers_see_the_old_or_the_new_file_never_a_mixture (void **state)
{
    enum { SMALL = 100, LARGE = 30000, ROUNDS = 400 };
    static char a[SMALL], b[LARGE];
    memset (a, 'a', SMALL);
    memset (b, 'b', LARGE);
    const char *path = s_path ("state");
    assert_int_equal (fileio_replace (path, a, SMALL, 0600), 0);
    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0) {
        for (;;) {
            size_t len = 0;
            char *got = test_file_get (path, &len);
            if (!got)
                _exit (2); /* the name was missing for a moment */
            bool ok = (len == SMALL && memcmp (got, a, SMALL) == 0) ||
                      (len == LARGE && memcmp (got, b, LARGE) == 0);
            bool stop = len == 4 && memcmp (got, "stop", 4) == 0;
            free (got);
            if (stop)
                _exit (0);
            if (!ok)
                _exit (3); /* torn or mixed */
        }
    }
    for (int i = 0; i < ROUNDS; i++) {
        int rc = i % 2 ? fileio_replace_unsynced (path, a, SMALL, 0600)
                       : fileio_replace_unsynced (path, b, LARGE, 0600);
        assert_int_equal (rc, 0);
    }
    assert_int_equal (fileio_replace (path, b, LARGE, 0600), 0);
    assert_int_equal (fileio_replace (path, "stop", 4, 0600), 0);
    int status;
    assert_int_equal (waitpid (child, &status, 0), child);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_write_all_goes_on_after_short_writes_and_eintr, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_pwrite_all_goes_on_after_short_writes_and_leaves_the_position, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_write_that_makes_no_progress_fails_with_eio_instead_of_spinning,
          s_setup,
          s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_full_disk_stops_the_write_with_efbig_after_what_fitted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_short_write_to_a_full_pipe_reports_eagain, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_append_whole_takes_a_cut_write_back, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fsync_is_retried_on_eintr_only, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_fsync_dir_syncs_that_directory_and_reports_why_it_cannot, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_close_sets_the_descriptor_to_minus_one_and_keeps_errno, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_replace_fsyncs_the_file_renames_then_fsyncs_the_directory, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_replace_creates_a_new_file_with_the_mode_asked_for, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_replace_unsynced_renames_without_any_fsync, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_replace_cut_short_by_a_full_disk_leaves_the_old_file_and_no_temporary,
          s_setup,
          s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_failed_fsync_of_the_new_file_stops_before_the_rename, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_failed_fsync_of_the_directory_is_reported, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_replace_reports_errno_when_it_cannot_write_or_rename, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_readers_see_the_old_or_the_new_file_never_a_mixture, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
