/* Brings the database up to date: the compiled-in migrations (deploy/sql/NNNN_*.sql) in
   name order, each in its own transaction and recorded in parley.schema_migrations with
   the md5 of its text; then the repeatable files (deploy/sql/repeatable/NN_*.sql: views and
   functions), all in one transaction, when any of them differs from what
   parley.schema_repeatables recorded; then the constituency reference list upserted from
   the compiled-in CSV. A session-level advisory lock makes two collectors starting at once
   take turns: the second finds everything applied and only re-checks the seed.

   The rule for whoever changes the schema (docs/COLLECTOR.md, "Changing the schema"): a
   change of shape (a table, column, index, type, role) is a new migration, never an edit of
   a released one; a view or function is changed in its repeatable file, in place. */
#include "schema.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "constituency.h"
#include "db.h"
#include "log.h"
#include "mp_seed.h"

/* Advisory lock keys: "parley" in ASCII then 0x0000 for migrations, 0x0001 for ingest (the
   ingest key is also written in deploy/sql/repeatable/39_ingest_batch.sql). */
#define SCHEMA_LOCK_KEY "8097879414873325568"
#define SCHEMA_INGEST_LOCK_KEY "8097879414873325569"

/* Earlier texts of a migration that count as that migration applied. Release 0.1.0's
   0001_core.sql and 0002_analytics.sql also made the views and functions that now live in
   deploy/sql/repeatable/; today's files are those texts with the views and functions (and
   their rights) taken out, every table, type, index and role left as it was. So a database
   that recorded the 0.1.0 checksum has what today's text would make, and the repeatable
   files, applied next, replace the rest (tests/integration/test_upgrade.py checks that the
   upgraded schema equals a new one). The copies are in tests/data/release-0.1.0/. This is
   not a way to edit a released migration: a row belongs here only when an edit provably
   leaves the same tables, and with a test that proves it. */
static const struct {
    const char *name;
    const char *md5;
} s_earlier_texts[] = {
    { "0001_core.sql", "a21d4acf84492bbae96744f11e768947" },      /* release 0.1.0 */
    { "0002_analytics.sql", "8126ef5904082582a21aa1bd7eacff66" }, /* release 0.1.0 */
};

static bool
s_is_earlier_text (const char *name, const char *md5)
{
    for (size_t i = 0; i < sizeof s_earlier_texts / sizeof s_earlier_texts[0]; i++)
        if (strcmp (s_earlier_texts[i].name, name) == 0 &&
            strcmp (s_earlier_texts[i].md5, md5) == 0)
            return true;
    return false;
}

static int
s_command (PGconn *conn, const char *sql, const char *what)
{
    char err[512];
    if (db_command (conn, sql, err, sizeof err) != DB_OK) {
        log_error ("schema", "schema step failed", "step=\"%s\" err=\"%s\"", what, err);
        return -1;
    }
    return 0;
}

/* UTF-8 is required: events carry any Unicode (\u escapes included), and a database in
   SQL_ASCII or LATIN1 would refuse some of them one by one, at ingest time. */
static int
s_check_encoding (PGconn *conn)
{
    db_status_t status;
    char err[512];
    PGresult *res = db_query (
      conn, "SELECT current_setting('server_encoding')", 0, NULL, &status, err, sizeof err);
    if (!res) {
        log_error ("schema", "could not read the server encoding", "err=\"%s\"", err);
        return -1;
    }
    int ok = strcmp (PQgetvalue (res, 0, 0), "UTF8") == 0;
    if (!ok)
        log_error ("schema",
                   "database encoding must be UTF8",
                   "encoding=%s hint=\"CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0\"",
                   PQgetvalue (res, 0, 0));
    PQclear (res);
    return ok ? 0 : -1;
}

/* 1 when applied (with this text or a known earlier one), 0 when not applied; -1 on
   failure. An applied migration whose recorded text is neither is reported, not re-run:
   released migrations are never edited, so either this build's file was edited or the
   database was made by a build that had another text. */
