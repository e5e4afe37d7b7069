/* UUID text in the 8-4-4-4-12 form, as event ids are written. Any version and variant is
   accepted (feeds mint ids with whatever library they have); only the shape is checked. */
#ifndef PARLEY_UUID_TEXT_H
#define PARLEY_UUID_TEXT_H
#include <stddef.h>
#include "parley.h"

#define UUID_TEXT_LEN 36

/* Checks that text[0..len) is 36 characters of 8-4-4-4-12 hexadecimal digits (any case)
   separated by '-', and writes it in lower case with a NUL to out. Returns 0, or -1 (out
   untouched) when the text has another shape. No braces, no "urn:uuid:" prefix. */
int uuid_text_normalise (const char *text, size_t len, char out[UUID_TEXT_LEN + 1])
    PARLEY_MUST_CHECK;

#endif
