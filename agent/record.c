#include "record.h"

#include <string.h>

static void
s_put_le (unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
s_get_le (const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

size_t
record_encode (void *buf,
               size_t cap,
               const char *source,
               uint64_t line,
               const void *data,
               size_t len)
{
    size_t source_len = strlen (source);
    if (source_len > RECORD_SOURCE_MAX)
        source_len = RECORD_SOURCE_MAX;
    size_t size = RECORD_HEADER + source_len + len;
    if (size > cap)
        return 0;
    unsigned char *p = buf;
    p[0] = RECORD_VERSION;
    s_put_le (p + 1, line, 8);
    s_put_le (p + 9, source_len, 2);
    memcpy (p + RECORD_HEADER, source, source_len);
    if (len)
        memcpy (p + RECORD_HEADER + source_len, data, len);
    return size;
}

int
record_decode (const void *bytes, size_t size, record_t *rec)
{
    const unsigned char *p = bytes;
    if (size < RECORD_HEADER || p[0] != RECORD_VERSION)
        return -1;
    size_t source_len = (size_t)s_get_le (p + 9, 2);
    if (source_len > size - RECORD_HEADER)
        return -1;
    rec->line = s_get_le (p + 1, 8);
    rec->source = (const char *)p + RECORD_HEADER;
    rec->source_len = source_len;
    rec->data = (const char *)p + RECORD_HEADER + source_len;
    rec->len = size - RECORD_HEADER - source_len;
    return 0;
}
