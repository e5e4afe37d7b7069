/* The listings (see commands.h): one view, filtered and ordered, as a table, CSV or JSON:
   gaps, constituencies, regions, topics, associations, stakeholders and mismatches. */
#include "commands.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "fold.h"
#include "mem.h"
#include "query_db.h"
#include "render.h"
#include "stakeholder.h"

static char *
s_limit_text (const query_options_t *opts)
{
    return opts->limit > 0 ? xasprintf ("%ld", opts->limit) : NULL;
}

/* Resolves --region against the regions the database knows: a folded match, or a prefix
   of exactly one ("yorkshire"). Prints the error and returns NULL if none. Caller owns. */
static char *
s_find_region (command_ctx_t *ctx, const char *text)
{
    resultset_t *rs = query_db_resultset (
      ctx->conn, "SELECT region FROM parley.region_summary ORDER BY region", 0, NULL);
    if (!rs)
        return NULL;
    char *want = fold_name (text), *found = NULL;
    size_t prefix_hits = 0;
    const char *prefix_match = NULL;
    for (size_t r = 0; r < resultset_rows (rs) && !found; r++) {
        char *f = fold_name (resultset_value (rs, r, 0));
        if (strcmp (f, want) == 0)
            found = xstrdup (resultset_value (rs, r, 0));
        else if (*want && strncmp (f, want, strlen (want)) == 0) {
            prefix_hits++;
            prefix_match = resultset_value (rs, r, 0);
        }
        free (f);
    }
    if (!found && prefix_hits == 1)
        found = xstrdup (prefix_match);
    if (!found) {
        char *list = xstrdup ("");
        for (size_t r = 0; r < resultset_rows (rs); r++) {
            char *next = xasprintf ("%s%s%s", list, r ? ", " : "", resultset_value (rs, r, 0));
            free (list);
            list = next;
        }
        query_error ("no region matches \"%s\"%s (regions: %s)",
                     text,
                     prefix_hits > 1 ? " uniquely" : "",
                     list);
        free (list);
    }
    free (want);
    resultset_destroy (&rs);
    return found;
}

/* One section of a region in the table rendering: its rows of one kind of gap. */
static void
s_gap_section (FILE *out,
               const resultset_t *rs,
               size_t from,
               size_t to,
               const char *kind,
               const char *title)
{
    const char *names[] = { "code", "constituency", "mp" };
    const column_type_t types[] = { COLUMN_TEXT, COLUMN_TEXT, COLUMN_TEXT };
    resultset_t *t = resultset_new (3, names, types);
    resultset_set_label (t, 0, "Code");
    resultset_set_label (t, 1, "Constituency");
    resultset_set_label (t, 2, "Sitting MP");
    resultset_set_min_width (t, 1, 40); /* names are the point of the list: cut the MP first */
    for (size_t r = from; r < to; r++) {
        if (strcmp (resultset_value (rs, r, 3), kind) != 0)
            continue;
        const char *mp = resultset_value (rs, r, 5), *party = resultset_value (rs, r, 6);
        char *who = mp ? (party ? xasprintf ("%s (%s)", mp, party) : xstrdup (mp))
                       : xstrdup ("(none listed)");
        const char *row[] = { resultset_value (rs, r, 1), resultset_value (rs, r, 2), who };
        resultset_add_row (t, row);
        free (who);
    }
    if (resultset_rows (t) > 0) {
        fprintf (out, "%s (%zu)\n", title, resultset_rows (t));
        render_table (t, out, NULL);
    }
    resultset_destroy (&t);
}

