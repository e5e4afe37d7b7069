# ctest-timeout: 300
"""Fault 1: parley-collector killed with SIGKILL and restarted, at random moments, at least 5
times while one parley-agent --once delivers a stream of 100,000+ events. Nothing may be lost
or counted twice: the events committed before a kill and not yet answered come back as
resends, which the collector must absorb as duplicates."""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402


def test_collector_killed_and_restarted(h):
    seed = faultlib.pick_seed(h)
    rng = random.Random(seed)
    stream = faultlib.Stream(h, "kc", seed)
    db = h.create_database("fault_kill_collector")
    port = harness.free_port()
    col = h.start_collector(db, port=port)
    collectors = [col]
    spool = h.path("kc", "spool")
    agent = h.start_agent(col.endpoint, spool, stream.paths)
    committed = faultlib.Committed(db)

    def agent_alive():
        return None if agent.alive() else "the agent exited (status %s) before the stream was delivered:\n%s" % (
            agent.rc, agent.tail())

    # Kill when the collector has committed a random share of the stream (so every kill is
    # really during the stream, however fast the machine), a random instant later; after
    # some restarts kill again at once, while it connects and checks its schema.
    points = faultlib.thresholds(rng, len(stream.event_ids), rng.randint(5, 7))
    kills = 0
    try:
        for at in points:
            faultlib.wait_committed(committed, at, 120, "the collector to commit %d events" % at, agent_alive)
            time.sleep(rng.uniform(0, 0.3))
            burst = 1 + (rng.random() < 0.3)
            for b in range(burst):
                if b:
                    time.sleep(rng.uniform(0, 0.3))
                col.kill()
                kills += 1
                log("kill %d: collector SIGKILLed (%s), %d events committed" % (
                    kills, "during its start" if b else "while delivering", committed()))
                time.sleep(rng.uniform(0, 1.5))
                col = h.start_collector(db, port=port, wait=(b == burst - 1))
                collectors.append(col)
        if kills < 5:
            fail("only %d kills" % kills)
        run = h.finish_agent(agent, timeout=180)
        log("agent finished after %d collector kills" % kills)
    finally:
        committed.close()
    lost = faultlib.log_lines(agent, "connection to collector lost, will resend unanswered batches")
    log("agent log: %d \"connection to collector lost\", %d \"no outcomes for batch, resending\"" % (
        len(lost), len(faultlib.log_lines(agent, "no outcomes for batch, resending"))))
    faultlib.finish(h, db, stream, run, spool, collectors)


if __name__ == "__main__":
    harness.main(globals())
