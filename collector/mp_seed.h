/* The collector's part of the MP list: on first start (or whenever parley.mp is empty) it
   stores the compiled-in list (common/data/mps.csv), so the analytics views have sitting
   MPs before anyone runs `parley mps load`. A list refreshed that way is left alone. */
#ifndef PARLEY_MP_SEED_H
#define PARLEY_MP_SEED_H
#include "parley.h"
#include <libpq-fe.h>

/* Loads the compiled-in list if parley.mp is empty, inside the caller's transaction. For
   the schema step after the migrations. Returns 0, or -1 with the reason logged. */
int mp_seed_if_empty (PGconn *conn) PARLEY_MUST_CHECK;

#endif
