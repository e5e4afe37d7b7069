# ctest-timeout: 300
"""Fault: two parley-collector processes on one database, two agents sending overlapping
streams through both, and one collector SIGKILLed mid-stream (docs/OPERATIONS.md, "Several
collectors").

Agent A reads feeds 1 and 2 and lists the collectors as (C1, C2); agent B reads feeds 2 and 3
and lists them as (C2, C1). So from the start the events of feed 2 reach both collectors at
once, each committing them under ingest_batch's advisory lock, and each event_id is stored
once however they race: the second arrival is a duplicate (docs/PROTOCOL.md). When C1 is
killed, agent A finds it silent and fails over to C2, resending what C1 had not answered.
At the end parley.event holds each event_id of the stream exactly once, the four views
equal the generator's ground truth, parley-collector verify finds no difference (and none
after parley-collector rebuild, whose views equal the ground truth too), and both spools are
empty."""

import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402


def test_two_collectors_one_killed(h):
    seed = faultlib.pick_seed(h)
    rng = random.Random(seed)
    stream = faultlib.Stream(h, "tc", seed, conversations=20000, min_events=25000)
    db = h.create_database("fault_two_collectors")
    c1 = h.start_collector(db, name="collector-1")
    c2 = h.start_collector(db, name="collector-2")
    spool_a, spool_b = h.path("tc", "spool-a"), h.path("tc", "spool-b")
    a = h.start_agent([c1.endpoint, c2.endpoint], spool_a, stream.paths[0:2], name="agent-a")
    b = h.start_agent([c2.endpoint, c1.endpoint], spool_b, stream.paths[1:3], name="agent-b")
    committed = faultlib.Committed(db)

    def agents_alive():
        for p in (a, b):
            if not p.alive() and p.rc != 0:
                return "%s exited with status %s:\n%s" % (p.name, p.rc, p.tail())
        return None

    at = int(len(stream.event_ids) * rng.uniform(0.2, 0.6))
    try:
        faultlib.wait_committed(committed, at, 180, "the collectors to commit %d events" % at, agents_alive)
        if not a.alive():
            fail("agent A finished before the kill: the stream is too small for this machine")
        time.sleep(rng.uniform(0, 0.5))
        c1.kill()
        log("collector-1 SIGKILLed with %d events committed" % committed())
        run_a = h.finish_agent(a, timeout=240)
        run_b = h.finish_agent(b, timeout=240)
    finally:
        committed.close()
    for run in (run_a, run_b):
        if run.rc != 0:
            fail("%s failed: %r" % (run.proc.name, run))
    failovers = faultlib.log_lines(a, "collector not answering, trying the next endpoint")
    if not failovers:
        fail("agent A never failed over from the killed collector:\n%s" % a.tail())
    log("agent A: %d failover lines; summaries: A %s, B %s" % (
        len(failovers), run_a.stdout.strip(), run_b.stdout.strip()))

    # Each agent's own account: every valid line of its feeds answered once, as accepted or
    # as a duplicate (feed 2 goes through both agents, so its events are accepted once in all).
    for run, feeds in ((run_a, stream.feeds[0:2]), (run_b, stream.feeds[1:3])):
        valid = sum(1 for f in feeds for l in f if l.kind in ("event", "resend"))
        s = run.summary
        if s.get("accepted", 0) + s.get("duplicates", 0) != valid:
            fail("%s: accepted %s + duplicates %s != %d valid lines" % (
                run.proc.name, s.get("accepted"), s.get("duplicates"), valid))
    distinct = len(stream.event_ids)
    accepted = run_a.summary.get("accepted", 0) + run_b.summary.get("accepted", 0)
    if accepted != distinct:
        fail("the agents were told of %d accepted events, the stream has %d distinct ones" % (accepted, distinct))

    faultlib.stop_collector(c2)
    faultlib.assert_all_exited(h)
    faultlib.assert_spool_empty(spool_a)
    faultlib.assert_spool_empty(spool_b)
    faultlib.assert_events(db, stream)
    faultlib.assert_views(db, stream)
    took = {}
    for command in ("verify", "rebuild", "verify"):
        t0 = time.monotonic()
        out = subprocess.run([h.collector, command, "--db", db.conninfo], capture_output=True, text=True,
                             timeout=300)
        took[command] = time.monotonic() - t0
        if out.returncode != 0:
            fail("parley-collector %s exited %d:\n%s%s" % (command, out.returncode, out.stdout[:2000],
                                                          out.stderr))
    faultlib.assert_views(db, stream, "after parley-collector rebuild")
    _, rows = db.query("SELECT pg_total_relation_size('parley.event'), "
                       "pg_total_relation_size('parley.conversation'), (SELECT count(*) FROM parley.event)")
    ev, conv, n = rows[0]
    log("parley-collector verify: no difference, before and after rebuild (verify %.1f s, rebuild %.1f s "
        "for %d events); on disk %.0f bytes per event (parley.event %.0f, parley.conversation %.0f)" % (
            took["verify"], took["rebuild"], n, (ev + conv) / n, ev / n, conv / n))


if __name__ == "__main__":
    harness.main(globals())
