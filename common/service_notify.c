/* sd_notify(3) for the daemons' loops: see service_notify.h. */
#include "service_notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"

/* The loop's own state: one daemon loop per process, on one thread. */
static bool s_ready_sent = false;
static uint64_t s_last_ping_us = 0;
static bool s_failure_logged = false;

static uint64_t
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* sd_notify returns > 0 when sent, 0 when not under systemd, < 0 on failure. */
static void
s_send (const char *state)
{
    int rc = sd_notify (0, state);
    if (rc < 0 && !s_failure_logged) {
        s_failure_logged = true;
        log_debug ("notify", "could not notify the service manager", "err=%d", -rc);
    }
}

uint64_t
service_notify_watchdog_usec (void)
{
    uint64_t usec = 0;
    return sd_watchdog_enabled (0, &usec) > 0 ? usec : 0;
}

void
service_notify_turn (void)
{
    uint64_t now = s_now_us ();
    if (!s_ready_sent) {
        s_ready_sent = true;
        s_last_ping_us = now;
        s_send ("READY=1\nSTATUS=ready");
        return;
    }
    uint64_t interval = service_notify_watchdog_usec () / 2;
    if (interval == 0 || now - s_last_ping_us < interval)
        return;
    s_last_ping_us = now;
    s_send ("WATCHDOG=1");
}

void
service_notify_stopping (void)
{
    s_send ("STOPPING=1\nSTATUS=stopping");
}

void
service_notify_status (const char *format, ...)
{
    char state[512] = "STATUS=";
    va_list ap;
    va_start (ap, format);
    vsnprintf (state + 7, sizeof state - 7, format, ap);
    va_end (ap);
    s_send (state);
}
