/* Result sets and their table, CSV and JSON renderings (see render.h). */
#include "render.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* PostgreSQL's built-in type OIDs (pg_type.dat); stable across releases. */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_OID 26
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column wide */

typedef struct {
    char *name;
    char *label;
    column_type_t type;
    int hidden;     /* in tables */
    int table_only; /* hidden in CSV and JSON */
    size_t min_width;
} column_t;

struct resultset {
    size_t ncols;
    column_t *cols;
    size_t nrows, cap;
    char **cells; /* nrows * ncols, row-major; NULL is SQL NULL */
};

const char *const render_format_names
  [] = { [RENDER_TABLE] = "table", [RENDER_CSV] = "csv", [RENDER_JSON] = "json", NULL };

static column_type_t
s_type_of_oid (Oid oid)
{
    switch (oid) {
        case OID_INT8:
        case OID_INT2:
        case OID_INT4:
        case OID_OID:
            return COLUMN_INT;
        case OID_FLOAT4:
        case OID_FLOAT8:
        case OID_NUMERIC:
            return COLUMN_REAL;
        case OID_BOOL:
            return COLUMN_BOOL;
        default:
            return COLUMN_TEXT;
    }
}

resultset_t *
resultset_new (size_t ncols, const char *const names[], const column_type_t types[])
{
    resultset_t *self = xcalloc (1, sizeof *self);
    self->ncols = ncols;
    self->cols = xcalloc (ncols ? ncols : 1, sizeof *self->cols);
    for (size_t c = 0; c < ncols; c++) {
        self->cols[c].name = xstrdup (names[c]);
        self->cols[c].type = types[c];
    }
    return self;
}

resultset_t *
resultset_from_pg (const PGresult *res)
{
    size_t ncols = (size_t)PQnfields (res);
    const char **names = xcalloc (ncols ? ncols : 1, sizeof *names);
    column_type_t *types = xcalloc (ncols ? ncols : 1, sizeof *types);
    for (size_t c = 0; c < ncols; c++) {
        names[c] = PQfname (res, (int)c);
        types[c] = s_type_of_oid (PQftype (res, (int)c));
    }
    resultset_t *self = resultset_new (ncols, names, types);
    free (names);
    free (types);

    int nrows = PQntuples (res);
    const char **row = xcalloc (ncols ? ncols : 1, sizeof *row);
    for (int r = 0; r < nrows; r++) {
        for (size_t c = 0; c < ncols; c++)
            row[c] = PQgetisnull (res, r, (int)c) ? NULL : PQgetvalue (res, r, (int)c);
        resultset_add_row (self, row);
    }
    free (row);
    return self;
}

void
resultset_destroy (resultset_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    resultset_t *self = *self_p;
    for (size_t i = 0; i < self->nrows * self->ncols; i++)
        free (self->cells[i]);
    free (self->cells);
    for (size_t c = 0; c < self->ncols; c++) {
        free (self->cols[c].name);
        free (self->cols[c].label);
    }
    free (self->cols);
    free (self);
    *self_p = NULL;
}

void
resultset_add_row (resultset_t *self, const char *const values[])
{
    if (self->nrows == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 16;
        self->cells =
          xrealloc (self->cells, self->cap * (self->ncols ? self->ncols : 1) * sizeof *self->cells);
    }
    char **row = self->cells + self->nrows * self->ncols;
    for (size_t c = 0; c < self->ncols; c++)
        row[c] = values[c] ? xstrdup (values[c]) : NULL;
    self->nrows++;
}

size_t
resultset_rows (const resultset_t *self)
{
    return self->nrows;
}

size_t
resultset_cols (const resultset_t *self)
{
    return self->ncols;
}

int
resultset_find (const resultset_t *self, const char *name)
{
    for (size_t c = 0; c < self->ncols; c++)
        if (strcmp (self->cols[c].name, name) == 0)
            return (int)c;
    return -1;
}

const char *
resultset_name (const resultset_t *self, size_t col)
{
    return self->cols[col].name;
}

