/* For unit tests: a full disk, simulated with RLIMIT_FSIZE (a write past the limit fails
   with EFBIG, part-way if it straddles it), with SIGXFSZ ignored so the write returns
   instead of killing the test. */
#ifndef PARLEY_TEST_FILE_SIZE_LIMIT_H
#define PARLEY_TEST_FILE_SIZE_LIMIT_H
#include <signal.h>
#include <sys/resource.h>

typedef struct {
    struct rlimit saved;
    void (*old_handler) (int);
} file_size_limit_t;

/* Files may not grow past bytes until file_size_limit_end. */
static inline void
file_size_limit_begin (file_size_limit_t *l, rlim_t bytes)
{
    assert_int_equal (getrlimit (RLIMIT_FSIZE, &l->saved), 0);
    l->old_handler = signal (SIGXFSZ, SIG_IGN);
    struct rlimit lim = l->saved;
    lim.rlim_cur = bytes;
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &lim), 0);
}

static inline void
file_size_limit_end (file_size_limit_t *l)
{
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &l->saved), 0);
    signal (SIGXFSZ, l->old_handler);
}

#endif
