/* The agent's loop: inputs → checks → spool → sender → outcomes, in one thread around one
   zmq_poll. Each input line is checked with event_parse; a valid line is appended to
   the spool as read (its original bytes: unknown fields are kept) and an invalid one
   goes to rejected.jsonl. Spooled events are sent in batches; each outcome acknowledges
   its record in the spool. When the spool is full or the disk fails, input pauses until
   there is room again: nothing is ever dropped. */
#ifndef PARLEY_AGENT_H
#define PARLEY_AGENT_H
#include "agent_options.h"
#include "parley.h"
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

typedef struct agent agent_t;

typedef struct {
    uint64_t read;              /* input lines read this run (blank and too long included) */
    uint64_t blank;             /* of which empty or only white space: skipped */
    uint64_t spooled;           /* valid lines appended to the spool */
    uint64_t rejected_by_agent; /* lines that failed the agent's checks */
    uint64_t sent;              /* events with an outcome from the collector (each once) */
    uint64_t accepted;
    uint64_t duplicates;
    uint64_t rejected_by_collector;
} agent_counts_t;

/* Opens the spool directory (creating it if missing), checks that every input can be
   opened, and creates the socket. Returns NULL with a one-line reason in err when it
   cannot start (a runtime failure: exit 1). opts must outlive the agent. */
agent_t *agent_new (const agent_options_t *opts, char *err, size_t errlen);
/* NULL-safe; sets *self_p to NULL. */
void agent_destroy (agent_t **self_p);

/* Runs until *stop is set (by a signal handler) or, with --once, until every input is
   read to its end and every spooled event has an outcome. On the way out it syncs the
   spool and saves the input offsets. Returns 0, or -1 when it ends on a runtime failure
   (an input that could not be read, a spool that cannot be synced). */
int agent_run (agent_t *self, volatile sig_atomic_t *stop) PARLEY_MUST_CHECK;

const agent_counts_t *agent_counts (agent_t *self);
/* The --once summary line, e.g. "parley-agent: read 1200 lines, sent 1150 events, 1100
   accepted, 40 duplicates, 60 rejected (50 by the agent, 10 by the collector)". */
void agent_print_summary (agent_t *self, FILE *out);

#endif
