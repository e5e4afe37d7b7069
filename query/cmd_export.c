/* The commands that write a whole thing out (see commands.h): `export`, a listed view
   streamed as CSV (or CSV for spreadsheets, or JSON), and `report`, the self-contained HTML report.
 */
#include "commands.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "query_db.h"
#include "render.h"
#include "report.h"

/* The views `export` may name, each with a fixed order. Only these strings reach SQL. */
static const struct {
    const char *name;
    const char *sql;
} s_exports[] = {
    { "constituency_summary",
      "SELECT * FROM parley.constituency_summary ORDER BY constituency_code" },
    { "constituency_topics",
      "SELECT * FROM parley.constituency_topics ORDER BY constituency_code, topic" },
    { "region_summary", "SELECT * FROM parley.region_summary ORDER BY country, region" },
    { "progress", "SELECT * FROM parley.progress" },
    { "weekly_progress", "SELECT * FROM parley.weekly_progress ORDER BY week_start" },
    { "association_summary", "SELECT * FROM parley.association_summary ORDER BY association_id" },
    { "stakeholder_summary",
      "SELECT * FROM parley.stakeholder_summary ORDER BY constituency_code, role, person_key" },
    { "mp_mismatches",
      "SELECT * FROM parley.mp_mismatches ORDER BY constituency_code, person_key" },
    { "sitting_mps", "SELECT * FROM parley.sitting_mps ORDER BY constituency_code" },
    { "campaign_target", "SELECT * FROM parley.campaign_target" },
};
#define NEXPORTS (sizeof s_exports / sizeof s_exports[0])

/* Streams CSV row by row, so a view of a million rows never sits in memory at once. */
static int
s_export_csv_stream (command_ctx_t *ctx, const char *sql, int xlsx)
{
    if (!PQsendQueryParams (ctx->conn, sql, 0, NULL, NULL, NULL, NULL, 0)) {
        query_error ("query failed: %s", PQerrorMessage (ctx->conn));
        return QUERY_EXIT_FAIL;
    }
    if (!PQsetSingleRowMode (ctx->conn)) {
        query_error ("query failed: could not select single-row mode");
        return QUERY_EXIT_FAIL;
    }
    int status = QUERY_EXIT_OK, header = 0;
    PGresult *res;
    while ((res = PQgetResult (ctx->conn))) {
        ExecStatusType st = PQresultStatus (res);
        if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) {
            if (!header) {
                (xlsx ? render_xlsx_csv_pg_header : render_csv_pg_header) (res, ctx->out);
                header = 1;
            }
            (xlsx ? render_xlsx_csv_pg_rows : render_csv_pg_rows) (res, ctx->out);
        } else if (status == QUERY_EXIT_OK) {
            const char *m = PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY);
            query_error ("query failed: %s", m ? m : PQerrorMessage (ctx->conn));
            status = QUERY_EXIT_FAIL;
        }
        PQclear (res);
    }
    return status;
}

int
cmd_export (command_ctx_t *ctx)
{
    const char *view = ctx->opts->args[0];
    if (strncmp (view, "parley.", 7) == 0)
        view += 7;
    const char *sql = NULL;
    for (size_t i = 0; i < NEXPORTS; i++)
        if (strcmp (view, s_exports[i].name) == 0)
            sql = s_exports[i].sql;
    if (!sql) {
        char *list = xstrdup ("");
        for (size_t i = 0; i < NEXPORTS; i++) {
            char *next = xasprintf ("%s%s%s", list, i ? ", " : "", s_exports[i].name);
            free (list);
            list = next;
        }
        fprintf (
          stderr, "parley: no view \"%s\" to export (views: %s)\n", ctx->opts->args[0], list);
        free (list);
        return QUERY_EXIT_USAGE;
    }
    /* CSV unless another format was asked for explicitly. */
    if (!(ctx->opts->given & QOPT_FORMAT) || ctx->opts->format == RENDER_CSV)
        return s_export_csv_stream (ctx, sql, 0);
    if (ctx->opts->format == RENDER_XLSX_CSV)
        return s_export_csv_stream (ctx, sql, 1);
    resultset_t *rs = query_db_resultset (ctx->conn, sql, 0, NULL);
    if (!rs)
        return QUERY_EXIT_FAIL;
    render_write (rs, ctx->opts->format, ctx->out, "(no rows)");
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

int
cmd_report_check (const query_options_t *opts)
{
    if (opts->html)
        return QUERY_EXIT_OK;
    options_error (&query_options_spec, stderr, "report needs --html FILE");
    return QUERY_EXIT_USAGE;
}

int
cmd_report (command_ctx_t *ctx)
{
    const char *path = ctx->opts->html;
    /* Written beside the target and renamed into place, so a failed run never leaves a
       half-written report where the last good one was. */
    char *tmp = xasprintf ("%s.tmp.%ld", path, (long)getpid ());
    FILE *f = fopen (tmp, "w");
    if (!f) {
        query_error ("could not create \"%s\": %s", tmp, strerror (errno));
        free (tmp);
        return QUERY_EXIT_FAIL;
    }
    int rc = report_write_html (ctx->conn, f);
    int werr = ferror (f);
    if (fclose (f) != 0)
        werr = 1;
    if (rc == 0 && werr)
        query_error ("could not write \"%s\": %s", tmp, strerror (errno));
    if (rc != 0 || werr || rename (tmp, path) != 0) {
        if (rc == 0 && !werr)
            query_error ("could not rename \"%s\" to \"%s\": %s", tmp, path, strerror (errno));
        unlink (tmp);
        free (tmp);
        return QUERY_EXIT_FAIL;
    }
    free (tmp);
    fprintf (ctx->out, "Wrote %s.\n", path);
    return QUERY_EXIT_OK;
}
