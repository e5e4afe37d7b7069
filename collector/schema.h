/* The database schema, brought up to date on start: the migrations in deploy/sql/ are
   compiled in (collector/CMakeLists.txt generates schema_migrations[]) and applied in name
   order under an advisory lock, so two collectors starting at once do not collide. */
#ifndef PARLEY_SCHEMA_H
#define PARLEY_SCHEMA_H
#include "parley.h"
#include <libpq-fe.h>

typedef struct {
    const char *name; /* file name, e.g. "0001_core.sql"; NULL ends the table */
    const char *sql;
} schema_migration_t;

extern const schema_migration_t schema_migrations[];

/* Applies every migration not yet applied, each in its own transaction, and (re)seeds the
   constituency reference table. Returns 0, or -1 with the reason logged. */
int schema_migrate (PGconn *conn) PARLEY_MUST_CHECK;

#endif
