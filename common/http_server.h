/* http_server: a small HTTP/1.1 server (libmicrohttpd) that runs inside its owner's
   single-threaded poll loop, for the agent's webhook and the daemons' /metrics,
   /healthz and /readyz (metrics_http.h).

   No thread of its own: libmicrohttpd runs in its external-polling mode with epoll. The
   owner polls http_server_fd for input (one descriptor stands for the listening socket and
   every connection), bounds its poll timeout by http_server_timeout_ms, and calls
   http_server_process after each poll. Handlers therefore run on the owner's thread and may
   use its state (the spool) without locks.

   What the server does before a handler sees a request, so that no route repeats it:
     - unknown path: 404; known path, other method: 405 with Allow (GET routes answer HEAD);
     - a route marked HTTP_ROUTE_TOKEN, when the server has a token: 401 unless the request
       carries "Authorization: Bearer TOKEN" (compared in constant time; never logged);
     - a route with content types: 415 unless Content-Type is one of them (parameters after
       ';' ignored, but a charset other than utf-8 is refused);
     - a route marked HTTP_ROUTE_BODY: the body is gathered (at most body_max bytes; more,
       announced by Content-Length or arriving, is answered 413 at once, before it is
       buffered) and the handler is called once it is complete.
   These early answers go out before the body is read, and the connection is then closed.

   A handler answers with http_request_respond, at once or later: a handler that returns
   without answering leaves the request held (its connection suspended) until its owner
   answers it, from any later turn of the loop; that is how the webhook answers only once
   the events are durable. Held requests are never timed out by the server: their owner
   must answer every one. One line per request is logged (comp=http) when it ends: at debug
   for a success, at warn for a client or server error (503 at debug: whoever answers 503
   says why), always with the peer address. */
#ifndef PARLEY_HTTP_SERVER_H
#define PARLEY_HTTP_SERVER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http_options.h"
#include "parley.h"

#define HTTP_SERVER_CONNECTIONS_MAX 64 /* each may hold a body of up to body_max */
#define HTTP_SERVER_IDLE_TIMEOUT_S 30  /* an idle or stalled connection is closed */
typedef struct {
    http_bind_t bind;
    size_t body_max;         /* largest body a HTTP_ROUTE_BODY route accepts */
    const char *token;       /* NULL: no token is asked for; else copied */
    unsigned connections;    /* at most this many at once (0: HTTP_SERVER_CONNECTIONS_MAX) */
    unsigned idle_timeout_s; /* 0: HTTP_SERVER_IDLE_TIMEOUT_S */
} http_server_options_t;

typedef struct http_server http_server_t;
typedef struct http_request http_request_t;

/* Called once per request, when it has passed the checks above (and its body, if any,
   is complete). Answer with http_request_respond, now or later. */
typedef void (*http_handler_fn) (void *arg, http_request_t *req);

enum {
    HTTP_ROUTE_TOKEN = 1u << 0, /* needs the bearer token (when the server has one) */
    HTTP_ROUTE_BODY = 1u << 1,  /* gathers a request body */
};

typedef struct {
    const char *method; /* "GET", "POST" */
    const char *path;   /* exact, without the query string: "/v1/events" */
    unsigned flags;
    const char *const *content_types; /* NULL, or the accepted media types, NULL-terminated */
    http_handler_fn handle;
    void *arg;
} http_route_t;

/* Listens (the socket is bound here, so a port in use is reported at start) and starts
   libmicrohttpd without a thread. Returns NULL with a one-line reason in err ("could not
   listen on 127.0.0.1:8080: Address already in use"). */
http_server_t *http_server_new (const http_server_options_t *opts, char *err, size_t errlen);
/* Closes every connection (held requests get no answer) and the socket; wipes the token.
   NULL-safe; sets *self_p to NULL. */
void http_server_destroy (http_server_t **self_p);

/* Adds a route (the route's strings must outlive the server). At most 16 routes. */
void http_server_route (http_server_t *self, const http_route_t *route);

/* The port listened on (the chosen one when the bind said 0). */
uint16_t http_server_port (http_server_t *self);
/* The descriptor to poll for input. */
int http_server_fd (http_server_t *self);
/* Milliseconds until the server must be processed even without input (-1: no limit). */
int http_server_timeout_ms (http_server_t *self);
/* Accepts, reads, calls handlers, writes: everything that is ready, without blocking. */
void http_server_process (http_server_t *self);
/* Requests held by their handlers, waiting for an answer. */
size_t http_server_held (http_server_t *self);

/* The request. Strings are borrowed and valid until the request is answered. */
const char *http_request_method (const http_request_t *req);
const char *http_request_path (const http_request_t *req);
/* The peer's address without its port: "127.0.0.1", "::1". */
const char *http_request_peer (const http_request_t *req);
/* A request header (name in any case), or NULL. */
const char *http_request_header (http_request_t *req, const char *name);
/* The body gathered for a HTTP_ROUTE_BODY route (not NUL-terminated; NULL, 0 when empty). */
const char *http_request_body (const http_request_t *req, size_t *len);

/* Adds a response header (both strings copied). Before http_request_respond only. */
void http_request_add_header (http_request_t *req, const char *name, const char *value);
/* Answers the request: status, Content-Type and body (taken: body must come from malloc,
   and is freed by the server; NULL with len 0 for none). A held request is resumed and
   answered at the next http_server_process. Only once per request. error, if not NULL,
   is the short reason logged with a failure status (not sent). */
void http_request_respond (http_request_t *req,
                           int status,
                           const char *content_type,
                           char *body,
                           size_t len,
                           const char *error);
/* Answers {"error":"<message>"} as application/json; the message is also what is logged. */
void http_request_respond_error (http_request_t *req, int status, const char *format, ...)
  PARLEY_PRINTF (3, 4);

#endif
