# ctest-timeout: 240
"""Fault: a regional hub (parley-agent --relay-bind) between three association agents and the
collector, SIGKILLed and restarted at least 3 times, and the collector once, at random moments
while the agents deliver a generated stream (one feed each, --once).

A hub acknowledges a batch only once it is durable in its own spool, so a kill loses nothing
it acknowledged; what it had not acknowledged the agents resend on their next connection, and
what it had forwarded but not had answered it resends itself after its restart: the collector
absorbs every repeat as a duplicate (docs/PROTOCOL.md § 11). At the end the views equal the
generator's ground truth, every spool (the agents' and the hub's) is empty, every invalid line
is in its agent's rejected.jsonl and every conflict in the hub's, and every process has exited.

The hub's spool is kept small (--spool-max 4M, a few thousand events), so that it fills and
refuses batches ("hub spool full, resend later") whenever the agents run ahead of the
collector: the agents are then paced by the collector, still delivering when the strikes
come, so the kills cut both legs (agents → hub and hub → collector) and the refusals are part
of the run. The agents resend a refused batch within 1-2 s (--resend-timeout 2000)."""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402

HUB_ARGS = ["--spool-max", "4M"]
AGENT_ARGS = ["--resend-timeout", "2000"]


def test_hub_killed_and_restarted(h):
    seed = faultlib.pick_seed(h)
    rng = random.Random(seed)
    t0 = time.monotonic()
    stream = faultlib.Stream(h, "hk", seed)
    db = h.create_database("fault_hub_killed")
    col_port, hub_port = harness.free_port(), harness.free_port()
    col = h.start_collector(db, port=col_port)
    collectors = [col]
    hub_spool = h.path("hk", "hub")
    hub = faultlib.start_hub(h, "hub", col.endpoint, hub_spool, hub_port, HUB_ARGS)
    hubs = [hub]
    spools = [h.path("hk", "agent-%d" % i) for i in range(3)]
    agents = [h.start_agent(hub.endpoint, spools[i], [stream.paths[i]], args=AGENT_ARGS,
                            name="agent-%d" % i) for i in range(3)]
    committed = faultlib.Committed(db)

    def agents_alive():
        for a in agents:
            if not a.alive() and a.rc != 0:
                return "%s exited with status %s:\n%s" % (a.name, a.rc, a.tail())
        return None

    # Strikes at random shares of the stream committed: three or four at the hub and one at
    # the collector, in a random order; each a random instant after its point.
    targets = ["hub"] * rng.randint(3, 4) + ["collector"]
    rng.shuffle(targets)
    points = faultlib.thresholds(rng, len(stream.event_ids), len(targets), low=0.08, high=0.85)
    try:
        for n, (at, target) in enumerate(zip(points, targets), 1):
            faultlib.wait_committed(committed, at, 90, "the collector to commit %d events" % at,
                                    agents_alive)
            time.sleep(rng.uniform(0, 0.3))
            if target == "hub":
                hub.kill()
                log("strike %d: hub SIGKILLed, %d events committed" % (n, committed()))
                time.sleep(rng.uniform(0, 1.0))
                hub = faultlib.start_hub(h, "hub", col.endpoint, hub_spool, hub_port, HUB_ARGS)
                hubs.append(hub)
            else:
                col.kill()
                log("strike %d: collector SIGKILLed, %d events committed" % (n, committed()))
                time.sleep(rng.uniform(0, 1.0))
                col = h.start_collector(db, port=col_port)
                collectors.append(col)
        busy = sum(1 for a in agents if a.alive())
        runs = [h.finish_agent(a, timeout=120) for a in agents]
        log("the three agents finished (%d of them still delivering after the last strike)" % busy)
        if busy == 0:
            fail("every agent had finished before the last strike: the strikes did not cut the "
                 "agents' leg")
        faultlib.wait_spool_empty(hub_spool, 60, "the hub to forward everything",
                                  lambda: None if hub.alive() else "the hub exited:\n" + hub.tail())
    finally:
        committed.close()
    lost = sum(len(faultlib.log_lines(a, "connection to collector lost, will resend unanswered batches"))
               for a in agents)
    refused = sum(len(faultlib.log_lines(a, "collector refused a batch, will resend")) for a in agents)
    log("agents' logs: %d \"connection to collector lost\", %d \"collector refused a batch\" (their "
        "collector is the hub)" % (lost, refused))
    for proc in (hub, col):
        rc = proc.stop(timeout=15)
        if rc != 0:
            fail("%s exited with status %s after SIGTERM:\n%s" % (proc.name, rc, proc.tail()))
    faultlib.assert_all_exited(h)
    log("every process has exited")
    for s in spools + [hub_spool]:
        faultlib.assert_spool_empty(s)
    faultlib.assert_events(db, stream)
    faultlib.assert_views(db, stream)
    faultlib.assert_hub_rejected(stream, [hub_spool], spools)
    faultlib.assert_agent_summaries(runs, stream)
    log("done in %.1f s" % (time.monotonic() - t0))


if __name__ == "__main__":
    harness.main(globals())
