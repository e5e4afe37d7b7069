/* CSV rows -> conversation events (see csv_map.h). */
#include "csv_map.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "constituency.h"
#include "fold.h"
#include "mem.h"
#include "number.h"
#include "rfc3339.h"
#include "utf8.h"
#include "uuid_text.h"

#define S_NIL_ID "00000000-0000-0000-0000-000000000000"
#define S_TIME_MAX 64 /* longer cells are not dates */
#define S_PIECES 64   /* labels in one topics cell */
#define S_SEP "\x1f"

struct csv_map {
    const csv_mapping_t *mapping;
    int col[CSV_FIELD_COUNT]; /* column index, or -1 */
    size_t nheader;
    char **header;
    size_t nidentity;
    int *identity;
    char *line;
};

/* --- binding ------------------------------------------------------------------------- */

static int
s_find_column (char *const *folded,
               size_t n,
               const char *const *header,
               const char *name,
               const char *what,
               char *err,
               size_t errlen)
{
    char *want = fold_name (name);
    int found = -1, exact = -1, count = 0, second = -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp (folded[i], want) != 0)
            continue;
        if (count++ == 0)
            found = (int)i;
        else if (second < 0)
            second = (int)i;
        if (strcmp (header[i], name) == 0)
            exact = (int)i;
    }
    free (want);
    if (count == 0) {
        snprintf (err, errlen, "column \"%s\" (for %s) is not in the header", name, what);
        return -1;
    }
    if (count > 1 && exact < 0) {
        snprintf (err,
                  errlen,
                  "column \"%s\" (for %s) matches header columns %d and %d: name it exactly",
                  name,
                  what,
                  found + 1,
                  second + 1);
        return -1;
    }
    return exact >= 0 ? exact : found;
}

csv_map_t *
csv_map_new (const csv_mapping_t *mapping,
             const char *const *header,
             size_t count,
             char *err,
             size_t errlen)
{
    csv_map_t *self = xcalloc (1, sizeof *self);
    self->mapping = mapping;
    self->nheader = count;
    self->header = xcalloc (count ? count : 1, sizeof *self->header);
    char **folded = xcalloc (count ? count : 1, sizeof *folded);
    for (size_t i = 0; i < count; i++) {
        self->header[i] = xstrdup (header[i]);
        folded[i] = fold_name (header[i]);
    }
    bool ok = true;
    for (int f = 0; f < CSV_FIELD_COUNT && ok; f++) {
        const char *name;
        self->col[f] = -1;
        if (csv_mapping_source (mapping, (csv_field_t)f, &name) != CSV_SOURCE_COLUMN)
            continue;
        self->col[f] = s_find_column (
          folded, count, header, name, csv_mapping_field_name ((csv_field_t)f), err, errlen);
        ok = self->col[f] >= 0;
    }
    self->nidentity = csv_mapping_identity_count (mapping);
    self->identity = xcalloc (self->nidentity + 1, sizeof *self->identity);
    for (size_t i = 0; i < self->nidentity && ok; i++) {
        self->identity[i] = s_find_column (
          folded, count, header, csv_mapping_identity_column (mapping, i), "identity", err, errlen);
        ok = self->identity[i] >= 0;
    }
    for (size_t i = 0; i < count; i++)
        free (folded[i]);
    free (folded);
    if (!ok)
        csv_map_destroy (&self);
    return self;
}

void
csv_map_destroy (csv_map_t **self_p)
{
    if (!*self_p)
        return;
    csv_map_t *self = *self_p;
    for (size_t i = 0; i < self->nheader; i++)
        free (self->header[i]);
    free (self->header);
    free (self->identity);
    free (self->line);
    free (self);
    *self_p = NULL;
}

/* --- cells --------------------------------------------------------------------------- */

typedef struct {
    const char *text; /* trimmed; not NUL-terminated at len */
    size_t len;
    int col; /* -1 for a constant or nothing */
} s_cell_t;

