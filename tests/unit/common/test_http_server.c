/* http_server: requests over a real loopback socket, the server driven by a poll loop as
   its owner would drive it. Routing (404, 405 with Allow, HEAD), the bearer token, the
   Content-Type check and the body limit are answered before the handler, and early; a
   body reaches the handler whole; a request the handler leaves unanswered is held until
   answered later (common/http_server.h). */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_server.h"
#include "mem.h"

typedef struct {
    http_server_t *server;
    http_request_t *held; /* the last request /hold left unanswered */
    char body[256];       /* what the last handler saw */
    size_t body_len;
    char peer[64];
    int calls;
} s_fixture_t;

static void
s_on_ping (void *arg, http_request_t *req)
{
    s_fixture_t *f = arg;
    f->calls++;
    snprintf (f->peer, sizeof f->peer, "%s", http_request_peer (req));
    http_request_respond (req, 200, "text/plain", xstrdup ("pong"), 4, NULL);
}

static void
s_on_echo (void *arg, http_request_t *req)
{
    s_fixture_t *f = arg;
    f->calls++;
    size_t len;
    const char *body = http_request_body (req, &len);
    f->body_len = len;
    memcpy (f->body, body, len < sizeof f->body ? len : sizeof f->body);
    char *copy = xmalloc (len ? len : 1);
    memcpy (copy, body, len);
    http_request_respond (req, 200, "application/json", copy, len, NULL);
}

static void
s_on_hold (void *arg, http_request_t *req)
{
    s_fixture_t *f = arg;
    f->calls++;
    f->held = req; /* answered later, by the test */
}

static const char *const s_json[] = { "application/json", NULL };

static int
s_setup (void **state)
{
    s_fixture_t *f = xcalloc (1, sizeof *f);
    http_server_options_t o = { .body_max = 1000, .token = "tok3n" };
    char err[256];
    assert_int_equal (http_bind_parse ("0", &o.bind, err, sizeof err), 0);
    f->server = http_server_new (&o, err, sizeof err);
    assert_non_null (f->server);
    assert_true (http_server_port (f->server) > 0);
    http_route_t routes[] = {
        { .method = "GET", .path = "/ping", .handle = s_on_ping, .arg = f },
        { .method = "POST", .path = "/ping", .handle = s_on_ping, .arg = f },
        { .method = "POST",
          .path = "/echo",
          .flags = HTTP_ROUTE_TOKEN | HTTP_ROUTE_BODY,
          .content_types = s_json,
          .handle = s_on_echo,
          .arg = f },
        { .method = "POST",
          .path = "/hold",
          .flags = HTTP_ROUTE_BODY,
          .handle = s_on_hold,
          .arg = f },
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        http_server_route (f->server, &routes[i]);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *f = *state;
    http_server_destroy (&f->server);
    assert_null (f->server);
    free (f);
    return 0;
}

static int
s_connect (s_fixture_t *f)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons (http_server_port (f->server)) };
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (connect (fd, (struct sockaddr *)&a, sizeof a), 0);
    fcntl (fd, F_SETFL, O_NONBLOCK);
    return fd;
}

/* Runs the server for up to ms, sending what is left of out on fd, and gathering what
   comes back until a whole response (headers and Content-Length bytes) or the close. */
static void
s_drive (s_fixture_t *f, int fd, const char **out, size_t *out_len, char *in, size_t cap, int ms)
{
    size_t got = strlen (in);
    int64_t end = zclock_mono () + ms;
    while (zclock_mono () < end) {
        if (*out_len > 0) {
            ssize_t n = send (fd, *out, *out_len, MSG_NOSIGNAL);
            if (n > 0) {
                *out += n;
                *out_len -= (size_t)n;
            }
        }
        struct pollfd p = { http_server_fd (f->server), POLLIN, 0 };
        int t = http_server_timeout_ms (f->server);
        poll (&p, 1, t < 0 || t > 10 ? 10 : t);
        http_server_process (f->server);
        ssize_t n = recv (fd, in + got, cap - 1 - got, 0);
        if (n > 0) {
            got += (size_t)n;
            in[got] = '\0';
        }
        const char *head_end = strstr (in, "\r\n\r\n");
        if (n == 0)
            return;
        if (head_end && strncmp (in, "HTTP/1.1 100", 12) != 0) {
            const char *cl = strcasestr (in, "Content-Length: ");
            size_t want = cl ? strtoul (cl + 16, NULL, 10) : 0;
            if (got >= (size_t)(head_end + 4 - in) + want)
                return;
        }
    }
}

/* One exchange: the response's text (static), "" when none came. */
static const char *
s_exchange (s_fixture_t *f, const char *request, size_t len)
{
    static char in[8192];
    in[0] = '\0';
    int fd = s_connect (f);
    s_drive (f, fd, &request, &len, in, sizeof in, 2000);
    close (fd);
    return in;
}

static const char *
s_ask (s_fixture_t *f, const char *request)
{
    return s_exchange (f, request, strlen (request));
}

static void
s_assert_has (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("response does not hold \"%s\":\n%s", part, text);
}

