#include "uuid_text.h"

#include <assert.h>
#include <czmq.h>
#include <stdbool.h>
#include <string.h>

int
uuid_text_normalise (const char *text, size_t len, char out[UUID_TEXT_LEN + 1])
{
    if (len != UUID_TEXT_LEN)
        return -1;
    char lower[UUID_TEXT_LEN + 1];
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        bool dash_here = (i == 8 || i == 13 || i == 18 || i == 23);
        if (dash_here) {
            if (c != '-')
                return -1;
        } else if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return -1;
        lower[i] = c;
    }
    lower[len] = '\0';
    memcpy (out, lower, sizeof lower);
    return 0;
}

static int
s_hex (char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

int
uuid_text_v5 (const char *namespace_id, const void *name, size_t len, char out[UUID_TEXT_LEN + 1])
{
    char ns_text[UUID_TEXT_LEN + 1];
    if (uuid_text_normalise (namespace_id, strlen (namespace_id), ns_text) != 0)
        return -1;
    byte ns[16];
    for (size_t i = 0, j = 0; i < 16; j++) {
        if (ns_text[j] == '-')
            continue;
        ns[i++] = (byte)(s_hex (ns_text[j]) << 4 | s_hex (ns_text[j + 1]));
        j++;
    }
    zdigest_t *digest = zdigest_new ();
    assert (digest);
    zdigest_update (digest, ns, sizeof ns);
    zdigest_update (digest, (const byte *)name, len);
    const byte *sha1 = zdigest_data (digest);
    assert (sha1 && zdigest_size (digest) >= 16); /* czmq always has its own SHA-1 */
    byte u[16];
    memcpy (u, sha1, sizeof u);
    zdigest_destroy (&digest);
    u[6] = (byte)((u[6] & 0x0f) | 0x50); /* version 5 */
    u[8] = (byte)((u[8] & 0x3f) | 0x80); /* variant 10 (RFC 9562) */
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[u[i] >> 4];
        out[k++] = hex[u[i] & 0x0f];
    }
    out[k] = '\0';
    return 0;
}
