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
   All of it under a session advisory lock, so two collectors starting at once take turns. */
#ifndef PARLEY_SCHEMA_H
#define PARLEY_SCHEMA_H
#include "parley.h"
#include <libpq-fe.h>

typedef struct {
    const char *name; /* file name, e.g. "0001_core.sql"; NULL ends the table */
    const char *sql;
} schema_file_t;

extern const schema_file_t schema_migrations[];  /* deploy/sql/NNNN_*.sql, in name order */
extern const schema_file_t schema_repeatables[]; /* deploy/sql/repeatable/NN_*.sql, in name order */

/* Applies every migration not yet applied, each in its own transaction; then, if any
   repeatable file differs from the one last applied, all of them in one transaction; then
   (re)seeds the constituency reference table. When nothing needs changing it only reads
   (and re-checks the seed), so a role without DDL rights can start. Returns 0, or -1 with
   the reason logged. */
int schema_migrate (PGconn *conn) PARLEY_MUST_CHECK;

#endif
