/* The parley-agent command line (see agent_options.h). */
#include "agent_options.h"
#include "wire_server.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mem.h"

#include "config_file.h"
#include "http_options.h"
#include "log.h" /* log_level_names */
#include "wire.h"

static const char *const s_fsync_modes[] = { "group", "always", NULL };

#define S_AT(member) OPTIONS_AT (agent_options_t, member)

/* clang-format off */
static const options_def_t s_defs[] = {
    { .name = "connect", .short_name = 'c', .arg = "ENDPOINT", .type = OPTIONS_CONNECT,
      S_AT (connect), .flags = OPTIONS_REPEATABLE,
      .help = "a collector to deliver to (required, except with --check); give several for "
              "failover: they are tried in order, moving on when one stays silent" },
    { .name = "spool", .short_name = 's', .arg = "DIR", .type = OPTIONS_STRING, S_AT (spool_dir),
      .help = "the agent's directory: spool, input offsets and rejected.jsonl (required, "
              "except with --check)" },
    { .name = "once", .short_name = 'o', .type = OPTIONS_FLAG, S_AT (once),
      .flags = OPTIONS_CLI_ONLY,
      .help = "exit once every input is read and every event has an outcome; print a summary. "
              "Exit status 1 when stopped (SIGTERM, --timeout) before that" },
    { .name = "timeout", .arg = "SECONDS", .type = OPTIONS_INT, S_AT (timeout_s), .min = 1,
      .max = AGENT_TIMEOUT_MAX, .flags = OPTIONS_CLI_ONLY,
      .help = "with --once: give up after SECONDS, saying on stderr how many events are "
              "still unacknowledged, and exit 1" },
    { .name = "follow", .short_name = 'f', .type = OPTIONS_FLAG, S_AT (follow),
      .help = "keep reading the inputs as they grow (a line is taken once its newline is "
              "there), across rotation and truncation; a FIFO is opened again after its writer "
              "closes it" },
    { .name = "watch", .short_name = 'w', .arg = "DIR", .type = OPTIONS_STRING, S_AT (watch),
      .flags = OPTIONS_REPEATABLE,
      .help = "a drop folder: each *.jsonl (and *.csv, through DIR/mapping.ini or --mapping) "
              "file put there is read once complete, then moved to DIR/done/ (or DIR/failed/ "
              "if it cannot be read)" },
    { .name = "mapping", .short_name = 'm', .arg = "FILE", .type = OPTIONS_STRING,
      S_AT (mapping),
      .help = "the mapping file (docs/FEEDS.md) through which every .csv input is read, "
              "those of --watch folders included" },
    { .name = "check", .type = OPTIONS_FLAG, S_AT (check), .flags = OPTIONS_CLI_ONLY,
      .help = "check the INPUTs offline (no collector, no spool) and print a report: rows "
              "read, would be accepted, rejected by reason with examples; exit 0 when "
              "nothing is rejected, else 1" },
    { .name = "spool-max", .arg = "BYTES", .type = OPTIONS_SIZE, S_AT (spool_max),
      .min = AGENT_SPOOL_MAX_MIN, .def = "1G",
      .help = "bound on the unacknowledged events kept on disk" },
    { .name = "fsync", .arg = "MODE", .type = OPTIONS_ENUM, S_AT (fsync),
      .choices = s_fsync_modes, .def = "group",
      .help = "group: fsync the spool at most every 50 ms or 1000 records; always: after "
              "every record" },
    { .name = "batch", .arg = "N", .type = OPTIONS_INT, S_AT (batch), .min = 1,
      .max = WIRE_BATCH_MAX, .def = OPTIONS_TEXT (AGENT_BATCH_DEFAULT),
      .help = "at most N events per batch" },
    { .name = "window", .arg = "N", .type = OPTIONS_INT, S_AT (window), .min = 1,
      .max = AGENT_WINDOW_MAX, .def = OPTIONS_TEXT (AGENT_WINDOW_DEFAULT),
      .help = "at most N batches awaiting their outcomes" },
    { .name = "resend-timeout", .arg = "MS", .type = OPTIONS_INT, S_AT (resend_ms),
      .min = 10, .max = 3600 * 1000, .def = OPTIONS_TEXT (AGENT_RESEND_DEFAULT),
      .help = "resend a batch with no outcome after MS ms, then back off with jitter" },
    { .name = "http-bind", .arg = "ADDR:PORT", .type = OPTIONS_STRING, S_AT (http_bind),
      .help = "serve the webhook (POST /v1/events, GET /v1/health) on ADDR:PORT; a bare PORT "
              "means 127.0.0.1:PORT (any other address must be given)" },
    { .name = "metrics-bind", .arg = "ADDR:PORT", .type = OPTIONS_STRING, S_AT (metrics_bind),
      .flags = OPTIONS_EMPTY_OK, .def = AGENT_METRICS_BIND_DEF,
      .help = "serve /metrics, /healthz and /readyz on ADDR:PORT (\"\" or off: not at all; "
              "the default, when its port is taken, is logged and skipped)" },
    { .name = "http-token-file", .arg = "FILE", .type = OPTIONS_STRING, S_AT (token_file),
      .bit = AGENT_GIVEN_HTTP_TOKEN_FILE,
      .help = "POST /v1/events needs \"Authorization: Bearer TOKEN\", TOKEN read from FILE "
              "at start" },
    { .name = "http-max-bytes", .arg = "BYTES", .type = OPTIONS_SIZE, S_AT (http_max),
      .min = AGENT_HTTP_MAX_BYTES_MIN, .def = "4M", .bit = AGENT_GIVEN_HTTP_MAX_BYTES,
      .help = "largest request body (at most 64M); a larger one is answered 413" },
    { .name = "relay-bind", .arg = "ENDPOINT", .type = OPTIONS_BIND, S_AT (relay_bind),
      .flags = OPTIONS_REPEATABLE, .max = AGENT_RELAY_BIND_MAX,
      .help = "run as a regional hub: take PARLEY/1 from other agents on ENDPOINT (e.g. "
              "tcp://0.0.0.0:5571), spool what they send and forward it with the rest; "
              "runs until SIGTERM" },
    { .name = "input", .short_name = 'i', .arg = "FILE", .type = OPTIONS_STRING, S_AT (input),
      .flags = OPTIONS_REPEATABLE,
      .help = "an INPUT, as a key of the config file can give it (one \"input = FILE\" line "
              "each; spaces in FILE are kept); read before the INPUT operands" },
    { .name = "curve-secret", .arg = "FILE", .type = OPTIONS_STRING, S_AT (curve_secret),
      .help = "this agent's CurveZMQ secret certificate (NAME.cert_secret, mode 0600, from "
              "`parley-agent keygen`); with --collector-key" },
    { .name = "collector-key", .arg = "FILE|KEY", .type = OPTIONS_STRING, S_AT (collector_key),
      .help = "the collector's (or upstream hub's) public key: its NAME.cert, or the 40 "
              "characters of Z85; without it the agent sends in plaintext" },
    { .name = "relay-curve-secret", .arg = "FILE", .type = OPTIONS_STRING,
      S_AT (relay_curve_secret),
      .help = "a hub's server secret certificate for --relay-bind (as the collector's "
              "--curve-secret)" },
    { .name = "relay-authorized-keys", .arg = "DIR", .type = OPTIONS_STRING,
      S_AT (relay_authorized_keys),
      .help = "folder of the public certificates of the agents a hub takes events from, each "
              "for the associations its metadata names; re-read on SIGHUP" },
    { .name = "insecure", .type = OPTIONS_FLAG, S_AT (insecure), .flags = OPTIONS_CLI_ONLY,
      .help = "--relay-bind without CURVE (plaintext, any sender); loopback or ipc:// only" },
    OPTIONS_LOG_LEVEL_ROW (agent_options_t, log_level),
    OPTIONS_CONFIG_ROWS (agent_options_t, config, check_config, "agent.conf"),
};
/* clang-format on */

