/* parley-collector's command line: its table of options (collector_options.c) drives
   getopt_long, --help, the defaults and, later, the config-file keys (common/options.h).
   What is left here is the struct, the limits other code names, and the check that
   involves two options (--bind unless --migrate-only). */
#ifndef PARLEY_COLLECTOR_OPTIONS_H
#define PARLEY_COLLECTOR_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "options.h"
#include "parley.h"

#define COLLECTOR_BIND_MAX 16
#define COLLECTOR_MAX_EVENTS_DEF 10000
#define COLLECTOR_METRICS_BIND_DEF "127.0.0.1:9570" /* --metrics-bind */

typedef struct {
    const char *db;              /* --db; NULL: the libpq environment */
    options_list_t bind;         /* --bind, repeatable, in the order given */
    int log_level;               /* --log-level: a log_level_t */
    int max_events;              /* --max-events: events per transaction */
    int stats_interval_s;        /* --stats-interval: seconds between progress lines */
    bool migrate_only;           /* --migrate-only */
    int notes_retention_days;    /* --notes-retention-days: 0 off (collector/retention.h) */
    int rate_limit;              /* --rate-limit: events/s per agent, 0 off (common/rate_limit.h) */
    int rate_burst;              /* --rate-burst: events an agent may send at once */
    const char *metrics_bind;    /* --metrics-bind ADDR:PORT; "" or "off": none */
    const char *config;          /* --config FILE (NULL: the default file, if it exists) */
    bool check_config;           /* --check-config */
    const char *curve_secret;    /* --curve-secret FILE: the collector's NAME.cert_secret */
    const char *authorized_keys; /* --authorized-keys DIR: the agents' public certs */
    bool insecure;               /* --insecure: plaintext, loopback endpoints only */
    int max_connections;         /* --max-connections; 0: the file descriptor limit less a margin */
    options_list_t owned;        /* the config file's values (options_keep) */
} collector_options_t;

/* The table, for --help and for the config-file loader. */
extern const options_spec_t collector_options_spec;

/* Parses argv into opts (which borrows argv's strings). Prints --help/--version on out
   and a one-line error naming the bad argument on err. The log level is the caller's to
   apply. After OPTIONS_RUN, collector_options_fini frees what opts holds; after anything
   else there is nothing to free. */
options_result_t collector_options_parse (collector_options_t *opts,
                                          int argc,
                                          char **argv,
                                          FILE *out,
                                          FILE *err) PARLEY_MUST_CHECK;
void collector_options_fini (collector_options_t *opts);

/* `parley-collector migrate`'s own command line (the subcommand parses argv from its name). */
typedef struct {
    const char *db; /* --db: the owner's connection; NULL: the libpq environment */
    bool dry_run;   /* --dry-run */
    int log_level;  /* --log-level */
} collector_migrate_options_t;

extern const options_spec_t collector_migrate_options_spec;

/* As collector_options_parse, for `parley-collector migrate`. */
options_result_t collector_migrate_options_parse (collector_migrate_options_t *opts,
                                                  int argc,
                                                  char **argv,
                                                  FILE *out,
                                                  FILE *err) PARLEY_MUST_CHECK;
void collector_migrate_options_fini (collector_migrate_options_t *opts);

#endif
