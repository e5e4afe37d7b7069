# ctest-timeout: 240
"""Fault: a chain of two regional hubs, three association agents → hub A → hub B → collector,
each hub SIGKILLed and restarted once at a random moment while the agents deliver a
generated stream (one feed each, --once).

Both hubs keep a small spool (--spool-max 4M), so backpressure travels down the chain: the
collector paces hub B, whose full spool refuses hub A's batches ("hub spool full, resend
later"), whose full spool in turn refuses the agents'. At the end the views equal the
generator's ground truth, every spool (three agents, two hubs) is empty, every invalid line
is in its agent's rejected.jsonl, every conflict in hub B's (the hub that delivered it to the
collector, naming the connection from hub A it came in on) and none in hub A's (hub B had
accepted everything from it), and every process has exited."""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402

HUB_ARGS = ["--spool-max", "4M", "--resend-timeout", "2000"]
AGENT_ARGS = ["--resend-timeout", "2000"]


def test_chain_of_two_hubs(h):
    seed = faultlib.pick_seed(h)
    rng = random.Random(seed)
    t0 = time.monotonic()
    stream = faultlib.Stream(h, "hc", seed)
    db = h.create_database("fault_hub_chain")
    col = h.start_collector(db)
    port_a, port_b = harness.free_port(), harness.free_port()
    spool_a, spool_b = h.path("hc", "hub-a"), h.path("hc", "hub-b")
    hub_b = faultlib.start_hub(h, "hub-b", col.endpoint, spool_b, port_b, HUB_ARGS)
    hub_a = faultlib.start_hub(h, "hub-a", hub_b.endpoint, spool_a, port_a, HUB_ARGS)
    spools = [h.path("hc", "agent-%d" % i) for i in range(3)]
    agents = [h.start_agent(hub_a.endpoint, spools[i], [stream.paths[i]], args=AGENT_ARGS,
                            name="agent-%d" % i) for i in range(3)]
    committed = faultlib.Committed(db)

    def agents_alive():
        for a in agents:
            if not a.alive() and a.rc != 0:
                return "%s exited with status %s:\n%s" % (a.name, a.rc, a.tail())
        return None

    targets = ["a", "b"]
    rng.shuffle(targets)
    points = faultlib.thresholds(rng, len(stream.event_ids), 2, low=0.1, high=0.7)
    try:
        for n, (at, target) in enumerate(zip(points, targets), 1):
            faultlib.wait_committed(committed, at, 90, "the collector to commit %d events" % at,
                                    agents_alive)
            time.sleep(rng.uniform(0, 0.3))
            if target == "a":
                hub_a.kill()
                log("strike %d: hub A SIGKILLed, %d events committed" % (n, committed()))
                time.sleep(rng.uniform(0, 1.0))
                hub_a = faultlib.start_hub(h, "hub-a", hub_b.endpoint, spool_a, port_a, HUB_ARGS)
            else:
                hub_b.kill()
                log("strike %d: hub B SIGKILLed, %d events committed" % (n, committed()))
                time.sleep(rng.uniform(0, 1.0))
                hub_b = faultlib.start_hub(h, "hub-b", col.endpoint, spool_b, port_b, HUB_ARGS)
        busy = sum(1 for a in agents if a.alive())
        runs = [h.finish_agent(a, timeout=120) for a in agents]
        log("the three agents finished (%d of them still delivering after the last strike)" % busy)
        for hub, spool, name in ((hub_a, spool_a, "hub A"), (hub_b, spool_b, "hub B")):
            faultlib.wait_spool_empty(spool, 60, "%s to forward everything" % name,
                                      lambda: None if hub.alive() else "%s exited:\n%s" % (name, hub.tail()))
    finally:
        committed.close()
    refused = sum(len(faultlib.log_lines(p, "hub spool cannot take batches, refusing them"))
                  for p in h.processes if p.name.startswith("hub-"))
    log("the hubs logged %d episodes of a full spool refusing batches" % refused)
    for proc in (hub_a, hub_b, col):
        rc = proc.stop(timeout=15)
        if rc != 0:
            fail("%s exited with status %s after SIGTERM:\n%s" % (proc.name, rc, proc.tail()))
    faultlib.assert_all_exited(h)
    log("every process has exited")
    for s in spools + [spool_a, spool_b]:
        faultlib.assert_spool_empty(s)
    faultlib.assert_events(db, stream)
    faultlib.assert_views(db, stream)
    faultlib.assert_hub_rejected(stream, [spool_b], spools, hubs_without=[spool_a])
    faultlib.assert_agent_summaries(runs, stream)
    log("done in %.1f s" % (time.monotonic() - t0))


if __name__ == "__main__":
    harness.main(globals())