const options_spec_t agent_options_spec = {
    .program = "parley-agent",
    OPTIONS_TABLE (s_defs),
    .size = sizeof (agent_options_t),
    .given_at = OPTIONS_GIVEN_AT (agent_options_t, given),
    .config_load = config_file_load,
    .config_default = PARLEY_SYSCONFDIR "/parley/agent.conf",
    .owned_at = OPTIONS_OWNED_AT (agent_options_t, owned),
    .about = "parley-agent: reads JSON-lines feeds of conversation events, checks each line, "
             "keeps\naccepted events in a durable spool and delivers them to parley-collector.",
    /* One line per form, the second after "  or: ": help2man makes the man page's SYNOPSIS
       from it (cmake/ParleyInstall.cmake). */
    .usage = "parley-agent --connect ENDPOINT... --spool DIR [OPTION...] [INPUT...]\n"
             "  or:  parley-agent --check [--mapping FILE] INPUT...",
    .operands = "INPUT is a file of JSON lines, a .csv form export (read through --mapping), a "
                "FIFO,\nor - for standard input (JSON lines). Inputs are read together; a "
                "restart resumes\neach file where the last run stopped. Without --follow a "
                "last line without a\nnewline is taken at the end of the input; with "
                "--follow it waits for its newline.",
    .epilog = "Every option but --once, --timeout, --check, --config and --check-config may be "
              "given\nin the config file, as \"name = value\" (docs/OPERATIONS.md, "
              "\"Configuration\");\nthe default file is " PARLEY_SYSCONFDIR "/parley/agent.conf, "
              "read when it exists.\nSIGHUP re-reads it (the log level changes at once, other "
              "keys are\nlogged as needing a restart); SIGTERM, SIGINT, SIGQUIT stop.\n"
              "Rejected lines are appended to DIR/rejected.jsonl with the reason.\n"
              "Exit status: 0 on success (and on SIGTERM/SIGINT without --once), 1 on a "
              "runtime\nfailure, on --once stopped or timed out with events unacknowledged, "
              "and on --check\nfinding rejections; 2 on bad usage. See docs/AGENT.md.",
};

