/* Why an input was refused, and where it came from. Bad input is data, not an error: a
   check fills a reject_t and processing goes on. */
#ifndef PARLEY_REJECT_H
#define PARLEY_REJECT_H
#include <stddef.h>
#include <stdint.h>
#include "parley.h"

#define REJECT_FIELD_MAX 64
#define REJECT_REASON_MAX 512

typedef struct {
    char field[REJECT_FIELD_MAX]; /* dotted path, e.g. "stakeholder.name"; "" for the whole line */
    char reason[REJECT_REASON_MAX]; /* lower-case, factual, names the bad value where short */
} reject_t;

/* Sets field and a printf-formatted reason (truncated to fit). */
void reject_set (reject_t *why, const char *field, const char *format, ...) PARLEY_PRINTF (3, 4);

/* One line of rejected.jsonl, without the newline: {"source":…,"line":…,"field":…,
   "reason":…,"input":…}. input is the offending line (shown as text where it is valid
   UTF-8, else omitted). Caller owns the result (free). */
char *reject_to_json (const reject_t *why,
                      const char *source,
                      uint64_t line,
                      const char *input,
                      size_t input_len);

#endif
