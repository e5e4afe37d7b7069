/* parley: the analytics team's command-line view of Parley's counts. It reads the
   parley.* views only (so it works as the read-only analyst role), in a READ ONLY
   transaction unless it is asked to change the target or the MP list.

   Exit status: 0 success, 1 runtime failure (one line on stderr), 2 bad usage. */
#include <stdio.h>

#include "commands.h"
#include "query_options.h"

/* --help's list of commands, before the options. */
static void
s_help_commands (FILE *out)
{
    fputs ("Commands:\n", out);
    commands_help (out);
}

int
main (int argc, char **argv)
{
    query_options_t opts;
    options_result_t parsed =
      query_options_parse (&opts, argc, argv, s_help_commands, stdout, stderr);
    if (parsed != OPTIONS_RUN)
        return options_exit_code (parsed);
    return commands_run (&opts);
}
