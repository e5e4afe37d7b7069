/* One CSV row of a form export -> one conversation event (a JSON line), through a mapping
   (csv_mapping.h) bound to the export's header.

   The event is built as JSON and then checked by event_parse, exactly as a line of a
   JSON-lines feed is: no rule of docs/EVENTS.md is repeated here. What this module adds
   is the translation (labels, dates in the form's time zone, topic lists) and the row's
   event id when the export has none:

     event_id = UUIDv5 (CSV_MAP_NAMESPACE, "parley-csv-v1" US feed US identity US reported_at)

   (US is the byte 0x1F), where identity is the values of the mapping's identity columns
   (a response id) or, without them, the conversation key (association id, constituency
   code, role, person key, occurred_on) and the submitted_at instant when mapped, and
   reported_at is the UTC instant in microseconds. So the same row, exported again, gets
   the same id (a duplicate for the collector), and a row edited later (a later
   reported_at) gets a new id for the same conversation. The type is
   conversation.amended when submitted_at is mapped and reported_at is later than it,
   conversation.reported otherwise: a function of the row alone, so that re-importing an
   export never turns a duplicate into a conflict. docs/FEEDS.md says why. */
#ifndef PARLEY_CSV_MAP_H
#define PARLEY_CSV_MAP_H
#include "csv_mapping.h"
#include "csv_reader.h"
#include "event.h"
#include "parley.h"
#include "reject.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The namespace of every CSV row's event id (a fixed, random-looking UUID of Parley's:
   UUIDv5 of the URL "https://parley.example/ns/csv-row/v1"). */
#define CSV_MAP_NAMESPACE "9df68e75-2c8b-5a7e-81e1-e1e1314ae6a4"

typedef struct csv_map csv_map_t;

/* The event a row became. Valid until the next csv_map_row. */
typedef struct {
    const char *line; /* the event as one JSON line (no newline), checked by event_parse */
    size_t len;
    char event_id[EVENT_ID_LEN + 1];
    bool generated_id; /* event_id made from the row's identity (no event_id column value) */
    bool amended;      /* type conversation.amended */
} csv_map_event_t;

/* Binds mapping to an export's header: every column the mapping names must be in it,
   once (names are compared folded, so case, accents, punctuation and spacing do not
   matter). Returns NULL with a one-line reason in err otherwise. mapping must outlive the
   result; caller owns the result (csv_map_destroy). */
csv_map_t *csv_map_new (const csv_mapping_t *mapping,
                        const char *const *header,
                        size_t count,
                        char *err,
                        size_t errlen);
/* NULL-safe; sets *self_p to NULL. */
void csv_map_destroy (csv_map_t **self_p);

/* Maps one data row. now_us is the checking clock (event_parse's rule on reported_at).
   Returns 0 with *out filled, or -1 with *why filled: field is the header name of the
   column at fault (cut to REJECT_FIELD_MAX; "" for the row as a whole or a mapping
   constant), and reason names the event field and what is wrong, e.g.
   field "How receptive were they?", reason "stance: \"Quite keen\" is not a label of
   [stance] (Very receptive, Receptive, Neutral, Sceptical, Hostile)". */
int csv_map_row (csv_map_t *self,
                 const csv_row_t *row,
                 int64_t now_us,
                 csv_map_event_t *out,
                 reject_t *why) PARLEY_MUST_CHECK;

#endif
