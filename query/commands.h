/* The `parley` subcommands, one function each, all reading the parley.* views (never the
   base tables, so they work as the read-only analyst role) and passing user text as
   parameters ($1...), never inside the SQL. Each returns an exit status: QUERY_EXIT_OK,
   QUERY_EXIT_FAIL (a one-line error already printed) or QUERY_EXIT_USAGE.

   commands.c holds the table of commands and runs one; the commands live by kind in
   cmd_summary.c (progress, constituency), cmd_lists.c (the listings), cmd_change.c
   (target, mps load: the two that write) and cmd_export.c (export, report). */
#ifndef PARLEY_COMMANDS_H
#define PARLEY_COMMANDS_H
#include "period.h"
#include "query_options.h"
#include <libpq-fe.h>
#include <stdio.h>

enum { QUERY_EXIT_OK = 0, QUERY_EXIT_FAIL = 1, QUERY_EXIT_USAGE = 2 };

/* What a command is given: its options and arguments, the open connection (inside the
   command's transaction) and where to write. */
typedef struct {
    const query_options_t *opts;
    PGconn *conn;
    FILE *out;
    /* The period given (--from/--to/--week/--month/--quarter), or NULL: all time. A
       command with a period reads the fact views (parley.conversation_facts,
       parley.topic_facts) with the two dates as parameters. */
    const period_t *period;
} command_ctx_t;

/* A command's checks of its arguments and options that the table cannot state, made
   before connecting, so bad usage never waits for a database: QUERY_EXIT_OK, or
   QUERY_EXIT_USAGE with the one line printed. */
typedef int (command_check_fn) (const query_options_t *opts);

/* cmd_summary.c */
int cmd_progress (command_ctx_t *ctx);
int cmd_constituency (command_ctx_t *ctx);
/* cmd_lists.c */
int cmd_gaps (command_ctx_t *ctx);
int cmd_constituencies (command_ctx_t *ctx);
int cmd_regions (command_ctx_t *ctx);
int cmd_topics (command_ctx_t *ctx);
int cmd_associations (command_ctx_t *ctx);
int cmd_stakeholders (command_ctx_t *ctx);
command_check_fn cmd_stakeholders_check; /* --stance */
int cmd_mismatches (command_ctx_t *ctx);
/* cmd_change.c */
int cmd_target (command_ctx_t *ctx);
command_check_fn cmd_target_check; /* N and --by */
int cmd_mps (command_ctx_t *ctx);
command_check_fn cmd_mps_check; /* "load" */
/* cmd_export.c */
int cmd_export (command_ctx_t *ctx);
int cmd_report (command_ctx_t *ctx);
command_check_fn cmd_report_check; /* --html */

/* Checks the command's arguments and options, connects, runs it in its transaction and
   commits. Returns the exit status. */
int commands_run (const query_options_t *opts);

/* The command list for --help. */
void commands_help (FILE *out);

#endif
