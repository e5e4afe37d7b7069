"""What systemd hears from the real daemons (sd_notify, common/service_notify.c), through a
datagram socket of the test's own standing in for $NOTIFY_SOCKET, as under a unit of
Type=notify with WatchdogSec=:

- the collector says READY=1 only once the schema is current: started on a database that
  does not exist yet, it is bound (it listens) but says nothing until the database is there
  and migrated; then READY=1, with the schema in place;
- the agent says READY=1 once its spool is open and its webhook answers;
- each keeps the watchdog fed from its loop at half of WATCHDOG_USEC, not once per turn;
- a daemon that is stopped (SIGSTOP: its loop does not turn) sends nothing, so systemd's
  watchdog would fire;
- SIGTERM: STOPPING=1, then exit 0.
"""
# ctest-timeout: 300

import os
import select
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import fail  # noqa: E402



class Notify:
    """The service manager's end: a bound AF_UNIX datagram socket."""

    def __init__(self, watchdog_usec):
        self.watchdog_usec = watchdog_usec
        self.dir = tempfile.mkdtemp(prefix="parley-notify-")
        self.path = os.path.join(self.dir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)

    def env(self):
        env = dict(os.environ)
        env["NOTIFY_SOCKET"] = self.path
        env["WATCHDOG_USEC"] = str(self.watchdog_usec)
        env.pop("WATCHDOG_PID", None)
        return env

    def recv(self, timeout):
        """The next message, or None if none came within timeout seconds."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        return self.sock.recv(4096).decode() if r else None

    def collect(self, seconds, times=None):
        out, until = [], time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            m = self.recv(left)
            if m is not None:
                out.append(m)
                if times is not None:
                    times.append(time.monotonic())
        return out

    def close(self):
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


def check_watchdog(proc, notify, seconds):
    """Pings while the loop turns, never further apart than the watchdog allows and paced at
    about half of it (not one per turn); none while the loop cannot turn."""
    usec = notify.watchdog_usec / 1e6
    times = [time.monotonic()]  # READY=1 was just received
    msgs = notify.collect(seconds, times)
    times.append(time.monotonic())
    pings = [m for m in msgs if m == "WATCHDOG=1"]
    if len(pings) != len(msgs):
        fail("%s: unexpected messages while running: %r" % (proc.name, msgs))
    gap = max(b - a for a, b in zip(times, times[1:]))
    if gap >= usec:
        fail("%s: %.2f s without WATCHDOG=1: the watchdog (%.1f s) would fire" % (proc.name, gap, usec))
    most = int(seconds / (usec / 2)) + 1
    if len(pings) > most:
        fail("%s: %d WATCHDOG=1 in %.0f s, more than one per %.1f s" % (proc.name, len(pings), seconds, usec / 2))
    proc.signal(signal.SIGSTOP)
    stalled = notify.collect(1.5 * usec)
    proc.signal(signal.SIGCONT)
    if stalled:
        fail("%s: sent %r while stopped" % (proc.name, stalled))
    if notify.recv(usec) != "WATCHDOG=1":
        fail("%s: no WATCHDOG=1 once it runs again" % proc.name)


def check_stop(proc, notify):
    proc.signal(signal.SIGTERM)
    msgs = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(m.startswith("STOPPING=1") for m in msgs):
        m = notify.recv(0.5)
        if m is not None:
            msgs.append(m)
    if not any(m.startswith("STOPPING=1") for m in msgs):
        fail("%s: no STOPPING=1 after SIGTERM (got %r)" % (proc.name, msgs))
    rc = proc.wait(10)
    if rc != 0:
        fail("%s: exit status %s after SIGTERM:\n%s" % (proc.name, rc, proc.tail()))


def schema_present(db):
    _, rows = db.query("select to_regclass('parley.event') is not null")
    return rows[0][0]


def test_collector_is_ready_once_bound_and_the_schema_is_current(h):
    # A watchdog of 1 s (pinged every 0.5 s): a loop turn may take a few hundred ms on a loaded
    # 2-core machine (0.40 s seen while the database was still being created); a blocked loop fails.
    notify = Notify(1000000)
    try:
        # A database that does not exist yet: the collector binds and waits for it.
        db = harness.Database(h.cluster, "t_sd_notify_%d" % os.getpid())
        port = harness.free_port()
        endpoint = "tcp://127.0.0.1:%d" % port
        proc = h.spawn("collector", [h.collector, "--db", db.conninfo, "--bind", endpoint],
                       env=notify.env())
        harness.wait_for(lambda: harness.listening(port), 30, "the collector to listen")
        early = notify.collect(1.5)
        if early:
            fail("collector said %r before its database existed" % early)
        conn = h.admin()
        try:
            with conn.cursor() as cur:
                cur.execute('CREATE DATABASE "%s"' % db.name)
        finally:
            conn.close()
        h.databases.append(db)
        msg = notify.recv(30)
        if msg != "READY=1\nSTATUS=ready":
            fail("collector: first message %r, expected READY=1 (log:\n%s)" % (msg, proc.tail()))
        if not schema_present(db):
            fail("collector said READY=1 before the schema was in place")
        check_watchdog(proc, notify, 2.0)
        check_stop(proc, notify)
    finally:
        notify.close()


def test_agent_is_ready_once_the_spool_is_open_and_the_webhook_answers(h):
    db = h.create_database("sd_notify_agent")
    col = h.start_collector(db)
    # The agent's loop turns at least once a second when idle (its PING to the collector):
    # a watchdog of 2.5 s (the units say 30 s).
    notify = Notify(2500000)
    try:
        spool = h.path("spool")
        feed = h.path("feed.jsonl")
        open(feed, "w").close()
        http_port = harness.free_port()
        argv = h.agent_argv(col.endpoint, spool, [feed], once=False,
                            args=["--follow", "--http-bind", "127.0.0.1:%d" % http_port])
        proc = h.spawn("agent", argv, env=notify.env())
        msg = notify.recv(30)
        if msg != "READY=1\nSTATUS=ready":
            fail("agent: first message %r, expected READY=1 (log:\n%s)" % (msg, proc.tail()))
        if not harness.listening(http_port):
            fail("agent said READY=1 before its webhook listened")
        if not os.path.isdir(spool) or not os.listdir(spool):
            fail("agent said READY=1 before its spool was made")
        check_watchdog(proc, notify, 6.0)
        check_stop(proc, notify)
    finally:
        notify.close()


if __name__ == "__main__":
    harness.main(globals())
