# ctest-timeout: 300
"""Garbage at the collector's port (issue 10, "Hostile input"): for a bounded time, over
loopback, while a real parley-agent delivers a generated stream,
  - random bytes on raw TCP connections, and ZMTP greetings cut short at every length;
  - CURVE handshakes with keys the collector does not know, and plaintext (no CURVE) clients;
  - an authorised client sending frames over the size limit;
  - an authorised client sending well-formed PARLEY/1 requests with garbage payloads (random
    bytes, bad UTF-8, JSON that is not an event) and requests of the wrong shape;
  - hundreds of idle raw connections held open throughout (bounded).
The collector must stay up and exit 0 on SIGTERM, keep its peak RSS (VmHWM) within RSS_BOUND,
answer nothing to a client without a known key, answer every garbage request of the
authorised client (each event rejected, or the request refused with ERROR), store none of the
garbage, and the agent's events must all be stored exactly once (views equal to the
generator's ground truth)."""

import os
import random
import re
import socket
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402

import zmq  # noqa: E402

VERSION = b"PARLEY/1"
ATTACK_S = 20            # how long the garbage goes on
IDLE_CONNECTIONS = 400   # raw connections held open meanwhile
RSS_BOUND = 150 * 1024 * 1024  # the collector's VmHWM under all of this
CONVERSATIONS = 4000
AGENT_RUNS = 4
# A ZMTP 3.0 greeting offering CURVE as a client: signature, version, mechanism, as-server,
# filler (64 bytes in all).
GREETING = (b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"CURVE".ljust(20, b"\x00")
            + b"\x00" + b"\x00" * 31)


def vm_hwm(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def tcp_address(endpoint):
    host, port = endpoint[len("tcp://"):].rsplit(":", 1)
    return host, int(port)


class Attack(threading.Thread):
    """Runs step() until stopped; counts its rounds; keeps the first unexpected error."""

    def __init__(self, name, stop):
        super().__init__(daemon=True, name=name)
        self.stop, self.rounds, self.error = stop, 0, None

    def run(self):
        try:
            self.setup()
            while not self.stop.is_set():
                self.step()
                self.rounds += 1
        except Exception as e:  # noqa: BLE001 (reported by the test)
            self.error = "%s: %r" % (self.name, e)
        finally:
            self.teardown()

    def setup(self):
        pass

    def teardown(self):
        pass


class RawBytes(Attack):
    def __init__(self, stop, address, rng):
        super().__init__("random bytes", stop)
        self.address, self.rng = address, rng

    def step(self):
        with socket.create_connection(self.address, timeout=5) as s:
            try:
                s.sendall(self.rng.randbytes(self.rng.randint(1, 65536)))
                s.settimeout(0.2)
                s.recv(4096)
            except (OSError, socket.timeout):
                pass  # the collector hangs up on garbage: that is the point


class CutGreetings(Attack):
    def __init__(self, stop, address):
        super().__init__("cut greetings", stop)
        self.address = address

    def step(self):
        cut = self.rounds % len(GREETING)
        with socket.create_connection(self.address, timeout=5) as s:
            try:
                s.sendall(GREETING[:cut])
                s.settimeout(0.05)
                s.recv(4096)
            except (OSError, socket.timeout):
                pass


class Strangers(Attack):
    """CURVE clients with keys nobody authorised, and plaintext clients: each sends a PING
    and a BATCH; any reply at all is a failure."""

    def __init__(self, stop, ctx, endpoint, server_public):
        super().__init__("unknown keys", stop)
        self.ctx, self.endpoint, self.server_public = ctx, endpoint, server_public
        self.replies = 0

    def step(self):
        s = self.ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.SNDTIMEO, 200)
        if self.rounds % 2 == 0:
            public, secret = zmq.curve_keypair()
            s.setsockopt(zmq.CURVE_PUBLICKEY, public)
            s.setsockopt(zmq.CURVE_SECRETKEY, secret)
            s.setsockopt_string(zmq.CURVE_SERVERKEY, self.server_public)
        s.connect(self.endpoint)
        try:
            s.send_multipart([VERSION, b"PING", b"stranger"])
            s.send_multipart([VERSION, b"BATCH", b"1", b'{"x":1}'])
        except zmq.Again:
            pass  # no pipe: the handshake failed, as it must
        if s.poll(300):
            self.replies += 1
        s.close(0)


