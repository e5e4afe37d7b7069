/* event: every rule of the conversation event v1 table (issue 2), accepted and rejected,
   with the field and the exact message asserted. Each case starts from one valid event and
   changes up to three members (a dotted path and its new JSON text, or DEL to remove it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "event.h"
#include "rfc3339.h"

/* The checker's clock in every case: 2026-03-01T12:00:00Z. */
#define NOW_US (INT64_C (1772366400) * 1000000)
#define DEL NULL

static const char *s_base =
  "{\"event_id\":\"0F8FAD5B-D9CB-469F-A165-70867728950E\",\"type\":\"conversation.reported\","
  "\"reported_at\":\"2026-03-01T10:00:00Z\",\"occurred_on\":\"2026-02-27\","
  "\"association\":{\"id\":\"ha-42\",\"name\":\"Northern Homes\"},"
  "\"constituency\":{\"code\":\"W07000112\",\"name\":\"Ynys Môn\"},"
  "\"stakeholder\":{\"role\":\"mp\",\"name\":\"Rt Hon Jane Smith MP\",\"party\":\"Labour\"},"
  "\"format\":\"site_visit\",\"stance\":1,\"topics\":[\"housing\",\"net_zero\",\"housing\"],"
  "\"follow_up\":true,\"notes\":\"Talked about damp.\"}";

/* ---- helpers ------------------------------------------------------------------------ */

/* Sets (value = JSON text) or removes (value = DEL) the member at a dotted path of root. */
static void
s_patch (json_t *root, const char *path, const char *value)
{
    char key[64];
    const char *dot = strchr (path, '.');
    json_t *parent = root;
    if (dot) {
        snprintf (key, sizeof key, "%.*s", (int)(dot - path), path);
        parent = json_object_get (root, key);
        assert_non_null (parent);
        path = dot + 1;
    }
    if (value == DEL) {
        json_object_del (parent, path);
        return;
    }
    json_error_t err;
    json_t *v = json_loads (value, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!v)
        fail_msg ("bad JSON in test case \"%s\": %s", value, err.text);
    json_object_set_new (parent, path, v);
}

/* The base event with patches applied (path, value pairs; NULL path ends). Caller frees. */
static char *
s_line (const char *const *patches)
{
    json_t *root = json_loads (s_base, 0, NULL);
    assert_non_null (root);
    for (size_t i = 0; patches[i]; i += 2)
        s_patch (root, patches[i], patches[i + 1]);
    char *line = json_dumps (root, JSON_COMPACT);
    json_decref (root);
    return line;
}

/* A JSON string of n copies of unit, as JSON text. Caller frees. */
static char *
s_repeat (const char *unit, size_t n)
{
    size_t u = strlen (unit);
    char *text = malloc (n * u + 3);
    text[0] = '"';
    for (size_t i = 0; i < n; i++)
        memcpy (text + 1 + i * u, unit, u);
    strcpy (text + 1 + n * u, "\"");
    return text;
}

/* What the parser made of a field, as text, so table rows can state what they expect. */
static void
s_probe (const event_t *ev, const char *what, char *out, size_t cap)
{
    if (strcmp (what, "event_id") == 0)
        snprintf (out, cap, "%s", ev->event_id);
    else if (strcmp (what, "type") == 0)
        snprintf (out, cap, "%s", event_type_name (ev->type));
    else if (strcmp (what, "reported_at") == 0) {
        char t[RFC3339_INSTANT_LEN + 1];
        rfc3339_format_instant (ev->reported_at_us, t);
        snprintf (out, cap, "%s", t);
    } else if (strcmp (what, "occurred_on") == 0) {
        char d[RFC3339_DATE_LEN + 1];
        rfc3339_format_date (ev->occurred_on, d);
        snprintf (out, cap, "%s", d);
    } else if (strcmp (what, "association.id") == 0)
        snprintf (out, cap, "%s", ev->association_id);
    else if (strcmp (what, "association.name") == 0)
        snprintf (out, cap, "%s", ev->association_name ? ev->association_name : "(none)");
    else if (strcmp (what, "constituency") == 0)
        snprintf (out, cap, "%s", ev->constituency->code);
    else if (strcmp (what, "stakeholder.role") == 0)
        snprintf (out, cap, "%s", event_role_name (ev->role));
    else if (strcmp (what, "stakeholder.name") == 0)
        snprintf (out, cap, "%s|%s", ev->stakeholder_name, ev->person_key);
    else if (strcmp (what, "stakeholder.party") == 0)
        snprintf (out, cap, "%s", ev->party ? ev->party : "(none)");
    else if (strcmp (what, "format") == 0)
        snprintf (out, cap, "%s", event_format_name (ev->format));
    else if (strcmp (what, "stance") == 0) {
        if (ev->stance_known)
            snprintf (out, cap, "%d", ev->stance);
        else
            snprintf (out, cap, "unknown");
    } else if (strcmp (what, "topics") == 0) {
        out[0] = '\0';
        for (size_t i = 0; i < ev->topic_count; i++)
            snprintf (out + strlen (out), cap - strlen (out), "%s%s", i ? "," : "", ev->topics[i]);
    } else if (strcmp (what, "follow_up") == 0)
        snprintf (out, cap, "%s", ev->follow_up ? "true" : "false");
    else if (strcmp (what, "notes") == 0)
        snprintf (out, cap, "%s", ev->notes ? ev->notes : "(none)");
    else
        fail_msg ("unknown probe \"%s\"", what);
}

static void
s_expect_reject (const char *line,
                 size_t len,
                 int64_t now_us,
                 const char *field,
                 const char *reason)
{
    event_t ev;
    reject_t why;
    memset (&why, 0x5A, sizeof why);
    if (event_parse (&ev, line, len, now_us, &why) == 0) {
        event_fini (&ev);
        fail_msg ("accepted, expected [%s] %s\n  line: %.300s", field, reason, line);
    }
    if (strcmp (why.field, field) != 0 || strcmp (why.reason, reason) != 0)
        fail_msg ("got      [%s] %s\nexpected [%s] %s\n  line: %.300s",
                  why.field,
                  why.reason,
                  field,
                  reason,
                  line);
    /* A rejected event owns nothing and is empty. */
    event_t zero;
    memset (&zero, 0, sizeof zero);
    assert_memory_equal (&ev, &zero, sizeof ev);
    event_fini (&ev);
}

