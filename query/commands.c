/* The command table and the dispatch (see commands.h): which arguments and options each
   command takes, the checks made before connecting, and the one transaction each runs in.
   The commands themselves are in cmd_summary.c, cmd_lists.c, cmd_change.c and
   cmd_export.c. */
#include "commands.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "query_db.h"

/* A command: its name and arguments, the options it takes, how it runs. Fields left out
   are zero: no arguments, no options but --db, read-only, no check. */
typedef struct {
    const char *name;
    const char *args;       /* for --help and usage messages, after the name */
    int min_args, max_args; /* how many arguments */
    unsigned options;       /* QOPT_* bits it accepts besides --db */
    bool writes;            /* runs in a read-write transaction when given arguments */
    int (*run) (command_ctx_t *ctx);
    command_check_fn *check; /* or NULL: the checks the table cannot state */
    const char *help;
} command_def_t;

/* clang-format off */
static const command_def_t s_commands[] = {
    { .name = "progress", .args = "", .options = QOPT_FORMAT | QOPT_PERIOD, .run = cmd_progress,
      .help = "conversations against the target, constituencies reached, MPs engaged, "
              "projection" },
    { .name = "constituency", .args = "CODE-OR-NAME", .min_args = 1, .max_args = 1,
      .options = QOPT_FORMAT | QOPT_PERIOD, .run = cmd_constituency,
      .help = "one constituency: its figures, topics and stakeholders" },
    { .name = "gaps", .args = "[--region R]", .options = QOPT_FORMAT | QOPT_REGION,
      .run = cmd_gaps,
      .help = "constituencies with no conversation, and those whose MP has not been spoken to" },
    { .name = "constituencies", .args = "[--region R] [--limit N]",
      .options = QOPT_FORMAT | QOPT_REGION | QOPT_LIMIT, .run = cmd_constituencies,
      .help = "constituencies with the most conversations first" },
    { .name = "regions", .args = "", .options = QOPT_FORMAT | QOPT_PERIOD, .run = cmd_regions,
      .help = "figures by region and nation" },
    { .name = "topics", .args = "[--limit N]",
      .options = QOPT_FORMAT | QOPT_LIMIT | QOPT_PERIOD,
      .run = cmd_topics, .help = "topics across all constituencies, most discussed first" },
    { .name = "associations", .args = "", .options = QOPT_FORMAT | QOPT_PERIOD,
      .run = cmd_associations,
      .help = "figures by housing association" },
    { .name = "stakeholders", .args = "[--stance S] [--limit N]",
      .options = QOPT_FORMAT | QOPT_STANCE | QOPT_LIMIT, .run = cmd_stakeholders,
      .check = cmd_stakeholders_check,
      .help = "people spoken to, with their latest stance and the one before" },
    { .name = "mismatches", .args = "", .options = QOPT_FORMAT, .run = cmd_mismatches,
      .help = "conversations with role mp naming someone other than the sitting MP" },
    { .name = "export", .args = "VIEW", .min_args = 1, .max_args = 1, .options = QOPT_FORMAT,
      .run = cmd_export, .help = "a whole view as CSV (or --format json)" },
    { .name = "target", .args = "[N [--by YYYY-MM-DD]]", .max_args = 1,
      .options = QOPT_FORMAT | QOPT_BY, .writes = true, .run = cmd_target,
      .check = cmd_target_check, .help = "show the target and deadline, or set them" },
    { .name = "mps", .args = "load FILE", .min_args = 2, .max_args = 2, .writes = true,
      .run = cmd_mps, .check = cmd_mps_check,
      .help = "replace the sitting MPs list from a CSV file" },
    { .name = "report", .args = "--html FILE", .options = QOPT_HTML, .run = cmd_report,
      .check = cmd_report_check, .help = "write a self-contained HTML report with a hex map" },
};
/* clang-format on */
#define NCOMMANDS (sizeof s_commands / sizeof s_commands[0])

/* The width of --help's column of commands and their arguments. */
#define S_HELP_LEFT 34

