/* A CSV feed's mapping file (docs/FEEDS.md): which column of a form export feeds which
   event field, which fields are the same for every row, and how the form's labels
   translate ("Very receptive" -> stance 2, "Peer / Lord" -> peer). An INI file read with
   libinih, so an association's IT contractor can write one by hand:

       [feed]
       name = north-homes-engagement-form
       [columns]
       reported_at = Timestamp
       stakeholder.name = Who did you meet?
       [constants]
       association.id = NHA
       [stance]
       2 = Very receptive

   Everything about the file is checked when it is loaded, with the line at fault, so a
   mistake in the mapping is one clear message at start rather than every row refused.
   Constants and label values are checked by the event rules themselves (event.h). A
   loaded mapping is immutable. */
#ifndef PARLEY_CSV_MAPPING_H
#define PARLEY_CSV_MAPPING_H
#include "csv_time.h"
#include "parley.h"
#include "tzone.h"
#include <stdbool.h>
#include <stddef.h>

/* The event fields a mapping can fill, plus the two that only steer the mapping:
   submitted_at (when the row was first submitted) and the identity columns. */
typedef enum {
    CSV_FIELD_EVENT_ID,
    CSV_FIELD_REPORTED_AT,
    CSV_FIELD_SUBMITTED_AT,
    CSV_FIELD_OCCURRED_ON,
    CSV_FIELD_ASSOCIATION_ID,
    CSV_FIELD_ASSOCIATION_NAME,
    CSV_FIELD_CONSTITUENCY_CODE,
    CSV_FIELD_CONSTITUENCY_NAME,
    CSV_FIELD_ROLE,
    CSV_FIELD_NAME,
    CSV_FIELD_PARTY,
    CSV_FIELD_FORMAT,
    CSV_FIELD_STANCE,
    CSV_FIELD_TOPICS,
    CSV_FIELD_FOLLOW_UP,
    CSV_FIELD_NOTES,
    CSV_FIELD_COUNT
} csv_field_t;

/* Where a field's value comes from. */
typedef enum { CSV_SOURCE_NONE, CSV_SOURCE_COLUMN, CSV_SOURCE_CONSTANT } csv_source_t;

/* Fields whose cells are translated through a label section. */
typedef enum {
    CSV_LABELS_STANCE,
    CSV_LABELS_TOPICS,
    CSV_LABELS_ROLE,
    CSV_LABELS_FORMAT,
    CSV_LABELS_FOLLOW_UP,
    CSV_LABELS_CONSTITUENCY,
    CSV_LABELS_COUNT
} csv_labels_t;

/* Unknown topic labels: refuse the row (default) or leave the label out. */
typedef enum { CSV_UNKNOWN_REJECT, CSV_UNKNOWN_IGNORE } csv_unknown_t;

typedef struct csv_mapping csv_mapping_t;

/* Loads and checks the mapping file at path. Returns NULL with a one-line reason in err
   naming the file and line ("mapping.ini line 12: ...") when it cannot be read or is
   wrong. Caller owns the result (csv_mapping_destroy). */
csv_mapping_t *csv_mapping_load (const char *path, char *err, size_t errlen);
/* The same from text in memory, named source in messages. */
csv_mapping_t *csv_mapping_parse (const char *text, const char *source, char *err, size_t errlen);
/* NULL-safe; sets *self_p to NULL. */
void csv_mapping_destroy (csv_mapping_t **self_p);

/* [feed] settings. */
const char *csv_mapping_feed_name (const csv_mapping_t *self);
const tzone_t *csv_mapping_zone (const csv_mapping_t *self);
csv_time_order_t csv_mapping_date_order (const csv_mapping_t *self);
csv_unknown_t csv_mapping_unknown_topics (const csv_mapping_t *self);

/* The event field's name as in the mapping and in docs/EVENTS.md ("stakeholder.name"). */
const char *csv_mapping_field_name (csv_field_t field);

/* Where field comes from; *text (may be NULL) is the column's header name or the
   constant's value. Owned by the mapping. */
csv_source_t csv_mapping_source (const csv_mapping_t *self, csv_field_t field, const char **text);

/* The identity columns, in the order given ([columns] identity = ..., repeatable). */
size_t csv_mapping_identity_count (const csv_mapping_t *self);
const char *csv_mapping_identity_column (const csv_mapping_t *self, size_t i);

/* Whether a label section was given for labels. */
bool csv_mapping_has_labels (const csv_mapping_t *self, csv_labels_t labels);
/* The value a label stands for in a section ("2", "damp_and_mould", "peer", "true",
   "W07000112", or "" for a stance label that means "unknown"), or NULL when the section
   has no such label. Labels are compared folded (fold.h): case, accents, punctuation and
   spacing do not matter. */
const char *csv_mapping_label (const csv_mapping_t *self, csv_labels_t labels, const char *label);
/* The labels of a section as written, joined by ", " and cut to fit max bytes, for
   messages that say what was expected. Owned by the mapping. */
const char *csv_mapping_label_list (const csv_mapping_t *self, csv_labels_t labels);

#endif
