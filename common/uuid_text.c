#include "uuid_text.h"

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
        }
        else if (c >= 'A' && c <= 'F')
            c = (char) (c - 'A' + 'a');
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return -1;
        lower[i] = c;
    }
    lower[len] = '\0';
    memcpy (out, lower, sizeof lower);
    return 0;
}
