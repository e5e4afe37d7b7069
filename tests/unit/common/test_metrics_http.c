/* metrics_http: /metrics, /healthz and /readyz over a real loopback socket, the server
   driven by a poll loop as its owner would drive it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <arpa/inet.h>
#include <czmq.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics.h"
#include "metrics_http.h"

typedef struct {
    metrics_t *registry;
    metrics_http_t *http;
    metrics_counter_t *events;
    bool ready;
} s_fixture_t;

static bool
s_ready (void *arg, char *reason, size_t len)
{
    s_fixture_t *f = arg;
    if (!f->ready)
        snprintf (reason, len, "database not connected");
    return f->ready;
}

static int
s_setup (void **state)
{
    s_fixture_t *f = calloc (1, sizeof *f);
    f->registry = metrics_new ();
    f->events = metrics_counter (f->registry, "parley_test_events_total", "Events.");
    char err[256];
    f->http = metrics_http_new ("127.0.0.1:0", f->registry, s_ready, f, err, sizeof err);
    if (!f->http)
        return -1;
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *f = *state;
    metrics_http_destroy (&f->http);
    assert_null (f->http);
    metrics_destroy (&f->registry);
    free (f);
    return 0;
}

/* GET path; the whole response (static), "" when none came within 2 s. */
static const char *
s_get (s_fixture_t *f, const char *path)
{
    static char in[8192];
    char out[256];
    size_t got = 0,
           left = (size_t)snprintf (out, sizeof out, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    const char *p = out;
    in[0] = '\0';
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons (metrics_http_port (f->http)) };
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (connect (fd, (struct sockaddr *)&a, sizeof a), 0);
    fcntl (fd, F_SETFL, O_NONBLOCK);
    for (int64_t end = zclock_mono () + 2000; zclock_mono () < end;) {
        if (left > 0) {
            ssize_t n = send (fd, p, left, MSG_NOSIGNAL);
            if (n > 0) {
                p += n;
                left -= (size_t)n;
            }
        }
        struct pollfd pfd = { metrics_http_fd (f->http), POLLIN, 0 };
        int t = metrics_http_timeout_ms (f->http);
        poll (&pfd, 1, t < 0 || t > 10 ? 10 : t);
        metrics_http_process (f->http);
        ssize_t n = recv (fd, in + got, sizeof in - 1 - got, 0);
        if (n > 0) {
            got += (size_t)n;
            in[got] = '\0';
        }
        const char *head_end = strstr (in, "\r\n\r\n");
        if (n == 0)
            break;
        if (head_end) {
            const char *cl = strcasestr (in, "Content-Length: ");
            if (cl && got >= (size_t)(head_end + 4 - in) + strtoul (cl + 16, NULL, 10))
                break;
        }
    }
    close (fd);
    return in;
}

static void
s_assert_has (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("response does not hold \"%s\":\n%s", part, text);
}

static void
test_metrics_serves_the_registry_as_prometheus_text (void **state)
{
    s_fixture_t *f = *state;
    metrics_counter_add (f->events, 42);
    const char *r = s_get (f, "/metrics");
    s_assert_has (r, "HTTP/1.1 200");
    s_assert_has (r, "Content-Type: text/plain; version=0.0.4; charset=utf-8");
    s_assert_has (r,
                  "\r\n\r\n# HELP parley_test_events_total Events.\n"
                  "# TYPE parley_test_events_total counter\n"
                  "parley_test_events_total 42\n");
}

static void
test_healthz_is_ok_whether_or_not_ready (void **state)
{
    s_fixture_t *f = *state;
    f->ready = false;
    const char *r = s_get (f, "/healthz");
    s_assert_has (r, "HTTP/1.1 200");
    s_assert_has (r, "\r\n\r\nok\n");
}

static void
test_readyz_says_why_with_503_until_ready (void **state)
{
    s_fixture_t *f = *state;
    f->ready = false;
    const char *r = s_get (f, "/readyz");
    s_assert_has (r, "HTTP/1.1 503");
    s_assert_has (r, "\r\n\r\nnot ready: database not connected\n");
    f->ready = true;
    r = s_get (f, "/readyz");
    s_assert_has (r, "HTTP/1.1 200");
    s_assert_has (r, "\r\n\r\nready\n");
}

static void
test_other_paths_are_not_found (void **state)
{
    s_fixture_t *f = *state;
    s_assert_has (s_get (f, "/metrics/x"), "HTTP/1.1 404");
}

static void
test_off_and_empty_binds_turn_it_off (void **state)
{
    (void)state;
    assert_true (metrics_http_is_off (""));
    assert_true (metrics_http_is_off ("off"));
    assert_true (metrics_http_is_off (NULL));
    assert_false (metrics_http_is_off ("127.0.0.1:9570"));
}

static void
test_bad_bind_is_refused_naming_the_option (void **state)
{
    (void)state;
    metrics_t *m = metrics_new ();
    char err[256];
    assert_null (metrics_http_new ("*:9570", m, NULL, NULL, err, sizeof err));
    s_assert_has (err, "--metrics-bind");
    metrics_destroy (&m);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_metrics_serves_the_registry_as_prometheus_text, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_healthz_is_ok_whether_or_not_ready, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_readyz_says_why_with_503_until_ready, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_other_paths_are_not_found, s_setup, s_teardown),
        cmocka_unit_test (test_off_and_empty_binds_turn_it_off),
        cmocka_unit_test (test_bad_bind_is_refused_naming_the_option),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
