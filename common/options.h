/* options: one declarative table per program drives its command line (getopt_long), its
   --help text, its defaults and (with the INI files of issue 11) its config-file keys, so
   that none of them can disagree with another (pgbouncer's CF_ABS table, redis's
   config.c, fluent-bit's config maps).

   A program declares its options struct, a table of options_def_t rows (one per option:
   long name, which is also the config-file key; short letter; argument name; type; where
   the value goes, as offsetof into the struct; default as text; help text; flags) and an
   options_spec_t naming the program and its --help prose. options_parse then

     1. zeroes the struct and applies every row's default, through the same parser as a
        value given on the command line, so a default is written once, as text;
     2. parses argv with getopt_long (options may stand before, between or after the
        operands, as GNU programs allow), checking each value as it is read;
     3. checks that every required option was given;

   and answers OPTIONS_RUN, OPTIONS_DONE (--help or --version printed) or OPTIONS_BAD (one
   line on err naming the argument and what is accepted). -h/--help and -V/--version are
   built in: a table does not list them. Checks that involve several options (e.g. "--bind
   is required unless --migrate-only") stay with the program, which reports them through
   options_error so that every usage error has the same shape.

   Values: strings (and the items of a repeatable option's list) are borrowed from argv
   (or from the default text); a repeatable option's list is owned by the struct and freed
   by options_fini. */
#ifndef PARLEY_OPTIONS_H
#define PARLEY_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "parley.h"

/* What options_parse found. The sign agrees with the rest of the tree: 0 is "go on",
   negative is failure. */
typedef enum {
    OPTIONS_RUN = 0,  /* parsed: run the program */
    OPTIONS_DONE = 1, /* --help or --version printed on out: exit 0 */
    OPTIONS_BAD = -1, /* one line printed on err: exit 2 */
} options_result_t;

/* The type of a row's value, and so of the struct member it writes. */
typedef enum {
    OPTIONS_FLAG,    /* bool. Takes no argument on the command line (it sets true); as text
                        (a default, a config file) true/false, yes/no, on/off or 1/0 */
    OPTIONS_INT,     /* int (or long), a whole number in [min, max] */
    OPTIONS_SIZE,    /* uint64_t bytes: 512, 64K, 10M, 1G, 1T (powers of 1024), >= min */
    OPTIONS_STRING,  /* const char *, not empty unless OPTIONS_EMPTY_OK */
    OPTIONS_ENUM,    /* int: the index in choices (a NULL-terminated list) of the value */
    OPTIONS_CONNECT, /* const char *: an endpoint to connect to (endpoint.h) */
    OPTIONS_BIND,    /* const char *: an endpoint to bind (host and port may be *) */
} options_type_t;

/* The C type of the member a row writes, as OPTIONS_AT finds it: options_parse refuses a
   table whose row would write a member of another type than its own. */
typedef enum {
    OPTIONS_C_OTHER, /* none of those below: always refused */
    OPTIONS_C_BOOL,
    OPTIONS_C_INT,
    OPTIONS_C_LONG, /* OPTIONS_INT only */
    OPTIONS_C_U64,
    OPTIONS_C_STRING, /* const char * */
    OPTIONS_C_LIST,   /* options_list_t */
} options_ctype_t;

/* Row flags. */
enum {
    OPTIONS_REQUIRED = 1u << 0,    /* must be given */
    OPTIONS_REPEATABLE = 1u << 1,  /* each value is checked by type and appended to an
                                      options_list_t member, in the order given; max (if
                                      not 0) bounds how many */
    OPTIONS_RELOADABLE = 1u << 2,  /* may change on SIGHUP without a restart (issue 11) */
    OPTIONS_CLI_ONLY = 1u << 3,    /* a command-line flag only, never a config-file key */
    OPTIONS_EMPTY_OK = 1u << 4,    /* OPTIONS_STRING: the empty text is a value */
    OPTIONS_CONFIG_PATH = 1u << 5, /* OPTIONS_STRING, with OPTIONS_CLI_ONLY: the config file
                                      to read (spec.config_load) before the command line */
};

/* A repeatable option's values. items is owned by the options struct (options_fini frees
   it); the strings are borrowed. */
typedef struct {
    const char **items;
    size_t count;
} options_list_t;

