#!/usr/bin/python3
# ctest-timeout: 600
"""The collector's per-agent rate limit (--rate-limit, --rate-burst; docs/COLLECTOR.md): one
agent floods, another sends a little at the same time. The quiet agent's events are
acknowledged promptly; the flooder's are refused with "rate limit exceeded, resend later"
while over its limit, resent by the agent after a pause, and all stored in the end, exactly
once, none dropped; the flood takes about as long as its rate says, not less (the limit
holds) and not much more (nothing starves). A control run without a limit shows the same
feeds go through at once.

Usage (tests/lib/harness.py): test_rate_limit.py --agent PATH --collector PATH --parley PATH
[--work-dir DIR] [--keep]
"""
import csv
import datetime as dt
import json
import os
import re
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("PARLEY_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "lib"))
import harness  # noqa: E402

RATE = 400         # events a second per agent
BURST = 400
FLOOD = 4000       # the flooder's events: about (4000 - 400) / 400 = 9 s under the limit
QUIET = 200        # the quiet agent's events, within its own burst

Failure = harness.TestFailure


def check(cond, what):
    if not cond:
        raise Failure(what)


def check_eq(got, want, what):
    if got != want:
        raise Failure("%s: got %r, want %r" % (what, got, want))


def feed(h, name, n, assoc, role):
    with open(os.path.join(SOURCE_DIR, "common", "data", "constituencies-2024.csv"), newline="",
              encoding="utf-8") as f:
        codes = [r["code"] for r in csv.DictReader(f)]
    today = dt.date.today()
    ids, lines = [], []
    for i in range(n):
        eid = str(uuid.uuid5(uuid.NAMESPACE_URL, "rate/%s/%d" % (name, i)))
        day = today - dt.timedelta(days=1 + i % 300)
        ev = {"event_id": eid, "type": "conversation.reported",
              "reported_at": "%sT10:00:00Z" % day.isoformat(), "occurred_on": day.isoformat(),
              "association": {"id": assoc}, "constituency": {"code": codes[i % len(codes)]},
              "stakeholder": {"role": role, "name": "Person %s %d" % (name, i)}, "notes": "n%d" % i}
        ids.append(eid)
        lines.append(json.dumps(ev))
    path = h.path("%s.jsonl" % name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path, ids


def run_pair(h, label, args):
    db = h.create_database(label)
    flood_path, flood_ids = feed(h, "flood-" + label, FLOOD, "FLOODER", "councillor")
    quiet_path, quiet_ids = feed(h, "quiet-" + label, QUIET, "QUIET", "peer")
    col = h.start_collector(db, args=args, name="collector-" + label)
    t0 = time.monotonic()
    flooder = h.start_agent(col.endpoint, h.path("spool-flood-" + label), [flood_path],
                            args=["--batch", "100", "--window", "8"], name="flooder-" + label)
    # The flood is under way (its burst spent) before the quiet agent starts.
    time.sleep(1.5)
    tq = time.monotonic()
    quiet = h.run_agent(col.endpoint, h.path("spool-quiet-" + label), [quiet_path],
                        args=["--batch", "100"], name="quiet-" + label, timeout=120)
    quiet_s = time.monotonic() - tq
    flooded_meanwhile = flooder.poll() is None
    frun = h.finish_agent(flooder, timeout=300)
    flood_s = time.monotonic() - t0
    col.stop()
    check(quiet.rc == 0, "quiet agent: %r" % quiet)
    check(frun.rc == 0, "flooder: %r" % frun)
    check_eq((quiet.summary.get("accepted"), quiet.summary.get("rejected")), (QUIET, 0), "quiet agent's outcomes")
    check_eq((frun.summary.get("accepted"), frun.summary.get("duplicates"), frun.summary.get("rejected")),
             (FLOOD, 0, 0), "flooder's outcomes: all accepted once")
    _, rows = db.query("SELECT event_id::text FROM parley.event")
    stored = [r[0] for r in rows]
    check_eq(len(stored), len(set(stored)), "each event stored once")
    check_eq(set(stored), set(flood_ids) | set(quiet_ids), "every event stored, none dropped")
    _, rows = db.query("SELECT conversations FROM parley.progress")
    check_eq(rows[0][0], FLOOD + QUIET, "every conversation counted once")
    totals = [l for l in col.log().splitlines() if "ingest totals" in l][-1]
    refused = int(re.search(r"refused_batches=(\d+)", totals).group(1))
    print("%s: quiet agent %d events in %.2f s (flood still running: %s); flooder %d events in %.2f s "
          "(%.0f events/s); collector refused %d batches" % (label, QUIET, quiet_s, flooded_meanwhile, FLOOD,
                                                             flood_s, FLOOD / flood_s, refused), flush=True)
    return quiet_s, flood_s, refused, flooded_meanwhile


def test_without_a_limit_both_go_through_at_once(h):
    quiet_s, flood_s, refused, _ = run_pair(h, "nolimit", [])
    check_eq(refused, 0, "no batch refused without a limit")


def test_a_flooder_is_held_to_its_rate_and_the_other_agent_is_served_promptly(h):
    quiet_s, flood_s, refused, meanwhile = run_pair(
        h, "limited", ["--rate-limit", str(RATE), "--rate-burst", str(BURST)])
    check(meanwhile, "the quiet agent finished while the flood was still held back")
    check(refused > 0, "the flooder was refused while over its limit (%d)" % refused)
    # Held to the limit: the flood cannot finish faster than its rate allows.
    floor_s = (FLOOD - BURST) / RATE
    check(flood_s >= floor_s * 0.9, "the flood took %.1f s, at least %.1f s at %d/s" % (flood_s, floor_s, RATE))
    # Nothing starved: at most three times its ideal time (resends come 1 to 2 s after a
    # refusal), on a loaded machine.
    check(flood_s <= floor_s * 3 + 10, "the flood took %.1f s (ideal %.1f s)" % (flood_s, floor_s))
    # The quiet agent is served as if alone: generous on a shared machine.
    check(quiet_s < 10, "the quiet agent took %.1f s" % quiet_s)


if __name__ == "__main__":
    harness.main(globals())
