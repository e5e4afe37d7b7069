/* Poll timeouts in milliseconds as zmq_poll takes them, -1 meaning "no limit": the loops
   and their producers each say how long they may wait, and the loop waits for the least. */
#ifndef PARLEY_POLL_TIMEOUT_H
#define PARLEY_POLL_TIMEOUT_H

/* The shorter of two timeouts, -1 being longer than any other. */
static inline int
poll_timeout_min (int a, int b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

#endif
