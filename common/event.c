#include "event.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fold.h"
#include "mem.h"
#include "rfc3339.h"
#include "utf8.h"
#include "uuid_text.h"

/* Longest part of a bad value quoted in a reason; the rest is cut with "…". */
#define S_QUOTE_MAX 48
/* Room for a quoted value: every byte may become a 6-byte \u00XX escape. */
#define S_QUOTE_CAP (S_QUOTE_MAX * 6 + 8)

/* A bad value as it appears in a reason: "text" for strings (escaped, cut short), the
   JSON text for numbers and literals, "an object" / "an array" for containers. */
typedef struct {
    char text[S_QUOTE_CAP];
} s_shown_t;

static void
s_quote (s_shown_t *out, const char *text, size_t len)
{
    size_t keep = utf8_prefix (text, len, S_QUOTE_MAX), o = 0;
    out->text[o++] = '"';
    for (size_t i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\') {
            out->text[o++] = '\\';
            out->text[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf (out->text + o, 7, "\\u%04x", c);
        else
            out->text[o++] = (char)c;
    }
    out->text[o++] = '"';
    if (keep < len) {
        memcpy (out->text + o, "…", sizeof "…" - 1);
        o += sizeof "…" - 1;
    }
    out->text[o] = '\0';
}

static void
s_show (s_shown_t *out, const json_t *v)
{
    switch (json_typeof (v)) {
        case JSON_STRING:
            s_quote (out, json_string_value (v), json_string_length (v));
            break;
        case JSON_INTEGER:
            snprintf (out->text, sizeof out->text, "%" JSON_INTEGER_FORMAT, json_integer_value (v));
            break;
        case JSON_REAL:
            snprintf (out->text, sizeof out->text, "%.15g", json_real_value (v));
            /* 2.0 must not read as the integer 2 in "must be an integer (got 2.0)". */
            if (!strpbrk (out->text, ".eEni"))
                strcat (out->text, ".0");
            break;
        case JSON_TRUE:
            strcpy (out->text, "true");
            break;
        case JSON_FALSE:
            strcpy (out->text, "false");
            break;
        case JSON_NULL:
            strcpy (out->text, "null");
            break;
        case JSON_OBJECT:
            strcpy (out->text, "an object");
            break;
        case JSON_ARRAY:
            strcpy (out->text, "an array");
            break;
    }
}

/* "must be a string (got 12)" and the like. */
static int
s_type_error (reject_t *why, const char *field, const char *expected, const json_t *v)
{
    s_shown_t shown;
    s_show (&shown, v);
    reject_set (why, field, "%s (got %s)", expected, shown.text);
    return -1;
}

/* Looks up a string member. Returns 1 with *out set when present, 0 when absent (for an
   optional member, null counts as absent), -1 with *why set when missing but required or
   not a string. */
static int
s_string (const json_t *obj,
          const char *key,
          const char *field,
          bool required,
          const json_t **out,
          reject_t *why)
{
    const json_t *v = json_object_get (obj, key);
    if (!v || (json_is_null (v) && !required)) {
        if (!required)
            return 0;
        reject_set (why, field, "required");
        return -1;
    }
    if (!json_is_string (v))
        return s_type_error (why, field, "must be a string", v);
    *out = v;
    return 1;
}

/* Looks up a nested object (association, stakeholder). *out is NULL when absent or null;
   json_object_get (NULL, …) is NULL, so a required member inside it is then reported as
   missing under its own dotted name ("association.id: required"). */
static int
s_object (const json_t *root, const char *key, const json_t **out, reject_t *why)
{
    const json_t *v = json_object_get (root, key);
    *out = NULL;
    if (!v || json_is_null (v))
        return 0;
    if (!json_is_object (v))
        return s_type_error (why, key, "must be an object", v);
    *out = v;
    return 0;
}

/* ---- names of enumerated values ---------------------------------------------------- */

static const char *const s_type_names[] = { "conversation.reported",
                                            "conversation.amended",
                                            "conversation.withdrawn" };
static const char *const s_role_names[] = { "mp",    "councillor", "peer",
                                            "mayor", "official",   "opinion_former" };
static const char *const s_format_names[] = { "meeting",
                                              "site_visit",
                                              "call",
                                              "event",
                                              "correspondence" };

const char *
event_type_name (event_type_t type)
{
    return (unsigned)type < 3 ? s_type_names[type] : "?";
}

const char *
event_role_name (stakeholder_role_t role)
{
    return (unsigned)role < 6 ? s_role_names[role] : "?";
}

const char *
event_format_name (event_format_t format)
{
    return (unsigned)format < 5 ? s_format_names[format] : "?";
}

/* Index of text in names[0..n), or -1. Exact and case-sensitive, as the values are
   written in the specification. */
static int
s_lookup (const char *const *names, int n, const json_t *v)
{
    const char *text = json_string_value (v);
    for (int i = 0; i < n; i++)
        if (strcmp (names[i], text) == 0)
            return i;
    return -1;
}

int64_t
event_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * RFC3339_US_PER_SEC + ts.tv_nsec / 1000;
}

