/* The commands that change the store (see commands.h): `target`, which sets the target
   and its deadline, and `mps load`, which replaces the sitting MPs list. Each runs in a
   read-write transaction that commits only when the whole change is made. */
#include "commands.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "mem.h"
#include "mp_list.h"
#include "mp_store.h"
#include "number.h"
#include "query_db.h"
#include "render.h"
#include "rfc3339.h"

int
cmd_target (command_ctx_t *ctx)
{
    if (ctx->opts->nargs == 1) {
        const char *text = ctx->opts->args[0];
        long n;
        if (number_parse (text, 1, 100000000, &n) != 0) {
            fprintf (
              stderr, "parley: the target must be a positive whole number, not \"%s\"\n", text);
            return QUERY_EXIT_USAGE;
        }
        const char *by = ctx->opts->by;
        int32_t days;
        rfc3339_status_t date = by ? rfc3339_parse_date (by, strlen (by), &days) : RFC3339_OK;
        if (date != RFC3339_OK) {
            options_error (&query_options_spec,
                           stderr,
                           "invalid --by \"%s\"%s (expected a date as YYYY-MM-DD)",
                           by,
                           date == RFC3339_BAD_DATE ? ": no such day" : "");
            return QUERY_EXIT_USAGE;
        }
        const char *params[] = { text, ctx->opts->by };
        if (query_db_exec (
              ctx->conn, "SELECT parley.set_target($1::integer, $2::date)", 2, params) < 0)
            return QUERY_EXIT_FAIL;
    }
    resultset_t *rs = query_db_resultset (
      ctx->conn, "SELECT target, deadline FROM parley.campaign_target", 0, NULL);
    if (!rs)
        return QUERY_EXIT_FAIL;
    if (ctx->opts->format == RENDER_TABLE && resultset_rows (rs) == 1) {
        char *t = render_thousands (resultset_int (rs, 0, 0));
        fprintf (ctx->out,
                 "%s: %s conversations by %s\n",
                 ctx->opts->nargs ? "Target set" : "Target",
                 t,
                 resultset_value (rs, 0, 1) ? resultset_value (rs, 0, 1) : "(no deadline)");
        free (t);
    } else {
        render_write (rs, ctx->opts->format, ctx->out, NULL);
    }
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

int
cmd_mps (command_ctx_t *ctx)
{
    const char *path = ctx->opts->args[1];
    FILE *f = fopen (path, "rb");
    if (!f) {
        query_error ("could not open \"%s\": %s", path, strerror (errno));
        return QUERY_EXIT_FAIL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 > cap) {
            cap = (len + 65536) * 2;
            buf = xrealloc (buf, cap);
        }
        size_t got = fread (buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    int read_error = ferror (f);
    fclose (f);
    if (read_error) {
        query_error ("could not read \"%s\"", path);
        free (buf);
        return QUERY_EXIT_FAIL;
    }
    buf[len] = '\0';
    int nbad = 0;
    mp_list_t *list = mp_list_parse (buf, len, path, stderr, &nbad);
    free (buf);
    if (!list) {
        query_error (
          "%s: %d bad row%s; the MP list was not changed", path, nbad, nbad == 1 ? "" : "s");
        return QUERY_EXIT_FAIL;
    }
    char err[512];
    size_t n = mp_list_count (list);
    db_status_t status = mp_store_replace (ctx->conn, list, err, sizeof err);
    mp_list_destroy (&list);
    if (status != DB_OK) {
        query_error ("could not load the MP list: %s", err);
        return QUERY_EXIT_FAIL;
    }
    fprintf (ctx->out, "Loaded %zu sitting MPs from %s.\n", n, path);
    return QUERY_EXIT_OK;
}
