/* Statements on an open PostgreSQL connection, for both programs that talk to the database
   (parley-collector and parley): exec helpers that check every result and always PQclear,
   COPY … FROM STDIN, a buffer for COPY text data, and the classification of failures by
   SQLSTATE. The connection itself belongs to the caller: the collector's session
   (collector/db_session.h) reconnects with backoff, the CLI connects once.

   Failure classes (db_status_t):
   - DB_RETRY: the batch is fine, the database is not, for now. Connection failures (class
     08, or no SQLSTATE at all: the server went away), serialization failures and
     deadlocks (40001, 40P01), the server shutting down (57P01-57P03), and every failure
     that is not about the data (out of disk or memory 53xxx, permission or missing object
     42xxx, I/O 58xxx, internal XX000 …). The collector keeps the batch, acknowledges
     nothing, and tries again after a backoff on a fresh connection. Treating the systemic
     failures as "retry" rather than "fatal" is deliberate: a fatal outcome ends as
     "rejected" at the agent, which then drops the event; a schema someone broke or a full
     disk must stall ingest (loudly), never throw events away.
   - DB_FATAL: the database refused the data (classes 22 data exception, 23 integrity
     constraint, 54 program limit such as an oversized index row, P0 raised by PL/pgSQL).
     Retrying the same batch would fail the same way; the store isolates the event by
     splitting the batch. */
#ifndef PARLEY_DB_H
#define PARLEY_DB_H
#include "parley.h"
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { DB_OK = 0, DB_RETRY = -1, DB_FATAL = -2 } db_status_t;

/* Classifies a failed result (res may be NULL, e.g. after PQexec lost the connection). */
db_status_t db_classify (PGconn *conn, const PGresult *res);

/* Formats "message (SQLSTATE xxxxx)" from res, or from the connection's last error when
   res is NULL, as one line (db_flatten). */
void db_error_text (PGconn *conn, const PGresult *res, char *err, size_t errlen);

/* Makes text one line that can stand in a logfmt value (err="…") or a reply: newlines and
   tabs become spaces, double quotes single ones, trailing spaces go. In place. */
void db_flatten (char *text);

/* Runs a statement that returns no rows (or rows nobody reads). Always clears the result.
   Returns DB_OK, or the failure's class with its text in err. */
db_status_t db_command (PGconn *conn, const char *sql, char *err, size_t errlen) PARLEY_MUST_CHECK;

/* Runs a query with text parameters (NULL is SQL NULL). On success returns the result
   (PGRES_TUPLES_OK or PGRES_COMMAND_OK; caller owns it: PQclear) and sets *status to DB_OK;
   on failure returns NULL (the result already cleared), sets *status and fills err. */
PGresult *db_query (PGconn *conn,
                    const char *sql,
                    int nparams,
                    const char *const *params,
                    db_status_t *status,
                    char *err,
                    size_t errlen);

/* Runs `sql` (a COPY … FROM STDIN) and sends `len` bytes of COPY data. Returns DB_OK or the
   failure's class with its text in err (a value PostgreSQL refuses surfaces here). */
db_status_t db_copy_in (PGconn *conn,
                        const char *sql,
                        const char *data,
                        size_t len,
                        char *err,
                        size_t errlen) PARLEY_MUST_CHECK;

/* Called while the server works on a statement (the _idle variants below), so that the
   caller can do something else meanwhile (the collector reads and checks the next
   batches). It must return as soon as fd, the connection's socket, is readable, or within
   about 100 ms: wait on fd together with whatever else it waits for. */
typedef void (db_idle_fn) (void *arg, int fd);

/* db_command, db_query and db_copy_in that call idle(arg, fd) while the server works
   instead of blocking in libpq. idle may be NULL (then they are the plain ones). */
db_status_t db_command_idle (PGconn *conn,
                             const char *sql,
                             db_idle_fn *idle,
                             void *arg,
                             char *err,
                             size_t errlen) PARLEY_MUST_CHECK;
PGresult *db_query_idle (PGconn *conn,
                         const char *sql,
                         db_idle_fn *idle,
                         void *arg,
                         db_status_t *status,
                         char *err,
                         size_t errlen);
db_status_t db_copy_in_idle (PGconn *conn,
                             const char *sql,
                             const char *data,
                             size_t len,
                             db_idle_fn *idle,
                             void *arg,
                             char *err,
                             size_t errlen) PARLEY_MUST_CHECK;

/* A growing byte buffer for COPY text data. */
typedef struct {
    char *data;
    size_t len, cap;
} db_buf_t;

void db_buf_init (db_buf_t *buf);
void db_buf_fini (db_buf_t *buf);
void db_buf_reset (db_buf_t *buf);
void db_buf_put (db_buf_t *buf, const char *bytes, size_t len);
void db_buf_puts (db_buf_t *buf, const char *text);
void db_buf_putc (db_buf_t *buf, char c);
/* Appends `len` bytes as one COPY text-format field: backslash, tab, newline and carriage
   return escaped. */
void db_buf_put_field (db_buf_t *buf, const char *text, size_t len);
/* Appends SQL NULL (\N) as a COPY text field. */
void db_buf_put_null (db_buf_t *buf);

#endif
