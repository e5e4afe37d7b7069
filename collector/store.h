/* Writing batches of events to PostgreSQL: one batch = one transaction = one outcome per
   event (accepted, duplicate, or rejected with the reason).

   Each event is checked again with event_parse and the collector's clock (an agent is
   never trusted) by store_stage, as soon as its batch arrives, which also writes the valid
   ones' staging rows; store_write then COPYs them, normalised, into the session's staging
   table and one call of parley.ingest_batch() does the rest set-based
   (deploy/sql/repeatable/39_ingest_batch.sql and the steps it runs):
   duplicates and conflicts, the new events, the conversations' states and the aggregate
   deltas. The caller acknowledges only after store_write has returned STORE_OK, i.e. after
   COMMIT succeeded.

   A value the database refuses (a constraint, a value PostgreSQL will not take) fails the
   whole transaction; the store then splits the batch in halves and writes each half in its
   own transaction, recursively, until the refused event stands alone and is rejected with
   the database's reason. Its neighbours are stored. */
#ifndef PARLEY_STORE_H
#define PARLEY_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>
#include "db.h"
#include "key_scope.h"
#include "parley.h"
#include "wire.h"

/* One event of a batch and, once done, its outcome. */
typedef struct {
    const char *line; /* the event's JSON text; borrowed (e.g. a frame's data) */
    size_t len;
    const key_scope_t *scope; /* what the sending key may report for (borrowed); NULL: any */
    bool done;                /* outcome is final: committed, or rejected without the database */
    wire_outcome_t outcome;
    size_t row_off; /* store_stage: where its staging row is in the rows buffer */
    size_t row_len;
} store_item_t;

typedef enum {
    STORE_OK = 0,    /* every item is done */
    STORE_RETRY = -1 /* the database failed in a way that is not the data's fault: some
                        items may be done (their transactions committed), the others are
                        not; reconnect, back off and call store_write again with the same
                        items */
} store_status_t;

typedef struct {
    uint64_t transactions; /* committed */
    uint64_t splits;       /* batches split to isolate a refused event */
    uint64_t db_refused;   /* events rejected with the database's reason */
} store_stats_t;

typedef struct store store_t;

/* Caller owns the result (store_destroy). */
store_t *store_new (void);
void store_destroy (store_t **self_p);

/* Prepares a new connection for writing (the session's staging tables). To be run after
   each (re)connection, after schema_migrate. Returns 0, or -1 with the reason logged. */
int store_prepare (store_t *self, PGconn *conn) PARLEY_MUST_CHECK;

/* Checks items[0..count) (line and len set, the rest zero) with event_parse: an invalid one
   is done, rejected with the field and reason, and so is one its key's scope does not
   allow (key_scope.h: "not authorised for association X"); a valid one gets its staging row
   appended to rows (the caller's, shared by all the items of one store_write) and row_off/
   row_len set. now_us is the collector's clock (UTC microseconds) for the "reported_at not
   more than a day ahead" rule. delivered_by (or NULL) goes into parley.event.delivered_by of
   each: the sending CURVE key, or the connection's peer name when --insecure. */
void store_stage (store_item_t *items,
                  size_t count,
                  db_buf_t *rows,
                  int64_t now_us,
                  const char *delivered_by);

/* Writes the staged items that are not done yet (rows: the buffer store_stage filled for
   them). idle, if not NULL, is called while the database works (see db_idle_fn). Returns
   STORE_OK when every item has its outcome, STORE_RETRY otherwise (see above; the failure
   is logged). */
store_status_t store_write (store_t *self,
                            PGconn *conn,
                            store_item_t *items,
                            size_t count,
                            const db_buf_t *rows,
                            db_idle_fn *idle,
                            void *idle_arg) PARLEY_MUST_CHECK;

const store_stats_t *store_stats (store_t *self);

#endif
