/* The collector's PostgreSQL session (see db_session.h). */
#include "db_session.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "db.h"
#include "log.h"
#include "mem.h"

struct db_session {
    char *conninfo;
    char *application_name;
    PGconn *conn;
    char describe[256];
    db_session_on_connect_fn *on_connect;
    void *on_connect_arg;
    void (*tick) (void *arg); /* db_session_set_tick */
    void *tick_arg;
    backoff_t backoff;
    unsigned failures; /* consecutive failed attempts, for the log */
};

db_session_t *
db_session_new (const char *conninfo, const char *application_name)
{
    db_session_t *self = xcalloc (1, sizeof *self);
    self->conninfo = xstrdup (conninfo ? conninfo : "");
    self->application_name = xstrdup (application_name ? application_name : "parley");
    snprintf (self->describe, sizeof self->describe, "(not connected)");
    backoff_init (&self->backoff, 250, 10000);
    return self;
}

void
db_session_destroy (db_session_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    db_session_t *self = *self_p;
    db_session_disconnect (self);
    free (self->conninfo);
    free (self->application_name);
    free (self);
    *self_p = NULL;
}

void
db_session_set_on_connect (db_session_t *self, db_session_on_connect_fn *fn, void *arg)
{
    self->on_connect = fn;
    self->on_connect_arg = arg;
}

void
db_session_set_tick (db_session_t *self, void (*fn) (void *arg), void *arg)
{
    self->tick = fn;
    self->tick_arg = arg;
}

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Server notices (e.g. "table does not exist, skipping") would otherwise go to stderr
   unformatted, breaking the logfmt stream. */
static void
s_notice (void *arg, const PGresult *res)
{
    (void)arg;
    char text[512];
    snprintf (text, sizeof text, "%s", PQresultErrorMessage (res));
    db_flatten (text);
    log_debug ("db", "server notice", "notice=\"%s\"", text);
}

static void
s_describe (db_session_t *self)
{
    const char *host = PQhost (self->conn);
    snprintf (self->describe,
              sizeof self->describe,
              "host=%s port=%s dbname=%s user=%s",
              host && *host ? host : "(default)",
              PQport (self->conn),
              PQdb (self->conn),
              PQuser (self->conn));
}

int
db_session_connect (db_session_t *self, const volatile sig_atomic_t *stop, int timeout_ms)
{
    if (self->conn && PQstatus (self->conn) == CONNECTION_OK)
        return 0;
    db_session_disconnect (self);
    /* Key words are processed in order and the last value wins: the defaults before
       dbname can be overridden by the user's connection string, client_encoding after it
       cannot (the collector sends and expects UTF-8). */
    const char *keys[] = { "fallback_application_name", "connect_timeout",
                           "keepalives_idle",           "keepalives_interval",
                           "keepalives_count",          "dbname",
                           "client_encoding",           NULL };
    const char *vals[] = { self->application_name, "10",   "30", "10", "3",
                           self->conninfo,         "UTF8", NULL };
    PGconn *conn = PQconnectStartParams (keys, vals, 1);
    if (!conn) {
        log_error ("db", "could not allocate a connection", "err=\"%s\"", "out of memory");
        return -1;
    }
    int64_t deadline = s_now_ms () + timeout_ms;
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    const char *why = NULL;
    if (PQstatus (conn) == CONNECTION_BAD)
        st = PGRES_POLLING_FAILED;
    while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        if (stop && *stop) {
            why = "stop requested";
            break;
        }
        if (s_now_ms () >= deadline) {
            why = "timed out";
            break;
        }
        struct pollfd pfd = { .fd = PQsocket (conn),
                              .events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT };
        if (pfd.fd < 0) {
            st = PQconnectPoll (conn); /* no socket yet: let libpq say what comes next */
            continue;
        }
        int rc = poll (&pfd, 1, 100);
        if (rc < 0 && errno != EINTR) {
            why = strerror (errno);
            break;
        }
        if (rc > 0)
            st = PQconnectPoll (conn);
        if (self->tick)
            self->tick (self->tick_arg);
    }
    if (st != PGRES_POLLING_OK) {
        char err[512];
        snprintf (err, sizeof err, "%s", why ? why : PQerrorMessage (conn));
        db_flatten (err);
        PQfinish (conn);
        self->failures++;
        log_warn (
          "db", "could not connect to database", "attempt=%u err=\"%s\"", self->failures, err);
        return -1;
    }
    self->conn = conn;
    PQsetNoticeReceiver (conn, s_notice, NULL);
    s_describe (self);
    if (self->on_connect && self->on_connect (conn, self->on_connect_arg) != 0) {
        self->failures++;
        db_session_disconnect (self);
        return -1;
    }
    if (self->failures > 0)
        log_info ("db",
                  "database connection restored",
                  "%s attempts=%u",
                  self->describe,
                  self->failures + 1);
    else
        log_info ("db",
                  "connected to database",
                  "%s server_version=%d",
                  self->describe,
                  PQserverVersion (conn));
    self->failures = 0;
    backoff_reset (&self->backoff);
    return 0;
}

int
db_session_ensure (db_session_t *self, const volatile sig_atomic_t *stop)
{
    while (!(stop && *stop)) {
        if (db_session_connect (self, stop, 10000) == 0)
            return 0;
        int64_t wait_ms = backoff_next (&self->backoff);
        log_debug ("db", "waiting before reconnecting", "retry_ms=%lld", (long long)wait_ms);
        int64_t until = s_now_ms () + wait_ms;
        while (!(stop && *stop) && s_now_ms () < until) {
            struct timespec ts = { 0, 50 * 1000 * 1000 };
            nanosleep (&ts, NULL);
        }
    }
    return -1;
}

void
db_session_disconnect (db_session_t *self)
{
    if (self->conn) {
        PQfinish (self->conn);
        self->conn = NULL;
    }
}

bool
db_session_is_connected (db_session_t *self)
{
    return self->conn && PQstatus (self->conn) == CONNECTION_OK;
}

PGconn *
db_session_conn (db_session_t *self)
{
    return self->conn;
}

const char *
db_session_describe (db_session_t *self)
{
    return self->describe;
}
