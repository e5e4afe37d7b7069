#!/usr/bin/python3
"""Follow latency (a benchmark, not a test; issue 9): `parley-agent --follow` on a file
while single lines are appended to it at a steady rate, each line timed from its append
(write + flush) to the moment its event is committed in PostgreSQL, which the collector
does just before it acknowledges it (so the figure is the acknowledgement less one loopback
reply). Polled every 2 ms on one connection; prints p50, p90, p99 and the maximum.

    /usr/bin/python3 bench/follow_latency.py --bin-dir build/collector \\
        --agent build/agent/parley-agent [--lines 500] [--rate 20] [--pg-fsync on|off]

A private PostgreSQL cluster (fsync on by default), in a new directory under /tmp,
destroyed at the end. The agent runs with its defaults (group commit: spool fsync at most
every 50 ms).
"""

import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))

opts = {"--lines": 500, "--rate": 20.0, "--pg-fsync": "on"}
argv = sys.argv[1:]
for opt in list(opts):
    if opt in argv:
        i = argv.index(opt)
        opts[opt] = type(opts[opt])(argv[i + 1])
        del argv[i:i + 2]

sys.path.insert(0, HERE)
import benchlib  # noqa: E402

benchlib.start_private_pg(opts["--pg-fsync"])

import generator  # noqa: E402
import harness  # noqa: E402


def pct(sorted_values, p):
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def test_follow_latency(h):
    n = opts["--lines"]
    g = generator.Generator(seed=77, conversations=n, invalid=0, resend_rate=0)
    lines = [l for l in g.arrange("natural", feeds=1)[0] if l.kind == "event"][:n]
    if len(lines) < n:
        harness.fail("the generator gave only %d lines" % len(lines))
    db = h.create_database("follow_latency")
    col = h.start_collector(db)
    path = h.path("follow.jsonl")
    open(path, "wb").close()
    agent = h.start_agent(col.endpoint, h.path("spool"), [path], once=False, args=["--follow"])
    harness.wait_for(lambda: "reading input" in agent.log(), 10, "the agent to open its input")
    conn = None
    harness.wait_for(lambda: _ready(db), 30, "the collector's tables")
    conn = db.connect()
    sent = {}
    seen = {}
    done = threading.Event()

    def poll():
        cur = conn.cursor()
        while not done.is_set() or len(seen) < len(sent):
            waiting = [eid for eid in sent if eid not in seen]
            if waiting:
                cur.execute("SELECT event_id::text FROM parley.event WHERE event_id = ANY(%s::uuid[])",
                            (waiting,))
                now = time.monotonic()
                for (eid,) in cur.fetchall():
                    seen.setdefault(eid, now)
            if done.is_set() and time.monotonic() - last_append[0] > 30:
                break
            time.sleep(0.002)

    last_append = [time.monotonic()]
    t = threading.Thread(target=poll)
    t.start()
    period = 1.0 / opts["--rate"]
    start = time.monotonic()
    with open(path, "ab", buffering=0) as f:
        for i, l in enumerate(lines):
            due = start + i * period
            while time.monotonic() < due:
                time.sleep(max(0, min(0.005, due - time.monotonic())))
            eid = l.event.event_id.lower()
            now = time.monotonic()
            f.write(l.data + b"\n")
            sent[eid] = now
            last_append[0] = now
    done.set()
    t.join(60)
    agent.stop()
    col.stop()
    lat = sorted((seen[e] - sent[e]) * 1000 for e in sent if e in seen)
    if len(lat) != len(sent):
        harness.fail("%d of %d appended lines were never stored" % (len(sent) - len(lat), len(sent)))
    print("RESULT follow latency, append -> committed (acknowledged), %d single appends at %.0f/s, "
          "PostgreSQL fsync %s: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (len(lat), opts["--rate"], opts["--pg-fsync"], pct(lat, 50), pct(lat, 90), pct(lat, 99),
             lat[-1]), flush=True)


def _ready(db):
    try:
        db.query("SELECT 1 FROM parley.event LIMIT 1")
        return True
    except harness.psycopg2.Error:
        return False


if __name__ == "__main__":
    sys.argv[1:] = argv
    harness.main(globals())
