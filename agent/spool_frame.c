/* The spool's record framing (spool_frame.h). Byte order is fixed (little-endian) so a
   spool written on one machine reads on any other. */
#include "spool_frame.h"

#include <endian.h>
#include <string.h>
#include <zlib.h>

/* 0xFE never occurs in UTF-8, so JSON payloads cannot contain a false magic; the last
   byte is the format version. */
static const unsigned char s_magic[SPOOL_FRAME_MAGIC_LEN] = { 0xFE, 'P', 'S', 0x01 };

#define S_CRC_AT 16 /* the CRC's place in the header; it covers the bytes before it */

static uint32_t
s_crc (const unsigned char *header, const void *payload, size_t len)
{
    uLong crc = crc32 (0L, Z_NULL, 0);
    crc = crc32 (crc, header, S_CRC_AT);
    if (len)
        crc = crc32 (crc, payload, (uInt)len);
    return (uint32_t)crc;
}

static void
s_make (unsigned char *h, uint64_t id, const void *payload, uint32_t len)
{
    uint32_t len_le = htole32 (len);
    uint64_t id_le = htole64 (id);
    memcpy (h, s_magic, SPOOL_FRAME_MAGIC_LEN);
    memcpy (h + 4, &len_le, sizeof len_le);
    memcpy (h + 8, &id_le, sizeof id_le);
    uint32_t crc_le = htole32 (s_crc (h, payload, id ? len : 0));
    memcpy (h + S_CRC_AT, &crc_le, sizeof crc_le);
}

void
spool_frame_header_make (unsigned char *h, uint64_t id, const void *payload, uint32_t len)
{
    s_make (h, id, payload, len);
}

void
spool_frame_padding_make (unsigned char *h, uint32_t len)
{
    s_make (h, 0, NULL, len);
}

bool
spool_frame_header_read (const unsigned char *h, spool_frame_header_t *fh)
{
    if (memcmp (h, s_magic, SPOOL_FRAME_MAGIC_LEN) != 0)
        return false;
    uint32_t len_le, crc_le;
    uint64_t id_le;
    memcpy (&len_le, h + 4, sizeof len_le);
    memcpy (&id_le, h + 8, sizeof id_le);
    memcpy (&crc_le, h + S_CRC_AT, sizeof crc_le);
    fh->len = le32toh (len_le);
    fh->id = le64toh (id_le);
    fh->crc = le32toh (crc_le);
    return true;
}

bool
spool_frame_verify (const unsigned char *frame, const spool_frame_header_t *fh)
{
    if (fh->id == 0)
        return s_crc (frame, NULL, 0) == fh->crc;
    return s_crc (frame, frame + SPOOL_FRAME_HEADER, fh->len) == fh->crc;
}

const unsigned char *
spool_frame_find (const unsigned char *p, size_t n)
{
    return memmem (p, n, s_magic, SPOOL_FRAME_MAGIC_LEN);
}
