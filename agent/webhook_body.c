/* Webhook bodies and answers (see webhook_body.h). */
#include "webhook_body.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"

const char *const webhook_content_types[] = { "application/json",
                                              "application/x-ndjson",
                                              "application/jsonl",
                                              NULL };

int
webhook_format_of (const char *content_type, webhook_format_t *format)
{
    if (!content_type)
        return -1;
    size_t n = strcspn (content_type, ";");
    while (n > 0 && isspace ((unsigned char)content_type[n - 1]))
        n--;
    if (n == strlen ("application/json") &&
        strncasecmp (content_type, "application/json", n) == 0) {
        *format = WEBHOOK_JSON;
        return 0;
    }
    for (size_t i = 1; webhook_content_types[i]; i++)
        if (n == strlen (webhook_content_types[i]) &&
            strncasecmp (content_type, webhook_content_types[i], n) == 0) {
            *format = WEBHOOK_JSON_LINES;
            return 0;
        }
    return -1;
}

static bool
s_is_ws (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
s_add (webhook_body_t *body, const char *data, size_t len, size_t *cap)
{
    if (body->count == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        body->events = xrealloc (body->events, *cap * sizeof *body->events);
    }
    body->events[body->count++] = (webhook_text_t){ data, len };
}

static int PARLEY_PRINTF (3, 4) s_fail (webhook_body_t *body, int status, const char *format, ...)
{
    body->status = status;
    va_list ap;
    va_start (ap, format);
    vsnprintf (body->error, sizeof body->error, format, ap);
    va_end (ap);
    return -1;
}

/* Copies the value starting at *p (valid JSON: jansson has read it all) into out without
   the white space between tokens, and moves *p past it. */
static void
s_compact_value (const char **p, const char *end, char **out)
{
    int depth = 0;
    const char *s = *p;
    while (s < end) {
        char c = *s;
        if (c == '"') {
            const char *start = s++;
            while (*s != '"')
                s += *s == '\\' ? 2 : 1;
            s++;
            memcpy (*out, start, (size_t)(s - start));
            *out += s - start;
            if (depth == 0)
                break;
            continue;
        }
        if (s_is_ws (c)) {
            s++;
            continue;
        }
        if (depth == 0 && (c == ',' || c == ']'))
            break;
        if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
        *(*out)++ = c;
        s++;
        if (depth == 0 && (c == '}' || c == ']'))
            break;
    }
    *p = s;
}

static int
s_split_json (webhook_body_t *body, const char *data, size_t len)
{
    json_error_t err;
    /* JSON_ALLOW_NUL: a \u0000 is one event's fault (the v1 rules refuse it), not the body's. */
    json_t *root = json_loadb (data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!root) {
        if (strstr (err.text, "end of file expected"))
            return s_fail (body,
                           400,
                           "the body is not one JSON value: more follows at line %d, column %d "
                           "(byte %d); send JSON lines as application/x-ndjson",
                           err.line,
                           err.column,
                           err.position);
        return s_fail (body,
                       400,
                       "the body is not JSON: %s at line %d, column %d (byte %d)",
                       err.text,
                       err.line,
                       err.column,
                       err.position);
    }
    int type = json_typeof (root);
    size_t n = type == JSON_ARRAY ? json_array_size (root) : 1;
    json_decref (root);
    if (type != JSON_OBJECT && type != JSON_ARRAY)
        return s_fail (body, 400, "expected an event (a JSON object) or an array of events");
    if (n == 0)
        return s_fail (body, 400, "the array holds no events");
    if (n > WEBHOOK_EVENTS_MAX)
        return s_fail (body, 413, "%zu events in one request (at most %d)", n, WEBHOOK_EVENTS_MAX);
    body->buf = xmalloc (len);
    char *out = body->buf;
    const char *p = data, *end = data + len;
    size_t cap = 0;
    while (s_is_ws (*p))
        p++;
    if (type == JSON_OBJECT) {
        s_compact_value (&p, end, &out);
        s_add (body, body->buf, (size_t)(out - body->buf), &cap);
        return 0;
    }
    p++; /* [ */
    for (;;) {
        while (p < end && (s_is_ws (*p) || *p == ','))
            p++;
        if (p >= end || *p == ']')
            break;
        char *start = out;
        s_compact_value (&p, end, &out);
        s_add (body, start, (size_t)(out - start), &cap);
    }
    return 0;
}

static int
s_split_lines (webhook_body_t *body, const char *data, size_t len)
{
    size_t cap = 0;
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        size_t n = (size_t)(eol - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        bool blank = true;
        for (size_t i = 0; i < n && blank; i++)
            blank = p[i] == ' ' || p[i] == '\t' || p[i] == '\r';
        if (!blank) {
            if (body->count == WEBHOOK_EVENTS_MAX)
                return s_fail (body, 413, "more than %d events in one request", WEBHOOK_EVENTS_MAX);
            s_add (body, p, n, &cap);
        }
        p = nl ? nl + 1 : end;
    }
    if (body->count == 0)
        return s_fail (body, 400, "the body holds no events");
    return 0;
}

int
webhook_body_split (webhook_body_t *body, webhook_format_t format, const char *data, size_t len)
{
    memset (body, 0, sizeof *body);
    if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    size_t i = 0;
    while (i < len && s_is_ws (data[i]))
        i++;
    if (i == len)
        return s_fail (
          body, 400, "the body is empty (expected an event, an array of events or JSON lines)");
    return format == WEBHOOK_JSON ? s_split_json (body, data, len)
                                  : s_split_lines (body, data, len);
}

void
webhook_body_fini (webhook_body_t *body)
{
    free (body->events);
    free (body->buf);
    body->events = NULL;
    body->buf = NULL;
    body->count = 0;
}

int
webhook_event_id (const char *data, size_t len, char out[EVENT_ID_LEN + 1])
{
    out[0] = '\0';
    json_t *root = json_loadb (data, len, 0, NULL);
    const char *id = json_string_value (json_object_get (root, "event_id"));
    int rc = -1;
    if (id && strlen (id) == EVENT_ID_LEN) {
        for (size_t i = 0; i <= EVENT_ID_LEN; i++)
            out[i] = (char)tolower ((unsigned char)id[i]);
        rc = 0;
    }
    json_decref (root);
    return rc;
}

void
webhook_result_set (webhook_result_t *r,
                    webhook_verdict_t verdict,
                    const char *event_id,
                    const char *field,
                    const char *reason)
{
    webhook_result_fini (r);
    r->verdict = verdict;
    snprintf (r->event_id, sizeof r->event_id, "%s", event_id ? event_id : "");
    r->field = field ? xstrdup (field) : NULL;
    r->reason = reason ? xstrdup (reason) : NULL;
}

void
webhook_result_fini (webhook_result_t *r)
{
    free (r->field);
    free (r->reason);
    r->field = r->reason = NULL;
}

static const char *const s_verdict_names[] = { "accepted", "rejected", "not_taken" };

char *
webhook_answer (const webhook_result_t *results, size_t n, int *status, bool *retry, size_t *len)
{
    size_t counts[3] = { 0, 0, 0 };
    json_t *list = json_array ();
    for (size_t i = 0; i < n; i++) {
        const webhook_result_t *r = &results[i];
        counts[r->verdict]++;
        json_t *item = json_pack (
          "{sI ss}", "index", (json_int_t)(i + 1), "status", s_verdict_names[r->verdict]);
        if (r->verdict == WEBHOOK_ACCEPTED)
            json_object_set_new (item, "event_id", json_string (r->event_id));
        if (r->verdict == WEBHOOK_REJECTED)
            json_object_set_new (item, "field", json_string (r->field ? r->field : ""));
        if (r->verdict != WEBHOOK_ACCEPTED)
            json_object_set_new (item, "reason", json_string (r->reason ? r->reason : ""));
        json_array_append_new (list, item);
    }
    size_t accepted = counts[WEBHOOK_ACCEPTED], not_taken = counts[WEBHOOK_NOT_TAKEN];
    *retry = not_taken > 0;
    if (accepted == n)
        *status = 200;
    else if (accepted > 0)
        *status = 207;
    else
        *status = not_taken > 0 ? 503 : 400;
    json_t *obj = json_object ();
    if (*status == 503)
        json_object_set_new (
          obj, "error", json_string ("the spool cannot take events now: send them again later"));
    else if (*status == 400)
        json_object_set_new (
          obj,
          "error",
          json_string (n == 1 ? "the event was rejected" : "every event was rejected"));
    json_object_set_new (obj, "accepted", json_integer ((json_int_t)accepted));
    json_object_set_new (obj, "rejected", json_integer ((json_int_t)counts[WEBHOOK_REJECTED]));
    json_object_set_new (obj, "not_taken", json_integer ((json_int_t)not_taken));
    json_object_set_new (obj, "results", list);
    char *text = json_dumps (obj, JSON_COMPACT);
    json_decref (obj);
    if (!text) {
        /* jansson fails only for want of memory, which mem.c would have aborted on */
        abort ();
    }
    *len = strlen (text);
    return text;
}
