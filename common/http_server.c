/* The HTTP server around libmicrohttpd (see http_server.h). */
#include "http_server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"

#define S_ROUTES_MAX 16
/* libmicrohttpd's memory per connection: the headers, and the chunks of body handed to
   the handler (a larger pool, fewer calls). */
#define S_CONNECTION_MEMORY (64 * 1024)
/* On the way out, answered requests get this long to be written. */
#define S_FLUSH_MS 1000

struct http_server {
    struct MHD_Daemon *mhd;
    uint16_t port;
    size_t body_max;
    char *token;
    size_t token_len;
    http_route_t routes[S_ROUTES_MAX];
    size_t nroutes;
    size_t held;      /* requests suspended, waiting for their owner's answer */
    size_t answering; /* requests answered whose connection has not finished with them */
    bool stopping;
    bool resumed; /* a held request was answered: process at once */
};

typedef struct {
    char *name, *value;
} s_header_t;

struct http_request {
    http_server_t *server;
    struct MHD_Connection *conn;
    const http_route_t *route;
    char method[16];
    char *path;
    char peer[INET6_ADDRSTRLEN];
    int64_t started;
    uint64_t bytes_in;
    char *body;
    size_t len, cap;
    bool handled; /* the handler has been called */
    bool held;    /* suspended until the owner answers */
    /* The answer, kept until the request ends (libmicrohttpd sends from it in place). */
    bool answered, queued;
    int status;
    char content_type[64];
    char *resp;
    size_t resp_len;
    char *error;
    s_header_t *headers;
    size_t nheaders;
};

/* Constant time in the content of both: every byte of the expected token is looked at
   whatever the given one holds, so timing tells nothing of where they first differ. */
static bool
s_token_matches (http_server_t *self, const char *header)
{
    if (!header || strncasecmp (header, "Bearer ", 7) != 0)
        return false;
    const char *given = header + 7;
    while (*given == ' ')
        given++;
    size_t glen = strlen (given);
    while (glen > 0 && given[glen - 1] == ' ')
        glen--;
    volatile unsigned char diff = glen != self->token_len;
    for (size_t i = 0; i < self->token_len; i++)
        diff |= (unsigned char)self->token[i] ^ (unsigned char)(i < glen ? given[i] : 0);
    return diff == 0;
}

/* --- requests ----------------------------------------------------------------------- */

const char *
http_request_method (const http_request_t *req)
{
    return req->method;
}

const char *
http_request_path (const http_request_t *req)
{
    return req->path;
}

const char *
http_request_peer (const http_request_t *req)
{
    return req->peer;
}

const char *
http_request_header (http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value (req->conn, MHD_HEADER_KIND, name);
}

const char *
http_request_body (const http_request_t *req, size_t *len)
{
    *len = req->len;
    return req->body;
}

void
http_request_add_header (http_request_t *req, const char *name, const char *value)
{
    assert (!req->answered);
    req->headers = xrealloc (req->headers, (req->nheaders + 1) * sizeof *req->headers);
    req->headers[req->nheaders++] = (s_header_t){ xstrdup (name), xstrdup (value) };
}

void
http_request_respond (http_request_t *req,
                      int status,
                      const char *content_type,
                      char *body,
                      size_t len,
                      const char *error)
{
    assert (!req->answered);
    req->answered = true;
    req->status = status;
    snprintf (req->content_type, sizeof req->content_type, "%s", content_type);
    req->resp = body;
    req->resp_len = len;
    req->error = error ? xstrdup (error) : NULL;
    for (char *c = req->error; c && *c; c++)
        if (*c == '"' || *c == '\\' || *c == '\n')
            *c = '\''; /* the log line quotes it */
    req->server->answering++;
    if (req->held) {
        req->held = false;
        req->server->held--;
        req->server->resumed = true;
        MHD_resume_connection (req->conn);
    }
}

