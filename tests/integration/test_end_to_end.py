"""End to end: generated feeds through real parley-agent and parley-collector processes into
PostgreSQL, twice in different orders, compared with the generator's ground truth."""
# ctest-timeout: 900

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import generator  # noqa: E402
import harness  # noqa: E402
from harness import assert_views, check_rejected, fail, read_views  # noqa: E402

FEEDS_A = ["north-housing.jsonl", "crm-export.jsonl", "field-app.jsonl"]
FEEDS_B = ["tenancy-team.jsonl", "policy-team.jsonl"]


def counts(feeds):
    kinds = {}
    for f in feeds:
        for line in f:
            kinds[line.kind] = kinds.get(line.kind, 0) + 1
    return kinds


def expected_counts(feeds):
    """What the agents' summaries must add up to: every line read; the valid ones sent; each
    event_id accepted once; later arrivals with the same content duplicates; the invalid lines
    rejected by the agent and the conflicts (same event_id, other content) by the collector."""
    k = counts(feeds)
    valid = [l for f in feeds for l in f if l.kind in ("event", "resend")]
    distinct = len({l.event.event_id for l in valid})
    return {"read": sum(k.values()),
            "sent": len(valid) + k.get("conflict", 0),
            "accepted": distinct,
            "duplicates": len(valid) - distinct,
            "rejected": k.get("invalid", 0) + k.get("conflict", 0),
            "rejected_by_agent": k.get("invalid", 0),
            "rejected_by_collector": k.get("conflict", 0)}


def check_summaries(runs, feeds):
    """The agents' summary lines add up to what the feeds hold (for the numbers they print)."""
    sums = {}
    for r in runs:
        for key, v in r.summary.items():
            sums[key] = sums.get(key, 0) + v
    if not sums:
        fail("no summary line on the agent's stdout: %r" % [r.stdout for r in runs])
    want = expected_counts(feeds)
    wrong = ["%s %d (expected %d)" % (k, sums[k], v) for k, v in want.items() if k in sums and sums[k] != v]
    if wrong:
        fail("agent summary: %s; stdout: %r" % (", ".join(wrong), [r.stdout.strip() for r in runs]))
    return sums


def test_two_orders_give_the_expected_views(h):
    g = generator.Generator(seed=h.seed(20240704), conversations=h.scale(12000))
    expected = g.expected()
    print("generated:", g.stats(), flush=True)

    # Order A: the feeds as their owners would write them, one agent reading all three.
    feeds_a = g.arrange("natural")
    paths_a, where_a = generator.write_feeds(feeds_a, h.path("a"), FEEDS_A)
    db_a = h.create_database("e2e_a")
    col_a = h.start_collector(db_a)
    t0 = time.monotonic()
    run_a = h.run_agent(col_a.endpoint, h.path("a", "spool"), paths_a, timeout=600)
    took = time.monotonic() - t0
    if run_a.rc != 0:
        fail("agent failed: %r" % run_a)
    print("order A: %d lines in %.1f s (%.0f lines/s); summary %s" % (
        sum(map(len, feeds_a)), took, sum(map(len, feeds_a)) / took, run_a.stdout.strip()), flush=True)
    check_summaries([run_a], feeds_a)
    conflicts_listed = check_rejected([h.path("a", "spool", "rejected.jsonl")], where_a)
    print("order A: rejected.jsonl names every invalid line (and %d conflicts)" % conflicts_listed)
    rc = col_a.stop(timeout=6)
    if rc != 0:
        fail("collector exited with status %s after SIGTERM:\n%s" % (rc, col_a.tail()))
    views_a = read_views(db_a)

    # Order B: shuffled, split differently, two agents at once, each with its own spool.
    feeds_b = g.arrange("shuffled", seed=2, feeds=2)
    paths_b, where_b = generator.write_feeds(feeds_b, h.path("b"), FEEDS_B)
    db_b = h.create_database("e2e_b")
    col_b = h.start_collector(db_b)
    agents = [h.start_agent(col_b.endpoint, h.path("b", "spool-%d" % i), [p], name="agent-b%d" % i)
              for i, p in enumerate(paths_b)]
    runs_b = [h.finish_agent(a, timeout=600) for a in agents]
    for r in runs_b:
        if r.rc != 0:
            fail("agent failed: %r" % r)
    check_summaries(runs_b, feeds_b)
    check_rejected([h.path("b", "spool-%d" % i, "rejected.jsonl") for i in range(len(paths_b))], where_b)
    rc = col_b.stop(timeout=6)
    if rc != 0:
        fail("collector exited with status %s after SIGTERM:\n%s" % (rc, col_b.tail()))
    views_b = read_views(db_b)

    assert_views(views_b, views_a, "database B (shuffled) against database A (natural)")
    assert_views(views_a, expected, "the views against the generator's ground truth")
    p = expected["progress"]
    print("views equal in both orders and to the ground truth: %d conversations, %d constituencies "
          "reached, %d MPs engaged, %d topic rows" % (
              p["conversations"], p["constituencies_reached"], p["mps_engaged"],
              len(expected["constituency_topics"])))

    # The analysts' CLI reads the same store.
    out = h.run_parley(db_a, "progress", "--format", "csv")
    if out.returncode != 0:
        fail("parley progress failed (%d): %s" % (out.returncode, out.stderr.strip()))
    if str(p["conversations"]) not in out.stdout:
        fail("parley progress does not show %d conversations:\n%s" % (p["conversations"], out.stdout))


def test_agent_started_before_the_collector(h):
    """The agent keeps trying while no collector is there; a collector started 2 s later
    still receives everything."""
    g = generator.Generator(seed=h.seed(7), conversations=h.scale(1500))
    feeds = g.arrange("natural", feeds=2)
    paths, where = generator.write_feeds(feeds, h.path("late"), FEEDS_A[:2])
    db = h.create_database("e2e_late")
    port = harness.free_port()
    agent = h.start_agent("tcp://127.0.0.1:%d" % port, h.path("late", "spool"), paths)
    time.sleep(2)
    if not agent.alive():
        fail("the agent gave up before the collector started (exit %s):\n%s" % (agent.rc, agent.tail()))
    col = h.start_collector(db, port=port)
    run = h.finish_agent(agent, timeout=300)
    if run.rc != 0:
        fail("agent failed: %r" % run)
    check_summaries([run], feeds)
    check_rejected([h.path("late", "spool", "rejected.jsonl")], where)
    rc = col.stop(timeout=6)
    if rc != 0:
        fail("collector exited with status %s after SIGTERM:\n%s" % (rc, col.tail()))
    assert_views(read_views(db), g.expected(), "late collector: the views against the ground truth")


if __name__ == "__main__":
    harness.main(globals())
