/* The sitting MPs reference list (see mps.h). */
#include "mps.h"

#include <csv.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "constituency.h"
#include "fold.h"
#include "log.h"
#include "mem.h"

extern const char parley_mps_csv[];
extern const size_t parley_mps_csv_len;

#define MPS_MAX_ERRORS 20
#define MPS_NAME_MAX 200  /* the same limits as stakeholder.name and .party in events */
#define MPS_PARTY_MAX 100
static const char *const s_header[] = {"constituency_code", "name", "party", "since"};
#define MPS_FIELDS 4

typedef struct {
    const char *source;
    FILE *errors;
    long line;            /* physical line being parsed */
    long row_line;        /* the line the current row started on */
    size_t nfields;
    char *fields[MPS_FIELDS];
    int rows;             /* rows seen, header included */
    int nerrors;
    char seen[1024];      /* constituency index → row already given (650 of them) */
    char *copy;           /* the COPY data built from good rows */
    size_t copy_len, copy_cap;
    long loaded;
} mps_parse_t;

static void
s_error (mps_parse_t *self, long line, const char *format, ...) PARLEY_PRINTF (3, 4);

static void
s_error (mps_parse_t *self, long line, const char *format, ...)
{
    self->nerrors++;
    if (self->nerrors > MPS_MAX_ERRORS)
        return;
    va_list ap;
    va_start (ap, format);
    fprintf (self->errors, "%s:%ld: ", self->source, line);
    vfprintf (self->errors, format, ap);
    fputc ('\n', self->errors);
    va_end (ap);
}

static void
s_append (mps_parse_t *self, const char *text, size_t len)
{
    if (self->copy_len + len + 1 > self->copy_cap) {
        self->copy_cap = (self->copy_len + len + 1) * 2;
        self->copy = xrealloc (self->copy, self->copy_cap);
    }
    memcpy (self->copy + self->copy_len, text, len);
    self->copy_len += len;
    self->copy[self->copy_len] = '\0';
}

/* One CSV field of the COPY data, quoted as FORMAT csv reads it; NULL is an empty field. */
static void
s_append_field (mps_parse_t *self, const char *value, int last)
{
    if (value) {
        s_append (self, "\"", 1);
        for (const char *p = value; *p; p++) {
            if (*p == '"')
                s_append (self, "\"\"", 2);
            else
                s_append (self, p, 1);
        }
        s_append (self, "\"", 1);
    }
    s_append (self, last ? "\n" : ",", 1);
}

static int
s_valid_utf8 (const char *s)
{
    const unsigned char *p = (const unsigned char *) s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0 || (n == 1 && *p < 0xC2))
            return 0;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

