/* options: a program's option table drives getopt_long, --help and the defaults (see
   options.h). */
#include "options.h"

#include <assert.h>
#include <getopt.h>
#include <limits.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "mem.h"
#include "number.h"

/* getopt_long's val for defs[i]; below it are the short letters, 'h' and 'V'. */
#define S_VAL_BASE 256
#define S_HELP_WIDTH 80
#define S_HELP_COLUMN_MAX 30

/* The member def writes in opts. */
static void *
s_member (const options_def_t *def, void *opts)
{
    return (char *)opts + def->offset;
}

static bool
s_takes_list (const options_def_t *def)
{
    return (def->flags & OPTIONS_REPEATABLE) != 0;
}

/* The C type a row of this type writes (a repeatable row: a list; an OPTIONS_INT row may
   also write a long). */
static options_ctype_t
s_ctype_of (const options_def_t *def)
{
    if (s_takes_list (def))
        return OPTIONS_C_LIST;
    switch (def->type) {
        case OPTIONS_FLAG:
            return OPTIONS_C_BOOL;
        case OPTIONS_INT:
            return def->ctype == OPTIONS_C_LONG ? OPTIONS_C_LONG : OPTIONS_C_INT;
        case OPTIONS_ENUM:
            return OPTIONS_C_INT;
        case OPTIONS_SIZE:
            return OPTIONS_C_U64;
        case OPTIONS_STRING:
        case OPTIONS_CONNECT:
        case OPTIONS_BIND:
            return OPTIONS_C_STRING;
    }
    return OPTIONS_C_OTHER;
}

/* A mistake in a table is a programmer's error, but a silent one would write past a
   member: every parse checks the table first, so the first test of a program finds it. */
static int
s_check_table (const options_spec_t *spec, const char **why, const char **name)
{
    *why = NULL;
    *name = "";
    if (spec->ndefs > OPTIONS_MAX_DEFS) {
        *why = "more rows than OPTIONS_MAX_DEFS";
        return -1;
    }
    for (size_t i = 0; i < spec->ndefs && !*why; i++) {
        const options_def_t *d = &spec->defs[i];
        *name = d->name ? d->name : "";
        if (!d->name || !*d->name || !d->help)
            *why = "a row without a name or help";
        else if (d->ctype != s_ctype_of (d) || d->offset >= spec->size)
            *why = "the member is not of the row's type (use OPTIONS_AT)";
        else if ((d->type == OPTIONS_FLAG) != (d->arg == NULL))
            *why = "a flag has no argument name, and only a flag";
        else if (d->type == OPTIONS_FLAG && (d->flags & (OPTIONS_REQUIRED | OPTIONS_REPEATABLE)))
            *why = "a flag is neither required nor repeatable";
        else if (d->type == OPTIONS_ENUM && (!d->choices || !d->choices[0]))
            *why = "an enum without choices";
        else if (d->type == OPTIONS_INT &&
                 (d->min > d->max ||
                  (d->ctype == OPTIONS_C_INT && (d->min < INT_MIN || d->max > INT_MAX))))
            *why = "min is above max, or either does not fit the member";
        else if (d->short_name == 'h' || d->short_name == 'V')
            *why = "-h and -V are --help and --version";
        else if (strcmp (d->name, "help") == 0 || strcmp (d->name, "version") == 0)
            *why = "--help and --version are built in";
        for (size_t j = 0; j < i && !*why; j++) {
            if (strcmp (spec->defs[j].name, d->name) == 0)
                *why = "two rows have this name";
            else if (d->short_name && spec->defs[j].short_name == d->short_name)
                *why = "two rows have this short letter";
            else if (d->bit && (spec->defs[j].bit & d->bit))
                *why = "two rows share a bit";
        }
    }
    return *why ? -1 : 0;
}

/* "256K" for 262144: the largest suffix that divides bytes. */
static void
s_format_size (uint64_t bytes, char *buf, size_t len)
{
    static const char *const suffixes[] = { "", "K", "M", "G", "T" };
    int i = 0;
    while (i < 4 && bytes >= 1024 && bytes % 1024 == 0) {
        bytes /= 1024;
        i++;
    }
    snprintf (buf, len, "%llu%s", (unsigned long long)bytes, suffixes[i]);
}

