/* parley-collector's command line. One table (collector_options.c) drives getopt_long and
   --help, so the two never disagree. */
#ifndef PARLEY_COLLECTOR_OPTIONS_H
#define PARLEY_COLLECTOR_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define COLLECTOR_BIND_MAX        16
#define COLLECTOR_MAX_EVENTS_DEF  10000

typedef struct {
    const char *db;                        /* --db; NULL: the libpq environment */
    char *binds[COLLECTOR_BIND_MAX];       /* --bind, repeatable; borrowed from argv */
    size_t bind_count;
    const char *log_level;                 /* --log-level, default "info" */
    int max_events;                        /* --max-events: events per transaction */
    int stats_interval_s;                  /* --stats-interval: seconds between progress lines */
    bool migrate_only;                     /* --migrate-only */
} collector_options_t;

typedef enum {
    COLLECTOR_OPTIONS_RUN = 0,   /* parsed: run */
    COLLECTOR_OPTIONS_EXIT = 1,  /* --help or --version printed on out: exit 0 */
    COLLECTOR_OPTIONS_USAGE = 2  /* one-line error printed on err: exit 2 */
} collector_options_result_t;

/* Parses argv into opts (which borrows argv's strings). Prints --help/--version on out and
   a one-line error naming the bad argument on err. */
collector_options_result_t collector_options_parse (collector_options_t *opts, int argc,
                                                    char **argv, FILE *out, FILE *err);

#endif
