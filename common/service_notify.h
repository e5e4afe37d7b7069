/* Telling systemd how a daemon is doing (sd_notify(3), libsystemd): ready, stopping, a
   status line, and the watchdog's keep-alive. A unit of Type=notify is "started" only once
   its program says READY=1; with WatchdogSec= systemd kills and restarts a program that has
   not said WATCHDOG=1 within that time.

   Guarantees: the keep-alive comes only from service_notify_turn, called once per turn of a
   daemon's own loop, from that loop's thread; there is no timer or thread of its own, so a
   loop that blocks (a wait that never ends, a deadlock) stops pinging and the watchdog
   fires, which is the point. Pings are paced at half of WATCHDOG_USEC, so a loop that turns
   thousands of times a second sends a few datagrams a minute. Outside systemd (no
   NOTIFY_SOCKET in the environment, or WATCHDOG_PID naming another process) every call is
   a no-op that costs a getenv. Nothing here fails in a way the caller must handle: a
   notification that cannot be sent is logged once at debug level and the daemon goes on
   (systemd, not the daemon, decides what a missing READY=1 means). */
#ifndef PARLEY_SERVICE_NOTIFY_H
#define PARLEY_SERVICE_NOTIFY_H
#include <stdbool.h>
#include <stdint.h>

#include "parley.h"

/* One turn of the daemon's loop. The first call says READY=1 (the loop is turning, so the
   sockets are bound and whatever the daemon checks at start is done), with STATUS=ready;
   later calls say WATCHDOG=1 when half the watchdog interval has passed since the last
   one. Call it at the top of every turn, from the loop's thread. */
void service_notify_turn (void);

/* Says STOPPING=1 with STATUS=stopping: the daemon has begun to shut down. */
void service_notify_stopping (void);

/* Sets the free-form status line systemctl status shows (STATUS=...), printf-style. */
void service_notify_status (const char *format, ...) PARLEY_PRINTF (1, 2);

/* The watchdog interval systemd asked for, in microseconds, or 0 when there is none (not
   under systemd, no WatchdogSec=, or the setting is meant for another process). */
uint64_t service_notify_watchdog_usec (void);

#endif
