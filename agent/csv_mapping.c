/* Mapping files for CSV feeds (see csv_mapping.h and docs/FEEDS.md). */
#include "csv_mapping.h"

#include <errno.h>
#include <ini.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "fold.h"
#include "mem.h"
#include "number.h"
#include "utf8.h"

#define S_FILE_MAX (1024 * 1024)
#define S_LABEL_LIST_MAX 200
#define S_ZONE_DEFAULT "Europe/London"

typedef struct {
    char *folded; /* fold_name (label) */
    char *label;  /* as written */
    char *value;
} s_label_t;

typedef struct {
    bool present;
    s_label_t *items;
    size_t count, cap;
    char *list;
} s_section_t;

struct csv_mapping {
    char *feed_name, *zone_name;
    tzone_t *zone;
    csv_time_order_t order;
    bool order_set, unknown_set;
    csv_unknown_t unknown;
    csv_source_t src[CSV_FIELD_COUNT];
    char *text[CSV_FIELD_COUNT];
    char **identity;
    size_t nidentity;
    s_section_t labels[CSV_LABELS_COUNT];
    char error[REJECT_REASON_MAX]; /* the first problem found while parsing */
};

static const char *const s_field_names[CSV_FIELD_COUNT] = {
    "event_id",         "reported_at",      "submitted_at",      "occurred_on",
    "association.id",   "association.name", "constituency.code", "constituency.name",
    "stakeholder.role", "stakeholder.name", "stakeholder.party", "format",
    "stance",           "topics",           "follow_up",         "notes",
};

/* Fields that may be constants: the ones that are often the same for a whole feed. */
static bool
s_may_be_constant (csv_field_t f)
{
    return f == CSV_FIELD_ASSOCIATION_ID || f == CSV_FIELD_ASSOCIATION_NAME ||
           f == CSV_FIELD_CONSTITUENCY_CODE || f == CSV_FIELD_CONSTITUENCY_NAME ||
           f == CSV_FIELD_ROLE || f == CSV_FIELD_PARTY || f == CSV_FIELD_FORMAT;
}

static const char *const s_label_sections[CSV_LABELS_COUNT] = {
    "stance", "topics", "role", "format", "follow_up", "constituency",
};

const char *
csv_mapping_field_name (csv_field_t field)
{
    return field < CSV_FIELD_COUNT ? s_field_names[field] : "";
}

static int
s_field_by_name (const char *name)
{
    for (int i = 0; i < CSV_FIELD_COUNT; i++)
        if (strcasecmp (name, s_field_names[i]) == 0)
            return i;
    return -1;
}

static void s_fail (csv_mapping_t *self, const char *format, ...) PARLEY_PRINTF (2, 3);
static void
s_fail (csv_mapping_t *self, const char *format, ...)
{
    if (self->error[0])
        return; /* keep the first */
    va_list ap;
    va_start (ap, format);
    vsnprintf (self->error, sizeof self->error, format, ap);
    va_end (ap);
}

/* --- sections ------------------------------------------------------------------------ */

static int
s_feed (csv_mapping_t *self, const char *name, const char *value)
{
    if (strcasecmp (name, "name") == 0) {
        if (self->feed_name)
            return s_fail (self, "[feed] name is given twice"), 0;
        if (!*value)
            return s_fail (self, "[feed] name is empty"), 0;
        self->feed_name = xstrdup (value);
    } else if (strcasecmp (name, "zone") == 0) {
        if (self->zone_name)
            return s_fail (self, "[feed] zone is given twice"), 0;
        self->zone_name = xstrdup (value);
    } else if (strcasecmp (name, "dates") == 0) {
        if (self->order_set)
            return s_fail (self, "[feed] dates is given twice"), 0;
        if (strcasecmp (value, "dmy") == 0)
            self->order = CSV_TIME_DMY;
        else if (strcasecmp (value, "mdy") == 0)
            self->order = CSV_TIME_MDY;
        else
            return s_fail (self, "[feed] dates must be dmy or mdy (got \"%s\")", value), 0;
        self->order_set = true;
    } else if (strcasecmp (name, "unknown_topics") == 0) {
        if (self->unknown_set)
            return s_fail (self, "[feed] unknown_topics is given twice"), 0;
        if (strcasecmp (value, "reject") == 0)
            self->unknown = CSV_UNKNOWN_REJECT;
        else if (strcasecmp (value, "ignore") == 0)
            self->unknown = CSV_UNKNOWN_IGNORE;
        else
            return s_fail (
                     self, "[feed] unknown_topics must be reject or ignore (got \"%s\")", value),
                   0;
        self->unknown_set = true;
    } else
        return s_fail (self,
                       "\"%s\" is not a [feed] setting (name, zone, dates or unknown_topics)",
                       name),
               0;
    return 1;
}

