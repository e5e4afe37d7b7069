/* Statements on an open PostgreSQL connection (see db.h). */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* No double quotes: these texts go into logfmt values (err="…") and into outcome reasons,
   where PostgreSQL's "name" quoting reads as well as 'name'. */
void
db_flatten (char *text)
{
    for (char *c = text; *c; c++) {
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
        else if (*c == '"')
            *c = '\'';
    }
    size_t n = strlen (text);
    while (n > 0 && text[n - 1] == ' ')
        text[--n] = '\0';
}

db_status_t
db_classify (PGconn *conn, const PGresult *res)
{
    if (!res || (conn && PQstatus (conn) != CONNECTION_OK))
        return DB_RETRY;
    const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);
    if (!state || strlen (state) != 5)
        return DB_RETRY; /* a client-side failure, usually the connection */
    if (strncmp (state, "22", 2) == 0 || strncmp (state, "23", 2) == 0 ||
        strncmp (state, "54", 2) == 0 || strncmp (state, "P0", 2) == 0)
        return DB_FATAL;
    return DB_RETRY;
}

void
db_error_text (PGconn *conn, const PGresult *res, char *err, size_t errlen)
{
    const char *primary = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
    if (primary && state && detail)
        snprintf (err, errlen, "%s: %s (SQLSTATE %s)", primary, detail, state);
    else if (primary && state)
        snprintf (err, errlen, "%s (SQLSTATE %s)", primary, state);
    else if (res && *PQresultErrorMessage (res))
        snprintf (err, errlen, "%s", PQresultErrorMessage (res));
    else if (conn && *PQerrorMessage (conn))
        snprintf (err, errlen, "%s", PQerrorMessage (conn));
    else
        snprintf (err, errlen, "no connection to the server");
    db_flatten (err);
}

static db_status_t
s_fail (PGconn *conn, PGresult *res, char *err, size_t errlen)
{
    db_status_t status = db_classify (conn, res);
    db_error_text (conn, res, err, errlen);
    PQclear (res);
    return status;
}

/* Lets idle run until the result of the command in progress can be read without waiting.
   A connection that fails meanwhile stops the wait: PQgetResult then reports it. */
static void
s_wait (PGconn *conn, db_idle_fn *idle, void *arg)
{
    if (!idle)
        return; /* PQgetResult blocks */
    while (PQconsumeInput (conn) && PQisBusy (conn))
        idle (arg, PQsocket (conn));
}

