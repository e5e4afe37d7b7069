# ctest-timeout: 300
"""Fault 3: PostgreSQL restarted with `pg_ctl restart -m immediate` (a crash: no checkpoint, no
goodbye to the clients) three times, and stopped for a few seconds once, at random moments while one parley-agent --once delivers a stream of
100,000+ events. The test has a PostgreSQL cluster of its own (h.new_cluster) so that the
tests running beside it on the suite's shared cluster are not disturbed. The collector must
ride it out without a restart: acknowledge nothing uncommitted, reconnect, carry on."""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402


def test_postgres_restarted_immediate(h):
    seed = faultlib.pick_seed(h)
    rng = random.Random(seed)
    stream = faultlib.Stream(h, "pg", seed)
    t0 = time.monotonic()
    cluster = h.new_cluster("pg-own")
    log("private PostgreSQL cluster started in %.1f s" % (time.monotonic() - t0))
    db = h.create_database("fault_pg_restart", cluster=cluster)
    col = h.start_collector(db)
    spool = h.path("pg", "spool")
    agent = h.start_agent(col.endpoint, spool, stream.paths)
    committed = faultlib.Committed(db)

    def alive():
        if not col.alive():
            return "the collector exited (status %s):\n%s" % (col.rc, col.tail())
        if not agent.alive():
            return "the agent exited (status %s) before the stream was delivered:\n%s" % (agent.rc, agent.tail())
        return None

    # Three crashes (restart -m immediate), and one outage of a few seconds (the server stopped,
    # then started again) among them, in a random place.
    faults = ["restart"] * 3
    faults.insert(rng.randrange(4), "outage")
    try:
        for i, (kind, at) in enumerate(zip(faults, faultlib.thresholds(rng, len(stream.event_ids), 4, 0.1, 0.85))):
            faultlib.wait_committed(committed, at, 120, "the collector to commit %d events" % at, alive)
            time.sleep(rng.uniform(0, 0.3))
            before = committed()
            t0 = time.monotonic()
            if kind == "restart":
                cluster.restart(immediate=True)
                log("fault %d: pg_ctl restart -m immediate at %d events committed, took %.1f s" % (
                    i + 1, before, time.monotonic() - t0))
            else:
                cluster.stop()
                down = rng.uniform(2, 4)
                time.sleep(down)
                cluster.start()
                log("fault %d: PostgreSQL stopped at %d events committed, started again %.1f s later" % (
                    i + 1, before, time.monotonic() - t0))
            msg = alive()
            if msg:
                fail(msg)
        run = h.finish_agent(agent, timeout=180)
    finally:
        committed.close()
    unavailable = faultlib.log_lines(col, "database unavailable, refusing batches until it is back")
    back = faultlib.log_lines(col, "database available again, taking batches")
    log("collector log: %d \"database unavailable\", %d \"database available again\"; agent log: %d "
        "\"collector refused a batch, will resend\"" % (
            len(unavailable), len(back), len(faultlib.log_lines(agent, "collector refused a batch, will resend"))))
    if not col.alive():
        fail("the collector did not survive the restarts (status %s):\n%s" % (col.rc, col.tail()))
    if not back:
        fail("the collector never said the database was back:\n%s" % col.tail())
    faultlib.finish(h, db, stream, run, spool, [col])


if __name__ == "__main__":
    harness.main(globals())
