/* The `parley` subcommands, one function each, all reading the parley.* views (never the
   base tables, so they work as the read-only analyst role). Each returns an exit status:
   QUERY_EXIT_OK, QUERY_EXIT_FAIL (a one-line error already printed) or QUERY_EXIT_USAGE. */
#ifndef PARLEY_COMMANDS_H
#define PARLEY_COMMANDS_H
#include <stdio.h>
#include <libpq-fe.h>
#include "query_options.h"

enum { QUERY_EXIT_OK = 0, QUERY_EXIT_FAIL = 1, QUERY_EXIT_USAGE = 2 };

/* What a command is given: its options and arguments, the open connection (inside the
   command's transaction) and where to write. */
typedef struct {
    const query_options_t *opts;
    PGconn *conn;
    FILE *out;
} command_ctx_t;

int cmd_progress (command_ctx_t *ctx);
int cmd_constituency (command_ctx_t *ctx);
int cmd_gaps (command_ctx_t *ctx);
int cmd_constituencies (command_ctx_t *ctx);
int cmd_regions (command_ctx_t *ctx);
int cmd_topics (command_ctx_t *ctx);
int cmd_associations (command_ctx_t *ctx);
int cmd_stakeholders (command_ctx_t *ctx);
int cmd_mismatches (command_ctx_t *ctx);
int cmd_export (command_ctx_t *ctx);
int cmd_target (command_ctx_t *ctx);
int cmd_mps (command_ctx_t *ctx);
int cmd_report (command_ctx_t *ctx);

/* Checks the command's arguments and options, connects, runs it in its transaction and
   commits. Returns the exit status. */
int commands_run (const query_options_t *opts);

/* The command list for --help. */
void commands_help (FILE *out);

/* Suggestions for a constituency name that matched nothing: up to `max` (at most 8)
   official names, closest first (constituency_suggest). Fills `names` with pointers into
   the constituency table; returns how many. */
size_t commands_suggest_constituencies (const char *text, const char **names, size_t max);

/* The stance words: -2 "opposed" … 2 "champion"; NULL for anything else. */
const char *commands_stance_word (int stance);

#endif
