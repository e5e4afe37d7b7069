/* verify: `parley-collector verify` and `parley-collector rebuild`, the two commands that
   check and repair what the collector derives from the events (docs/OPERATIONS.md,
   "Checking and rebuilding aggregates"). The work is done by the database, in
   deploy/sql/repeatable/60_verify.sql: parley.verify() recomputes parley.conversation from
   parley.event and every aggregate table from parley.conversation, from scratch, and lists
   each difference; parley.rebuild() rewrites them all from parley.event in one transaction,
   under the writers' advisory lock (the one parley.ingest_batch takes), so it never races
   a running collector.

   Neither command changes the schema: they need the functions of 60_verify.sql, which a
   collector of this version (or `parley-collector --migrate-only`) has applied. Both
   connect once (no retry) and exit 1 on any failure, with the reason logged. */
#ifndef PARLEY_VERIFY_H
#define PARLEY_VERIFY_H
#include "parley.h"
#include <libpq-fe.h>
#include <stdio.h>

/* Runs parley.verify() in one REPEATABLE READ, read-only transaction and prints each
   difference on out as one tab-separated line (after a header line): table, key, stored
   row, expected row (JSON; "-" when there is no such row). Returns the number of
   differences (0: everything matches), or -1 with the reason logged. */
long verify_check (PGconn *conn, FILE *out) PARLEY_MUST_CHECK;

/* Runs parley.rebuild() in one transaction and prints, on out, one line per table
   rebuilt: its name and the rows written. Returns 0, or -1 with the reason logged (the
   transaction rolled back: nothing changed). */
int verify_rebuild (PGconn *conn, FILE *out) PARLEY_MUST_CHECK;

/* `parley-collector verify [--db CONNINFO]`: exit 0 when nothing differs, 1 when anything
   does or on failure, 2 on bad usage. argv[0] is "verify". */
int verify_main (int argc, char **argv);

/* `parley-collector rebuild [--db CONNINFO]`: exit 0 when rebuilt, 1 on failure, 2 on bad
   usage. argv[0] is "rebuild". */
int verify_rebuild_main (int argc, char **argv);

#endif
