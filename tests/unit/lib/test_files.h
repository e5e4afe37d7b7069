/* For unit tests: putting a file's bytes in place and reading them back with plain
   system calls, so a test of a writing module never sets up or checks its files with
   the module under test. Include after cmocka.h. */
#ifndef PARLEY_TEST_FILES_H
#define PARLEY_TEST_FILES_H
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Creates or truncates path (mode 0600) to hold exactly len bytes of data. */
static inline void
test_file_put (const char *path, const void *data, size_t len)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, data, len), (ssize_t)len);
    assert_int_equal (close (fd), 0);
}

/* The whole of path, malloc'd and NUL-terminated (*len its size, without the NUL), or
   NULL when it cannot be opened. */
static inline char *
test_file_get (const char *path, size_t *len)
{
    int fd = open (path, O_RDONLY);
    if (fd < 0)
        return NULL;
    struct stat st;
    assert_int_equal (fstat (fd, &st), 0);
    char *buf = malloc ((size_t)st.st_size + 1);
    assert_non_null (buf);
    size_t done = 0;
    ssize_t n;
    while (done < (size_t)st.st_size && (n = read (fd, buf + done, (size_t)st.st_size - done)) > 0)
        done += (size_t)n;
    close (fd);
    buf[done] = '\0';
    *len = done;
    return buf;
}

/* Fails unless path holds exactly want_len bytes equal to want. */
static inline void
test_file_expect (const char *path, const void *want, size_t want_len)
{
    size_t len = 0;
    char *got = test_file_get (path, &len);
    assert_non_null (got);
    assert_int_equal (len, want_len);
    assert_memory_equal (got, want, want_len);
    free (got);
}

#endif