/* The webhook options' problem (in buf), or NULL. */
static const char *
s_check_http (const agent_options_t *opts, char *buf, size_t len)
{
    if (!opts->http_bind) {
        unsigned extra = opts->given & (AGENT_GIVEN_HTTP_TOKEN_FILE | AGENT_GIVEN_HTTP_MAX_BYTES);
        if (extra) {
            snprintf (buf,
                      len,
                      "--%s needs --http-bind",
                      options_name (&agent_options_spec, extra & -extra));
            return buf;
        }
        return NULL;
    }
    http_bind_t bind;
    char why[256];
    if (http_bind_parse (opts->http_bind, &bind, why, sizeof why) != 0) {
        snprintf (buf, len, "invalid --http-bind \"%s\": %s", opts->http_bind, why);
        return buf;
    }
    if (opts->http_max > AGENT_HTTP_MAX_BYTES_MAX) {
        snprintf (buf, len, "invalid --http-max-bytes: at most 64M");
        return buf;
    }
    if (opts->once)
        return "--once cannot be used with --http-bind: the webhook has no end, so the agent "
               "runs until SIGTERM";
    if (opts->check)
        return "--check cannot be used with --http-bind: --check reads its inputs offline";
    return NULL;
}

bool
agent_options_is_csv (const char *path)
{
    size_t n = strlen (path);
    return n > 4 && strcasecmp (path + n - 4, ".csv") == 0;
}