/* One option. Fields not used by a type are left zero. */
typedef struct {
    const char *name; /* long name without "--"; also the config-file key */
    char short_name;  /* 0: long only ('h' and 'V' are taken by --help, --version) */
    const char *arg;  /* the argument in --help ("N", "DIR"); NULL for a flag */
    options_type_t type;
    size_t offset;              /* where the value goes, and its C type: OPTIONS_AT (type, */
    options_ctype_t ctype;      /* member) sets both */
    const char *def;            /* the default as text, parsed like a given value; NULL:
                                   none (the member stays zero: false, 0, NULL, empty) */
    const char *help;           /* what it does; --help adds the range, choices, default,
                                   and whether it is required or repeatable */
    unsigned flags;             /* OPTIONS_REQUIRED ... */
    long min, max;              /* OPTIONS_INT: the range. OPTIONS_SIZE: min is the least
                                   size. OPTIONS_REPEATABLE: max is the most values (0: any) */
    const char *const *choices; /* OPTIONS_ENUM: the accepted texts, NULL-terminated */
    unsigned bit;               /* when given, or'ed into the spec's given member (0: none),
                                   so a program can tell which options were given (e.g. which
                                   a subcommand accepts) and name them (options_name) */
} options_def_t;

typedef struct options_spec options_spec_t;

/* Reads the config file at path into opts, between the defaults and the command line (the
   command line wins). Returns 0, or -1 with one line printed on err naming the file, the
   line and the key. common/config_file.h's config_file_load is one. */
typedef int (*options_config_load_t) (const options_spec_t *spec,
                                      void *opts,
                                      const char *path,
                                      FILE *err);

/* A program's options. */
struct options_spec {
    const char *program;           /* "parley-agent": starts every message; --version prints it */
    const char *usage;             /* the synopsis after "Usage: " (may span lines) */
    const char *about;             /* what the program does: the first paragraph of --help */
    const char *operands;          /* NULL: the program takes no operands ("unexpected argument");
                                      else --help's paragraph on them, after the usage
                                      ("": operands, but no paragraph) */
    const char *epilog;            /* after the options in --help (exit status, docs); or NULL */
    void (*help_more) (FILE *out); /* or NULL: prints more of --help before "Options:" (the
                                      query CLI's list of commands) */
    const options_def_t *defs;
    size_t ndefs;    /* at most OPTIONS_MAX_DEFS */
    size_t size;     /* sizeof the options struct */
    size_t given_at; /* OPTIONS_GIVEN_AT (type, member): an unsigned member that
                        collects the bits of the options given; 0: none */
    /* A config file (issue 11): read by config_load when the OPTIONS_CONFIG_PATH row names
       one, else config_default if that file exists; NULL config_load: none. */
    options_config_load_t config_load;
    const char *config_default;
    size_t owned_at; /* OPTIONS_OWNED_AT (type, member): an options_list_t member holding the
                        copies options_keep makes (a config file's values); 0: none */
};

#define OPTIONS_MAX_DEFS 48

/* options_spec_t's .defs and .ndefs for an array of rows. */
#define OPTIONS_TABLE(rows) .defs = (rows), .ndefs = sizeof (rows) / sizeof (rows)[0]

/* The .offset and .ctype of a row writing member of stype (a struct type). */
/* clang-format off */
#define OPTIONS_AT(stype, member)                                                                  \
    .offset = offsetof (stype, member),                                                            \
    .ctype = _Generic (((stype *)0)->member,                                                       \
                       bool: OPTIONS_C_BOOL,                                                       \
                       int: OPTIONS_C_INT,                                                         \
                       long: OPTIONS_C_LONG,                                                       \
                       uint64_t: OPTIONS_C_U64,                                                    \
                       const char *: OPTIONS_C_STRING,                                             \
                       options_list_t: OPTIONS_C_LIST,                                             \
                       default: OPTIONS_C_OTHER)
/* clang-format on */

/* options_spec_t.given_at for an unsigned member of stype (offset + 1, so that 0 can mean
   none); does not compile for a member of another type. */
#define OPTIONS_GIVEN_AT(stype, member)                                                            \
    _Generic(((stype *)0)->member, unsigned : offsetof (stype, member) + 1)

/* options_spec_t.owned_at for an options_list_t member of stype (offset + 1). */
#define OPTIONS_OWNED_AT(stype, member)                                                            \
    _Generic(((stype *)0)->member, options_list_t : offsetof (stype, member) + 1)

/* The --config FILE and --check-config rows of a daemon, into a const char * and a bool
   member; what is the program's config file ("agent.conf"), for the help text. */
#define OPTIONS_CONFIG_ROWS(stype, path_member, check_member, what)                                \
    { .name = "config",                                                                            \
      .arg = "FILE",                                                                               \
      .type = OPTIONS_STRING,                                                                      \
      OPTIONS_AT (stype, path_member),                                                             \
      .flags = OPTIONS_CLI_ONLY | OPTIONS_CONFIG_PATH | OPTIONS_EMPTY_OK,                          \
      .help = "read the options from the INI file FILE (\"key = value\" lines, keys are the long " \
              "option names; the command line wins) instead of " what " in the configuration "     \
              "directory (read when it exists); \"\": none" },                                     \
    {                                                                                              \
        .name = "check-config", .type = OPTIONS_FLAG, OPTIONS_AT (stype, check_member),            \
        .flags = OPTIONS_CLI_ONLY,                                                                 \
        .help = "check the config file and the command line (every option and the rules that "     \
                "join them), print \"configuration ok\" and exit 0, or the first problem and "     \
                "exit 2"                                                                           \
    }