static int
s_field (csv_mapping_t *self,
         const char *section,
         const char *name,
         const char *value,
         csv_source_t src)
{
    if (src == CSV_SOURCE_COLUMN && strcasecmp (name, "identity") == 0) {
        if (!*value)
            return s_fail (self, "[columns] identity names no column"), 0;
        self->identity = xrealloc (self->identity, (self->nidentity + 1) * sizeof *self->identity);
        self->identity[self->nidentity++] = xstrdup (value);
        return 1;
    }
    int f = s_field_by_name (name);
    if (f < 0)
        return s_fail (self,
                       "\"%s\" is not an event field (event_id, reported_at, submitted_at, "
                       "occurred_on, association.id, association.name, constituency.code, "
                       "constituency.name, stakeholder.role, stakeholder.name, "
                       "stakeholder.party, format, stance, topics, follow_up, notes%s)",
                       name,
                       src == CSV_SOURCE_COLUMN ? " or identity" : ""),
               0;
    if (src == CSV_SOURCE_CONSTANT && !s_may_be_constant ((csv_field_t)f))
        return s_fail (self,
                       "%s cannot be a constant (only association.id, association.name, "
                       "constituency.code, constituency.name, stakeholder.role, "
                       "stakeholder.party and format can)",
                       s_field_names[f]),
               0;
    if (self->src[f] != CSV_SOURCE_NONE)
        return s_fail (self,
                       "%s is given twice (in [%s]%s)",
                       s_field_names[f],
                       section,
                       self->src[f] == src ? "" : " and in the other of [columns] and [constants]"),
               0;
    if (!*value)
        return s_fail (self, "[%s] %s is empty", section, s_field_names[f]), 0;
    self->src[f] = src;
    self->text[f] = xstrdup (value);
    return 1;
}

/* Checks a label section's key (the event value) and returns it as stored, or NULL. */
static char *
s_label_value (csv_mapping_t *self, csv_labels_t which, const char *key)
{
    switch (which) {
        case CSV_LABELS_STANCE: {
            if (strcasecmp (key, "unknown") == 0)
                return xstrdup ("");
            int stance;
            if (number_parse_int (key, -2, 2, &stance) != 0)
                return s_fail (
                         self, "[stance] \"%s\" is not a stance (-2, -1, 0, 1, 2 or unknown)", key),
                       NULL;
            return xasprintf ("%d", stance);
        }
        case CSV_LABELS_ROLE:
            for (int r = ROLE_MP; r <= ROLE_OPINION_FORMER; r++)
                if (strcmp (key, event_role_name ((stakeholder_role_t)r)) == 0)
                    return xstrdup (key);
            return s_fail (self,
                           "[role] \"%s\" is not a stakeholder role (mp, councillor, peer, mayor, "
                           "official or opinion_former)",
                           key),
                   NULL;
        case CSV_LABELS_FORMAT:
            for (int fm = FORMAT_MEETING; fm <= FORMAT_CORRESPONDENCE; fm++)
                if (strcmp (key, event_format_name ((event_format_t)fm)) == 0)
                    return xstrdup (key);
            return s_fail (self,
                           "[format] \"%s\" is not a format (meeting, site_visit, call, event or "
                           "correspondence)",
                           key),
                   NULL;
        case CSV_LABELS_FOLLOW_UP:
            if (strcmp (key, "true") == 0 || strcmp (key, "false") == 0)
                return xstrdup (key);
            return s_fail (self, "[follow_up] \"%s\" must be true or false", key), NULL;
        case CSV_LABELS_CONSTITUENCY: {
            const constituency_t *c = constituency_by_code (key);
            if (!c)
                return s_fail (self,
                               "[constituency] \"%s\" is not a 2024 Westminster constituency code",
                               key),
                       NULL;
            return xstrdup (c->code);
        }
        case CSV_LABELS_TOPICS:
        default:
            return xstrdup (key); /* checked by the event rules once everything is read */
    }
}

