/* The `parley` CLI's database session (see query_db.h). */
#include "query_db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* SQLSTATEs that deserve a hint rather than PostgreSQL's bare words. */
#define SQLSTATE_UNDEFINED_TABLE "42P01"
#define SQLSTATE_UNDEFINED_FUNCTION "42883"
#define SQLSTATE_INSUFFICIENT_PRIVILEGE "42501"
#define SQLSTATE_READ_ONLY "25006"

void
query_error (const char *format, ...)
{
    va_list ap;
    va_start (ap, format);
    char *text = NULL;
    if (vasprintf (&text, format, ap) < 0)
        text = NULL;
    va_end (ap);
    if (!text) {
        fputs ("parley: out of memory\n", stderr);
        return;
    }
    /* One line: newlines and tabs of libpq's messages become single spaces. */
    char *o = text;
    int space = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ') {
            space = 1;
            continue;
        }
        if (space && o != text)
            *o++ = ' ';
        space = 0;
        *o++ = *p;
    }
    *o = '\0';
    fprintf (stderr, "parley: %s\n", text);
    free (text);
}

PGconn *
query_db_connect (const char *conninfo)
{
    /* dbname with expand_dbname: a connection string or URI given as --db is expanded;
       left out (NULL value), libpq takes everything from the environment. */
    const char *keys[] = { "dbname", "fallback_application_name", NULL };
    const char *values[] = { conninfo && *conninfo ? conninfo : NULL, "parley", NULL };
    PGconn *conn;
    if (values[0])
        conn = PQconnectdbParams (keys, values, 1);
    else
        conn = PQconnectdbParams (keys + 1, values + 1, 0);
    if (!conn) {
        query_error ("could not connect to database: out of memory");
        return NULL;
    }
    if (PQstatus (conn) != CONNECTION_OK) {
        query_error ("could not connect to database: %s", PQerrorMessage (conn));
        PQfinish (conn);
        return NULL;
    }
    if (PQsetClientEncoding (conn, "UTF8") != 0) {
        query_error ("could not set client encoding to UTF8: %s", PQerrorMessage (conn));
        PQfinish (conn);
        return NULL;
    }
    return conn;
}

/* Reports a failed result, with a hint for the failures a user can act on. */
static void
s_report (PGconn *conn, const PGresult *res)
{
    const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *message = primary ? primary : PQerrorMessage (conn);
    if (PQstatus (conn) != CONNECTION_OK)
        query_error ("lost the database connection: %s", PQerrorMessage (conn));
    else if (state && (strcmp (state, SQLSTATE_UNDEFINED_TABLE) == 0 ||
                       strcmp (state, SQLSTATE_UNDEFINED_FUNCTION) == 0))
        query_error ("query failed: %s (is this a Parley database? parley-collector creates "
                     "the schema when it starts)",
                     message);
    else if (state && strcmp (state, SQLSTATE_INSUFFICIENT_PRIVILEGE) == 0)
        query_error (
          "query failed: %s (this role may not do that; the analyst role only reads the views)",
          message);
    else
        query_error ("query failed: %s", message);
}

int
query_db_begin (PGconn *conn, int writes)
{
    return query_db_exec (
      conn, writes ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
}

int
query_db_commit (PGconn *conn)
{
    return query_db_exec (conn, "COMMIT", 0, NULL);
}

PGresult *
query_db_rows (PGconn *conn, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = PQexecParams (conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (!res || PQresultStatus (res) != PGRES_TUPLES_OK) {
        s_report (conn, res);
        PQclear (res);
        return NULL;
    }
    return res;
}

resultset_t *
query_db_resultset (PGconn *conn, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = query_db_rows (conn, sql, nparams, params);
    if (!res)
        return NULL;
    resultset_t *rs = resultset_from_pg (res);
    PQclear (res);
    return rs;
}

int
query_db_exec (PGconn *conn, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = PQexecParams (conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (!res ||
        (PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK)) {
        s_report (conn, res);
        PQclear (res);
        return -1;
    }
    PQclear (res);
    return 0;
}

int
query_db_has_relation (PGconn *conn, const char *name)
{
    const char *params[] = { name };
    PGresult *res = query_db_rows (
      conn,
      "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
      " WHERE n.nspname = 'parley' AND c.relname = $1",
      1,
      params);
    if (!res)
        return -1;
    int found = PQntuples (res) > 0;
    PQclear (res);
    return found;
}