static void
s_expect_accept (const char *line, size_t len, int64_t now_us, const char *probe, const char *want)
{
    event_t ev;
    reject_t why;
    if (event_parse (&ev, line, len, now_us, &why) != 0)
        fail_msg ("rejected [%s] %s\n  line: %.300s", why.field, why.reason, line);
    if (probe) {
        char got[1024];
        s_probe (&ev, probe, got, sizeof got);
        if (strcmp (got, want) != 0)
            fail_msg ("%s is \"%s\", expected \"%s\"\n  line: %.300s", probe, got, want, line);
    }
    event_fini (&ev);
}

/* ---- the v1 table, rejected -------------------------------------------------------- */

typedef struct {
    const char *patches[7];
    const char *field;
    const char *reason;
} reject_case_t;

#define ROLES "(mp, councillor, peer, mayor, official or opinion_former)"
#define FORMATS "(meeting, site_visit, call, event or correspondence)"
#define TYPES "(conversation.reported, conversation.amended or conversation.withdrawn)"
#define ASSOC "(1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit)"
#define TOPIC "(1 to 40 of a-z, 0-9 and _, starting with a letter or digit)"
#define EMPTY_KEY                                                                                  \
    "has an empty person key (nothing is left once titles such as mr, cllr or mp are removed)"

