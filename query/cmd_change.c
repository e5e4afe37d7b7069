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

/* What target N --by DATE may set: a target from 1 to 100 million, a real calendar day. */
#define S_TARGET_MAX 100000000

int
cmd_target_check (const query_options_t *opts)
{
    if (opts->by && opts->nargs == 0) {
        options_error (&query_options_spec,
                       stderr,
                       "--by needs a target too (usage: parley target N --by YYYY-MM-DD)");
        return QUERY_EXIT_USAGE;
    }
    long n;
    if (opts->nargs == 1 && number_parse (opts->args[0], 1, S_TARGET_MAX, &n) != 0) {
        options_error (&query_options_spec,
                       stderr,
                       "the target must be a whole number from 1 to %d, not \"%s\"",
                       S_TARGET_MAX,
                       opts->args[0]);
        return QUERY_EXIT_USAGE;
    }
    int32_t days;
    rfc3339_status_t date =
      opts->by ? rfc3339_parse_date (opts->by, strlen (opts->by), &days) : RFC3339_OK;
    if (date != RFC3339_OK) {
        options_error (&query_options_spec,
                       stderr,
                       "invalid --by \"%s\"%s (expected a date as YYYY-MM-DD)",
                       opts->by,
                       date == RFC3339_BAD_DATE ? ": no such day" : "");
        return QUERY_EXIT_USAGE;
    }
    return QUERY_EXIT_OK;
}

int
cmd_target (command_ctx_t *ctx)
{
    if (ctx->opts->nargs == 1) {
        const char *params[] = { ctx->opts->args[0], ctx->opts->by };
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
cmd_mps_check (const query_options_t *opts)
{
    if (strcmp (opts->args[0], "load") == 0)
        return QUERY_EXIT_OK;
    options_error (&query_options_spec,
                   stderr,
                   "unknown mps command \"%s\" (usage: parley mps load FILE)",
                   opts->args[0]);
    return QUERY_EXIT_USAGE;
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
