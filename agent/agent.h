/* The agent's loop: producers → intake (checks, spool) → sender → outcomes, in one thread
   around one zmq_poll. The file inputs are the agent's own producer; other modules (the
   webhook, the hub relay) join the loop as producers too (agent_add_producer), and hand
   their events to the intake (agent_intake, intake.h), the one way into the spool. Spooled
   events are sent in batches; each outcome acknowledges its record in the spool. When the
   spool is full or the disk fails, the intake says so and producers hold their events
   until there is room again: nothing is ever dropped. */
#ifndef PARLEY_AGENT_H
#define PARLEY_AGENT_H
#include "agent_options.h"
#include "csv_mapping.h"
#include "intake.h"
#include "parley.h"
#include <czmq.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct agent agent_t;

typedef struct {
    uint64_t read;              /* input lines read this run (blank and too long included) */
    uint64_t blank;             /* of which empty or only white space: skipped */
    uint64_t spooled;           /* events appended to the spool (by every producer) */
    uint64_t rejected_by_agent; /* lines that failed the agent's checks */
    uint64_t sent;              /* events with an outcome from the collector (each once) */
    uint64_t accepted;
    uint64_t duplicates;
    uint64_t rejected_by_collector;
} agent_counts_t;

/* A module that joins the agent's poll loop and offers events to the intake. Every
   callback gets self; any but process may be NULL. Each turn of the loop:

     1. pollitems (self, items, max): adds up to max zmq_pollitem_t (sockets or file
        descriptors it waits on) and returns how many (0 if none);
     2. timeout_ms (self, now): how long, in ms, the loop may sleep for this producer's
        sake (-1: no limit; 0: it has work now, e.g. input left to read);
     3. zmq_poll over everyone's items with the least timeout (at most 30 s);
     4. process (self, items, n, now): its own n items, revents filled (n may be 0), and
        whatever is due; called every turn, whether or not its items fired.

   is_idle (self) answers, for --once, whether it has nothing more to give (a file input
   read to its end); NULL counts as idle. finish (self) is called once after the loop
   ends (stop or --once done), after the intake's last sync, so that what it appended is
   durable if intake_durable_id says so; it may save positions or answer its clients.
   now is zclock_mono (). */
typedef struct {
    void *self;
    int (*pollitems) (void *self, zmq_pollitem_t *items, int max);
    int (*timeout_ms) (void *self, int64_t now);
    void (*process) (void *self, zmq_pollitem_t *items, int n, int64_t now);
    bool (*is_idle) (void *self);
    void (*finish) (void *self);
} agent_producer_t;

#define AGENT_PRODUCERS_MAX 8
#define AGENT_POLLITEMS_MAX 256 /* every producer's items together */

/* Opens the spool directory (creating it if missing), opens every input (input_set.h)
   and --watch folder, and creates the socket. mapping (may be NULL) reads the .csv
   inputs. Returns NULL with a one-line reason in err when it cannot start (a runtime
   failure: exit 1). opts and mapping must outlive the agent. */
agent_t *agent_new (const agent_options_t *opts,
                    const csv_mapping_t *mapping,
                    char *err,
                    size_t errlen);
/* NULL-safe; sets *self_p to NULL. Producers are not destroyed (their owners do that,
   after the agent). */
void agent_destroy (agent_t **self_p);

/* The intake producers offer their events to (borrowed; lives as long as the agent). */
intake_t *agent_intake (agent_t *self);

/* Adds a producer (copied) before agent_run; producer->self must outlive the agent's run.
   Returns 0, or -1 when AGENT_PRODUCERS_MAX are already there. */
int agent_add_producer (agent_t *self, const agent_producer_t *producer) PARLEY_MUST_CHECK;

/* Runs until *stop is set (by a signal handler), until --timeout, or, with --once, until
   every producer is idle and every spooled event has an outcome. On the way out it syncs the spool
   and saves the input offsets. Returns 0, or -1 when it ends on a runtime failure (an input that
   could not be read, a spool that cannot be synced). */
int agent_run (agent_t *self, volatile sig_atomic_t *stop) PARLEY_MUST_CHECK;

/* What the spool holds unacknowledged, for health and status endpoints. */
typedef struct {
    uint64_t records, bytes;
    uint64_t spool_max; /* --spool-max */
} agent_backlog_t;
void agent_backlog (agent_t *self, agent_backlog_t *backlog);

/* What the agent's parts report, for the metrics and /readyz (agent_metrics.h). */
typedef struct {
    uint64_t resends, failovers, errors;             /* the sender's (sender.h) */
    int64_t last_reply_ms, last_outcomes_ms;         /* zclock_mono; 0: never */
    uint64_t quarantined_records, quarantined_bytes; /* the spool's, since open */
    bool spool_paused; /* the intake takes no events now: spool full, or a disk error */
} agent_health_t;
void agent_health (agent_t *self, agent_health_t *health);
/* Sets a hook told of each input line (or CSV row) read, with its source (NULL: none). */
void agent_on_read (agent_t *self, void (*fn) (void *arg, const char *source), void *arg);

/* With --once: whether the run stopped (SIGTERM/SIGINT, or --timeout: *timed_out) before
   every input was read and every event acknowledged. */
bool agent_stopped_early (agent_t *self, bool *timed_out);
/* Whether every input was read to its end (and no --watch file waits). */
bool agent_inputs_read (agent_t *self);
/* Events in the spool still without an outcome. */
uint64_t agent_unacknowledged (agent_t *self);

/* The counts so far (spooled and rejected_by_agent from the intake). */
const agent_counts_t *agent_counts (agent_t *self);
/* The --once summary line, e.g. "parley-agent: read 1200 lines, sent 1150 events, 1100
   accepted, 40 duplicates, 60 rejected (50 by the agent, 10 by the collector)". */
void agent_print_summary (agent_t *self, FILE *out);

#endif