/* clang-format off: one rule per line reads better than wrapped text */
static const reject_case_t s_rejected[] = {
    /* event_id */
    { { "event_id", DEL }, "event_id", "required" },
    { { "event_id", "null" }, "event_id", "must be a string (got null)" },
    { { "event_id", "42" }, "event_id", "must be a string (got 42)" },
    { { "event_id", "\"0f8fad5b\"" },
      "event_id",
      "\"0f8fad5b\" is not a UUID (8-4-4-4-12 hexadecimal digits)" },
    { { "event_id", "\"0f8fad5bd9cb469fa16570867728950e\"" },
      "event_id",
      "\"0f8fad5bd9cb469fa16570867728950e\" is not a UUID (8-4-4-4-12 hexadecimal digits)" },
    { { "event_id", "\"{0f8fad5b-d9cb-469f-a165-70867728950e}\"" },
      "event_id",
      "\"{0f8fad5b-d9cb-469f-a165-70867728950e}\" is not a UUID (8-4-4-4-12 hexadecimal digits)" },
    { { "event_id", "\"0f8fad5b-d9cb-469f-a165-70867728950g\"" },
      "event_id",
      "\"0f8fad5b-d9cb-469f-a165-70867728950g\" is not a UUID (8-4-4-4-12 hexadecimal digits)" },
    /* type */
    { { "type", DEL }, "type", "required" },
    { { "type", "[\"conversation.reported\"]" }, "type", "must be a string (got an array)" },
    { { "type", "\"conversation.deleted\"" },
      "type",
      "\"conversation.deleted\" is not an event type " TYPES },
    { { "type", "\"Conversation.Reported\"" },
      "type",
      "\"Conversation.Reported\" is not an event type " TYPES },
    { { "type", "\"reported\"" }, "type", "\"reported\" is not an event type " TYPES },
    /* reported_at */
    { { "reported_at", DEL }, "reported_at", "required" },
    { { "reported_at", "1772359200" }, "reported_at", "must be a string (got 1772359200)" },
    { { "reported_at", "\"2026-03-01 10:00:00Z\"" },
      "reported_at",
      "\"2026-03-01 10:00:00Z\" is not an RFC 3339 date-time with a time zone (e.g. "
      "2026-03-01T10:00:00Z)" },
    { { "reported_at", "\"2026-03-01T10:00:00\"" },
      "reported_at",
      "\"2026-03-01T10:00:00\" is not an RFC 3339 date-time with a time zone (e.g. "
      "2026-03-01T10:00:00Z)" },
    { { "reported_at", "\"2026-03-01\"" },
      "reported_at",
      "\"2026-03-01\" is not an RFC 3339 date-time with a time zone (e.g. 2026-03-01T10:00:00Z)" },
    { { "reported_at", "\"2026-03-01T10:00:00+0530\"" },
      "reported_at",
      "\"2026-03-01T10:00:00+0530\" is not an RFC 3339 date-time with a time zone (e.g. "
      "2026-03-01T10:00:00Z)" },
    { { "reported_at", "\"2026-02-29T10:00:00Z\"" },
      "reported_at",
      "2026-02-29 is not a calendar date" },
    { { "reported_at", "\"2026-13-01T10:00:00Z\"" },
      "reported_at",
      "2026-13-01 is not a calendar date" },
    { { "reported_at", "\"2026-03-01T24:00:00Z\"" },
      "reported_at",
      "24:00:00 is not a time of day" },
    { { "reported_at", "\"2026-03-01T10:00:61Z\"" },
      "reported_at",
      "10:00:61 is not a time of day" },
    { { "reported_at", "\"2026-03-01T10:00:00+24:00\"" },
      "reported_at",
      "+24:00 is not a UTC offset (at most ±23:59)" },
    /* now + 1 day + 1 µs, written with and without an offset */
    { { "reported_at", "\"2026-03-02T12:00:00.000001Z\"" },
      "reported_at",
      "2026-03-02T12:00:00.000001Z is more than one day ahead of this checker's clock "
      "(2026-03-01T12:00:00.000000Z)" },
    { { "reported_at", "\"2026-03-02T07:00:00.000001-05:00\"" },
      "reported_at",
      "2026-03-02T07:00:00.000001-05:00 is more than one day ahead of this checker's clock "
      "(2026-03-01T12:00:00.000000Z)" },
    /* occurred_on */
    { { "occurred_on", DEL }, "occurred_on", "required" },
    { { "occurred_on", "20260227" }, "occurred_on", "must be a string (got 20260227)" },
    { { "occurred_on", "\"27/02/2026\"" },
      "occurred_on",
      "\"27/02/2026\" is not a date in the form YYYY-MM-DD" },
    { { "occurred_on", "\"2026-2-27\"" },
      "occurred_on",
      "\"2026-2-27\" is not a date in the form YYYY-MM-DD" },
    { { "occurred_on", "\"2026-02-27T00:00:00Z\"" },
      "occurred_on",
      "\"2026-02-27T00:00:00Z\" is not a date in the form YYYY-MM-DD" },
    { { "occurred_on", "\"2026-13-01\"" }, "occurred_on", "2026-13-01 is not a calendar date" },
    { { "occurred_on", "\"2026-02-29\"" }, "occurred_on", "2026-02-29 is not a calendar date" },
    { { "occurred_on", "\"1900-02-29\"" }, "occurred_on", "1900-02-29 is not a calendar date" },
    { { "occurred_on", "\"1999-12-31\"" }, "occurred_on", "1999-12-31 is before 2000-01-01" },
    /* date (UTC) of reported_at + 2 */
    { { "occurred_on", "\"2026-03-03\"" },
      "occurred_on",
      "2026-03-03 is more than one day after reported_at (2026-03-01 UTC)" },
    /* +05:00 moves reported_at back to 2026-02-28 in UTC, so 2026-03-02 is two days after */
    { { "reported_at", "\"2026-03-01T01:00:00+05:00\"", "occurred_on", "\"2026-03-02\"" },
      "occurred_on",
      "2026-03-02 is more than one day after reported_at (2026-02-28 UTC)" },
    { { "reported_at", "\"2026-03-01T05:29:59.999999+05:30\"", "occurred_on", "\"2026-03-02\"" },
      "occurred_on",
      "2026-03-02 is more than one day after reported_at (2026-02-28 UTC)" },
    /* association */
    { { "association", DEL }, "association.id", "required" },
    { { "association", "null" }, "association.id", "required" },
    { { "association", "{}" }, "association.id", "required" },
    { { "association", "\"ha-42\"" }, "association", "must be an object (got \"ha-42\")" },
    { { "association.id", "7" }, "association.id", "must be a string (got 7)" },
    { { "association.id", "null" }, "association.id", "must be a string (got null)" },
    { { "association.id", "\"\"" }, "association.id", "\"\" is not an association id " ASSOC },
    { { "association.id", "\"-ha\"" },
      "association.id",
      "\"-ha\" is not an association id " ASSOC },
    { { "association.id", "\"_ha\"" },
      "association.id",
      "\"_ha\" is not an association id " ASSOC },
    { { "association.id", "\"ha 42\"" },
      "association.id",
      "\"ha 42\" is not an association id " ASSOC },
    { { "association.id", "\"ha/42\"" },
      "association.id",
      "\"ha/42\" is not an association id " ASSOC },
    { { "association.id", "\"hà\"" }, "association.id", "\"hà\" is not an association id " ASSOC },
    { { "association.id", "\"a23456789012345678901234567890123\"" },
      "association.id",
      "\"a23456789012345678901234567890123\" is not an association id " ASSOC },
    { { "association.name", "5" }, "association.name", "must be a string (got 5)" },
    { { "association.name", "{\"en\":\"x\"}" },
      "association.name",
      "must be a string (got an object)" },
    /* constituency */
    { { "constituency", DEL }, "constituency", "required" },
    { { "constituency", "\"W07000112\"" },
      "constituency",
      "must be an object with a code and/or a name (got \"W07000112\")" },
    { { "constituency", "null" }, "constituency", "required" },
    { { "constituency", "[\"W07000112\"]" },
      "constituency",
      "must be an object with a code and/or a name (got an array)" },
    { { "constituency", "{}" }, "constituency", "needs a code or a name" },
    { { "constituency", "{\"code\":null,\"name\":null,\"ward\":\"x\"}" },
      "constituency",
      "needs a code or a name" },
    { { "constituency.code", "112" }, "constituency.code", "must be a string (got 112)" },
    { { "constituency.code", "\"E99999999\"" },
      "constituency.code",
      "\"E99999999\" is not a 2024 Westminster constituency code" },
    { { "constituency.code", "\"E14001063 \"" },
      "constituency.code",
      "\"E14001063 \" is not a 2024 Westminster constituency code" },
    { { "constituency.code", "\"\"" },
      "constituency.code",
      "\"\" is not a 2024 Westminster constituency code" },
    { { "constituency.code", "\"E14000530\"" },
      "constituency.code", /* a 2010-2024 code */
      "\"E14000530\" is not a 2024 Westminster constituency code" },
    { { "constituency.name", "[]" }, "constituency.name", "must be a string (got an array)" },
    { { "constituency.name", "\"Atlantis\"" },
      "constituency.name",
      "\"Atlantis\" is not the name of a 2024 Westminster constituency" },
    { { "constituency.name", "\"Anglesey\"" },
      "constituency.name",
      "\"Anglesey\" is not the name of a 2024 Westminster constituency" },
    { { "constituency.code", DEL, "constituency.name", "\"Brighton\"" },
      "constituency.name",
      "\"Brighton\" is not the name of a 2024 Westminster constituency" },
    { { "constituency.code", "\"E14001063\"" },
      "constituency",
      "code \"E14001063\" is Aldershot but name \"Ynys Môn\" is Ynys Môn (W07000112)" },
    { { "constituency", "{\"code\":\"e14001129\",\"name\":\"Brighton Pavilion\"}" },
      "constituency",
      "code \"e14001129\" is Brighton Kemptown and Peacehaven but name \"Brighton Pavilion\" is "
      "Brighton Pavilion (E14001130)" },
    /* stakeholder */
    { { "stakeholder", DEL }, "stakeholder.role", "required" },
    { { "stakeholder", "null" }, "stakeholder.role", "required" },
    { { "stakeholder", "{\"name\":\"Jane Smith\"}" }, "stakeholder.role", "required" },
    { { "stakeholder", "[]" }, "stakeholder", "must be an object (got an array)" },
    { { "stakeholder.role", DEL }, "stakeholder.role", "required" },
    { { "stakeholder.role", "1" }, "stakeholder.role", "must be a string (got 1)" },
    { { "stakeholder.role", "\"MP\"" },
      "stakeholder.role",
      "\"MP\" is not a stakeholder role " ROLES },
    { { "stakeholder.role", "\"minister\"" },
      "stakeholder.role",
      "\"minister\" is not a stakeholder role " ROLES },
    { { "stakeholder.role", "\"opinion former\"" },
      "stakeholder.role",
      "\"opinion former\" is not a stakeholder role " ROLES },
    { { "stakeholder.name", DEL }, "stakeholder.name", "required" },
    { { "stakeholder.name", "null" }, "stakeholder.name", "must be a string (got null)" },
    { { "stakeholder.name", "[\"Jane\",\"Smith\"]" },
      "stakeholder.name",
      "must be a string (got an array)" },
    { { "stakeholder.name", "\"\"" }, "stakeholder.name", "\"\" " EMPTY_KEY },
    { { "stakeholder.name", "\"Rt Hon MP\"" }, "stakeholder.name", "\"Rt Hon MP\" " EMPTY_KEY },
    { { "stakeholder.name", "\"Cllr.\"" }, "stakeholder.name", "\"Cllr.\" " EMPTY_KEY },
    { { "stakeholder.name", "\" -- \"" }, "stakeholder.name", "\" -- \" " EMPTY_KEY },
    { { "stakeholder.party", "1" }, "stakeholder.party", "must be a string (got 1)" },
    { { "stakeholder.party", "false" }, "stakeholder.party", "must be a string (got false)" },
    /* format */
    { { "format", "3" }, "format", "must be a string (got 3)" },
    { { "format", "\"visit\"" }, "format", "\"visit\" is not a format " FORMATS },
    { { "format", "\"Meeting\"" }, "format", "\"Meeting\" is not a format " FORMATS },
    { { "format", "\"site-visit\"" }, "format", "\"site-visit\" is not a format " FORMATS },
    /* stance */
    { { "stance", "1.5" }, "stance", "must be an integer from -2 to 2 (got 1.5)" },
    { { "stance", "2.0" }, "stance", "must be an integer from -2 to 2 (got 2.0)" },
    { { "stance", "1e0" }, "stance", "must be an integer from -2 to 2 (got 1.0)" },
    { { "stance", "\"1\"" }, "stance", "must be an integer from -2 to 2 (got \"1\")" },
    { { "stance", "true" }, "stance", "must be an integer from -2 to 2 (got true)" },
    { { "stance", "3" }, "stance", "must be an integer from -2 to 2 (got 3)" },
    { { "stance", "-3" }, "stance", "must be an integer from -2 to 2 (got -3)" },
    { { "stance", "[1]" }, "stance", "must be an integer from -2 to 2 (got an array)" },
    /* topics */
    { { "topics", "\"housing\"" },
      "topics",
      "must be an array of topic strings (got \"housing\")" },
    { { "topics", "{}" }, "topics", "must be an array of topic strings (got an object)" },
    { { "topics", "[5]" }, "topics", "topic 1 must be a string (got 5)" },
    { { "topics", "[\"housing\",null]" }, "topics", "topic 2 must be a string (got null)" },
    { { "topics", "[\"housing\",\"Damp\"]" },
      "topics",
      "topic 2 (\"Damp\") is not a topic name " TOPIC },
    { { "topics", "[\"\"]" }, "topics", "topic 1 (\"\") is not a topic name " TOPIC },
    { { "topics", "[\"_damp\"]" }, "topics", "topic 1 (\"_damp\") is not a topic name " TOPIC },
    { { "topics", "[\"net-zero\"]" },
      "topics",
      "topic 1 (\"net-zero\") is not a topic name " TOPIC },
    { { "topics", "[\"net zero\"]" },
      "topics",
      "topic 1 (\"net zero\") is not a topic name " TOPIC },
    { { "topics", "[\"logement_\\u00e9\"]" },
      "topics",
      "topic 1 (\"logement_é\") is not a topic name " TOPIC },
    { { "topics", "[\"a2345678901234567890123456789012345678901\"]" },
      "topics",
      "topic 1 (\"a2345678901234567890123456789012345678901\") is not a topic name " TOPIC },
    /* follow_up */
    { { "follow_up", "\"yes\"" }, "follow_up", "must be true or false (got \"yes\")" },
    { { "follow_up", "\"true\"" }, "follow_up", "must be true or false (got \"true\")" },
    { { "follow_up", "1" }, "follow_up", "must be true or false (got 1)" },
    /* notes */
    { { "notes", "5" }, "notes", "must be a string (got 5)" },
    { { "notes", "[\"a\"]" }, "notes", "must be a string (got an array)" },
    /* a withdrawal still names its conversation: identity fields are checked */
    { { "type", "\"conversation.withdrawn\"", "stakeholder.name", "\"Mr\"" },
      "stakeholder.name",
      "\"Mr\" " EMPTY_KEY },
    { { "type", "\"conversation.withdrawn\"", "occurred_on", DEL }, "occurred_on", "required" },
    { { "type", "\"conversation.withdrawn\"", "constituency.code", "\"X\"" },
      "constituency.code",
      "\"X\" is not a 2024 Westminster constituency code" },
    { { "type", "\"conversation.withdrawn\"", "stakeholder.party", "7" },
      "stakeholder.party",
      "must be a string (got 7)" },
    /* the first problem in table order is the one reported */
    { { "event_id", "1", "notes", "2", "stance", "9" }, "event_id", "must be a string (got 1)" },
    { { "stakeholder.role", "\"x\"", "constituency.code", "\"x\"" },
      "constituency.code",
      "\"x\" is not a 2024 Westminster constituency code" },
    { { "notes", "1", "topics", "1" }, "topics", "must be an array of topic strings (got 1)" },
    /* long and strange values are quoted escaped and cut short */
    { { "event_id", "\"a\\\"b\\\\c\\nd\\u0001\"" },
      "event_id",
      "\"a\\\"b\\\\c\\u000ad\\u0001\" is not a UUID (8-4-4-4-12 hexadecimal digits)" },
    { { "format", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"" },
      "format",
      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"… is not a format " FORMATS },
    { { "format", "\"ééééééééééééééééééééééééé\"" },
      "format",
      "\"éééééééééééééééééééééééé\"… is not a format " FORMATS },
};
/* clang-format on */