static bool
s_blank (char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static s_cell_t
s_trim (const char *text, size_t len, int col)
{
    while (len > 0 && s_blank (*text)) {
        text++;
        len--;
    }
    while (len > 0 && s_blank (text[len - 1]))
        len--;
    return (s_cell_t){ text, len, col };
}

/* The header name of a column, cut to fit a reject's field. */
static void
s_set_field (reject_t *why, const csv_map_t *self, int col)
{
    if (col < 0) {
        why->field[0] = '\0';
        return;
    }
    const char *name = self->header[col];
    size_t n = utf8_prefix (name, strlen (name), sizeof why->field - 1);
    memcpy (why->field, name, n);
    why->field[n] = '\0';
}

static int s_reject (const csv_map_t *self,
                     reject_t *why,
                     int col,
                     csv_field_t field,
                     const char *format,
                     ...) PARLEY_PRINTF (5, 6);
static int
s_reject (const csv_map_t *self, reject_t *why, int col, csv_field_t field, const char *format, ...)
{
    char text[REJECT_REASON_MAX];
    va_list ap;
    va_start (ap, format);
    vsnprintf (text, sizeof text, format, ap);
    va_end (ap);
    reject_set (why, "", "%s: %s", csv_mapping_field_name (field), text);
    s_set_field (why, self, col);
    return -1;
}

/* A value in a message: quoted, cut after 48 bytes. */
static const char *
s_quote (const s_cell_t *c, char *buf, size_t size)
{
    size_t n = utf8_prefix (c->text, c->len, 48);
    snprintf (buf, size, "\"%.*s%s\"", (int)n, c->text, n < c->len ? "…" : "");
    return buf;
}

/* The cell of field f in row, or its constant; *present false when neither is given. */
static int
s_value (const csv_map_t *self, const csv_row_t *row, csv_field_t f, s_cell_t *cell, reject_t *why)
{
    const char *text;
    csv_source_t src = csv_mapping_source (self->mapping, f, &text);
    if (src == CSV_SOURCE_CONSTANT) {
        *cell = (s_cell_t){ text, strlen (text), -1 };
        return 0;
    }
    if (src == CSV_SOURCE_NONE || self->col[f] >= (int)row->count) {
        *cell = (s_cell_t){ "", 0, self->col[f] };
        return 0;
    }
    int col = self->col[f];
    *cell = s_trim (row->fields[col], row->lens[col], col);
    size_t bad = utf8_invalid_offset (cell->text, cell->len);
    const char *nul = memchr (cell->text, '\0', cell->len);
    /* A NUL byte is valid UTF-8 but no event may hold one (PostgreSQL's jsonb cannot, and
       the event checker refuses \u0000): said as such, not as an encoding problem. */
    if (nul && (size_t)(nul - cell->text) < bad)
        return s_reject (self,
                         why,
                         col,
                         f,
                         "has a NUL byte (at offset %zu), which is not allowed",
                         (size_t)(nul - cell->text));
    if (bad < cell->len)
        return s_reject (self,
                         why,
                         col,
                         f,
                         "is not valid UTF-8 text (byte 0x%02X at offset %zu): export the file "
                         "as \"CSV UTF-8\"",
                         (unsigned char)cell->text[bad],
                         bad);
    return 0;
}

static int
s_time (const csv_map_t *self, const s_cell_t *cell, csv_field_t f, csv_time_t *t, reject_t *why)
{
    char text[S_TIME_MAX + 1], q[80];
    const char *problem = "is not a date and time";
    if (cell->len <= S_TIME_MAX) {
        memcpy (text, cell->text, cell->len);
        text[cell->len] = '\0';
        if (csv_time_parse (text, csv_mapping_date_order (self->mapping), t, &problem) == 0)
            return 0;
    }
    return s_reject (self, why, cell->col, f, "%s %s", s_quote (cell, q, sizeof q), problem);
}

static char *
s_cstr (const s_cell_t *c)
{
    return xstrndup (c->text, c->len);
}

static void
s_set_string (json_t *obj, const char *key, const s_cell_t *c)
{
    json_object_set_new (obj, key, json_stringn (c->text, c->len));
}

/* A label looked up in its section; NULL when unknown. */
static const char *
s_label (const csv_map_t *self, csv_labels_t labels, const s_cell_t *c)
{
    char *text = s_cstr (c);
    const char *value = csv_mapping_label (self->mapping, labels, text);
    free (text);
    return value;
}

static int
s_unknown_label (const csv_map_t *self,
                 reject_t *why,
                 const s_cell_t *c,
                 csv_field_t f,
                 csv_labels_t labels,
                 const char *section)
{
    char q[80];
    return s_reject (self,
                     why,
                     c->col,
                     f,
                     "%s is not a label of [%s] in the mapping (%s)",
                     s_quote (c, q, sizeof q),
                     section,
                     csv_mapping_label_list (self->mapping, labels));
}

/* A field translated through a label section when there is one, else passed as it is. */
static int
s_translated (const csv_map_t *self,
              const s_cell_t *c,
              csv_field_t f,
              csv_labels_t labels,
              const char *section,
              json_t *obj,
              const char *key,
              reject_t *why)
{
    if (c->len == 0)
        return 0;
    if (c->col >= 0 && csv_mapping_has_labels (self->mapping, labels)) {
        const char *value = s_label (self, labels, c);
        if (!value)
            return s_unknown_label (self, why, c, f, labels, section);
        json_object_set_new (obj, key, json_string (value));
    } else
        s_set_string (obj, key, c);
    return 0;
}

static int
s_stance (const csv_map_t *self, const s_cell_t *c, json_t *ev, reject_t *why)
{
    if (c->len == 0)
        return 0;
    char *text = s_cstr (c);
    int stance, rc = 0;
    if (csv_mapping_has_labels (self->mapping, CSV_LABELS_STANCE)) {
        const char *value = csv_mapping_label (self->mapping, CSV_LABELS_STANCE, text);
        if (!value)
            rc = s_unknown_label (self, why, c, CSV_FIELD_STANCE, CSV_LABELS_STANCE, "stance");
        else if (*value && number_parse_int (value, -2, 2, &stance) == 0)
            json_object_set_new (ev, "stance", json_integer (stance));
    } else if (number_parse_int (text, -2, 2, &stance) == 0)
        json_object_set_new (ev, "stance", json_integer (stance));
    else {
        char q[80];
        rc = s_reject (self,
                       why,
                       c->col,
                       CSV_FIELD_STANCE,
                       "%s is not a stance from -2 to 2 (a [stance] section can translate the "
                       "form's labels)",
                       s_quote (c, q, sizeof q));
    }
    free (text);
    return rc;
}

static int
s_follow_up (const csv_map_t *self, const s_cell_t *c, json_t *ev, reject_t *why)
{
    if (c->len == 0)
        return 0;
    const char *value = NULL;
    if (csv_mapping_has_labels (self->mapping, CSV_LABELS_FOLLOW_UP))
        value = s_label (self, CSV_LABELS_FOLLOW_UP, c);
    else {
        char *text = s_cstr (c);
        char *folded = fold_name (text);
        free (text);
        static const char *yes[] = { "yes", "y", "true", "1" }, *no[] = { "no", "n", "false", "0" };
        for (size_t i = 0; i < 4 && !value; i++)
            value = strcmp (folded, yes[i]) == 0  ? "true"
                    : strcmp (folded, no[i]) == 0 ? "false"
                                                  : NULL;
        free (folded);
    }
    if (!value) {
        char q[80];
        return s_reject (self,
                         why,
                         c->col,
                         CSV_FIELD_FOLLOW_UP,
                         "%s is not yes or no%s%s%s",
                         s_quote (c, q, sizeof q),
                         csv_mapping_has_labels (self->mapping, CSV_LABELS_FOLLOW_UP)
                           ? " (labels of [follow_up]: "
                           : "",
                         csv_mapping_label_list (self->mapping, CSV_LABELS_FOLLOW_UP),
                         csv_mapping_has_labels (self->mapping, CSV_LABELS_FOLLOW_UP) ? ")" : "");
    }
    json_object_set_new (ev, "follow_up", json_boolean (strcmp (value, "true") == 0));
    return 0;
}

static void
s_add_topic (json_t *topics, const char *slug, size_t len)
{
    size_t i;
    json_t *t;
    json_array_foreach (topics, i, t)
    {
        if (json_string_length (t) == len && memcmp (json_string_value (t), slug, len) == 0)
            return; /* a repeat: the event would collapse it anyway */
    }
    json_array_append_new (topics, json_stringn (slug, len));
}

/* A topics cell: labels separated by ';' or ','. A label may itself hold a comma ("Damp,
   mould and condensation"), so with a [topics] section the longest run of pieces that is
   a known label is taken at each step. */
static int
s_topics (const csv_map_t *self, const s_cell_t *c, json_t *ev, reject_t *why)
{
    if (c->len == 0)
        return 0;
    s_cell_t piece[S_PIECES];
    size_t n = 0;
    for (size_t start = 0, i = 0; i <= c->len; i++) {
        if (i < c->len && c->text[i] != ';' && c->text[i] != ',')
            continue;
        if (n == S_PIECES) {
            char q[80];
            return s_reject (self,
                             why,
                             c->col,
                             CSV_FIELD_TOPICS,
                             "%s has more than %d labels",
                             s_quote (c, q, sizeof q),
                             S_PIECES);
        }
        piece[n++] = s_trim (c->text + start, i - start, c->col);
        start = i + 1;
    }
    json_t *topics = json_array ();
    bool labels = csv_mapping_has_labels (self->mapping, CSV_LABELS_TOPICS);
    for (size_t i = 0; i < n;) {
        if (piece[i].len == 0) {
            i++;
            continue;
        }
        if (!labels) {
            s_add_topic (topics, piece[i].text, piece[i].len);
            i++;
            continue;
        }
        const char *slug = NULL;
        size_t j = n;
        for (; j > i && !slug; j--) {
            const char *end = piece[j - 1].text + piece[j - 1].len;
            s_cell_t run = { piece[i].text, (size_t)(end - piece[i].text), c->col };
            slug = s_label (self, CSV_LABELS_TOPICS, &run);
        }
        if (slug) {
            s_add_topic (topics, slug, strlen (slug));
            i = j + 1;
            continue;
        }
        if (csv_mapping_unknown_topics (self->mapping) == CSV_UNKNOWN_REJECT) {
            json_decref (topics);
            return s_unknown_label (
              self, why, &piece[i], CSV_FIELD_TOPICS, CSV_LABELS_TOPICS, "topics");
        }
        i++;
    }
    if (json_array_size (topics) > 0)
        json_object_set_new (ev, "topics", topics);
    else
        json_decref (topics);
    return 0;
}

/* --- the event ----------------------------------------------------------------------- */

/* Which mapped field a rule's path concerns, to name its column. */
static csv_field_t
s_field_of_path (const csv_map_t *self, const char *path)
{
    for (int f = 0; f < CSV_FIELD_COUNT; f++)
        if (strcmp (path, csv_mapping_field_name ((csv_field_t)f)) == 0)
            return (csv_field_t)f;
    if (strcmp (path, "constituency") == 0)
        return csv_mapping_source (self->mapping, CSV_FIELD_CONSTITUENCY_CODE, NULL) !=
                   CSV_SOURCE_NONE
                 ? CSV_FIELD_CONSTITUENCY_CODE
                 : CSV_FIELD_CONSTITUENCY_NAME;
    if (strcmp (path, "association") == 0)
        return CSV_FIELD_ASSOCIATION_ID;
    if (strcmp (path, "stakeholder") == 0)
        return CSV_FIELD_NAME;
    return CSV_FIELD_COUNT;
}

/* A refusal by the event rules, said in terms of the export: the column, and the field. */
static int
s_event_refused (const csv_map_t *self, const csv_row_t *row, const reject_t *rule, reject_t *why)
{
    csv_field_t f = s_field_of_path (self, rule->field);
    const char *reason = strcmp (rule->reason, "required") == 0 ? "is empty" : rule->reason;
    if (f == CSV_FIELD_COUNT) {
        reject_set (why, "", "%s%s%s", rule->field, *rule->field ? ": " : "", reason);
        return -1;
    }
    const char *text;
    csv_source_t src = csv_mapping_source (self->mapping, f, &text);
    if (src == CSV_SOURCE_CONSTANT) {
        reject_set (why, "", "%s (a constant of the mapping): %s", rule->field, reason);
        return -1;
    }
    char hint[160] = "";
    if (f == CSV_FIELD_CONSTITUENCY_NAME && strstr (reason, "is not the name of") &&
        self->col[f] >= 0 && self->col[f] < (int)row->count) {
        const constituency_t *close[1];
        if (constituency_suggest (row->fields[self->col[f]], close, 1) == 1)
            snprintf (hint, sizeof hint, " (did you mean \"%s\"?)", close[0]->name);
    }
    reject_set (why, "", "%s: %s%s", rule->field, reason, hint);
    s_set_field (why, self, src == CSV_SOURCE_COLUMN ? self->col[f] : -1);
    return -1;
}

/* Appends one part of a row's identity. */
static void
s_part (char **buf, size_t *len, size_t *cap, const char *text, size_t n)
{
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap)
            *cap = *cap ? 2 * *cap : 256;
        *buf = xrealloc (*buf, *cap);
    }
    memcpy (*buf + *len, text, n);
    *len += n;
    (*buf)[(*len)++] = S_SEP[0];
}

