#!/usr/bin/python3
"""Throughput through one regional hub against direct delivery, in the same run (a benchmark,
not a test): the fault tests' stream (tests/fault/faultlib.py: about 100,000 distinct events
in 116,000 lines) delivered by one parley-agent --once, alternately straight to
parley-collector and through a hub (parley-agent --relay-bind, default options) in front of
it, each into a fresh database, then checked against the generator's ground truth.

Each run is timed from the agent's start until the collector has committed every distinct
event (for direct delivery that is the agent's exit; through the hub, the hub's spool must
also have drained). The agent's own exit through the hub is reported too: that is when the
hub had taken (durably) and acknowledged everything.

    /usr/bin/python3 bench/hub_throughput.py --bin-dir build/collector \\
        --agent build/agent/parley-agent [--pg-fsync on|off] [--runs 3] [--seed N]

--pg-fsync on (the default, like the other benchmarks) or off, as in bench/e2e_throughput.py.
"""

import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fault"))

runs = 1
pg_fsync = "on"
argv = sys.argv[1:]
for opt in ("--runs", "--pg-fsync"):
    if opt in argv:
        i = argv.index(opt)
        if opt == "--runs":
            runs = int(argv[i + 1])
        else:
            pg_fsync = argv[i + 1]
        del argv[i:i + 2]
if pg_fsync not in ("on", "off"):
    sys.exit("--pg-fsync must be on or off")

sys.path.insert(0, HERE)
import benchlib  # noqa: E402

benchlib.start_private_pg(pg_fsync)

import faultlib  # noqa: E402
import harness  # noqa: E402


def test_hub_against_direct(h):
    seed = h.args.seed if h.args.seed is not None else 4242
    stream = faultlib.Stream(h, "bench", seed)
    events = stream.stats["events"]
    rates = {"direct": [], "hub": []}
    for r in range(runs):
        for mode in ("direct", "hub"):
            db = h.create_database("bench_" + mode)
            col = h.start_collector(db)
            spool = h.path("bench", "agent-%s-%d" % (mode, r))
            hub, hub_spool = None, h.path("bench", "hub-%d" % r)
            if mode == "hub":
                hub = faultlib.start_hub(h, "hub", col.endpoint, hub_spool, harness.free_port())
            committed = faultlib.Committed(db)
            t0 = time.monotonic()
            run = h.run_agent(hub.endpoint if hub else col.endpoint, spool, stream.paths, timeout=600)
            acked = time.monotonic() - t0
            if run.rc != 0:
                harness.fail("agent failed: %r" % run)
            faultlib.wait_committed(committed, len(stream.event_ids), 600, "every event committed")
            took = time.monotonic() - t0
            committed.close()
            if hub:
                faultlib.wait_spool_empty(hub_spool, 60, "the hub to drain")
                if hub.stop(timeout=15) != 0:
                    harness.fail("the hub did not stop cleanly:\n" + hub.tail())
            faultlib.stop_collector(col)
            faultlib.assert_events(db, stream)
            faultlib.assert_views(db, stream)
            rate = events / took
            rates[mode].append(rate)
            print("RESULT run %d %-6s (PostgreSQL fsync %s): %d events in %.2f s: %.0f events/s "
                  "committed%s" % (r + 1, mode, pg_fsync, events, took, rate,
                                   "; the agent had every outcome from the hub after %.2f s "
                                   "(%.0f events/s)" % (acked, events / acked) if hub else ""),
                  flush=True)
    d, hb = statistics.median(rates["direct"]), statistics.median(rates["hub"])
    print("RESULT median of %d: direct %.0f events/s, through one hub %.0f events/s (%.0f %%), "
          "PostgreSQL fsync %s" % (runs, d, hb, 100.0 * hb / d, pg_fsync))


if __name__ == "__main__":
    sys.argv[1:] = argv
    harness.main(globals())
