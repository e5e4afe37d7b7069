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
int uuid_text_normalise (const char *text,
                         size_t len,
                         char out[UUID_TEXT_LEN + 1]) PARLEY_MUST_CHECK;

/* A name-based UUID, version 5 (RFC 9562 section 5.5): the SHA-1 of the 16 bytes of
   namespace_id followed by name[0..len), with the version and variant bits set, written
   as lower-case 8-4-4-4-12 text with a NUL. namespace_id must be UUID text (any case).
   The same namespace and name always give the same UUID, on any machine: this is how a
   CSV row with no event id of its own gets one. Returns 0, or -1 (out untouched) when
   namespace_id is not UUID text. SHA-1 is czmq's zdigest (stable API). */
int uuid_text_v5 (const char *namespace_id,
                  const void *name,
                  size_t len,
                  char out[UUID_TEXT_LEN + 1]) PARLEY_MUST_CHECK;

#endif
