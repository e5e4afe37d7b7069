#!/usr/bin/python3
"""CSV form exports end to end (a benchmark, not a test; issue 9): a Google-Forms-style
export of N rows (tests/lib/forms.py, read with examples/forms/google-engagement-log.ini)
through one `parley-agent --once --mapping` and one parley-collector into PostgreSQL with
fsync on, timed from the agent's start to its exit (every row read, parsed, mapped, checked,
spooled, sent, stored and acknowledged), checked against the rows written (the four views).

    /usr/bin/python3 bench/csv_import_rate.py --bin-dir build/collector \\
        --agent build/agent/parley-agent [--rows 50000] [--runs 3] [--layout google|msforms]

A private PostgreSQL cluster with fsync on, in a new directory under /tmp, destroyed at the
end; a fresh database and spool for every run.
"""

import os
import statistics
import sys
import time
import datetime as dt

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))

opts = {"--rows": 50000, "--runs": 1, "--layout": "google"}
argv = sys.argv[1:]
for opt in list(opts):
    if opt in argv:
        i = argv.index(opt)
        opts[opt] = type(opts[opt])(argv[i + 1])
        del argv[i:i + 2]

sys.path.insert(0, HERE)
import benchlib  # noqa: E402

benchlib.start_private_pg("on")

import forms  # noqa: E402
import harness  # noqa: E402


def test_csv_import_rate(h):
    rows = opts["--rows"]
    export = forms.Export(opts["--layout"], seed=7, start=dt.datetime(2022, 1, 3, 9, 0), step_minutes=5)
    export.add_rows(rows)
    path = export.write(h.path("export.csv"))
    size = os.path.getsize(path)
    expected = export.expected()
    rates = []
    for r in range(opts["--runs"]):
        db = h.create_database("csv_bench")
        col = h.start_collector(db)
        spool = h.path("spool-%d" % r)
        t0 = time.monotonic()
        run = h.run_agent(col.endpoint, spool, [path], args=["--mapping", export.mapping], timeout=900)
        took = time.monotonic() - t0
        if run.rc != 0 or run.summary.get("accepted") != rows:
            harness.fail("run %d: %r" % (r + 1, run))
        harness.assert_views(harness.read_views(db), expected, "run %d" % (r + 1))
        col.stop()
        rates.append(rows / took)
        print("RESULT run %d: %d rows (%.1f MB, %s layout) acknowledged in %.2f s: %.0f rows/s "
              "end to end (PostgreSQL fsync on)" % (r + 1, rows, size / 1e6, opts["--layout"], took,
                                                   rows / took), flush=True)
    print("RESULT median of %d: %.0f rows/s" % (len(rates), statistics.median(rates)))


if __name__ == "__main__":
    sys.argv[1:] = argv
    harness.main(globals())