static bool
s_ok (const PGresult *res)
{
    ExecStatusType st = PQresultStatus (res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* Every result of the command in progress read, so that the connection is ready for the
   next one; returns the first that failed, else the last (as PQexec would). */
static PGresult *
s_result (PGconn *conn, db_idle_fn *idle, void *arg)
{
    PGresult *keep = NULL, *res;
    for (;;) {
        s_wait (conn, idle, arg);
        if ((res = PQgetResult (conn)) == NULL)
            return keep;
        if (keep && !s_ok (keep)) {
            PQclear (res); /* the failure is what the caller must see */
            continue;
        }
        PQclear (keep);
        keep = res;
    }
}

db_status_t
db_command (PGconn *conn, const char *sql, char *err, size_t errlen)
{
    PGresult *res = PQexec (conn, sql);
    ExecStatusType st = res ? PQresultStatus (res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        PQclear (res);
        return DB_OK;
    }
    return s_fail (conn, res, err, errlen);
}

db_status_t
db_command_idle (PGconn *conn,
                 const char *sql,
                 db_idle_fn *idle,
                 void *arg,
                 char *err,
                 size_t errlen)
{
    if (!PQsendQuery (conn, sql))
        return s_fail (conn, NULL, err, errlen);
    PGresult *res = s_result (conn, idle, arg);
    if (res && s_ok (res)) {
        PQclear (res);
        return DB_OK;
    }
    return s_fail (conn, res, err, errlen);
}

PGresult *
db_query (PGconn *conn,
          const char *sql,
          int nparams,
          const char *const *params,
          db_status_t *status,
          char *err,
          size_t errlen)
{
    PGresult *res = PQexecParams (conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus (res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        *status = DB_OK;
        return res;
    }
    *status = s_fail (conn, res, err, errlen);
    return NULL;
}

PGresult *
db_query_idle (PGconn *conn,
               const char *sql,
               db_idle_fn *idle,
               void *arg,
               db_status_t *status,
               char *err,
               size_t errlen)
{
    if (!PQsendQueryParams (conn, sql, 0, NULL, NULL, NULL, NULL, 0)) {
        *status = s_fail (conn, NULL, err, errlen);
        return NULL;
    }
    PGresult *res = s_result (conn, idle, arg);
    if (res && s_ok (res)) {
        *status = DB_OK;
        return res;
    }
    *status = s_fail (conn, res, err, errlen);
    return NULL;
}

db_status_t
db_copy_in (PGconn *conn, const char *sql, const char *data, size_t len, char *err, size_t errlen)
{
    return db_copy_in_idle (conn, sql, data, len, NULL, NULL, err, errlen);
}

db_status_t
db_copy_in_idle (PGconn *conn,
                 const char *sql,
                 const char *data,
                 size_t len,
                 db_idle_fn *idle,
                 void *arg,
                 char *err,
                 size_t errlen)
{
    PGresult *res = PQexec (conn, sql);
    if (!res || PQresultStatus (res) != PGRES_COPY_IN)
        return s_fail (conn, res, err, errlen);
    PQclear (res);
    /* Sent in slices: PQputCopyData takes an int length. */
    size_t off = 0;
    while (off < len) {
        size_t n = len - off > (1u << 20) ? (1u << 20) : len - off;
        if (PQputCopyData (conn, data + off, (int)n) != 1)
            break;
        off += n;
    }
    int ended = PQputCopyEnd (conn, off < len ? "could not send COPY data" : NULL);
    db_status_t status = DB_OK;
    /* Drain every result: the COPY's own, then the end of the command. */
    s_wait (conn, idle, arg);
    while ((res = PQgetResult (conn)) != NULL) {
        if (PQresultStatus (res) != PGRES_COMMAND_OK && status == DB_OK) {
            status = s_fail (conn, res, err, errlen);
            continue;
        }
        PQclear (res);
    }
    if (status == DB_OK && (ended != 1 || off < len)) {
        db_error_text (conn, NULL, err, errlen);
        status = DB_RETRY;
    }
    return status;
}

void
db_buf_init (db_buf_t *buf)
{
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

void
db_buf_fini (db_buf_t *buf)
{
    free (buf->data);
    db_buf_init (buf);
}

void
db_buf_reset (db_buf_t *buf)
{
    buf->len = 0;
}

static void
s_reserve (db_buf_t *buf, size_t more)
{
    if (buf->len + more <= buf->cap)
        return;
    size_t cap = buf->cap ? buf->cap : 4096;
    while (cap < buf->len + more)
        cap *= 2;
    buf->data = xrealloc (buf->data, cap);
    buf->cap = cap;
}

void
db_buf_put (db_buf_t *buf, const char *bytes, size_t len)
{
    s_reserve (buf, len);
    memcpy (buf->data + buf->len, bytes, len);
    buf->len += len;
}

void
db_buf_puts (db_buf_t *buf, const char *text)
{
    db_buf_put (buf, text, strlen (text));
}

void
db_buf_putc (db_buf_t *buf, char c)
{
    s_reserve (buf, 1);
    buf->data[buf->len++] = c;
}

void
db_buf_put_field (db_buf_t *buf, const char *text, size_t len)
{
    s_reserve (buf, 2 * len);
    char *out = buf->data + buf->len;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        switch (c) {
            case '\\':
                *out++ = '\\';
                *out++ = '\\';
                break;
            case '\t':
                *out++ = '\\';
                *out++ = 't';
                break;
            case '\n':
                *out++ = '\\';
                *out++ = 'n';
                break;
            case '\r':
                *out++ = '\\';
                *out++ = 'r';
                break;
            default:
                *out++ = c;
        }
    }
    buf->len = (size_t)(out - buf->data);
}

void
db_buf_put_null (db_buf_t *buf)
{
    db_buf_put (buf, "\\N", 2);
}
