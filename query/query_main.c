/* parley: the analytics team's command-line view of Parley's counts. It reads the
   parley.* views only (so it works as the read-only analyst role), in a READ ONLY
   transaction unless it is asked to change the target or the MP list.

   Exit status: 0 success, 1 runtime failure (one line on stderr), 2 bad usage. */
#include <stdio.h>

#include "commands.h"
#include "query_options.h"

int
main (int argc, char **argv)
{
    query_options_t opts;
    switch (query_options_parse (argc, argv, commands_help, &opts)) {
    case QUERY_OPTIONS_DONE:
        return QUERY_EXIT_OK;
    case QUERY_OPTIONS_BAD:
        return QUERY_EXIT_USAGE;
    case QUERY_OPTIONS_RUN:
        break;
    }
    return commands_run (&opts);
}
