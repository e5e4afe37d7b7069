/* The agent's webhook (see webhook.h). */
#include "webhook.h"

#include <czmq.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "log.h"
#include "mem.h"
#include "webhook_body.h"

/* Requests refused 503 for want of room are logged at warn at most this often. */
#define S_FULL_LOG_MS 60000

/* A request whose events are in the spool but not yet durable: answered once they are. */
typedef struct s_held {
    http_request_t *req;
    webhook_result_t *results;
    size_t n;
    uint64_t last_id; /* the request's last record */
    int64_t deadline;
    struct s_held *next;
} s_held_t;

struct webhook {
    agent_t *agent;
    intake_t *intake;
    http_server_t *server;
    s_held_t *head, *tail; /* in the order taken, so in the order of their last ids */
    int64_t last_full_log;
    uint64_t full_refused; /* 503s since the last warn */
};

static const char *const s_not_taken_full =
  "the spool cannot take events now (full, or a disk error): send it again later";
static const char *const s_not_taken_sync =
  "not yet durable in the spool (an fsync failed or the agent stopped): send it again "
  "(a copy already taken is counted once)";

/* --- answers ------------------------------------------------------------------------ */

static void
s_answer (http_request_t *req, webhook_result_t *results, size_t n)
{
    int status;
    bool retry;
    size_t len;
    char *text = webhook_answer (results, n, &status, &retry, &len);
    if (retry) {
        char secs[16];
        snprintf (secs, sizeof secs, "%d", WEBHOOK_RETRY_AFTER_S);
        http_request_add_header (req, "Retry-After", secs);
    }
    const char *error = NULL;
    if (status == 400)
        error = "every event was rejected";
    else if (status == 503)
        error = "the spool cannot take events";
    http_request_respond (req, status, "application/json", text, len, error);
}

static void
s_results_free (webhook_result_t *results, size_t n)
{
    for (size_t i = 0; i < n; i++)
        webhook_result_fini (&results[i]);
    free (results);
}

/* Answers the held request at the head: as it stands if its events are durable, else
   with every accepted event turned into not_taken. */
static void
s_answer_head (webhook_t *self, bool durable)
{
    s_held_t *h = self->head;
    self->head = h->next;
    if (!self->head)
        self->tail = NULL;
    if (!durable) {
        for (size_t i = 0; i < h->n; i++)
            if (h->results[i].verdict == WEBHOOK_ACCEPTED)
                webhook_result_set (
                  &h->results[i], WEBHOOK_NOT_TAKEN, NULL, NULL, s_not_taken_sync);
        log_warn ("webhook",
                  "events not durable in time, answered not taken",
                  "peer=%s last_id=%" PRIu64 " durable_id=%" PRIu64,
                  http_request_peer (h->req),
                  h->last_id,
                  intake_durable_id (self->intake));
    }
    s_answer (h->req, h->results, h->n);
    s_results_free (h->results, h->n);
    free (h);
}

/* Answers every held request whose events have become durable, and those that have
   waited too long. */
static void
s_answer_durable (webhook_t *self, int64_t now)
{
    uint64_t durable = intake_durable_id (self->intake);
    while (self->head && (self->head->last_id <= durable || now >= self->head->deadline))
        s_answer_head (self, self->head->last_id <= durable);
}

static void
s_note_full (webhook_t *self, const char *peer)
{
    int64_t now = zclock_mono ();
    self->full_refused++;
    if (self->last_full_log == 0 || now - self->last_full_log >= S_FULL_LOG_MS) {
        log_warn ("webhook",
                  "spool cannot take events, requests answered 503",
                  "peer=%s refused=%" PRIu64,
                  peer,
                  self->full_refused);
        self->last_full_log = now;
        self->full_refused = 0;
    }
}

/* --- POST /v1/events ---------------------------------------------------------------- */