static void
s_make_id (const csv_map_t *self,
           const csv_row_t *row,
           const event_t *ev,
           bool submitted,
           int64_t submitted_us,
           char out[EVENT_ID_LEN + 1])
{
    char *buf = NULL, num[32];
    size_t len = 0, cap = 0;
    const char *feed = csv_mapping_feed_name (self->mapping);
    s_part (&buf, &len, &cap, "parley-csv-v1", 13);
    s_part (&buf, &len, &cap, feed, strlen (feed));
    if (self->nidentity > 0) {
        s_part (&buf, &len, &cap, "id", 2);
        for (size_t i = 0; i < self->nidentity; i++) {
            int col = self->identity[i];
            s_cell_t c = col < (int)row->count ? s_trim (row->fields[col], row->lens[col], col)
                                               : (s_cell_t){ "", 0, col };
            s_part (&buf, &len, &cap, c.text, c.len);
        }
    } else {
        char day[RFC3339_DATE_LEN + 1];
        rfc3339_format_date (ev->occurred_on, day);
        const char *role = event_role_name (ev->role);
        s_part (&buf, &len, &cap, "key", 3);
        s_part (&buf, &len, &cap, ev->association_id, strlen (ev->association_id));
        s_part (&buf, &len, &cap, ev->constituency->code, strlen (ev->constituency->code));
        s_part (&buf, &len, &cap, role, strlen (role));
        s_part (&buf, &len, &cap, ev->person_key, strlen (ev->person_key));
        s_part (&buf, &len, &cap, day, strlen (day));
        if (submitted) {
            int n = snprintf (num, sizeof num, "%" PRId64, submitted_us);
            s_part (&buf, &len, &cap, num, (size_t)n);
        }
    }
    int n = snprintf (num, sizeof num, "%" PRId64, ev->reported_at_us);
    s_part (&buf, &len, &cap, num, (size_t)n);
    if (uuid_text_v5 (CSV_MAP_NAMESPACE, buf, len - 1, out) != 0)
        abort (); /* the namespace is a constant */
    free (buf);
}