void
http_request_respond_error (http_request_t *req, int status, const char *format, ...)
{
    char msg[1024];
    va_list ap;
    va_start (ap, format);
    vsnprintf (msg, sizeof msg, format, ap);
    va_end (ap);
    json_t *obj = json_pack ("{s:s}", "error", msg);
    char *text = obj ? json_dumps (obj, JSON_COMPACT) : NULL;
    json_decref (obj);
    if (!text)
        text = xstrdup ("{\"error\":\"\"}");
    size_t len = strlen (text);
    /* jansson allocates with malloc: the server frees the body with free. */
    http_request_respond (req, status, "application/json", text, len, msg);
}

static http_request_t *
s_request_new (http_server_t *self,
               struct MHD_Connection *conn,
               const char *url,
               const char *method)
{
    http_request_t *req = xcalloc (1, sizeof *req);
    req->server = self;
    req->conn = conn;
    req->started = zclock_mono ();
    snprintf (req->method, sizeof req->method, "%s", method);
    req->path = xstrndup (url, strcspn (url, "?"));
    const union MHD_ConnectionInfo *info =
      MHD_get_connection_info (conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf (req->peer, sizeof req->peer, "?");
    if (info && info->client_addr) {
        const struct sockaddr *sa = info->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop (
              AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, req->peer, sizeof req->peer);
        else if (sa->sa_family == AF_INET6)
            inet_ntop (
              AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, req->peer, sizeof req->peer);
    }
    return req;
}

static void
s_request_free (http_request_t *req)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        free (req->headers[i].name);
        free (req->headers[i].value);
    }
    free (req->headers);
    free (req->error);
    free (req->resp);
    free (req->body);
    free (req->path);
    free (req);
}

/* Hands the answer to libmicrohttpd, which sends it in place from req->resp (freed when
   the request ends). Returns MHD_NO only when the connection must be closed. */
