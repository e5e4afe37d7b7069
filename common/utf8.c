#include "utf8.h"

/* Length of the valid sequence starting at p (at most n bytes available), or 0. The
   ranges follow RFC 3629's ABNF, which is what rules out overlongs and surrogates. */
static size_t
s_sequence_len (const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2 || c > 0xF4)
        return 0; /* continuation byte, overlong 2-byte, > U+10FFFF */
    size_t need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n < need)
        return 0;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c == 0xE0)
        lo = 0xA0; /* overlong 3-byte */
    else if (c == 0xED)
        hi = 0x9F; /* surrogates */
    else if (c == 0xF0)
        lo = 0x90; /* overlong 4-byte */
    else if (c == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return need;
}

size_t
utf8_invalid_offset (const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        /* ASCII runs dominate real feeds: skip them without the full decode. */
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = s_sequence_len (p + i, len - i);
        if (n == 0)
            return i;
        i += n;
    }
    return len;
}

bool
utf8_is_valid (const char *text, size_t len)
{
    return utf8_invalid_offset (text, len) == len;
}

uint32_t
utf8_next (const char *text, size_t len, size_t *pos)
{
    const unsigned char *p = (const unsigned char *)text + *pos;
    size_t n = s_sequence_len (p, len - *pos);
    if (n == 0) {
        (*pos)++;
        return 0xFFFD;
    }
    *pos += n;
    switch (n) {
        case 1:
            return p[0];
        case 2:
            return ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
        case 3:
            return ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        default:
            return ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
                   ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    }
}

size_t
utf8_prefix (const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    /* Step back over continuation bytes to the start of the character that straddles max. */
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--;
    return n;
}
