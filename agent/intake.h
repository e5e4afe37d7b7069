/* The one way into the spool. Every producer of events — file inputs (JSON lines, CSV
   through a mapping), the drop folder, the webhook, the hub relay — hands each event line
   to intake_offer, which checks it against the v1 rules (event_parse, the same rules the
   collector applies) and appends it to the spool with where it came from (source, line).

   Durability: an appended record is on disk once intake_durable_id () >= its id (group
   commit: within --fsync's interval, or at once with --fsync always). A producer that must
   answer someone only once the event is durable (an HTTP request, a relay batch) keeps the
   id, calls intake_want_sync, and answers when intake_durable_id has reached it. A file
   input saves its read position only past lines whose records are durable.

   Backpressure: at --spool-max, intake_offer appends nothing and says INTAKE_FULL; the
   producer keeps the event (a file input stops reading; the webhook answers 503; the relay
   answers ERROR "resend later") and offers it again later. Nothing offered is ever
   dropped by the intake itself.

   The agent's loop owns the intake (agent_intake () hands it to producers) and drives it:
   intake_process once per turn (group commit, retries of a failed append or fsync,
   a sync someone wants), intake_timeout_ms in the poll timeout. Single-threaded: call
   everything from the agent's loop. */
#ifndef PARLEY_INTAKE_H
#define PARLEY_INTAKE_H
#include "parley.h"
#include "reject.h"
#include "rejects.h"
#include "spool.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct intake intake_t;

typedef enum {
    INTAKE_TAKEN = 0,    /* appended: *id is its spool record id */
    INTAKE_REJECTED = 1, /* breaks a v1 rule: *why says which field and why; nothing appended */
    INTAKE_FULL = -2,    /* the spool is at --spool-max: offer it again later */
    INTAKE_FAILED = -1,  /* the spool could not be written (logged): offer it again later */
} intake_status_t;

typedef struct {
    uint64_t taken;    /* events appended */
    uint64_t rejected; /* offers refused by the v1 rules, and lines given to intake_refuse */
} intake_stats_t;

/* An intake appending to spool and writing refused lines to rejects (both borrowed: they
   must outlive it). spool_max is only for the log lines. Never fails. */
intake_t *intake_new (spool_t *spool, rejects_t *rejects, uint64_t spool_max);
/* NULL-safe; sets *self_p to NULL. Does not sync (the spool's close does). */
void intake_destroy (intake_t **self_p);

/* Checks data (one event, a JSON object without its newline) and appends it. source and
   line say where it came from (a file name and line, "http:PEER", "relay:AGENT") and go
   into the record, and into rejected.jsonl should the collector refuse it. Nothing is
   written to rejected.jsonl for INTAKE_REJECTED: a producer that keeps such lines there
   (a file input) calls intake_reject; one that answers its client (the webhook) need not.
   While the spool is full, or a failed append or fsync waits for its retry, an offer
   answers FULL or FAILED at once, without checking the event. */
intake_status_t intake_offer (intake_t *self,
                              const char *source,
                              uint64_t line,
                              const char *data,
                              size_t len,
                              uint64_t *id,
                              reject_t *why) PARLEY_MUST_CHECK;

/* Writes the refusal of an intake_offer (INTAKE_REJECTED, already counted) to
   DIR/rejected.jsonl. A line that cannot be written now waits in memory (rejects.h). */
void intake_reject (intake_t *self,
                    const reject_t *why,
                    const char *source,
                    uint64_t line,
                    const char *data,
                    size_t len);
/* A line the producer refused itself before offering it (too long, a CSV row that does
   not map): counted as rejected and written to DIR/rejected.jsonl like intake_reject.
   data may be NULL when not worth showing. */
void intake_refuse (intake_t *self,
                    const reject_t *why,
                    const char *source,
                    uint64_t line,
                    const char *data,
                    size_t len);

/* Highest record id known to be on disk; every id at or below it is durable. */
uint64_t intake_durable_id (intake_t *self);
/* Id of the last record appended (0: none yet in this run). */
uint64_t intake_last_id (intake_t *self);

/* Someone is waiting for what was appended: sync at the group commit's next chance
   rather than waiting for more appends. */
void intake_want_sync (intake_t *self);

/* Syncs the spool now (and rejected.jsonl), so that everything appended is durable.
   Returns 0, or -1 when the fsync failed (logged; offers answer FAILED until a retry
   succeeds). */
int intake_sync (intake_t *self) PARLEY_MUST_CHECK;

/* Whether an offer now would answer FULL or FAILED without trying (producers skip reading
   meanwhile). */
bool intake_is_paused (intake_t *self);

/* The loop's turn: group commit when due, a wanted sync, the retry of a failed fsync. */
void intake_process (intake_t *self, int64_t now);
/* Milliseconds until intake_process has something to do (-1: nothing timed). */
int intake_timeout_ms (intake_t *self, int64_t now);

const intake_stats_t *intake_stats (intake_t *self);

#endif
