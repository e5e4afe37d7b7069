/* The collector's part of the MP list (see mp_seed.h). */
#include "mp_seed.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "mp_list.h"
#include "mp_store.h"

int
mp_seed_if_empty (PGconn *conn)
{
    char err[512];
    bool empty;
    if (mp_store_is_empty (conn, &empty, err, sizeof err) != DB_OK) {
        log_error ("schema", "could not read the MP list", "err=\"%s\"", err);
        return -1;
    }
    if (!empty)
        return 0;
    /* The compiled-in file is checked like any other; its errors (a broken build) go into
       one log line. */
    char *text = NULL;
    size_t text_len = 0;
    FILE *errors = open_memstream (&text, &text_len);
    if (!errors) {
        log_error ("schema", "could not load the compiled-in MP list", "err=\"out of memory\"");
        return -1;
    }
    mp_list_t *list = mp_list_parse_builtin (errors, NULL);
    fclose (errors);
    if (!list) {
        db_flatten (text);
        log_error ("schema", "could not load the compiled-in MP list", "err=\"%s\"", text);
        free (text);
        return -1;
    }
    free (text);
    int rc = 0;
    if (mp_store_replace (conn, list, err, sizeof err) != DB_OK) {
        log_error ("schema", "could not load the compiled-in MP list", "err=\"%s\"", err);
        rc = -1;
    } else {
        log_info ("schema", "loaded the compiled-in MP list", "mps=%zu", mp_list_count (list));
    }
    mp_list_destroy (&list);
    return rc;
}
