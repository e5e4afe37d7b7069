/* metrics_http: the daemons' observability endpoint (--metrics-bind), an http_server of its
   own inside the owner's poll loop (never a thread, never blocking: see http_server.h).

     GET /metrics   the registry's exposition text (metrics.h), text/plain; version=0.0.4
     GET /healthz   200 "ok": the process is alive and its loop turns (the answer is
                    written from that loop)
     GET /readyz    200 "ready", or 503 "not ready: REASON" (the owner's readiness hook says
                    why: "database not connected", "no answer from a collector for 12 s")

   None of them needs a token: the endpoint listens on loopback by default and tells nothing
   an event carries. The owner polls metrics_http_fd, bounds its timeout by
   metrics_http_timeout_ms and calls metrics_http_process after each poll. */
#ifndef PARLEY_METRICS_HTTP_H
#define PARLEY_METRICS_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "parley.h"

/* The owner's readiness: true when ready, else false with a one-line reason in reason. */
typedef bool (metrics_ready_fn) (void *arg, char *reason, size_t len);

typedef struct metrics_http metrics_http_t;

/* Whether a --metrics-bind value turns the endpoint off ("" or "off"). */
bool metrics_http_is_off (const char *bind);

/* Listens on bind (ADDR:PORT as http_bind_parse reads it) and serves registry (borrowed,
   must outlive the server) and ready (with arg). Returns NULL with a one-line reason in err
   (a bad address, a port in use). Caller owns the result. */
metrics_http_t *metrics_http_new (const char *bind,
                                  metrics_t *registry,
                                  metrics_ready_fn *ready,
                                  void *arg,
                                  char *err,
                                  size_t errlen);
/* NULL-safe; sets *self_p to NULL. */
void metrics_http_destroy (metrics_http_t **self_p);

/* The port listened on; the descriptor to poll for input; the longest the owner may sleep
   (-1: no limit); everything that is ready, without blocking. */
uint16_t metrics_http_port (metrics_http_t *self);
int metrics_http_fd (metrics_http_t *self);
int metrics_http_timeout_ms (metrics_http_t *self);
void metrics_http_process (metrics_http_t *self);

#endif
