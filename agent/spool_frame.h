/* Internal to the spool (spool_*.c): how one record is framed on disk, and nothing else.

   A frame is a 20-byte header and the payload (docs/SPOOL.md, "Record framing"): magic
   FE 50 53 01 | u32 length | u64 id | u32 CRC-32 of the first 16 header bytes and then
   the payload, all little-endian. Id 0 marks padding, which covers a stretch of damaged
   bytes already copied to quarantine; its CRC covers the header alone, since what it
   covers is damaged by definition.

   What this guarantees: a frame is accepted only if its magic, its length and its CRC
   all agree, so a torn write, a bit flip or a stretch of zeros is never taken for a
   record. The payload is opaque here; the agent puts agent/record.h records in it, a
   separate format with its own version byte. */
#ifndef PARLEY_SPOOL_FRAME_H
#define PARLEY_SPOOL_FRAME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool_types.h"

#define SPOOL_FRAME_HEADER SPOOL_RECORD_HEADER
#define SPOOL_FRAME_MAGIC_LEN 4

typedef struct {
    uint64_t id;  /* 0 for padding */
    uint32_t len; /* payload bytes (for padding: bytes covered after the header) */
    uint32_t crc;
} spool_frame_header_t;

/* Writes the header of a record (id ≥ 1) for payload into h (SPOOL_FRAME_HEADER bytes). */
void spool_frame_header_make (unsigned char *h, uint64_t id, const void *payload, uint32_t len);

/* Writes into h a padding header that covers the len bytes after it. */
void spool_frame_padding_make (unsigned char *h, uint32_t len);

/* Reads the fields of the SPOOL_FRAME_HEADER bytes at h into *fh. Returns false when the
   magic is not there (no frame starts at h). Checks nothing else: see spool_frame_verify. */
bool spool_frame_header_read (const unsigned char *h, spool_frame_header_t *fh);

/* Whether the CRC in fh matches the frame at frame: the header alone for padding, the
   header and the fh->len payload bytes after it for a record (they must be readable). */
bool spool_frame_verify (const unsigned char *frame, const spool_frame_header_t *fh);

/* The first place in [p, p + n) where a frame may start (a whole magic), or NULL. */
const unsigned char *spool_frame_find (const unsigned char *p, size_t n);

#endif