static void
test_every_rule_rejects_with_its_field_and_message (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_rejected / sizeof s_rejected[0]; i++) {
        char *line = s_line (s_rejected[i].patches);
        s_expect_reject (line, strlen (line), NOW_US, s_rejected[i].field, s_rejected[i].reason);
        free (line);
    }
}

/* ---- the v1 table, accepted -------------------------------------------------------- */

typedef struct {
    const char *patches[7];
    const char *probe;
    const char *want;
} accept_case_t;

/* clang-format off: one rule per line reads better than wrapped text */
static const accept_case_t s_accepted[] = {
    /* the base event itself, normalised */
    { { NULL }, "event_id", "0f8fad5b-d9cb-469f-a165-70867728950e" },
    { { NULL }, "type", "conversation.reported" },
    { { NULL }, "reported_at", "2026-03-01T10:00:00.000000Z" },
    { { NULL }, "occurred_on", "2026-02-27" },
    { { NULL }, "association.id", "HA-42" },
    { { NULL }, "association.name", "Northern Homes" },
    { { NULL }, "constituency", "W07000112" },
    { { NULL }, "stakeholder.role", "mp" },
    { { NULL }, "stakeholder.name", "Rt Hon Jane Smith MP|jane smith" },
    { { NULL }, "stakeholder.party", "Labour" },
    { { NULL }, "format", "site_visit" },
    { { NULL }, "stance", "1" },
    { { NULL }, "topics", "housing,net_zero" },
    { { NULL }, "follow_up", "true" },
    { { NULL }, "notes", "Talked about damp." },
    /* event_id */
    { { "event_id", "\"00000000-0000-0000-0000-000000000000\"" },
      "event_id",
      "00000000-0000-0000-0000-000000000000" },
    { { "event_id", "\"ABCDEF01-2345-6789-ABCD-EF0123456789\"" },
      "event_id",
      "abcdef01-2345-6789-abcd-ef0123456789" },
    /* type */
    { { "type", "\"conversation.amended\"" }, "type", "conversation.amended" },
    { { "type", "\"conversation.withdrawn\"" }, "type", "conversation.withdrawn" },
    /* reported_at */
    { { "reported_at", "\"2026-03-01T10:00:00+05:30\"" },
      "reported_at",
      "2026-03-01T04:30:00.000000Z" },
    { { "reported_at", "\"2026-03-01t10:00:00.1234567z\"" },
      "reported_at",
      "2026-03-01T10:00:00.123456Z" },
    { { "reported_at", "\"2026-02-28T23:59:60-01:00\"" },
      "reported_at",
      "2026-03-01T00:59:59.000000Z" },
    /* exactly now + 1 day, with and without an offset */
    { { "reported_at", "\"2026-03-02T12:00:00Z\"" }, "reported_at", "2026-03-02T12:00:00.000000Z" },
    { { "reported_at", "\"2026-03-02T17:30:00.000000+05:30\"" },
      "reported_at",
      "2026-03-02T12:00:00.000000Z" },
    { { "reported_at", "\"2001-01-01T00:00:00Z\"", "occurred_on", "\"2000-01-01\"" },
      "reported_at",
      "2001-01-01T00:00:00.000000Z" },
    /* occurred_on */
    { { "occurred_on", "\"2000-01-01\"" }, "occurred_on", "2000-01-01" },
    { { "occurred_on", "\"2024-02-29\"" }, "occurred_on", "2024-02-29" },
    { { "occurred_on", "\"2026-03-01\"" }, "occurred_on", "2026-03-01" },
    { { "occurred_on", "\"2026-03-02\"" },
      "occurred_on",
      "2026-03-02" }, /* date(reported_at) + 1 */
    /* -05:00 moves reported_at forward to 2026-03-01 in UTC, so 2026-03-02 is one day after */
    { { "reported_at", "\"2026-02-28T23:00:00-05:00\"", "occurred_on", "\"2026-03-02\"" },
      "occurred_on",
      "2026-03-02" },
    { { "reported_at", "\"2026-03-01T05:30:00+05:30\"", "occurred_on", "\"2026-03-02\"" },
      "occurred_on",
      "2026-03-02" },
    { { "reported_at", "\"1999-12-31T00:00:00Z\"", "occurred_on", "\"2000-01-01\"" },
      "occurred_on",
      "2000-01-01" },
    /* association */
    { { "association.id", "\"a\"" }, "association.id", "A" },
    { { "association.id", "\"7\"" }, "association.id", "7" },
    { { "association.id", "\"1.b_c-D\"" }, "association.id", "1.B_C-D" },
    { { "association.id", "\"a2345678901234567890123456789012\"" },
      "association.id",
      "A2345678901234567890123456789012" },
    { { "association.name", DEL }, "association.name", "(none)" },
    { { "association.name", "null" }, "association.name", "(none)" },
    { { "association.name", "\"Cymdeithas Tai Eryri\"" },
      "association.name",
      "Cymdeithas Tai Eryri" },
    /* constituency: code any case, name folded, both agreeing */
    { { "constituency", "{\"code\":\"w07000112\"}" }, "constituency", "W07000112" },
    { { "constituency", "{\"code\":\"e14001063\"}" }, "constituency", "E14001063" },
    { { "constituency", "{\"name\":\"ynys mon\"}" }, "constituency", "W07000112" },
    { { "constituency", "{\"name\":\"YNYS-MÔN\"}" }, "constituency", "W07000112" },
    { { "constituency", "{\"name\":\"Brighton, Kemptown & Peacehaven\"}" },
      "constituency",
      "E14001129" },
    { { "constituency", "{\"code\":\"E14001129\",\"name\":\"brighton kemptown and peacehaven\"}" },
      "constituency",
      "E14001129" },
    { { "constituency", "{\"code\":\"s14000067\",\"name\":\"Argyll, Bute & South Lochaber\"}" },
      "constituency",
      "S14000067" },
    { { "constituency", "{\"code\":\"W07000112\",\"name\":null}" }, "constituency", "W07000112" },
    { { "constituency", "{\"code\":null,\"name\":\"Aldershot\"}" }, "constituency", "E14001063" },
    /* stakeholder */
    { { "stakeholder.role", "\"councillor\"" }, "stakeholder.role", "councillor" },
    { { "stakeholder.role", "\"peer\"" }, "stakeholder.role", "peer" },
    { { "stakeholder.role", "\"mayor\"" }, "stakeholder.role", "mayor" },
    { { "stakeholder.role", "\"official\"" }, "stakeholder.role", "official" },
    { { "stakeholder.role", "\"opinion_former\"" }, "stakeholder.role", "opinion_former" },
    { { "stakeholder.name", "\"Cllr. jane  SMITH\"" },
      "stakeholder.name",
      "Cllr. jane  SMITH|jane smith" },
    { { "stakeholder.name", "\"Jane Smith\"" }, "stakeholder.name", "Jane Smith|jane smith" },
    { { "stakeholder.name", "\"Siân O’Brien MS\"" },
      "stakeholder.name",
      "Siân O’Brien MS|sian o brien" },
    { { "stakeholder.name", "\"Κώστας\"" }, "stakeholder.name", "Κώστας|Κώστας" },
    { { "stakeholder.party", DEL }, "stakeholder.party", "(none)" },
    { { "stakeholder.party", "null" }, "stakeholder.party", "(none)" },
    { { "stakeholder.party", "\"Plaid Cymru\"" }, "stakeholder.party", "Plaid Cymru" },
    /* format */
    { { "format", DEL }, "format", "meeting" },
    { { "format", "null" }, "format", "meeting" },
    { { "format", "\"meeting\"" }, "format", "meeting" },
    { { "format", "\"call\"" }, "format", "call" },
    { { "format", "\"event\"" }, "format", "event" },
    { { "format", "\"correspondence\"" }, "format", "correspondence" },
    /* stance */
    { { "stance", DEL }, "stance", "unknown" },
    { { "stance", "null" }, "stance", "unknown" },
    { { "stance", "-2" }, "stance", "-2" },
    { { "stance", "-1" }, "stance", "-1" },
    { { "stance", "0" }, "stance", "0" },
    { { "stance", "-0" }, "stance", "0" },
    { { "stance", "2" }, "stance", "2" },
    /* topics */
    { { "topics", DEL }, "topics", "" },
    { { "topics", "null" }, "topics", "" },
    { { "topics", "[]" }, "topics", "" },
    { { "topics", "[\"b\",\"a\",\"b\",\"a\",\"c\"]" }, "topics", "b,a,c" },
    { { "topics", "[\"0\",\"9_\",\"a_b_c\"]" }, "topics", "0,9_,a_b_c" },
    { { "topics", "[\"a23456789012345678901234567890123456789_\"]" },
      "topics",
      "a23456789012345678901234567890123456789_" },
    /* follow_up */
    { { "follow_up", DEL }, "follow_up", "false" },
    { { "follow_up", "null" }, "follow_up", "false" },
    { { "follow_up", "false" }, "follow_up", "false" },
    /* notes */
    { { "notes", DEL }, "notes", "(none)" },
    { { "notes", "null" }, "notes", "(none)" },
    { { "notes", "\"\"" }, "notes", "" },
    { { "notes", "\"Line one\\nline two\\t«quoted»\"" }, "notes", "Line one\nline two\t«quoted»" },
    /* unknown members are ignored, at the top and inside objects */
    { { "source_system",
        "{\"name\":\"crm\",\"ids\":[1,2,3]}",
        "stakeholder.email",
        "\"jane@example.org\"",
        "constituency.ward",
        "7" },
      "constituency",
      "W07000112" },
};
/* clang-format on */