column_type_t
resultset_type (const resultset_t *self, size_t col)
{
    return self->cols[col].type;
}

const char *
resultset_value (const resultset_t *self, size_t row, size_t col)
{
    return self->cells[row * self->ncols + col];
}

long long
resultset_int (const resultset_t *self, size_t row, size_t col)
{
    const char *v = resultset_value (self, row, col);
    return v ? strtoll (v, NULL, 10) : 0;
}

double
resultset_real (const resultset_t *self, size_t row, size_t col)
{
    const char *v = resultset_value (self, row, col);
    return v ? strtod (v, NULL) : 0.0;
}

void
resultset_set_label (resultset_t *self, size_t col, const char *label)
{
    free (self->cols[col].label);
    self->cols[col].label = xstrdup (label);
}

void
resultset_hide_in_table (resultset_t *self, size_t col)
{
    self->cols[col].hidden = 1;
}

void
resultset_table_only (resultset_t *self, size_t col)
{
    self->cols[col].table_only = 1;
}

void
resultset_set_min_width (resultset_t *self, size_t col, size_t width)
{
    self->cols[col].min_width = width;
}

static const char *
s_label (const resultset_t *self, size_t col)
{
    return self->cols[col].label ? self->cols[col].label : self->cols[col].name;
}

/* ---- text measures ---------------------------------------------------------------- */

size_t
render_text_width (const char *text)
{
    size_t width = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p & 0xC0) != 0x80) /* not a continuation byte: a new code point */
            width++;
    return width;
}

char *
render_text_cut (const char *text, size_t width)
{
    if (render_text_width (text) <= width)
        return xstrdup (text);
    if (width == 0)
        return xstrdup ("");
    /* Keep width-1 code points and add the ellipsis, cutting only between code points. */
    size_t keep = width - 1, seen = 0;
    const char *p = text;
    while (*p) {
        if (((unsigned char)*p & 0xC0) != 0x80) {
            if (seen == keep)
                break;
            seen++;
        }
        p++;
    }
    size_t bytes = (size_t)(p - text);
    /* Trailing spaces before the ellipsis read badly ("Bath …"). */
    while (bytes > 0 && text[bytes - 1] == ' ')
        bytes--;
    char *out = xmalloc (bytes + sizeof ELLIPSIS);
    memcpy (out, text, bytes);
    memcpy (out + bytes, ELLIPSIS, sizeof ELLIPSIS);
    return out;
}

char *
render_bar (double fraction, int width)
{
    if (!(fraction >= 0.0)) /* also NaN */
        fraction = 0.0;
    if (fraction > 1.0)
        fraction = 1.0;
    int done = (int)floor (fraction * width + 1e-9);
    char *bar = xmalloc ((size_t)width + 3);
    bar[0] = '[';
    for (int i = 0; i < width; i++)
        bar[i + 1] = i < done ? '#' : '.';
    bar[width + 1] = ']';
    bar[width + 2] = '\0';
    return bar;
}

char *
render_thousands (long long value)
{
    char digits[32];
    snprintf (digits, sizeof digits, "%lld", value < 0 ? -value : value);
    size_t n = strlen (digits);
    char *out = xmalloc (n + n / 3 + 3);
    char *o = out;
    if (value < 0)
        *o++ = '-';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            *o++ = ',';
        *o++ = digits[i];
    }
    *o = '\0';
    return out;
}

/* ---- table ------------------------------------------------------------------------- */

/* Bytes of a control character at p that a terminal would act on instead of showing: C0
   and DEL (a line break or tab would break the table's lines, ESC starts a terminal
   command), C1 (U+0080-U+009F; U+009B is a CSI on some terminals), the line and paragraph
   separators and the bidirectional formatting characters (U+061C, U+200E-U+200F,
   U+202A-U+202E, U+2066-U+2069: a right-to-left override turns the rest of the line
   around). 0 for anything else. The text is valid UTF-8 (the database's). */