static void
s_on_events (void *arg, http_request_t *req)
{
    webhook_t *self = arg;
    webhook_format_t format = WEBHOOK_JSON;
    if (webhook_format_of (http_request_header (req, "Content-Type"), &format) != 0) {
        /* the server checked the type against webhook_content_types */
    }
    size_t len;
    const char *data = http_request_body (req, &len);
    webhook_body_t body;
    if (webhook_body_split (&body, format, data, len) != 0) {
        http_request_respond_error (req, body.status, "%s", body.error);
        webhook_body_fini (&body);
        return;
    }
    char source[64];
    snprintf (source, sizeof source, "http:%s", http_request_peer (req));
    webhook_result_t *results = xcalloc (body.count, sizeof *results);
    uint64_t last_id = 0;
    bool refused = intake_is_paused (self->intake);
    for (size_t i = 0; i < body.count; i++) {
        if (refused) {
            webhook_result_set (&results[i], WEBHOOK_NOT_TAKEN, NULL, NULL, s_not_taken_full);
            continue;
        }
        const webhook_text_t *ev = &body.events[i];
        uint64_t id;
        reject_t why;
        char event_id[EVENT_ID_LEN + 1];
        switch (intake_offer (self->intake, source, i + 1, ev->data, ev->len, &id, &why)) {
            case INTAKE_TAKEN:
                if (webhook_event_id (ev->data, ev->len, event_id) != 0) {
                    /* cannot happen: the v1 rules require it */
                }
                webhook_result_set (&results[i], WEBHOOK_ACCEPTED, event_id, NULL, NULL);
                last_id = id;
                break;
            case INTAKE_REJECTED:
                webhook_result_set (&results[i], WEBHOOK_REJECTED, NULL, why.field, why.reason);
                break;
            case INTAKE_FULL:
            case INTAKE_FAILED:
                /* Everything after this one waits too: the intake answers the same at once
                   until there is room, and the request's events stay in order. */
                refused = true;
                webhook_result_set (&results[i], WEBHOOK_NOT_TAKEN, NULL, NULL, s_not_taken_full);
                break;
        }
    }
    size_t n = body.count;
    webhook_body_fini (&body);
    if (refused)
        s_note_full (self, http_request_peer (req));
    if (last_id == 0 || last_id <= intake_durable_id (self->intake)) {
        s_answer (req, results, n);
        s_results_free (results, n);
        return;
    }
    /* Held until durable: the connection is suspended when this returns unanswered. */
    s_held_t *h = xcalloc (1, sizeof *h);
    *h = (s_held_t){ req, results, n, last_id, zclock_mono () + WEBHOOK_HOLD_MAX_MS, NULL };
    if (self->tail)
        self->tail->next = h;
    else
        self->head = h;
    self->tail = h;
    intake_want_sync (self->intake);
}

/* --- GET /v1/health ----------------------------------------------------------------- */

static void
s_on_health (void *arg, http_request_t *req)
{
    webhook_t *self = arg;
    agent_backlog_t b;
    agent_backlog (self->agent, &b);
    const intake_stats_t *st = intake_stats (self->intake);
    json_t *obj = json_pack ("{ss sI sI sI sb sI sI sI}",
                             "status",
                             "ok",
                             "pending",
                             (json_int_t)b.records,
                             "pending_bytes",
                             (json_int_t)b.bytes,
                             "spool_max",
                             (json_int_t)b.spool_max,
                             "spool_paused",
                             intake_is_paused (self->intake),
                             "taken",
                             (json_int_t)st->taken,
                             "rejected",
                             (json_int_t)st->rejected,
                             "held_requests",
                             (json_int_t)http_server_held (self->server));
    char *text = json_dumps (obj, JSON_COMPACT);
    json_decref (obj);
    http_request_respond (req, 200, "application/json", text, strlen (text), NULL);
}

/* --- the agent's loop --------------------------------------------------------------- */

