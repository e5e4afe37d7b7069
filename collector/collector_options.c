#include "collector_options.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "number.h"

enum {
    OPT_DB = 'd',
    OPT_BIND = 'b',
    OPT_HELP = 'h',
    OPT_VERSION = 'V',
    OPT_LOG_LEVEL = 256,
    OPT_MAX_EVENTS,
    OPT_STATS_INTERVAL,
    OPT_MIGRATE_ONLY
};

typedef struct {
    const char *name;
    int has_arg;
    const char *arg;
    int id;
    const char *help;
} s_option_t;

static const s_option_t s_options[] = {
    {"db", required_argument, "CONNINFO", OPT_DB,
     "libpq connection string or URI (default: the libpq environment, PGHOST, PGDATABASE …)"},
    {"bind", required_argument, "ENDPOINT", OPT_BIND,
     "ZeroMQ endpoint to listen on, e.g. tcp://127.0.0.1:5570 (repeatable)"},
    {"log-level", required_argument, "LEVEL", OPT_LOG_LEVEL, "debug, info (default), warn or error"},
    {"max-events", required_argument, "N", OPT_MAX_EVENTS,
     "most events written in one transaction (default 10000; batches waiting together are combined)"},
    {"stats-interval", required_argument, "SECONDS", OPT_STATS_INTERVAL,
     "seconds between throughput lines in the log (default 10)"},
    {"migrate-only", no_argument, NULL, OPT_MIGRATE_ONLY,
     "bring the database schema up to date, then exit"},
    {"help", no_argument, NULL, OPT_HELP, "show this help and exit"},
    {"version", no_argument, NULL, OPT_VERSION, "show the version and exit"},
};
#define S_OPTION_COUNT (sizeof s_options / sizeof s_options[0])

static void
s_help (FILE *out)
{
    fprintf (out,
             "Usage: parley-collector --db CONNINFO --bind ENDPOINT [OPTION]...\n"
             "Receives conversation events from parley-agent over ZeroMQ, stores them in PostgreSQL\n"
             "and keeps the constituency aggregates exact. Acknowledges only what is committed.\n\n"
             "Options:\n");
    for (size_t i = 0; i < S_OPTION_COUNT; i++) {
        const s_option_t *o = &s_options[i];
        char left[64];
        if (o->id < 256)
            snprintf (left, sizeof left, "-%c, --%s%s%s", o->id, o->name, o->arg ? " " : "",
                      o->arg ? o->arg : "");
        else
            snprintf (left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf (out, "  %-28s %s\n", left, o->help);
    }
    fprintf (out, "\nSIGTERM or SIGINT: stop reading, commit and acknowledge what is held, exit 0.\n"
                  "Exit status: 0 success, 1 runtime failure, 2 bad usage. See docs/COLLECTOR.md.\n");
}

collector_options_result_t
collector_options_parse (collector_options_t *opts, int argc, char **argv, FILE *out, FILE *err)
{
    memset (opts, 0, sizeof *opts);
    opts->log_level = "info";
    opts->max_events = COLLECTOR_MAX_EVENTS_DEF;
    opts->stats_interval_s = 10;

    struct option longopts[S_OPTION_COUNT + 1];
    char shortopts[2 * S_OPTION_COUNT + 2] = ":";
    size_t sl = 1;
    for (size_t i = 0; i < S_OPTION_COUNT; i++) {
        longopts[i] = (struct option) {s_options[i].name, s_options[i].has_arg, NULL, s_options[i].id};
        if (s_options[i].id < 256) {
            shortopts[sl++] = (char) s_options[i].id;
            if (s_options[i].has_arg)
                shortopts[sl++] = ':';
        }
    }
    shortopts[sl] = '\0';
    longopts[S_OPTION_COUNT] = (struct option) {0, 0, 0, 0};

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long (argc, argv, shortopts, longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DB:
            opts->db = optarg;
            break;
        case OPT_BIND:
            if (opts->bind_count == COLLECTOR_BIND_MAX) {
                fprintf (err, "parley-collector: too many --bind options (at most %d)\n", COLLECTOR_BIND_MAX);
                return COLLECTOR_OPTIONS_USAGE;
            }
            if (!*optarg) {
                fprintf (err, "parley-collector: --bind needs an endpoint, e.g. tcp://127.0.0.1:5570\n");
                return COLLECTOR_OPTIONS_USAGE;
            }
            opts->binds[opts->bind_count++] = optarg;
            break;
        case OPT_LOG_LEVEL:
            if (log_set_level (optarg) != 0) {
                fprintf (err, "parley-collector: invalid --log-level \"%s\" (debug, info, warn or error)\n", optarg);
                return COLLECTOR_OPTIONS_USAGE;
            }
            opts->log_level = optarg;
            break;
        case OPT_MAX_EVENTS:
            if (number_parse_int (optarg, 1, 1000000, &opts->max_events) != 0) {
                fprintf (err, "parley-collector: invalid --max-events \"%s\" (1 to 1000000)\n", optarg);
                return COLLECTOR_OPTIONS_USAGE;
            }
            break;
        case OPT_STATS_INTERVAL:
            if (number_parse_int (optarg, 1, 86400, &opts->stats_interval_s) != 0) {
                fprintf (err, "parley-collector: invalid --stats-interval \"%s\" (1 to 86400)\n", optarg);
                return COLLECTOR_OPTIONS_USAGE;
            }
            break;
        case OPT_MIGRATE_ONLY:
            opts->migrate_only = true;
            break;
        case OPT_HELP:
            s_help (out);
            return COLLECTOR_OPTIONS_EXIT;
        case OPT_VERSION:
            fprintf (out, "parley-collector %s\n", PARLEY_VERSION);
            return COLLECTOR_OPTIONS_EXIT;
        case ':':
            fprintf (err, "parley-collector: option %s needs an argument\n", argv[optind - 1]);
            return COLLECTOR_OPTIONS_USAGE;
        default:
            fprintf (err, "parley-collector: unknown option \"%s\" (see --help)\n", argv[optind - 1]);
            return COLLECTOR_OPTIONS_USAGE;
        }
    }
    if (optind < argc) {
        fprintf (err, "parley-collector: unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return COLLECTOR_OPTIONS_USAGE;
    }
    if (opts->bind_count == 0 && !opts->migrate_only) {
        fprintf (err, "parley-collector: --bind ENDPOINT is required, e.g. --bind tcp://127.0.0.1:5570\n");
        return COLLECTOR_OPTIONS_USAGE;
    }
    return COLLECTOR_OPTIONS_RUN;
}
