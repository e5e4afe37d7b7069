"""Config files and signals (issue 11), against a real collector and PostgreSQL: an agent
configured by a file (an input whose name has spaces, given as an "input =" key) follows a
growing file through three SIGHUPs and delivers every event exactly once; SIGUSR1 and
SIGUSR2 are logged and change nothing; SIGQUIT stops with a log line and exit 0; a collector
keeps serving after SIGHUP, and a log level changed in its file takes effect at once; a key
that cannot change is logged as needing a restart; a file that no longer parses is refused
and the old settings kept. Before issue 11, SIGHUP killed both daemons silently (exit 129).
Expected counts come from the lines the test wrote."""
# ctest-timeout: 600

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import generator  # noqa: E402
import harness  # noqa: E402
from harness import fail, wait_for  # noqa: E402


def event_lines(seed, n):
    g = generator.Generator(seed=seed, conversations=n, invalid=0, resend_rate=0)
    lines = [l for l in g.arrange("natural", feeds=1)[0] if l.kind == "event"]
    if len({l.event.event_id for l in lines}) != len(lines):
        fail("the generator gave the same event twice")
    return lines


def append(path, lines, mode="ab"):
    with open(path, mode) as f:
        for l in lines:
            f.write(l.data + b"\n")


def stored(db):
    try:
        return db.query("SELECT count(*), count(DISTINCT event_id) FROM parley.event")[1][0]
    except harness.psycopg2.Error:
        return (0, 0)


def wait_stored(db, n, what, timeout=60):
    wait_for(lambda: stored(db)[0] >= n, timeout, "%d events stored (%s)" % (n, what))
    total, distinct = stored(db)
    if total != n or distinct != n:
        fail("%s: %d events stored (%d distinct), expected %d" % (what, total, distinct, n))


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def count(proc, text):
    return proc.log().count(text)


def test_agent_follows_through_sighup_and_delivers_everything_once(h):
    lines = event_lines(h.seed(41), 300)
    db = h.create_database("cfgagent")
    col = h.start_collector(db)
    path = h.path("in dir", "feed with spaces.jsonl")
    append(path, lines[:50], "wb")
    conf = h.path("agent.conf")
    base = ("# the agent's file\nconnect = %s\nspool = %s\nfollow = true\ninput = %s\n"
            % (col.endpoint, h.path("spool"), path))
    write(conf, base + "log-level = info\n")
    agent = h.spawn("agent", [h.agent, "--config", conf])
    wait_stored(db, 50, "the lines there at start")
    done = 50
    for k in range(3):
        append(path, lines[done:done + 50])
        agent.signal(signal.SIGHUP)
        done += 50
        wait_for(lambda: count(agent, 'msg="reload requested"') >= k + 1, 10,
                 "the agent to log reload %d" % (k + 1))
        if not agent.alive():
            fail("the agent ended on SIGHUP %d (exit %s):\n%s" % (k + 1, agent.rc, agent.tail()))
        wait_stored(db, done, "after SIGHUP %d" % (k + 1))
    # A key that needs a restart is logged as such, and the agent keeps going.
    write(conf, base + "log-level = info\nbatch = 7\n")
    agent.signal(signal.SIGHUP)
    wait_for(lambda: 'msg="option changed, needs a restart" key=batch' in agent.log(), 10,
             "the batch change logged as needing a restart")
    # A file that no longer parses changes nothing.
    write(conf, base + "batch = lots\n")
    agent.signal(signal.SIGHUP)
    wait_for(lambda: 'msg="configuration not reloaded, keeping the old one"' in agent.log(), 10,
             "the bad file refused")
    for sig, name in ((signal.SIGUSR1, "SIGUSR1"), (signal.SIGUSR2, "SIGUSR2")):
        agent.signal(sig)
        wait_for(lambda: 'msg="signal ignored" signal=%s' % name in agent.log(), 10,
                 "%s logged" % name)
    if not agent.alive():
        fail("the agent ended on a signal (exit %s):\n%s" % (agent.rc, agent.tail()))
    append(path, lines[done:])
    wait_stored(db, len(lines), "everything, after the signals")
    agent.signal(signal.SIGQUIT)
    rc = agent.wait(30)
    if rc != 0 or 'msg="stop requested" signal=SIGQUIT' not in agent.log():
        fail("SIGQUIT: exit %s, expected 0 with a log line:\n%s" % (rc, agent.tail()))
    # The read position was saved: a restart reads nothing again.
    write(conf, base)
    agent = h.spawn("agent-again", [h.agent, "--config", conf])
    wait_for(lambda: "agent started" in agent.log(), 20, "the agent to start again")
    time.sleep(2)
    agent.stop(30)
    wait_stored(db, len(lines), "after a restart")
    col.stop()


def test_collector_keeps_serving_after_sighup_and_takes_the_new_log_level(h):
    db = h.create_database("cfgcol")
    conf = h.path("collector.conf")
    write(conf, "log-level = info\nstats-interval = 1\n")
    col = h.start_collector(db, args=["--config", conf])
    first = event_lines(h.seed(42), 100)
    append(h.path("a.jsonl"), first, "wb")
    run = h.run_agent(col.endpoint, h.path("spool-a"), [h.path("a.jsonl")])
    if run.rc != 0:
        fail("first agent run: exit %s" % run.rc)
    wait_stored(db, len(first), "before SIGHUP")
    if "level=info" not in col.log():
        fail("no info line from the collector at log-level info:\n%s" % col.tail())

    write(conf, "log-level = warn\nstats-interval = 1\nmax-events = 50\nrate-limit = 100000\n")
    col.signal(signal.SIGHUP)
    wait_for(lambda: 'msg="option reloaded" key=log-level old="info" new="warn"' in col.log(), 10,
             "the log level reloaded")
    wait_for(lambda: 'msg="option changed, needs a restart" key=max-events' in col.log(), 10,
             "max-events logged as needing a restart")
    # Registered by the collector's loop (daemon_signals_on_reload): the rate limit changes.
    wait_for(lambda: 'msg="option reloaded" key=rate-limit old="0" new="100000"' in col.log(), 10,
             "the rate limit reloaded")
    wait_for(lambda: 'msg="rate limit changed" rate_limit=100000 rate_burst=5000' in col.log(), 10,
             "the collector to make its new rate limiter")
    if not col.alive():
        fail("the collector ended on SIGHUP (exit %s):\n%s" % (col.rc, col.tail()))
    mark = len(col.log())

    second = event_lines(h.seed(43), 100)
    append(h.path("b.jsonl"), second, "wb")
    run = h.run_agent(col.endpoint, h.path("spool-b"), [h.path("b.jsonl")])
    if run.rc != 0:
        fail("second agent run, after SIGHUP: exit %s" % run.rc)
    time.sleep(2.5)  # past two stats intervals: an info line would be there by now
    wait_stored(db, len(first) + len(second), "after SIGHUP")
    after = col.log()[mark:]
    if "level=info" in after:
        fail("info lines after the level went to warn:\n%s" % after[-2000:])
    rc = col.stop(15)
    if rc != 0:
        fail("collector exit %s after SIGTERM" % rc)


if __name__ == "__main__":
    harness.main(globals())
