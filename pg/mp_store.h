/* The one store path of the sitting MPs list (parley.mp, created by
   deploy/sql/0002_analytics.sql): a checked list (common/mp_list.h) replaces the table's
   rows in one go. Both programs come through here: the collector when it seeds the
   compiled-in list on first start (collector/mp_seed.h), `parley mps load FILE` when an
   analyst refreshes it. */
#ifndef PARLEY_MP_STORE_H
#define PARLEY_MP_STORE_H
#include "db.h"
#include "mp_list.h"
#include "parley.h"
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* Replaces every row of parley.mp with `list`, inside the caller's transaction (so a
   failure, rolled back by the caller, leaves the old list). Returns DB_OK, or the failure's
   class with its text in err (db_error_text). */
db_status_t mp_store_replace (PGconn *conn, const mp_list_t *list, char *err, size_t errlen)
  PARLEY_MUST_CHECK;

/* Sets *empty to whether parley.mp has no row. Returns DB_OK, or the failure's class with
   its text in err. */
db_status_t mp_store_is_empty (PGconn *conn, bool *empty, char *err, size_t errlen)
  PARLEY_MUST_CHECK;

#endif