static int
s_label (csv_mapping_t *self, csv_labels_t which, const char *key, const char *label)
{
    s_section_t *sec = &self->labels[which];
    sec->present = true;
    if (!*label)
        return s_fail (self, "[%s] %s has an empty label", s_label_sections[which], key), 0;
    char *value = s_label_value (self, which, key);
    if (!value)
        return 0;
    char *folded = fold_name (label);
    if (!*folded) {
        s_fail (self, "[%s] label \"%s\" has no letters or digits", s_label_sections[which], label);
        free (folded);
        free (value);
        return 0;
    }
    for (size_t i = 0; i < sec->count; i++) {
        if (strcmp (sec->items[i].folded, folded) != 0)
            continue;
        int ok = strcmp (sec->items[i].value, value) == 0;
        if (!ok)
            s_fail (self,
                    "[%s] label \"%s\" is given for both %s and %s",
                    s_label_sections[which],
                    label,
                    *sec->items[i].value ? sec->items[i].value : "unknown",
                    *value ? value : "unknown");
        free (folded);
        free (value);
        return ok;
    }
    if (sec->count == sec->cap) {
        sec->cap = sec->cap ? 2 * sec->cap : 8;
        sec->items = xrealloc (sec->items, sec->cap * sizeof *sec->items);
    }
    sec->items[sec->count++] = (s_label_t){ folded, xstrdup (label), value };
    return 1;
}

static int
s_handler (void *user, const char *section, const char *name, const char *value)
{
    csv_mapping_t *self = user;
    if (strcasecmp (section, "feed") == 0)
        return s_feed (self, name, value);
    if (strcasecmp (section, "columns") == 0)
        return s_field (self, "columns", name, value, CSV_SOURCE_COLUMN);
    if (strcasecmp (section, "constants") == 0)
        return s_field (self, "constants", name, value, CSV_SOURCE_CONSTANT);
    for (int i = 0; i < CSV_LABELS_COUNT; i++)
        if (strcasecmp (section, s_label_sections[i]) == 0 ||
            (i == CSV_LABELS_ROLE && strcasecmp (section, "stakeholder.role") == 0))
            return s_label (self, (csv_labels_t)i, name, value);
    if (!*section)
        return s_fail (self, "\"%s\" comes before any [section]", name), 0;
    return s_fail (self,
                   "[%s] is not a section of a mapping (feed, columns, constants, stance, topics, "
                   "role, format, follow_up or constituency)",
                   section),
           0;
}

/* --- checks once read ---------------------------------------------------------------- */

/* Runs one value through the event rules, in an otherwise valid event: a constant or a
   label's value is refused here, once, rather than on every row. Returns 0, or -1 with the
   rule's reason in why. */
static int
s_probe (const char *path, json_t *value, reject_t *why)
{
    json_t *ev = json_pack ("{s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s, s:s}}",
                            "event_id",
                            "00000000-0000-0000-0000-000000000000",
                            "type",
                            "conversation.reported",
                            "reported_at",
                            "2026-01-01T00:00:00Z",
                            "occurred_on",
                            "2026-01-01",
                            "association",
                            "id",
                            "PROBE",
                            "constituency",
                            "code",
                            "W07000112",
                            "stakeholder",
                            "role",
                            "mp",
                            "name",
                            "Probe Person");
    const char *dot = strchr (path, '.');
    if (dot) {
        char outer[32];
        snprintf (outer, sizeof outer, "%.*s", (int)(dot - path), path);
        json_t *obj = json_object_get (ev, outer);
        if (strcmp (outer, "constituency") == 0)
            json_object_clear (obj); /* a code or a name alone */
        json_object_set_new (obj, dot + 1, value);
    } else
        json_object_set_new (ev, path, value);
    char *line = json_dumps (ev, JSON_COMPACT);
    json_decref (ev);
    event_t parsed;
    int rc = event_parse (&parsed, line, strlen (line), event_now_us (), why);
    event_fini (&parsed);
    free (line);
    return rc;
}