class Oversize(Attack):
    """An authorised client whose frames are over the size limit: libzmq drops its
    connection; it reconnects and does it again."""

    def __init__(self, stop, ctx, endpoint):
        super().__init__("oversize frames", stop)
        self.ctx, self.endpoint = ctx, endpoint

    def step(self):
        s = harness.secure(self.ctx.socket(zmq.DEALER))
        s.setsockopt(zmq.LINGER, 0)
        s.connect(self.endpoint)
        size = [65 * 1024, 1024 * 1024, 8 * 1024 * 1024][self.rounds % 3]
        try:
            s.send_multipart([VERSION, b"BATCH", b"1", b"x" * size], zmq.NOBLOCK)
        except zmq.Again:
            pass
        time.sleep(0.2)
        s.close(0)


class GarbagePayloads(Attack):
    """An authorised client that reads its replies: well-formed requests whose events are
    garbage, and requests of the wrong shape. Each must be answered."""

    def __init__(self, stop, ctx, endpoint, rng):
        super().__init__("garbage payloads", stop)
        self.ctx, self.endpoint, self.rng = ctx, endpoint, rng
        self.sent = self.answered = self.accepted = 0

    def setup(self):
        self.s = harness.secure(self.ctx.socket(zmq.DEALER))
        self.s.setsockopt(zmq.LINGER, 0)
        self.s.connect(self.endpoint)
        self.seq = 0

    def teardown(self):
        self.s.close(0)

    def payload(self):
        kind = self.rng.randrange(5)
        if kind == 0:
            return self.rng.randbytes(self.rng.randint(0, 2000))
        if kind == 1:
            return b'{"event_id":"\xff\xfe","association":{"id":"x"}}'
        if kind == 2:
            return b'{"x":' * 200 + b"1" + b"}" * 200
        if kind == 3:
            return b'[1,2,3]'
        return b'{"schema_version":1,"kind":"conversation","event_id":"not-a-uuid"}'

    def step(self):
        self.seq += 1
        if self.rounds % 4 == 3:
            shape = self.rng.choice([[VERSION, b"BATCH"], [VERSION, b"BATCH", b"-1", b"{}"],
                                     [VERSION, b"NOPE", b"1"], [b"PARLEY/9", b"PING", b"t"],
                                     [VERSION, b"BATCH", b"01", b"{}"]])
            request = shape
        else:
            request = [VERSION, b"BATCH", str(self.seq).encode()]
            request += [self.payload() for _ in range(self.rng.randint(1, 50))]
        self.s.send_multipart(request)
        self.sent += 1
        if not self.s.poll(10000):
            raise AssertionError("no answer within 10 s to garbage request %d" % self.sent)
        reply = self.s.recv_multipart()
        self.answered += 1
        if len(reply) >= 2 and reply[1] == b"OUTCOMES":
            self.accepted += sum(1 for o in reply[3:] if not o.startswith(b"rejected"))


class IdleConnections(Attack):
    def __init__(self, stop, address, n):
        super().__init__("idle connections", stop)
        self.address, self.n, self.socks = address, n, []

    def setup(self):
        for _ in range(self.n):
            self.socks.append(socket.create_connection(self.address, timeout=5))

    def step(self):
        self.stop.wait(1)

    def teardown(self):
        for s in self.socks:
            s.close()


