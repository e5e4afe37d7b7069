/* config_file: INI files into an options table, through inih (see config_file.h). */
#include "config_file.h"

#include <errno.h>
#include <stdbool.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "utf8.h"

/* The largest config file read: far above any real one, and a stray binary file given as
   --config fails at once rather than being scanned. */
#define S_FILE_MAX (1024 * 1024)

typedef struct {
    const options_spec_t *spec;
    void *opts;
    const char *source;
    char *why;
    size_t whylen;
    bool failed; /* the first error is in why, without its line (inih returns it) */
} s_ctx_t;

static int
s_handler (void *user, const char *section, const char *name, const char *value)
{
    s_ctx_t *ctx = user;
    if (ctx->failed)
        return 0; /* only the first error is told */
    char reason[768];
    if (section && *section) {
        snprintf (ctx->why,
                  ctx->whylen,
                  "[%s]: a config file has no sections (write \"key = value\" lines)",
                  section);
        ctx->failed = true;
        return 0;
    }
    if (!value) {
        snprintf (ctx->why, ctx->whylen, "key \"%s\": needs \"= value\"", name);
        ctx->failed = true;
        return 0;
    }
    const char *kept = options_keep (ctx->spec, ctx->opts, value);
    if (options_set (ctx->spec, ctx->opts, name, kept, reason, sizeof reason) != 0) {
        snprintf (
          ctx->why, ctx->whylen, "key \"%s\": %s%s", name, *value ? "" : "empty value; ", reason);
        ctx->failed = true;
        return 0;
    }
    return 1;
}

/* The first line longer than inih reads whole (it would split it silently), or 0. */
static int
s_long_line (const char *text, size_t *longest_allowed)
{
    size_t max = ini_max_line > 3 ? (size_t)ini_max_line - 3 : 0;
    *longest_allowed = max;
    int line = 1;
    size_t len = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            line++;
            len = 0;
        } else if (*p != '\r' && ++len > max)
            return line;
    }
    return 0;
}

/* The first line that opens a [section] (inih reports a section only with a key in it), or
   0. */
static int
s_section_line (const char *text)
{
    int line = 1;
    for (const char *p = text; *p;) {
        p += strspn (p, " \t");
        if (*p == '[')
            return line;
        p = strchr (p, '\n');
        if (!p)
            break;
        p++;
        line++;
    }
    return 0;
}

int
config_file_parse (const options_spec_t *spec,
                   void *opts,
                   const char *text,
                   const char *source,
                   char *why,
                   size_t whylen)
{
    size_t len = strlen (text);
    size_t bad = utf8_invalid_offset (text, len);
    if (bad < len) {
        int line = 1;
        for (size_t i = 0; i < bad; i++)
            line += text[i] == '\n';
        snprintf (why, whylen, "%s line %d: is not valid UTF-8", source, line);
        return -1;
    }
    size_t max;
    int long_line = s_long_line (text, &max);
    if (long_line) {
        snprintf (why, whylen, "%s line %d: is longer than %zu bytes", source, long_line, max);
        return -1;
    }
    int section = s_section_line (text);
    if (section) {
        snprintf (why,
                  whylen,
                  "%s line %d: a config file has no [sections] (write \"key = value\" lines)",
                  source,
                  section);
        return -1;
    }
    s_ctx_t ctx = { .spec = spec, .opts = opts, .source = source, .why = why, .whylen = whylen };
    int line = ini_parse_string (text, s_handler, &ctx);
    if (line == 0)
        return 0;
    if (line < 0) {
        snprintf (why, whylen, "%s: could not be read", source);
        return -1;
    }
    char detail[768];
    snprintf (detail,
              sizeof detail,
              "%s",
              ctx.failed ? why : "is not a \"key = value\" line, a comment or blank");
    snprintf (why, whylen, "%s line %d: %s", source, line, detail);
    return -1;
}

int
config_file_load (const options_spec_t *spec, void *opts, const char *path, FILE *err)
{
    char why[1024];
    FILE *f = fopen (path, "rb");
    if (!f) {
        fprintf (
          err, "%s: could not open config file %s: %s\n", spec->program, path, strerror (errno));
        return -1;
    }
    char *text = xmalloc (S_FILE_MAX + 1);
    size_t n = fread (text, 1, S_FILE_MAX + 1, f);
    int read_error = ferror (f);
    fclose (f);
    int rc = -1;
    if (read_error)
        fprintf (err, "%s: could not read config file %s\n", spec->program, path);
    else if (n > S_FILE_MAX)
        fprintf (
          err, "%s: config file %s is larger than %d bytes\n", spec->program, path, S_FILE_MAX);
    else if (memchr (text, '\0', n))
        fprintf (err, "%s: config file %s holds a NUL byte\n", spec->program, path);
    else {
        text[n] = '\0';
        rc = config_file_parse (spec, opts, text, path, why, sizeof why);
        if (rc != 0)
            fprintf (err, "%s: %s\n", spec->program, why);
    }
    free (text);
    return rc;
}
