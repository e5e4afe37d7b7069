/* service_notify: what systemd hears from a daemon's loop, read from a real AF_UNIX datagram
   socket standing in for $NOTIFY_SOCKET. The tests run in order in one process (the module
   sends READY=1 once per process). */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "service_notify.h"

static int s_sock = -1;
static char s_path[108];

/* The next datagram within wait_ms, into buf; its length, or -1 if none came. */
static int
s_recv (char *buf, size_t size, int wait_ms)
{
    struct pollfd p = { .fd = s_sock, .events = POLLIN };
    if (poll (&p, 1, wait_ms) != 1)
        return -1;
    ssize_t n = recv (s_sock, buf, size - 1, 0);
    assert_true (n >= 0);
    buf[n] = '\0';
    return (int)n;
}

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Turns the "loop" every millisecond for ms; the number of WATCHDOG=1 received. */
static int
s_turn_for (int ms)
{
    int pings = 0;
    char buf[256];
    for (int64_t until = s_now_ms () + ms; s_now_ms () < until;) {
        service_notify_turn ();
        while (s_recv (buf, sizeof buf, 0) >= 0) {
            assert_string_equal (buf, "WATCHDOG=1");
            pings++;
        }
        usleep (1000);
    }
    return pings;
}

static void
s_set_watchdog (const char *usec, pid_t pid)
{
    char text[32];
    snprintf (text, sizeof text, "%ld", (long)pid);
    setenv ("WATCHDOG_USEC", usec, 1);
    setenv ("WATCHDOG_PID", text, 1);
}

static int
s_setup (void **state)
{
    snprintf (s_path, sizeof s_path, "/tmp/parley-notify-%ld.sock", (long)getpid ());
    unlink (s_path);
    s_sock = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true (s_sock >= 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    strcpy (addr.sun_path, s_path);
    assert_int_equal (bind (s_sock, (struct sockaddr *)&addr, sizeof addr), 0);
    setenv ("NOTIFY_SOCKET", s_path, 1);
    unsetenv ("WATCHDOG_USEC");
    unsetenv ("WATCHDOG_PID");
    return 0;
}

static int
s_teardown (void **state)
{
    close (s_sock);
    unlink (s_path);
    return 0;
}

static void
test_first_turn_says_ready_and_nothing_more_without_a_watchdog (void **state)
{
    char buf[256];
    service_notify_turn ();
    assert_true (s_recv (buf, sizeof buf, 1000) > 0);
    assert_string_equal (buf, "READY=1\nSTATUS=ready");
    assert_int_equal (service_notify_watchdog_usec (), 0);
    assert_int_equal (s_turn_for (200), 0);
}

static void
test_turns_ping_at_half_the_watchdog_interval (void **state)
{
    s_set_watchdog ("200000", getpid ());
    assert_int_equal (service_notify_watchdog_usec (), 200000);
    /* 1000 turns in a second, a ping every 100 ms: about 10, never one per turn, and
       never fewer than the watchdog needs (one per 200 ms). */
    int pings = s_turn_for (1000);
    assert_in_range (pings, 5, 11);
}

static void
test_a_loop_that_does_not_turn_does_not_ping (void **state)
{
    s_set_watchdog ("200000", getpid ());
    (void)s_turn_for (150);
    char buf[256];
    /* Blocked for three watchdog intervals: silence, so systemd's watchdog would fire. */
    assert_int_equal (s_recv (buf, sizeof buf, 600), -1);
    /* The loop turns again: the ping is due at once. */
    service_notify_turn ();
    assert_true (s_recv (buf, sizeof buf, 100) > 0);
    assert_string_equal (buf, "WATCHDOG=1");
}

static void
test_a_watchdog_meant_for_another_process_is_not_fed (void **state)
{
    s_set_watchdog ("200000", getpid () + 1);
    assert_int_equal (service_notify_watchdog_usec (), 0);
    assert_int_equal (s_turn_for (300), 0);
}

static void
test_stopping_and_status_are_said (void **state)
{
    char buf[256];
    service_notify_status ("%d agents connected", 3);
    assert_true (s_recv (buf, sizeof buf, 1000) > 0);
    assert_string_equal (buf, "STATUS=3 agents connected");
    service_notify_stopping ();
    assert_true (s_recv (buf, sizeof buf, 1000) > 0);
    assert_string_equal (buf, "STOPPING=1\nSTATUS=stopping");
}

static void
test_outside_systemd_nothing_is_sent (void **state)
{
    unsetenv ("NOTIFY_SOCKET");
    s_set_watchdog ("200000", getpid ());
    char buf[256];
    assert_int_equal (s_turn_for (300), 0);
    service_notify_stopping ();
    assert_int_equal (s_recv (buf, sizeof buf, 100), -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_first_turn_says_ready_and_nothing_more_without_a_watchdog),
        cmocka_unit_test (test_turns_ping_at_half_the_watchdog_interval),
        cmocka_unit_test (test_a_loop_that_does_not_turn_does_not_ping),
        cmocka_unit_test (test_a_watchdog_meant_for_another_process_is_not_fed),
        cmocka_unit_test (test_stopping_and_status_are_said),
        cmocka_unit_test (test_outside_systemd_nothing_is_sent),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