int
csv_map_row (csv_map_t *self,
             const csv_row_t *row,
             int64_t now_us,
             csv_map_event_t *out,
             reject_t *why)
{
    if (row->count < self->nheader) {
        reject_set (why,
                    "",
                    "row has %zu fields, the header has %zu (a line break in a field that is not "
                    "quoted?)",
                    row->count,
                    self->nheader);
        return -1;
    }
    for (size_t i = self->nheader; i < row->count; i++)
        if (row->lens[i] > 0) {
            reject_set (
              why, "", "row has %zu fields, the header has %zu", row->count, self->nheader);
            return -1;
        }
    s_cell_t c[CSV_FIELD_COUNT];
    for (int f = 0; f < CSV_FIELD_COUNT; f++)
        if (s_value (self, row, (csv_field_t)f, &c[f], why) != 0)
            return -1;

    /* Times. */
    const tzone_t *zone = csv_mapping_zone (self->mapping);
    csv_time_t t;
    bool submitted = false;
    int64_t submitted_us = 0, reported_us;
    if (c[CSV_FIELD_SUBMITTED_AT].len > 0) {
        if (s_time (self, &c[CSV_FIELD_SUBMITTED_AT], CSV_FIELD_SUBMITTED_AT, &t, why) != 0)
            return -1;
        submitted = true;
        submitted_us = csv_time_to_utc_us (&t, zone, NULL);
    }
    if (c[CSV_FIELD_REPORTED_AT].len > 0) {
        if (s_time (self, &c[CSV_FIELD_REPORTED_AT], CSV_FIELD_REPORTED_AT, &t, why) != 0)
            return -1;
        reported_us = csv_time_to_utc_us (&t, zone, NULL);
    } else if (submitted)
        reported_us = submitted_us; /* never edited */
    else
        return s_reject (
          self, why, c[CSV_FIELD_REPORTED_AT].col, CSV_FIELD_REPORTED_AT, "is empty");
    bool amended = submitted && reported_us > submitted_us;
    if (c[CSV_FIELD_OCCURRED_ON].len == 0)
        return s_reject (
          self, why, c[CSV_FIELD_OCCURRED_ON].col, CSV_FIELD_OCCURRED_ON, "is empty");
    if (s_time (self, &c[CSV_FIELD_OCCURRED_ON], CSV_FIELD_OCCURRED_ON, &t, why) != 0)
        return -1;
    char reported[RFC3339_INSTANT_LEN + 1], day[RFC3339_DATE_LEN + 1];
    rfc3339_format_instant (reported_us, reported);
    rfc3339_format_date (csv_time_local_day (&t, zone), day);

    json_t *ev = json_object ();
    bool generated = c[CSV_FIELD_EVENT_ID].len == 0;
    if (generated)
        json_object_set_new (ev, "event_id", json_string (S_NIL_ID));
    else
        s_set_string (ev, "event_id", &c[CSV_FIELD_EVENT_ID]);
    json_object_set_new (
      ev, "type", json_string (amended ? "conversation.amended" : "conversation.reported"));
    json_object_set_new (ev, "reported_at", json_string (reported));
    json_object_set_new (ev, "occurred_on", json_string (day));

    json_t *assoc = json_object (), *cons = json_object (), *who = json_object ();
    json_object_set_new (ev, "association", assoc);
    json_object_set_new (ev, "constituency", cons);
    json_object_set_new (ev, "stakeholder", who);
    if (c[CSV_FIELD_ASSOCIATION_ID].len > 0)
        s_set_string (assoc, "id", &c[CSV_FIELD_ASSOCIATION_ID]);
    if (c[CSV_FIELD_ASSOCIATION_NAME].len > 0)
        s_set_string (assoc, "name", &c[CSV_FIELD_ASSOCIATION_NAME]);
    if (c[CSV_FIELD_CONSTITUENCY_CODE].len > 0)
        s_set_string (cons, "code", &c[CSV_FIELD_CONSTITUENCY_CODE]);
    const s_cell_t *cname = &c[CSV_FIELD_CONSTITUENCY_NAME];
    if (cname->len > 0) {
        const char *code = cname->col >= 0 ? s_label (self, CSV_LABELS_CONSTITUENCY, cname) : NULL;
        if (code && c[CSV_FIELD_CONSTITUENCY_CODE].len == 0)
            json_object_set_new (cons, "code", json_string (code));
        else
            s_set_string (cons, "name", cname);
    }
    int rc = 0;
    rc = rc
           ? rc
           : s_translated (
               self, &c[CSV_FIELD_ROLE], CSV_FIELD_ROLE, CSV_LABELS_ROLE, "role", who, "role", why);
    if (c[CSV_FIELD_NAME].len > 0)
        s_set_string (who, "name", &c[CSV_FIELD_NAME]);
    if (c[CSV_FIELD_PARTY].len > 0)
        s_set_string (who, "party", &c[CSV_FIELD_PARTY]);
    rc = rc ? rc
            : s_translated (self,
                            &c[CSV_FIELD_FORMAT],
                            CSV_FIELD_FORMAT,
                            CSV_LABELS_FORMAT,
                            "format",
                            ev,
                            "format",
                            why);
    rc = rc ? rc : s_stance (self, &c[CSV_FIELD_STANCE], ev, why);
    rc = rc ? rc : s_topics (self, &c[CSV_FIELD_TOPICS], ev, why);
    rc = rc ? rc : s_follow_up (self, &c[CSV_FIELD_FOLLOW_UP], ev, why);
    if (c[CSV_FIELD_NOTES].len > 0)
        s_set_string (ev, "notes", &c[CSV_FIELD_NOTES]);
    if (rc != 0) {
        json_decref (ev);
        return -1;
    }
    free (self->line);
    self->line = json_dumps (ev, JSON_COMPACT);
    json_decref (ev);
    size_t len = strlen (self->line);

    event_t parsed;
    reject_t rule;
    if (event_parse (&parsed, self->line, len, now_us, &rule) != 0) {
        event_fini (&parsed);
        return s_event_refused (self, row, &rule, why);
    }
    memcpy (out->event_id, parsed.event_id, EVENT_ID_LEN + 1);
    if (generated) {
        s_make_id (self, row, &parsed, submitted, submitted_us, out->event_id);
        /* The first member, written by us: no text of the row can look like it unescaped. */
        char *slot = strstr (self->line, "\"event_id\":\"" S_NIL_ID "\"");
        assert (slot);
        memcpy (slot + strlen ("\"event_id\":\""), out->event_id, EVENT_ID_LEN);
    }
    event_fini (&parsed);
    out->line = self->line;
    out->len = len;
    out->generated_id = generated;
    out->amended = amended;
    return 0;
}
