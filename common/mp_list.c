/* The sitting MPs reference list, read and checked (see mp_list.h). */
#include "mp_list.h"

#include <csv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "constituency.h"
#include "fold.h"
#include "mem.h"
#include "rfc3339.h"
#include "utf8.h"

extern const char parley_mps_csv[];
extern const size_t parley_mps_csv_len;

#define MP_LIST_FIELDS 4
static const char *const s_header[MP_LIST_FIELDS] = { "constituency_code",
                                                      "name",
                                                      "party",
                                                      "since" };

struct mp_list {
    mp_list_entry_t *entries;
    size_t count, cap;
};

/* The parser's state while it reads one file. */
typedef struct {
    const char *source;
    FILE *errors;
    long line;     /* physical line being parsed */
    long row_line; /* the line the current row started on */
    size_t nfields;
    char *fields[MP_LIST_FIELDS];
    size_t lens[MP_LIST_FIELDS];
    bool nul[MP_LIST_FIELDS]; /* the field had a NUL byte (cut there in fields[]) */
    int rows;                 /* rows seen, header included */
    int nerrors;
    char seen[1024];  /* constituency index → row already given (650 of them) */
    int32_t earliest; /* 1800-01-01: a `since` before it is a typing error */
    mp_list_t *list;
} s_parse_t;

static void s_error (s_parse_t *self, long line, const char *format, ...) PARLEY_PRINTF (3, 4);

static void
s_error (s_parse_t *self, long line, const char *format, ...)
{
    self->nerrors++;
    if (self->nerrors > MP_LIST_ERRORS_MAX)
        return;
    va_list ap;
    va_start (ap, format);
    fprintf (self->errors, "%s:%ld: ", self->source, line);
    vfprintf (self->errors, format, ap);
    fputc ('\n', self->errors);
    va_end (ap);
}

static void
s_add (mp_list_t *list, const mp_list_entry_t *entry)
{
    if (list->count == list->cap) {
        list->cap = list->cap ? 2 * list->cap : 1024;
        list->entries = xrealloc (list->entries, list->cap * sizeof *list->entries);
    }
    list->entries[list->count++] = *entry;
}

static bool
s_is_date (const s_parse_t *self, const char *text, size_t len)
{
    int32_t days;
    return rfc3339_parse_date (text, len, &days) == RFC3339_OK && days >= self->earliest;
}

static void
s_row (s_parse_t *self)
{
    long line = self->row_line;
    self->rows++;
    if (self->rows == 1) {
        bool ok = self->nfields == MP_LIST_FIELDS;
        for (size_t i = 0; ok && i < MP_LIST_FIELDS; i++)
            ok = strcmp (self->fields[i], s_header[i]) == 0;
        if (!ok)
            s_error (self, line, "the header must be \"constituency_code,name,party,since\"");
        return;
    }
    if (self->nfields != MP_LIST_FIELDS) {
        s_error (self,
                 line,
                 "expected 4 fields (constituency_code,name,party,since), found %zu",
                 self->nfields);
        return;
    }
    for (size_t i = 0; i < MP_LIST_FIELDS; i++)
        if (self->nul[i]) {
            s_error (self, line, "%s contains a NUL byte", s_header[i]);
            return;
        }
    const char *code = self->fields[0], *name = self->fields[1], *party = self->fields[2],
               *since = self->fields[3];
    size_t name_len = self->lens[1], party_len = self->lens[2], since_len = self->lens[3];
    const constituency_t *c = constituency_by_code (code);
    if (!c) {
        s_error (self, line, "unknown constituency code \"%s\"", code);
        return;
    }
    size_t index = 0;
    while (index < constituency_count () && constituency_at (index) != c)
        index++;
    if (index < sizeof self->seen && self->seen[index]) {
        s_error (self, line, "constituency %s (%s) is listed twice", c->code, c->name);
        return;
    }
    if (!utf8_is_valid (name, name_len) || !utf8_is_valid (party, party_len)) {
        s_error (self, line, "not valid UTF-8");
        return;
    }
    if (name_len > MP_LIST_NAME_MAX) {
        s_error (self, line, "name is longer than %d bytes", MP_LIST_NAME_MAX);
        return;
    }
    char *key = fold_person_key (name);
    if (!*key) {
        s_error (self, line, "name \"%s\" has no person key (empty, or only titles)", name);
        free (key);
        return;
    }
    if (party_len > MP_LIST_PARTY_MAX) {
        s_error (self, line, "party is longer than %d bytes", MP_LIST_PARTY_MAX);
        free (key);
        return;
    }
    if (since_len && !s_is_date (self, since, since_len)) {
        s_error (self, line, "since \"%s\" is not a date (YYYY-MM-DD)", since);
        free (key);
        return;
    }
    if (index < sizeof self->seen)
        self->seen[index] = 1;
    mp_list_entry_t entry = {
        .constituency_code = c->code,
        .name = xstrdup (name),
        .party = party_len ? xstrdup (party) : NULL,
        .since = since_len ? xstrdup (since) : NULL,
        .person_key = key,
    };
    s_add (self->list, &entry);
}

