/* What a webhook request's body holds, and what its answer says: the part of the webhook
   that knows neither HTTP nor the spool, so that it can be tested on its own (webhook.c
   does the rest).

   The Content-Type tells the formats apart, never the body's look:
     - application/json: the body is one JSON value, either one event (an object) or an
       array of events. It must be valid JSON as a whole, or the request is refused (400)
       with where it breaks (line, column, byte). Several values one after the other are
       JSON lines sent with the wrong type, and the message says so.
     - application/x-ndjson (or application/jsonl): JSON lines, one event per line. A line
       ends at \n (a \r before it is dropped); blank lines are skipped and not counted. A
       line that is not JSON is that one event rejected; the others go on.
   A UTF-8 byte-order mark at the start is dropped. Each event's index is its place in
   the request, from 1.

   An event from a JSON body is handed on as written less the white space between its
   tokens (a pretty-printed array becomes one line per event; strings, numbers, escapes,
   key order and any repeated key are kept byte for byte, so the v1 rules judge exactly
   what was sent). A JSON line is handed on as written. */
#ifndef PARLEY_WEBHOOK_BODY_H
#define PARLEY_WEBHOOK_BODY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "parley.h"

#define WEBHOOK_EVENTS_MAX 10000 /* events in one request: bounds the work and the answer */

typedef enum {
    WEBHOOK_JSON,       /* one event, or an array of events */
    WEBHOOK_JSON_LINES, /* one event per line */
} webhook_format_t;

/* The media types accepted, NULL-terminated (for the route's 415 check). */
extern const char *const webhook_content_types[];

/* The format of a Content-Type (parameters such as charset ignored); -1 for a type not
   in webhook_content_types. */
int webhook_format_of (const char *content_type, webhook_format_t *format) PARLEY_MUST_CHECK;

/* One event's text, borrowed from the body or from webhook_body_t's buffer. */
typedef struct {
    const char *data;
    size_t len;
} webhook_text_t;

typedef struct {
    webhook_text_t *events; /* in order; index i is event i + 1 */
    size_t count;
    char *buf;       /* the compacted texts of a JSON body */
    int status;      /* when split failed: 400 (not JSON, no events) or 413 (too many) */
    char error[512]; /* and why, naming where */
} webhook_body_t;

/* Splits a body into its events. Returns 0, or -1 with body->status and body->error.
   Either way call webhook_body_fini after. The body's bytes must outlive body. */
int webhook_body_split (webhook_body_t *body, webhook_format_t format, const char *data, size_t len)
  PARLEY_MUST_CHECK;
void webhook_body_fini (webhook_body_t *body);

/* The event_id of an event the v1 rules accepted, in lower case, into out. Returns 0, or
   -1 (out "") if the text has none (never for an accepted event). */
int webhook_event_id (const char *data, size_t len, char out[EVENT_ID_LEN + 1]);

typedef enum {
    WEBHOOK_ACCEPTED,  /* durably in the spool */
    WEBHOOK_REJECTED,  /* breaks a v1 rule: field and reason */
    WEBHOOK_NOT_TAKEN, /* not in the spool (full, or a disk error): send it again; reason */
} webhook_verdict_t;

typedef struct {
    webhook_verdict_t verdict;
    char event_id[EVENT_ID_LEN + 1]; /* WEBHOOK_ACCEPTED */
    char *field;                     /* WEBHOOK_REJECTED (owned; "" for the whole event) */
    char *reason;                    /* WEBHOOK_REJECTED, WEBHOOK_NOT_TAKEN (owned) */
} webhook_result_t;

/* Sets a result (copying the strings); frees what it held before. */
void webhook_result_set (webhook_result_t *r,
                         webhook_verdict_t verdict,
                         const char *event_id,
                         const char *field,
                         const char *reason);
void webhook_result_fini (webhook_result_t *r);

/* The answer to a request whose events were offered: *status is 200 (every event
   accepted), 207 (some accepted, others rejected or not taken), 400 (none accepted, none
   waiting: all rejected) or 503 (none accepted, some not taken: send again); *retry is
   whether any event was not taken (the caller adds Retry-After). Returns the JSON body
   (caller frees; *len its length):
     {"accepted":1,"rejected":1,"not_taken":0,"results":[
       {"index":1,"status":"accepted","event_id":"…"},
       {"index":2,"status":"rejected","field":"stance","reason":"…"}]}
   with "error" first when the status is 400 or 503. */
char *webhook_answer (const webhook_result_t *results,
                      size_t n,
                      int *status,
                      bool *retry,
                      size_t *len);

#endif
