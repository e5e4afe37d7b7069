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

/* "Did you mean" for `parley constituency NAME` and for
   messages. Fills out[0..max) with the constituencies whose names are closest to name,
   best first, and returns how many (0 when nothing is close). Close means every word of
   the folded name starts a word of the constituency's folded name or is one or two edits
   from one ("kemptwn" → Brighton, Kemptown and Peacehaven), or the whole folded name is
   within a few edits. Costs a pass over all 650 names: for commands and rejected input,
   not for every event. */
size_t constituency_suggest (const char *name, const constituency_t **out, size_t max);

/* A region: an ONS region in England, the nation elsewhere (12 in all). */
typedef struct {
    const char *code; /* GSS code, e.g. "E12000008" */
    const char *name; /* e.g. "South East", "Wales" */
    const char *country;
    size_t constituencies; /* how many constituencies it has */
} constituency_region_t;

/* Number of regions and the i-th, sorted by code. */
size_t constituency_region_count (void);
const constituency_region_t *constituency_region_at (size_t index);

#endif
