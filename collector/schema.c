/* Brings the database up to date: the compiled-in migrations (deploy/sql/NNNN_*.sql) in
   name order, each in its own transaction and recorded in parley.schema_migrations with
   the md5 of its text, then the constituency reference list upserted from the compiled-in
   CSV. A session-level advisory lock makes two collectors starting at once take turns:
   the second finds everything applied and only re-checks the seed. */
#include "schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "constituency.h"
#include "db.h"
#include "log.h"
#include "mps.h"

/* Advisory lock keys: "parley" in ASCII then 0x0000 for migrations, 0x0001 for ingest (the
   ingest key, 8097879414873325569, is written in deploy/sql/0001_core.sql). */
#define SCHEMA_LOCK_KEY "8097879414873325568"

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

/* 1 when applied with the same text, 0 when not applied; -1 on failure. An applied
   migration whose text has changed since is reported, not re-run: released migrations
   are never edited. */
static int
s_applied (PGconn *conn, const schema_migration_t *m)
{
    const char *params[] = { m->name, m->sql };
    db_status_t status;
    char err[512];
    PGresult *res =
      db_query (conn,
                "SELECT checksum = md5($2) FROM parley.schema_migrations WHERE name = $1",
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
    if (applied && PQgetvalue (res, 0, 0)[0] != 't')
        log_warn ("schema",
                  "applied migration differs from the compiled-in one",
                  "migration=%s hint=\"released migrations must not be edited\"",
                  m->name);
    PQclear (res);
    return applied;
}

static int
s_apply (PGconn *conn, const schema_migration_t *m)
{
    char err[512];
    if (s_command (conn, "BEGIN", m->name) != 0)
        return -1;
    if (db_command (conn, m->sql, err, sizeof err) != DB_OK) {
        log_error ("schema", "migration failed", "migration=%s err=\"%s\"", m->name, err);
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
    if (has_mp && mps_seed (conn) != 0)
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

int
schema_migrate (PGconn *conn)
{
    if (s_check_encoding (conn) != 0)
        return -1;
    if (s_command (conn, "SELECT pg_advisory_lock(" SCHEMA_LOCK_KEY ")", "take the schema lock") !=
        0)
        return -1;
    int rc = -1;
    /* Created only when missing: CREATE SCHEMA checks the CREATE privilege even with IF NOT
       EXISTS, and a collector running as a role without DDL rights (parley_writer, once the
       owner has run --migrate-only) must still start. */
    db_status_t status;
    char err[512];
    PGresult *res = db_query (conn,
                              "SELECT to_regclass('parley.schema_migrations') IS NOT NULL",
                              0,
                              NULL,
                              &status,
                              err,
                              sizeof err);
    if (!res) {
        log_error ("schema",
                   "schema step failed",
                   "step=\"look for parley.schema_migrations\" err=\"%s\"",
                   err);
        goto out;
    }
    bool bootstrapped = PQgetvalue (res, 0, 0)[0] == 't';
    PQclear (res);
    if (!bootstrapped && s_command (conn,
                                    "CREATE SCHEMA IF NOT EXISTS parley;"
                                    "CREATE TABLE IF NOT EXISTS parley.schema_migrations ("
                                    "  name text PRIMARY KEY,"
                                    "  checksum text NOT NULL,"
                                    "  applied_at timestamptz NOT NULL DEFAULT now())",
                                    "create parley.schema_migrations") != 0)
        goto out;
    int applied_now = 0;
    for (const schema_migration_t *m = schema_migrations; m->name; m++) {
        int applied = s_applied (conn, m);
        if (applied < 0)
            goto out;
        if (applied)
            continue;
        if (s_apply (conn, m) != 0)
            goto out;
        applied_now++;
    }
    if (s_seed_constituencies (conn) != 0)
        goto out;
    log_info ("schema", "schema up to date", "applied_now=%d", applied_now);
    rc = 0;
out:
    if (PQstatus (conn) == CONNECTION_OK)
        PQclear (PQexec (conn, "SELECT pg_advisory_unlock(" SCHEMA_LOCK_KEY ")"));
    return rc;
}
