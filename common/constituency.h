/* The 650 Westminster constituencies of 2024, compiled in from data/constituencies-2024.csv
   (see data/SOURCES.md). Look-ups by GSS code (any case) or by name (folded). */
#ifndef PARLEY_CONSTITUENCY_H
#define PARLEY_CONSTITUENCY_H
#include <stddef.h>

typedef struct {
    const char *code;        /* GSS code, upper case, e.g. "E14001063" */
    const char *name;        /* official name, UTF-8, e.g. "Ynys Môn" */
    const char *country;     /* England, Wales, Scotland, Northern Ireland */
    const char *region;      /* ONS region in England; the nation elsewhere */
    const char *region_code; /* GSS code of that region or nation */
    int hex_q, hex_r;        /* Open Innovations hex cartogram position ("odd-r") */
    const char *folded_name; /* fold_name (name) */
} constituency_t;

/* Number of constituencies (650) and the i-th, sorted by code. The table is built from the
   compiled-in CSV on first use (thread-safe); a broken compiled-in CSV aborts. */
size_t constituency_count (void);
const constituency_t *constituency_at (size_t index);

/* By GSS code, any case; NULL if none. */
const constituency_t *constituency_by_code (const char *code);
/* By name: the argument is folded (fold.h) and compared with the folded official names;
   NULL if none. */
const constituency_t *constituency_by_name (const char *name);

#endif