static size_t
s_control_len (const unsigned char *p)
{
    if (p[0] < 0x20 || p[0] == 0x7f)
        return 1;
    if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
        return 2;
    if (p[0] == 0xD8 && p[1] == 0x9C)
        return 2;
    if (p[0] == 0xE2 && p[1] == 0x80 &&
        (p[2] == 0x8E || p[2] == 0x8F || (p[2] >= 0xA8 && p[2] <= 0xAE)))
        return 3;
    if (p[0] == 0xE2 && p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)
        return 3;
    return 0;
}

/* v as a table shows it: each control character (s_control_len) becomes one space, so a
   cell can neither break the table's lines nor drive the terminal, and keeps its width.
   Caller owns it. CSV and JSON carry the text exactly. */
static char *
s_shown_text (const char *v)
{
    char *t = xstrdup (v), *o = t;
    for (const unsigned char *p = (const unsigned char *)v; *p;) {
        size_t n = s_control_len (p);
        if (n) {
            *o++ = ' ';
            p += n;
        } else
            *o++ = (char)*p++;
    }
    *o = '\0';
    return t;
}

/* The text shown in a table cell. Caller owns it. */
static char *
s_cell_text (const resultset_t *self, size_t row, size_t col)
{
    const char *v = resultset_value (self, row, col);
    if (!v)
        return xstrdup ("");
    switch (self->cols[col].type) {
        case COLUMN_BOOL:
            return xstrdup (v[0] == 't' ? "yes" : "no");
        case COLUMN_REAL: {
            char *end;
            errno = 0;
            double d = strtod (v, &end);
            if (errno || *end)
                return xstrdup (v);
            return xasprintf ("%.2f", d);
        }
        default:
            return s_shown_text (v);
    }
}

static int
s_is_numeric (const resultset_t *self, size_t col)
{
    return self->cols[col].type == COLUMN_INT || self->cols[col].type == COLUMN_REAL;
}

static void
s_pad (FILE *out, const char *text, size_t width, int right)
{
    size_t w = render_text_width (text);
    size_t pad = w < width ? width - w : 0;
    if (right)
        fprintf (out, "%*s%s", (int)pad, "", text);
    else
        fprintf (out, "%s%*s", text, (int)pad, "");
}

/* Prints one table line, trimming the padding after the last column. */
static void
s_table_line (FILE *out,
              char **texts,
              const size_t *vis,
              size_t nvis,
              const size_t *width,
              const resultset_t *self)
{
    for (size_t i = 0; i < nvis; i++) {
        size_t c = vis[i];
        char *cut = render_text_cut (texts[i], width[i]);
        int right = s_is_numeric (self, c);
        if (i + 1 == nvis && !right)
            fputs (cut, out);
        else
            s_pad (out, cut, width[i], right);
        if (i + 1 < nvis)
            fputs ("  ", out);
        free (cut);
    }
    fputc ('\n', out);
}

