/* Whole decimal numbers read from text: command-line values and CSV fields. One strict
   rule everywhere: the whole text is the number (optional sign, digits), nothing before
   or after it, no overflow, within the caller's range. Sizes add a binary suffix. */
#ifndef PARLEY_NUMBER_H
#define PARLEY_NUMBER_H
#include <stdint.h>

#include "parley.h"

/* Parses text as a decimal integer in [min, max]. Returns 0 with *out set, or -1 (out
   untouched) for an empty text, stray characters ("12x", " 12", "1.5"), an overflow or a
   value out of range. */
int number_parse (const char *text, long min, long max, long *out) PARLEY_MUST_CHECK;

/* The same, for an int. */
int number_parse_int (const char *text, int min, int max, int *out) PARLEY_MUST_CHECK;

/* A size in bytes: digits, then optionally K, M, G or T (powers of 1024, either case), then
   optionally "B" or "iB" ("512", "64K", "10M", "2GiB", "3MB", "100B"). Returns 0 with
   *bytes set, or -1 (bytes untouched) for anything else: empty, a sign, spaces, a fraction,
   an unknown suffix, zero, or more than 2^64 - 1 bytes. */
int number_parse_size (const char *text, uint64_t *bytes) PARLEY_MUST_CHECK;

#endif
