/* The sitting MPs reference list as a CSV file of `constituency_code,name,party,since`,
   read and checked without a database: every row must name a known constituency (GSS code,
   once each), a name of valid UTF-8 with a person key (fold.h), a party of valid UTF-8,
   and a `since` that is a real calendar date (YYYY-MM-DD, not before 1800) or empty. A
   file with any bad row yields no list at all, so a bad file can never half-replace the
   stored one (pg/mp_store.h stores a list; the compiled-in one is common/data/mps.csv).

   The UTF-8 and date checks are the strict ones every feed gets (utf8.h, rfc3339.h):
   overlong forms, surrogates and code points above U+10FFFF are refused. */
#ifndef PARLEY_MP_LIST_H
#define PARLEY_MP_LIST_H
#include "parley.h"
#include <stddef.h>
#include <stdio.h>

#define MP_LIST_NAME_MAX 200 /* bytes; the same limits as stakeholder.name and .party */
#define MP_LIST_PARTY_MAX 100
#define MP_LIST_ERRORS_MAX 20 /* bad rows reported one by one; then only a count */

/* One sitting MP. */
typedef struct {
    const char *constituency_code; /* upper case; borrowed from the constituency table */
    char *name;                    /* as written */
    char *party;                   /* NULL when the field is empty */
    char *since;                   /* YYYY-MM-DD, or NULL when the field is empty */
    char *person_key;              /* fold_person_key (name); never "" */
} mp_list_entry_t;

typedef struct mp_list mp_list_t;

/* Reads and checks `csv` (`len` bytes; a UTF-8 byte order mark is skipped; `source` names
   it in messages). Each bad row is reported on `errors` as one line "SOURCE:LINE: reason"
   (at most MP_LIST_ERRORS_MAX, then "SOURCE: N more errors not shown"). Returns the list
   (caller owns it: mp_list_destroy), or NULL when any row is bad, with *nbad (if not
   NULL) set to the number of bad rows. */
mp_list_t *mp_list_parse (const char *csv, size_t len, const char *source, FILE *errors, int *nbad);

/* The compiled-in list (common/data/mps.csv), read as mp_list_parse reads a file. NULL only
   if the build embedded a broken file, with the errors reported on `errors`. */
mp_list_t *mp_list_parse_builtin (FILE *errors, int *nbad);

/* Number of MPs, and the i-th in file order. Borrowed: valid until mp_list_destroy. */
size_t mp_list_count (const mp_list_t *self);
const mp_list_entry_t *mp_list_at (const mp_list_t *self, size_t index);

/* Frees the list; NULL-safe, sets *self_p to NULL. */
void mp_list_destroy (mp_list_t **self_p);

#endif
