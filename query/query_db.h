/* The `parley` CLI's database session: connect (from --db or the libpq environment), one
   transaction per command (READ ONLY unless the command changes settings), and queries
   with parameters only: user text is never spliced into SQL.

   Every failure is reported here, once, as one line on stderr ("parley: ..."), so the
   commands only return -1 and the program exits 1. */
#ifndef PARLEY_QUERY_DB_H
#define PARLEY_QUERY_DB_H
#include <libpq-fe.h>
#include "parley.h"
#include "render.h"

/* Prints "parley: <message>" as one line on stderr (newlines in the message are folded
   into spaces, so a multi-line libpq message stays one line). */
void query_error (const char *format, ...) PARLEY_PRINTF (1, 2);

/* Connects: `conninfo` is a libpq connection string or URI; NULL or "" means "from the
   environment" (PGHOST, PGDATABASE, PGSERVICE…). Sets the client encoding to UTF-8.
   Returns the connection, or NULL with the error printed. Caller owns it (PQfinish). */
PGconn *query_db_connect (const char *conninfo);

/* Starts the command's transaction: READ ONLY (and REPEATABLE READ, so that the several
   queries of one report see one snapshot) unless `writes`. */
int query_db_begin (PGconn *conn, int writes) PARLEY_MUST_CHECK;
int query_db_commit (PGconn *conn) PARLEY_MUST_CHECK;

/* Runs a query that returns rows, with text parameters ($1…; NULL is SQL NULL). Returns
   the result (caller owns it: PQclear), or NULL with the error printed. */
PGresult *query_db_rows (PGconn *conn, const char *sql, int nparams, const char *const *params);
/* The same, copied into a result set (caller owns it), or NULL. */
resultset_t *query_db_resultset (PGconn *conn,
                                 const char *sql,
                                 int nparams,
                                 const char *const *params);
/* Runs a statement that returns no rows. Returns 0, or -1 with the error printed. */
int query_db_exec (PGconn *conn, const char *sql, int nparams, const char *const *params)
  PARLEY_MUST_CHECK;

/* Whether relation parley.<name> exists (and this role can see it): 1, 0, or -1 on error. */
int query_db_has_relation (PGconn *conn, const char *name);

#endif
