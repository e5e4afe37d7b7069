# ctest-timeout: 300
"""Hostile clients (issue 10, "Remote crash" and "One slow reader slows everyone"): while a
real parley-agent delivers a generated stream to a collector, over loopback,
  - a client floods PINGs without reading a single PONG, then disconnects (linger 0), several
    times in a row: libzmq 4.3.4 aborted the collector 1.7-3.4 s later with
    `Assertion failed: !_io_error (src/stream_engine_base.cpp:331)` (a ZMTP heartbeat due on
    a connection whose input had stopped and then failed);
  - a client sends 1,000-event batches as fast as it may and never reads a reply: one
    blocking send per reply to its full pipe slowed the collector to a batch a second for
    everyone;
  - a well-behaved probe client pings every 200 ms and times the PONGs.
The collector must still run at the end and exit 0 on SIGTERM, keep its peak RSS (VmHWM)
within RSS_BOUND, answer the probe within PROBE_MAX_S at every moment, and the agent's
events must all be stored exactly once (views equal to the generator's ground truth)."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402

import zmq  # noqa: E402

VERSION = b"PARLEY/1"
FLOODS = 4               # PING floods, each followed by a disconnect
FLOOD_PINGS = 200000     # PINGs per flood
FLOOD_AFTER_S = 4.5      # the crash came 1.7-3.4 s after the disconnect
SLOW_BATCH = 1000        # events per batch of the slow reader
PROBE_MAX_S = 3.0        # the agent takes 3 s of silence for a dead collector (PROTOCOL.md 7)
RSS_BOUND = 120 * 1024 * 1024  # the collector's VmHWM (55 MB measured for this load)
CONVERSATIONS = 8000     # about 13,000 events for the agent
AGENT_RUNS = 8           # the stream in parts, one parley-agent --once run each
AGENT_PAUSE_S = 3.0      # between runs, so that they spread over the floods


def vm_hwm(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def dealer(ctx, endpoint, sndhwm=1000, rcvhwm=1000):
    s = harness.secure(ctx.socket(zmq.DEALER))  # an authorised client can be hostile too
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.SNDHWM, sndhwm)
    s.setsockopt(zmq.RCVHWM, rcvhwm)
    s.connect(endpoint)
    return s


def flood(ctx, endpoint, n, zmtp_heartbeats=False):
    """n PINGs queued without reading anything, pushed for a moment, then the socket closed.
    With zmtp_heartbeats, the client's own ZMTP PINGs (which the server's libzmq answers)
    are mixed into the flood."""
    s = harness.secure(ctx.socket(zmq.DEALER))
    if zmtp_heartbeats:
        s.setsockopt(zmq.HEARTBEAT_IVL, 100)
        s.setsockopt(zmq.HEARTBEAT_TTL, 3000)
        s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3000)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.SNDHWM, 0)
    s.setsockopt(zmq.RCVHWM, 1)
    s.connect(endpoint)
    token = b"x" * 63
    for _ in range(n):
        s.send_multipart([VERSION, b"PING", token])
    time.sleep(1.5)  # long enough for the collector's queue to this peer to fill
    s.close(0)


class SlowReader(threading.Thread):
    """Sends 1,000-event batches while it may (its own queue bounded), never reads a reply.
    The events are invalid ({"x":N}): rejected, they leave the views alone."""

    def __init__(self, ctx, endpoint):
        super().__init__(daemon=True)
        self.ctx, self.endpoint = ctx, endpoint
        self.stop = threading.Event()
        self.sent = 0

    def run(self):
        s = dealer(self.ctx, self.endpoint, sndhwm=8, rcvhwm=1)
        seq = 1
        while not self.stop.is_set():
            frames = [VERSION, b"BATCH", str(seq).encode()]
            frames += [b'{"x":%d}' % i for i in range(SLOW_BATCH)]
            try:
                s.send_multipart(frames, zmq.NOBLOCK)
                seq += 1
                self.sent += 1
            except zmq.Again:
                time.sleep(0.01)
        s.close(0)


class Probe(threading.Thread):
    """A client that reads: a PING every 200 ms; the longest wait for a PONG."""

    def __init__(self, ctx, endpoint):
        super().__init__(daemon=True)
        self.ctx, self.endpoint = ctx, endpoint
        self.stop = threading.Event()
        self.worst = 0.0
        self.pongs = 0

    def run(self):
        s = dealer(self.ctx, self.endpoint)
        poller = zmq.Poller()
        poller.register(s, zmq.POLLIN)
        n = 0
        while not self.stop.is_set():
            n += 1
            token = str(n).encode()
            t0 = time.monotonic()
            s.send_multipart([VERSION, b"PING", token], zmq.NOBLOCK)
            while not self.stop.is_set():
                if poller.poll(100):
                    frames = s.recv_multipart()
                    if frames[1:] == [b"PONG", token]:
                        self.pongs += 1
                        break
                waited = time.monotonic() - t0
                self.worst = max(self.worst, waited)
                if waited > 10:
                    break  # lost (or the collector is gone): ping again
            self.worst = max(self.worst, time.monotonic() - t0)
            self.stop.wait(0.2)
        s.close(0)


def write_chunks(h, stream, n):
    """The stream's feeds cut into n parts, each written as files of its own, for n agent runs
    one after another on the same spool; stream.paths and stream.where then name them all."""
    paths, where, chunks = [], {}, []
    for c in range(n):
        part = [f[len(f) * c // n:len(f) * (c + 1) // n] for f in stream.feeds]
        names = ["part%d-%s" % (c + 1, name) for name in faultlib.FEED_NAMES[:len(part)]]
        p, w = faultlib.generator.write_feeds(part, h.path("hostile", "feeds"), names)
        chunks.append(p)
        paths += p
        where.update(w)
    stream.paths, stream.where = paths, where
    return chunks


class Floods(threading.Thread):
    def __init__(self, ctx, col):
        super().__init__(daemon=True)
        self.ctx, self.col = ctx, col
        self.error = None
        self.done = 0

    def run(self):
        for i in range(FLOODS):
            t0 = time.monotonic()
            flood(self.ctx, self.col.endpoint, FLOOD_PINGS, zmtp_heartbeats=i % 2 == 1)
            time.sleep(FLOOD_AFTER_S)
            if not self.col.alive():
                self.error = "flood %d: the collector ended (status %s):\n%s" % (
                    i + 1, self.col.rc, self.col.tail())
                return
            self.done += 1
            log("flood %d of %d PINGs%s and a disconnect: collector still up (%.1f s)" % (
                i + 1, FLOOD_PINGS, " (with ZMTP heartbeats)" if i % 2 == 1 else "",
                time.monotonic() - t0))


def test_hostile_clients_do_not_end_or_stall_the_collector(h):
    seed = faultlib.pick_seed(h)
    stream = faultlib.Stream(h, "hostile", seed, conversations=CONVERSATIONS, min_events=0)
    chunks = write_chunks(h, stream, AGENT_RUNS)
    db = h.create_database("fault_hostile")
    col = h.start_collector(db)
    ctx = zmq.Context()
    probe = Probe(ctx, col.endpoint)
    slow = SlowReader(ctx, col.endpoint)
    floods = Floods(ctx, col)
    spool = h.path("hostile", "spool")
    probe.start()
    slow.start()
    floods.start()
    runs = []
    try:
        # The agent's stream goes in parts while the floods go on.
        for c, paths in enumerate(chunks):
            agent = h.start_agent(col.endpoint, spool, paths, name="agent-%d" % (c + 1))
            deadline = time.monotonic() + 60
            while agent.alive() and col.alive() and time.monotonic() < deadline:
                time.sleep(0.1)
            if not col.alive():
                fail("the collector ended during agent run %d (status %s):\n%s" % (
                    c + 1, col.rc, col.tail()))
            run = h.finish_agent(agent, timeout=1)
            if run.rc != 0:
                fail("agent run %d failed: %r" % (c + 1, run))
            runs.append(run)
            if floods.is_alive():
                floods.join(AGENT_PAUSE_S)
        floods.join(120)
    finally:
        slow.stop.set()
        probe.stop.set()
        slow.join(15)
        probe.join(15)
    if floods.error:
        fail(floods.error)
    if floods.done != FLOODS:
        fail("only %d of %d floods ran" % (floods.done, FLOODS))
    if not col.alive():
        fail("the collector ended (status %s):\n%s" % (col.rc, col.tail()))
    ctx.term()
    hwm = vm_hwm(col.pid)
    log("%d agent runs; slow reader sent %d batches of %d events; probe: %d PONGs, longest wait "
        "%.2f s; collector VmHWM %.1f MB (bound %.0f MB)" % (
            len(runs), slow.sent, SLOW_BATCH, probe.pongs, probe.worst, hwm / 1e6, RSS_BOUND / 1e6))
    if slow.sent < 20:
        fail("the slow reader sent only %d batches: the test did not load the collector" % slow.sent)
    if probe.worst > PROBE_MAX_S:
        fail("a well-behaved client waited %.1f s for a PONG (at most %.1f s allowed)" % (
            probe.worst, PROBE_MAX_S))
    if hwm > RSS_BOUND:
        fail("the collector's peak RSS is %.1f MB, over the bound of %.0f MB" % (
            hwm / 1e6, RSS_BOUND / 1e6))
    # Every event stored once, the views exact, nothing left to send (a further --once run
    # over all the parts reads and sends nothing), the collector exits 0 on SIGTERM.
    faultlib.finish(h, db, stream, runs[-1], spool, [col], summary=False)


if __name__ == "__main__":
    harness.main(globals())