static int
s_applied (PGconn *conn, const schema_file_t *m)
{
    const char *params[] = { m->name, m->sql };
    db_status_t status;
    char err[512];
    PGresult *res = db_query (conn,
                              "SELECT checksum = md5($2), checksum FROM parley.schema_migrations"
                              " WHERE name = $1",
                              2,
                              params,
                              &status,
                              err,
                              sizeof err);
    if (!res) {
        log_error ("schema", "could not read applied migrations", "err=\"%s\"", err);
        return -1;
    }
    int applied = PQntuples (res) > 0;
    if (applied && PQgetvalue (res, 0, 0)[0] != 't') {
        const char *recorded = PQgetvalue (res, 0, 1);
        if (s_is_earlier_text (m->name, recorded))
            log_debug ("schema",
                       "migration applied from an earlier text of it",
                       "migration=%s checksum=%s",
                       m->name,
                       recorded);
        else
            log_warn ("schema",
                      "applied migration differs from the compiled-in one",
                      "migration=%s checksum=%s hint=\"released migrations must not be edited\"",
                      m->name,
                      recorded);
    }
    PQclear (res);
    return applied;
}

/* A hint for a failure for want of a right (SQLSTATE 42501): a collector running as
   parley_writer cannot create or replace anything, so a start that has something to change
   must be made once by the schema's owner. "" otherwise. */
static const char *
s_hint (const char *err)
{
    return strstr (err, "SQLSTATE 42501")
             ? " hint=\"run parley-collector migrate once as the owner of schema parley\""
             : "";
}

static int
s_apply (PGconn *conn, const schema_file_t *m)
{
    char err[512];
    if (s_command (conn, "BEGIN", m->name) != 0)
        return -1;
    if (db_command (conn, m->sql, err, sizeof err) != DB_OK) {
        log_error (
          "schema", "migration failed", "migration=%s err=\"%s\"%s", m->name, err, s_hint (err));
        goto fail;
    }
    const char *params[] = { m->name, m->sql };
    db_status_t status;
    PGresult *res =
      db_query (conn,
                "INSERT INTO parley.schema_migrations (name, checksum) VALUES ($1, md5($2))",
                2,
                params,
                &status,
                err,
                sizeof err);
    if (!res) {
        log_error ("schema", "could not record migration", "migration=%s err=\"%s\"", m->name, err);
        goto fail;
    }
    PQclear (res);
    if (s_command (conn, "COMMIT", m->name) != 0)
        return -1;
    log_info ("schema", "applied migration", "migration=%s", m->name);
    return 0;
fail:
    if (PQstatus (conn) == CONNECTION_OK)
        PQclear (PQexec (conn, "ROLLBACK"));
    return -1;
}

/* 1 when the database has a migration this build does not know, i.e. a newer collector
   upgraded it; 0 if not; -1 on failure. This build's migrations, views and functions would
   not fit its tables (nor its ingest this build's staging rows), so it refuses: it says so
   on err's behalf in the log, naming both, and the caller stops (exit 1). */
static int
s_database_is_newer (PGconn *conn)
{
    const char *last = NULL;
    for (const schema_file_t *m = schema_migrations; m->name; m++)
        last = m->name;
    if (!last)
        return 0;
    const char *params[] = { last };
    db_status_t status;
    char err[512];
    PGresult *res =
      db_query (conn,
                "SELECT name FROM parley.schema_migrations"
                " WHERE name COLLATE \"C\" > $1 ORDER BY name COLLATE \"C\" DESC LIMIT 1",
                1,
                params,
                &status,
                err,
                sizeof err);
    if (!res) {
        log_error ("schema", "could not read applied migrations", "err=\"%s\"", err);
        return -1;
    }
    int newer = PQntuples (res) > 0;
    if (newer)
        log_error ("schema",
                   "database schema is newer than this collector",
                   "latest_migration=%s known_migration=%s"
                   " hint=\"run the release of parley-collector that upgraded it, or a later one\"",
                   PQgetvalue (res, 0, 0),
                   last);
    PQclear (res);
    return newer;
}

/* 1 when every compiled-in repeatable file is recorded in parley.schema_repeatables with
   its text and nothing else is recorded; 0 when one is new, differs or has gone; -1 on
   failure. Only reads, so that a collector without DDL rights starts when nothing changed.
   Each file that changed is logged, and printed on list when not NULL. */
