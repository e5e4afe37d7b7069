/* The agent's spool record: one input line with where it came from. The spool stores
   opaque bytes; this is what the agent puts in them, so that an event the collector
   rejects can still be reported with its source and line number, and so that the
   original bytes (unknown fields included) are what gets sent.

   Layout (little-endian): u8 version (1) | u64 line number | u16 source length |
   source bytes | the raw input line (no newline). */
#ifndef PARLEY_RECORD_H
#define PARLEY_RECORD_H
#include "parley.h"
#include <stddef.h>
#include <stdint.h>

#define RECORD_VERSION 1
#define RECORD_HEADER 11       /* version + line + source length */
#define RECORD_SOURCE_MAX 4096 /* longer source names are cut (they only label rejects) */

typedef struct {
    uint64_t line;      /* 1-based line number in its source */
    const char *source; /* not NUL-terminated: source_len bytes */
    size_t source_len;
    const char *data; /* the raw line */
    size_t len;
} record_t;

/* Encodes a record into buf (capacity cap). Returns its size, or 0 when it does not fit. */
size_t record_encode (void *buf,
                      size_t cap,
                      const char *source,
                      uint64_t line,
                      const void *data,
                      size_t len);

/* Decodes bytes read from the spool; rec points into them. Returns 0, or -1 when the
   bytes are not a record of a known version. */
int record_decode (const void *bytes, size_t size, record_t *rec) PARLEY_MUST_CHECK;

#endif