void
commands_help (FILE *out)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char left[64];
        snprintf (left,
                  sizeof left,
                  "%s%s%s",
                  s_commands[i].name,
                  *s_commands[i].args ? " " : "",
                  s_commands[i].args);
        if (strlen (left) > S_HELP_LEFT) /* the help on a line of its own */
            fprintf (out, "  %s\n  %-*s %s\n", left, S_HELP_LEFT, "", s_commands[i].help);
        else
            fprintf (out, "  %-*s %s\n", S_HELP_LEFT, left, s_commands[i].help);
    }
}

/* The command's arguments, or the one line saying what is wrong with them. */
static int
s_check_args (const command_def_t *def, const query_options_t *opts)
{
    const char *space = *def->args ? " " : "";
    if (opts->nargs > def->max_args)
        options_error (&query_options_spec,
                       stderr,
                       "too many arguments for %s: \"%s\" (usage: parley %s%s%s)",
                       def->name,
                       opts->args[def->max_args],
                       def->name,
                       space,
                       def->args);
    else if (opts->nargs < def->min_args)
        options_error (&query_options_spec,
                       stderr,
                       "%s needs %s (usage: parley %s%s%s)",
                       def->name,
                       def->args,
                       def->name,
                       space,
                       def->args);
    else
        return QUERY_EXIT_OK;
    return QUERY_EXIT_USAGE;
}

int
commands_run (const query_options_t *opts)
{
    const command_def_t *def = NULL;
    for (size_t i = 0; opts->command && i < NCOMMANDS; i++)
        if (strcmp (s_commands[i].name, opts->command) == 0)
            def = &s_commands[i];
    if (!def) {
        if (opts->command)
            options_error (&query_options_spec,
                           stderr,
                           "unknown command \"%s\" (see parley --help)",
                           opts->command);
        else
            options_error (&query_options_spec, stderr, "no command given (see parley --help)");
        return QUERY_EXIT_USAGE;
    }
    if (s_check_args (def, opts) != QUERY_EXIT_OK)
        return QUERY_EXIT_USAGE;
    unsigned stray = opts->given & ~(def->options | QOPT_DB);
    if (stray) {
        options_error (&query_options_spec,
                       stderr,
                       "option --%s does not apply to %s",
                       options_name (&query_options_spec, stray & -stray),
                       def->name);
        return QUERY_EXIT_USAGE;
    }
    if (def->check && def->check (opts) != QUERY_EXIT_OK)
        return QUERY_EXIT_USAGE;
    /* PERIOD: --from DATE, --to DATE, --week 2026-W37, --month 2026-09, --quarter 2026Q3. */
    period_t period;
    bool has_period = false;
    if (opts->given & QOPT_PERIOD) {
        period_args_t pa = { opts->from, opts->to, opts->week, opts->month, opts->quarter };
        char *error = NULL;
        period_status_t ps = period_resolve (&pa, &period, &error);
        if (ps == PERIOD_BAD) {
            options_error (&query_options_spec, stderr, "%s", error ? error : "bad period");
            free (error);
            return QUERY_EXIT_USAGE;
        }
        has_period = ps == PERIOD_OK;
    }

    PGconn *conn = query_db_connect (opts->db);
    if (!conn)
        return QUERY_EXIT_FAIL;
    int status = QUERY_EXIT_FAIL;
    bool writes = def->writes && opts->nargs > 0;
    if (query_db_begin (conn, writes) == 0) {
        command_ctx_t ctx = {
            .opts = opts, .conn = conn, .out = stdout, .period = has_period ? &period : NULL
        };
        status = def->run (&ctx);
        /* Read-only transactions are committed too, ending the snapshot cleanly; a failed
           command's transaction is rolled back by PQfinish, so a half-done change never
           lands. */
        if (status == QUERY_EXIT_OK && query_db_commit (conn) != 0)
            status = QUERY_EXIT_FAIL;
    }
    PQfinish (conn);
    if (fflush (stdout) != 0 || ferror (stdout)) {
        fprintf (stderr, "parley: could not write the output: %s\n", strerror (errno));
        status = QUERY_EXIT_FAIL;
    }
    return status;
}