/* ---- one check per field, in the order of the v1 table ------------------------------ */

static int
s_check_event_id (event_t *ev, const json_t *root, reject_t *why)
{
    const json_t *v = NULL;
    if (s_string (root, "event_id", "event_id", true, &v, why) < 0)
        return -1;
    if (uuid_text_normalise (json_string_value (v), json_string_length (v), ev->event_id) == 0)
        return 0;
    s_shown_t shown;
    s_show (&shown, v);
    reject_set (why, "event_id", "%s is not a UUID (8-4-4-4-12 hexadecimal digits)", shown.text);
    return -1;
}

static int
s_check_type (event_t *ev, const json_t *root, reject_t *why)
{
    const json_t *v = NULL;
    if (s_string (root, "type", "type", true, &v, why) < 0)
        return -1;
    int i = s_lookup (s_type_names, 3, v);
    if (i >= 0) {
        ev->type = (event_type_t)i;
        return 0;
    }
    s_shown_t shown;
    s_show (&shown, v);
    reject_set (why,
                "type",
                "%s is not an event type (conversation.reported, conversation.amended or "
                "conversation.withdrawn)",
                shown.text);
    return -1;
}

/* Explains a failed RFC 3339 parse, naming the part that is wrong. */
static int
s_instant_error (rfc3339_status_t rc, const json_t *v, reject_t *why)
{
    const char *t = json_string_value (v);
    size_t len = json_string_length (v);
    s_shown_t shown;
    s_show (&shown, v);
    switch (rc) {
        case RFC3339_BAD_DATE:
            reject_set (why, "reported_at", "%.10s is not a calendar date", t);
            break;
        case RFC3339_BAD_TIME:
            reject_set (why, "reported_at", "%.8s is not a time of day", t + 11);
            break;
        case RFC3339_BAD_OFFSET:
            reject_set (why, "reported_at", "%s is not a UTC offset (at most ±23:59)", t + len - 6);
            break;
        default:
            reject_set (
              why,
              "reported_at",
              "%s is not an RFC 3339 date-time with a time zone (e.g. 2026-03-01T10:00:00Z)",
              shown.text);
            break;
    }
    return -1;
}

static int
s_check_reported_at (event_t *ev, const json_t *root, int64_t now_us, reject_t *why)
{
    const json_t *v = NULL;
    if (s_string (root, "reported_at", "reported_at", true, &v, why) < 0)
        return -1;
    rfc3339_status_t rc =
      rfc3339_parse_instant (json_string_value (v), json_string_length (v), &ev->reported_at_us);
    if (rc != RFC3339_OK)
        return s_instant_error (rc, v, why);
    /* The one place the checker's clock matters: an instant far in the future would win
       every (reported_at, event_id) comparison for its conversation, for ever. */
    if (ev->reported_at_us > now_us + RFC3339_US_PER_DAY) {
        char now_text[RFC3339_INSTANT_LEN + 1];
        rfc3339_format_instant (now_us, now_text);
        reject_set (why,
                    "reported_at",
                    "%s is more than one day ahead of this checker's clock (%s)",
                    json_string_value (v),
                    now_text);
        return -1;
    }
    return 0;
}

