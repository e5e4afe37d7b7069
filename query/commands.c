/* The `parley` subcommands (see commands.h). Every query reads the parley.* views and
   passes user text as parameters ($1…), never inside the SQL. */
#include "commands.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "constituency.h"
#include "db.h"
#include "fold.h"
#include "mem.h"
#include "mp_list.h"
#include "mp_store.h"
#include "query_db.h"
#include "render.h"
#include "report.h"
#include "rfc3339.h"
#include "number.h"

/* ---- the command table -------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *args;       /* for --help, after the name */
    int min_args, max_args;
    unsigned options;       /* QOPT_* bits it accepts besides --db */
    int writes;             /* runs in a read-write transaction when given arguments */
    int (*run) (command_ctx_t *ctx);
    const char *help;
} command_def_t;

static const command_def_t s_commands[] = {
    {"progress", "", 0, 0, QOPT_FORMAT, 0, cmd_progress,
     "conversations against the target, constituencies reached, MPs engaged, projection"},
    {"constituency", "CODE-OR-NAME", 1, 1, QOPT_FORMAT, 0, cmd_constituency,
     "one constituency: its figures, topics and stakeholders"},
    {"gaps", "[--region R]", 0, 0, QOPT_FORMAT | QOPT_REGION, 0, cmd_gaps,
     "constituencies with no conversation, and those whose MP has not been spoken to"},
    {"constituencies", "[--region R] [--limit N]", 0, 0, QOPT_FORMAT | QOPT_REGION | QOPT_LIMIT, 0,
     cmd_constituencies, "constituencies with the most conversations first"},
    {"regions", "", 0, 0, QOPT_FORMAT, 0, cmd_regions, "figures by region and nation"},
    {"topics", "[--limit N]", 0, 0, QOPT_FORMAT | QOPT_LIMIT, 0, cmd_topics,
     "topics across all constituencies, most discussed first"},
    {"associations", "", 0, 0, QOPT_FORMAT, 0, cmd_associations, "figures by housing association"},
    {"stakeholders", "[--stance S] [--limit N]", 0, 0, QOPT_FORMAT | QOPT_STANCE | QOPT_LIMIT, 0,
     cmd_stakeholders, "people spoken to, with their latest stance and the one before"},
    {"mismatches", "", 0, 0, QOPT_FORMAT, 0, cmd_mismatches,
     "conversations with role mp naming someone other than the sitting MP"},
    {"export", "VIEW", 1, 1, QOPT_FORMAT, 0, cmd_export, "a whole view as CSV (or --format json)"},
    {"target", "[N [--by YYYY-MM-DD]]", 0, 1, QOPT_FORMAT | QOPT_BY, 1, cmd_target,
     "show the target and deadline, or set them"},
    {"mps", "load FILE", 2, 2, 0, 1, cmd_mps, "replace the sitting MPs list from a CSV file"},
    {"report", "--html FILE", 0, 0, QOPT_HTML, 0, cmd_report,
     "write a self-contained HTML report with a hex map"},
};
#define NCOMMANDS (sizeof s_commands / sizeof s_commands[0])

void
commands_help (FILE *out)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char left[64];
        snprintf (left, sizeof left, "%s%s%s", s_commands[i].name, *s_commands[i].args ? " " : "",
                  s_commands[i].args);
        fprintf (out, "  %-34s %s\n", left, s_commands[i].help);
    }
}

