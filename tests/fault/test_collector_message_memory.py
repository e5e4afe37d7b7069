# ctest-timeout: 300
"""Memory per message (issue 10): libzmq assembles a whole multipart message, however many
frames it has, before the collector can see it; ZMQ_MAXMSGSIZE (64 KiB) counts one frame,
RCVHWM whole messages. One BATCH of 16,000 frames of 64 KiB took the collector to 1.04 GB.
While a real parley-agent delivers a generated stream over loopback, raw ZMTP clients (the
greeting and READY written by hand, as a hostile client would) send, one after another:
  - "issue": the message of the issue, 16,000 frames of 64 KiB (1 GiB), then its end;
  - "unfinished": 64 KiB frames with MORE set that never end, up to 2 GiB;
  - "empty": 20 million empty frames with MORE set (40 MB on the wire, about 64 bytes each
    at the collector: 1.3 GB), then the end;
  - "largest": the largest BATCH the protocol lets through whole: 5,000 event frames of
    64 KiB (320 MiB; each event over 16 KiB, so each rejected by its outcome).
The collector's memory guard (common/wire_server.h) drops every connection once its resident
memory is over 512 MiB (and stays so after malloc_trim), so its peak RSS (VmHWM) must stay within RSS_BOUND, it must still run and exit
0 on SIGTERM, and the agent's events must all be stored exactly once (the views equal to the
generator's ground truth): the agent reconnects and resends what was unanswered."""

import os
import re
import socket
import struct
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402

FRAME = 64 * 1024
MIB = 1024 * 1024
RSS_MAX = 512 * MIB           # WIRE_SERVER_RSS_MAX_DEF
# The guard's limit, plus what arrives between two looks on loopback (20 ms, longer while a
# transaction runs).
RSS_BOUND = 800 * MIB
CONVERSATIONS = 4000          # about 6,500 events for the agent
AGENT_RUNS = 4
AGENT_PAUSE_S = 2.0