static int
s_check (csv_mapping_t *self)
{
    if (!self->feed_name)
        return s_fail (self,
                       "[feed] name is missing (it is part of every event id the feed's rows get)"),
               -1;
    static const struct {
        csv_field_t field;
        const char *why;
    } needed[] = {
        { CSV_FIELD_REPORTED_AT, "[columns] reported_at is missing" },
        { CSV_FIELD_OCCURRED_ON, "[columns] occurred_on is missing" },
        { CSV_FIELD_ASSOCIATION_ID, "association.id is missing (a column or a constant)" },
        { CSV_FIELD_ROLE, "stakeholder.role is missing (a column or a constant)" },
        { CSV_FIELD_NAME, "[columns] stakeholder.name is missing" },
    };
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (self->src[needed[i].field] == CSV_SOURCE_NONE)
            return s_fail (self, "%s", needed[i].why), -1;
    if (self->src[CSV_FIELD_CONSTITUENCY_CODE] == CSV_SOURCE_NONE &&
        self->src[CSV_FIELD_CONSTITUENCY_NAME] == CSV_SOURCE_NONE)
        return s_fail (
                 self,
                 "constituency.code or constituency.name is missing (a column or a constant)"),
               -1;
    for (int f = 0; f < CSV_FIELD_COUNT; f++) {
        if (self->src[f] != CSV_SOURCE_CONSTANT)
            continue;
        reject_t why;
        if (s_probe (s_field_names[f], json_string (self->text[f]), &why) != 0)
            return s_fail (self, "[constants] %s: %s", s_field_names[f], why.reason), -1;
    }
    const s_section_t *topics = &self->labels[CSV_LABELS_TOPICS];
    for (size_t i = 0; i < topics->count; i++) {
        reject_t why;
        if (s_probe ("topics", json_pack ("[s]", topics->items[i].value), &why) != 0)
            return s_fail (self,
                           "[topics] \"%s\" is not a topic name (1 to 40 of a-z, 0-9 and _, "
                           "starting with a letter or digit)",
                           topics->items[i].value),
                   -1;
    }
    char err[256];
    self->zone = tzone_load (self->zone_name ? self->zone_name : S_ZONE_DEFAULT, err, sizeof err);
    if (!self->zone)
        return s_fail (self, "[feed] zone: %s", err), -1;
    for (int i = 0; i < CSV_LABELS_COUNT; i++) {
        s_section_t *sec = &self->labels[i];
        size_t n = 0;
        sec->list = xcalloc (1, S_LABEL_LIST_MAX + 1);
        for (size_t j = 0; j < sec->count; j++) {
            const char *sep = j ? ", " : "";
            size_t need = strlen (sep) + strlen (sec->items[j].label);
            if (n + need > S_LABEL_LIST_MAX - 4) {
                strcpy (sec->list + n, j ? ", …" : "…");
                break;
            }
            n += (size_t)sprintf (sec->list + n, "%s%s", sep, sec->items[j].label);
        }
    }
    return 0;
}

/* --- loading ------------------------------------------------------------------------- */

/* The first line longer than inih reads whole (it would split it silently), or 0. */
static int
s_long_line (const char *text, size_t *longest_allowed)
{
    size_t max = ini_max_line > 3 ? (size_t)ini_max_line - 3 : 0;
    *longest_allowed = max;
    int line = 1;
    size_t len = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            line++;
            len = 0;
        } else if (*p != '\r' && ++len > max)
            return line;
    }
    return 0;
}

csv_mapping_t *
csv_mapping_parse (const char *text, const char *source, char *err, size_t errlen)
{
    size_t len = strlen (text);
    size_t bad = utf8_invalid_offset (text, len);
    if (bad < len) {
        int line = 1;
        for (size_t i = 0; i < bad; i++)
            line += text[i] == '\n';
        snprintf (err, errlen, "%s line %d: is not valid UTF-8", source, line);
        return NULL;
    }
    size_t max;
    int long_line = s_long_line (text, &max);
    if (long_line) {
        snprintf (err, errlen, "%s line %d: is longer than %zu bytes", source, long_line, max);
        return NULL;
    }
    csv_mapping_t *self = xcalloc (1, sizeof *self);
    int line = ini_parse_string (text, s_handler, self);
    if (line != 0) {
        if (line < 0)
            snprintf (err, errlen, "%s: could not be read", source);
        else
            snprintf (err,
                      errlen,
                      "%s line %d: %s",
                      source,
                      line,
                      self->error[0] ? self->error
                                     : "is not a [section], a \"name = value\" line or a comment");
        csv_mapping_destroy (&self);
        return NULL;
    }
    if (s_check (self) != 0) {
        snprintf (err, errlen, "%s: %s", source, self->error);
        csv_mapping_destroy (&self);
        return NULL;
    }
    return self;
}

