/* The `parley` command line: its table of options (query_options.c) drives getopt_long,
   --help and the defaults (common/options.h). Options may stand before or after the
   command (`parley --format csv regions` and `parley regions --format csv` are the same);
   the first operand is the command and the rest are its arguments. Which options a command
   accepts is the command table's business (commands.c), which reads the QOPT_* bits of
   the options given. */
#ifndef PARLEY_QUERY_OPTIONS_H
#define PARLEY_QUERY_OPTIONS_H
#include <stdio.h>

#include "options.h"
#include "parley.h"

/* Bits naming the options, so that a command can list the ones it takes. */
enum {
    QOPT_DB = 1u << 0,
    QOPT_FORMAT = 1u << 1,
    QOPT_REGION = 1u << 2,
    QOPT_STANCE = 1u << 3,
    QOPT_BY = 1u << 4,
    QOPT_HTML = 1u << 5,
    QOPT_LIMIT = 1u << 6,
    QOPT_FROM = 1u << 7, /* the period options (period.h) */
    QOPT_TO = 1u << 8,
    QOPT_WEEK = 1u << 9,
    QOPT_MONTH = 1u << 10,
    QOPT_QUARTER = 1u << 11,
};
#define QOPT_PERIOD (QOPT_FROM | QOPT_TO | QOPT_WEEK | QOPT_MONTH | QOPT_QUARTER)

typedef struct {
    const char *db;     /* --db CONNINFO; NULL: the libpq environment */
    int format;         /* --format: a render_format_t; RENDER_TABLE unless given */
    const char *region; /* --region R (gaps, constituencies) */
    const char *stance; /* --stance S (stakeholders) */
    const char *by;     /* --by DATE (target) */
    const char *html;   /* --html FILE (report) */
    long limit;         /* --limit N (topics, constituencies, stakeholders); 0: all */
    const char *from, *to, *week, *month, *quarter; /* the period (period.h), as given */
    unsigned given;                                 /* QOPT_* bits of the options given */
    const char *command;                            /* NULL if none was given */
    char **args; /* the command's arguments (borrowed from argv) */
    int nargs;
} query_options_t;

/* The table, for options_name and options_error. Its help_more is NULL: the list of
   commands is passed to query_options_parse, because the commands are built on these
   options and the options must not reach back into them. */
extern const options_spec_t query_options_spec;

/* Parses argv (reordering it, as getopt_long does) into opts, which borrows argv's
   strings. --help (with what help_more prints before the options: the commands) and
   --version print on out and answer OPTIONS_DONE; a bad command line prints one line on
   err and answers OPTIONS_BAD. opts holds nothing to free. */
options_result_t query_options_parse (query_options_t *opts,
                                      int argc,
                                      char **argv,
                                      void (*help_more) (FILE *out),
                                      FILE *out,
                                      FILE *err) PARLEY_MUST_CHECK;

#endif