def vm_hwm(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def zmtp_connect(port):
    """A raw ZMTP 3.0 connection (NULL mechanism, as a DEALER), greetings exchanged."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"\xff" + b"\0" * 8 + b"\x7f\x03\x00" + b"NULL".ljust(20, b"\0") + b"\0" * 32)
    recv_exactly(s, 64)
    body = b"\x05READY\x0bSocket-Type" + struct.pack(">I", 6) + b"DEALER"
    s.sendall(b"\x04" + bytes([len(body)]) + body)
    ready = recv_exactly(s, 2)  # the server's READY: a short command
    if ready[0] != 0x04:
        raise ConnectionError("no READY from the server: %r" % ready)
    recv_exactly(s, ready[1])
    return s


def recv_exactly(s, n):
    got = b""
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            raise ConnectionError("closed during the handshake")
        got += chunk
    return got


def frame(data, more):
    flags = (0x01 if more else 0) | (0x02 if len(data) > 255 else 0)
    size = struct.pack(">Q", len(data)) if len(data) > 255 else bytes([len(data)])
    return bytes([flags]) + size + data


def short(data, more):
    return bytes([0x01 if more else 0, len(data)]) + data


class Attacks(threading.Thread):
    def __init__(self, col, port):
        super().__init__(daemon=True)
        self.col, self.port = col, port
        self.error = None
        self.report = []

    def send(self, name, chunks):
        """Sends every chunk on a new connection; returns the bytes sent before the collector
        closed it (all of them if it never did)."""
        s = zmtp_connect(self.port)
        sent = 0
        t0 = time.monotonic()
        try:
            for c in chunks:
                s.sendall(c)
                sent += len(c)
            how = "sent whole"
            s.settimeout(10)
            try:  # the collector's answer (the largest batch) or its closing
                how += ", then %s" % ("closed" if not s.recv(1 << 20) else "answered")
            except socket.timeout:
                how += ", no answer in 10 s"
        except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
            how = "cut by the collector (%s)" % type(e).__name__
        finally:
            s.close()
        line = "%s: %.0f MiB on the wire in %.1f s, %s; collector VmHWM %.0f MiB" % (
            name, sent / MIB, time.monotonic() - t0, how, vm_hwm(self.col.pid) / MIB)
        log(line)
        self.report.append(line)
        time.sleep(1.5)  # the collector's cooldown (1 s) between two drops
        if not self.col.alive():
            raise RuntimeError("the collector ended after %s (status %s):\n%s" % (
                name, self.col.rc, self.col.tail()))

    def run(self):
        head = [short(b"PARLEY/1", True), short(b"BATCH", True), short(b"1", True)]
        big = frame(b"x" * FRAME, True)
        try:
            self.send("issue", head + [big] * 16000 + [short(b"end", False)])
            self.send("unfinished", head + [big] * (2 * 16384))
            empties = short(b"", True) * 1000000
            self.send("empty", head + [empties] * 20 + [short(b"", False)])
            event = b"{" + b"x" * (FRAME - 2) + b"}"
            self.send("largest", head + [frame(event, True)] * 4999 + [frame(event, False)])
        except Exception as e:  # noqa: BLE001 — reported by the test
            self.error = "%s: %s" % (type(e).__name__, e)


def test_no_message_takes_the_collector_over_its_memory_bound(h):
    seed = faultlib.pick_seed(h)
    stream = faultlib.Stream(h, "memory", seed, conversations=CONVERSATIONS, min_events=0)
    chunks = []
    paths, where = [], {}
    for c in range(AGENT_RUNS):
        part = [f[len(f) * c // AGENT_RUNS:len(f) * (c + 1) // AGENT_RUNS] for f in stream.feeds]
        names = ["part%d-%s" % (c + 1, n) for n in faultlib.FEED_NAMES[:len(part)]]
        p, w = faultlib.generator.write_feeds(part, h.path("memory", "feeds"), names)
        chunks.append(p)
        paths += p
        where.update(w)
    stream.paths, stream.where = paths, where
    db = h.create_database("fault_memory")
    # Plaintext on loopback: the raw clients speak ZMTP's NULL mechanism. With CURVE no frame
    # is read before the handshake, so only an authorised key holder could do this; the
    # collector's memory path after the handshake is the same.
    metrics_port = harness.free_port()
    col = h.start_collector(db, args=["--insecure", "--metrics-bind", "127.0.0.1:%d" % metrics_port],
                            keys=False)
    port = int(col.endpoint.rsplit(":", 1)[1])
    attacks = Attacks(col, port)
    spool = h.path("memory", "spool")
    attacks.start()
    runs = []
    for c, p in enumerate(chunks):
        agent = h.start_agent(col.endpoint, spool, p, name="agent-%d" % (c + 1), keys=False)
        deadline = time.monotonic() + 120
        while agent.alive() and col.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        if not col.alive():
            fail("the collector ended during agent run %d (status %s):\n%s" % (
                c + 1, col.rc, col.tail()))
        run = h.finish_agent(agent, timeout=1)
        if run.rc != 0:
            fail("agent run %d failed: %r" % (c + 1, run))
        runs.append(run)
        if attacks.is_alive():
            attacks.join(AGENT_PAUSE_S)
    attacks.join(200)
    if attacks.is_alive():
        fail("the attacks did not finish")
    if attacks.error:
        fail(attacks.error)
    if not col.alive():
        fail("the collector ended (status %s):\n%s" % (col.rc, col.tail()))
    hwm = vm_hwm(col.pid)
    log("%d agent runs; collector VmHWM %.0f MiB (bound %.0f MiB)" % (
        len(runs), hwm / MIB, RSS_BOUND / MIB))
    if hwm > RSS_BOUND:
        fail("the collector's peak RSS is %.0f MiB, over the bound of %.0f MiB:\n%s" % (
            hwm / MIB, RSS_BOUND / MIB, "\n".join(attacks.report)))
    exposition = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port,
                                        timeout=10).read().decode()
    drops = re.search(r"^parley_collector_memory_guard_drops_total (\S+)$", exposition, re.M)
    if not drops or float(drops.group(1)) < 1:
        fail("memory_guard_drops_total %s: the guard never fired" % (drops and drops.group(1)))
    log("memory guard drops: %s" % drops.group(1))
    faultlib.finish(h, db, stream, runs[-1], spool, [col], summary=False)


if __name__ == "__main__":
    harness.main(globals())
