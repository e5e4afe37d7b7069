/* CSV (RFC 4180) read incrementally: the caller feeds bytes as it gets them (a whole file,
   or what a growing file has so far) and takes complete rows one at a time, each with the
   physical line it starts on and the byte offset just past it, which is where a restart
   resumes. libcsv does the parsing (quoted fields holding commas, quotes written twice and
   line breaks; CRLF, LF or CR line ends; strict quoting); this module adds what a feed
   needs around it:

   - a UTF-8 byte-order mark at the very start of the input is dropped;
   - the first good row is the header (names -> columns); the rows after it are data;
   - a row is yielded only once complete: its line end has been fed (or csv_reader_finish
     said the input has ended), so a row half-written by the exporter is never read half;
   - memory is bounded: a row may hold at most row_max bytes of input and fields_max
     fields, and the reader keeps at most one row's input plus what was fed and not taken;
   - a malformed row (a stray quote, text after a closing quote, a quote left open, a row
     too long) is reported with its line and why, and reading goes on: at the line after
     the one the bad row started on, so that a quote opened by mistake cannot swallow the
     good rows after it;
   - empty lines and rows whose fields are all empty (",,,") are skipped.

   Unquoted fields lose leading and trailing blanks (libcsv's rule); a CRLF inside a
   quoted field is kept as LF, so that one export saved with CRLF and one with LF give the
   same text. Bytes are not checked for UTF-8 here: the caller does, per field. */
#ifndef PARLEY_CSV_READER_H
#define PARLEY_CSV_READER_H
#include "parley.h"
#include "reject.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CSV_READER_ROW_MAX 65536  /* bytes of input one row may take (default) */
#define CSV_READER_FIELDS_MAX 512 /* fields in one row (default) */

typedef struct csv_reader csv_reader_t;

typedef struct {
    size_t row_max;    /* 0: CSV_READER_ROW_MAX */
    size_t fields_max; /* 0: CSV_READER_FIELDS_MAX */
} csv_reader_options_t;

/* A row, valid until the next call on the reader. Each field is NUL-terminated (fields
   may also hold a NUL byte of their own, so lens says where each really ends). */
typedef struct {
    size_t count;              /* number of fields */
    const char *const *fields; /* fields[0..count) */
    const size_t *lens;        /* their lengths in bytes */
    uint64_t line;             /* physical line the row starts on, from 1 */
    uint64_t end_line;         /* physical line it ends on (greater for multi-line rows) */
    uint64_t offset;           /* byte offset of its first byte in the input */
    uint64_t end_offset;       /* byte offset just past it and its line end */
    const char *raw;           /* the row's input bytes, raw[0..raw_len) (for messages) */
    size_t raw_len;
} csv_row_t;

typedef enum {
    CSV_READER_MORE = 0, /* every complete row is taken: feed more (or finish) */
    CSV_READER_HEADER,   /* *row is the header (kept: csv_reader_header) */
    CSV_READER_ROW,      /* *row is a data row */
    CSV_READER_BAD,      /* a malformed row: row->line, offsets and raw say where, *why why */
    CSV_READER_END,      /* finished and every row taken */
} csv_reader_status_t;

/* A reader at the start of an input. opts may be NULL for the defaults. Never fails. */
csv_reader_t *csv_reader_new (const csv_reader_options_t *opts);
/* NULL-safe; sets *self_p to NULL. */
void csv_reader_destroy (csv_reader_t **self_p);

/* Appends data[0..len) to the input (copied). Call csv_reader_next until it says
   CSV_READER_MORE before feeding again, so that memory stays at one row plus one feed. */
void csv_reader_feed (csv_reader_t *self, const void *data, size_t len);

/* Says the input has ended: a last row without a line end is complete, and a quote left
   open is a bad row. */
void csv_reader_finish (csv_reader_t *self);

/* The next complete row, or what is wrong with it. why is filled (field "") only for
   CSV_READER_BAD. */
csv_reader_status_t csv_reader_next (csv_reader_t *self,
                                     csv_row_t *row,
                                     reject_t *why) PARLEY_MUST_CHECK;

/* The header's names (NULL before the header is read) and their number. */
const char *const *csv_reader_header (const csv_reader_t *self, size_t *count);

/* Where the next row starts: the byte offset past the last row taken (good or bad) and
   the number of physical lines before it. A caller saves these once everything before
   them is durable. */
void csv_reader_position (const csv_reader_t *self, uint64_t *offset, uint64_t *lines);

/* Continues at byte offset of the input, whose first lines lines were read before (so the
   next line is lines + 1), discarding anything fed and not taken. Only once the header
   has been read (from offset 0), so the columns are known. Returns 0, or -1 before the
   header. */
int csv_reader_resume (csv_reader_t *self, uint64_t offset, uint64_t lines) PARLEY_MUST_CHECK;

#endif