/* A numeric constant as a row's default text, so that the number is written once:
   .def = OPTIONS_TEXT (AGENT_BATCH_DEFAULT). The constant must be a plain literal (1000,
   not (1000u)); a default that does not parse fails the program's first parse. */
#define OPTIONS_TEXT(constant) OPTIONS_TEXT_ (constant)
#define OPTIONS_TEXT_(constant) #constant

/* The --log-level row every daemon has (choices: log_level_names, in log.h; default info;
   reloadable), into an int member that takes a log_level_t. */
#define OPTIONS_LOG_LEVEL_ROW(stype, member)                                                       \
    {                                                                                              \
        .name = "log-level", .arg = "LEVEL", .type = OPTIONS_ENUM, OPTIONS_AT (stype, member),     \
        .choices = log_level_names, .def = "info", .flags = OPTIONS_RELOADABLE,                    \
        .help = "the least severe messages logged on stderr"                                       \
    }

/* Parses argv into opts (spec->size bytes; zeroed first, then the defaults, then argv).
   getopt_long reorders argv so that the operands come last: on OPTIONS_RUN *operands (if
   operands is not NULL) is the index of the first one (argc if there are none). --help and
   --version print on out and answer OPTIONS_DONE; a bad command line prints one line on err
   ("parley-agent: invalid --batch \"0\" (expected a whole number from 1 to 5000)") and answers
   OPTIONS_BAD. After OPTIONS_RUN, options_fini frees what opts holds; after anything else
   opts holds nothing to free. Not reentrant (getopt's state is global); resets that state
   itself, so it may be called any number of times. */
options_result_t options_parse (const options_spec_t *spec,
                                void *opts,
                                int argc,
                                char **argv,
                                FILE *out,
                                FILE *err,
                                int *operands) PARLEY_MUST_CHECK;

/* The exit status for a result other than OPTIONS_RUN: 0 after --help or --version, 2
   after a usage error. */
int options_exit_code (options_result_t result);

/* Frees what options_parse (or options_set) allocated in opts: the repeatable options'
   lists, which are left empty. Safe on a zeroed struct and twice. */
void options_fini (const options_spec_t *spec, void *opts);

/* Sets the option whose long name (config-file key) is key from text, checked as on the
   command line; a repeatable option appends. This is what a config-file loader calls for
   each "key = value" line; text must outlive opts. Returns 0, or -1 with a one-line reason
   in why ("unknown key", "can only be given on the command line", "expected a whole
   number from 1 to 64"). */
int options_set (const options_spec_t *spec,
                 void *opts,
                 const char *key,
                 const char *text,
                 char *why,
                 size_t whylen) PARLEY_MUST_CHECK;

/* A copy of text that lives as long as opts (until options_fini), for a value options_set
   borrows; needs spec->owned_at (without it, aborts: a programmer's error). */
const char *options_keep (const options_spec_t *spec, void *opts, const char *text);

/* Calls each (def, old text, new text, ctx) for every row whose value differs between a
   and b (two structs of spec), in table order; the texts are the values as a config file
   would give them (a list's items joined by ", "). Returns how many rows differ. */
int options_diff (
  const options_spec_t *spec,
  const void *a,
  const void *b,
  void (*each) (const options_def_t *def, const char *old_text, const char *new_text, void *ctx),
  void *ctx);

/* Moves the values of the OPTIONS_RELOADABLE rows from src into dst (what a SIGHUP
   changes), and the copies src owns with them; dst's old values go to src, which the
   caller then finishes with options_fini. */
void options_take_reloadable (const options_spec_t *spec, void *dst, void *src);

/* Prints the --help text: about, usage, operands, help_more, one entry per option (with
   its range or choices, default, required, repeatable), --help and --version, epilog. */
void options_help (const options_spec_t *spec, FILE *out);

/* The long name (without "--") of the option whose bit is bit, or NULL. Borrowed from the
   table. */
const char *options_name (const options_spec_t *spec, unsigned bit);

/* Prints "PROGRAM: " and the message as one line on err, for usage errors found after
   parsing; returns OPTIONS_BAD. */
options_result_t options_error (const options_spec_t *spec, FILE *err, const char *format, ...)
  PARLEY_PRINTF (3, 4);

#endif
