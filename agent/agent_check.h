/* parley-agent --check: validates feeds offline before they are connected (no collector,
   no spool, nothing written), and prints for each INPUT a report its owner can act on:
   rows (or lines) read, how many would be accepted (and of those, amendments), how many
   rejected, and the rejections grouped by column (or field) and kind of reason, each with
   its first examples and their line numbers. JSON lines are checked with event_parse (the
   rules the agent and the collector apply), CSV exports through the mapping with
   csv_check (csv_check.h). A check cannot see what only the collector knows: conflicts
   with events it already has. */
#ifndef PARLEY_AGENT_CHECK_H
#define PARLEY_AGENT_CHECK_H
#include <stdio.h>

#include "agent_options.h"
#include "csv_check.h"
#include "csv_mapping.h"
#include "parley.h"

/* Checks the JSON-lines input at path ("-" for standard input) against now_us, filling
   *report as csv_check_file does. Returns 0, or -1 when it cannot be read (report->error
   says why). Call csv_check_report_fini after, either way. */
int agent_check_jsonl (const char *path,
                       int64_t now_us,
                       csv_check_report_t *report) PARLEY_MUST_CHECK;

/* Checks every input of opts (.csv ones through mapping), printing the reports on out.
   Returns the exit status: 0 when nothing is rejected, 1 when something is (or an input
   cannot be checked). */
int agent_check_run (const agent_options_t *opts, const csv_mapping_t *mapping, FILE *out);

#endif
