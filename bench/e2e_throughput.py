#!/usr/bin/python3
"""End-to-end throughput without faults (a benchmark, not a test): the fault tests' stream
(tests/fault/faultlib.py: about 100,000 distinct events in 116,000 lines — resends, twins,
amendments, withdrawals, conflicts and invalid lines — in 3 feeds) through one
parley-agent --once and one parley-collector into PostgreSQL, timed from the agent's start to
its exit, then checked against the generator's ground truth exactly as the fault tests do.

    /usr/bin/python3 bench/e2e_throughput.py --bin-dir build/collector \\
        --agent build/agent/parley-agent [--pg-fsync on|off] [--runs 3] [--seed N]

--pg-fsync on (the default, like the other benchmarks): a private PostgreSQL cluster with
fsync on, in a new directory under /tmp, destroyed at the end. off: the same with fsync off,
as the test suite runs it. Every run uses a fresh database and a fresh spool; the agent's
spool uses its default group commit (fsync at most every 50 ms or 1000 records).
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

# Our own cluster, named to the harness through PGHOST/PGPORT (it then uses it as is).
sys.path.insert(0, HERE)
import benchlib  # noqa: E402

benchlib.start_private_pg(pg_fsync)

import faultlib  # noqa: E402
import harness  # noqa: E402


def test_throughput(h):
    seed = h.args.seed if h.args.seed is not None else 4242
    stream = faultlib.Stream(h, "bench", seed)
    rates = []
    for r in range(runs):
        db = h.create_database("bench")
        col = h.start_collector(db)
        spool = h.path("bench", "spool-%d" % r)
        t0 = time.monotonic()
        run = h.run_agent(col.endpoint, spool, stream.paths, timeout=600)
        took = time.monotonic() - t0
        faultlib.finish(h, db, stream, run, spool, [col])
        rate = stream.stats["events"] / took
        rates.append(rate)
        print("RESULT run %d (PostgreSQL fsync %s): %d events (%d lines) in %.2f s: %.0f events/s, "
              "%.0f lines/s end to end" % (r + 1, pg_fsync, stream.stats["events"], stream.lines, took,
                                           rate, stream.lines / took), flush=True)
    print("RESULT median of %d: %.0f events/s (PostgreSQL fsync %s)" % (runs, statistics.median(rates), pg_fsync))


if __name__ == "__main__":
    sys.argv[1:] = argv
    harness.main(globals())