static int
s_check_occurred_on (event_t *ev, const json_t *root, reject_t *why)
{
    const json_t *v = NULL;
    if (s_string (root, "occurred_on", "occurred_on", true, &v, why) < 0)
        return -1;
    const char *t = json_string_value (v);
    s_shown_t shown;
    s_show (&shown, v);
    switch (rfc3339_parse_date (t, json_string_length (v), &ev->occurred_on)) {
        case RFC3339_OK:
            break;
        case RFC3339_BAD_DATE:
            reject_set (why, "occurred_on", "%s is not a calendar date", t);
            return -1;
        default:
            reject_set (why, "occurred_on", "%s is not a date in the form YYYY-MM-DD", shown.text);
            return -1;
    }
    if (ev->occurred_on < rfc3339_days_from_civil (2000, 1, 1)) {
        reject_set (why, "occurred_on", "%s is before 2000-01-01", t);
        return -1;
    }
    int32_t reported_day = rfc3339_day_of (ev->reported_at_us);
    if (ev->occurred_on > reported_day + 1) {
        char day[RFC3339_DATE_LEN + 1];
        rfc3339_format_date (reported_day, day);
        reject_set (
          why, "occurred_on", "%s is more than one day after reported_at (%s UTC)", t, day);
        return -1;
    }
    return 0;
}

/* An optional string of at most max bytes, copied to *out (NULL when absent). */
static int
s_optional_text (const json_t *obj,
                 const char *key,
                 const char *field,
                 size_t max,
                 char **out,
                 reject_t *why)
{
    const json_t *v = NULL;
    int rc = s_string (obj, key, field, false, &v, why);
    if (rc <= 0)
        return rc;
    size_t len = json_string_length (v);
    if (len > max) {
        reject_set (why, field, "is %zu bytes long (at most %zu)", len, max);
        return -1;
    }
    *out = xstrndup (json_string_value (v), len);
    return 0;
}

static bool
s_is_assoc_id (const char *t, size_t len)
{
    if (len < 1 || len > EVENT_ASSOC_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return false;
    }
    return true;
}