static void
s_field_cb (void *data, size_t len, void *arg)
{
    s_parse_t *self = arg;
    if (self->nfields == 0)
        self->row_line = self->line;
    if (self->nfields < MP_LIST_FIELDS) {
        size_t i = self->nfields;
        self->fields[i] = xstrndup (data ? data : "", data ? len : 0);
        self->lens[i] = strlen (self->fields[i]);
        self->nul[i] = self->lens[i] < (data ? len : 0);
    }
    self->nfields++;
}

static void
s_row_cb (int term, void *arg)
{
    (void)term;
    s_parse_t *self = arg;
    for (size_t i = self->nfields; i < MP_LIST_FIELDS; i++) {
        self->fields[i] = xstrdup ("");
        self->lens[i] = 0;
        self->nul[i] = false;
    }
    s_row (self);
    for (size_t i = 0; i < MP_LIST_FIELDS; i++) {
        free (self->fields[i]);
        self->fields[i] = NULL;
    }
    self->nfields = 0;
}

mp_list_t *
mp_list_parse (const char *csv, size_t len, const char *source, FILE *errors, int *nbad)
{
    s_parse_t self;
    memset (&self, 0, sizeof self);
    self.source = source;
    self.errors = errors ? errors : stderr;
    self.earliest = (int32_t)rfc3339_days_from_civil (1800, 1, 1);
    self.list = xcalloc (1, sizeof *self.list);

    struct csv_parser parser;
    if (csv_init (&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
        abort ();
    size_t start = 0;
    /* A UTF-8 byte order mark, as some spreadsheets write, is not part of the header. */
    if (len >= 3 && memcmp (csv, "\xEF\xBB\xBF", 3) == 0)
        start = 3;
    self.line = 1;
    bool failed = false;
    /* Fed one physical line at a time, so every row knows the line it started on. */
    while (start < len && !failed) {
        const char *nl = memchr (csv + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - csv) + 1 : len;
        if (csv_parse (&parser, csv + start, end - start, s_field_cb, s_row_cb, &self) !=
            end - start) {
            s_error (&self, self.line, "malformed CSV: %s", csv_strerror (csv_error (&parser)));
            failed = true;
        }
        start = end;
        self.line++;
    }
    if (!failed && csv_fini (&parser, s_field_cb, s_row_cb, &self) != 0)
        s_error (&self, self.line - 1, "malformed CSV: %s", csv_strerror (csv_error (&parser)));
    csv_free (&parser);
    for (size_t i = 0; i < MP_LIST_FIELDS; i++)
        free (self.fields[i]);
    if (self.rows == 0)
        s_error (&self, 1, "the file is empty");
    if (nbad)
        *nbad = self.nerrors;
    if (self.nerrors == 0)
        return self.list;
    if (self.nerrors > MP_LIST_ERRORS_MAX)
        fprintf (
          self.errors, "%s: %d more errors not shown\n", source, self.nerrors - MP_LIST_ERRORS_MAX);
    mp_list_destroy (&self.list);
    return NULL;
}

mp_list_t *
mp_list_parse_builtin (FILE *errors, int *nbad)
{
    return mp_list_parse (
      parley_mps_csv, parley_mps_csv_len, "mps.csv (compiled in)", errors, nbad);
}

size_t
mp_list_count (const mp_list_t *self)
{
    return self->count;
}

const mp_list_entry_t *
mp_list_at (const mp_list_t *self, size_t index)
{
    return index < self->count ? &self->entries[index] : NULL;
}

void
mp_list_destroy (mp_list_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mp_list_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        free (self->entries[i].name);
        free (self->entries[i].party);
        free (self->entries[i].since);
        free (self->entries[i].person_key);
    }
    free (self->entries);
    free (self);
    *self_p = NULL;
}
