/* The parley-agent command line (see agent_options.h). */
#include "agent_options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mem.h"
#include "wire.h"
#include "number.h"

enum {
    OPT_CONNECT = 'c',
    OPT_SPOOL = 's',
    OPT_ONCE = 'o',
    OPT_HELP = 'h',
    OPT_VERSION = 'V',
    OPT_SPOOL_MAX = 256,
    OPT_FSYNC,
    OPT_BATCH,
    OPT_WINDOW,
    OPT_RESEND,
    OPT_LOG_LEVEL,
};

typedef struct {
    const char *name;
    int id;          /* getopt_long's val; a printable character is also the short option */
    const char *arg; /* NULL: takes no argument */
    const char *help;
} option_def_t;

/* The one table: getopt_long's options and --help are both made from it. */
static const option_def_t s_options[] = {
    { "connect",
      OPT_CONNECT,
      "ENDPOINT",
      "collector endpoint, e.g. tcp://collector:5570 (required; repeat for failover, tried in "
      "order)" },
    { "spool", OPT_SPOOL, "DIR", "spool directory: spool, offsets and rejected.jsonl (required)" },
    { "once",
      OPT_ONCE,
      NULL,
      "exit once every input is read and every event has an outcome; print a summary" },
    { "spool-max",
      OPT_SPOOL_MAX,
      "BYTES",
      "bound on unacknowledged events on disk; K, M, G suffixes (default 1G)" },
    { "fsync",
      OPT_FSYNC,
      "MODE",
      "group (default: fsync at most every 50 ms or 1000 records) or always (every record)" },
    { "batch", OPT_BATCH, "N", "at most N events per batch, 1 to 5000 (default 1000)" },
    { "window", OPT_WINDOW, "N", "at most N batches awaiting outcomes, 1 to 64 (default 4)" },
    { "resend-timeout",
      OPT_RESEND,
      "MS",
      "resend a batch with no outcome after MS ms, then back off with jitter (default 10000)" },
    { "log-level",
      OPT_LOG_LEVEL,
      "LEVEL",
      "debug, info (default), warn or error; logs go to stderr" },
    { "help", OPT_HELP, NULL, "show this help and exit" },
    { "version", OPT_VERSION, NULL, "show the version and exit" },
};
#define NOPTIONS (sizeof s_options / sizeof s_options[0])

void
agent_options_help (FILE *out)
{
    fputs (
      "parley-agent: reads JSON-lines feeds of conversation events, checks each line, keeps\n"
      "accepted events in a durable spool and delivers them to parley-collector.\n\n"
      "Usage: parley-agent --connect ENDPOINT [--connect ENDPOINT...] --spool DIR [OPTION...]\n"
      "                    [INPUT...]\n\n"
      "INPUT is a file of JSON lines, or - for standard input. Inputs are read in order;\n"
      "a restart resumes each file where the last run stopped.\n\n"
      "Options:\n",
      out);
    for (size_t i = 0; i < NOPTIONS; i++) {
        char left[64];
        const option_def_t *o = &s_options[i];
        const char *sp = o->arg ? " " : "", *arg = o->arg ? o->arg : "";
        if (o->id < 256)
            snprintf (left, sizeof left, "-%c, --%s%s%s", o->id, o->name, sp, arg);
        else
            snprintf (left, sizeof left, "    --%s%s%s", o->name, sp, arg);
        fprintf (out, "  %-26s %s\n", left, o->help);
    }
    fputs ("\nRejected lines are appended to DIR/rejected.jsonl with the reason.\n"
           "Exit status: 0 on success (and on SIGTERM/SIGINT), 1 on a runtime failure,\n"
           "2 on bad usage. See docs/AGENT.md.\n",
           out);
}

static agent_options_result_t s_bad (const char *format, ...) PARLEY_PRINTF (1, 2);

/* One line on stderr naming the bad argument. */
static agent_options_result_t
s_bad (const char *format, ...)
{
    va_list ap;
    va_start (ap, format);
    fputs ("parley-agent: ", stderr);
    vfprintf (stderr, format, ap);
    fputs (" (see parley-agent --help)\n", stderr);
    va_end (ap);
    return AGENT_OPTIONS_BAD;
}

