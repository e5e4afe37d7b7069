"""The units' system call filters let the daemons do their work: every system call that
parley-collector and parley-agent make, traced with strace(1) while they do everything the
units run them for, is allowed by the unit's SystemCallFilter= lines (read from
deploy/systemd/*.service.in and expanded with `systemd-analyze syscall-filter`). A call
outside the filter would fail with EPERM under systemd (SystemCallErrorNumber=EPERM), which
this environment, without systemd as PID 1, could not show otherwise.

The same traces check the units' RestrictAddressFamilies= (every socket() the daemons open
is of an allowed family), MemoryDenyWriteExecute= (no mapping both writable and executable),
ProcSubset=pid and PrivateDevices= (no other /proc entry, no real device looked at).

What is traced: the collector migrating a new database, storing, answering and stopping on
SIGTERM; an agent delivering two feeds with --once; an agent following a feed, taking a
file from a --watch folder and an event from its webhook, with a hub's relay bound, then
stopping on SIGTERM.
"""
# ctest-timeout: 300

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import fail, wait_for  # noqa: E402

EXAMPLES = [os.path.join(harness.SOURCE_DIR, "examples", f) for f in ("crm-export.jsonl", "north-housing.jsonl")]
OPENED = set()  # every /proc, /dev and /sys path looked at, for the report
SYSCALL = re.compile(r"^\d+\s+(?:<\.\.\. )?([a-z_][a-z0-9_]*)(?:\(| resumed>)")


def s_group(name, seen=None):
    """The system calls of a systemd group (@system-service ...) or a single name."""
    if not name.startswith("@"):
        return {name}
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True, text=True, check=True)
    calls = set()
    for line in out.stdout.splitlines()[1:]:
        line = line.strip()
        if line and not line.startswith("#"):
            calls |= s_group(line)
    return calls


def allowed_by(unit):
    """What the unit's SystemCallFilter= lines allow, read in order as systemd does when the
    first line is an allow list: each later line adds to it, or (~) takes from it."""
    path = os.path.join(harness.SOURCE_DIR, "deploy", "systemd", unit + ".service.in")
    allowed = None
    with open(path) as f:
        for line in f:
            m = re.match(r"^SystemCallFilter=(~?)(.*)$", line.strip())
            if not m:
                continue
            calls = set()
            for word in m.group(2).split():
                calls |= s_group(word)
            if allowed is None:
                if m.group(1):
                    fail("%s: the first SystemCallFilter= is a deny list; expected an allow list" % unit)
                allowed = calls
            elif m.group(1):
                allowed -= calls
            else:
                allowed |= calls
    if allowed is None:
        fail("%s has no SystemCallFilter= allow list" % unit)
    return allowed


def traced(h, name, argv):
    out = h.path("%s.strace" % name)
    return h.spawn(name, ["strace", "-f", "-qq", "-o", out, *argv], capture_stdout=True), out


def traced_child(proc):
    """The traced program's pid (strace's child)."""
    with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
        return int(f.read().split()[0])


def calls_in(path):
    """(system calls, socket address families, mappings both writable and executable)."""
    calls, families, wx = set(), set(), []
    with open(path) as f:
        for line in f:
            m = SYSCALL.match(line)
            if m:
                calls.add(m.group(1))
            m = re.search(r"\bsocket\((AF_[A-Z0-9]+)", line)
            if m:
                families.add(m.group(1))
            if re.search(r"\b(mmap|mprotect|pkey_mprotect)\(", line) and "PROT_WRITE" in line and "PROT_EXEC" in line:
                wx.append(line.strip())
            m = re.search(r'\b(?:open|openat|stat|newfstatat|access|faccessat2?|statx)\((?:[A-Z_]+|\d+), "(/(?:proc|dev|sys)/[^"]*)"', line)
            if m:
                OPENED.add(m.group(1))
    if "execve" not in calls:
        fail("%s: no execve traced: not a strace log" % path)
    return calls, families, wx


def unit_setting(unit, key):
    path = os.path.join(harness.SOURCE_DIR, "deploy", "systemd", unit + ".service.in")
    with open(path) as f:
        values = [line.strip().split("=", 1)[1] for line in f if line.startswith(key + "=")]
    return values[-1] if values else None


def stored(db):
    _, rows = db.query("select count(*) from parley.event")
    return rows[0][0]


