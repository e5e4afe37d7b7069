/* LD_PRELOAD shim for the webhook test: fsync and fdatasync wait PARLEY_SLOW_FSYNC_MS
   before doing their work, so that an answer sent before the spool's fsync would come
   back sooner than that and be caught (a kill -9 cannot catch it: written pages survive
   the process in the page cache). */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static void
s_wait (void)
{
    const char *text = getenv ("PARLEY_SLOW_FSYNC_MS");
    long ms = text ? atol (text) : 0;
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (ms > 0 && nanosleep (&ts, &ts) != 0) {
    }
}

int
fsync (int fd)
{
    static int (*real) (int);
    if (!real)
        *(void **)&real = dlsym (RTLD_NEXT, "fsync");
    s_wait ();
    return real (fd);
}

int
fdatasync (int fd)
{
    static int (*real) (int);
    if (!real)
        *(void **)&real = dlsym (RTLD_NEXT, "fdatasync");
    s_wait ();
    return real (fd);
}