static void
test_every_rule_accepts_and_normalises (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_accepted / sizeof s_accepted[0]; i++) {
        char *line = s_line (s_accepted[i].patches);
        s_expect_accept (line, strlen (line), NOW_US, s_accepted[i].probe, s_accepted[i].want);
        free (line);
    }
}

/* ---- withdrawals ------------------------------------------------------------------- */

static void
test_withdrawal_ignores_garbage_attributes (void **state)
{
    (void)state;
    const char *patches[] = {
        "type", "\"conversation.withdrawn\"", "stance", "\"very\"", "topics", "5", NULL
    };
    char *line = s_line (patches);
    json_t *root = json_loads (line, 0, NULL);
    json_object_set_new (root, "format", json_string ("telepathy"));
    json_object_set_new (root, "follow_up", json_string ("maybe"));
    json_object_set_new (root, "notes", json_integer (12));
    free (line);
    line = json_dumps (root, JSON_COMPACT);
    json_decref (root);

    event_t ev;
    reject_t why;
    if (event_parse (&ev, line, strlen (line), NOW_US, &why) != 0)
        fail_msg ("rejected [%s] %s", why.field, why.reason);
    assert_int_equal (ev.type, EVENT_WITHDRAWN);
    assert_string_equal (ev.person_key, "jane smith");
    assert_string_equal (ev.constituency->code, "W07000112");
    /* the attributes hold their defaults */
    assert_int_equal (ev.format, FORMAT_MEETING);
    assert_false (ev.stance_known);
    assert_int_equal (ev.topic_count, 0);
    assert_false (ev.follow_up);
    assert_null (ev.notes);
    event_fini (&ev);
    free (line);
}

