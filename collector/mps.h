/* The sitting MPs reference list (parley.mp, created by deploy/sql/0002_analytics.sql):
   validated from a CSV file of `constituency_code,name,party,since` and loaded in one go,
   so a bad file never leaves a half-replaced list. The compiled-in list is
   common/data/mps.csv (parley_mps_csv). */
#ifndef PARLEY_MPS_H
#define PARLEY_MPS_H
#include <stddef.h>
#include <stdio.h>
#include <libpq-fe.h>
#include "parley.h"

/* Validates `csv` (`len` bytes; `source` names it in messages) and, if every row is good,
   replaces the contents of parley.mp with it, inside the caller's transaction. Each bad
   row is reported on `errors` as one line "SOURCE:LINE: reason" (at most 20; then a
   count). Returns the number of MPs loaded, or -1 (nothing changed; a database failure is
   reported on `errors` too). */
long mps_load (PGconn *conn, const char *csv, size_t len, const char *source, FILE *errors) PARLEY_MUST_CHECK;

/* Loads the compiled-in list if parley.mp is empty (first start, or never loaded), inside
   the caller's transaction. For the collector's schema step after the migrations: it
   leaves a list refreshed by `parley mps load` alone. Returns 0, or -1 with the reason
   logged. */
int mps_seed (PGconn *conn) PARLEY_MUST_CHECK;

#endif
