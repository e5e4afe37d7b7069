/* spool_quarantine: the copy holds exactly the damaged bytes, under the documented name,
   and is fsynced (file and directory) before it is reported made, because the caller
   covers the original right after; when it cannot be made the caller is told why.

   fsync is interposed (this program defines it; the static libraries' calls bind to it)
   to record what was fsynced; it passes through to the kernel. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <sys/syscall.h>

#include "spool_fixture.h"
#include "spool_quarantine.h"
#include "test_files.h"

static char s_synced[8][256]; /* paths fsynced, in order */
static int s_nsynced;

int
fsync (int fd)
{
    char link[64];
    snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
    if (s_nsynced < 8) {
        ssize_t n = readlink (link, s_synced[s_nsynced], sizeof s_synced[0] - 1);
        s_synced[s_nsynced++][n > 0 ? n : 0] = '\0';
    }
    return (int)syscall (SYS_fsync, fd);
}

/* A segment of n patterned bytes; returns it open for reading. */
static int
s_segment_of (size_t n, unsigned char *data)
{
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 31 + (i >> 9));
    const char *path = s_path ("%s/seg", s_dir);
    test_file_put (path, data, n);
    int fd = open (path, O_RDONLY);
    assert_true (fd >= 0);
    return fd;
}

static void
test_the_copy_holds_exactly_the_stretch_and_is_fsynced_with_its_name (void **state)
{
    enum { N = 400 * 1024 }; /* more than one copy chunk */
    static unsigned char data[N];
    int fd = s_segment_of (N, data);
    const char *qdir = s_path ("%s/quarantine", s_dir);
    s_nsynced = 0;
    assert_int_equal (spool_quarantine_copy (qdir, fd, 209716, 1000, N - 7), 0);
    close (fd);
    char *path = spool_quarantine_path (qdir, 209716, 1000);
    assert_string_equal (path, s_path ("%s/quarantine/00000000000000209716-1000.bad", s_dir));
    test_file_expect (path, data + 1000, N - 7 - 1000);
    assert_int_equal (s_nsynced, 2);
    assert_string_equal (s_synced[0], path); /* the copy first, */
    assert_string_equal (s_synced[1], qdir); /* then the name of it */
    free (path);
    struct stat st;
    assert_int_equal (stat (qdir, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0750 & ~(mode_t)022 & 0777);
}

static void
test_a_second_copy_of_the_same_stretch_replaces_the_first (void **state)
{
    unsigned char data[600];
    int fd = s_segment_of (sizeof data, data);
    const char *qdir = s_path ("%s/quarantine", s_dir);
    assert_int_equal (spool_quarantine_copy (qdir, fd, 1, 100, 500), 0);
    assert_int_equal (spool_quarantine_copy (qdir, fd, 1, 100, 200), 0);
    close (fd);
    char *path = spool_quarantine_path (qdir, 1, 100);
    test_file_expect (path, data + 100, 100);
    free (path);
}

static void
test_a_copy_that_cannot_be_made_says_why (void **state)
{
    unsigned char data[600];
    int fd = s_segment_of (sizeof data, data);
    /* the quarantine directory's place is taken by a file */
    const char *qdir = s_path ("%s/quarantine", s_dir);
    test_file_put (qdir, "x", 1);
    errno = 0;
    assert_int_equal (spool_quarantine_copy (qdir, fd, 1, 0, 100), -1);
    assert_int_equal (errno, ENOTDIR);
    assert_int_equal (unlink (qdir), 0);
    /* the stretch runs past the end of the segment: the copy would not be whole */
    errno = 0;
    assert_int_equal (spool_quarantine_copy (qdir, fd, 1, 500, 700), -1);
    assert_int_equal (errno, EIO);
    close (fd);
    /* the segment is not readable */
    errno = 0;
    assert_int_equal (spool_quarantine_copy (qdir, fd, 1, 0, 100), -1);
    assert_int_equal (errno, EBADF);
}

int
main (void)
{
    umask (022);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_the_copy_holds_exactly_the_stretch_and_is_fsynced_with_its_name,
          s_setup,
          s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_second_copy_of_the_same_stretch_replaces_the_first, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_copy_that_cannot_be_made_says_why, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
