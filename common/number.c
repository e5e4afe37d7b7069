#include "number.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

int
number_parse (const char *text, long min, long max, long *out)
{
    /* strtol skips leading white space; a value given as " 12" is not "12". */
    if (!text || !*text || isspace ((unsigned char) *text))
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
    *out = (int) v;
    return 0;
}
