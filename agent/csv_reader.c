/* Incremental CSV rows over libcsv (see csv_reader.h).

   Input is handed to libcsv one physical line at a time (or the part of a line fed so
   far). A row can only end at a line end, so when libcsv reports the end of a row we know
   exactly which byte it ended on, hence its end offset and line, without counting bytes
   inside libcsv. The input of the row being read is kept from its first byte, so that
   after a malformed row parsing can start again at the row's second line. */
#include "csv_reader.h"

#include <csv.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define S_BOM "\xEF\xBB\xBF"
#define S_BOM_LEN 3

struct csv_reader {
    struct csv_parser parser;
    size_t row_max, fields_max;

    /* Input fed and not yet dropped: buf[0..len) is the input from byte offset base. */
    char *buf;
    size_t len, cap;
    uint64_t base;
    size_t pos;    /* next byte to parse */
    uint64_t line; /* physical line of the byte at pos, from 1 */
    bool finished, fini_done, bom_checked;
    bool skipping; /* after a bad row: dropping input up to the next line end */

    /* The row being read. */
    bool row_open;    /* some of it has been parsed */
    size_t row_start; /* buf index of its first byte */
    uint64_t row_line;
    bool row_done;     /* libcsv ended it in the last piece parsed */
    bool row_overfull; /* more than fields_max fields */
    char *arena;       /* its fields, each NUL-terminated */
    size_t arena_len, arena_cap;
    size_t *offs, *lens, nfields, fields_cap;
    const char **views;

    char **header;
    size_t nheader;
    uint64_t taken_offset, taken_lines; /* past the last row taken */
    bool bad_pending;                   /* a bad row waits for its first line to be complete */
    reject_t bad;
};

/* --- libcsv callbacks ---------------------------------------------------------------- */

static void
s_on_field (void *data, size_t len, void *arg)
{
    csv_reader_t *self = arg;
    if (self->nfields == self->fields_max) {
        self->row_overfull = true;
        return;
    }
    if (self->nfields == self->fields_cap) {
        self->fields_cap = self->fields_cap ? 2 * self->fields_cap : 32;
        self->offs = xrealloc (self->offs, self->fields_cap * sizeof *self->offs);
        self->lens = xrealloc (self->lens, self->fields_cap * sizeof *self->lens);
        self->views = xrealloc (self->views, self->fields_cap * sizeof *self->views);
    }
    if (self->arena_len + len + 1 > self->arena_cap) {
        while (self->arena_len + len + 1 > self->arena_cap)
            self->arena_cap = self->arena_cap ? 2 * self->arena_cap : 4096;
        self->arena = xrealloc (self->arena, self->arena_cap);
    }
    const char *src = data;
    char *dst = self->arena + self->arena_len;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\r' && i + 1 < len && src[i + 1] == '\n')
            continue; /* CRLF inside a quoted field reads as LF */
        dst[n++] = src[i];
    }
    dst[n] = '\0';
    self->offs[self->nfields] = self->arena_len;
    self->lens[self->nfields] = n;
    self->nfields++;
    self->arena_len += n + 1;
}

static void
s_on_row (int terminator, void *arg)
{
    csv_reader_t *self = arg;
    self->row_done = true;
}

/* --- state --------------------------------------------------------------------------- */

