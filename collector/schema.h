/* The database schema, brought up to date on start. The SQL of deploy/sql/ is compiled in
   (collector/CMakeLists.txt generates the two tables below) in two kinds, the split Flyway
   (V__/R__) and Sqitch make:
   - versioned migrations, deploy/sql/NNNN_*.sql: tables, types, indexes, roles — the shape
     of the data. Each is applied once, in name order, and recorded with the md5 of its text
     in parley.schema_migrations; a released one is never edited.
   - repeatable files, deploy/sql/repeatable/NN_*.sql: views and functions (ingest among them)
     — code. Written with CREATE OR REPLACE and edited in place; all of them are applied
     again, after the migrations, whenever the text of any differs from what
     parley.schema_repeatables recorded.
   All of it under a session advisory lock, so two collectors starting at once take turns.
   Only the schema's owner applies anything; a collector running as parley_writer checks
   that nothing is pending and refuses to start otherwise (docs/COLLECTOR.md, "PostgreSQL
   roles"). */
#ifndef PARLEY_SCHEMA_H
#define PARLEY_SCHEMA_H
#include "parley.h"
#include <libpq-fe.h>
#include <stdio.h>

typedef struct {
    const char *name; /* file name, e.g. "0001_core.sql"; NULL ends the table */
    const char *sql;
} schema_file_t;

extern const schema_file_t schema_migrations[];  /* deploy/sql/NNNN_*.sql, in name order */
extern const schema_file_t schema_repeatables[]; /* deploy/sql/repeatable/NN_*.sql, in name order */

typedef enum {
    SCHEMA_APPLY, /* the owner (parley-collector migrate): apply what is pending, then
                     (re)seed the reference data */
    SCHEMA_START, /* a daemon's start: SCHEMA_APPLY when the session's role owns schema
                     parley (or may create it), SCHEMA_CHECK otherwise */
    SCHEMA_CHECK, /* a writer's start: only reads; fails when anything is pending ("database
                     schema is behind this collector", hint: run parley-collector migrate) */
    SCHEMA_LIST,  /* migrate --dry-run (schema_list_pending): only reads */
} schema_mode_t;

/* Brings the schema up to date (SCHEMA_APPLY): every migration not yet applied, each in its
   own transaction; then, if any repeatable file differs from the one last applied, all of
   them in one transaction; then (re)seeds the constituency and MP reference tables. When
   nothing needs changing it only reads and re-checks the seed. SCHEMA_CHECK changes
   nothing. In every mode a database that has a migration this build does not know (a newer
   collector upgraded it) is refused. Returns 0, or -1 with the reason logged. */
int schema_migrate (PGconn *conn, schema_mode_t mode) PARLEY_MUST_CHECK;

/* migrate --dry-run: prints on out one line per pending migration ("migration
   0004_roles.sql") and per repeatable file whose text changed ("repeatable
   31_ingest_store_events.sql edited", or "new"), changing nothing. Returns how many things
   are pending (the repeatable files count once), or -1 with the reason logged (a newer
   database among them). */
int schema_list_pending (PGconn *conn, FILE *out) PARLEY_MUST_CHECK;

#endif