static int
s_repeatables_current (PGconn *conn, FILE *list)
{
    db_status_t status;
    char err[512];
    int current = 1;
    long files = 0;
    for (const schema_file_t *r = schema_repeatables; r->name; r++, files++) {
        const char *params[] = { r->name, r->sql };
        PGresult *res = db_query (conn,
                                  "SELECT checksum = md5($2) FROM parley.schema_repeatables"
                                  " WHERE name = $1",
                                  2,
                                  params,
                                  &status,
                                  err,
                                  sizeof err);
        if (!res) {
            log_error ("schema", "could not read applied repeatable files", "err=\"%s\"", err);
            return -1;
        }
        if (PQntuples (res) == 0 || PQgetvalue (res, 0, 0)[0] != 't') {
            log_info ("schema",
                      "repeatable file changed",
                      "file=%s state=%s",
                      r->name,
                      PQntuples (res) == 0 ? "new" : "edited");
            if (list)
                fprintf (
                  list, "repeatable %s %s\n", r->name, PQntuples (res) == 0 ? "new" : "edited");
            current = 0;
        }
        PQclear (res);
    }
    PGresult *res = db_query (
      conn, "SELECT count(*) FROM parley.schema_repeatables", 0, NULL, &status, err, sizeof err);
    if (!res) {
        log_error ("schema", "could not read applied repeatable files", "err=\"%s\"", err);
        return -1;
    }
    if (atol (PQgetvalue (res, 0, 0)) != files) {
        current = 0; /* one recorded is no longer compiled in */
        if (list)
            fprintf (list, "repeatable files: one applied is no longer in this build\n");
    }
    PQclear (res);
    return current;
}

/* Applies every repeatable file in name order, in one transaction, and records them (the
   record is rewritten whole: it says what this build applied). A failure rolls back all. */
static int
s_apply_repeatables (PGconn *conn)
{
    char err[512];
    int files = 0;
    if (s_command (conn, "BEGIN", "repeatable files") != 0)
        return -1;
    /* ingest_batch() takes this lock first and holds it to the end of its transaction, so no
       batch of a collector already running is under way while the functions are replaced.
       A batch whose ingest_batch() call is waiting for the lock meanwhile goes on with the
       steps as replaced (docs/COLLECTOR.md, "Two versions at once"). */
    if (s_command (conn,
                   "SELECT pg_advisory_xact_lock(" SCHEMA_INGEST_LOCK_KEY ")",
                   "take the ingest lock") != 0)
        goto fail;
    for (const schema_file_t *r = schema_repeatables; r->name; r++) {
        if (db_command (conn, r->sql, err, sizeof err) != DB_OK) {
            log_error ("schema",
                       "repeatable file failed",
                       "file=%s err=\"%s\"%s",
                       r->name,
                       err,
                       s_hint (err));
            goto fail;
        }
    }
    if (s_command (conn, "DELETE FROM parley.schema_repeatables", "record repeatable files") != 0)
        goto fail;
    for (const schema_file_t *r = schema_repeatables; r->name; r++, files++) {
        const char *params[] = { r->name, r->sql };
        db_status_t status;
        PGresult *res = db_query (conn,
                                  "INSERT INTO parley.schema_repeatables (name, checksum)"
                                  " VALUES ($1, md5($2))",
                                  2,
                                  params,
                                  &status,
                                  err,
                                  sizeof err);
        if (!res) {
            log_error (
              "schema", "could not record repeatable file", "file=%s err=\"%s\"", r->name, err);
            goto fail;
        }
        PQclear (res);
    }
    if (s_command (conn, "COMMIT", "repeatable files") != 0)
        return -1;
    log_info ("schema", "applied repeatable files", "files=%d", files);
    return 0;
fail:
    if (PQstatus (conn) == CONNECTION_OK)
        PQclear (PQexec (conn, "ROLLBACK"));
    return -1;
}

/* The reference list, upserted so that re-running is harmless and a corrected name in a
   newer build reaches the database; rows are only written when something differs. */
