/* The parley-agent command line (see agent_options.h). */
#include "agent_options.h"

#include <string.h>

#include "log.h" /* log_level_names */
#include "wire.h"

static const char *const s_fsync_modes[] = { "group", "always", NULL };

#define S_AT(member) OPTIONS_AT (agent_options_t, member)

/* clang-format off */
static const options_def_t s_defs[] = {
    { .name = "connect", .short_name = 'c', .arg = "ENDPOINT", .type = OPTIONS_CONNECT,
      S_AT (connect), .flags = OPTIONS_REQUIRED | OPTIONS_REPEATABLE,
      .help = "a collector to deliver to; give several for failover: they are tried in order, "
              "moving on when one stays silent" },
    { .name = "spool", .short_name = 's', .arg = "DIR", .type = OPTIONS_STRING, S_AT (spool_dir),
      .flags = OPTIONS_REQUIRED,
      .help = "the agent's directory: spool, input offsets and rejected.jsonl" },
    { .name = "once", .short_name = 'o', .type = OPTIONS_FLAG, S_AT (once),
      .flags = OPTIONS_CLI_ONLY,
      .help = "exit once every input is read and every event has an outcome; print a summary" },
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
    { .name = "relay-bind", .arg = "ENDPOINT", .type = OPTIONS_BIND, S_AT (relay_bind),
      .flags = OPTIONS_REPEATABLE, .max = AGENT_RELAY_BIND_MAX,
      .help = "run as a regional hub: take PARLEY/1 from other agents on ENDPOINT (e.g. "
              "tcp://0.0.0.0:5571), spool what they send and forward it with the rest; "
              "runs until SIGTERM" },
    OPTIONS_LOG_LEVEL_ROW (agent_options_t, log_level),
};
/* clang-format on */

const options_spec_t agent_options_spec = {
    .program = "parley-agent",
    OPTIONS_TABLE (s_defs),
    .size = sizeof (agent_options_t),
    .about = "parley-agent: reads JSON-lines feeds of conversation events, checks each line, "
             "keeps\naccepted events in a durable spool and delivers them to parley-collector.",
    .usage = "parley-agent --connect ENDPOINT [--connect ENDPOINT...] --spool DIR [OPTION...]\n"
             "                    [INPUT...]",
    .operands = "INPUT is a file of JSON lines, or - for standard input. Inputs are read in "
                "order;\na restart resumes each file where the last run stopped.",
    .epilog = "Rejected lines are appended to DIR/rejected.jsonl with the reason.\n"
              "Exit status: 0 on success (and on SIGTERM/SIGINT), 1 on a runtime failure,\n"
              "2 on bad usage. See docs/AGENT.md.",
};

/* The inputs' problem, or NULL. */
static const char *
s_check_inputs (const agent_options_t *opts)
{
    int stdin_count = 0;
    for (int i = 0; i < opts->ninputs; i++) {
        if (opts->inputs[i][0] == '\0')
            return "empty input name";
        if (strcmp (opts->inputs[i], "-") == 0 && ++stdin_count > 1)
            return "standard input (-) given more than once";
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
    opts->inputs = argv + first;
    opts->ninputs = argc - first;
    const char *problem = s_check_inputs (opts);
    if (problem) {
        agent_options_fini (opts);
        return options_error (&agent_options_spec, err, "%s", problem);
    }
    return OPTIONS_RUN;
}

void
agent_options_fini (agent_options_t *opts)
{
    options_fini (&agent_options_spec, opts);
}
