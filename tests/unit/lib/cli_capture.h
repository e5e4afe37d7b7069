/* For unit tests of a command line: a writable copy of the arguments (options borrow
   argv's strings, so it lives as long as the capture) and the parser's stdout and stderr
   captured in memory. Header-only; include after cmocka.h. */
#ifndef PARLEY_TEST_CLI_CAPTURE_H
#define PARLEY_TEST_CLI_CAPTURE_H
#include <stdio.h>
#include <string.h>

typedef struct {
    int argc;
    char *argv[64];
    char store[64][256];
    char out[8192]; /* what was printed on out, NUL-terminated */
    char err[2048]; /* and on err */
    FILE *outf, *errf;
} cli_capture_t;

/* Copies args[0..argc) into c->argv and opens c->outf and c->errf for the parser. */
static inline void
cli_capture_begin (cli_capture_t *c, int argc, const char *const *args)
{
    assert_true (argc < 64);
    memset (c->out, 0, sizeof c->out);
    memset (c->err, 0, sizeof c->err);
    for (int i = 0; i < argc; i++) {
        snprintf (c->store[i], sizeof c->store[i], "%s", args[i]);
        c->argv[i] = c->store[i];
    }
    c->argv[argc] = NULL;
    c->argc = argc;
    c->outf = fmemopen (c->out, sizeof c->out - 1, "w");
    c->errf = fmemopen (c->err, sizeof c->err - 1, "w");
    assert_non_null (c->outf);
    assert_non_null (c->errf);
}

/* Closes the streams: c->out and c->err then hold what was printed. */
static inline void
cli_capture_end (cli_capture_t *c)
{
    fclose (c->outf);
    fclose (c->errf);
    c->outf = c->errf = NULL;
}

/* The number of arguments of a NULL-terminated list. */
static inline int
cli_capture_count (const char *const *args)
{
    int n = 0;
    while (args[n])
        n++;
    return n;
}

#endif
