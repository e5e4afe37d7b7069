/* parley-collector's command line (see collector_options.h). */
#include "collector_options.h"

#include "config_file.h"
#include "log.h" /* log_level_names */
#include "wire_server.h"

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
    { .name = "curve-secret", .arg = "FILE", .type = OPTIONS_STRING, S_AT (curve_secret),
      .help = "the collector's CurveZMQ secret certificate (NAME.cert_secret, mode 0600, "
              "from `parley-collector keygen NAME`); required unless --insecure" },
    { .name = "authorized-keys", .arg = "DIR", .type = OPTIONS_STRING, S_AT (authorized_keys),
      .help = "folder of the agents' public certificates (NAME.cert): only these keys may "
              "connect, each for the associations its metadata names; re-read on SIGHUP; "
              "required unless --insecure" },
    { .name = "insecure", .type = OPTIONS_FLAG, S_AT (insecure), .flags = OPTIONS_CLI_ONLY,
      .help = "no CURVE: plaintext, and anyone who reaches the endpoint may send events for "
              "any association; refused unless every --bind is loopback or ipc://" },
    { .name = "max-connections", .arg = "N", .type = OPTIONS_INT, S_AT (max_connections),
      .min = 0, .max = 10000000, .def = "0",
      .help = "agent connections open at once; one beyond is closed at once (logged once) "
              "while the connected agents are served; 0: the file descriptor limit (raised to "
              "its hard limit at start) less 128 for the database and files" },
    { .name = "notes-retention-days", .arg = "N", .type = OPTIONS_INT,
      S_AT (notes_retention_days), .min = 0, .max = 36500, .def = "0",
      .help = "blank the notes of conversations that took place more than N days ago, at "
              "start and then daily, keeping every count (0: never)" },
    { .name = "rate-limit", .arg = "EVENTS_PER_S", .type = OPTIONS_INT, S_AT (rate_limit),
      .min = 0, .max = 10000000, .def = "0", .flags = OPTIONS_RELOADABLE,
      .help = "most events a second one agent may send on average; a batch over it is refused "
              "with \"rate limit exceeded, resend later\" and resent, never dropped (0: no "
              "limit)" },
    { .name = "rate-burst", .arg = "N", .type = OPTIONS_INT, S_AT (rate_burst),
      .min = 1, .max = 100000000, .def = "5000", .flags = OPTIONS_RELOADABLE,
      .help = "events an agent may send at once beyond --rate-limit (a bucket of N)" },
    { .name = "metrics-bind", .arg = "ADDR:PORT", .type = OPTIONS_STRING, S_AT (metrics_bind),
      .flags = OPTIONS_EMPTY_OK, .def = COLLECTOR_METRICS_BIND_DEF,
      .help = "serve /metrics, /healthz and /readyz on ADDR:PORT (\"\" or off: not at all; "
              "the default, when its port is taken, is logged and skipped)" },
    { .name = "migrate-only", .type = OPTIONS_FLAG, S_AT (migrate_only),
      .flags = OPTIONS_CLI_ONLY, .help = "bring the database schema up to date, then exit" },
    OPTIONS_CONFIG_ROWS (collector_options_t, config, check_config, "collector.conf"),
};
/* clang-format on */

const options_spec_t collector_options_spec = {
    .program = "parley-collector",
    OPTIONS_TABLE (s_defs),
    .size = sizeof (collector_options_t),
    .config_load = config_file_load,
    .config_default = PARLEY_SYSCONFDIR "/parley/collector.conf",
    .owned_at = OPTIONS_OWNED_AT (collector_options_t, owned),
    .usage = "parley-collector --db CONNINFO --bind ENDPOINT [OPTION]...",
    .about = "Receives conversation events from parley-agent over ZeroMQ, stores them in "
             "PostgreSQL\nand keeps the constituency aggregates exact. Acknowledges only what "
             "is committed.",
    .epilog = "Every option but --migrate-only, --config and --check-config may be given in the "
              "config\nfile, as \"name = value\" (docs/OPERATIONS.md, \"Configuration\"); the "
              "default file is\n" PARLEY_SYSCONFDIR "/parley/collector.conf, read when it exists. "
              "SIGHUP re-reads it (the log\nlevel changes at once, other keys are logged as "
              "needing a restart).\n"
              "SIGTERM, SIGINT or SIGQUIT: stop reading, commit and acknowledge what is held, "
              "exit 0.\n"
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
    if (r == OPTIONS_RUN && !opts->migrate_only) {
        const char *bad = NULL;
        if (opts->insecure) {
            for (size_t i = 0; i < opts->bind.count && !bad; i++)
                if (!wire_server_endpoint_is_local (opts->bind.items[i]))
                    bad = opts->bind.items[i];
            if (bad) {
                char line[512];
                snprintf (line,
                          sizeof line,
                          "--insecure refused on %s (not loopback): give --curve-secret and "
                          "--authorized-keys",
                          bad);
                collector_options_fini (opts);
                return options_error (&collector_options_spec, err, "%s", line);
            }
        } else if (!opts->curve_secret || !opts->authorized_keys) {
            collector_options_fini (opts);
            return options_error (&collector_options_spec,
                                  err,
                                  "--curve-secret FILE and --authorized-keys DIR are required "
                                  "(or --insecure on a loopback endpoint)");
        }
    }
    if (r == OPTIONS_RUN && opts->check_config) {
        fprintf (out, "parley-collector: configuration ok\n");
        collector_options_fini (opts);
        return OPTIONS_DONE;
    }
    return r;
}

void
collector_options_fini (collector_options_t *opts)
{
    options_fini (&collector_options_spec, opts);
}

/* parley-collector migrate */
#define S_MAT(member) OPTIONS_AT (collector_migrate_options_t, member)

/* clang-format off */
static const options_def_t s_migrate_defs[] = {
    { .name = "db", .short_name = 'd', .arg = "CONNINFO", .type = OPTIONS_STRING, S_MAT (db),
      .flags = OPTIONS_EMPTY_OK | OPTIONS_CLI_ONLY,
      .help = "libpq connection string of the schema's owner; without it, the libpq "
              "environment" },
    { .name = "dry-run", .type = OPTIONS_FLAG, S_MAT (dry_run), .flags = OPTIONS_CLI_ONLY,
      .help = "list the pending migrations and changed repeatable files; change nothing" },
    OPTIONS_LOG_LEVEL_ROW (collector_migrate_options_t, log_level),
};
/* clang-format on */

const options_spec_t collector_migrate_options_spec = {
    .program = "parley-collector migrate",
    OPTIONS_TABLE (s_migrate_defs),
    .size = sizeof (collector_migrate_options_t),
    .usage = "parley-collector migrate --db CONNINFO [--dry-run]",
    .about = "Brings the database schema up to date, as the owner of schema parley: the "
             "pending\nmigrations, the changed views and functions, the reference data.",
    .epilog = "Exit status: 0 success (with --dry-run: whatever is pending), 1 runtime "
              "failure\n(a schema newer than this build included), 2 bad usage. See "
              "docs/COLLECTOR.md.",
};

options_result_t
collector_migrate_options_parse (collector_migrate_options_t *opts,
                                 int argc,
                                 char **argv,
                                 FILE *out,
                                 FILE *err)
{
    return options_parse (&collector_migrate_options_spec, opts, argc, argv, out, err, NULL);
}

void
collector_migrate_options_fini (collector_migrate_options_t *opts)
{
    options_fini (&collector_migrate_options_spec, opts);
}