/* The problem of options taken together, or NULL. */
static const char *
s_check_together (const agent_options_t *opts, char *buf, size_t len)
{
    int stdin_count = 0;
    for (int i = 0; i < opts->ninputs; i++) {
        const char *in = opts->inputs[i];
        if (in[0] == '\0')
            return "empty input name";
        if (strcmp (in, "-") == 0 && ++stdin_count > 1)
            return "standard input (-) given more than once";
        if (agent_options_is_csv (in) && !opts->mapping) {
            snprintf (
              buf, len, "input \"%s\" is a CSV file: give the --mapping FILE to read it", in);
            return buf;
        }
    }
    if (opts->check) {
        if (opts->ninputs == 0)
            return "--check needs an INPUT to check";
        if (opts->watch.count > 0 || opts->follow)
            return "--check reads its INPUTs once: not with --watch or --follow";
        return NULL;
    }
    if (opts->connect.count == 0)
        return "--connect ENDPOINT is required";
    if (!opts->spool_dir)
        return "--spool DIR is required";
    if (opts->timeout_s > 0 && !opts->once)
        return "--timeout needs --once";
    if (opts->once && opts->follow)
        return "--follow never ends: not with --once";
    if (!opts->curve_secret != !opts->collector_key)
        return "--curve-secret and --collector-key go together (CURVE needs both)";
    if (opts->relay_bind.count > 0) {
        if (opts->insecure) {
            for (size_t i = 0; i < opts->relay_bind.count; i++)
                if (!wire_server_endpoint_is_local (opts->relay_bind.items[i])) {
                    snprintf (buf,
                              len,
                              "--insecure refused on %s (not loopback): give "
                              "--relay-curve-secret and --relay-authorized-keys",
                              opts->relay_bind.items[i]);
                    return buf;
                }
        } else if (!opts->relay_curve_secret || !opts->relay_authorized_keys) {
            return "--relay-bind needs --relay-curve-secret FILE and --relay-authorized-keys DIR "
                   "(or --insecure on a loopback endpoint)";
        }
    }
    return NULL;
}

options_result_t
agent_options_parse (agent_options_t *opts, int argc, char **argv, FILE *out, FILE *err)
{
    int first;
    options_result_t r = options_parse (&agent_options_spec, opts, argc, argv, out, err, &first);
    if (r != OPTIONS_RUN)
        return r;
    if (opts->once && opts->relay_bind.count > 0) {
        agent_options_fini (opts);
        return options_error (&agent_options_spec,
                              err,
                              "--once cannot be used with --relay-bind (a hub runs until SIGTERM)");
    }
    if (opts->check && opts->relay_bind.count > 0) {
        agent_options_fini (opts);
        return options_error (&agent_options_spec,
                              err,
                              "--check cannot be used with --relay-bind (--check is offline)");
    }
    /* --input keys first, then the operands: one array, whoever gave them. */
    opts->ninputs = (int)opts->input.count + (argc - first);
    opts->inputs = xcalloc ((size_t)opts->ninputs + 1, sizeof *opts->inputs);
    for (size_t i = 0; i < opts->input.count; i++)
        opts->inputs[i] = (char *)opts->input.items[i];
    for (int i = first; i < argc; i++)
        opts->inputs[opts->input.count + (size_t)(i - first)] = argv[i];
    char buf[512];
    const char *problem = s_check_together (opts, buf, sizeof buf);
    if (!problem)
        problem = s_check_http (opts, buf, sizeof buf);
    if (problem) {
        agent_options_fini (opts);
        return options_error (&agent_options_spec, err, "%s", problem);
    }
    if (opts->check_config) {
        fprintf (out, "parley-agent: configuration ok\n");
        agent_options_fini (opts);
        return OPTIONS_DONE;
    }
    return OPTIONS_RUN;
}

void
agent_options_fini (agent_options_t *opts)
{
    free (opts->inputs);
    opts->inputs = NULL;
    opts->ninputs = 0;
    options_fini (&agent_options_spec, opts);
}
