#include "number.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
number_parse (const char *text, long min, long max, long *out)
{
    /* strtol skips leading white space; a value given as " 12" is not "12". */
    if (!text || !*text || isspace ((unsigned char)*text))
        return -1;
    char *end;
    errno = 0;
    long v = strtol (text, &end, 10);
    if (errno || end == text || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int
number_parse_int (const char *text, int min, int max, int *out)
{
    long v;
    if (number_parse (text, min, max, &v) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

int
number_parse_size (const char *text, uint64_t *bytes)
{
    /* strtoull would take a sign and leading white space: the first character must be a
       digit. */
    if (!text || !isdigit ((unsigned char)*text))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull (text, &end, 10);
    if (errno || v == 0)
        return -1;
    static const char suffixes[] = "KMGT";
    const char *suffix = *end ? strchr (suffixes, toupper ((unsigned char)*end)) : NULL;
    unsigned shift = 0;
    if (suffix) {
        shift = 10 * (unsigned)(suffix - suffixes + 1);
        end++;
    }
    /* "B" after a number or a suffix; "iB" only after a suffix. */
    if (strcasecmp (end, "b") == 0 || (shift && strcasecmp (end, "ib") == 0))
        end += strlen (end);
    if (*end || v > (UINT64_MAX >> shift))
        return -1;
    *bytes = (uint64_t)v << shift;
    return 0;
}
