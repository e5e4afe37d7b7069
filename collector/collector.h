/* The collector's loop: read BATCH requests from the ROUTER, write them to PostgreSQL in
   one transaction (batches that arrive together are combined, up to --max-events), and
   answer each batch with its OUTCOMES only after COMMIT succeeded. Each batch is checked
   and staged as it arrives; while the database works on one group of batches the loop
   goes on reading (PING answered) and prepares the next group, up to --max-events.

   While the database is unreachable the loop acknowledges nothing and holds nothing: it
   keeps reading its socket, answers PING with PONG and every BATCH with ERROR "database
   unavailable, resend later" (the agents keep their batches and send them again later),
   and tries the database again, with backoff, when a batch comes; once a write succeeds it
   carries on, without a restart.

   A stop request (SIGTERM/SIGINT, through *stop) ends reading at once; the batches held
   are committed and acknowledged if the database is there, else left for the agents to
   resend; then collector_run returns. */
#ifndef PARLEY_COLLECTOR_H
#define PARLEY_COLLECTOR_H
#include <signal.h>
#include "collector_options.h"
#include "parley.h"

typedef struct collector collector_t;

/* Binds the endpoints of opts (opts is borrowed and must outlive the collector). Returns
   NULL, with the reason logged, when a bind fails. Caller owns the result. */
collector_t *collector_new (const collector_options_t *opts);
void collector_destroy (collector_t **self_p);

/* Runs until *stop is set. Returns the exit status: 0, or 1 on a failure that a restart
   has to solve (the schema could not be brought up to date on a working connection). */
int collector_run (collector_t *self, const volatile sig_atomic_t *stop);

/* parley-collector migrate: one connection to db (NULL: the libpq environment), the
   migrations and seed as the schema's owner, no socket; with dry_run, only the list of what
   is pending on stdout ("nothing pending" when nothing is). Returns the exit status: 0, or 1
   when the database could not be reached or the schema not brought up to date (a newer
   schema included). */
int collector_migrate (const char *db, bool dry_run);

/* --migrate-only: collector_migrate (opts->db, false), kept for older scripts. */
int collector_migrate_only (const collector_options_t *opts);

/* The flag a SIGHUP handler sets: once per loop turn the collector clears it and re-reads
   its authorised keys (wire_server_reload_keys). flag must outlive the collector. */
void collector_watch_reload (collector_t *self, volatile sig_atomic_t *flag);

#endif
