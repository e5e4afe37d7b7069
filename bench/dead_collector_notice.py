#!/usr/bin/python3
"""How long parley-agent takes to notice a dead collector (a benchmark, not a test; issue 3's
closing note). While an agent delivers a generated stream, the collector is
- frozen with SIGSTOP (the TCP connection stays open, nothing answers: only the agent's own
  liveness check can tell) — time until the agent logs "collector not answering, trying the
  next endpoint"; then SIGCONT and wait for "collector answering";
- killed with SIGKILL (the kernel resets the connection) — time until the agent logs
  "connection to collector lost, will resend unanswered batches"; then a new collector on the
  same port.
Each TRIALS times (default 5), at random moments of the delivery; the times are measured from
just before the signal to the log line's own timestamp. At the end the views are checked
against the generator's ground truth, as the fault tests do.

    /usr/bin/python3 bench/dead_collector_notice.py --bin-dir build/collector \\
        --agent build/agent/parley-agent [--trials 5] [--seed N]

PostgreSQL: the cluster PGHOST/PGPORT name, else a private one (fsync off) in the work dir.
"""

import datetime as dt
import os
import random
import re
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fault"))
import faultlib  # noqa: E402
import harness  # noqa: E402
from faultlib import fail, log  # noqa: E402

trials = 5
argv = sys.argv[1:]
if "--trials" in argv:
    i = argv.index("--trials")
    trials = int(argv[i + 1])
    del argv[i:i + 2]


def stamp(line):
    m = re.match(r"ts=(\S+)Z ", line)
    return dt.datetime.fromisoformat(m.group(1)).replace(tzinfo=dt.timezone.utc).timestamp()


def wait_line(proc, msg, after, timeout):
    """Wall-clock time of the first line msg logged by proc at or after `after`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in faultlib.log_lines(proc, msg):
            t = stamp(line)
            if t >= after:
                return t
        time.sleep(0.02)
    fail("%s did not log %r within %.0f s" % (proc.name, msg, timeout))


def test_notice(h):
    seed = h.args.seed if h.args.seed is not None else 99
    rng = random.Random(seed)
    # Enough to keep the agent busy through every trial (with --resend-timeout's default).
    stream = faultlib.Stream(h, "notice", seed, conversations=h.scale(63000))
    db = h.create_database("notice")
    port = harness.free_port()
    col = h.start_collector(db, port=port)
    collectors = [col]
    spool = h.path("notice", "spool")
    agent = h.start_agent(col.endpoint, spool, stream.paths, once=True)
    committed = faultlib.Committed(db)
    stopped, killed = [], []
    total = len(stream.event_ids)
    points = faultlib.thresholds(rng, total, 2 * trials, 0.05, 0.9)
    kinds = ["stop", "kill"] * trials
    rng.shuffle(kinds)
    for kind, at in zip(kinds, points):
        faultlib.wait_committed(committed, at, 120, "%d events committed" % at)
        time.sleep(rng.uniform(0, 0.5))
        t0 = time.time()
        if kind == "stop":
            col.signal(signal.SIGSTOP)
            t1 = wait_line(agent, "collector not answering, trying the next endpoint", t0, 30)
            col.signal(signal.SIGCONT)
            wait_line(agent, "collector answering", t1, 30)
            stopped.append(t1 - t0)
            log("SIGSTOP: noticed after %.3f s" % (t1 - t0))
        else:
            col.kill()
            t1 = wait_line(agent, "connection to collector lost, will resend unanswered batches", t0, 30)
            killed.append(t1 - t0)
            log("SIGKILL: noticed after %.3f s" % (t1 - t0))
            col = h.start_collector(db, port=port)
            collectors.append(col)
    run = h.finish_agent(agent, timeout=300)
    committed.close()
    faultlib.finish(h, db, stream, run, spool, collectors)
    for name, xs in (("frozen (SIGSTOP)", stopped), ("killed (SIGKILL)", killed)):
        print("RESULT collector %s: noticed after median %.3f s (min %.3f, max %.3f, %d trials)" % (
            name, statistics.median(xs), min(xs), max(xs), len(xs)), flush=True)


if __name__ == "__main__":
    sys.argv[1:] = argv
    harness.main(globals())
