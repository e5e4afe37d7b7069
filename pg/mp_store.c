/* The one store path of the sitting MPs list (see mp_store.h). */
#include "mp_store.h"

#include <string.h>

static void
s_put (db_buf_t *buf, const char *text, char end)
{
    if (text)
        db_buf_put_field (buf, text, strlen (text));
    else
        db_buf_put_null (buf);
    db_buf_putc (buf, end);
}

db_status_t
mp_store_replace (PGconn *conn, const mp_list_t *list, char *err, size_t errlen)
{
    db_buf_t buf;
    db_buf_init (&buf);
    for (size_t i = 0; i < mp_list_count (list); i++) {
        const mp_list_entry_t *mp = mp_list_at (list, i);
        s_put (&buf, mp->constituency_code, '\t');
        s_put (&buf, mp->name, '\t');
        s_put (&buf, mp->party, '\t');
        s_put (&buf, mp->since, '\t');
        s_put (&buf, mp->person_key, '\n');
    }
    db_status_t status = db_command (conn, "DELETE FROM parley.mp", err, errlen);
    if (status == DB_OK)
        status = db_copy_in (conn,
                             "COPY parley.mp (constituency_code, name, party, since, person_key)"
                             " FROM STDIN",
                             buf.data ? buf.data : "",
                             buf.len,
                             err,
                             errlen);
    db_buf_fini (&buf);
    return status;
}

db_status_t
mp_store_is_empty (PGconn *conn, bool *empty, char *err, size_t errlen)
{
    db_status_t status;
    PGresult *res =
      db_query (conn, "SELECT EXISTS (SELECT 1 FROM parley.mp)", 0, NULL, &status, err, errlen);
    if (!res)
        return status;
    *empty = PQgetvalue (res, 0, 0)[0] != 't';
    PQclear (res);
    return DB_OK;
}
