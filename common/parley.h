/* Project-wide attributes. */
#ifndef PARLEY_H
#define PARLEY_H

/* A fallible function whose result must be looked at: with -Werror an ignored failure
   does not build (pgbouncer's _MUSTCHECK). */
#define PARLEY_MUST_CHECK __attribute__ ((warn_unused_result))
#define PARLEY_PRINTF(f, a) __attribute__ ((format (printf, f, a)))

#endif