/* "a, b or c" of a NULL-terminated list. */
static void
s_format_choices (const char *const *choices, char *buf, size_t len)
{
    size_t n = 0, used = 0;
    while (choices[n])
        n++;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int w = snprintf (buf + used, len - used, "%s%s", sep, choices[i]);
        used += w > 0 ? (size_t)w : 0;
    }
}

/* What def accepts, for messages: "a whole number from 1 to 64". */
static void
s_accepts (const options_def_t *def, char *buf, size_t len)
{
    char text[256];
    switch (def->type) {
        case OPTIONS_FLAG:
            snprintf (buf, len, "true or false");
            return;
        case OPTIONS_INT:
            snprintf (buf, len, "a whole number from %ld to %ld", def->min, def->max);
            return;
        case OPTIONS_SIZE:
            s_format_size (def->min > 0 ? (uint64_t)def->min : 1, text, sizeof text);
            snprintf (buf,
                      len,
                      "a size of at least %s bytes, e.g. 512M or 1G; K, M, G and T are powers of "
                      "1024",
                      text);
            return;
        case OPTIONS_STRING:
            snprintf (buf, len, "a non-empty %s", def->arg);
            return;
        case OPTIONS_ENUM:
            s_format_choices (def->choices, text, sizeof text);
            snprintf (buf, len, "%s", text);
            return;
        case OPTIONS_CONNECT:
            snprintf (buf, len, "%s", endpoint_forms (ENDPOINT_CONNECT));
            return;
        case OPTIONS_BIND:
            snprintf (buf, len, "%s", endpoint_forms (ENDPOINT_BIND));
            return;
    }
    snprintf (buf, len, "?");
}