void
render_table (const resultset_t *self, FILE *out, const char *empty_note)
{
    if (self->nrows == 0) {
        if (empty_note)
            fprintf (out, "%s\n", empty_note);
        return;
    }
    size_t *vis = xcalloc (self->ncols + 1, sizeof *vis);
    size_t nvis = 0;
    for (size_t c = 0; c < self->ncols; c++)
        if (!self->cols[c].hidden)
            vis[nvis++] = c;

    char **text = xcalloc (self->nrows * (nvis ? nvis : 1), sizeof *text);
    size_t *width = xcalloc (nvis + 1, sizeof *width);
    size_t *minw = xcalloc (nvis + 1, sizeof *minw);
    for (size_t i = 0; i < nvis; i++)
        width[i] = render_text_width (s_label (self, vis[i]));
    for (size_t r = 0; r < self->nrows; r++)
        for (size_t i = 0; i < nvis; i++) {
            char *t = s_cell_text (self, r, vis[i]);
            size_t w = render_text_width (t);
            if (w > width[i])
                width[i] = w;
            text[r * nvis + i] = t;
        }

    /* Shrink the widest text column, one column at a time, until the table fits; numbers
       are never cut (a cut number is a wrong number). */
    size_t total = nvis ? 2 * (nvis - 1) : 0;
    for (size_t i = 0; i < nvis; i++) {
        total += width[i];
        if (s_is_numeric (self, vis[i]))
            minw[i] = width[i];
        else {
            size_t floor_w = self->cols[vis[i]].min_width ? self->cols[vis[i]].min_width : 8;
            minw[i] = width[i] < floor_w ? width[i] : floor_w;
        }
    }
    while (total > RENDER_WIDTH) {
        size_t best = nvis;
        for (size_t i = 0; i < nvis; i++)
            if (width[i] > minw[i] && (best == nvis || width[i] > width[best]))
                best = i;
        if (best == nvis)
            break;
        width[best]--;
        total--;
    }

    if (total > RENDER_WIDTH) {
        render_expanded (self, out);
    } else {
        char **labels = xcalloc (nvis + 1, sizeof *labels);
        for (size_t i = 0; i < nvis; i++)
            labels[i] = (char *)s_label (self, vis[i]);
        s_table_line (out, labels, vis, nvis, width, self);
        for (size_t i = 0; i < nvis; i++) {
            for (size_t k = 0; k < width[i]; k++)
                fputc ('-', out);
            if (i + 1 < nvis)
                fputs ("  ", out);
        }
        fputc ('\n', out);
        for (size_t r = 0; r < self->nrows; r++)
            s_table_line (out, text + r * nvis, vis, nvis, width, self);
        free (labels);
    }

    for (size_t i = 0; i < self->nrows * nvis; i++)
        free (text[i]);
    free (text);
    free (width);
    free (minw);
    free (vis);
}

/* Writes `text` in lines of at most `width` columns, breaking at spaces where it can; the
   first line continues the current one, later ones start with `indent` spaces. */
static void
s_wrap (FILE *out, const char *text, size_t width, size_t indent)
{
    const char *p = text;
    int first = 1;
    do {
        if (!first)
            fprintf (out, "%*s", (int)indent, "");
        first = 0;
        /* Find the longest prefix of at most `width` code points, preferring a space. */
        const char *q = p, *brk = NULL;
        size_t cols = 0;
        while (*q && cols < width) {
            if (*q == ' ')
                brk = q;
            q++;
            while (((unsigned char)*q & 0xC0) == 0x80)
                q++;
            cols++;
        }
        if (*q == ' ' || !*q)
            brk = q;
        const char *end = brk && brk > p ? brk : q;
        fprintf (out, "%.*s\n", (int)(end - p), p);
        p = end;
        while (*p == ' ')
            p++;
    } while (*p);
}

void
render_expanded (const resultset_t *self, FILE *out)
{
    size_t lw = 0;
    for (size_t c = 0; c < self->ncols; c++) {
        size_t w = render_text_width (s_label (self, c));
        if (!self->cols[c].hidden && w > lw)
            lw = w;
    }
    if (lw > 32)
        lw = 32;
    size_t vw = RENDER_WIDTH > lw + 2 + 10 ? RENDER_WIDTH - lw - 2 : 10;
    for (size_t r = 0; r < self->nrows; r++) {
        if (self->nrows > 1)
            fprintf (out, "%s-- %zu of %zu --\n", r ? "\n" : "", r + 1, self->nrows);
        for (size_t c = 0; c < self->ncols; c++) {
            if (self->cols[c].hidden)
                continue;
            char *label = render_text_cut (s_label (self, c), lw);
            s_pad (out, label, lw, 0);
            fputs ("  ", out);
            char *t = s_cell_text (self, r, c);
            if (*t)
                s_wrap (out, t, vw, lw + 2);
            else
                fputc ('\n', out);
            free (t);
            free (label);
        }
    }
}

/* ---- CSV (RFC 4180) -------------------------------------------------------------- */

void
render_csv_field (FILE *out, const char *value, int is_null)
{
    if (is_null || !value)
        return; /* NULL is an empty field; "" below is an empty string, as COPY writes it */
    if (!*value || strpbrk (value, ",\"\r\n")) {
        fputc ('"', out);
        for (const char *p = value; *p; p++) {
            if (*p == '"')
                fputc ('"', out);
            fputc (*p, out);
        }
        fputc ('"', out);
    } else {
        fputs (value, out);
    }
}

