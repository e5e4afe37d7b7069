# ctest-timeout: 300
"""Fault 4: no collector for the first part of a stream of 100,000+ events. parley-agent --once
starts with an endpoint nobody listens on; it must read and spool its feeds, keep trying
(and say in its log that the collector is not answering), and deliver everything exactly
once to a collector started a random few seconds later on that endpoint."""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402


def test_collector_started_late(h):
    seed = faultlib.pick_seed(h)
    rng = random.Random(seed)
    stream = faultlib.Stream(h, "late", seed)
    db = h.create_database("fault_collector_late")
    port = harness.free_port()
    endpoint = "tcp://127.0.0.1:%d" % port
    spool = h.path("late", "spool")
    agent = h.start_agent(endpoint, spool, stream.paths)
    t0 = time.monotonic()
    # At least one "not answering" (3 s of silence), then a random while longer.
    harness.wait_for(lambda: faultlib.log_lines(agent, "collector not answering, trying the next endpoint")
                     or not agent.alive(), 30, "the agent to notice that no collector answers")
    if not agent.alive():
        fail("the agent gave up without a collector (status %s):\n%s" % (agent.rc, agent.tail()))
    time.sleep(rng.uniform(0.5, 4.0))
    if not agent.alive():
        fail("the agent gave up without a collector (status %s):\n%s" % (agent.rc, agent.tail()))
    floor, pending, _, _, _ = faultlib.read_spool(spool)
    absent = time.monotonic() - t0
    log("no collector for %.1f s: the agent spooled %d records meanwhile (floor %d), said %d time(s) "
        "\"collector not answering\"" % (absent, len(pending), floor,
                                         len(faultlib.log_lines(agent, "collector not answering, trying the next endpoint"))))
    if floor != 0:
        fail("the spool's floor moved to %d with no collector to acknowledge anything" % floor)
    if not pending:
        fail("the agent spooled nothing while the collector was away")
    col = h.start_collector(db, port=port)
    t1 = time.monotonic()
    run = h.finish_agent(agent, timeout=180)
    log("collector started; the agent finished %.1f s later" % (time.monotonic() - t1))
    faultlib.finish(h, db, stream, run, spool, [col])


if __name__ == "__main__":
    harness.main(globals())