static int
s_parse_flag (const char *text, bool *out)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp (text, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp (text, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* Checks text as a value of def's type. Returns 0 with the value in *value (the member's
   own type), or -1 with *reason NULL (not of the accepted form) or a specific reason. */
static int
s_check (const options_def_t *def, const char *text, void *value, const char **reason)
{
    *reason = NULL;
    if (!*text && !(def->type == OPTIONS_STRING && (def->flags & OPTIONS_EMPTY_OK)))
        return -1;
    switch (def->type) {
        case OPTIONS_FLAG:
            return s_parse_flag (text, value);
        case OPTIONS_INT: {
            long number;
            if (number_parse (text, def->min, def->max, &number) != 0)
                return -1;
            if (def->ctype == OPTIONS_C_LONG)
                *(long *)value = number;
            else
                *(int *)value = (int)number;
            return 0;
        }
        case OPTIONS_SIZE: {
            uint64_t bytes;
            if (number_parse_size (text, &bytes) != 0 || bytes < (uint64_t)def->min)
                return -1;
            *(uint64_t *)value = bytes;
            return 0;
        }
        case OPTIONS_ENUM:
            for (int i = 0; def->choices[i]; i++)
                if (strcmp (text, def->choices[i]) == 0) {
                    *(int *)value = i;
                    return 0;
                }
            return -1;
        case OPTIONS_CONNECT:
        case OPTIONS_BIND:
            if (endpoint_check (
                  text, def->type == OPTIONS_BIND ? ENDPOINT_BIND : ENDPOINT_CONNECT, reason) != 0)
                return -1;
            *(const char **)value = text;
            return 0;
        case OPTIONS_STRING:
            *(const char **)value = text;
            return 0;
    }
    return -1;
}

/* Is there room for one more value of def? */
static bool
s_room (const options_def_t *def, void *opts)
{
    if (!s_takes_list (def) || def->max <= 0)
        return true;
    return ((options_list_t *)s_member (def, opts))->count < (size_t)def->max;
}

/* Checks text and stores it in def's member (a list: appends). Returns 0, or -1 as
   s_check, the member untouched. */
static int
s_store (const options_def_t *def, void *opts, const char *text, const char **reason)
{
    union {
        bool b;
        int i;
        long l;
        uint64_t u;
        const char *s;
    } value;
    if (s_check (def, text, &value, reason) != 0)
        return -1;
    void *member = s_member (def, opts);
    if (s_takes_list (def)) {
        options_list_t *list = member;
        list->items = xrealloc (list->items, (list->count + 1) * sizeof *list->items);
        list->items[list->count++] = value.s;
        return 0;
    }
    switch (def->ctype) {
        case OPTIONS_C_BOOL:
            *(bool *)member = value.b;
            break;
        case OPTIONS_C_INT:
            *(int *)member = value.i;
            break;
        case OPTIONS_C_LONG:
            *(long *)member = value.l;
            break;
        case OPTIONS_C_U64:
            *(uint64_t *)member = value.u;
            break;
        default:
            *(const char **)member = value.s;
            break;
    }
    return 0;
}

options_result_t
options_error (const options_spec_t *spec, FILE *err, const char *format, ...)
{
    va_list ap;
    va_start (ap, format);
    fprintf (err, "%s: ", spec->program);
    vfprintf (err, format, ap);
    fputc ('\n', err);
    va_end (ap);
    return OPTIONS_BAD;
}

/* The one-line message for a value of def that s_store refused. */
static options_result_t
s_bad_value (const options_spec_t *spec,
             FILE *err,
             const options_def_t *def,
             const char *text,
             const char *reason)
{
    char accepts[512];
    s_accepts (def, accepts, sizeof accepts);
    if (!*text)
        return options_error (
          spec,
          err,
          "--%s needs %s (expected %s)",
          def->name,
          def->type == OPTIONS_CONNECT || def->type == OPTIONS_BIND ? "an endpoint" : "a value",
          accepts);
    if (reason)
        return options_error (
          spec, err, "invalid --%s \"%s\": %s (expected %s)", def->name, text, reason, accepts);
    return options_error (spec, err, "invalid --%s \"%s\" (expected %s)", def->name, text, accepts);
}

static const options_def_t *
s_find (const options_spec_t *spec, const char *name)
{
    for (size_t i = 0; i < spec->ndefs; i++)
        if (strcmp (spec->defs[i].name, name) == 0)
            return &spec->defs[i];
    return NULL;
}

static void
s_mark_given (const options_spec_t *spec, void *opts, const options_def_t *def)
{
    if (spec->given_at && def->bit)
        *(unsigned *)((char *)opts + spec->given_at - 1) |= def->bit;
}

/* Zeroes opts and applies every default. */
static options_result_t
s_defaults (const options_spec_t *spec, void *opts, FILE *err)
{
    memset (opts, 0, spec->size);
    for (size_t i = 0; i < spec->ndefs; i++) {
        const options_def_t *def = &spec->defs[i];
        const char *reason;
        if (def->def && s_store (def, opts, def->def, &reason) != 0)
            return options_error (
              spec, err, "the default of --%s, \"%s\", is refused (a bug)", def->name, def->def);
    }
    return OPTIONS_RUN;
}

/* getopt_long's tables for spec: the rows, then --help and --version. */
static void
s_getopt_tables (const options_spec_t *spec, struct option *longopts, char *shortopts)
{
    size_t ns = 0;
    shortopts[ns++] = ':'; /* a missing argument is ':', not '?' */
    for (size_t i = 0; i < spec->ndefs; i++) {
        const options_def_t *def = &spec->defs[i];
        int has_arg = def->type == OPTIONS_FLAG ? no_argument : required_argument;
        longopts[i] = (struct option){ def->name, has_arg, NULL, S_VAL_BASE + (int)i };
        if (def->short_name) {
            shortopts[ns++] = def->short_name;
            if (has_arg == required_argument)
                shortopts[ns++] = ':';
        }
    }
    longopts[spec->ndefs] = (struct option){ "help", no_argument, NULL, 'h' };
    longopts[spec->ndefs + 1] = (struct option){ "version", no_argument, NULL, 'V' };
    longopts[spec->ndefs + 2] = (struct option){ NULL, 0, NULL, 0 };
    memcpy (shortopts + ns, "hV", 3);
}

/* The row getopt_long's val (or optopt) c stands for, or NULL. */
static const options_def_t *
s_def_of (const options_spec_t *spec, int c)
{
    if (c >= S_VAL_BASE && (size_t)(c - S_VAL_BASE) < spec->ndefs)
        return &spec->defs[c - S_VAL_BASE];
    for (size_t i = 0; c > 0 && i < spec->ndefs; i++)
        if (spec->defs[i].short_name == c)
            return &spec->defs[i];
    return NULL;
}

/* The message for getopt_long's '?' or ':'. */
static options_result_t
s_bad_option (const options_spec_t *spec, FILE *err, int c, char **argv)
{
    const options_def_t *def = s_def_of (spec, optopt);
    const char *typed = argv[optind - 1];
    if (c == ':' && def) {
        if (optopt < S_VAL_BASE)
            return options_error (spec, err, "option -%c needs an argument (%s)", optopt, def->arg);
        return options_error (spec, err, "option --%s needs an argument (%s)", def->name, def->arg);
    }
    /* '?' for a known option: a long flag given a value ("--once=yes", "--help=x"). */
    if (def || optopt == 'h' || optopt == 'V')
        return options_error (spec,
                              err,
                              "option --%s takes no argument",
                              def             ? def->name
                              : optopt == 'h' ? "help"
                                              : "version");
    if (optopt > 0 && optopt < S_VAL_BASE)
        return options_error (
          spec, err, "unknown option \"-%c\" (see %s --help)", optopt, spec->program);
    return options_error (spec, err, "unknown option \"%s\" (see %s --help)", typed, spec->program);
}

/* The config file, between the defaults and the command line: a first getopt pass finds
   the OPTIONS_CONFIG_PATH row's value (the last one given; a bad command line is left to
   the second pass to report), else the spec's default file is read if it exists. */
static int
s_load_config (const options_spec_t *spec,
               void *opts,
               int argc,
               char **argv,
               const struct option *longopts,
               const char *shortopts,
               FILE *err)
{
    const char *path = NULL;
    optind = 0;
    int c;
    while ((c = getopt_long (argc, argv, shortopts, longopts, NULL)) != -1) {
        const options_def_t *def = c == '?' || c == ':' ? NULL : s_def_of (spec, c);
        if (def && (def->flags & OPTIONS_CONFIG_PATH))
            path = optarg;
    }
    if (path && !*path)
        return 0; /* --config "": no config file, not even the default one */
    if (!path) {
        if (!spec->config_default || access (spec->config_default, F_OK) != 0)
            return 0;
        path = spec->config_default;
    }
    return spec->config_load (spec, opts, path, err);
}

/* Everything options_parse does but freeing after a refusal. */
static options_result_t
s_scan (const options_spec_t *spec, void *opts, int argc, char **argv, FILE *out, FILE *err)
{
    const char *why, *name;
    if (s_check_table (spec, &why, &name) != 0) {
        memset (opts, 0, spec->size);
        return options_error (spec, err, "option table: --%s: %s (a bug)", name, why);
    }
    if (s_defaults (spec, opts, err) != OPTIONS_RUN)
        return OPTIONS_BAD;

    struct option longopts[OPTIONS_MAX_DEFS + 3];
    char shortopts[1 + 2 * OPTIONS_MAX_DEFS + 3];
    s_getopt_tables (spec, longopts, shortopts);
    bool seen[OPTIONS_MAX_DEFS] = { false };

    opterr = 0; /* our own one-line messages, not getopt's */
    if (spec->config_load && s_load_config (spec, opts, argc, argv, longopts, shortopts, err) != 0)
        return OPTIONS_BAD;
    /* 0, not 1: glibc then starts afresh (argv permutation and the position inside a
       cluster of short options included), so argv may be parsed again, as tests do. */
    optind = 0;
    int c;
    while ((c = getopt_long (argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == 'h') {
            options_help (spec, out);
            return OPTIONS_DONE;
        }
        if (c == 'V') {
            fprintf (out, "%s %s\n", spec->program, PARLEY_VERSION);
            return OPTIONS_DONE;
        }
        const options_def_t *def = c == '?' || c == ':' ? NULL : s_def_of (spec, c);
        if (!def)
            return s_bad_option (spec, err, c, argv);
        size_t i = (size_t)(def - spec->defs);
        /* The command line wins: its first value of a repeatable option replaces the
           defaults' (and, later, the config file's) rather than adding to them. */
        if (s_takes_list (def) && !seen[i])
            ((options_list_t *)s_member (def, opts))->count = 0;
        seen[i] = true;
        if (!s_room (def, opts))
            return options_error (
              spec, err, "too many --%s options (at most %ld)", def->name, def->max);
        const char *text = def->type == OPTIONS_FLAG ? "true" : optarg;
        const char *reason;
        if (s_store (def, opts, text, &reason) != 0)
            return s_bad_value (spec, err, def, text, reason);
        s_mark_given (spec, opts, def);
    }
    if (!spec->operands && optind < argc)
        return options_error (
          spec, err, "unexpected argument \"%s\" (see %s --help)", argv[optind], spec->program);
    for (size_t i = 0; i < spec->ndefs; i++) {
        const options_def_t *def = &spec->defs[i];
        if (!(def->flags & OPTIONS_REQUIRED))
            continue;
        void *member = s_member (def, opts);
        bool given = s_takes_list (def) ? ((options_list_t *)member)->count > 0
                                        : *(const char **)member != NULL;
        if (!given)
            return options_error (spec, err, "--%s %s is required", def->name, def->arg);
    }
    return OPTIONS_RUN;
}

options_result_t
options_parse (const options_spec_t *spec,
               void *opts,
               int argc,
               char **argv,
               FILE *out,
               FILE *err,
               int *operands)
{
    options_result_t r = s_scan (spec, opts, argc, argv, out, err);
    if (r != OPTIONS_RUN)
        options_fini (spec, opts);
    else if (operands)
        *operands = optind;
    return r;
}

int
options_exit_code (options_result_t result)
{
    return result == OPTIONS_DONE ? 0 : 2;
}

static options_list_t *
s_owned (const options_spec_t *spec, void *opts)
{
    return spec->owned_at ? (options_list_t *)((char *)opts + spec->owned_at - 1) : NULL;
}

const char *
options_keep (const options_spec_t *spec, void *opts, const char *text)
{
    options_list_t *owned = s_owned (spec, opts);
    assert (owned); /* a table that reads a config file names where its copies go */
    char *copy = xstrdup (text);
    owned->items = xrealloc (owned->items, (owned->count + 1) * sizeof *owned->items);
    owned->items[owned->count++] = copy;
    return copy;
}

/* def's value in opts as text, as a config file would give it. */
static void
s_format_value (const options_def_t *def, const void *opts, char *buf, size_t len)
{
    const void *member = (const char *)opts + def->offset;
    buf[0] = '\0';
    if (s_takes_list (def)) {
        const options_list_t *list = member;
        size_t n = 0;
        for (size_t i = 0; i < list->count && n < len; i++) {
            int w = snprintf (buf + n, len - n, "%s%s", i ? ", " : "", list->items[i]);
            n += w > 0 ? (size_t)w : 0;
        }
        return;
    }
    switch (def->ctype) {
        case OPTIONS_C_BOOL:
            snprintf (buf, len, "%s", *(const bool *)member ? "true" : "false");
            return;
        case OPTIONS_C_INT:
            if (def->type == OPTIONS_ENUM)
                snprintf (buf, len, "%s", def->choices[*(const int *)member]);
            else
                snprintf (buf, len, "%d", *(const int *)member);
            return;
        case OPTIONS_C_LONG:
            snprintf (buf, len, "%ld", *(const long *)member);
            return;
        case OPTIONS_C_U64:
            s_format_size (*(const uint64_t *)member, buf, len);
            return;
        case OPTIONS_C_STRING: {
            const char *text = *(const char *const *)member;
            snprintf (buf, len, "%s", text ? text : "");
            return;
        }
        default:
            return;
    }
}

int
options_diff (
  const options_spec_t *spec,
  const void *a,
  const void *b,
  void (*each) (const options_def_t *def, const char *old_text, const char *new_text, void *ctx),
  void *ctx)
{
    int differ = 0;
    char old_text[1024], new_text[1024];
    for (size_t i = 0; i < spec->ndefs; i++) {
        const options_def_t *def = &spec->defs[i];
        s_format_value (def, a, old_text, sizeof old_text);
        s_format_value (def, b, new_text, sizeof new_text);
        if (strcmp (old_text, new_text) != 0) {
            differ++;
            each (def, old_text, new_text, ctx);
        }
    }
    return differ;
}

void
options_take_reloadable (const options_spec_t *spec, void *dst, void *src)
{
    for (size_t i = 0; i < spec->ndefs; i++) {
        const options_def_t *def = &spec->defs[i];
        if (!(def->flags & OPTIONS_RELOADABLE))
            continue;
        /* Swapped, not copied: a list's items array then has one owner. */
        char tmp[sizeof (options_list_t)];
        size_t size = s_takes_list (def)             ? sizeof (options_list_t)
                      : def->ctype == OPTIONS_C_BOOL ? sizeof (bool)
                      : def->ctype == OPTIONS_C_INT  ? sizeof (int)
                      : def->ctype == OPTIONS_C_LONG ? sizeof (long)
                      : def->ctype == OPTIONS_C_U64  ? sizeof (uint64_t)
                                                     : sizeof (const char *);
        memcpy (tmp, (char *)dst + def->offset, size);
        memcpy ((char *)dst + def->offset, (char *)src + def->offset, size);
        memcpy ((char *)src + def->offset, tmp, size);
    }
    /* dst's new strings may be src's copies: they move to dst (dst keeps its old ones too,
       a few bytes per reload, as src's swapped-out values may point into them). */
    options_list_t *from = s_owned (spec, src), *to = s_owned (spec, dst);
    if (from && to && from->count > 0) {
        to->items = xrealloc (to->items, (to->count + from->count) * sizeof *to->items);
        memcpy (to->items + to->count, from->items, from->count * sizeof *from->items);
        to->count += from->count;
        free (from->items);
        from->items = NULL;
        from->count = 0;
    }
}

void
options_fini (const options_spec_t *spec, void *opts)
{
    options_list_t *owned = s_owned (spec, opts);
    if (owned) {
        for (size_t i = 0; i < owned->count; i++)
            free ((char *)owned->items[i]);
        free (owned->items);
        owned->items = NULL;
        owned->count = 0;
    }
    for (size_t i = 0; i < spec->ndefs; i++)
        if (s_takes_list (&spec->defs[i]) && spec->defs[i].ctype == OPTIONS_C_LIST) {
            options_list_t *list = s_member (&spec->defs[i], opts);
            free (list->items);
            list->items = NULL;
            list->count = 0;
        }
}

int
options_set (const options_spec_t *spec,
             void *opts,
             const char *key,
             const char *text,
             char *why,
             size_t whylen)
{
    const options_def_t *def = s_find (spec, key);
    const char *table_why, *name;
    if (s_check_table (spec, &table_why, &name) != 0) {
        snprintf (why, whylen, "option table: --%s: %s (a bug)", name, table_why);
        return -1;
    }
    if (!def) {
        snprintf (why, whylen, "unknown key");
        return -1;
    }
    if (def->flags & OPTIONS_CLI_ONLY) {
        snprintf (why, whylen, "can only be given on the command line");
        return -1;
    }
    if (!s_room (def, opts)) {
        snprintf (why, whylen, "given more than %ld times", def->max);
        return -1;
    }
    char accepts[512];
    const char *reason;
    if (s_store (def, opts, text, &reason) != 0) {
        s_accepts (def, accepts, sizeof accepts);
        snprintf (
          why, whylen, "%s%sexpected %s", reason ? reason : "", reason ? "; " : "", accepts);
        return -1;
    }
    s_mark_given (spec, opts, def);
    return 0;
}

const char *
options_name (const options_spec_t *spec, unsigned bit)
{
    for (size_t i = 0; bit && i < spec->ndefs; i++)
        if (spec->defs[i].bit == bit)
            return spec->defs[i].name;
    return NULL;
}

/* Prints text from column col to S_HELP_WIDTH, breaking at spaces; the current line is
   already at column col. */
static void
s_wrap (FILE *out, const char *text, int col)
{
    int at = col;
    while (*text) {
        size_t word = strcspn (text, " ");
        if (at > col && at + 1 + (int)word > S_HELP_WIDTH) {
            fprintf (out, "\n%*s", col, "");
            at = col;
        } else if (at > col) {
            fputc (' ', out);
            at++;
        }
        fwrite (text, 1, word, out);
        at += (int)word;
        text += word;
        text += strspn (text, " ");
    }
    fputc ('\n', out);
}

/* "  -c, --connect ENDPOINT" */
static void
s_left (const char *name, char short_name, const char *arg, char *buf, size_t len)
{
    if (short_name)
        snprintf (buf, len, "  -%c, --%s%s%s", short_name, name, arg ? " " : "", arg ? arg : "");
    else
        snprintf (buf, len, "      --%s%s%s", name, arg ? " " : "", arg ? arg : "");
}

/* The help text of def and what --help adds: "at most N batches (1 to 64; default 4)". */
static void
s_right (const options_def_t *def, char *buf, size_t len)
{
    char extra[512] = "", choices[256];
    size_t n = 0;
#define S_ADD(...)                                                                                 \
    do {                                                                                           \
        if (n < sizeof extra)                                                                      \
            n += (size_t)snprintf (extra + n, sizeof extra - n, "%s", n ? "; " : "");              \
        if (n < sizeof extra)                                                                      \
            n += (size_t)snprintf (extra + n, sizeof extra - n, __VA_ARGS__);                      \
    } while (0)
    if (def->type == OPTIONS_INT)
        S_ADD ("%ld to %ld", def->min, def->max);
    if (def->type == OPTIONS_ENUM) {
        s_format_choices (def->choices, choices, sizeof choices);
        S_ADD ("%s", choices);
    }
    if (def->type == OPTIONS_SIZE) {
        s_format_size (def->min > 0 ? (uint64_t)def->min : 1, choices, sizeof choices);
        S_ADD ("K, M, G, T suffixes; at least %s", choices);
    }
    if (def->type == OPTIONS_CONNECT || def->type == OPTIONS_BIND)
        S_ADD ("%s", endpoint_forms (def->type == OPTIONS_BIND ? ENDPOINT_BIND : ENDPOINT_CONNECT));
    if (def->def && def->type != OPTIONS_FLAG)
        S_ADD ("default %s", def->def);
    if (def->flags & OPTIONS_REQUIRED)
        S_ADD ("required");
    if (s_takes_list (def) && def->max > 0)
        S_ADD ("repeatable, at most %ld", def->max);
    else if (s_takes_list (def))
        S_ADD ("repeatable");
#undef S_ADD
    if (n)
        snprintf (buf, len, "%s (%s)", def->help, extra);
    else
        snprintf (buf, len, "%s", def->help);
}

void
options_help (const options_spec_t *spec, FILE *out)
{
    if (spec->about)
        fprintf (out, "%s\n\n", spec->about);
    fprintf (out, "Usage: %s\n", spec->usage);
    if (spec->operands && *spec->operands)
        fprintf (out, "\n%s\n", spec->operands);
    if (spec->help_more) {
        fputc ('\n', out);
        spec->help_more (out);
    }
    fputs ("\nOptions:\n", out);
    char left[128], right[1024];
    int col = 0;
    for (size_t i = 0; i < spec->ndefs; i++) {
        s_left (spec->defs[i].name, spec->defs[i].short_name, spec->defs[i].arg, left, sizeof left);
        if ((int)strlen (left) + 2 > col)
            col = (int)strlen (left) + 2;
    }
    if (col > S_HELP_COLUMN_MAX)
        col = S_HELP_COLUMN_MAX;
    if (col < 18)
        col = 18;
    for (size_t i = 0; i < spec->ndefs + 2; i++) {
        if (i < spec->ndefs) {
            s_left (
              spec->defs[i].name, spec->defs[i].short_name, spec->defs[i].arg, left, sizeof left);
            s_right (&spec->defs[i], right, sizeof right);
        } else if (i == spec->ndefs) {
            s_left ("help", 'h', NULL, left, sizeof left);
            snprintf (right, sizeof right, "show this help and exit");
        } else {
            s_left ("version", 'V', NULL, left, sizeof left);
            snprintf (right, sizeof right, "show the version and exit");
        }
        if ((int)strlen (left) + 2 > col)
            fprintf (out, "%s\n%*s", left, col, "");
        else
            fprintf (out, "%-*s", col, left);
        s_wrap (out, right, col);
    }
    if (spec->epilog)
        fprintf (out, "\n%s\n", spec->epilog);
}