static void
test_withdrawal_with_valid_attributes_also_leaves_them_out (void **state)
{
    (void)state;
    const char *patches[] = { "type", "\"conversation.withdrawn\"", NULL };
    char *line = s_line (patches);
    event_t ev;
    reject_t why;
    assert_int_equal (event_parse (&ev, line, strlen (line), NOW_US, &why), 0);
    assert_false (ev.stance_known);
    assert_int_equal (ev.topic_count, 0);
    assert_null (ev.notes);
    assert_string_equal (ev.party, "Labour"); /* not an attribute: kept */
    event_fini (&ev);
    free (line);
}

/* ---- the whole line ---------------------------------------------------------------- */

typedef struct {
    const char *line;
    size_t len; /* 0: strlen */
    const char *reason;
} line_case_t;

static void
test_whole_line_problems (void **state)
{
    (void)state;
    /* clang-format off */
    static const line_case_t cases[] = {
        {"", 0, "line is empty"},
        {" \t\r", 0, "line is empty"},
        {"[]", 0, "line is not a JSON object (got an array)"},
        {"\"event\"", 0, "line is not a JSON object (got \"event\")"},
        {"42", 0, "line is not a JSON object (got 42)"},
        {"null", 0, "line is not a JSON object (got null)"},
        {"{", 0, "line is not valid JSON: string or '}' expected near end of file (at offset 1)"},
        {"{\"a\":1,}", 0, "line is not valid JSON: string or '}' expected near '}' (at offset 8)"},
        {"{\"a\":1} x", 0, "line is not valid JSON: end of file expected near 'x' (at offset 9)"},
        {"{\"a\":1}{\"b\":2}", 0, "line is not valid JSON: end of file expected near '{' (at offset 8)"},
        {"{'a':1}", 0, "line is not valid JSON: string or '}' expected near ''' (at offset 2)"},
        {"{\"a\":NaN}", 0, "line is not valid JSON: invalid token near 'NaN' (at offset 8)"},
        {"{\"a\\u0000\":1}", 0, "line is not valid JSON: \\u0000 is not allowed in a key (at offset 10)"},
        {"{\"a\":\"\\ud800\"}", 0, "line is not valid JSON: invalid Unicode '\\uD800' near '\"\\ud800\"' (at offset 13)"},
        {"{\"type\":1,\"type\":2}", 0, "line has the key \"type\" twice"},
        {"{\"stakeholder\":{\"name\":\"a\",\"name\":\"b\"}}", 0, "line has the key \"name\" twice"},
        {"{\"a\":\"\xff\"}", 0, "line is not valid UTF-8 (byte 0xFF at offset 6)"},
        {"{\"a\":\"\xc0\xaf\"}", 0, "line is not valid UTF-8 (byte 0xC0 at offset 6)"},       /* overlong '/' */
        {"{\"a\":\"\xed\xa0\x80\"}", 0, "line is not valid UTF-8 (byte 0xED at offset 6)"},   /* surrogate */
        {"{\"a\":\"\xf4\x90\x80\x80\"}", 0, "line is not valid UTF-8 (byte 0xF4 at offset 6)"}, /* > U+10FFFF */
        {"{\"a\":\"M\xc3\"}", 0, "line is not valid UTF-8 (byte 0xC3 at offset 7)"},
        {"{\"a\":\"\xe0\x80\xaf\"}", 0, "line is not valid UTF-8 (byte 0xE0 at offset 6)"},      /* overlong, 3 bytes */
        {"{\"a\":\"\xf0\x80\x80\xaf\"}", 0, "line is not valid UTF-8 (byte 0xF0 at offset 6)"},  /* overlong, 4 bytes */
        {"{\"\xed\xbf\xbf\":1}", 0, "line is not valid UTF-8 (byte 0xED at offset 2)"},          /* in a key */
        {"{\"a\":1}\xff", 0, "line is not valid UTF-8 (byte 0xFF at offset 7)"},                 /* outside strings */
        {"{\"a\":1}\0", 8, "line has a NUL byte (at offset 7)"},
        {"{\"a\":\"x\0y\"}", 11, "line has a NUL byte (at offset 7)"},
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen (cases[i].line);
        s_expect_reject (cases[i].line, len, NOW_US, "", cases[i].reason);
    }
}

