/* Result sets for the `parley` CLI and their three renderings: an aligned text table that
   fits a terminal (80 columns), CSV as RFC 4180 has it (header, CRLF, quotes doubled) and
   JSON (an array of objects, numbers as numbers, NULL as null).

   A result set is a copy of a query's answer (or of rows the CLI builds itself), so it
   outlives the PGresult and can be reshaped (relabelled, given computed columns) before it
   is printed. Values are text as PostgreSQL sends them; the column type decides how they
   are written out. */
#ifndef PARLEY_RENDER_H
#define PARLEY_RENDER_H
#include <stdio.h>
#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "parley.h"

/* RENDER_XLSX_CSV is CSV for spreadsheets (Excel, LibreOffice, Power BI's CSV import): the
   same RFC 4180 fields, after a UTF-8 byte order mark (so Excel reads the text as UTF-8),
   with text cells that a spreadsheet would run as a formula neutralised and text cells
   that it would turn into numbers (ids such as "0123") kept as text (render_xlsx_cell). */
typedef enum { RENDER_TABLE, RENDER_CSV, RENDER_JSON, RENDER_XLSX_CSV } render_format_t;

typedef enum {
    COLUMN_TEXT, /* strings; dates stay text (ISO 8601) */
    COLUMN_INT,  /* int2/int4/int8: JSON integers, right-aligned */
    COLUMN_REAL, /* numeric/float: JSON reals, right-aligned, 2 decimals in tables */
    COLUMN_BOOL  /* PostgreSQL's t/f: JSON true/false, "yes"/"no" in tables */
} column_type_t;

typedef struct resultset resultset_t;

/* The width a table must fit in. */
#define RENDER_WIDTH 80

/* The formats' names, indexed by render_format_t and NULL-terminated: "table", "csv",
   "json", "xlsx-csv" (the choices of `parley --format`). */
extern const char *const render_format_names[];

/* A copy of a PGRES_TUPLES_OK result: column names, types from the column OIDs, values.
   Caller owns the result set. */
resultset_t *resultset_from_pg (const PGresult *res);
/* An empty result set with the given columns. Caller owns it. */
resultset_t *resultset_new (size_t ncols, const char *const names[], const column_type_t types[]);
void resultset_destroy (resultset_t **self_p);

/* Appends a row: ncols values, each copied; NULL is SQL NULL. */
void resultset_add_row (resultset_t *self, const char *const values[]);
size_t resultset_rows (const resultset_t *self);
size_t resultset_cols (const resultset_t *self);
/* Column index by name, or -1. */
int resultset_find (const resultset_t *self, const char *name);
const char *resultset_name (const resultset_t *self, size_t col);
column_type_t resultset_type (const resultset_t *self, size_t col);
/* The value (NULL for SQL NULL); the result set keeps ownership. */
const char *resultset_value (const resultset_t *self, size_t row, size_t col);
/* The value as a number (0 for NULL or text). */
long long resultset_int (const resultset_t *self, size_t row, size_t col);
double resultset_real (const resultset_t *self, size_t row, size_t col);
/* A heading for the table rendering instead of the column name (CSV and JSON keep the
   names, which are the views' column names). */
void resultset_set_label (resultset_t *self, size_t col, const char *label);
/* Leaves the column out of the table rendering only (it still appears in CSV and JSON). */
void resultset_hide_in_table (resultset_t *self, size_t col);
/* Shows the column in the table rendering only (e.g. a stance as a word beside the number
   that CSV and JSON carry). */
void resultset_table_only (resultset_t *self, size_t col);
/* A text column that a table may not cut below `width` columns (default 8). */
void resultset_set_min_width (resultset_t *self, size_t col, size_t width);

/* Writes the result set in the format. Tables wider than RENDER_WIDTH shrink their text
   columns (cells cut with "…"); when even that cannot fit, each row is written as a block
   of "label  value" lines instead (psql's expanded display). An empty result prints
   `empty_note` in table format (if not NULL), and a header only / [] otherwise. */
void render_write (const resultset_t *self,
                   render_format_t format,
                   FILE *out,
                   const char *empty_note);
void render_table (const resultset_t *self, FILE *out, const char *empty_note);
void render_expanded (const resultset_t *self, FILE *out);
void render_csv (const resultset_t *self, FILE *out);
void render_json (const resultset_t *self, FILE *out);
/* CSV for spreadsheets (RENDER_XLSX_CSV): the byte order mark, then render_csv's lines with
   every text cell passed through render_xlsx_cell. */
void render_xlsx_csv (const resultset_t *self, FILE *out);

/* The UTF-8 byte order mark that starts RENDER_XLSX_CSV output. */
#define RENDER_UTF8_BOM "\xef\xbb\xbf"
/* What a text cell becomes in RENDER_XLSX_CSV, before CSV quoting (caller owns it):
   - a cell starting with = + - @ TAB or CR (the characters OWASP's CSV-injection guidance
     names) gets a leading apostrophe, so "=HYPERLINK(...)" is shown, never run;
   - a cell of digits only (an id such as "0123" or "12345678901234567890", which a
     spreadsheet would read as a number, losing the zero or the digits past the 15th) is
     written ="0123", so it stays the text it is;
   - anything else is unchanged. Numeric columns are not text cells: -5 stays a number. */
char *render_xlsx_cell (const char *value);

/* JSON pieces, for commands that nest several result sets in one document. New references. */
json_t *render_json_row (const resultset_t *self, size_t row);
json_t *render_json_rows (const resultset_t *self);
/* Writes a JSON document, indented, UTF-8, with a final newline. */
void render_json_dump (json_t *doc, FILE *out);

/* CSV pieces, for streaming a large query row by row (PQsetSingleRowMode). */
void render_csv_field (FILE *out, const char *value, int is_null);
void render_csv_pg_header (const PGresult *res, FILE *out);
void render_csv_pg_rows (const PGresult *res, FILE *out);
/* The same for RENDER_XLSX_CSV: the header (after the byte order mark) and the rows, text
   cells (by column OID) through render_xlsx_cell. */
void render_xlsx_csv_pg_header (const PGresult *res, FILE *out);
void render_xlsx_csv_pg_rows (const PGresult *res, FILE *out);

/* Display width of UTF-8 text (one column per code point), and a copy cut to at most
   `width` columns, ending in "…" when cut. Caller owns the copy. */
size_t render_text_width (const char *text);
char *render_text_cut (const char *text, size_t width);

/* A progress bar of `width` cells: '#' for done, '.' for the rest, e.g. "[#####.....]".
   Caller owns the result. */
char *render_bar (double fraction, int width);
/* An integer with thousands separators ("1,000,000"). Caller owns the result. */
char *render_thousands (long long value);

#endif
