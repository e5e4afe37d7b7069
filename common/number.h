/* Whole decimal numbers read from text: command-line values and CSV fields. One strict
   rule everywhere: the whole text is the number (optional sign, digits), nothing before
   or after it, no overflow, within the caller's range. */
#ifndef PARLEY_NUMBER_H
#define PARLEY_NUMBER_H
#include "parley.h"

/* Parses text as a decimal integer in [min, max]. Returns 0 with *out set, or -1 (out
   untouched) for an empty text, stray characters ("12x", " 12", "1.5"), an overflow or a
   value out of range. */
int number_parse (const char *text, long min, long max, long *out) PARLEY_MUST_CHECK;

/* The same, for an int. */
int number_parse_int (const char *text, int min, int max, int *out) PARLEY_MUST_CHECK;

#endif
