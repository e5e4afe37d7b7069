/* webhook: the agent's HTTP endpoint (--http-bind), a producer in the agent's loop.

     POST /v1/events   one event, an array of events or JSON lines (webhook_body.h); each
                       event goes through intake_offer (source "http:PEER", line = its
                       index in the request), and the answer, one result per event, is
                       sent only once every accepted event is durable in the spool
                       (intake_durable_id has reached the request's last record; the
                       request is held meanwhile and intake_want_sync asked for).
     GET /v1/health    200 {"status":"ok","pending":N,...}: the agent is alive, with its
                       backlog. Never needs the token.

   Backpressure: while the intake is paused (the spool at --spool-max, or a disk error
   waiting for its retry) a request is answered 503 with Retry-After and nothing of it is
   appended. When the spool fills in the middle of a request, the events taken before are
   answered as usual once durable, and the others "not_taken" (207 with Retry-After):
   resending the whole request is safe, since the collector counts each event_id once.
   An answer never says "accepted" for an event that is not durable: a request whose
   events are not durable within WEBHOOK_HOLD_MAX_MS (an fsync failing) is answered with
   them "not_taken", and so is one held when the agent stops and its events are not
   durable after the last sync.

   The HTTP server (common/http_server.h) is the webhook's own; /metrics, /healthz and
   /readyz are served on another port, --metrics-bind (agent_metrics.h). */
#ifndef PARLEY_WEBHOOK_H
#define PARLEY_WEBHOOK_H
#include "agent.h"
#include "agent_options.h"
#include "http_server.h"
#include "parley.h"

#define WEBHOOK_HOLD_MAX_MS 30000 /* a request waits at most this long for its fsync */
#define WEBHOOK_RETRY_AFTER_S 5   /* what Retry-After says when the spool cannot take events */

typedef struct webhook webhook_t;

/* Reads the token file (if any), listens on opts->http_bind and joins agent's loop as a
   producer. Returns NULL with a one-line reason in err (a runtime failure: exit 1). The
   agent must outlive the webhook's use of it: destroy the webhook after agent_run. */
webhook_t *webhook_new (const agent_options_t *opts, agent_t *agent, char *err, size_t errlen);
/* Closes the server (answered requests get a moment to be written); NULL-safe; sets
 *self_p to NULL. Safe after the agent is destroyed. */
void webhook_destroy (webhook_t **self_p);

/* The HTTP server, for more routes (borrowed). */
http_server_t *webhook_server (webhook_t *self);

#endif