def write_chunks(h, stream, n):
    paths, where, chunks = [], {}, []
    for c in range(n):
        part = [f[len(f) * c // n:len(f) * (c + 1) // n] for f in stream.feeds]
        names = ["part%d-%s" % (c + 1, name) for name in faultlib.FEED_NAMES[:len(part)]]
        p, w = faultlib.generator.write_feeds(part, h.path("garbage", "feeds"), names)
        chunks.append(p)
        paths += p
        where.update(w)
    stream.paths, stream.where = paths, where
    return chunks


def test_garbage_never_ends_stalls_or_reaches_the_database(h):
    seed = faultlib.pick_seed(h)
    rng = random.Random(seed)
    stream = faultlib.Stream(h, "garbage", seed, conversations=CONVERSATIONS, min_events=0)
    chunks = write_chunks(h, stream, AGENT_RUNS)
    db = h.create_database("fault_garbage")
    metrics_port = harness.free_port()
    col = h.start_collector(db, args=["--metrics-bind", "127.0.0.1:%d" % metrics_port])
    address = tcp_address(col.endpoint)
    ctx = zmq.Context()
    stop = threading.Event()
    strangers = Strangers(stop, ctx, col.endpoint, h.keys()["server_public"])
    garbage = GarbagePayloads(stop, ctx, col.endpoint, random.Random(seed + 1))
    attacks = [RawBytes(stop, address, random.Random(seed + 2)), CutGreetings(stop, address),
               strangers, Oversize(stop, ctx, col.endpoint), garbage,
               IdleConnections(stop, address, IDLE_CONNECTIONS)]
    for a in attacks:
        a.start()
    t0 = time.monotonic()
    runs = []
    spool = h.path("garbage", "spool")
    try:
        for c, paths in enumerate(chunks):
            run = h.run_agent(col.endpoint, spool, paths, name="agent-%d" % (c + 1), timeout=120)
            if run.rc != 0:
                fail("agent run %d failed under the garbage: %r" % (c + 1, run))
            if not col.alive():
                fail("the collector ended during agent run %d (status %s):\n%s" % (
                    c + 1, col.rc, col.tail()))
            runs.append(run)
        while time.monotonic() - t0 < ATTACK_S and col.alive():
            time.sleep(0.2)
    finally:
        stop.set()
        for a in attacks:
            a.join(30)
    if not col.alive():
        fail("the collector ended (status %s):\n%s" % (col.rc, col.tail()))
    errors = [a.error for a in attacks if a.error]
    if errors:
        fail("; ".join(errors))
    hwm = vm_hwm(col.pid)
    log("%.0f s of garbage: %s; collector VmHWM %.1f MB (bound %.0f MB)" % (
        time.monotonic() - t0, ", ".join("%s %d" % (a.name, a.rounds) for a in attacks),
        hwm / 1e6, RSS_BOUND / 1e6))
    for a in attacks[:4]:
        if a.rounds < 5:
            fail("%s ran only %d rounds: the test did not attack" % (a.name, a.rounds))
    if strangers.replies:
        fail("%d clients without a known key got an answer" % strangers.replies)
    if garbage.answered != garbage.sent or garbage.sent < 20:
        fail("garbage requests: %d sent, %d answered" % (garbage.sent, garbage.answered))
    if garbage.accepted:
        fail("%d garbage events were accepted" % garbage.accepted)
    if hwm > RSS_BOUND:
        fail("the collector's peak RSS is %.1f MB, over the bound of %.0f MB" % (
            hwm / 1e6, RSS_BOUND / 1e6))
    if "handshake failed" not in col.log():
        fail("no failed handshake was logged:\n%s" % col.tail())
    exposition = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port,
                                        timeout=10).read().decode()
    failed = re.search(r"^parley_collector_handshakes_failed_total (\S+)$", exposition, re.M)
    if not failed or float(failed.group(1)) < strangers.rounds // 2:
        fail("handshakes_failed_total %s, at least %d expected (the unknown keys)" % (
            failed and failed.group(1), strangers.rounds // 2))
    ctx.term()
    # Every event stored once and nothing else, the views exact, nothing left to send, the
    # collector exits 0 on SIGTERM.
    faultlib.finish(h, db, stream, runs[-1], spool, [col], summary=False)


if __name__ == "__main__":
    harness.main(globals())