static int
s_check_association (event_t *ev, const json_t *root, reject_t *why)
{
    const json_t *assoc = NULL, *v = NULL;
    if (s_object (root, "association", &assoc, why) < 0 ||
        s_string (assoc, "id", "association.id", true, &v, why) < 0)
        return -1;
    const char *t = json_string_value (v);
    size_t len = json_string_length (v);
    if (!s_is_assoc_id (t, len)) {
        s_shown_t shown;
        s_show (&shown, v);
        reject_set (why,
                    "association.id",
                    "%s is not an association id (1 to 32 letters, digits, '.', '_' or '-', "
                    "starting with a letter or digit)",
                    shown.text);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        ev->association_id[i] = (t[i] >= 'a' && t[i] <= 'z') ? (char)(t[i] - 'a' + 'A') : t[i];
    ev->association_id[len] = '\0';
    return s_optional_text (
      assoc, "name", "association.name", EVENT_ASSOC_NAME_MAX, &ev->association_name, why);
}

static int
s_check_constituency (event_t *ev, const json_t *root, reject_t *why)
{
    const json_t *obj = json_object_get (root, "constituency"), *code = NULL, *name = NULL;
    if (!obj || json_is_null (obj)) {
        reject_set (why, "constituency", "required");
        return -1;
    }
    if (!json_is_object (obj))
        return s_type_error (
          why, "constituency", "must be an object with a code and/or a name", obj);
    int has_code = s_string (obj, "code", "constituency.code", false, &code, why);
    if (has_code < 0)
        return -1;
    int has_name = s_string (obj, "name", "constituency.name", false, &name, why);
    if (has_name < 0)
        return -1;
    if (!has_code && !has_name) {
        reject_set (why, "constituency", "needs a code or a name");
        return -1;
    }
    s_shown_t code_shown, name_shown;
    const constituency_t *by_code = NULL, *by_name = NULL;
    if (has_code) {
        s_show (&code_shown, code);
        by_code = constituency_by_code (json_string_value (code));
        if (!by_code) {
            reject_set (why,
                        "constituency.code",
                        "%s is not a 2024 Westminster constituency code",
                        code_shown.text);
            return -1;
        }
    }
    if (has_name) {
        s_show (&name_shown, name);
        by_name = constituency_by_name (json_string_value (name));
        if (!by_name) {
            reject_set (why,
                        "constituency.name",
                        "%s is not the name of a 2024 Westminster constituency",
                        name_shown.text);
            return -1;
        }
    }
    if (by_code && by_name && by_code != by_name) {
        reject_set (why,
                    "constituency",
                    "code %s is %s but name %s is %s (%s)",
                    code_shown.text,
                    by_code->name,
                    name_shown.text,
                    by_name->name,
                    by_name->code);
        return -1;
    }
    ev->constituency = by_code ? by_code : by_name;
    return 0;
}

static int
s_check_stakeholder (event_t *ev, const json_t *root, reject_t *why)
{
    const json_t *sh = NULL, *role = NULL, *name = NULL;
    if (s_object (root, "stakeholder", &sh, why) < 0 ||
        s_string (sh, "role", "stakeholder.role", true, &role, why) < 0)
        return -1;
    int i = s_lookup (s_role_names, 6, role);
    if (i < 0) {
        s_shown_t shown;
        s_show (&shown, role);
        reject_set (why,
                    "stakeholder.role",
                    "%s is not a stakeholder role (mp, councillor, peer, mayor, official or "
                    "opinion_former)",
                    shown.text);
        return -1;
    }
    ev->role = (stakeholder_role_t)i;
    if (s_string (sh, "name", "stakeholder.name", true, &name, why) < 0)
        return -1;
    size_t len = json_string_length (name);
    if (len > EVENT_NAME_MAX) {
        reject_set (why, "stakeholder.name", "is %zu bytes long (at most %d)", len, EVENT_NAME_MAX);
        return -1;
    }
    ev->person_key = fold_person_key (json_string_value (name));
    if (ev->person_key[0] == '\0') {
        s_shown_t shown;
        s_show (&shown, name);
        reject_set (why,
                    "stakeholder.name",
                    "%s has an empty person key (nothing is left once titles such as mr, cllr "
                    "or mp are removed)",
                    shown.text);
        return -1;
    }
    ev->stakeholder_name = xstrndup (json_string_value (name), len);
    return s_optional_text (sh, "party", "stakeholder.party", EVENT_PARTY_MAX, &ev->party, why);
}

static int
s_check_format (event_t *ev, const json_t *root, reject_t *why)
{
    const json_t *v = NULL;
    int rc = s_string (root, "format", "format", false, &v, why);
    if (rc <= 0)
        return rc;
    int i = s_lookup (s_format_names, 5, v);
    if (i >= 0) {
        ev->format = (event_format_t)i;
        return 0;
    }
    s_shown_t shown;
    s_show (&shown, v);
    reject_set (why,
                "format",
                "%s is not a format (meeting, site_visit, call, event or correspondence)",
                shown.text);
    return -1;
}

static int
s_check_stance (event_t *ev, const json_t *root, reject_t *why)
{
    const json_t *v = json_object_get (root, "stance");
    if (!v || json_is_null (v))
        return 0;
    if (!json_is_integer (v) || json_integer_value (v) < -2 || json_integer_value (v) > 2)
        return s_type_error (why, "stance", "must be an integer from -2 to 2", v);
    ev->stance_known = true;
    ev->stance = (int)json_integer_value (v);
    return 0;
}

static bool
s_is_topic (const char *t, size_t len)
{
    if (len < 1 || len > EVENT_TOPIC_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '_' && i > 0);
        if (!ok)
            return false;
    }
    return true;
}

