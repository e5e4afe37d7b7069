/* parley-collector verify / rebuild (see verify.h). */
#include "verify.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "options.h"

typedef struct {
    const char *db; /* --db; NULL: the libpq environment */
    int log_level;  /* --log-level: a log_level_t */
} s_options_t;

#define S_AT(member) OPTIONS_AT (s_options_t, member)

/* clang-format off */
static const options_def_t s_defs[] = {
    { .name = "db", .short_name = 'd', .arg = "CONNINFO", .type = OPTIONS_STRING, S_AT (db),
      .flags = OPTIONS_EMPTY_OK,
      .help = "libpq connection string or URI; without it, the libpq environment (PGHOST, "
              "PGDATABASE ...)" },
    OPTIONS_LOG_LEVEL_ROW (s_options_t, log_level),
};
/* clang-format on */

static const options_spec_t s_verify_spec = {
    .program = "parley-collector verify",
    OPTIONS_TABLE (s_defs),
    .size = sizeof (s_options_t),
    .usage = "parley-collector verify [--db CONNINFO]",
    .about = "Recomputes parley.conversation from parley.event and every aggregate table from\n"
             "parley.conversation, and prints each difference (table, key, stored, expected)\n"
             "as a tab-separated line. Reads only.",
    .epilog = "Exit status: 0 nothing differs, 1 a difference or a failure, 2 bad usage.\n"
              "See docs/OPERATIONS.md, \"Checking and rebuilding aggregates\".",
};

static const options_spec_t s_rebuild_spec = {
    .program = "parley-collector rebuild",
    OPTIONS_TABLE (s_defs),
    .size = sizeof (s_options_t),
    .usage = "parley-collector rebuild [--db CONNINFO]",
    .about = "Recomputes parley.conversation and every aggregate table from parley.event, in one\n"
             "transaction, under the lock the collectors take for each batch (they wait, then\n"
             "go on). Prints the rows written per table.",
    .epilog = "Exit status: 0 rebuilt, 1 failure (nothing changed), 2 bad usage.\n"
              "See docs/OPERATIONS.md, \"Checking and rebuilding aggregates\".",
};

/* Logs a failed statement (res may be NULL) and clears it. */
static void
s_fail (PGconn *conn, PGresult *res, const char *msg)
{
    char err[512];
    db_error_text (conn, res, err, sizeof err);
    log_error ("verify", msg, "err=\"%s\"", err);
    PQclear (res);
}

/* Runs a statement whose rows nobody reads; 0, or -1 logged. */
static int
s_command (PGconn *conn, const char *sql, const char *msg)
{
    char err[512];
    if (db_command (conn, sql, err, sizeof err) != DB_OK) {
        log_error ("verify", msg, "err=\"%s\"", err);
        return -1;
    }
    return 0;
}

/* Whether parley.verify() and parley.rebuild() exist (the schema is this version's); logs
   what to do when they do not. */
static bool
s_has_functions (PGconn *conn)
{
    PGresult *res = PQexec (conn,
                            "SELECT to_regprocedure('parley.verify()') IS NOT NULL"
                            " AND to_regprocedure('parley.rebuild()') IS NOT NULL");
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        s_fail (conn, res, "could not look up the verify functions");
        return false;
    }
    bool found = strcmp (PQgetvalue (res, 0, 0), "t") == 0;
    PQclear (res);
    if (!found)
        log_error ("verify",
                   "schema has no parley.verify() or parley.rebuild()",
                   "hint=\"%s\"",
                   "bring the schema up to date first: parley-collector --migrate-only");
    return found;
}

static const char *
s_value (const PGresult *res, int row, int col)
{
    return PQgetisnull (res, row, col) ? "-" : PQgetvalue (res, row, col);
}

