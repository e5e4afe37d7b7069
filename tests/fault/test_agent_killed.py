# ctest-timeout: 300
"""Fault 2: parley-agent killed with SIGKILL and restarted, at random moments, at least 5
times during a stream of 100,000+ events: some kills while it is still reading its feeds
(its input positions in DIR/offsets.json must neither skip nor lose a line), the others while
it delivers its spool. The agents run without --once while being killed; a last
parley-agent --once over the same inputs finishes the job. The views must come out exact."""

import json
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402


def read_position(spool):
    """Bytes of input taken so far, from DIR/offsets.json (0 before the first save)."""
    try:
        with open(os.path.join(spool, "offsets.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return 0
    return sum(int(e.get("offset", 0)) for e in doc.get("files", []))


def test_agent_killed_and_restarted(h):
    seed = faultlib.pick_seed(h)
    rng = random.Random(seed)
    stream = faultlib.Stream(h, "ka", seed)
    total_bytes = sum(os.path.getsize(p) for p in stream.paths)
    db = h.create_database("fault_kill_agent")
    col = h.start_collector(db)
    spool = h.path("ka", "spool")
    committed = faultlib.Committed(db)

    def start():
        return h.start_agent(col.endpoint, spool, stream.paths, once=False)

    def alive(a):
        def check():
            if not col.alive():
                return "the collector exited (status %s):\n%s" % (col.rc, col.tail())
            if not a.alive():
                return "the agent exited (status %s) by itself:\n%s" % (a.rc, a.tail())
            return None
        return check

    # Moments: while reading (at random shares of the input bytes taken, as saved in
    # offsets.json), then while delivering (at random shares of the events committed).
    n_read = rng.randint(2, 3)
    n_deliver = rng.randint(3, 4)
    read_points = faultlib.thresholds(rng, total_bytes, n_read, 0.05, 0.8)
    deliver_points = faultlib.thresholds(rng, len(stream.event_ids), n_deliver, 0.3, 0.9)
    agents = []
    kills = 0
    try:
        agent = start()
        agents.append(agent)
        for at in read_points:
            check = alive(agent)
            deadline = time.monotonic() + 120
            while read_position(spool) < at:
                msg = check()
                if msg:
                    fail(msg)
                if time.monotonic() > deadline:
                    fail("timed out waiting for the agent to read %d bytes of input" % at)
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.05))
            agent.kill()
            kills += 1
            log("kill %d: agent SIGKILLed while reading, offsets.json at %d of %d bytes, %d events committed" % (
                kills, read_position(spool), total_bytes, committed()))
            time.sleep(rng.uniform(0, 0.5))
            agent = start()
            agents.append(agent)
        for at in deliver_points:
            faultlib.wait_committed(committed, at, 120, "the collector to commit %d events" % at, alive(agent))
            time.sleep(rng.uniform(0, 0.3))
            agent.kill()
            kills += 1
            log("kill %d: agent SIGKILLed while delivering, offsets.json at %d of %d bytes, %d events committed" % (
                kills, read_position(spool), total_bytes, committed()))
            time.sleep(rng.uniform(0, 0.5))
            agent = start()
            agents.append(agent)
        # The last one without --once is killed at a random moment too, then --once finishes.
        time.sleep(rng.uniform(0, 1.0))
        agent.kill()
        kills += 1
        log("kill %d: agent SIGKILLed, %d events committed" % (kills, committed()))
        if kills < 5:
            fail("only %d kills" % kills)
        run = h.run_agent(col.endpoint, spool, stream.paths, timeout=180, name="agent-once")
        log("the --once agent finished: %s" % run.stdout.strip())
    finally:
        committed.close()
    resumed = []
    for a in agents[1:] + [run.proc]:
        for l in faultlib.log_lines(a, "reading input"):
            m = re.search(r'input="[^"]*/([^"/]+)" from_line=(\d+)', l)
            if m and m.group(2) != "1":
                resumed.append("%s:%s" % m.groups())
    log("restarted agents resumed inputs at %s" % ", ".join(resumed))
    # After a kill -9 the lines of the last fraction of a second may be read again (their
    # position was not yet saved): they come back as duplicates; invalid ones appear twice in
    # rejected.jsonl. Report how many, for the record.
    seen, twice = set(), 0
    for source, line, _ in harness.read_rejected(os.path.join(spool, "rejected.jsonl")):
        twice += (source, line) in seen
        seen.add((source, line))
    log("rejected.jsonl: %d lines listed more than once (read again after a kill)" % twice)
    if run.summary.get("read", 0) >= stream.lines:
        fail("the --once run read every line again (%d): the input positions were not used" % run.summary["read"])
    faultlib.finish(h, db, stream, run, spool, [col], summary=False)


if __name__ == "__main__":
    harness.main(globals())