static void
test_routes_methods_and_head (void **state)
{
    s_fixture_t *f = *state;
    const char *r = s_ask (f, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    s_assert_has (r, "HTTP/1.1 200");
    s_assert_has (r, "\r\n\r\npong");
    assert_string_equal (f->peer, "127.0.0.1");
    r = s_ask (f, "GET /ping?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    s_assert_has (r, "HTTP/1.1 200");
    r = s_ask (f, "HEAD /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    s_assert_has (r, "HTTP/1.1 200");
    r = s_ask (f, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    s_assert_has (r, "HTTP/1.1 404");
    s_assert_has (r, "{\"error\":\"no such path: /nope\"}");
    r = s_ask (f, "DELETE /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    s_assert_has (r, "HTTP/1.1 405");
    s_assert_has (r, "Allow: GET, HEAD, POST");
    r = s_ask (f, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    s_assert_has (r, "HTTP/1.1 405");
    s_assert_has (r, "Allow: POST");
    assert_int_equal (f->calls, 3);
}

static void
test_the_token_is_checked_before_the_body_is_read (void **state)
{
    s_fixture_t *f = *state;
    const char *r = s_ask (f,
                           "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: 2\r\n\r\n{}");
    s_assert_has (r, "HTTP/1.1 401");
    s_assert_has (r, "WWW-Authenticate: Bearer");
    s_assert_has (r, "a bearer token is required");
    static const char *const wrong[] = { "Bearer tok3", "Bearer tok3nn", "Basic tok3n", "tok3n" };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        char req[512];
        snprintf (req,
                  sizeof req,
                  "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                  "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
                  wrong[i]);
        r = s_ask (f, req);
        s_assert_has (r, "HTTP/1.1 401");
        assert_null (strstr (r, "tok3n")); /* never echoed */
    }
    assert_int_equal (f->calls, 0);
    r = s_ask (f,
               "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: bearer tok3n\r\n"
               "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    s_assert_has (r, "HTTP/1.1 200");
    assert_int_equal (f->calls, 1);
}

static void
test_content_types_other_than_the_routes_are_refused_415 (void **state)
{
    s_fixture_t *f = *state;
    static const char *const types[] = { "text/plain", "application/json; charset=latin1", NULL };
    for (size_t i = 0; types[i]; i++) {
        char req[512];
        snprintf (req,
                  sizeof req,
                  "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok3n\r\n"
                  "Content-Type: %s\r\nContent-Length: 2\r\n\r\n{}",
                  types[i]);
        s_assert_has (s_ask (f, req), "HTTP/1.1 415");
    }
    s_assert_has (s_ask (f,
                         "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok3n\r\n"
                         "Content-Length: 2\r\n\r\n{}"),
                  "a Content-Type is required");
    s_assert_has (s_ask (f,
                         "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok3n\r\n"
                         "Content-Type: Application/JSON; charset=\"UTF-8\"\r\n"
                         "Content-Length: 2\r\n\r\n{}"),
                  "HTTP/1.1 200");
    assert_int_equal (f->calls, 1);
}

static void
test_a_body_reaches_the_handler_whole_and_a_large_one_is_refused_413 (void **state)
{
    s_fixture_t *f = *state;
    const char *r = s_ask (f,
                           "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok3n\r\n"
                           "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "4\r\n[1, \r\n3\r\n2 ]\r\n0\r\n\r\n");
    s_assert_has (r, "HTTP/1.1 200");
    assert_int_equal (f->body_len, 7);
    assert_memory_equal (f->body, "[1, 2 ]", 7);
    /* Announced too large: answered at once, from the headers alone. */
    r = s_ask (f,
               "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok3n\r\n"
               "Content-Type: application/json\r\nContent-Length: 1001\r\n\r\n");
    s_assert_has (r, "HTTP/1.1 413");
    s_assert_has (r, "request body of 1001 bytes is over the limit of 1000");
    /* Found too large as it arrives (chunked: no length announced). */
    static char req[4096];
    int n = snprintf (req,
                      sizeof req,
                      "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok3n\r\n"
                      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5dc\r\n");
    memset (req + n, ' ', 1500);
    memcpy (req + n + 1500, "\r\n0\r\n\r\n", 7);
    r = s_exchange (f, req, (size_t)n + 1507);
    s_assert_has (r, "HTTP/1.1 413");
    s_assert_has (r, "over the limit of 1000 bytes");
    assert_int_equal (f->calls, 1);
}

static void
test_a_request_left_unanswered_is_held_until_answered (void **state)
{
    s_fixture_t *f = *state;
    const char *req = "POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
    size_t len = strlen (req);
    static char in[4096];
    in[0] = '\0';
    int fd = s_connect (f);
    s_drive (f, fd, &req, &len, in, sizeof in, 300);
    assert_non_null (f->held);
    assert_int_equal (http_server_held (f->server), 1);
    assert_string_equal (in, ""); /* nothing yet, however long we run */
    http_request_add_header (f->held, "Retry-After", "5");
    http_request_respond (f->held, 503, "application/json", xstrdup ("{}"), 2, "later");
    assert_int_equal (http_server_held (f->server), 0);
    assert_int_equal (http_server_timeout_ms (f->server), 0); /* to be written at once */
    s_drive (f, fd, &req, &len, in, sizeof in, 2000);
    close (fd);
    s_assert_has (in, "HTTP/1.1 503");
    s_assert_has (in, "Retry-After: 5");
    s_assert_has (in, "\r\n\r\n{}");
}

static void
test_a_port_in_use_is_reported_at_start (void **state)
{
    s_fixture_t *f = *state;
    http_server_options_t o = { .body_max = 10 };
    char text[32], err[256];
    snprintf (text, sizeof text, "127.0.0.1:%u", (unsigned)http_server_port (f->server));
    assert_int_equal (http_bind_parse (text, &o.bind, err, sizeof err), 0);
    assert_null (http_server_new (&o, err, sizeof err));
    s_assert_has (err, "could not listen on 127.0.0.1:");
    s_assert_has (err, "Address already in use");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_routes_methods_and_head, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_the_token_is_checked_before_the_body_is_read, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_content_types_other_than_the_routes_are_refused_415, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_body_reaches_the_handler_whole_and_a_large_one_is_refused_413,
          s_setup,
          s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_request_left_unanswered_is_held_until_answered, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_port_in_use_is_reported_at_start, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