long
verify_check (PGconn *conn, FILE *out)
{
    if (!s_has_functions (conn))
        return -1;
    /* One snapshot for the whole comparison, whatever the function's plan. */
    if (s_command (conn,
                   "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                   "could not start the verify transaction") != 0)
        return -1;
    PGresult *res = PQexec (conn, "SELECT table_name, key, stored, expected FROM parley.verify()");
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        s_fail (conn, res, "could not verify the aggregates");
        PQclear (PQexec (conn, "ROLLBACK"));
        return -1;
    }
    long n = PQntuples (res);
    if (n > 0)
        fprintf (out, "table\tkey\tstored\texpected\n");
    for (long i = 0; i < n; i++)
        fprintf (out,
                 "%s\t%s\t%s\t%s\n",
                 PQgetvalue (res, (int)i, 0),
                 PQgetvalue (res, (int)i, 1),
                 s_value (res, (int)i, 2),
                 s_value (res, (int)i, 3));
    PQclear (res);
    if (s_command (conn, "COMMIT", "could not end the verify transaction") != 0)
        return -1;
    if (fflush (out) != 0) {
        log_error ("verify", "could not write the differences", "err=\"%s\"", strerror (errno));
        return -1;
    }
    return n;
}

int
verify_rebuild (PGconn *conn, FILE *out)
{
    if (!s_has_functions (conn))
        return -1;
    if (s_command (conn, "BEGIN", "could not start the rebuild transaction") != 0)
        return -1;
    PGresult *res = PQexec (conn, "SELECT table_name, written FROM parley.rebuild()");
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        s_fail (conn, res, "could not rebuild the aggregates");
        PQclear (PQexec (conn, "ROLLBACK"));
        return -1;
    }
    /* Printed only once committed: what it says is then true. */
    if (s_command (conn, "COMMIT", "could not commit the rebuild") != 0) {
        PQclear (res);
        return -1;
    }
    for (int i = 0; i < PQntuples (res); i++)
        fprintf (out, "%s\t%s\n", PQgetvalue (res, i, 0), PQgetvalue (res, i, 1));
    PQclear (res);
    return 0;
}

/* Parses a subcommand's argv and connects; NULL with *rc set (2 bad usage, 0 after
   --help, 1 no connection). */
static PGconn *
s_start (const options_spec_t *spec, int argc, char **argv, int *rc)
{
    s_options_t opts;
    options_result_t parsed = options_parse (spec, &opts, argc, argv, stdout, stderr, NULL);
    if (parsed != OPTIONS_RUN) {
        *rc = options_exit_code (parsed);
        return NULL;
    }
    log_threshold = (log_level_t)opts.log_level;
    const char *keys[] = { "fallback_application_name", "dbname", "client_encoding", NULL };
    const char *vals[] = { "parley-collector", opts.db ? opts.db : "", "UTF8", NULL };
    PGconn *conn = PQconnectdbParams (keys, vals, 1);
    options_fini (spec, &opts);
    if (!conn || PQstatus (conn) != CONNECTION_OK) {
        s_fail (conn, NULL, "could not connect to the database");
        PQfinish (conn);
        *rc = 1;
        return NULL;
    }
    return conn;
}

int
verify_main (int argc, char **argv)
{
    int rc = 1;
    PGconn *conn = s_start (&s_verify_spec, argc, argv, &rc);
    if (!conn)
        return rc;
    long differences = verify_check (conn, stdout);
    PQfinish (conn);
    if (differences < 0)
        return 1;
    if (differences > 0) {
        log_warn (
          "verify", "aggregates differ from what they derive from", "differences=%ld", differences);
        return 1;
    }
    log_info ("verify", "aggregates match what they derive from", "differences=0");
    return 0;
}

int
verify_rebuild_main (int argc, char **argv)
{
    int rc = 1;
    PGconn *conn = s_start (&s_rebuild_spec, argc, argv, &rc);
    if (!conn)
        return rc;
    rc = verify_rebuild (conn, stdout) == 0 ? 0 : 1;
    PQfinish (conn);
    if (rc == 0)
        log_info ("verify", "rebuilt state and aggregates from the events", "tables=9");
    return rc;
}