agent_options_result_t
agent_options_parse (int argc, char **argv, agent_options_t *opts)
{
    memset (opts, 0, sizeof *opts);
    opts->spool_max = AGENT_SPOOL_MAX_DEFAULT;
    opts->batch = AGENT_BATCH_DEFAULT;
    opts->window = AGENT_WINDOW_DEFAULT;
    opts->resend_ms = AGENT_RESEND_DEFAULT;

    struct option longopts[NOPTIONS + 1];
    char shortopts[3 * NOPTIONS + 2];
    size_t ns = 0;
    shortopts[ns++] = ':'; /* report a missing argument as ':' rather than '?' */
    for (size_t i = 0; i < NOPTIONS; i++) {
        longopts[i] = (struct option){ s_options[i].name,
                                       s_options[i].arg ? required_argument : no_argument,
                                       NULL,
                                       s_options[i].id };
        if (s_options[i].id < 256) {
            shortopts[ns++] = (char)s_options[i].id;
            if (s_options[i].arg)
                shortopts[ns++] = ':';
        }
    }
    shortopts[ns] = '\0';
    longopts[NOPTIONS] = (struct option){ 0, 0, 0, 0 };

    opterr = 0;
    optind = 0; /* 0, not 1: glibc then resets its state fully (the tests parse many times) */
    int c;
    while ((c = getopt_long (argc, argv, shortopts, longopts, NULL)) != -1) {
        switch (c) {
            case OPT_CONNECT:
                if (!*optarg)
                    return s_bad ("--connect: empty endpoint");
                opts->connect =
                  xrealloc (opts->connect, (opts->nconnect + 1) * sizeof *opts->connect);
                opts->connect[opts->nconnect++] = optarg;
                break;
            case OPT_SPOOL:
                if (!*optarg)
                    return s_bad ("--spool: empty directory name");
                opts->spool_dir = optarg;
                break;
            case OPT_ONCE:
                opts->once = true;
                break;
            case OPT_SPOOL_MAX:
                if (number_parse_size (optarg, &opts->spool_max) != 0)
                    return s_bad ("--spool-max: \"%s\" is not a size (e.g. 512M, 1G)", optarg);
                if (opts->spool_max < AGENT_SPOOL_MAX_MIN)
                    return s_bad ("--spool-max: %s is smaller than the minimum of 256K", optarg);
                break;
            case OPT_FSYNC:
                if (strcmp (optarg, "always") == 0)
                    opts->fsync_always = true;
                else if (strcmp (optarg, "group") == 0)
                    opts->fsync_always = false;
                else
                    return s_bad ("--fsync: \"%s\" is not always or group", optarg);
                break;
            case OPT_BATCH:
                if (number_parse_int (optarg, 1, WIRE_BATCH_MAX, &opts->batch) != 0)
                    return s_bad ("--batch: \"%s\" is not a number from 1 to 5000", optarg);
                break;
            case OPT_WINDOW:
                if (number_parse_int (optarg, 1, AGENT_WINDOW_MAX, &opts->window) != 0)
                    return s_bad ("--window: \"%s\" is not a number from 1 to 64", optarg);
                break;
            case OPT_RESEND:
                if (number_parse_int (optarg, 10, 3600 * 1000, &opts->resend_ms) != 0)
                    return s_bad (
                      "--resend-timeout: \"%s\" is not a number of milliseconds from 10 to 3600000",
                      optarg);
                break;
            case OPT_LOG_LEVEL:
                if (log_set_level (optarg) != 0)
                    return s_bad ("--log-level: \"%s\" is not debug, info, warn or error", optarg);
                opts->log_level = optarg;
                break;
            case OPT_HELP:
                agent_options_help (stdout);
                return AGENT_OPTIONS_DONE;
            case OPT_VERSION:
                printf ("parley-agent %s\n", PARLEY_VERSION);
                return AGENT_OPTIONS_DONE;
            case ':':
                return s_bad ("%s: needs an argument", argv[optind - 1]);
            default:
                if (optopt > 0 && optopt < 256)
                    return s_bad ("unknown option -%c", optopt);
                return s_bad ("unknown option %s", argv[optind - 1]);
        }
    }
    if (opts->nconnect == 0)
        return s_bad ("no collector given: use --connect ENDPOINT");
    if (!opts->spool_dir)
        return s_bad ("no spool directory given: use --spool DIR");
    opts->inputs = argv + optind;
    opts->ninputs = argc - optind;
    int stdin_count = 0;
    for (int i = 0; i < opts->ninputs; i++) {
        if (opts->inputs[i][0] == '\0')
            return s_bad ("empty input name");
        if (strcmp (opts->inputs[i], "-") == 0 && ++stdin_count > 1)
            return s_bad ("standard input (-) given more than once");
    }
    return AGENT_OPTIONS_RUN;
}

void
agent_options_fini (agent_options_t *opts)
{
    free (opts->connect);
    opts->connect = NULL;
    opts->nconnect = 0;
}