static int
s_check_topics (event_t *ev, const json_t *root, reject_t *why)
{
    const json_t *arr = json_object_get (root, "topics");
    if (!arr || json_is_null (arr))
        return 0;
    if (!json_is_array (arr))
        return s_type_error (why, "topics", "must be an array of topic strings", arr);
    size_t n = json_array_size (arr);
    if (n > EVENT_TOPICS_MAX) {
        reject_set (why, "topics", "has %zu topics (at most %d)", n, EVENT_TOPICS_MAX);
        return -1;
    }
    /* Check every element before keeping any, so a rejected event owns nothing. */
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get (arr, i);
        char what[32];
        snprintf (what, sizeof what, "topic %zu must be a string", i + 1);
        if (!json_is_string (t))
            return s_type_error (why, "topics", what, t);
        if (!s_is_topic (json_string_value (t), json_string_length (t))) {
            s_shown_t shown;
            s_show (&shown, t);
            reject_set (why,
                        "topics",
                        "topic %zu (%s) is not a topic name (1 to 40 of a-z, 0-9 and _, "
                        "starting with a letter or digit)",
                        i + 1,
                        shown.text);
            return -1;
        }
    }
    /* Repeats collapse, first-seen order kept; n <= 20, so the quadratic scan is cheaper
       than any set. */
    for (size_t i = 0; i < n; i++) {
        const char *t = json_string_value (json_array_get (arr, i));
        bool seen = false;
        for (size_t j = 0; j < ev->topic_count && !seen; j++)
            seen = strcmp (ev->topics[j], t) == 0;
        if (!seen)
            ev->topics[ev->topic_count++] = xstrdup (t);
    }
    return 0;
}

static int
s_check_follow_up (event_t *ev, const json_t *root, reject_t *why)
{
    const json_t *v = json_object_get (root, "follow_up");
    if (!v || json_is_null (v))
        return 0;
    if (!json_is_boolean (v))
        return s_type_error (why, "follow_up", "must be true or false", v);
    ev->follow_up = json_is_true (v);
    return 0;
}

/* ---- the whole line ---------------------------------------------------------------- */

/* jansson says "duplicate object key near '"type"'": keep the key, drop the rest. */
static void
s_duplicate_key (const json_error_t *err, reject_t *why)
{
    const char *near = strstr (err->text, "near '");
    size_t len = near ? strlen (near + 6) : 0;
    if (len > 0 && near[6 + len - 1] == '\'')
        reject_set (why, "", "line has the key %.*s twice", (int)(len - 1), near + 6);
    else
        reject_set (why, "", "line has a duplicate key");
}

static bool
s_is_blank (const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!strchr (" \t\r\n", line[i]) || line[i] == '\0')
            return false;
    return true;
}

/* Why jansson refused a line, in words for the feed's owner. UTF-8 and NUL bytes are
   looked at only here: jansson refuses both (its UTF-8 check is as strict as utf8.c's), so
   a line it accepts needs neither scan, and one it refuses gets the precise reason. */
static void
s_load_error (const char *line, size_t len, const json_error_t *err, reject_t *why)
{
    size_t bad = utf8_invalid_offset (line, len);
    const char *nul = memchr (line, '\0', len);
    if (bad < len)
        reject_set (why,
                    "",
                    "line is not valid UTF-8 (byte 0x%02X at offset %zu)",
                    (unsigned char)line[bad],
                    bad);
    else if (nul)
        /* jansson stops at a NUL byte and calls it "end of file". */
        reject_set (why, "", "line has a NUL byte (at offset %zu)", (size_t)(nul - line));
    else if (json_error_code (err) == json_error_duplicate_key)
        s_duplicate_key (err, why);
    else if (s_is_blank (line, len))
        reject_set (why, "", "line is empty");
    else if (json_error_code (err) == json_error_null_byte_in_key)
        /* Values may hold \u0000 (refused afterwards, naming the field); a key cannot. */
        reject_set (why,
                    "",
                    "line is not valid JSON: \\u0000 is not allowed in a key (at offset %d)",
                    err->position);
    else
        reject_set (why, "", "line is not valid JSON: %s (at offset %d)", err->text, err->position);
}