def post_event(port, event):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/v1/events", body=json.dumps(event), headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def test_every_system_call_the_daemons_make_is_allowed_by_their_unit(h):
    if not shutil.which("strace"):
        raise harness.Skip("strace is not installed (Debian: strace)")
    db = h.create_database("syscalls")
    port = harness.free_port()
    endpoint = "tcp://127.0.0.1:%d" % port
    col, col_log = traced(h, "collector", [h.collector, "--db", db.conninfo, "--bind", endpoint])
    wait_for(lambda: harness.listening(port), 60, "the traced collector to listen")

    once, once_log = traced(h, "agent-once", h.agent_argv(endpoint, h.path("spool-once"), EXAMPLES))
    if once.wait(120) != 0:
        fail("agent --once under strace: exit %s\n%s" % (once.rc, once.tail()))
    after_once = stored(db)
    if after_once == 0:
        fail("nothing stored from the examples")

    lines = [json.loads(l) for l in open(EXAMPLES[0]) if l.strip()]
    feed, drop = h.path("feed.jsonl"), h.path("drop")
    os.makedirs(drop)
    open(feed, "w").close()
    http_port = harness.free_port()
    # By host name, so that name resolution runs under the filters too.
    argv = h.agent_argv("tcp://localhost:%d" % port, h.path("spool-follow"), [feed], once=False,
                        args=["--follow", "--watch", drop, "--http-bind", "127.0.0.1:%d" % http_port,
                              "--relay-bind", "tcp://127.0.0.1:%d" % harness.free_port()])
    follow, follow_log = traced(h, "agent-follow", argv)
    wait_for(lambda: harness.listening(http_port), 60, "the traced agent's webhook")
    fresh = []
    for i in range(3):
        e = dict(lines[i % len(lines)])
        e["event_id"] = "00000000-0000-4000-8000-%012d" % (i + 1)
        fresh.append(e)
    with open(feed, "a") as f:
        f.write(json.dumps(fresh[0]) + "\n")
    tmp = h.path("dropped.tmp")
    with open(tmp, "w") as f:
        f.write(json.dumps(fresh[1]) + "\n")
    os.rename(tmp, os.path.join(drop, "dropped.jsonl"))
    status = post_event(http_port, fresh[2])
    if status not in (200, 202):
        fail("webhook answered %s" % status)
    wait_for(lambda: stored(db) >= after_once + 3, 60, "the followed, dropped and posted events to be stored")

    for p in (follow, col):
        os.kill(traced_child(p), signal.SIGTERM)
        if p.wait(30) != 0:
            fail("%s under strace: exit %s after SIGTERM\n%s" % (p.name, p.rc, p.tail()))

    problems = []
    for unit, logs in (("parley-collector", [col_log]), ("parley-agent", [once_log, follow_log])):
        allowed = allowed_by(unit)
        families_allowed = set((unit_setting(unit, "RestrictAddressFamilies") or "").split())
        used, families, wx = set(), set(), []
        for log in logs:
            c, fam, w = calls_in(log)
            used |= c
            families |= fam
            wx += w
        denied = sorted(used - allowed)
        print("%s: %d distinct system calls (all within its filter: %s), socket families %s"
              % (unit, len(used), not denied, " ".join(sorted(families))))
        if denied:
            problems.append("%s makes system calls its unit's filter denies: %s" % (unit, ", ".join(denied)))
        if not families_allowed:
            problems.append("%s has no RestrictAddressFamilies=" % unit)
        elif families - families_allowed:
            problems.append("%s opens sockets of families its unit restricts: %s"
                            % (unit, " ".join(sorted(families - families_allowed))))
        # MemoryDenyWriteExecute=yes refuses a mapping both writable and executable.
        if unit_setting(unit, "MemoryDenyWriteExecute") == "yes" and wx:
            problems.append("%s maps memory writable and executable (MemoryDenyWriteExecute=yes): %s"
                            % (unit, wx[0]))
    print("paths under /proc, /dev, /sys: %s" % " ".join(sorted(OPENED)))
    # ProcSubset=pid leaves only the processes' own /proc entries; PrivateDevices=yes only the
    # pseudo devices.
    devices = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
               "/dev/ptmx", "/dev/log", "/dev/shm", "/dev/pts", "/dev/stdin", "/dev/stdout", "/dev/stderr"}
    for path in sorted(OPENED):
        if path.startswith("/proc/") and not re.match(r"^/proc/(self|thread-self|\d+)(/|$)", path):
            problems.append("%s is hidden by ProcSubset=pid" % path)
        if path.startswith("/dev/") and path not in devices and not path.startswith(("/dev/shm/", "/dev/pts/")):
            problems.append("%s is not there with PrivateDevices=yes" % path)
    if problems:
        fail("; ".join(problems))


if __name__ == "__main__":
    harness.main(globals())
