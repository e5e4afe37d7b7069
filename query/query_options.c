/* The `parley` command line (see query_options.h). */
#include "query_options.h"

#include <limits.h>

#include "render.h" /* render_format_names */

#define S_AT(member) OPTIONS_AT (query_options_t, member)

/* The strings accept the empty text, as they always have: what an empty one means is the
   command's to say (an empty --region matches no region, an empty --by is not a date). */
/* clang-format off */
static const options_def_t s_defs[] = {
    { .name = "db", .short_name = 'd', .arg = "CONNINFO", .type = OPTIONS_STRING, S_AT (db),
      .flags = OPTIONS_EMPTY_OK, .bit = QOPT_DB,
      .help = "libpq connection string or URI; without it, the libpq environment (PGHOST, "
              "PGDATABASE, PGSERVICE ...)" },
    { .name = "format", .short_name = 'f', .arg = "FORMAT", .type = OPTIONS_ENUM, S_AT (format),
      .choices = render_format_names, .def = "table", .bit = QOPT_FORMAT,
      .help = "how results are written: an aligned table for a terminal, RFC 4180 CSV, a "
              "JSON array of objects, or xlsx-csv: CSV for Excel (UTF-8 byte order mark, "
              "formula-like cells neutralised with a leading apostrophe, digit-only ids kept as "
              "text)" },
    { .name = "region", .arg = "REGION", .type = OPTIONS_STRING, S_AT (region),
      .flags = OPTIONS_EMPTY_OK, .bit = QOPT_REGION,
      .help = "gaps, constituencies: only this region (e.g. \"North West\", \"wales\")" },
    { .name = "stance", .arg = "STANCE", .type = OPTIONS_STRING, S_AT (stance),
      .flags = OPTIONS_EMPTY_OK, .bit = QOPT_STANCE,
      .help = "stakeholders: latest stance opposed, sceptical, neutral, supportive, champion "
              "or unknown" },
    { .name = "limit", .arg = "N", .type = OPTIONS_INT, S_AT (limit), .min = 1, .max = LONG_MAX,
      .bit = QOPT_LIMIT, .help = "topics, constituencies, stakeholders: at most N rows" },
    { .name = "by", .arg = "DATE", .type = OPTIONS_STRING, S_AT (by),
      .flags = OPTIONS_EMPTY_OK, .bit = QOPT_BY, .help = "target: the deadline, YYYY-MM-DD" },
    { .name = "from", .arg = "DATE", .type = OPTIONS_STRING, S_AT (from),
      .flags = OPTIONS_EMPTY_OK, .bit = QOPT_FROM,
      .help = "progress, regions, constituency, topics, associations: only conversations on or "
              "after DATE (YYYY-MM-DD)" },
    { .name = "to", .arg = "DATE", .type = OPTIONS_STRING, S_AT (to),
      .flags = OPTIONS_EMPTY_OK, .bit = QOPT_TO,
      .help = "the same commands: only conversations on or before DATE (YYYY-MM-DD, inclusive)" },
    { .name = "week", .arg = "WEEK", .type = OPTIONS_STRING, S_AT (week),
      .flags = OPTIONS_EMPTY_OK, .bit = QOPT_WEEK,
      .help = "the same commands: only the ISO week WEEK (e.g. 2026-W37, Monday to Sunday)" },
    { .name = "month", .arg = "MONTH", .type = OPTIONS_STRING, S_AT (month),
      .flags = OPTIONS_EMPTY_OK, .bit = QOPT_MONTH,
      .help = "the same commands: only the month MONTH (e.g. 2026-09)" },
    { .name = "quarter", .arg = "QUARTER", .type = OPTIONS_STRING, S_AT (quarter),
      .flags = OPTIONS_EMPTY_OK, .bit = QOPT_QUARTER,
      .help = "the same commands: only the quarter QUARTER (e.g. 2026Q3)" },
    { .name = "html", .arg = "FILE", .type = OPTIONS_STRING, S_AT (html),
      .flags = OPTIONS_EMPTY_OK, .bit = QOPT_HTML, .help = "report: write the HTML report to FILE" },
};
/* clang-format on */

const options_spec_t query_options_spec = {
    .program = "parley",
    OPTIONS_TABLE (s_defs),
    .size = sizeof (query_options_t),
    .given_at = OPTIONS_GIVEN_AT (query_options_t, given),
    .operands = "",
    .about = "parley: the analytics team's view of Parley's counts.",
    .usage = "parley [--db CONNINFO] COMMAND [ARGUMENT...] [--format table|csv|json|xlsx-csv]",
    .epilog = "Exit status: 0 on success, 1 on a runtime failure (database, unknown "
              "constituency),\n2 on bad usage. See docs/ANALYTICS.md.",
};

options_result_t
query_options_parse (query_options_t *opts,
                     int argc,
                     char **argv,
                     void (*help_more) (FILE *out),
                     FILE *out,
                     FILE *err)
{
    options_spec_t spec = query_options_spec;
    spec.help_more = help_more;
    int first;
    options_result_t r = options_parse (&spec, opts, argc, argv, out, err, &first);
    if (r == OPTIONS_RUN && first < argc) {
        opts->command = argv[first];
        opts->args = argv + first + 1;
        opts->nargs = argc - first - 1;
    }
    return r;
}