static enum MHD_Result
s_queue (http_request_t *req)
{
    if (req->queued)
        return MHD_YES;
    struct MHD_Response *r =
      MHD_create_response_from_buffer (req->resp_len, req->resp, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    if (req->resp_len > 0)
        MHD_add_response_header (r, MHD_HTTP_HEADER_CONTENT_TYPE, req->content_type);
    for (size_t i = 0; i < req->nheaders; i++)
        MHD_add_response_header (r, req->headers[i].name, req->headers[i].value);
    /* An early answer (the body unread) ends the connection: what follows is not a request. */
    if (req->route && (req->route->flags & HTTP_ROUTE_BODY) && !req->handled)
        MHD_add_response_header (r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result rc = MHD_queue_response (req->conn, (unsigned)req->status, r);
    MHD_destroy_response (r);
    if (rc == MHD_YES)
        req->queued = true;
    /* Not queued (libmicrohttpd takes no answer while a body is still arriving): the body
       is discarded and the answer queued once it has all arrived. */
    return MHD_YES;
}

/* --- checks before the handler ------------------------------------------------------ */

static const http_route_t *
s_find_route (http_server_t *self, const char *path, const char *method, char *allow, size_t alen)
{
    allow[0] = '\0';
    for (size_t i = 0; i < self->nroutes; i++) {
        const http_route_t *r = &self->routes[i];
        if (strcmp (r->path, path) != 0)
            continue;
        bool get = strcmp (r->method, "GET") == 0;
        if (strcmp (r->method, method) == 0 || (get && strcmp (method, "HEAD") == 0))
            return r;
        size_t used = strlen (allow);
        snprintf (
          allow + used, alen - used, "%s%s%s", used ? ", " : "", r->method, get ? ", HEAD" : "");
    }
    return NULL;
}

/* Whether Content-Type names one of the route's types; else answers 415. */
static bool
s_content_type_ok (http_request_t *req)
{
    const char *const *types = req->route->content_types;
    if (!types)
        return true;
    const char *ct = http_request_header (req, MHD_HTTP_HEADER_CONTENT_TYPE);
    char media[128] = "";
    if (ct) {
        size_t n = strcspn (ct, ";");
        while (n > 0 && isspace ((unsigned char)ct[n - 1]))
            n--;
        snprintf (media, sizeof media, "%.*s", (int)n, ct);
        const char *charset = strcasestr (ct + n, "charset=");
        if (charset) {
            charset += 8;
            if (*charset == '"')
                charset++;
            if (strncasecmp (charset, "utf-8", 5) != 0 ||
                (charset[5] && charset[5] != '"' && charset[5] != ';' && charset[5] != ' ')) {
                http_request_respond_error (
                  req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "only the UTF-8 charset is accepted");
                return false;
            }
        }
    }
    for (size_t i = 0; types[i]; i++)
        if (strcasecmp (media, types[i]) == 0)
            return true;
    char list[256] = "";
    for (size_t i = 0; types[i]; i++) {
        size_t used = strlen (list);
        snprintf (list + used, sizeof list - used, "%s%s", i ? " or " : "", types[i]);
    }
    if (ct)
        http_request_respond_error (req,
                                    MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                    "Content-Type '%s' is not accepted here (expected %s)",
                                    media,
                                    list);
    else
        http_request_respond_error (
          req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "a Content-Type is required (expected %s)", list);
    return false;
}

/* The checks of a new request (see http_server.h); answers when one fails. */
static void
s_check (http_server_t *self, http_request_t *req)
{
    char allow[128];
    req->route = s_find_route (self, req->path, req->method, allow, sizeof allow);
    if (!req->route) {
        if (allow[0]) {
            http_request_add_header (req, MHD_HTTP_HEADER_ALLOW, allow);
            http_request_respond_error (req,
                                        MHD_HTTP_METHOD_NOT_ALLOWED,
                                        "%s is not allowed on %s (allowed: %s)",
                                        req->method,
                                        req->path,
                                        allow);
        } else {
            http_request_respond_error (req, MHD_HTTP_NOT_FOUND, "no such path: %s", req->path);
        }
        return;
    }
    if ((req->route->flags & HTTP_ROUTE_TOKEN) && self->token &&
        !s_token_matches (self, http_request_header (req, MHD_HTTP_HEADER_AUTHORIZATION))) {
        http_request_add_header (req, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"parley\"");
        bool given = http_request_header (req, MHD_HTTP_HEADER_AUTHORIZATION) != NULL;
        http_request_respond_error (
          req,
          MHD_HTTP_UNAUTHORIZED,
          given ? "wrong bearer token" : "a bearer token is required (Authorization: Bearer ...)");
        return;
    }
    if (!(req->route->flags & HTTP_ROUTE_BODY))
        return;
    if (!s_content_type_ok (req))
        return;
    const char *cl = http_request_header (req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        unsigned long long n = strtoull (cl, NULL, 10);
        if (n > self->body_max) {
            http_request_respond_error (req,
                                        MHD_HTTP_CONTENT_TOO_LARGE,
                                        "request body of %llu bytes is over the limit of %zu",
                                        n,
                                        self->body_max);
            return;
        }
        if (n > 0) {
            req->cap = (size_t)n;
            req->body = xmalloc (req->cap);
        }
    }
}

/* --- libmicrohttpd's callbacks ------------------------------------------------------ */

static enum MHD_Result
s_on_access (void *cls,
             struct MHD_Connection *conn,
             const char *url,
             const char *method,
             const char *version,
             const char *upload_data,
             size_t *upload_data_size,
             void **con_cls)
{
    http_server_t *self = cls;
    http_request_t *req = *con_cls;
    if (!req) {
        req = s_request_new (self, conn, url, method);
        *con_cls = req;
        if (self->stopping)
            http_request_respond_error (req, MHD_HTTP_SERVICE_UNAVAILABLE, "the agent is stopping");
        else
            s_check (self, req);
        return req->answered ? s_queue (req) : MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        req->bytes_in += n;
        if (req->answered || !(req->route->flags & HTTP_ROUTE_BODY)) {
            /* Discarded; a client that keeps sending long after its answer is cut off. */
            if (req->bytes_in > 2 * (uint64_t)self->body_max + 65536)
                return MHD_NO;
            return req->answered ? s_queue (req) : MHD_YES;
        }
        if (n > self->body_max - req->len) {
            free (req->body);
            req->body = NULL;
            req->len = req->cap = 0;
            http_request_respond_error (req,
                                        MHD_HTTP_CONTENT_TOO_LARGE,
                                        "request body is over the limit of %zu bytes",
                                        self->body_max);
            return s_queue (req);
        }
        if (req->len + n > req->cap) {
            size_t cap = req->cap ? req->cap : 16384;
            while (cap < req->len + n)
                cap *= 2;
            if (cap > self->body_max)
                cap = self->body_max;
            req->body = xrealloc (req->body, cap);
            req->cap = cap;
        }
        memcpy (req->body + req->len, upload_data, n);
        req->len += n;
        return MHD_YES;
    }
    /* The request is complete, or resumed with its answer. */
    if (!req->answered && !req->handled && self->stopping)
        http_request_respond_error (req, MHD_HTTP_SERVICE_UNAVAILABLE, "the agent is stopping");
    if (!req->answered && !req->handled) {
        req->handled = true;
        req->route->handle (req->route->arg, req);
        if (!req->answered) {
            req->held = true;
            self->held++;
            MHD_suspend_connection (conn);
            return MHD_YES;
        }
    }
    return req->answered ? s_queue (req) : MHD_YES;
}

static const char *
s_termination (enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
        case MHD_REQUEST_TERMINATED_COMPLETED_OK:
            return "completed";
        case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
            return "timeout";
        case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
            return "server stopping";
        case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        case MHD_REQUEST_TERMINATED_READ_ERROR:
            return "client closed the connection";
        default:
            return "connection error";
    }
}

static void
s_on_completed (void *cls,
                struct MHD_Connection *conn,
                void **con_cls,
                enum MHD_RequestTerminationCode toe)
{
    http_server_t *self = cls;
    http_request_t *req = *con_cls;
    if (!req)
        return;
    *con_cls = NULL;
    int64_t ms = zclock_mono () - req->started;
    if (req->held) {
        req->held = false;
        self->held--;
    }
    if (req->answered)
        self->answering--;
    if (req->answered && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        if (req->status < 400 || req->status == MHD_HTTP_SERVICE_UNAVAILABLE)
            log_debug ("http",
                       "request",
                       "peer=%s method=%s path=\"%s\" status=%d bytes_in=%" PRIu64
                       " bytes_out=%zu ms=%" PRId64,
                       req->peer,
                       req->method,
                       req->path,
                       req->status,
                       req->bytes_in,
                       req->resp_len,
                       ms);
        else
            log_warn ("http",
                      "request refused",
                      "peer=%s method=%s path=\"%s\" status=%d bytes_in=%" PRIu64 " ms=%" PRId64
                      " error=\"%s\"",
                      req->peer,
                      req->method,
                      req->path,
                      req->status,
                      req->bytes_in,
                      ms,
                      req->error ? req->error : "");
    } else {
        log_debug ("http",
                   "request ended before its answer was sent",
                   "peer=%s method=%s path=\"%s\" answered=%s reason=\"%s\" ms=%" PRId64,
                   req->peer,
                   req->method,
                   req->path,
                   req->answered ? "yes" : "no",
                   s_termination (toe),
                   ms);
    }
    s_request_free (req);
}

static void
s_on_mhd_log (void *cls, const char *format, va_list ap)
{
    if (log_threshold > LOG_LEVEL_DEBUG)
        return;
    char msg[512];
    vsnprintf (msg, sizeof msg, format, ap);
    size_t n = strlen (msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
        msg[--n] = '\0';
    for (char *c = msg; *c; c++)
        if (*c == '"')
            *c = '\'';
    log_debug ("http", "libmicrohttpd", "said=\"%s\"", msg);
}

/* --- the server --------------------------------------------------------------------- */

static int
s_listen (const http_bind_t *where, uint16_t *port, char *err, size_t errlen)
{
    int fd = socket (where->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    int on = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (where->addr.ss_family == AF_INET6)
        setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind (fd, (const struct sockaddr *)&where->addr, where->addrlen) != 0 ||
        listen (fd, 128) != 0)
        goto fail;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    if (getsockname (fd, (struct sockaddr *)&ss, &sslen) != 0)
        goto fail;
    *port = ntohs (ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                           : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
fail:
    snprintf (err, errlen, "could not listen on %s: %s", where->text, strerror (errno));
    if (fd >= 0)
        close (fd);
    return -1;
}

http_server_t *
http_server_new (const http_server_options_t *opts, char *err, size_t errlen)
{
    http_server_t *self = xcalloc (1, sizeof *self);
    self->body_max = opts->body_max;
    if (opts->token) {
        self->token = xstrdup (opts->token);
        self->token_len = strlen (self->token);
    }
    int fd = s_listen (&opts->bind, &self->port, err, errlen);
    if (fd < 0)
        goto fail;
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (opts->bind.addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    unsigned connections = opts->connections ? opts->connections : HTTP_SERVER_CONNECTIONS_MAX;
    unsigned timeout = opts->idle_timeout_s ? opts->idle_timeout_s : HTTP_SERVER_IDLE_TIMEOUT_S;
    self->mhd = MHD_start_daemon (flags,
                                  self->port,
                                  NULL,
                                  NULL,
                                  s_on_access,
                                  self,
                                  MHD_OPTION_EXTERNAL_LOGGER,
                                  s_on_mhd_log,
                                  self,
                                  MHD_OPTION_LISTEN_SOCKET,
                                  fd,
                                  MHD_OPTION_NOTIFY_COMPLETED,
                                  s_on_completed,
                                  self,
                                  MHD_OPTION_CONNECTION_LIMIT,
                                  connections,
                                  MHD_OPTION_CONNECTION_TIMEOUT,
                                  timeout,
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                  (size_t)S_CONNECTION_MEMORY,
                                  MHD_OPTION_END);
    if (!self->mhd) {
        snprintf (err, errlen, "could not start the HTTP server on %s", opts->bind.text);
        close (fd);
        goto fail;
    }
    return self;
fail:
    http_server_destroy (&self);
    return NULL;
}

void
http_server_destroy (http_server_t **self_p)
{
    if (!*self_p)
        return;
    http_server_t *self = *self_p;
    if (self->mhd) {
        /* Answered requests get a moment to be written; nothing new is taken meanwhile.
           Held ones are their owners' to answer before this (those left are closed). */
        self->stopping = true;
        int64_t deadline = zclock_mono () + S_FLUSH_MS;
        while (self->answering > 0 && zclock_mono () < deadline) {
            struct pollfd p = { http_server_fd (self), POLLIN, 0 };
            int t = http_server_timeout_ms (self);
            if (poll (&p, 1, t < 0 || t > 50 ? 50 : t) < 0 && errno != EINTR)
                break;
            MHD_run (self->mhd);
        }
        if (self->held > 0)
            log_warn ("http", "stopping with requests unanswered", "held=%zu", self->held);
        MHD_stop_daemon (self->mhd);
    }
    http_token_free (&self->token);
    free (self);
    *self_p = NULL;
}

void
http_server_route (http_server_t *self, const http_route_t *route)
{
    assert (self->nroutes < S_ROUTES_MAX);
    self->routes[self->nroutes++] = *route;
}

uint16_t
http_server_port (http_server_t *self)
{
    return self->port;
}

int
http_server_fd (http_server_t *self)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    return info ? info->epoll_fd : -1;
}

int
http_server_timeout_ms (http_server_t *self)
{
    if (self->resumed)
        return 0;
    MHD_UNSIGNED_LONG_LONG t;
    if (MHD_get_timeout (self->mhd, &t) != MHD_YES)
        return -1;
    return t > INT32_MAX ? INT32_MAX : (int)t;
}

void
http_server_process (http_server_t *self)
{
    self->resumed = false;
    MHD_run (self->mhd);
}

size_t
http_server_held (http_server_t *self)
{
    return self->held;
}