void
render_csv (const resultset_t *self, FILE *out)
{
    int first = 1;
    for (size_t c = 0; c < self->ncols; c++) {
        if (self->cols[c].table_only)
            continue;
        if (!first)
            fputc (',', out);
        first = 0;
        render_csv_field (out, self->cols[c].name, 0);
    }
    fputs ("\r\n", out);
    for (size_t r = 0; r < self->nrows; r++) {
        first = 1;
        for (size_t c = 0; c < self->ncols; c++) {
            if (self->cols[c].table_only)
                continue;
            if (!first)
                fputc (',', out);
            first = 0;
            const char *v = resultset_value (self, r, c);
            render_csv_field (out, v, v == NULL);
        }
        fputs ("\r\n", out);
    }
}

void
render_csv_pg_header (const PGresult *res, FILE *out)
{
    for (int c = 0; c < PQnfields (res); c++) {
        if (c)
            fputc (',', out);
        render_csv_field (out, PQfname (res, c), 0);
    }
    fputs ("\r\n", out);
}

void
render_csv_pg_rows (const PGresult *res, FILE *out)
{
    for (int r = 0; r < PQntuples (res); r++) {
        for (int c = 0; c < PQnfields (res); c++) {
            if (c)
                fputc (',', out);
            render_csv_field (out, PQgetvalue (res, r, c), PQgetisnull (res, r, c));
        }
        fputs ("\r\n", out);
    }
}

/* ---- JSON ------------------------------------------------------------------------ */

static json_t *
s_json_value (const resultset_t *self, size_t row, size_t col)
{
    const char *v = resultset_value (self, row, col);
    if (!v)
        return json_null ();
    char *end;
    switch (self->cols[col].type) {
        case COLUMN_INT: {
            errno = 0;
            long long n = strtoll (v, &end, 10);
            if (!errno && *v && !*end)
                return json_integer (n);
            break;
        }
        case COLUMN_REAL: {
            errno = 0;
            double d = strtod (v, &end);
            /* NaN and infinities have no JSON form: write them as null. */
            if (*v && !*end)
                return isfinite (d) ? json_real (d) : json_null ();
            break;
        }
        case COLUMN_BOOL:
            return json_boolean (v[0] == 't');
        default:
            break;
    }
    json_t *s = json_string (v);
    /* PostgreSQL sends UTF-8 (the client encoding is set to it), so this is a safeguard. */
    return s ? s : json_null ();
}

json_t *
render_json_row (const resultset_t *self, size_t row)
{
    json_t *obj = json_object ();
    for (size_t c = 0; c < self->ncols; c++)
        if (!self->cols[c].table_only)
            json_object_set_new (obj, self->cols[c].name, s_json_value (self, row, c));
    return obj;
}

json_t *
render_json_rows (const resultset_t *self)
{
    json_t *arr = json_array ();
    for (size_t r = 0; r < self->nrows; r++)
        json_array_append_new (arr, render_json_row (self, r));
    return arr;
}

void
render_json_dump (json_t *doc, FILE *out)
{
    /* 15 significant digits: exact for every figure we hold (means of small integers),
       without the 0.66666666666666663 noise of 17. */
    json_dumpf (doc, out, JSON_INDENT (2) | JSON_REAL_PRECISION (15));
    fputc ('\n', out);
}

void
render_json (const resultset_t *self, FILE *out)
{
    json_t *arr = render_json_rows (self);
    render_json_dump (arr, out);
    json_decref (arr);
}

void
render_write (const resultset_t *self, render_format_t format, FILE *out, const char *empty_note)
{
    switch (format) {
        case RENDER_TABLE:
            render_table (self, out, empty_note);
            break;
        case RENDER_CSV:
            render_csv (self, out);
            break;
        case RENDER_JSON:
            render_json (self, out);
            break;
    }
}
