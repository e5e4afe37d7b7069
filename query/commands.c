/* The command table and the dispatch (see commands.h): which arguments and options each
   command takes, the checks made before connecting, and the one transaction each runs in.
   The commands themselves are in cmd_summary.c, cmd_lists.c, cmd_change.c and
   cmd_export.c. */
#include "commands.h"

#include <errno.h>
#include <string.h>

#include "query_db.h"

typedef struct {
    const char *name;
    const char *args; /* for --help, after the name */
    int min_args, max_args;
    unsigned options; /* QOPT_* bits it accepts besides --db */
    int writes;       /* runs in a read-write transaction when given arguments */
    int (*run) (command_ctx_t *ctx);
    const char *help;
} command_def_t;

/* clang-format off */
static const command_def_t s_commands[] = {
    { "progress", "", 0, 0, QOPT_FORMAT, 0, cmd_progress,
      "conversations against the target, constituencies reached, MPs engaged, projection" },
    { "constituency", "CODE-OR-NAME", 1, 1, QOPT_FORMAT, 0, cmd_constituency,
      "one constituency: its figures, topics and stakeholders" },
    { "gaps", "[--region R]", 0, 0, QOPT_FORMAT | QOPT_REGION, 0, cmd_gaps,
      "constituencies with no conversation, and those whose MP has not been spoken to" },
    { "constituencies", "[--region R] [--limit N]", 0, 0, QOPT_FORMAT | QOPT_REGION | QOPT_LIMIT, 0,
      cmd_constituencies, "constituencies with the most conversations first" },
    { "regions", "", 0, 0, QOPT_FORMAT, 0, cmd_regions, "figures by region and nation" },
    { "topics", "[--limit N]", 0, 0, QOPT_FORMAT | QOPT_LIMIT, 0, cmd_topics,
      "topics across all constituencies, most discussed first" },
    { "associations", "", 0, 0, QOPT_FORMAT, 0, cmd_associations, "figures by housing association" },
    { "stakeholders", "[--stance S] [--limit N]", 0, 0, QOPT_FORMAT | QOPT_STANCE | QOPT_LIMIT, 0,
      cmd_stakeholders, "people spoken to, with their latest stance and the one before" },
    { "mismatches", "", 0, 0, QOPT_FORMAT, 0, cmd_mismatches,
      "conversations with role mp naming someone other than the sitting MP" },
    { "export", "VIEW", 1, 1, QOPT_FORMAT, 0, cmd_export, "a whole view as CSV (or --format json)" },
    { "target", "[N [--by YYYY-MM-DD]]", 0, 1, QOPT_FORMAT | QOPT_BY, 1, cmd_target,
      "show the target and deadline, or set them" },
    { "mps", "load FILE", 2, 2, 0, 1, cmd_mps, "replace the sitting MPs list from a CSV file" },
    { "report", "--html FILE", 0, 0, QOPT_HTML, 0, cmd_report,
      "write a self-contained HTML report with a hex map" },
};
/* clang-format on */
#define NCOMMANDS (sizeof s_commands / sizeof s_commands[0])

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
        fprintf (out, "  %-34s %s\n", left, s_commands[i].help);
    }
}

int
commands_run (const query_options_t *opts)
{
    if (!opts->command) {
        fprintf (stderr, "parley: no command given (try parley --help)\n");
        return QUERY_EXIT_USAGE;
    }
    const command_def_t *def = NULL;
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp (s_commands[i].name, opts->command) == 0)
            def = &s_commands[i];
    if (!def) {
        fprintf (stderr, "parley: unknown command \"%s\" (try parley --help)\n", opts->command);
        return QUERY_EXIT_USAGE;
    }
    if (opts->nargs < def->min_args || opts->nargs > def->max_args) {
        if (opts->nargs > def->max_args)
            fprintf (stderr,
                     "parley: too many arguments for %s: \"%s\" (usage: parley %s %s)\n",
                     def->name,
                     opts->args[def->max_args],
                     def->name,
                     def->args);
        else
            fprintf (stderr,
                     "parley: %s needs %s (usage: parley %s %s)\n",
                     def->name,
                     def->args,
                     def->name,
                     def->args);
        return QUERY_EXIT_USAGE;
    }
    unsigned stray = opts->given & ~(def->options | QOPT_DB);
    if (stray) {
        options_error (&query_options_spec,
                       stderr,
                       "option --%s does not apply to %s",
                       options_name (&query_options_spec, stray & -stray),
                       def->name);
        return QUERY_EXIT_USAGE;
    }
    if (def->run == cmd_report && !opts->html) {
        fprintf (stderr, "parley: report needs --html FILE\n");
        return QUERY_EXIT_USAGE;
    }
    if (def->run == cmd_mps && strcmp (opts->args[0], "load") != 0) {
        fprintf (stderr,
                 "parley: unknown mps command \"%s\" (usage: parley mps load FILE)\n",
                 opts->args[0]);
        return QUERY_EXIT_USAGE;
    }
    if (opts->by && opts->nargs == 0) {
        fprintf (stderr,
                 "parley: --by needs a target too (usage: parley target N --by YYYY-MM-DD)\n");
        return QUERY_EXIT_USAGE;
    }

    PGconn *conn = query_db_connect (opts->db);
    if (!conn)
        return QUERY_EXIT_FAIL;
    int status = QUERY_EXIT_FAIL;
    int writes = def->writes && opts->nargs > 0;
    if (query_db_begin (conn, writes) == 0) {
        command_ctx_t ctx = { .opts = opts, .conn = conn, .out = stdout };
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