static int
s_seed_constituencies (PGconn *conn)
{
    db_buf_t buf;
    db_buf_init (&buf);
    char err[512];
    int rc = -1;
    size_t n = constituency_count ();
    for (size_t i = 0; i < n; i++) {
        const constituency_t *c = constituency_at (i);
        char num[32];
        db_buf_put_field (&buf, c->code, strlen (c->code));
        db_buf_putc (&buf, '\t');
        db_buf_put_field (&buf, c->name, strlen (c->name));
        db_buf_putc (&buf, '\t');
        db_buf_put_field (&buf, c->country, strlen (c->country));
        db_buf_putc (&buf, '\t');
        db_buf_put_field (&buf, c->region, strlen (c->region));
        db_buf_putc (&buf, '\t');
        db_buf_put_field (&buf, c->region_code, strlen (c->region_code));
        snprintf (num, sizeof num, "\t%d\t%d\n", c->hex_q, c->hex_r);
        db_buf_puts (&buf, num);
    }
    if (s_command (conn, "BEGIN", "seed") != 0)
        goto out;
    if (s_command (
          conn,
          "CREATE TEMP TABLE parley_constituency_seed (LIKE parley.constituency) ON COMMIT DROP",
          "seed") != 0)
        goto fail;
    if (db_copy_in (
          conn,
          "COPY pg_temp.parley_constituency_seed (code, name, country, region, region_code,"
          " hex_q, hex_r) FROM STDIN",
          buf.data,
          buf.len,
          err,
          sizeof err) != DB_OK) {
        log_error ("schema", "could not copy the constituency list", "err=\"%s\"", err);
        goto fail;
    }
    if (s_command (
          conn,
          "INSERT INTO parley.constituency AS c (code, name, country, region, region_code, hex_q, "
          "hex_r)"
          " SELECT code, name, country, region, region_code, hex_q, hex_r"
          "   FROM pg_temp.parley_constituency_seed"
          " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, country = EXCLUDED.country,"
          "   region = EXCLUDED.region, region_code = EXCLUDED.region_code,"
          "   hex_q = EXCLUDED.hex_q, hex_r = EXCLUDED.hex_r"
          " WHERE (c.name, c.country, c.region, c.region_code, c.hex_q, c.hex_r)"
          "   IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.country, EXCLUDED.region,"
          "                     EXCLUDED.region_code, EXCLUDED.hex_q, EXCLUDED.hex_r)",
          "seed constituencies") != 0)
        goto fail;
    /* Every constituency gets its aggregate row up front, so ingest applies deltas with
       UPDATE (and the row's CHECK sees the result, not the bare delta). */
    if (s_command (
          conn,
          "INSERT INTO parley.constituency_agg (constituency_code)"
          " SELECT code FROM parley.constituency ON CONFLICT (constituency_code) DO NOTHING",
          "seed aggregates") != 0)
        goto fail;
    /* The MP list belongs to the analytics schema (0002_analytics.sql); seeded here, in the
       same step, once the table exists. */
    db_status_t status;
    PGresult *res = db_query (
      conn, "SELECT to_regclass('parley.mp') IS NOT NULL", 0, NULL, &status, err, sizeof err);
    if (!res) {
        log_error ("schema", "schema step failed", "step=\"look for parley.mp\" err=\"%s\"", err);
        goto fail;
    }
    int has_mp = PQgetvalue (res, 0, 0)[0] == 't';
    PQclear (res);
    if (has_mp && mp_seed_if_empty (conn) != 0)
        goto fail;
    if (s_command (conn, "COMMIT", "seed") != 0)
        goto out;
    rc = 0;
    goto out;
fail:
    if (PQstatus (conn) == CONNECTION_OK)
        PQclear (PQexec (conn, "ROLLBACK"));
out:
    db_buf_fini (&buf);
    return rc;
}

/* 1 when the session's role may change the schema: it owns schema parley (or is a member
   of the role that does, superusers included), or there is no schema yet and it may create
   one in this database; 0 when not (a collector running as parley_writer); -1 on failure. */
static int
s_may_migrate (PGconn *conn)
{
    db_status_t status;
    char err[512];
    PGresult *res =
      db_query (conn,
                "SELECT coalesce((SELECT pg_has_role(current_user, nspowner, 'USAGE')"
                "                   FROM pg_namespace WHERE nspname = 'parley'),"
                "                has_database_privilege(current_database(), 'CREATE'))",
                0,
                NULL,
                &status,
                err,
                sizeof err);
    if (!res) {
        log_error ("schema", "schema step failed", "step=\"read own rights\" err=\"%s\"", err);
        return -1;
    }
    int may = PQgetvalue (res, 0, 0)[0] == 't';
    PQclear (res);
    return may;
}

static int
s_table_exists (PGconn *conn, const char *name, bool *exists)
{
    const char *params[] = { name };
    db_status_t status;
    char err[512];
    PGresult *res =
      db_query (conn, "SELECT to_regclass($1) IS NOT NULL", 1, params, &status, err, sizeof err);
    if (!res) {
        log_error ("schema", "schema step failed", "step=\"look for %s\" err=\"%s\"", name, err);
        return -1;
    }
    *exists = PQgetvalue (res, 0, 0)[0] == 't';
    PQclear (res);
    return 0;
}

