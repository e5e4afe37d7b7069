/* The `parley` command line: one option table drives getopt_long and --help. Options may
   stand before or after the command (`parley --format csv regions` and
   `parley regions --format csv` are the same); each command says which it accepts. */
#ifndef PARLEY_QUERY_OPTIONS_H
#define PARLEY_QUERY_OPTIONS_H
#include <stdio.h>
#include "parley.h"
#include "render.h"

/* Bits naming the options, so that a command can list the ones it takes. */
enum {
    QOPT_DB = 1u << 0,
    QOPT_FORMAT = 1u << 1,
    QOPT_REGION = 1u << 2,
    QOPT_STANCE = 1u << 3,
    QOPT_BY = 1u << 4,
    QOPT_HTML = 1u << 5,
    QOPT_LIMIT = 1u << 6,
};

typedef struct {
    const char *db;         /* --db CONNINFO; NULL: the libpq environment */
    render_format_t format; /* --format; RENDER_TABLE unless given */
    const char *region;     /* --region R (gaps) */
    const char *stance;     /* --stance S (stakeholders) */
    const char *by;         /* --by DATE (target) */
    const char *html;       /* --html FILE (report) */
    long limit;             /* --limit N (topics, stakeholders); 0: all */
    unsigned given;         /* QOPT_* bits of the options given */
    const char *command;    /* NULL if none was given */
    char **args;            /* the command's arguments (borrowed from argv) */
    int nargs;
} query_options_t;

typedef enum {
    QUERY_OPTIONS_RUN,  /* parsed: run opts->command */
    QUERY_OPTIONS_DONE, /* --help or --version printed: exit 0 */
    QUERY_OPTIONS_BAD,  /* one-line error printed: exit 2 */
} query_options_result_t;

/* Prints the command list of --help. The caller passes it in (commands_help, from
   commands.h): the commands are built on these options, so the options must not reach
   back into the commands. */
typedef void (query_help_fn) (FILE *out);

/* Parses argv (reordering it, as getopt_long does). Prints --help (with commands_help's
   list) and --version output on stdout and errors on stderr. */
query_options_result_t query_options_parse (int argc, char **argv, query_help_fn *commands_help,
                                            query_options_t *opts);

/* The option's spelling, e.g. "--region", for messages. */
const char *query_options_name (unsigned bit);

/* Prints the usage text, with commands_help's list of commands. */
void query_options_help (FILE *out, query_help_fn *commands_help);

#endif
