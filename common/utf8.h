/* UTF-8, checked strictly: feeds come from many exporters, and everything we accept must
   go into PostgreSQL text and JSON untouched, so overlong forms, surrogates (U+D800..DFFF)
   and code points above U+10FFFF are refused here rather than somewhere downstream. */
#ifndef PARLEY_UTF8_H
#define PARLEY_UTF8_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Offset of the first byte that does not start a valid UTF-8 sequence (a truncated
   sequence at the end counts), or len when all of text[0..len) is valid. NUL bytes are
   valid UTF-8 (U+0000). */
size_t utf8_invalid_offset (const char *text, size_t len);

/* True when text[0..len) is valid UTF-8. */
bool utf8_is_valid (const char *text, size_t len);

/* Decodes the code point at text[*pos], which must be inside valid UTF-8 of length len,
   and advances *pos past it. On invalid input returns U+FFFD and advances one byte, so a
   loop over unchecked text still terminates. */
uint32_t utf8_next (const char *text, size_t len, size_t *pos);

/* Length of the longest prefix of valid UTF-8 text[0..len) that is at most max bytes and
   does not split a character: for cutting long values short in messages. */
size_t utf8_prefix (const char *text, size_t len, size_t max);

#endif