/* The one path of every mode (schema.h). pending counts what is not applied. */
static int
s_run (PGconn *conn, schema_mode_t mode, FILE *list, int *pending)
{
    *pending = 0;
    if (s_check_encoding (conn) != 0)
        return -1;
    if (mode == SCHEMA_START || mode == SCHEMA_APPLY) {
        int may = s_may_migrate (conn);
        if (may < 0)
            return -1;
        if (mode == SCHEMA_APPLY && !may) {
            log_error ("schema",
                       "only the owner of schema parley may migrate",
                       "user=%s hint=\"run parley-collector migrate with the owner's connection"
                       " string\"",
                       PQuser (conn));
            return -1;
        }
        mode = may ? SCHEMA_APPLY : SCHEMA_CHECK;
    }
    bool apply = mode == SCHEMA_APPLY;
    if (s_command (conn, "SELECT pg_advisory_lock(" SCHEMA_LOCK_KEY ")", "take the schema lock") !=
        0)
        return -1;
    int rc = -1;
    /* Created only when missing: CREATE SCHEMA checks the CREATE privilege even with IF NOT
       EXISTS. */
    bool bootstrapped;
    if (s_table_exists (conn, "parley.schema_migrations", &bootstrapped) != 0)
        goto out;
    if (bootstrapped) {
        /* Before anything is applied: this build's migrations would not fit a newer schema. */
        int newer = s_database_is_newer (conn);
        if (newer != 0)
            goto out;
    } else if (apply && s_command (conn,
                                   "CREATE SCHEMA IF NOT EXISTS parley;"
                                   "CREATE TABLE IF NOT EXISTS parley.schema_migrations ("
                                   "  name text PRIMARY KEY,"
                                   "  checksum text NOT NULL,"
                                   "  applied_at timestamptz NOT NULL DEFAULT now())",
                                   "create parley.schema_migrations") != 0)
        goto out;
    int applied_now = 0;
    for (const schema_file_t *m = schema_migrations; m->name; m++) {
        int applied = (bootstrapped || apply) ? s_applied (conn, m) : 0;
        if (applied < 0)
            goto out;
        if (applied)
            continue;
        (*pending)++;
        if (!apply) {
            log_info ("schema", "migration pending", "migration=%s", m->name);
            if (list)
                fprintf (list, "migration %s\n", m->name);
            continue;
        }
        if (s_apply (conn, m) != 0)
            goto out;
        applied_now++;
    }
    /* The views and functions, after the migrations that make the tables they read. Before
       0003 there is no record of them: every file is new. */
    bool recorded;
    if (s_table_exists (conn, "parley.schema_repeatables", &recorded) != 0)
        goto out;
    int current = 0;
    if (recorded) {
        current = s_repeatables_current (conn, list);
        if (current < 0)
            goto out;
    } else if (list) {
        for (const schema_file_t *r = schema_repeatables; r->name; r++)
            fprintf (list, "repeatable %s new\n", r->name);
    }
    if (!current) {
        (*pending)++;
        if (apply && s_apply_repeatables (conn) != 0)
            goto out;
    }
    if (mode == SCHEMA_CHECK && *pending) {
        log_error ("schema",
                   "database schema is behind this collector",
                   "pending_migrations=%d repeatables=%s hint=\"run parley-collector migrate"
                   " once as the owner of schema parley\"",
                   *pending - (current ? 0 : 1),
                   current ? "current" : "changed");
        goto out;
    }
    /* The reference data is the owner's to write (parley_writer has no right on it): part of
       a migration, not of a writer's start. */
    if (apply && s_seed_constituencies (conn) != 0)
        goto out;
    if (mode != SCHEMA_LIST)
        log_info ("schema",
                  "schema up to date",
                  "applied_now=%d repeatables=%s mode=%s",
                  applied_now,
                  current ? "unchanged" : "applied",
                  apply ? "owner" : "writer");
    rc = 0;
out:
    if (PQstatus (conn) == CONNECTION_OK)
        PQclear (PQexec (conn, "SELECT pg_advisory_unlock(" SCHEMA_LOCK_KEY ")"));
    return rc;
}

int
schema_migrate (PGconn *conn, schema_mode_t mode)
{
    assert (mode != SCHEMA_LIST);
    int pending;
    return s_run (conn, mode, NULL, &pending);
}

int
schema_list_pending (PGconn *conn, FILE *out)
{
    int pending;
    if (s_run (conn, SCHEMA_LIST, out, &pending) != 0)
        return -1;
    return pending;
}