static int
s_valid_date (const char *text)
{
    int y, m, d;
    char tail;
    if (strlen (text) != 10 || sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return 0;
    if (text[4] != '-' || text[7] != '-' || y < 1800 || m < 1 || m > 12 || d < 1)
        return 0;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

static void
s_row (mps_parse_t *self)
{
    long line = self->row_line;
    self->rows++;
    if (self->rows == 1) {
        int ok = self->nfields == MPS_FIELDS;
        for (size_t i = 0; ok && i < MPS_FIELDS; i++)
            ok = strcmp (self->fields[i], s_header[i]) == 0;
        if (!ok)
            s_error (self, line, "the header must be \"constituency_code,name,party,since\"");
        return;
    }
    if (self->nfields != MPS_FIELDS) {
        s_error (self, line, "expected 4 fields (constituency_code,name,party,since), found %zu", self->nfields);
        return;
    }
    const char *code = self->fields[0], *name = self->fields[1], *party = self->fields[2], *since = self->fields[3];
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
    if (!s_valid_utf8 (name) || !s_valid_utf8 (party)) {
        s_error (self, line, "not valid UTF-8");
        return;
    }
    if (strlen (name) > MPS_NAME_MAX) {
        s_error (self, line, "name is longer than %d bytes", MPS_NAME_MAX);
        return;
    }
    char *key = fold_person_key (name);
    if (!*key) {
        s_error (self, line, "name \"%s\" has no person key (empty, or only titles)", name);
        free (key);
        return;
    }
    if (strlen (party) > MPS_PARTY_MAX) {
        s_error (self, line, "party is longer than %d bytes", MPS_PARTY_MAX);
        free (key);
        return;
    }
    if (*since && !s_valid_date (since)) {
        s_error (self, line, "since \"%s\" is not a date (YYYY-MM-DD)", since);
        free (key);
        return;
    }
    if (index < sizeof self->seen)
        self->seen[index] = 1;
    s_append_field (self, c->code, 0);
    s_append_field (self, name, 0);
    s_append_field (self, *party ? party : NULL, 0);
    s_append_field (self, *since ? since : NULL, 0);
    s_append_field (self, key, 1);
    self->loaded++;
    free (key);
}

static void
s_field_cb (void *data, size_t len, void *arg)
{
    mps_parse_t *self = arg;
    if (self->nfields == 0)
        self->row_line = self->line;
    if (self->nfields < MPS_FIELDS)
        self->fields[self->nfields] = xstrndup (data ? data : "", data ? len : 0);
    self->nfields++;
}

static void
s_row_cb (int term, void *arg)
{
    (void) term;
    mps_parse_t *self = arg;
    if (self->nfields < MPS_FIELDS)
        for (size_t i = self->nfields; i < MPS_FIELDS; i++)
            self->fields[i] = xstrdup ("");
    s_row (self);
    for (size_t i = 0; i < MPS_FIELDS; i++) {
        free (self->fields[i]);
        self->fields[i] = NULL;
    }
    self->nfields = 0;
}

/* Parses and validates; fills self->copy with the good rows. Returns 0 if the whole file
   is good. */
static int
s_parse (mps_parse_t *self, const char *csv, size_t len)
{
    struct csv_parser parser;
    if (csv_init (&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
        abort ();
    size_t start = 0;
    /* A UTF-8 byte order mark, as some spreadsheets write, is not part of the header. */
    if (len >= 3 && memcmp (csv, "\xEF\xBB\xBF", 3) == 0)
        start = 3;
    self->line = 1;
    int failed = 0;
    /* Fed one physical line at a time, so every row knows the line it started on. */
    while (start < len && !failed) {
        const char *nl = memchr (csv + start, '\n', len - start);
        size_t end = nl ? (size_t) (nl - csv) + 1 : len;
        if (csv_parse (&parser, csv + start, end - start, s_field_cb, s_row_cb, self) != end - start) {
            s_error (self, self->line, "malformed CSV: %s", csv_strerror (csv_error (&parser)));
            failed = 1;
        }
        start = end;
        self->line++;
    }
    if (!failed && csv_fini (&parser, s_field_cb, s_row_cb, self) != 0)
        s_error (self, self->line - 1, "malformed CSV: %s", csv_strerror (csv_error (&parser)));
    csv_free (&parser);
    for (size_t i = 0; i < MPS_FIELDS; i++)
        free (self->fields[i]);
    if (self->rows == 0)
        s_error (self, 1, "the file is empty");
    return self->nerrors ? -1 : 0;
}

static int
s_exec (PGconn *conn, const char *sql, FILE *errors)
{
    PGresult *res = PQexec (conn, sql);
    int ok = res && (PQresultStatus (res) == PGRES_COMMAND_OK || PQresultStatus (res) == PGRES_TUPLES_OK);
    if (!ok && errors)
        fprintf (errors, "parley: could not load the MP list: %s\n",
                 res && PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY)
                     ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : PQerrorMessage (conn));
    PQclear (res);
    return ok ? 0 : -1;
}

/* Replaces parley.mp's rows with the COPY data. */
static int
s_store (PGconn *conn, const mps_parse_t *self, FILE *errors)
{
    if (s_exec (conn, "DELETE FROM parley.mp", errors) < 0)
        return -1;
    PGresult *res = PQexec (conn, "COPY parley.mp (constituency_code, name, party, since, person_key)"
                                  " FROM STDIN WITH (FORMAT csv)");
    if (!res || PQresultStatus (res) != PGRES_COPY_IN) {
        if (errors)
            fprintf (errors, "parley: could not load the MP list: %s\n",
                     res && PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY)
                         ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : PQerrorMessage (conn));
        PQclear (res);
        return -1;
    }
    PQclear (res);
    int ok = PQputCopyData (conn, self->copy ? self->copy : "", (int) self->copy_len) == 1
             && PQputCopyEnd (conn, NULL) == 1;
    res = PQgetResult (conn);
    ok = ok && res && PQresultStatus (res) == PGRES_COMMAND_OK;
    if (!ok && errors)
        fprintf (errors, "parley: could not load the MP list: %s\n",
                 res && PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY)
                     ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : PQerrorMessage (conn));
    PQclear (res);
    while ((res = PQgetResult (conn)))
        PQclear (res);
    return ok ? 0 : -1;
}

long
mps_load (PGconn *conn, const char *csv, size_t len, const char *source, FILE *errors)
{
    mps_parse_t self;
    memset (&self, 0, sizeof self);
    self.source = source;
    self.errors = errors ? errors : stderr;
    long result = -1;
    if (s_parse (&self, csv, len) < 0) {
        if (self.nerrors > MPS_MAX_ERRORS)
            fprintf (self.errors, "%s: %d more errors not shown\n", source, self.nerrors - MPS_MAX_ERRORS);
        fprintf (self.errors, "parley: %s: %d bad row%s; the MP list was not changed\n", source, self.nerrors,
                 self.nerrors == 1 ? "" : "s");
        goto out;
    }
    if (s_store (conn, &self, self.errors) < 0)
        goto out;
    result = self.loaded;
out:
    free (self.copy);
    return result;
}

int
mps_seed (PGconn *conn)
{
    PGresult *res = PQexec (conn, "SELECT EXISTS (SELECT 1 FROM parley.mp)");
    if (!res || PQresultStatus (res) != PGRES_TUPLES_OK) {
        log_error ("schema", "could not read the MP list", "err=\"%s\"",
                   res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : PQerrorMessage (conn));
        PQclear (res);
        return -1;
    }
    int has = PQgetvalue (res, 0, 0)[0] == 't';
    PQclear (res);
    if (has)
        return 0;
    char *buf = NULL;
    size_t buflen = 0;
    FILE *errors = open_memstream (&buf, &buflen);
    long n = mps_load (conn, parley_mps_csv, parley_mps_csv_len, "mps.csv (compiled in)", errors);
    fclose (errors);
    if (n < 0)
        log_error ("schema", "could not load the compiled-in MP list", "err=\"%s\"", buf ? buf : "");
    else
        log_info ("schema", "loaded the compiled-in MP list", "mps=%ld", n);
    free (buf);
    return n < 0 ? -1 : 0;
}