/* A NUL character (\u0000) is refused wherever it is, with the field that holds it: in a
   checked field, in a member no rule reads, inside a withdrawal's ignored attributes. */
typedef struct {
    const char *patches[5];
    const char *field;
} nul_case_t;

static void
test_a_nul_character_in_any_string_is_rejected_naming_its_field (void **state)
{
    (void)state;
    static const nul_case_t cases[] = {
        { { "event_id", "\"0f8fad5b-d9cb-469f-a165-70867728950e\\u0000\"" }, "event_id" },
        { { "type", "\"conversation.reported\\u0000\"" }, "type" },
        { { "reported_at", "\"2026-03-01T10:00:00Z\\u0000\"" }, "reported_at" },
        { { "association.id", "\"ha-42\\u0000\"" }, "association.id" },
        { { "association.name", "\"North\\u0000ern\"" }, "association.name" },
        { { "constituency.name", "\"\\u0000Ynys M\\u00f4n\"" }, "constituency.name" },
        { { "stakeholder.name", "\"Jane\\u0000Smith\"" }, "stakeholder.name" },
        { { "stakeholder.party", "\"\\u0000\"" }, "stakeholder.party" },
        { { "format", "\"call\\u0000\"" }, "format" },
        { { "topics", "[\"housing\",\"net\\u0000zero\"]" }, "topics[2]" },
        { { "notes", "\"Talked\\u0000about damp.\"" }, "notes" },
        { { "extra", "{\"deep\":[1,{\"x\":\"\\u0000\"}]}" }, "extra.deep[2].x" },
        { { "type", "\"conversation.withdrawn\"", "notes", "\"gone\\u0000\"" }, "notes" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *line = s_line (cases[i].patches);
        assert_non_null (strstr (line, "\\u0000"));
        s_expect_reject (line,
                         strlen (line),
                         NOW_US,
                         cases[i].field,
                         "contains \\u0000 (a NUL character), which is not allowed");
        free (line);
    }
}

/* The base event padded with an unknown member to exactly len bytes. Caller frees. */
static char *
s_line_of_length (size_t len)
{
    const char *end = ",\"pad\":\"\"}";
    size_t base = strlen (s_base) - 1 + strlen (end);
    assert_true (len >= base);
    char *line = malloc (len + 1);
    memcpy (line, s_base, strlen (s_base) - 1);
    size_t o = strlen (s_base) - 1;
    memcpy (line + o, ",\"pad\":\"", 8);
    o += 8;
    memset (line + o, 'x', len - base);
    o += len - base;
    memcpy (line + o, "\"}", 3);
    assert_int_equal (strlen (line), len);
    return line;
}

static void
test_line_of_16384_bytes_is_read_and_16385_is_not (void **state)
{
    (void)state;
    char *line = s_line_of_length (EVENT_LINE_MAX);
    s_expect_accept (line, EVENT_LINE_MAX, NOW_US, "constituency", "W07000112");
    free (line);
    line = s_line_of_length (EVENT_LINE_MAX + 1);
    s_expect_reject (
      line, EVENT_LINE_MAX + 1, NOW_US, "", "line is 16385 bytes long (at most 16384)");
    free (line);
    /* The length is the len argument, not a NUL: a longer buffer is not read past len. */
    line = s_line_of_length (EVENT_LINE_MAX + 100);
    char *cut = s_line_of_length (EVENT_LINE_MAX);
    memcpy (line, cut, EVENT_LINE_MAX);
    s_expect_accept (line, EVENT_LINE_MAX, NOW_US, NULL, NULL);
    free (cut);
    free (line);
}

/* ---- byte limits ------------------------------------------------------------------- */

typedef struct {
    const char *path;
    const char *unit;   /* repeated to build the value */
    size_t ok_units;    /* the largest accepted count */
    size_t extra_units; /* units added to go over */
    const char *reason;
} limit_case_t;

static void
test_byte_limits_at_and_past_the_boundary (void **state)
{
    (void)state;
    static const limit_case_t cases[] = {
        /* counted in bytes, not characters: 100 × "é" is 200 bytes */
        { "stakeholder.name", "é", 100, 1, "is 202 bytes long (at most 200)" },
        { "stakeholder.name", "a", 200, 1, "is 201 bytes long (at most 200)" },
        { "stakeholder.party", "a", 100, 1, "is 101 bytes long (at most 100)" },
        { "stakeholder.party", "ŵ", 50, 1, "is 102 bytes long (at most 100)" },
        { "association.name", "a", 200, 1, "is 201 bytes long (at most 200)" },
        { "notes", "a", 4000, 1, "is 4001 bytes long (at most 4000)" },
        { "notes", "€", 1333, 1, "is 4002 bytes long (at most 4000)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const limit_case_t *c = &cases[i];
        char *ok = s_repeat (c->unit, c->ok_units);
        char *over = s_repeat (c->unit, c->ok_units + c->extra_units);
        const char *p_ok[] = { c->path, ok, NULL };
        const char *p_over[] = { c->path, over, NULL };
        char *line = s_line (p_ok);
        s_expect_accept (line, strlen (line), NOW_US, NULL, NULL);
        free (line);
        line = s_line (p_over);
        s_expect_reject (line, strlen (line), NOW_US, c->path, c->reason);
        free (line);
        free (ok);
        free (over);
    }
}

static void
test_twenty_topics_are_allowed_and_twenty_one_are_not (void **state)
{
    (void)state;
    char list[512] = "[";
    for (int i = 0; i < 21; i++) {
        if (i == 20) {
            const char *p20[] = { "topics", NULL, NULL };
            char twenty[512];
            snprintf (twenty, sizeof twenty, "%s]", list);
            p20[1] = twenty;
            char *line = s_line (p20);
            s_expect_accept (
              line,
              strlen (line),
              NOW_US,
              "topics",
              "t0,t1,t2,t3,t4,t5,t6,t7,t8,t9,t10,t11,t12,t13,t14,t15,t16,t17,t18,t19");
            free (line);
        }
        snprintf (list + strlen (list), sizeof list - strlen (list), "%s\"t%d\"", i ? "," : "", i);
    }
    strcat (list, "]");
    const char *p21[] = { "topics", list, NULL };
    char *line = s_line (p21);
    s_expect_reject (line, strlen (line), NOW_US, "topics", "has 21 topics (at most 20)");
    free (line);
    /* The limit counts the array as sent, repeats included. */
    const char *rep[] = {
        "topics",
        "[\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
        "\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\"]",
        NULL
    };
    line = s_line (rep);
    s_expect_reject (line, strlen (line), NOW_US, "topics", "has 21 topics (at most 20)");
    free (line);
}

/* ---- ownership and names ----------------------------------------------------------- */

static void
test_rejection_after_allocation_frees_everything (void **state)
{
    (void)state;
    /* Every owned member is set before notes is checked: under ASan a leak here fails. */
    char *big = s_repeat ("n", 4001);
    const char *patches[] = { "notes", big, NULL };
    char *line = s_line (patches);
    s_expect_reject (line, strlen (line), NOW_US, "notes", "is 4001 bytes long (at most 4000)");
    free (line);
    free (big);
}

static void
test_event_fini_is_safe_twice_and_on_an_empty_event (void **state)
{
    (void)state;
    event_t ev;
    memset (&ev, 0, sizeof ev);
    event_fini (&ev);
    reject_t why;
    assert_int_equal (event_parse (&ev, s_base, strlen (s_base), NOW_US, &why), 0);
    event_fini (&ev);
    event_fini (&ev);
    assert_null (ev.person_key);
}

static void
test_names_of_enumerated_values (void **state)
{
    (void)state;
    assert_string_equal (event_type_name (EVENT_REPORTED), "conversation.reported");
    assert_string_equal (event_type_name (EVENT_AMENDED), "conversation.amended");
    assert_string_equal (event_type_name (EVENT_WITHDRAWN), "conversation.withdrawn");
    static const char *roles[] = {
        "mp", "councillor", "peer", "mayor", "official", "opinion_former"
    };
    for (int i = 0; i < 6; i++)
        assert_string_equal (event_role_name ((stakeholder_role_t)i), roles[i]);
    static const char *formats[] = { "meeting", "site_visit", "call", "event", "correspondence" };
    for (int i = 0; i < 5; i++)
        assert_string_equal (event_format_name ((event_format_t)i), formats[i]);
}

static void
test_now_is_the_real_clock (void **state)
{
    (void)state;
    int64_t a = event_now_us ();
    /* after 2025-01-01 and before 2100-01-01 */
    assert_true (a > INT64_C (1735689600) * 1000000);
    assert_true (a < INT64_C (4102444800) * 1000000);
    int64_t b = event_now_us ();
    assert_true (b >= a);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_rule_rejects_with_its_field_and_message),
        cmocka_unit_test (test_every_rule_accepts_and_normalises),
        cmocka_unit_test (test_withdrawal_ignores_garbage_attributes),
        cmocka_unit_test (test_withdrawal_with_valid_attributes_also_leaves_them_out),
        cmocka_unit_test (test_whole_line_problems),
        cmocka_unit_test (test_a_nul_character_in_any_string_is_rejected_naming_its_field),
        cmocka_unit_test (test_line_of_16384_bytes_is_read_and_16385_is_not),
        cmocka_unit_test (test_byte_limits_at_and_past_the_boundary),
        cmocka_unit_test (test_twenty_topics_are_allowed_and_twenty_one_are_not),
        cmocka_unit_test (test_rejection_after_allocation_frees_everything),
        cmocka_unit_test (test_event_fini_is_safe_twice_and_on_an_empty_event),
        cmocka_unit_test (test_names_of_enumerated_values),
        cmocka_unit_test (test_now_is_the_real_clock),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
