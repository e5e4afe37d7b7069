/* The collector's PostgreSQL session: the connection's lifecycle (connect without blocking
   a stop request, reconnect with backoff, the on-connect hook that brings the schema up to
   date). What is done on the connection once it is open (statements, COPY, the failure
   classes that decide what the collector does next) is pg/db.h. */
#ifndef PARLEY_DB_SESSION_H
#define PARLEY_DB_SESSION_H
#include "parley.h"
#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>

typedef struct db_session db_session_t;

/* Called after each successful (re)connection, before the connection is used: the
   collector brings the schema up to date and prepares the session there. Returns 0, or -1
   to drop the connection and try again later. */
typedef int (db_session_on_connect_fn) (PGconn *conn, void *arg);

/* A session for `conninfo` (any libpq connection string or URI; NULL or "" means the
   libpq environment: PGHOST, PGDATABASE, PGSERVICE …). Does not connect yet. Caller owns
   the result (db_session_destroy). */
db_session_t *db_session_new (const char *conninfo, const char *application_name);
void db_session_destroy (db_session_t **self_p);

/* Sets the hook run after each connection. */
void db_session_set_on_connect (db_session_t *self, db_session_on_connect_fn *fn, void *arg);

/* Sets a hook run at least every 100 ms while a connection attempt waits for the server
   (the collector serves its metrics endpoint there, so /readyz answers during a connect that
   hangs). */
void db_session_set_tick (db_session_t *self, void (*fn) (void *arg), void *arg);

/* One connection attempt, polled so that *stop (set by a signal handler) interrupts it
   within 100 ms; gives up after timeout_ms. Runs the on-connect hook. Returns 0 when
   connected (or already connected), -1 otherwise with the reason logged at warn. */
int db_session_connect (db_session_t *self,
                        const volatile sig_atomic_t *stop,
                        int timeout_ms) PARLEY_MUST_CHECK;

/* Connects, retrying with exponential backoff and jitter (250 ms doubling to 10 s) until it
   works or *stop is set. Returns 0 when connected, -1 when stopped. */
int db_session_ensure (db_session_t *self, const volatile sig_atomic_t *stop) PARLEY_MUST_CHECK;

/* Drops the connection (after DB_RETRY: a fresh session clears whatever state the failure
   left). The next db_session_connect/db_session_ensure opens a new one. */
void db_session_disconnect (db_session_t *self);

bool db_session_is_connected (db_session_t *self);
/* The open connection, or NULL. Borrowed. */
PGconn *db_session_conn (db_session_t *self);
/* "host=… port=… dbname=… user=…" of the current or last connection, for logs (never the
   password). Borrowed; valid until the next connect. */
const char *db_session_describe (db_session_t *self);

#endif