int
commands_run (const query_options_t *opts)
{
    if (!opts->command) {
        fprintf (stderr, "parley: no command given (try parley --help)\n");
        return QUERY_EXIT_USAGE;
    }
    const command_def_t *def = NULL;
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp (s_commands[i].name, opts->command) == 0)
            def = &s_commands[i];
    if (!def) {
        fprintf (stderr, "parley: unknown command \"%s\" (try parley --help)\n", opts->command);
        return QUERY_EXIT_USAGE;
    }
    if (opts->nargs < def->min_args || opts->nargs > def->max_args) {
        if (opts->nargs > def->max_args)
            fprintf (stderr, "parley: too many arguments for %s: \"%s\" (usage: parley %s %s)\n", def->name,
                     opts->args[def->max_args], def->name, def->args);
        else
            fprintf (stderr, "parley: %s needs %s (usage: parley %s %s)\n", def->name, def->args, def->name,
                     def->args);
        return QUERY_EXIT_USAGE;
    }
    unsigned stray = opts->given & ~(def->options | QOPT_DB);
    if (stray) {
        options_error (&query_options_spec, stderr, "option --%s does not apply to %s",
                       options_name (&query_options_spec, stray & -stray), def->name);
        return QUERY_EXIT_USAGE;
    }
    if (def->run == cmd_report && !opts->html) {
        fprintf (stderr, "parley: report needs --html FILE\n");
        return QUERY_EXIT_USAGE;
    }
    if (def->run == cmd_mps && strcmp (opts->args[0], "load") != 0) {
        fprintf (stderr, "parley: unknown mps command \"%s\" (usage: parley mps load FILE)\n", opts->args[0]);
        return QUERY_EXIT_USAGE;
    }
    if (opts->by && opts->nargs == 0) {
        fprintf (stderr, "parley: --by needs a target too (usage: parley target N --by YYYY-MM-DD)\n");
        return QUERY_EXIT_USAGE;
    }

    PGconn *conn = query_db_connect (opts->db);
    if (!conn)
        return QUERY_EXIT_FAIL;
    int status = QUERY_EXIT_FAIL;
    int writes = def->writes && opts->nargs > 0;
    if (query_db_begin (conn, writes) == 0) {
        command_ctx_t ctx = {.opts = opts, .conn = conn, .out = stdout};
        status = def->run (&ctx);
        /* Read-only transactions are committed too, ending the snapshot cleanly; a failed
           command's transaction is rolled back by PQfinish, so a half-done change never
           lands. */
        if (status == QUERY_EXIT_OK && query_db_commit (conn) != 0)
            status = QUERY_EXIT_FAIL;
    }
    PQfinish (conn);
    if (fflush (stdout) != 0 || ferror (stdout)) {
        fprintf (stderr, "parley: could not write the output: %s\n", strerror (errno));
        status = QUERY_EXIT_FAIL;
    }
    return status;
}

/* ---- small helpers ------------------------------------------------------------------ */

const char *
commands_stance_word (int stance)
{
    static const char *const words[] = {"opposed", "sceptical", "neutral", "supportive", "champion"};
    return stance >= -2 && stance <= 2 ? words[stance + 2] : NULL;
}

static int
s_parse_stance (const char *text, int *stance, int *unknown)
{
    *unknown = 0;
    for (int s = -2; s <= 2; s++)
        if (strcasecmp (text, commands_stance_word (s)) == 0) {
            *stance = s;
            return 0;
        }
    if (strcasecmp (text, "unknown") == 0) {
        *unknown = 1;
        return 0;
    }
    return number_parse_int (text, -2, 2, stance);
}

/* A stance as a word, in SQL, for tables (CSV and JSON carry the numbers). */
#define STANCE_WORD_SQL(col) \
    "CASE " col " WHEN -2 THEN 'opposed' WHEN -1 THEN 'sceptical' WHEN 0 THEN 'neutral'" \
    " WHEN 1 THEN 'supportive' WHEN 2 THEN 'champion' END"
/* The latest stance as a word, with an arrow when it differs from the one before (a
   change of mind shows in a narrow table). */
#define STANCE_CHANGE_SQL \
    STANCE_WORD_SQL ("latest_stance") \
    " || CASE WHEN latest_stance > previous_stance THEN ' \u2191'" \
    " WHEN latest_stance < previous_stance THEN ' \u2193' ELSE '' END"
/* Short role names for tables. */
#define ROLE_SHORT_SQL \
    "CASE role WHEN 'mp' THEN 'MP' WHEN 'councillor' THEN 'Cllr' WHEN 'peer' THEN 'Peer'" \
    " WHEN 'mayor' THEN 'Mayor' WHEN 'official' THEN 'Official' WHEN 'opinion_former' THEN 'Opinion'" \
    " ELSE role END"