static void
s_parser_reset (csv_reader_t *self)
{
    csv_free (&self->parser);
    int rc = csv_init (&self->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    if (rc != 0)
        abort (); /* only fails when out of memory, which aborts everywhere else too */
}

static void
s_row_clear (csv_reader_t *self)
{
    self->row_open = self->row_done = self->row_overfull = false;
    self->arena_len = 0;
    self->nfields = 0;
}

csv_reader_t *
csv_reader_new (const csv_reader_options_t *opts)
{
    csv_reader_t *self = xcalloc (1, sizeof *self);
    self->row_max = opts && opts->row_max ? opts->row_max : CSV_READER_ROW_MAX;
    self->fields_max = opts && opts->fields_max ? opts->fields_max : CSV_READER_FIELDS_MAX;
    if (csv_init (&self->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        abort ();
    self->line = 1;
    return self;
}

void
csv_reader_destroy (csv_reader_t **self_p)
{
    if (!*self_p)
        return;
    csv_reader_t *self = *self_p;
    csv_free (&self->parser);
    for (size_t i = 0; i < self->nheader; i++)
        free (self->header[i]);
    free (self->header);
    free (self->buf);
    free (self->arena);
    free (self->offs);
    free (self->lens);
    free (self->views);
    free (self);
    *self_p = NULL;
}

/* Drops input no longer needed: before the row being read, or before pos. */
static void
s_compact (csv_reader_t *self)
{
    size_t keep = self->row_open ? self->row_start : self->pos;
    if (keep == 0)
        return;
    memmove (self->buf, self->buf + keep, self->len - keep);
    self->len -= keep;
    self->pos -= keep;
    if (self->row_open)
        self->row_start -= keep;
    self->base += keep;
}

void
csv_reader_feed (csv_reader_t *self, const void *data, size_t len)
{
    if (len == 0)
        return; /* a reader that has no buffer yet must not memcpy to NULL */
    s_compact (self);
    if (self->len + len > self->cap) {
        while (self->len + len > self->cap)
            self->cap = self->cap ? 2 * self->cap : 65536;
        self->buf = xrealloc (self->buf, self->cap);
    }
    memcpy (self->buf + self->len, data, len);
    self->len += len;
}

void
csv_reader_finish (csv_reader_t *self)
{
    self->finished = true;
}

const char *const *
csv_reader_header (const csv_reader_t *self, size_t *count)
{
    *count = self->nheader;
    return (const char *const *)self->header;
}

void
csv_reader_position (const csv_reader_t *self, uint64_t *offset, uint64_t *lines)
{
    *offset = self->taken_offset;
    *lines = self->taken_lines;
}

int
csv_reader_resume (csv_reader_t *self, uint64_t offset, uint64_t lines)
{
    if (!self->header)
        return -1;
    s_parser_reset (self);
    s_row_clear (self);
    self->len = self->pos = 0;
    self->base = self->taken_offset = offset;
    self->line = lines + 1;
    self->taken_lines = lines;
    self->finished = self->fini_done = self->skipping = false;
    self->bom_checked = true;
    return 0;
}

/* --- reading ------------------------------------------------------------------------- */

/* The line end at or after from: sets *end past it and returns true, or returns false
   when none has been fed yet. A CR as the last byte fed is not taken as a line end until
   the next byte shows whether an LF follows (or the input has ended). */
static bool
s_line_end (const csv_reader_t *self, size_t from, size_t *end)
{
    for (size_t i = from; i < self->len; i++) {
        char c = self->buf[i];
        if (c == '\n') {
            *end = i + 1;
            return true;
        }
        if (c == '\r') {
            if (i + 1 < self->len) {
                *end = self->buf[i + 1] == '\n' ? i + 2 : i + 1;
                return true;
            }
            if (self->finished) {
                *end = i + 1;
                return true;
            }
            return false;
        }
    }
    return false;
}

static void
s_fill_row (csv_reader_t *self, csv_row_t *row, size_t end, uint64_t end_line)
{
    for (size_t i = 0; i < self->nfields; i++)
        self->views[i] = self->arena + self->offs[i];
    row->count = self->nfields;
    row->fields = self->views;
    row->lens = self->lens;
    row->line = self->row_line;
    row->end_line = end_line;
    row->offset = self->base + self->row_start;
    row->end_offset = self->base + end;
    row->raw = self->buf + self->row_start;
    row->raw_len = end - self->row_start;
}

/* A bad row is reported from its first line, once that line is complete (so that the same
   input gives the same report however it was fed); reading then starts again at the row's
   second line. raw is the first line, cut at row_max bytes. */
static csv_reader_status_t
s_bad_row (csv_reader_t *self, const reject_t *why)
{
    self->bad = *why;
    self->bad_pending = true;
    return CSV_READER_MORE;
}

static bool
s_emit_bad (csv_reader_t *self, csv_row_t *row, reject_t *why)
{
    size_t first_end;
    bool line_ended = s_line_end (self, self->row_start, &first_end);
    if (!line_ended) {
        if (!self->finished && self->len - self->row_start <= self->row_max)
            return false;
        first_end = self->len;
    }
    size_t shown =
      first_end - self->row_start > self->row_max ? self->row_start + self->row_max : first_end;
    s_fill_row (self, row, shown, self->row_line);
    row->count = 0;
    *why = self->bad;
    self->bad_pending = false;
    /* Reading starts again at the second line: a restart may resume there too. Until the
       first line's end has been seen, only the row's start is a safe position. */
    self->taken_offset = self->base + (line_ended ? first_end : self->row_start);
    self->taken_lines = self->row_line - (line_ended ? 0 : 1);
    self->pos = self->row_start;
    self->line = self->row_line;
    self->skipping = true;
    s_parser_reset (self);
    s_row_clear (self);
    self->fini_done = false;
    return true;
}

static bool
s_all_empty (const csv_reader_t *self)
{
    for (size_t i = 0; i < self->nfields; i++)
        if (self->lens[i] > 0)
            return false;
    return true;
}

/* libcsv has ended a row at buffer index end, on physical line end_line. */
static csv_reader_status_t
s_row_ended (csv_reader_t *self, csv_row_t *row, reject_t *why, size_t end, uint64_t end_line)
{
    self->taken_offset = self->base + end;
    self->taken_lines = end_line;
    if (self->row_overfull) {
        reject_set (why, "", "row has more than %zu fields", self->fields_max);
        s_fill_row (self, row, end, end_line);
        row->count = 0;
        s_row_clear (self);
        return CSV_READER_BAD;
    }
    if (s_all_empty (self)) {
        s_row_clear (self);
        return CSV_READER_MORE; /* not a row: the caller's loop goes on */
    }
    s_fill_row (self, row, end, end_line);
    s_row_clear (self);
    if (self->header)
        return CSV_READER_ROW;
    self->nheader = row->count;
    self->header = xcalloc (row->count, sizeof *self->header);
    for (size_t i = 0; i < row->count; i++)
        self->header[i] = xstrdup (row->fields[i]);
    return CSV_READER_HEADER;
}

/* Parses the next piece of input (up to and including one line end, or what there is of
   the line). Returns CSV_READER_MORE to go on, or a status for the caller. */
static csv_reader_status_t
s_step (csv_reader_t *self, csv_row_t *row, reject_t *why)
{
    size_t end;
    bool has_end = s_line_end (self, self->pos, &end);
    if (!has_end) {
        end = self->len;
        /* A CR held back is not parsed yet. */
        if (end > self->pos && self->buf[end - 1] == '\r' && !self->finished)
            end--;
    }
    if (self->skipping) {
        self->pos = end;
        if (has_end) {
            self->line++;
            self->skipping = false;
            self->taken_offset = self->base + end;
            self->taken_lines = self->line - 1;
        }
        return CSV_READER_MORE;
    }
    size_t start = self->pos;
    if (!self->row_open) {
        for (size_t i = start; i < end; i++)
            if (self->buf[i] != '\r' && self->buf[i] != '\n') {
                self->row_open = true;
                self->row_start = start;
                self->row_line = self->line;
                break;
            }
        if (!self->row_open) { /* an empty line */
            self->pos = end;
            if (has_end) {
                self->line++;
                self->taken_offset = self->base + end;
                self->taken_lines = self->line - 1;
            }
            return CSV_READER_MORE;
        }
    }
    if (end - self->row_start > self->row_max) {
        reject_set (why, "", "row is longer than %zu bytes (is a quote left open?)", self->row_max);
        return s_bad_row (self, why);
    }
    size_t n =
      csv_parse (&self->parser, self->buf + start, end - start, s_on_field, s_on_row, self);
    if (n != end - start) {
        char c = self->buf[start + n];
        uint64_t line = self->line;
        size_t field = self->nfields + 1;
        if (c == '"')
            reject_set (why,
                        "",
                        "malformed CSV on line %" PRIu64 ", field %zu: a quote inside an unquoted "
                        "field (quote the whole field and write the quote twice)",
                        line,
                        field);
        else
            reject_set (why,
                        "",
                        "malformed CSV on line %" PRIu64
                        ", field %zu: text after the closing quote of a quoted field",
                        line,
                        field);
        return s_bad_row (self, why);
    }
    self->pos = end;
    uint64_t end_line = self->line;
    if (has_end)
        self->line++;
    if (self->row_done)
        return s_row_ended (self, row, why, end, end_line);
    return CSV_READER_MORE;
}

/* The input has ended and all of it is parsed. */
static csv_reader_status_t
s_at_end (csv_reader_t *self, csv_row_t *row, reject_t *why)
{
    if (self->fini_done)
        return CSV_READER_END;
    self->fini_done = true;
    self->skipping = false;
    if (csv_fini (&self->parser, s_on_field, s_on_row, self) != 0) {
        reject_set (why,
                    "",
                    "malformed CSV: a quoted field opened on line %" PRIu64
                    " is not closed before the end of the input",
                    self->row_line);
        return s_bad_row (self, why);
    }
    if (self->row_done) {
        /* The last line had no line end. */
        csv_reader_status_t st = s_row_ended (self, row, why, self->len, self->line);
        if (st != CSV_READER_MORE)
            return st;
    }
    s_row_clear (self);
    return CSV_READER_END;
}

csv_reader_status_t
csv_reader_next (csv_reader_t *self, csv_row_t *row, reject_t *why)
{
    /* Input already parsed is dropped by the next feed, not here: moving the rest of a
       64 KiB buffer down after every row would cost more than the parsing. */
    if (!self->bom_checked) {
        if (self->len == 0 && !self->finished)
            return CSV_READER_MORE;
        if (self->len < S_BOM_LEN && !self->finished && memcmp (self->buf, S_BOM, self->len) == 0)
            return CSV_READER_MORE; /* could still be a BOM */
        if (self->len >= S_BOM_LEN && memcmp (self->buf, S_BOM, S_BOM_LEN) == 0)
            self->pos = S_BOM_LEN;
        self->bom_checked = true;
    }
    for (;;) {
        if (self->bad_pending)
            return s_emit_bad (self, row, why) ? CSV_READER_BAD : CSV_READER_MORE;
        if (self->pos == self->len) {
            if (!self->finished)
                return CSV_READER_MORE;
            csv_reader_status_t st = s_at_end (self, row, why);
            if (st == CSV_READER_MORE && self->bad_pending)
                continue;
            return st;
        }
        size_t before = self->pos;
        csv_reader_status_t st = s_step (self, row, why);
        if (st != CSV_READER_MORE)
            return st;
        if (self->pos == before && !self->bad_pending)
            return CSV_READER_MORE; /* only a held-back CR is left */
    }
}