static int
s_pollitems (void *arg, zmq_pollitem_t *items, int max)
{
    webhook_t *self = arg;
    if (max < 1)
        return 0;
    items[0] = (zmq_pollitem_t){ NULL, http_server_fd (self->server), ZMQ_POLLIN, 0 };
    return 1;
}

static int
s_timeout_ms (void *arg, int64_t now)
{
    webhook_t *self = arg;
    int t = http_server_timeout_ms (self->server);
    if (self->head) {
        int64_t left =
          self->head->last_id <= intake_durable_id (self->intake) ? 0 : self->head->deadline - now;
        if (left < 0)
            left = 0;
        if (t < 0 || left < t)
            t = (int)left;
    }
    return t;
}

static void
s_process (void *arg, zmq_pollitem_t *items, int n, int64_t now)
{
    webhook_t *self = arg;
    http_server_process (self->server);
    s_answer_durable (self, now);
}

/* After the last sync: what is durable now is answered accepted, the rest not taken. */
static void
s_finish (void *arg)
{
    webhook_t *self = arg;
    uint64_t durable = intake_durable_id (self->intake);
    while (self->head)
        s_answer_head (self, self->head->last_id <= durable);
}

webhook_t *
webhook_new (const agent_options_t *opts, agent_t *agent, char *err, size_t errlen)
{
    http_server_options_t so = { 0 };
    if (http_bind_parse (opts->http_bind, &so.bind, err, errlen) != 0)
        return NULL; /* checked with the options: not reached */
    so.body_max = (size_t)opts->http_max;
    char *token = NULL;
    if (opts->token_file && http_token_read (opts->token_file, &token, err, errlen) != 0)
        return NULL;
    so.token = token;
    webhook_t *self = xcalloc (1, sizeof *self);
    self->agent = agent;
    self->intake = agent_intake (agent);
    self->server = http_server_new (&so, err, errlen);
    http_token_free (&token);
    if (!self->server) {
        free (self);
        return NULL;
    }
    http_route_t events = { .method = "POST",
                            .path = "/v1/events",
                            .flags = HTTP_ROUTE_TOKEN | HTTP_ROUTE_BODY,
                            .content_types = webhook_content_types,
                            .handle = s_on_events,
                            .arg = self };
    http_route_t health = {
        .method = "GET", .path = "/v1/health", .handle = s_on_health, .arg = self
    };
    http_server_route (self->server, &events);
    http_server_route (self->server, &health);
    agent_producer_t producer = { .self = self,
                                  .pollitems = s_pollitems,
                                  .timeout_ms = s_timeout_ms,
                                  .process = s_process,
                                  .finish = s_finish };
    if (agent_add_producer (agent, &producer) != 0) {
        snprintf (err, errlen, "too many producers in the agent's loop");
        webhook_destroy (&self);
        return NULL;
    }
    if (!http_bind_is_loopback (&so.bind) && !opts->token_file)
        log_warn ("webhook",
                  "webhook listening beyond this machine without a token",
                  "address=\"%s\" port=%u max_bytes=%zu",
                  so.bind.text,
                  (unsigned)http_server_port (self->server),
                  so.body_max);
    else
        log_info ("webhook",
                  "webhook listening",
                  "address=\"%s\" port=%u token=%s max_bytes=%zu",
                  so.bind.text,
                  (unsigned)http_server_port (self->server),
                  opts->token_file ? "yes" : "no",
                  so.body_max);
    return self;
}

void
webhook_destroy (webhook_t **self_p)
{
    if (!*self_p)
        return;
    webhook_t *self = *self_p;
    /* Normally none are left (finish answered them); without a finish, they are closed. */
    while (self->head) {
        s_held_t *h = self->head;
        self->head = h->next;
        s_results_free (h->results, h->n);
        free (h);
    }
    http_server_destroy (&self->server);
    free (self);
    *self_p = NULL;
}

http_server_t *
webhook_server (webhook_t *self)
{
    return self->server;
}