static void
s_label (resultset_t *rs, const char *column, const char *label)
{
    int c = resultset_find (rs, column);
    if (c >= 0)
        resultset_set_label (rs, (size_t) c, label);
}

static void
s_hide (resultset_t *rs, const char *column)
{
    int c = resultset_find (rs, column);
    if (c >= 0)
        resultset_hide_in_table (rs, (size_t) c);
}

static void
s_table_only (resultset_t *rs, const char *column)
{
    int c = resultset_find (rs, column);
    if (c >= 0)
        resultset_table_only (rs, (size_t) c);
}

static void
s_min_width (resultset_t *rs, const char *column, size_t width)
{
    int c = resultset_find (rs, column);
    if (c >= 0)
        resultset_set_min_width (rs, (size_t) c, width);
}

static char *
s_limit_text (const query_options_t *opts)
{
    return opts->limit > 0 ? xasprintf ("%ld", opts->limit) : NULL;
}

/* ---- constituency look-up ----------------------------------------------------------- */

size_t
commands_suggest_constituencies (const char *text, const char **names, size_t max)
{
    const constituency_t *found[8];
    if (max > 8)
        max = 8;
    size_t n = constituency_suggest (text, found, max);
    for (size_t i = 0; i < n; i++)
        names[i] = found[i]->name;
    return n;
}

