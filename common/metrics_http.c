/* The metrics, liveness and readiness endpoint (see metrics_http.h). */
#include "metrics_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_server.h"
#include "mem.h"

struct metrics_http {
    http_server_t *server;
    metrics_t *registry;
    metrics_ready_fn *ready;
    void *arg;
};

bool
metrics_http_is_off (const char *bind)
{
    return !bind || !*bind || strcmp (bind, "off") == 0;
}

static void
s_on_metrics (void *arg, http_request_t *req)
{
    metrics_http_t *self = arg;
    size_t len;
    char *text = metrics_render (self->registry, &len);
    http_request_respond (req, 200, METRICS_CONTENT_TYPE, text, len, NULL);
}

static void
s_on_healthz (void *arg, http_request_t *req)
{
    (void)arg;
    http_request_respond (req, 200, "text/plain; charset=utf-8", xstrdup ("ok\n"), 3, NULL);
}

static void
s_on_readyz (void *arg, http_request_t *req)
{
    metrics_http_t *self = arg;
    char reason[256] = "";
    if (!self->ready || self->ready (self->arg, reason, sizeof reason)) {
        http_request_respond (req, 200, "text/plain; charset=utf-8", xstrdup ("ready\n"), 6, NULL);
        return;
    }
    char *text = xasprintf ("not ready: %s\n", reason);
    http_request_respond (req, 503, "text/plain; charset=utf-8", text, strlen (text), NULL);
}

metrics_http_t *
metrics_http_new (const char *bind,
                  metrics_t *registry,
                  metrics_ready_fn *ready,
                  void *arg,
                  char *err,
                  size_t errlen)
{
    http_server_options_t so = { 0 };
    char why[200];
    if (http_bind_parse (bind, &so.bind, why, sizeof why) != 0) {
        snprintf (err, errlen, "invalid --metrics-bind \"%s\": %s", bind, why);
        return NULL;
    }
    so.connections = 16;
    so.idle_timeout_s = 10;
    metrics_http_t *self = xcalloc (1, sizeof *self);
    self->server = http_server_new (&so, err, errlen);
    if (!self->server) {
        free (self);
        return NULL;
    }
    self->registry = registry;
    self->ready = ready;
    self->arg = arg;
    static const char *const paths[] = { "/metrics", "/healthz", "/readyz" };
    http_handler_fn handlers[] = { s_on_metrics, s_on_healthz, s_on_readyz };
    for (size_t i = 0; i < 3; i++) {
        http_route_t route = {
            .method = "GET", .path = paths[i], .handle = handlers[i], .arg = self
        };
        http_server_route (self->server, &route);
    }
    return self;
}

void
metrics_http_destroy (metrics_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    http_server_destroy (&(*self_p)->server);
    free (*self_p);
    *self_p = NULL;
}

uint16_t
metrics_http_port (metrics_http_t *self)
{
    return http_server_port (self->server);
}

int
metrics_http_fd (metrics_http_t *self)
{
    return http_server_fd (self->server);
}

int
metrics_http_timeout_ms (metrics_http_t *self)
{
    return http_server_timeout_ms (self->server);
}

void
metrics_http_process (metrics_http_t *self)
{
    http_server_process (self->server);
}
