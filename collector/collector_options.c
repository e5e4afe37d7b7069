/* parley-collector's command line (see collector_options.h). */
#include "collector_options.h"

#include "log.h" /* log_level_names */

#define S_AT(member) OPTIONS_AT (collector_options_t, member)

/* clang-format off */
static const options_def_t s_defs[] = {
    { .name = "db", .short_name = 'd', .arg = "CONNINFO", .type = OPTIONS_STRING, S_AT (db),
      .flags = OPTIONS_EMPTY_OK,
      .help = "libpq connection string or URI; without it, the libpq environment (PGHOST, "
              "PGDATABASE ...)" },
    { .name = "bind", .short_name = 'b', .arg = "ENDPOINT", .type = OPTIONS_BIND, S_AT (bind),
      .flags = OPTIONS_REPEATABLE, .max = COLLECTOR_BIND_MAX,
      .help = "ZeroMQ endpoint to listen on, e.g. tcp://127.0.0.1:5570; required unless "
              "--migrate-only" },
    OPTIONS_LOG_LEVEL_ROW (collector_options_t, log_level),
    { .name = "max-events", .arg = "N", .type = OPTIONS_INT, S_AT (max_events),
      .min = 1, .max = 1000000, .def = OPTIONS_TEXT (COLLECTOR_MAX_EVENTS_DEF),
      .help = "most events written in one transaction (batches waiting together are "
              "combined)" },
    { .name = "stats-interval", .arg = "SECONDS", .type = OPTIONS_INT, S_AT (stats_interval_s),
      .min = 1, .max = 86400, .def = "10",
      .help = "seconds between throughput lines in the log" },
    { .name = "metrics-bind", .arg = "ADDR:PORT", .type = OPTIONS_STRING, S_AT (metrics_bind),
      .flags = OPTIONS_EMPTY_OK, .def = COLLECTOR_METRICS_BIND_DEF,
      .help = "serve /metrics, /healthz and /readyz on ADDR:PORT (\"\" or off: not at all; "
              "the default, when its port is taken, is logged and skipped)" },
    { .name = "migrate-only", .type = OPTIONS_FLAG, S_AT (migrate_only),
      .flags = OPTIONS_CLI_ONLY, .help = "bring the database schema up to date, then exit" },
};
/* clang-format on */

const options_spec_t collector_options_spec = {
    .program = "parley-collector",
    OPTIONS_TABLE (s_defs),
    .size = sizeof (collector_options_t),
    .usage = "parley-collector --db CONNINFO --bind ENDPOINT [OPTION]...",
    .about = "Receives conversation events from parley-agent over ZeroMQ, stores them in "
             "PostgreSQL\nand keeps the constituency aggregates exact. Acknowledges only what "
             "is committed.",
    .epilog = "SIGTERM or SIGINT: stop reading, commit and acknowledge what is held, exit 0.\n"
              "Exit status: 0 success, 1 runtime failure, 2 bad usage. See docs/COLLECTOR.md.",
};

options_result_t
collector_options_parse (collector_options_t *opts, int argc, char **argv, FILE *out, FILE *err)
{
    options_result_t r = options_parse (&collector_options_spec, opts, argc, argv, out, err, NULL);
    if (r == OPTIONS_RUN && opts->bind.count == 0 && !opts->migrate_only) {
        collector_options_fini (opts);
        return options_error (&collector_options_spec,
                              err,
                              "--bind ENDPOINT is required, e.g. --bind tcp://127.0.0.1:5570 "
                              "(or --migrate-only)");
    }
    return r;
}

void
collector_options_fini (collector_options_t *opts)
{
    options_fini (&collector_options_spec, opts);
}
