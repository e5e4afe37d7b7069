/* The summaries (see commands.h): `progress`, the campaign on one screen, and
   `constituency`, one seat's figures, topics and stakeholders. Each is a page in a table
   rendering, and the rows of the views in CSV and JSON. */
#include "commands.h"

#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "constituency.h"
#include "mem.h"
#include "query_db.h"
#include "render.h"
#include "stakeholder.h"

/* Finds the constituency, or prints the one-line error with suggestions. */
static const constituency_t *
s_find_constituency (const char *text)
{
    const constituency_t *c = constituency_by_code (text);
    if (!c)
        c = constituency_by_name (text);
    if (c)
        return c;
    const constituency_t *near[5];
    size_t n = constituency_suggest (text, near, 5);
    if (n == 0) {
        query_error (
          "no constituency matches \"%s\" (give a GSS code such as E14001063 or an official name)",
          text);
        return NULL;
    }
    char *list = xstrdup ("");
    for (size_t i = 0; i < n; i++) {
        char *next = xasprintf ("%s%s\"%s\"",
                                list,
                                i == 0       ? ""
                                : i + 1 == n ? " or "
                                             : ", ",
                                near[i]->name);
        free (list);
        list = next;
    }
    query_error ("no constituency matches \"%s\"; did you mean %s?", text, list);
    free (list);
    return NULL;
}

/* progress for a period: the conversations of the period, the constituencies they reached
   and the MPs engaged in it, from parley.conversation_facts; one row in every format (a
   projection belongs to the whole campaign, not to a period). */
