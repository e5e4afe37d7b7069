/* ZeroMQ endpoints as Parley's programs take them: checked when the command line (or,
   later, the config file) is read, so that a typo such as "127.0.0.1:5570" is one clear
   usage error at start rather than a connect loop that never succeeds.

   Accepted:
     tcp://HOST:PORT   HOST a name, an IPv4 address or a bracketed IPv6 address
                       ([::1]); PORT 1 to 65535
     ipc://PATH        a Unix socket path (at most 107 bytes, the size of sun_path)
   For a bind, HOST may also be * (every interface) and PORT * (a free port, which the
   collector logs). Nothing else: no other transport (inproc:// lives inside one process,
   pgm:// and the like are not used), no source address (tcp://SRC;HOST:PORT). */
#ifndef PARLEY_ENDPOINT_H
#define PARLEY_ENDPOINT_H
#include "parley.h"

typedef enum {
    ENDPOINT_CONNECT, /* the agent's --connect */
    ENDPOINT_BIND,    /* the collector's --bind */
} endpoint_use_t;

/* Checks text as an endpoint for use. Returns 0, or -1 with *why set to a constant,
   lower-case phrase saying what is wrong ("no scheme", "port is not a number from 1 to
   65535"). */
int endpoint_check (const char *text, endpoint_use_t use, const char **why) PARLEY_MUST_CHECK;

/* The accepted forms, for messages and --help: "tcp://HOST:PORT or ipc://PATH", and for a
   bind the same with what * means. A constant. */
const char *endpoint_forms (endpoint_use_t use);

#endif
