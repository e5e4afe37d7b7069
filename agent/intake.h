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
   dropped by the intake itself. */
#ifndef PARLEY_INTAKE_H
#define PARLEY_INTAKE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parley.h"
#include "reject.h"

typedef struct intake intake_t;

typedef enum {
    INTAKE_TAKEN = 0,    /* appended: *id is its spool record id */
    INTAKE_REJECTED = 1, /* breaks a v1 rule: *why says which field and why; nothing appended */
    INTAKE_FULL = 2,     /* the spool is at --spool-max: offer it again later */
    INTAKE_FAILED = -1,  /* the spool could not be written (logged): offer it again later */
} intake_status_t;

/* Checks data (one event, a JSON object without its newline) and appends it. source and
   line say where it came from (a file name and line, "http:PEER", "relay:AGENT") and go
   into the record, and into rejected.jsonl should the collector refuse it. */
intake_status_t intake_offer (intake_t *self, const char *source, uint64_t line,
                              const char *data, size_t len, uint64_t *id, reject_t *why)
    PARLEY_MUST_CHECK;

/* Highest record id known to be on disk; every id at or below it is durable. */
uint64_t intake_durable_id (intake_t *self);

/* Someone is waiting for what was appended: sync at the group commit's next chance
   rather than waiting for more appends. */
void intake_want_sync (intake_t *self);

#endif