/* The first string anywhere in v holding a NUL character (\u0000, which jansson passes
   only under JSON_ALLOW_NUL), with its dotted path in field ("stakeholder.name",
   "topics[2]", "extra.a.b"). PostgreSQL's jsonb cannot hold one and C strings would cut at
   it, so it is refused wherever it is, even in a member no rule reads. Returns true when
   found. */
static bool
s_find_nul (const json_t *v, char *field, size_t cap, size_t at)
{
    if (json_is_string (v))
        return memchr (json_string_value (v), '\0', json_string_length (v)) != NULL;
    if (json_is_array (v)) {
        for (size_t i = 0; i < json_array_size (v); i++) {
            snprintf (field + at, cap - at, "[%zu]", i + 1);
            if (s_find_nul (json_array_get (v, i), field, cap, strlen (field)))
                return true;
        }
    } else if (json_is_object (v)) {
        const char *key;
        const json_t *m;
        json_object_foreach ((json_t *)v, key, m)
        {
            snprintf (field + at, cap - at, "%s%s", at ? "." : "", key);
            if (s_find_nul (m, field, cap, strlen (field)))
                return true;
        }
    }
    field[at] = '\0';
    return false;
}

/* Length, UTF-8 and JSON object: the checks that come before any field. Returns the
   parsed object (caller owns it) or NULL with *why set. */
static json_t *
s_load_line (const char *line, size_t len, reject_t *why)
{
    if (len > EVENT_LINE_MAX) {
        reject_set (why, "", "line is %zu bytes long (at most %d)", len, EVENT_LINE_MAX);
        return NULL;
    }
    json_error_t err;
    /* Duplicate keys are refused rather than "last one wins": two readers of the stored
       raw event could otherwise disagree about what it says. */
    json_t *root =
      json_loadb (line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!root) {
        s_load_error (line, len, &err, why);
        return NULL;
    }
    if (!json_is_object (root)) {
        s_type_error (why, "", "line is not a JSON object", root);
        json_decref (root);
        return NULL;
    }
    char field[REJECT_FIELD_MAX] = "";
    if (s_find_nul (root, field, sizeof field, 0)) {
        reject_set (why, field, "contains \\u0000 (a NUL character), which is not allowed");
        json_decref (root);
        return NULL;
    }
    return root;
}

static int
s_check_fields (event_t *ev, const json_t *root, int64_t now_us, reject_t *why)
{
    if (s_check_event_id (ev, root, why) < 0 || s_check_type (ev, root, why) < 0 ||
        s_check_reported_at (ev, root, now_us, why) < 0 ||
        s_check_occurred_on (ev, root, why) < 0 || s_check_association (ev, root, why) < 0 ||
        s_check_constituency (ev, root, why) < 0 || s_check_stakeholder (ev, root, why) < 0)
        return -1;
    /* A withdrawal only names the conversation: whatever attributes it carries are
       ignored, not validated, so a feed can withdraw with a copy of the old record. */
    if (ev->type == EVENT_WITHDRAWN)
        return 0;
    if (s_check_format (ev, root, why) < 0 || s_check_stance (ev, root, why) < 0 ||
        s_check_topics (ev, root, why) < 0 || s_check_follow_up (ev, root, why) < 0 ||
        s_optional_text (root, "notes", "notes", EVENT_NOTES_MAX, &ev->notes, why) < 0)
        return -1;
    return 0;
}

int
event_parse (event_t *ev, const char *line, size_t len, int64_t now_us, reject_t *why)
{
    memset (ev, 0, sizeof *ev);
    json_t *root = s_load_line (line, len, why);
    if (!root)
        return -1;
    int rc = s_check_fields (ev, root, now_us, why);
    json_decref (root);
    if (rc < 0)
        event_fini (ev);
    return rc;
}

void
event_fini (event_t *ev)
{
    free (ev->association_name);
    free (ev->stakeholder_name);
    free (ev->person_key);
    free (ev->party);
    free (ev->notes);
    for (size_t i = 0; i < ev->topic_count; i++)
        free (ev->topics[i]);
    memset (ev, 0, sizeof *ev);
}
