/* The parley-agent command line: one option table drives getopt_long and --help, so the
   two can never disagree. */
#ifndef PARLEY_AGENT_OPTIONS_H
#define PARLEY_AGENT_OPTIONS_H
#include "parley.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define AGENT_BATCH_DEFAULT 1000
#define AGENT_WINDOW_DEFAULT 4
#define AGENT_WINDOW_MAX 64
#define AGENT_RESEND_DEFAULT 10000 /* ms before an unanswered batch is sent again */
#define AGENT_SPOOL_MAX_DEFAULT (1024ull * 1024 * 1024)
#define AGENT_SPOOL_MAX_MIN (256ull * 1024) /* room for a few of the largest records */

typedef struct {
    const char **connect; /* --connect, in the order given (failover order); owned array */
    size_t nconnect;
    const char *spool_dir; /* --spool DIR */
    bool once;             /* --once */
    uint64_t spool_max;    /* --spool-max, bytes */
    bool fsync_always;     /* --fsync always (default group) */
    int batch;             /* --batch N: events per batch */
    int window;            /* --window N: batches in flight */
    int resend_ms;         /* --resend-timeout MS */
    const char *log_level; /* --log-level; NULL: info */
    char **inputs;         /* INPUT... (borrowed from argv); "-" is stdin */
    int ninputs;
} agent_options_t;

typedef enum {
    AGENT_OPTIONS_RUN,  /* parsed: run the agent */
    AGENT_OPTIONS_DONE, /* --help or --version printed: exit 0 */
    AGENT_OPTIONS_BAD,  /* one-line error printed on stderr: exit 2 */
} agent_options_result_t;

/* Parses argv (reordering it, as getopt_long does). Prints --help/--version on stdout and
   errors on stderr. Call agent_options_fini afterwards, whatever the result. */
agent_options_result_t agent_options_parse (int argc, char **argv, agent_options_t *opts);
void agent_options_fini (agent_options_t *opts);

/* Prints the usage text. */
void agent_options_help (FILE *out);

#endif