csv_mapping_t *
csv_mapping_load (const char *path, char *err, size_t errlen)
{
    FILE *f = fopen (path, "rb");
    if (!f) {
        snprintf (err, errlen, "could not open mapping file \"%s\": %s", path, strerror (errno));
        return NULL;
    }
    char *text = xmalloc (S_FILE_MAX + 1);
    size_t n = fread (text, 1, S_FILE_MAX + 1, f);
    bool failed = ferror (f);
    fclose (f);
    csv_mapping_t *self = NULL;
    if (failed)
        snprintf (err, errlen, "could not read mapping file \"%s\"", path);
    else if (n > S_FILE_MAX)
        snprintf (err, errlen, "mapping file \"%s\" is larger than %d bytes", path, S_FILE_MAX);
    else if (memchr (text, '\0', n))
        snprintf (err, errlen, "mapping file \"%s\" has a NUL byte", path);
    else {
        text[n] = '\0';
        self = csv_mapping_parse (text, path, err, errlen);
    }
    free (text);
    return self;
}

void
csv_mapping_destroy (csv_mapping_t **self_p)
{
    if (!*self_p)
        return;
    csv_mapping_t *self = *self_p;
    free (self->feed_name);
    free (self->zone_name);
    tzone_destroy (&self->zone);
    for (int i = 0; i < CSV_FIELD_COUNT; i++)
        free (self->text[i]);
    for (size_t i = 0; i < self->nidentity; i++)
        free (self->identity[i]);
    free (self->identity);
    for (int i = 0; i < CSV_LABELS_COUNT; i++) {
        s_section_t *sec = &self->labels[i];
        for (size_t j = 0; j < sec->count; j++) {
            free (sec->items[j].folded);
            free (sec->items[j].label);
            free (sec->items[j].value);
        }
        free (sec->items);
        free (sec->list);
    }
    free (self);
    *self_p = NULL;
}

/* --- accessors ----------------------------------------------------------------------- */

const char *
csv_mapping_feed_name (const csv_mapping_t *self)
{
    return self->feed_name;
}

const tzone_t *
csv_mapping_zone (const csv_mapping_t *self)
{
    return self->zone;
}

csv_time_order_t
csv_mapping_date_order (const csv_mapping_t *self)
{
    return self->order;
}

csv_unknown_t
csv_mapping_unknown_topics (const csv_mapping_t *self)
{
    return self->unknown;
}

csv_source_t
csv_mapping_source (const csv_mapping_t *self, csv_field_t field, const char **text)
{
    if (text)
        *text = self->text[field];
    return self->src[field];
}

size_t
csv_mapping_identity_count (const csv_mapping_t *self)
{
    return self->nidentity;
}

const char *
csv_mapping_identity_column (const csv_mapping_t *self, size_t i)
{
    return i < self->nidentity ? self->identity[i] : NULL;
}

bool
csv_mapping_has_labels (const csv_mapping_t *self, csv_labels_t labels)
{
    return self->labels[labels].present;
}

const char *
csv_mapping_label (const csv_mapping_t *self, csv_labels_t labels, const char *label)
{
    const s_section_t *sec = &self->labels[labels];
    if (sec->count == 0)
        return NULL;
    char *folded = fold_name (label);
    const char *value = NULL;
    for (size_t i = 0; i < sec->count && !value; i++)
        if (strcmp (sec->items[i].folded, folded) == 0)
            value = sec->items[i].value;
    free (folded);
    return value;
}

const char *
csv_mapping_label_list (const csv_mapping_t *self, csv_labels_t labels)
{
    const char *list = self->labels[labels].list;
    return list ? list : "";
}