/* Finds the constituency, or prints the one-line error with suggestions. */
static const constituency_t *
s_find_constituency (const char *text)
{
    const constituency_t *c = constituency_by_code (text);
    if (!c)
        c = constituency_by_name (text);
    if (c)
        return c;
    const char *names[5];
    size_t n = commands_suggest_constituencies (text, names, 5);
    if (n == 0) {
        query_error ("no constituency matches \"%s\" (give a GSS code such as E14001063 or an official name)",
                     text);
        return NULL;
    }
    char *list = xstrdup ("");
    for (size_t i = 0; i < n; i++) {
        char *next = xasprintf ("%s%s\"%s\"", list, i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
        free (list);
        list = next;
    }
    query_error ("no constituency matches \"%s\"; did you mean %s?", text, list);
    free (list);
    return NULL;
}

/* ---- progress ----------------------------------------------------------------------- */

int
cmd_progress (command_ctx_t *ctx)
{
    resultset_t *rs = query_db_resultset (ctx->conn,
        "SELECT p.conversations, p.target,"
        "       round(100.0 * p.conversations / NULLIF(p.target, 0), 1) AS percent_of_target,"
        "       p.constituencies_reached,"
        "       (SELECT count(*) FROM parley.constituency_summary) AS constituencies,"
        "       p.mps_engaged, t.deadline,"
        "       (SELECT w.projected_at_deadline FROM parley.weekly_progress w"
        "         ORDER BY w.week_start DESC LIMIT 1) AS projected_at_deadline"
        "  FROM parley.progress p CROSS JOIN parley.campaign_target t", 0, NULL);
    if (!rs)
        return QUERY_EXIT_FAIL;
    if (ctx->opts->format != RENDER_TABLE || resultset_rows (rs) != 1) {
        render_write (rs, ctx->opts->format, ctx->out, "No progress row (is the schema complete?).");
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
        {"Conversations", conv, target},
        {"Constituencies reached", reached, seats},
        {"MPs engaged", mps, seats},
    };
    /* 22 + 2 + 9 + 2 + 9 + 2 + 6 + 2 + 26 = 80 columns. */
    fprintf (ctx->out, "%-22s  %9s  %9s  %6s  %s\n", "", "count", "of", "share", "");
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        double share = lines[i].of > 0 ? (double) lines[i].n / (double) lines[i].of : 0.0;
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
        fprintf (ctx->out, "At the pace so far: about %s by the deadline (%s).\n", pt,
                 p >= target ? "target met" : "short of the target");
        free (pt);
    } else {
        fprintf (ctx->out, "No conversations yet, so no projection.\n");
    }
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

/* ---- constituency ------------------------------------------------------------------- */

static void
s_constituency_block (command_ctx_t *ctx, const resultset_t *sum, const resultset_t *mp)
{
    FILE *out = ctx->out;
#define V(name) (resultset_find (sum, name) >= 0 && resultset_value (sum, 0, (size_t) resultset_find (sum, name)) \
                     ? resultset_value (sum, 0, (size_t) resultset_find (sum, name)) : "")
    fprintf (out, "%s (%s)\n", V ("constituency_name"), V ("constituency_code"));
    fprintf (out, "%s, %s", V ("region"), V ("country"));
    if (mp && resultset_rows (mp) == 1)
        fprintf (out, "; MP: %s (%s)", resultset_value (mp, 0, 0) ? resultset_value (mp, 0, 0) : "",
                 resultset_value (mp, 0, 1) ? resultset_value (mp, 0, 1) : "no party");
    fputs ("\n\n", out);
    fprintf (out, "%-16s%s\n", "Conversations", V ("conversations"));
    fprintf (out, "%-16smp %s, councillor %s, peer %s, mayor %s, official %s,\n%-16sopinion former %s\n",
             "  by role", V ("mp_conversations"), V ("councillor_conversations"), V ("peer_conversations"),
             V ("mayor_conversations"), V ("official_conversations"), "", V ("opinion_former_conversations"));
    fprintf (out, "%-16s%s\n", "Associations", V ("associations"));
    fprintf (out, "%-16sopposed %s, sceptical %s, neutral %s, supportive %s,\n%-16schampion %s, unknown %s",
             "Stances", V ("stance_opposed"), V ("stance_sceptical"), V ("stance_neutral"),
             V ("stance_supportive"), "", V ("stance_champion"), V ("stance_unknown"));
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

int
cmd_constituency (command_ctx_t *ctx)
{
    const constituency_t *c = s_find_constituency (ctx->opts->args[0]);
    if (!c)
        return QUERY_EXIT_FAIL;
    const char *params[] = {c->code};
    int status = QUERY_EXIT_FAIL;
    resultset_t *sum = NULL, *topics = NULL, *people = NULL, *mp = NULL;
    sum = query_db_resultset (ctx->conn, "SELECT * FROM parley.constituency_summary WHERE constituency_code = $1",
                              1, params);
    if (!sum)
        goto out;
    if (resultset_rows (sum) != 1) {
        query_error ("constituency %s is missing from parley.constituency_summary", c->code);
        goto out;
    }
    topics = query_db_resultset (ctx->conn,
        "SELECT topic, conversations FROM parley.constituency_topics"
        " WHERE constituency_code = $1 AND conversations > 0 ORDER BY conversations DESC, topic", 1, params);
    if (!topics)
        goto out;
    const char *people_sql =
        "SELECT " ROLE_SHORT_SQL " AS role_short, role, name, person_key, conversations, associations,"
        "       latest_stance, previous_stance, " STANCE_CHANGE_SQL " AS stance_text,"
        "       last_on, open_follow_ups"
        "  FROM parley.stakeholder_summary WHERE constituency_code = $1"
        " ORDER BY conversations DESC, last_on DESC, name";
    people = query_db_resultset (ctx->conn, people_sql, 1, params);
    if (!people)
        goto out;
    mp = query_db_resultset (ctx->conn, "SELECT mp_name, party, since FROM parley.sitting_mps"
                                        " WHERE constituency_code = $1", 1, params);
    if (!mp)
        goto out;

    if (ctx->opts->format == RENDER_JSON) {
        json_t *obj = render_json_row (sum, 0);
        json_object_set_new (obj, "sitting_mp",
                             resultset_rows (mp) == 1 ? render_json_row (mp, 0) : json_null ());
        json_object_set_new (obj, "topics", render_json_rows (topics));
        s_table_only (people, "role_short");
        s_table_only (people, "stance_text");
        json_object_set_new (obj, "stakeholders", render_json_rows (people));
        json_t *arr = json_array ();
        json_array_append_new (arr, obj);
        render_json_dump (arr, ctx->out);
        json_decref (arr);
    } else if (ctx->opts->format == RENDER_CSV) {
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
            char *next = xasprintf ("%s%s%s:%s", list, r ? "; " : "", resultset_value (topics, r, 0),
                                    resultset_value (topics, r, 1));
            free (list);
            list = next;
        }
        row[nc + 2] = list;
        resultset_t *flat = resultset_new (nc + 3, names, types);
        resultset_add_row (flat, row);
        render_csv (flat, ctx->out);
        resultset_destroy (&flat);
        free (list);
        free (names);
        free (types);
        free (row);
    } else {
        s_constituency_block (ctx, sum, mp);
        fputs ("\nTopics\n", ctx->out);
        s_label (topics, "topic", "Topic");
        s_label (topics, "conversations", "Conversations");
        render_table (topics, ctx->out, "(none yet)");
        fputs ("\nStakeholders\n", ctx->out);
        s_table_only (people, "role_short");
        s_table_only (people, "stance_text");
        s_hide (people, "role");
        s_hide (people, "person_key");
        s_hide (people, "latest_stance");
        s_hide (people, "previous_stance");
        s_label (people, "role_short", "Role");
        s_label (people, "name", "Name");
        s_min_width (people, "name", 20);
        s_label (people, "conversations", "Conv.");
        s_label (people, "associations", "Assoc");
        s_label (people, "stance_text", "Stance");
        s_label (people, "last_on", "Last");
        s_label (people, "open_follow_ups", "F-up");
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

/* ---- gaps --------------------------------------------------------------------------- */

/* Resolves --region against the regions the database knows: a folded match, or a prefix
   of exactly one ("yorkshire"). Prints the error and returns NULL if none. Caller owns. */
static char *
s_find_region (command_ctx_t *ctx, const char *text)
{
    resultset_t *rs = query_db_resultset (ctx->conn, "SELECT region FROM parley.region_summary ORDER BY region",
                                          0, NULL);
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
        query_error ("no region matches \"%s\"%s (regions: %s)", text,
                     prefix_hits > 1 ? " uniquely" : "", list);
        free (list);
    }
    free (want);
    resultset_destroy (&rs);
    return found;
}

/* One section of a region in the table rendering: its rows of one kind of gap. */
static void
s_gap_section (FILE *out, const resultset_t *rs, size_t from, size_t to, const char *kind, const char *title)
{
    const char *names[] = {"code", "constituency", "mp"};
    const column_type_t types[] = {COLUMN_TEXT, COLUMN_TEXT, COLUMN_TEXT};
    resultset_t *t = resultset_new (3, names, types);
    resultset_set_label (t, 0, "Code");
    resultset_set_label (t, 1, "Constituency");
    resultset_set_label (t, 2, "Sitting MP");
    resultset_set_min_width (t, 1, 40); /* names are the point of the list: cut the MP first */
    for (size_t r = from; r < to; r++) {
        if (strcmp (resultset_value (rs, r, 3), kind) != 0)
            continue;
        const char *mp = resultset_value (rs, r, 5), *party = resultset_value (rs, r, 6);
        char *who = mp ? (party ? xasprintf ("%s (%s)", mp, party) : xstrdup (mp)) : xstrdup ("(none listed)");
        const char *row[] = {resultset_value (rs, r, 1), resultset_value (rs, r, 2), who};
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
    const char *params[] = {region};
    resultset_t *rs = query_db_resultset (ctx->conn,
        "SELECT s.region, s.constituency_code, s.constituency_name,"
        "       CASE WHEN s.conversations = 0 THEN 'no_conversation' ELSE 'mp_not_spoken_to' END AS gap,"
        "       s.conversations, m.mp_name, m.party AS mp_party"
        "  FROM parley.constituency_summary s"
        "  LEFT JOIN parley.sitting_mps m ON m.constituency_code = s.constituency_code"
        " WHERE s.mp_conversations = 0 AND ($1::text IS NULL OR s.region = $1)"
        " ORDER BY s.region, s.conversations > 0, s.constituency_name", 1, params);
    free (region);
    if (!rs)
        return QUERY_EXIT_FAIL;
    if (ctx->opts->format != RENDER_TABLE) {
        render_write (rs, ctx->opts->format, ctx->out, NULL);
        resultset_destroy (&rs);
        return QUERY_EXIT_OK;
    }
    if (resultset_rows (rs) == 0)
        fprintf (ctx->out, "No gaps: every constituency%s has had a conversation with its MP.\n",
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
        s_gap_section (ctx->out, rs, from, to, "mp_not_spoken_to", "Conversations, but the MP not yet spoken to");
        from = to;
    }
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

/* ---- listings ----------------------------------------------------------------------- */

int
cmd_constituencies (command_ctx_t *ctx)
{
    char *region = NULL;
    if (ctx->opts->region && !(region = s_find_region (ctx, ctx->opts->region)))
        return QUERY_EXIT_FAIL;
    char *limit = s_limit_text (ctx->opts);
    const char *params[] = {region, limit};
    resultset_t *rs = query_db_resultset (ctx->conn,
        "SELECT constituency_code, constituency_name, region, conversations, mp_conversations, associations,"
        "       round(mean_stance, 2) AS mean_stance, follow_ups, last_on"
        "  FROM parley.constituency_summary"
        " WHERE $1::text IS NULL OR region = $1"
        " ORDER BY conversations DESC, constituency_name LIMIT $2::bigint", 2, params);
    free (region);
    free (limit);
    if (!rs)
        return QUERY_EXIT_FAIL;
    s_label (rs, "constituency_code", "Code");
    s_label (rs, "constituency_name", "Constituency");
    s_min_width (rs, "constituency_name", 24);
    s_hide (rs, "region");
    s_hide (rs, "follow_ups");
    s_label (rs, "conversations", "Conv.");
    s_label (rs, "mp_conversations", "MP");
    s_label (rs, "associations", "Assoc");
    s_label (rs, "mean_stance", "Stance");
    s_label (rs, "last_on", "Last");
    render_write (rs, ctx->opts->format, ctx->out, "No constituencies match.");
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

int
cmd_regions (command_ctx_t *ctx)
{
    resultset_t *rs = query_db_resultset (ctx->conn,
        "SELECT region, country, constituencies, constituencies_reached, mps_engaged, conversations"
        "  FROM parley.region_summary ORDER BY country, region", 0, NULL);
    if (!rs)
        return QUERY_EXIT_FAIL;
    s_label (rs, "region", "Region");
    s_hide (rs, "country"); /* the region says it: a nation outside England is its own region */
    s_label (rs, "constituencies", "Seats");
    s_label (rs, "constituencies_reached", "Reached");
    s_label (rs, "mps_engaged", "MPs engaged");
    s_label (rs, "conversations", "Conversations");
    render_write (rs, ctx->opts->format, ctx->out, "No regions.");
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

int
cmd_topics (command_ctx_t *ctx)
{
    char *limit = s_limit_text (ctx->opts);
    const char *params[] = {limit};
    resultset_t *rs = query_db_resultset (ctx->conn,
        "SELECT topic, sum(conversations)::bigint AS conversations, count(*) AS constituencies"
        "  FROM parley.constituency_topics WHERE conversations > 0"
        " GROUP BY topic ORDER BY 2 DESC, topic LIMIT $1::bigint", 1, params);
    free (limit);
    if (!rs)
        return QUERY_EXIT_FAIL;
    s_label (rs, "topic", "Topic");
    s_label (rs, "conversations", "Conversations");
    s_label (rs, "constituencies", "Constituencies");
    render_write (rs, ctx->opts->format, ctx->out, "No topics yet.");
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

int
cmd_associations (command_ctx_t *ctx)
{
    resultset_t *rs = query_db_resultset (ctx->conn,
        "SELECT association_id, association_name, conversations, constituencies_reached, mps_spoken_to,"
        "       first_on, last_on"
        "  FROM parley.association_summary ORDER BY conversations DESC, association_id", 0, NULL);
    if (!rs)
        return QUERY_EXIT_FAIL;
    s_label (rs, "association_id", "Association");
    s_min_width (rs, "association_id", 32); /* ids are at most 32 characters: never cut one */
    s_label (rs, "association_name", "Name");
    s_label (rs, "conversations", "Conv.");
    s_label (rs, "constituencies_reached", "Reached");
    s_label (rs, "mps_spoken_to", "MPs");
    s_label (rs, "first_on", "First");
    s_label (rs, "last_on", "Last");
    render_write (rs, ctx->opts->format, ctx->out, "No associations yet.");
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

int
cmd_stakeholders (command_ctx_t *ctx)
{
    int stance = 0, unknown = 0;
    char *stance_text = NULL;
    if (ctx->opts->stance) {
        if (s_parse_stance (ctx->opts->stance, &stance, &unknown) < 0) {
            fprintf (stderr, "parley: unknown stance \"%s\" (use opposed, sceptical, neutral, supportive, "
                             "champion, unknown or -2..2)\n", ctx->opts->stance);
            return QUERY_EXIT_USAGE;
        }
        if (!unknown)
            stance_text = xasprintf ("%d", stance);
    }
    char *limit = s_limit_text (ctx->opts);
    const char *params[] = {ctx->opts->stance ? "1" : NULL, stance_text, limit};
    const char *sql =
        "SELECT constituency_code, constituency_name, " ROLE_SHORT_SQL " AS role_short, role, name, person_key,"
        "       conversations, associations, latest_stance, previous_stance,"
        "       " STANCE_CHANGE_SQL " AS stance_text, last_on, open_follow_ups"
        "  FROM parley.stakeholder_summary"
        " WHERE $1::text IS NULL OR latest_stance IS NOT DISTINCT FROM $2::smallint"
        " ORDER BY conversations DESC, last_on DESC, constituency_name, name LIMIT $3::bigint";
    resultset_t *rs = query_db_resultset (ctx->conn, sql, 3, params);
    free (limit);
    free (stance_text);
    if (!rs)
        return QUERY_EXIT_FAIL;
    s_table_only (rs, "role_short");
    s_table_only (rs, "stance_text");
    s_hide (rs, "constituency_code");
    s_hide (rs, "role");
    s_hide (rs, "person_key");
    s_hide (rs, "latest_stance");
    s_hide (rs, "previous_stance");
    s_hide (rs, "associations");
    s_hide (rs, "open_follow_ups");
    s_label (rs, "name", "Name");
    s_min_width (rs, "name", 18);
    s_label (rs, "role_short", "Role");
    s_label (rs, "constituency_name", "Constituency");
    s_min_width (rs, "constituency_name", 16);
    s_label (rs, "conversations", "Conv.");
    s_label (rs, "stance_text", "Stance");
    s_label (rs, "last_on", "Last");
    render_write (rs, ctx->opts->format, ctx->out, "No stakeholders match.");
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

int
cmd_mismatches (command_ctx_t *ctx)
{
    resultset_t *rs = query_db_resultset (ctx->conn,
        "SELECT constituency_code, constituency_name, name, person_key, conversations, association_ids,"
        "       first_on, last_on, sitting_mp, sitting_mp_party"
        "  FROM parley.mp_mismatches ORDER BY constituency_name, person_key", 0, NULL);
    if (!rs)
        return QUERY_EXIT_FAIL;
    s_hide (rs, "constituency_code");
    s_hide (rs, "person_key");
    s_hide (rs, "association_ids");
    s_hide (rs, "first_on");
    s_hide (rs, "sitting_mp_party");
    s_label (rs, "constituency_name", "Constituency");
    s_label (rs, "name", "Named as MP");
    s_label (rs, "conversations", "Conv.");
    s_label (rs, "last_on", "Last");
    s_label (rs, "sitting_mp", "Sitting MP");
    render_write (rs, ctx->opts->format, ctx->out, "No mismatches: every MP named is the sitting MP.");
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

/* ---- export ------------------------------------------------------------------------- */

/* The views `export` may name, each with a fixed order. Only these strings reach SQL. */
static const struct {
    const char *name;
    const char *sql;
} s_exports[] = {
    {"constituency_summary", "SELECT * FROM parley.constituency_summary ORDER BY constituency_code"},
    {"constituency_topics", "SELECT * FROM parley.constituency_topics ORDER BY constituency_code, topic"},
    {"region_summary", "SELECT * FROM parley.region_summary ORDER BY country, region"},
    {"progress", "SELECT * FROM parley.progress"},
    {"weekly_progress", "SELECT * FROM parley.weekly_progress ORDER BY week_start"},
    {"association_summary", "SELECT * FROM parley.association_summary ORDER BY association_id"},
    {"stakeholder_summary",
     "SELECT * FROM parley.stakeholder_summary ORDER BY constituency_code, role, person_key"},
    {"mp_mismatches", "SELECT * FROM parley.mp_mismatches ORDER BY constituency_code, person_key"},
    {"sitting_mps", "SELECT * FROM parley.sitting_mps ORDER BY constituency_code"},
    {"campaign_target", "SELECT * FROM parley.campaign_target"},
};
#define NEXPORTS (sizeof s_exports / sizeof s_exports[0])

/* Streams CSV row by row, so a view of a million rows never sits in memory at once. */
static int
s_export_csv_stream (command_ctx_t *ctx, const char *sql)
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
                render_csv_pg_header (res, ctx->out);
                header = 1;
            }
            render_csv_pg_rows (res, ctx->out);
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
        fprintf (stderr, "parley: no view \"%s\" to export (views: %s)\n", ctx->opts->args[0], list);
        free (list);
        return QUERY_EXIT_USAGE;
    }
    /* CSV unless another format was asked for explicitly. */
    if (!(ctx->opts->given & QOPT_FORMAT) || ctx->opts->format == RENDER_CSV)
        return s_export_csv_stream (ctx, sql);
    resultset_t *rs = query_db_resultset (ctx->conn, sql, 0, NULL);
    if (!rs)
        return QUERY_EXIT_FAIL;
    render_write (rs, ctx->opts->format, ctx->out, "(no rows)");
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

/* ---- target ------------------------------------------------------------------------- */

int
cmd_target (command_ctx_t *ctx)
{
    if (ctx->opts->nargs == 1) {
        const char *text = ctx->opts->args[0];
        long n;
        if (number_parse (text, 1, 100000000, &n) != 0) {
            fprintf (stderr, "parley: the target must be a positive whole number, not \"%s\"\n", text);
            return QUERY_EXIT_USAGE;
        }
        const char *by = ctx->opts->by;
        int32_t days;
        rfc3339_status_t date = by ? rfc3339_parse_date (by, strlen (by), &days) : RFC3339_OK;
        if (date != RFC3339_OK) {
            options_error (&query_options_spec, stderr, "invalid --by \"%s\"%s (expected a date as YYYY-MM-DD)",
                           by, date == RFC3339_BAD_DATE ? ": no such day" : "");
            return QUERY_EXIT_USAGE;
        }
        const char *params[] = {text, ctx->opts->by};
        if (query_db_exec (ctx->conn, "SELECT parley.set_target($1::integer, $2::date)", 2, params) < 0)
            return QUERY_EXIT_FAIL;
    }
    resultset_t *rs = query_db_resultset (ctx->conn, "SELECT target, deadline FROM parley.campaign_target", 0, NULL);
    if (!rs)
        return QUERY_EXIT_FAIL;
    if (ctx->opts->format == RENDER_TABLE && resultset_rows (rs) == 1) {
        char *t = render_thousands (resultset_int (rs, 0, 0));
        fprintf (ctx->out, "%s: %s conversations by %s\n", ctx->opts->nargs ? "Target set" : "Target", t,
                 resultset_value (rs, 0, 1) ? resultset_value (rs, 0, 1) : "(no deadline)");
        free (t);
    } else {
        render_write (rs, ctx->opts->format, ctx->out, NULL);
    }
    resultset_destroy (&rs);
    return QUERY_EXIT_OK;
}

/* ---- mps load ----------------------------------------------------------------------- */

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
        query_error ("%s: %d bad row%s; the MP list was not changed", path, nbad, nbad == 1 ? "" : "s");
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

/* ---- report ------------------------------------------------------------------------- */

int
cmd_report (command_ctx_t *ctx)
{
    const char *path = ctx->opts->html;
    /* Written beside the target and renamed into place, so a failed run never leaves a
       half-written report where the last good one was. */
    char *tmp = xasprintf ("%s.tmp.%ld", path, (long) getpid ());
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
