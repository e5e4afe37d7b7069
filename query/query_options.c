/* The `parley` command line (see query_options.h). */
#include "query_options.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

typedef struct {
    const char *name;
    int short_name; /* 0: long only */
    const char *arg; /* NULL: takes no argument */
    unsigned bit;
    const char *help;
} option_def_t;

/* The one table: getopt_long's options and --help are both made from it. */
static const option_def_t s_options[] = {
    {"db", 'd', "CONNINFO", QOPT_DB,
     "libpq connection string or URI (default: the libpq environment, PGHOST, PGDATABASE, PGSERVICE...)"},
    {"format", 'f', "FORMAT", QOPT_FORMAT, "table (default), csv (RFC 4180) or json (an array of objects)"},
    {"region", 0, "REGION", QOPT_REGION, "gaps: only this region (e.g. \"North West\", \"wales\")"},
    {"stance", 0, "STANCE", QOPT_STANCE,
     "stakeholders: latest stance opposed, sceptical, neutral, supportive, champion or unknown"},
    {"limit", 0, "N", QOPT_LIMIT, "topics, stakeholders: at most N rows"},
    {"by", 0, "DATE", QOPT_BY, "target: the deadline, YYYY-MM-DD"},
    {"html", 0, "FILE", QOPT_HTML, "report: write the HTML report to FILE"},
    {"help", 'h', NULL, 0, "show this help and exit"},
    {"version", 'V', NULL, 0, "show the version and exit"},
};
#define NOPTIONS (sizeof s_options / sizeof s_options[0])

const char *
query_options_name (unsigned bit)
{
    static char buf[NOPTIONS][24];
    for (size_t i = 0; i < NOPTIONS; i++)
        if (s_options[i].bit == bit) {
            snprintf (buf[i], sizeof buf[i], "--%s", s_options[i].name);
            return buf[i];
        }
    return "?";
}

void
query_options_help (FILE *out, query_help_fn *commands_help)
{
    fputs ("parley: the analytics team's view of Parley's counts.\n\n"
           "Usage: parley [--db CONNINFO] COMMAND [ARGUMENT...] [--format table|csv|json]\n\n"
           "Commands:\n", out);
    commands_help (out);
    fputs ("\nOptions:\n", out);
    for (size_t i = 0; i < NOPTIONS; i++) {
        char left[64];
        if (s_options[i].short_name)
            snprintf (left, sizeof left, "-%c, --%s%s%s", s_options[i].short_name, s_options[i].name,
                      s_options[i].arg ? " " : "", s_options[i].arg ? s_options[i].arg : "");
        else
            snprintf (left, sizeof left, "    --%s%s%s", s_options[i].name,
                      s_options[i].arg ? " " : "", s_options[i].arg ? s_options[i].arg : "");
        fprintf (out, "  %-22s %s\n", left, s_options[i].help);
    }
    fputs ("\nExit status: 0 on success, 1 on a runtime failure (database, unknown constituency),\n"
           "2 on bad usage.\n", out);
}

query_options_result_t
query_options_parse (int argc, char **argv, query_help_fn *commands_help, query_options_t *opts)
{
    memset (opts, 0, sizeof *opts);
    opts->format = RENDER_TABLE;

    struct option longopts[NOPTIONS + 1];
    char shortopts[2 * NOPTIONS + 2];
    char *s = shortopts;
    *s++ = ':'; /* report a missing argument as ':' rather than '?' */
    for (size_t i = 0; i < NOPTIONS; i++) {
        longopts[i].name = s_options[i].name;
        longopts[i].has_arg = s_options[i].arg ? required_argument : no_argument;
        longopts[i].flag = NULL;
        longopts[i].val = 256 + (int) i;
        if (s_options[i].short_name) {
            *s++ = (char) s_options[i].short_name;
            if (s_options[i].arg)
                *s++ = ':';
        }
    }
    *s = '\0';
    memset (&longopts[NOPTIONS], 0, sizeof longopts[NOPTIONS]);

    opterr = 0; /* our own one-line messages, not getopt's */
    optind = 1;
    int c;
    while ((c = getopt_long (argc, argv, shortopts, longopts, NULL)) != -1) {
        const option_def_t *def = NULL;
        if (c >= 256)
            def = &s_options[c - 256];
        else
            for (size_t i = 0; i < NOPTIONS; i++)
                if (s_options[i].short_name == c)
                    def = &s_options[i];
        if (c == '?' || c == ':') {
            const char *bad = argv[optind - 1];
            char shortname[3] = {'-', (char) optopt, '\0'};
            if (optopt && optopt < 256)
                bad = shortname;
            if (c == ':')
                fprintf (stderr, "parley: option %s needs an argument (try parley --help)\n", bad);
            else
                fprintf (stderr, "parley: unknown option %s (try parley --help)\n", bad);
            return QUERY_OPTIONS_BAD;
        }
        if (!def)
            return QUERY_OPTIONS_BAD;
        if (strcmp (def->name, "help") == 0) {
            query_options_help (stdout, commands_help);
            return QUERY_OPTIONS_DONE;
        }
        if (strcmp (def->name, "version") == 0) {
            printf ("parley %s\n", PARLEY_VERSION);
            return QUERY_OPTIONS_DONE;
        }
        opts->given |= def->bit;
        switch (def->bit) {
        case QOPT_DB:
            opts->db = optarg;
            break;
        case QOPT_FORMAT:
            if (render_parse_format (optarg, &opts->format) < 0) {
                fprintf (stderr, "parley: unknown format \"%s\" (use table, csv or json)\n", optarg);
                return QUERY_OPTIONS_BAD;
            }
            break;
        case QOPT_REGION:
            opts->region = optarg;
            break;
        case QOPT_STANCE:
            opts->stance = optarg;
            break;
        case QOPT_BY:
            opts->by = optarg;
            break;
        case QOPT_HTML:
            opts->html = optarg;
            break;
        case QOPT_LIMIT:
            if (number_parse (optarg, 1, LONG_MAX, &opts->limit) < 0) {
                fprintf (stderr, "parley: --limit wants a positive whole number, not \"%s\"\n", optarg);
                return QUERY_OPTIONS_BAD;
            }
            break;
        default:
            break;
        }
    }
    if (optind < argc) {
        opts->command = argv[optind];
        opts->args = argv + optind + 1;
        opts->nargs = argc - optind - 1;
    }
    return QUERY_OPTIONS_RUN;
}