static int
s_progress_period (command_ctx_t *ctx)
{
    const char *params[] = { ctx->period->from, ctx->period->to };
    resultset_t *rs = query_db_resultset (
      ctx->conn,
      "SELECT $1::date AS period_from, $2::date AS period_to,"
      "       coalesce(sum(f.conversations), 0)::bigint AS conversations,"
      "       count(DISTINCT f.constituency_code) AS constituencies_reached,"
      "       (SELECT count(*) FROM parley.constituency_summary) AS constituencies,"
      "       count(DISTINCT f.constituency_code) FILTER (WHERE f.stakeholder_role = 'mp')"
      "         AS mps_engaged"
      "  FROM parley.conversation_facts f"
      " WHERE f.occurred_on BETWEEN $1::date AND $2::date",
      2,
      params);
    if (!rs)
        return QUERY_EXIT_FAIL;
    render_write (rs, ctx->opts->format, ctx->out, NULL);
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

int
cmd_progress (command_ctx_t *ctx)
{
    if (ctx->period)
        return s_progress_period (ctx);
    resultset_t *rs = query_db_resultset (
      ctx->conn,
      "SELECT p.conversations, p.target,"
      "       round(100.0 * p.conversations / NULLIF(p.target, 0), 1) AS percent_of_target,"
      "       p.constituencies_reached,"
      "       (SELECT count(*) FROM parley.constituency_summary) AS constituencies,"
      "       p.mps_engaged, t.deadline,"
      "       (SELECT w.projected_at_deadline FROM parley.weekly_progress w"
      "         ORDER BY w.week_start DESC LIMIT 1) AS projected_at_deadline"
      "  FROM parley.progress p CROSS JOIN parley.campaign_target t",
      0,
      NULL);
    if (!rs)
        return QUERY_EXIT_FAIL;
    if (ctx->opts->format != RENDER_TABLE || resultset_rows (rs) != 1) {
        render_write (
          rs, ctx->opts->format, ctx->out, "No progress row (is the schema complete?).");
        resultset_destroy (&rs);
        return QUERY_EXIT_OK;
    }
    long long conv = resultset_int (rs, 0, 0), target = resultset_int (rs, 0, 1);
    long long reached = resultset_int (rs, 0, 3), seats = resultset_int (rs, 0, 4);
    long long mps = resultset_int (rs, 0, 5);
    const char *deadline = resultset_value (rs, 0, 6);
    const char *projected = resultset_value (rs, 0, 7);
    struct {
        const char *label;
        long long n, of;
    } lines[] = {
        { "Conversations", conv, target },
        { "Constituencies reached", reached, seats },
        { "MPs engaged", mps, seats },
    };
    /* 22 + 2 + 9 + 2 + 9 + 2 + 6 + 2 + 26 = 80 columns. */
    fprintf (ctx->out, "%-22s  %9s  %9s  %6s  %s\n", "", "count", "of", "share", "");
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        double share = lines[i].of > 0 ? (double)lines[i].n / (double)lines[i].of : 0.0;
        char *n = render_thousands (lines[i].n), *of = render_thousands (lines[i].of);
        char *bar = render_bar (share, 24);
        char pct[16];
        snprintf (pct, sizeof pct, "%.1f%%", 100.0 * share);
        fprintf (ctx->out, "%-22s  %9s  %9s  %6s  %s\n", lines[i].label, n, of, pct, bar);
        free (n);
        free (of);
        free (bar);
    }
    fputc ('\n', ctx->out);
    if (deadline) {
        char *t = render_thousands (target);
        fprintf (ctx->out, "Target %s conversations by %s.\n", t, deadline);
        free (t);
    }
    if (projected) {
        long long p = strtoll (projected, NULL, 10);
        char *pt = render_thousands (p);
        fprintf (ctx->out,
                 "At the pace so far: about %s by the deadline (%s).\n",
                 pt,
                 p >= target ? "target met" : "short of the target");
        free (pt);
    } else {
        fprintf (ctx->out, "No conversations yet, so no projection.\n");
    }
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

static void
s_constituency_block (command_ctx_t *ctx, const resultset_t *sum, const resultset_t *mp)
{
    FILE *out = ctx->out;
#define V(name)                                                                                    \
    (resultset_find (sum, name) >= 0 &&                                                            \
         resultset_value (sum, 0, (size_t)resultset_find (sum, name))                              \
       ? resultset_value (sum, 0, (size_t)resultset_find (sum, name))                              \
       : "")
    fprintf (out, "%s (%s)\n", V ("constituency_name"), V ("constituency_code"));
    fprintf (out, "%s, %s", V ("region"), V ("country"));
    if (mp && resultset_rows (mp) == 1)
        fprintf (out,
                 "; MP: %s (%s)",
                 resultset_value (mp, 0, 0) ? resultset_value (mp, 0, 0) : "",
                 resultset_value (mp, 0, 1) ? resultset_value (mp, 0, 1) : "no party");
    fputs ("\n\n", out);
    fprintf (out, "%-16s%s\n", "Conversations", V ("conversations"));
    fprintf (out,
             "%-16smp %s, councillor %s, peer %s, mayor %s, official %s,\n%-16sopinion former %s\n",
             "  by role",
             V ("mp_conversations"),
             V ("councillor_conversations"),
             V ("peer_conversations"),
             V ("mayor_conversations"),
             V ("official_conversations"),
             "",
             V ("opinion_former_conversations"));
    fprintf (out, "%-16s%s\n", "Associations", V ("associations"));
    fprintf (
      out,
      "%-16sopposed %s, sceptical %s, neutral %s, supportive %s,\n%-16schampion %s, unknown %s",
      "Stances",
      V ("stance_opposed"),
      V ("stance_sceptical"),
      V ("stance_neutral"),
      V ("stance_supportive"),
      "",
      V ("stance_champion"),
      V ("stance_unknown"));
    const char *mean = V ("mean_stance");
    if (*mean)
        fprintf (out, "; mean %.2f\n", strtod (mean, NULL));
    else
        fputs ("\n", out);
    fprintf (out, "%-16s%s\n", "Follow-ups", V ("follow_ups"));
    if (*V ("first_on"))
        fprintf (out, "%-16s%s to %s\n", "First to last", V ("first_on"), V ("last_on"));
#undef V
}

/* constituency_summary's columns for one constituency ($1), over the conversations of a
   period ($2 to $3) in parley.conversation_facts. */
#define S_CONSTITUENCY_PERIOD_SQL                                                                                                                                                                                                                                                      \
    "SELECT s.constituency_code, s.constituency_name, s.region, s.country,"                                                                                                                                                                                                            \
    "       coalesce(sum(f.conversations), 0)::bigint AS conversations,"                                                                                                                                                                                                               \
    "       " S_ROLE_SUM (                                                                                                                                                                                                                                                             \
      "mp") " AS mp_conversations,"                                                                                                                                                                                                                                                    \
            "       " S_ROLE_SUM (                                                                                                                                                                                                                                                     \
              "councillor") " AS councillor_conversations,"                                                                                                                                                                                                                            \
                            "       " S_ROLE_SUM (                                                                                                                                                                                                                                     \
                              "peer") " AS peer_conversations,"                                                                                                                                                                                                                        \
                                      "       " S_ROLE_SUM (                                                                                                                                                                                                                           \
                                        "mayor") " AS mayor_conversations,"                                                                                                                                                                                                            \
                                                 "       " S_ROLE_SUM (                                                                                                                                                                                                                \
                                                   "official") " AS official_conversations,"                                                                                                                                                                                           \
                                                               "       " S_ROLE_SUM (                                                                                                                                                                                                  \
                                                                 "opinion_former") " AS "                                                                                                                                                                                              \
                                                                                   "opinion_"                                                                                                                                                                                          \
                                                                                   "former_"                                                                                                                                                                                           \
                                                                                   "conversations"                                                                                                                                                                                     \
                                                                                   ","                                                                                                                                                                                                 \
                                                                                   "       "                                                                                                                                                                                           \
                                                                                   "count("                                                                                                                                                                                            \
                                                                                   "DISTINCT "                                                                                                                                                                                         \
                                                                                   "f."                                                                                                                                                                                                \
                                                                                   "association_"                                                                                                                                                                                      \
                                                                                   "id) AS "                                                                                                                                                                                           \
                                                                                   "associations,"                                                                                                                                                                                     \
                                                                                   "      "                                                                                                                                                                                            \
                                                                                   " " S_FACT_SUM (                                                                                                                                                                                    \
                                                                                     "f.stance = "                                                                                                                                                                                     \
                                                                                     "-2") " AS "                                                                                                                                                                                      \
                                                                                           "stanc"                                                                                                                                                                                     \
                                                                                           "e_"                                                                                                                                                                                        \
                                                                                           "oppos"                                                                                                                                                                                     \
                                                                                           "ed,"                                                                                                                                                                                       \
                                                                                           "     "                                                                                                                                                                                     \
                                                                                           " "                                                                                                                                                                                         \
                                                                                           " " S_FACT_SUM (                                                                                                                                                                            \
                                                                                             "f."                                                                                                                                                                                      \
                                                                                             "sta"                                                                                                                                                                                     \
                                                                                             "nce"                                                                                                                                                                                     \
                                                                                             " = "                                                                                                                                                                                     \
                                                                                             "-1") " AS stance_sceptical,"                                                                                                                                                             \
                                                                                                   "       " S_FACT_SUM (                                                                                                                                                              \
                                                                                                     "f.stance = 0") " AS stance_neutral,"                                                                                                                                             \
                                                                                                                     "       " S_FACT_SUM (                                                                                                                                            \
                                                                                                                       "f.stance = 1") " AS stance_supportive,"                                                                                                                        \
                                                                                                                                       "       " S_FACT_SUM (                                                                                                                          \
                                                                                                                                         "f.stance = 2") " AS stance_champion,"                                                                                                        \
                                                                                                                                                         "       " S_FACT_SUM (                                                                                                        \
                                                                                                                                                           "f.stance IS NULL") " AS stance_unknown,"                                                                                   \
                                                                                                                                                                               "       sum(f.stance * f.conversations)::numeric"                                                       \
                                                                                                                                                                               "         / NULLIF(sum(f.conversations) FILTER (WHERE f.stance IS NOT NULL), 0)"                        \
                                                                                                                                                                               "         AS mean_stance,"                                                                              \
                                                                                                                                                                               "       " S_FACT_SUM (                                                                                  \
                                                                                                                                                                                 "f.follow_up") " AS follow_ups,"                                                                      \
                                                                                                                                                                                                "       min(f.occurred_on) AS first_on, max(f.occurred_on) AS last_on"                 \
                                                                                                                                                                                                "  FROM parley.constituency_summary s"                                                 \
                                                                                                                                                                                                "  LEFT JOIN parley.conversation_facts f ON f.constituency_code = s.constituency_code" \
                                                                                                                                                                                                "   AND f.occurred_on BETWEEN $2::date AND $3::date"                                   \
                                                                                                                                                                                                " WHERE s.constituency_code = $1"                                                      \
                                                                                                                                                                                                " GROUP BY s.constituency_code, s.constituency_name, s.region, s.country"
#define S_FACT_SUM(cond) "coalesce(sum(f.conversations) FILTER (WHERE " cond "), 0)::bigint"
#define S_ROLE_SUM(role) S_FACT_SUM ("f.stakeholder_role = '" role "'")

/* The constituency page's tables. */
static const columns_shape_t s_topics_shape[] = {
    { "topic", .label = "Topic" },
    { "conversations", .label = "Conversations" },
};
static const columns_shape_t s_people_shape[] = {
    { "role_short", .label = "Role", .flags = COLUMNS_TABLE_ONLY },
    { "role", .flags = COLUMNS_HIDE },
    { "name", .label = "Name", .min_width = 20 },
    { "person_key", .flags = COLUMNS_HIDE },
    { "conversations", .label = "Conv." },
    { "associations", .label = "Assoc" },
    { "latest_stance", .flags = COLUMNS_HIDE },
    { "previous_stance", .flags = COLUMNS_HIDE },
    { "stance_text", .label = "Stance", .flags = COLUMNS_TABLE_ONLY },
    { "last_on", .label = "Last" },
    { "open_follow_ups", .label = "F-up" },
};

int
cmd_constituency (command_ctx_t *ctx)
{
    const constituency_t *c = s_find_constituency (ctx->opts->args[0]);
    if (!c)
        return QUERY_EXIT_FAIL;
    const char *params[] = { c->code };
    const char *pparams[] = { c->code,
                              ctx->period ? ctx->period->from : NULL,
                              ctx->period ? ctx->period->to : NULL };
    int status = QUERY_EXIT_FAIL;
    resultset_t *sum = NULL, *topics = NULL, *people = NULL, *mp = NULL;
    if (ctx->period)
        sum = query_db_resultset (ctx->conn, S_CONSTITUENCY_PERIOD_SQL, 3, pparams);
    else
        sum = query_db_resultset (
          ctx->conn,
          "SELECT * FROM parley.constituency_summary WHERE constituency_code = $1",
          1,
          params);
    if (!sum)
        goto out;
    if (resultset_rows (sum) != 1) {
        query_error ("constituency %s is missing from parley.constituency_summary", c->code);
        goto out;
    }
    if (ctx->period)
        topics = query_db_resultset (
          ctx->conn,
          "SELECT topic, sum(conversations)::bigint AS conversations FROM parley.topic_facts"
          " WHERE constituency_code = $1 AND occurred_on BETWEEN $2::date AND $3::date"
          " GROUP BY topic ORDER BY conversations DESC, topic",
          3,
          pparams);
    else
        topics = query_db_resultset (
          ctx->conn,
          "SELECT topic, conversations FROM parley.constituency_topics"
          " WHERE constituency_code = $1 AND conversations > 0 ORDER BY conversations DESC, topic",
          1,
          params);
    if (!topics)
        goto out;
    const char *people_sql =
      "SELECT " STAKEHOLDER_ROLE_SHORT_SQL
      " AS role_short, role, name, person_key, conversations, associations,"
      "       latest_stance, previous_stance, " STAKEHOLDER_STANCE_CHANGE_SQL " AS stance_text,"
      "       last_on, open_follow_ups"
      "  FROM parley.stakeholder_summary WHERE constituency_code = $1"
      " ORDER BY conversations DESC, last_on DESC, name";
    const char *people_period_sql =
      "SELECT " STAKEHOLDER_ROLE_SHORT_SQL
      " AS role_short, role, name, person_key, conversations, associations,"
      "       latest_stance, previous_stance, " STAKEHOLDER_STANCE_CHANGE_SQL " AS stance_text,"
      "       last_on, open_follow_ups"
      "  FROM parley.stakeholder_summary WHERE constituency_code = $1 AND false";
    /* With a period, no stakeholders (the same columns, no rows): their figures are
       all-time (stakeholder_summary has no day), and would mislead on a period's page. */
    if (ctx->period)
        people_sql = people_period_sql;
    people = query_db_resultset (ctx->conn, people_sql, 1, params);
    if (!people)
        goto out;
    mp = query_db_resultset (ctx->conn,
                             "SELECT mp_name, party, since FROM parley.sitting_mps"
                             " WHERE constituency_code = $1",
                             1,
                             params);
    if (!mp)
        goto out;
    columns_shape (topics, s_topics_shape, COLUMNS_COUNT (s_topics_shape));
    columns_shape (people, s_people_shape, COLUMNS_COUNT (s_people_shape));

    if (ctx->opts->format == RENDER_JSON) {
        json_t *obj = render_json_row (sum, 0);
        json_object_set_new (
          obj, "sitting_mp", resultset_rows (mp) == 1 ? render_json_row (mp, 0) : json_null ());
        json_object_set_new (obj, "topics", render_json_rows (topics));
        json_object_set_new (obj, "stakeholders", render_json_rows (people));
        json_t *arr = json_array ();
        json_array_append_new (arr, obj);
        render_json_dump (arr, ctx->out);
        json_decref (arr);
    } else if (ctx->opts->format == RENDER_CSV || ctx->opts->format == RENDER_XLSX_CSV) {
        /* One record, as the view has it, plus the topics as "topic:count; …" and the
           sitting MP: CSV has room for one table only (`export` gives the rest). */
        size_t nc = resultset_cols (sum);
        const char **names = xcalloc (nc + 3, sizeof *names);
        column_type_t *types = xcalloc (nc + 3, sizeof *types);
        const char **row = xcalloc (nc + 3, sizeof *row);
        for (size_t i = 0; i < nc; i++) {
            names[i] = resultset_name (sum, i);
            types[i] = resultset_type (sum, i);
            row[i] = resultset_value (sum, 0, i);
        }
        names[nc] = "sitting_mp";
        names[nc + 1] = "sitting_mp_party";
        names[nc + 2] = "topics";
        types[nc] = types[nc + 1] = types[nc + 2] = COLUMN_TEXT;
        row[nc] = resultset_rows (mp) == 1 ? resultset_value (mp, 0, 0) : NULL;
        row[nc + 1] = resultset_rows (mp) == 1 ? resultset_value (mp, 0, 1) : NULL;
        char *list = xstrdup ("");
        for (size_t r = 0; r < resultset_rows (topics); r++) {
            char *next = xasprintf ("%s%s%s:%s",
                                    list,
                                    r ? "; " : "",
                                    resultset_value (topics, r, 0),
                                    resultset_value (topics, r, 1));
            free (list);
            list = next;
        }
        row[nc + 2] = list;
        resultset_t *flat = resultset_new (nc + 3, names, types);
        resultset_add_row (flat, row);
        render_write (flat, ctx->opts->format, ctx->out, NULL);
        resultset_destroy (&flat);
        free (list);
        free (names);
        free (types);
        free (row);
    } else {
        s_constituency_block (ctx, sum, mp);
        fputs ("\nTopics\n", ctx->out);
        render_table (topics, ctx->out, "(none yet)");
        fputs ("\nStakeholders\n", ctx->out);
        render_table (people, ctx->out, "(none yet)");
    }
    status = QUERY_EXIT_OK;
out:
    resultset_destroy (&sum);
    resultset_destroy (&topics);
    resultset_destroy (&people);
    resultset_destroy (&mp);
    return status;
}