int
cmd_gaps (command_ctx_t *ctx)
{
    char *region = NULL;
    if (ctx->opts->region && !(region = s_find_region (ctx, ctx->opts->region)))
        return QUERY_EXIT_FAIL;
    const char *params[] = { region };
    resultset_t *rs = query_db_resultset (
      ctx->conn,
      "SELECT s.region, s.constituency_code, s.constituency_name,"
      "       CASE WHEN s.conversations = 0 THEN 'no_conversation'"
      "            ELSE 'mp_not_spoken_to' END AS gap,"
      "       s.conversations, m.mp_name, m.party AS mp_party"
      "  FROM parley.constituency_summary s"
      "  LEFT JOIN parley.sitting_mps m ON m.constituency_code = s.constituency_code"
      " WHERE s.mp_conversations = 0 AND ($1::text IS NULL OR s.region = $1)"
      " ORDER BY s.region, s.conversations > 0, s.constituency_name",
      1,
      params);
    free (region);
    if (!rs)
        return QUERY_EXIT_FAIL;
    if (ctx->opts->format != RENDER_TABLE) {
        render_write (rs, ctx->opts->format, ctx->out, NULL);
        resultset_destroy (&rs);
        return QUERY_EXIT_OK;
    }
    if (resultset_rows (rs) == 0)
        fprintf (ctx->out,
                 "No gaps: every constituency%s has had a conversation with its MP.\n",
                 ctx->opts->region ? " in the region" : "");
    size_t n = resultset_rows (rs);
    for (size_t from = 0; from < n;) {
        size_t to = from, none = 0;
        while (to < n && strcmp (resultset_value (rs, to, 0), resultset_value (rs, from, 0)) == 0) {
            none += strcmp (resultset_value (rs, to, 3), "no_conversation") == 0;
            to++;
        }
        fprintf (ctx->out, "%s== %s ==\n", from ? "\n" : "", resultset_value (rs, from, 0));
        s_gap_section (ctx->out, rs, from, to, "no_conversation", "No conversation yet");
        if (none && none < to - from)
            fputc ('\n', ctx->out);
        s_gap_section (ctx->out,
                       rs,
                       from,
                       to,
                       "mp_not_spoken_to",
                       "Conversations, but the MP not yet spoken to");
        from = to;
    }
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

/* A listing: runs sql with its parameters, shapes the table and writes the rows in the
   format asked for (empty: the table's note when there are none). */
static int
s_list (command_ctx_t *ctx,
        const char *sql,
        int nparams,
        const char *const *params,
        const columns_shape_t *shape,
        size_t nshape,
        const char *empty)
{
    resultset_t *rs = query_db_resultset (ctx->conn, sql, nparams, params);
    if (!rs)
        return QUERY_EXIT_FAIL;
    columns_shape (rs, shape, nshape);
    render_write (rs, ctx->opts->format, ctx->out, empty);
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

int
cmd_constituencies (command_ctx_t *ctx)
{
    static const columns_shape_t shape[] = {
        { "constituency_code", .label = "Code" },
        { "constituency_name", .label = "Constituency", .min_width = 24 },
        { "region", .flags = COLUMNS_HIDE },
        { "follow_ups", .flags = COLUMNS_HIDE },
        { "conversations", .label = "Conv." },
        { "mp_conversations", .label = "MP" },
        { "associations", .label = "Assoc" },
        { "mean_stance", .label = "Stance" },
        { "last_on", .label = "Last" },
    };
    char *region = NULL;
    if (ctx->opts->region && !(region = s_find_region (ctx, ctx->opts->region)))
        return QUERY_EXIT_FAIL;
    char *limit = s_limit_text (ctx->opts);
    const char *params[] = { region, limit };
    int status = s_list (ctx,
                         "SELECT constituency_code, constituency_name, region, conversations,"
                         "       mp_conversations, associations,"
                         "       round(mean_stance, 2) AS mean_stance, follow_ups, last_on"
                         "  FROM parley.constituency_summary"
                         " WHERE $1::text IS NULL OR region = $1"
                         " ORDER BY conversations DESC, constituency_name LIMIT $2::bigint",
                         2,
                         params,
                         shape,
                         COLUMNS_COUNT (shape),
                         "No constituencies match.");
    free (region);
    free (limit);
    return status;
}

int
cmd_regions (command_ctx_t *ctx)
{
    static const columns_shape_t shape[] = {
        { "region", .label = "Region" },
        /* The region says it: a nation outside England is its own region. */
        { "country", .flags = COLUMNS_HIDE },
        { "constituencies", .label = "Seats" },
        { "constituencies_reached", .label = "Reached" },
        { "mps_engaged", .label = "MPs engaged" },
        { "conversations", .label = "Conversations" },
    };
    if (ctx->period) {
        /* The same columns as region_summary, over the conversations of the period. */
        const char *params[] = { ctx->period->from, ctx->period->to };
        return s_list (
          ctx,
          "SELECT s.region, s.country, count(*) AS constituencies,"
          "       count(*) FILTER (WHERE f.conversations > 0) AS constituencies_reached,"
          "       count(*) FILTER (WHERE f.mp_conversations > 0) AS mps_engaged,"
          "       coalesce(sum(f.conversations), 0)::bigint AS conversations"
          "  FROM parley.constituency_summary s"
          "  LEFT JOIN (SELECT constituency_code, sum(conversations) AS conversations,"
          "                    sum(conversations) FILTER (WHERE stakeholder_role = 'mp')"
          "                      AS mp_conversations"
          "               FROM parley.conversation_facts"
          "              WHERE occurred_on BETWEEN $1::date AND $2::date"
          "              GROUP BY constituency_code) f"
          "    ON f.constituency_code = s.constituency_code"
          " GROUP BY s.region, s.country ORDER BY s.country, s.region",
          2,
          params,
          shape,
          COLUMNS_COUNT (shape),
          "No regions.");
    }
    return s_list (ctx,
                   "SELECT region, country, constituencies, constituencies_reached, mps_engaged,"
                   "       conversations"
                   "  FROM parley.region_summary ORDER BY country, region",
                   0,
                   NULL,
                   shape,
                   COLUMNS_COUNT (shape),
                   "No regions.");
}

int
cmd_topics (command_ctx_t *ctx)
{
    static const columns_shape_t shape[] = {
        { "topic", .label = "Topic" },
        { "conversations", .label = "Conversations" },
        { "constituencies", .label = "Constituencies" },
    };
    char *limit = s_limit_text (ctx->opts);
    int status;
    if (ctx->period) {
        const char *params[] = { limit, ctx->period->from, ctx->period->to };
        status = s_list (ctx,
                         "SELECT topic, sum(conversations)::bigint AS conversations,"
                         "       count(DISTINCT constituency_code) AS constituencies"
                         "  FROM parley.topic_facts"
                         " WHERE occurred_on BETWEEN $2::date AND $3::date"
                         " GROUP BY topic ORDER BY 2 DESC, topic LIMIT $1::bigint",
                         3,
                         params,
                         shape,
                         COLUMNS_COUNT (shape),
                         "No topics in the period.");
    } else {
        const char *params[] = { limit };
        status = s_list (
          ctx,
          "SELECT topic, sum(conversations)::bigint AS conversations, count(*) AS constituencies"
          "  FROM parley.constituency_topics WHERE conversations > 0"
          " GROUP BY topic ORDER BY 2 DESC, topic LIMIT $1::bigint",
          1,
          params,
          shape,
          COLUMNS_COUNT (shape),
          "No topics yet.");
    }
    free (limit);
    return status;
}

int
cmd_associations (command_ctx_t *ctx)
{
    static const columns_shape_t shape[] = {
        /* Ids are at most 32 characters: never cut one. */
        { "association_id", .label = "Association", .min_width = 32 },
        { "association_name", .label = "Name" },
        { "conversations", .label = "Conv." },
        { "constituencies_reached", .label = "Reached" },
        { "mps_spoken_to", .label = "MPs" },
        { "first_on", .label = "First" },
        { "last_on", .label = "Last" },
    };
    if (ctx->period) {
        /* The same columns as association_summary, over the conversations of the period. */
        const char *params[] = { ctx->period->from, ctx->period->to };
        return s_list (
          ctx,
          "SELECT association_id, min(association_name) AS association_name,"
          "       sum(conversations)::bigint AS conversations,"
          "       count(DISTINCT constituency_code) AS constituencies_reached,"
          "       count(DISTINCT constituency_code) FILTER (WHERE stakeholder_role = 'mp')"
          "         AS mps_spoken_to,"
          "       min(occurred_on) AS first_on, max(occurred_on) AS last_on"
          "  FROM parley.conversation_facts"
          " WHERE occurred_on BETWEEN $1::date AND $2::date"
          " GROUP BY association_id ORDER BY conversations DESC, association_id",
          2,
          params,
          shape,
          COLUMNS_COUNT (shape),
          "No associations in the period.");
    }
    return s_list (ctx,
                   "SELECT association_id, association_name, conversations, constituencies_reached,"
                   "       mps_spoken_to, first_on, last_on"
                   "  FROM parley.association_summary ORDER BY conversations DESC, association_id",
                   0,
                   NULL,
                   shape,
                   COLUMNS_COUNT (shape),
                   "No associations yet.");
}

int
cmd_stakeholders_check (const query_options_t *opts)
{
    int stance;
    bool unknown;
    if (!opts->stance || stakeholder_parse_stance (opts->stance, &stance, &unknown) == 0)
        return QUERY_EXIT_OK;
    options_error (&query_options_spec,
                   stderr,
                   "unknown stance \"%s\" (use opposed, sceptical, neutral, supportive, "
                   "champion, unknown or -2..2)",
                   opts->stance);
    return QUERY_EXIT_USAGE;
}

int
cmd_stakeholders (command_ctx_t *ctx)
{
    static const columns_shape_t shape[] = {
        { "constituency_code", .flags = COLUMNS_HIDE },
        { "constituency_name", .label = "Constituency", .min_width = 16 },
        { "role_short", .label = "Role", .flags = COLUMNS_TABLE_ONLY },
        { "role", .flags = COLUMNS_HIDE },
        { "name", .label = "Name", .min_width = 18 },
        { "person_key", .flags = COLUMNS_HIDE },
        { "conversations", .label = "Conv." },
        { "associations", .flags = COLUMNS_HIDE },
        { "latest_stance", .flags = COLUMNS_HIDE },
        { "previous_stance", .flags = COLUMNS_HIDE },
        { "stance_text", .label = "Stance", .flags = COLUMNS_TABLE_ONLY },
        { "last_on", .label = "Last" },
        { "open_follow_ups", .flags = COLUMNS_HIDE },
    };
    int stance = 0;
    bool unknown = false;
    char *stance_text = NULL;
    if (ctx->opts->stance) {
        /* cmd_stakeholders_check has refused what does not parse. */
        if (stakeholder_parse_stance (ctx->opts->stance, &stance, &unknown) != 0)
            return QUERY_EXIT_USAGE;
        if (!unknown)
            stance_text = xasprintf ("%d", stance);
    }
    char *limit = s_limit_text (ctx->opts);
    const char *params[] = { ctx->opts->stance ? "1" : NULL, stance_text, limit };
    const char *sql =
      "SELECT constituency_code, constituency_name, " STAKEHOLDER_ROLE_SHORT_SQL
      " AS role_short, role, name, person_key,"
      "       conversations, associations, latest_stance, previous_stance,"
      "       " STAKEHOLDER_STANCE_CHANGE_SQL " AS stance_text, last_on, open_follow_ups"
      "  FROM parley.stakeholder_summary"
      " WHERE $1::text IS NULL OR latest_stance IS NOT DISTINCT FROM $2::smallint"
      " ORDER BY conversations DESC, last_on DESC, constituency_name, name LIMIT $3::bigint";
    int status =
      s_list (ctx, sql, 3, params, shape, COLUMNS_COUNT (shape), "No stakeholders match.");
    free (limit);
    free (stance_text);
    return status;
}

int
cmd_mismatches (command_ctx_t *ctx)
{
    static const columns_shape_t shape[] = {
        { "constituency_code", .flags = COLUMNS_HIDE },
        { "constituency_name", .label = "Constituency" },
        { "name", .label = "Named as MP" },
        { "person_key", .flags = COLUMNS_HIDE },
        { "conversations", .label = "Conv." },
        { "association_ids", .flags = COLUMNS_HIDE },
        { "first_on", .flags = COLUMNS_HIDE },
        { "last_on", .label = "Last" },
        { "sitting_mp", .label = "Sitting MP" },
        { "sitting_mp_party", .flags = COLUMNS_HIDE },
    };
    return s_list (ctx,
                   "SELECT constituency_code, constituency_name, name, person_key,"
                   "       conversations, association_ids,"
                   "       first_on, last_on, sitting_mp, sitting_mp_party"
                   "  FROM parley.mp_mismatches ORDER BY constituency_name, person_key",
                   0,
                   NULL,
                   shape,
                   COLUMNS_COUNT (shape),
                   "No mismatches: every MP named is the sitting MP.");
}
