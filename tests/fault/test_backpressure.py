# ctest-timeout: 300
"""Fault 5: a small spool (--spool-max 1M, about 2,000 events) for a stream of 100,000+ events,
so that backpressure engages: first with no collector at all (started late), then with the
collector frozen by SIGSTOP in the middle of the stream and thawed by SIGCONT. While the spool
is full the agent must say so in its log, stop reading (its input positions stand still), keep
the spool within its bound, drop nothing; once released it must finish with exact views."""

import json
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402

SPOOL_MAX = 1024 * 1024
SEGMENT = max(SPOOL_MAX // 8, 128 * 1024)  # as agent/agent.c sizes segments (docs/SPOOL.md)


def positions(spool):
    try:
        with open(os.path.join(spool, "offsets.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    return {e["name"]: (e["offset"], e["line"]) for e in doc.get("files", [])}


def segment_bytes(spool):
    d = os.path.join(spool, "spool")
    total = 0
    for n in os.listdir(d):
        if n.endswith(".seg"):
            try:
                total += os.path.getsize(os.path.join(d, n))
            except FileNotFoundError:
                pass
    return total


def check_paused(agent, spool, what, hold=1.5):
    """The input stands still and the spool keeps within its bound for hold seconds (after
    0.5 s for the last input position to be saved: positions are saved at most every 100 ms,
    once their records are fsynced)."""
    time.sleep(0.5)
    first = positions(spool)
    peak = 0
    deadline = time.monotonic() + hold
    while time.monotonic() < deadline:
        peak = max(peak, segment_bytes(spool))
        time.sleep(0.05)
    last = positions(spool)
    if first != last:
        fail("%s: the agent kept reading while its spool was full: %s -> %s" % (what, first, last))
    # At most the bound, plus the acknowledged part of the oldest segment and the active one.
    if peak > SPOOL_MAX + 2 * SEGMENT:
        fail("%s: the spool's segments hold %d bytes, more than --spool-max %d + 2 segments of %d" % (
            what, peak, SPOOL_MAX, SEGMENT))
    floor, pending, _, _, _ = faultlib.read_spool(spool)
    pending_bytes = sum(20 + 11 + len(r[1].encode()) + len(r[3]) for r in pending)
    log("%s: input paused at %s, %d records (%d bytes) pending, segments %d bytes (bound %d)" % (
        what, {os.path.basename(k): v[1] for k, v in (last or {}).items()}, len(pending), pending_bytes,
        peak, SPOOL_MAX))
    if pending_bytes > SPOOL_MAX:
        fail("%s: %d unacknowledged bytes in the spool, more than --spool-max %d" % (what, pending_bytes, SPOOL_MAX))
    return pending


def test_backpressure_engages_and_releases(h):
    seed = faultlib.pick_seed(h)
    rng = random.Random(seed)
    stream = faultlib.Stream(h, "bp", seed)
    db = h.create_database("fault_backpressure")
    port = harness.free_port()
    spool = h.path("bp", "spool")
    agent = h.start_agent("tcp://127.0.0.1:%d" % port, spool, stream.paths,
                          args=["--spool-max", str(SPOOL_MAX)])

    def agent_alive():
        return None if agent.alive() else "the agent exited (status %s) before the stream was delivered:\n%s" % (
            agent.rc, agent.tail())

    # 1. No collector: the spool fills up, the agent says so and stops reading.
    harness.wait_for(lambda: faultlib.log_lines(agent, "spool full, input paused") or agent_alive(), 30,
                     "the agent to log \"spool full, input paused\"")
    if agent_alive():
        fail(agent_alive())
    log("no collector: %s" % faultlib.log_lines(agent, "spool full, input paused")[0].split("msg=", 1)[1])
    pending = check_paused(agent, spool, "no collector")
    if not pending:
        fail("the spool is full but holds nothing unacknowledged")
    time.sleep(rng.uniform(0, 1.5))

    # 2. The collector arrives: the agent resumes.
    col = h.start_collector(db, port=port)
    committed = faultlib.Committed(db)
    try:
        harness.wait_for(lambda: faultlib.log_lines(agent, "spool has room again, input resumed") or agent_alive(),
                         30, "the agent to log \"spool has room again, input resumed\"")
        if agent_alive():
            fail(agent_alive())
        log("collector started: the agent resumed reading")

        # 3. Frozen collector mid-stream: the spool fills again, input stops again.
        at = int(len(stream.event_ids) * rng.uniform(0.2, 0.7))
        faultlib.wait_committed(committed, at, 120, "the collector to commit %d events" % at, agent_alive)
        col.signal(signal.SIGSTOP)
        t_stop = time.monotonic()
        log("collector frozen with SIGSTOP at %d events committed" % committed())
        before = len(faultlib.log_lines(agent, "collector not answering, trying the next endpoint"))
        # The agent notices the silence (3 s) and its input stops once the spool is full.
        harness.wait_for(lambda: len(faultlib.log_lines(agent, "collector not answering, trying the next endpoint"))
                         > before or agent_alive(), 30, "the agent to notice the frozen collector")
        log("the agent noticed the frozen collector after %.1f s" % (time.monotonic() - t_stop))
        check_paused(agent, spool, "frozen collector")
        time.sleep(rng.uniform(0, 2))
        col.signal(signal.SIGCONT)
        log("collector thawed with SIGCONT after %.1f s" % (time.monotonic() - t_stop))
        run = h.finish_agent(agent, timeout=240)
    finally:
        committed.close()
        col.signal(signal.SIGCONT)
    faultlib.finish(h, db, stream, run, spool, [col])


if __name__ == "__main__":
    harness.main(globals())
