#!/usr/bin/python3
# ctest-timeout: 180
"""A regional hub (parley-agent --relay-bind) between association agents and the collector
(docs/PROTOCOL.md § 11), with real processes, ZeroMQ on loopback and PostgreSQL:

- the hub speaks PARLEY/1 to its agents as the collector does: PING → PONG, ERROR for a
  malformed request, `rejected` with field and reason for an event that breaks a v1 rule
  (straight back to the agent: never forwarded, not in the hub's rejected.jsonl);
- a conflict found at the collector (an event_id stored before with other content) lands in
  the hub's rejected.jsonl, naming the agent it came from ("relay:127.0.0.1/…"), while the
  agent had its `accepted` from the hub;
- the hub delivers what it reads itself too, and ends with its spool empty;
- a full hub spool answers ERROR "hub spool full, resend later", and the next batch of that
  connection "an earlier batch was refused, resend it first";
- --once with --relay-bind is a usage error (exit 2).
"""

import json
import os
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "fault"))
import faultlib  # noqa: E402  (the spool reader)
import harness  # noqa: E402
from harness import fail  # noqa: E402

import zmq  # noqa: E402

VERSION = b"PARLEY/1"


def event(name, stance, event_id=None, notes=None, code="E14001377"):
    e = {
        "event_id": event_id or str(uuid.uuid4()),
        "type": "conversation.reported",
        "reported_at": "2025-03-03T09:00:00Z",
        "occurred_on": "2025-02-28",
        "association": {"id": "HUB-TEST"},
        "constituency": {"code": code},
        "stakeholder": {"role": "mp", "name": name},
        "stance": stance,
    }
    if notes:
        e["notes"] = notes
    return json.dumps(e).encode()


class Client:
    """A raw PARLEY/1 client (pyzmq DEALER)."""

    def __init__(self, ctx, endpoint):
        self.sock = harness.secure(ctx.socket(zmq.DEALER))
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)

    def send(self, *frames):
        self.sock.send_multipart([VERSION] + list(frames))

    def batch(self, seq, events):
        self.send(b"BATCH", str(seq).encode(), *events)

    def reply(self, timeout=15):
        if not self.sock.poll(timeout * 1000):
            fail("no reply from the hub within %d s" % timeout)
        version, command, first, *rest = self.sock.recv_multipart()
        return command.decode(), first.decode(), [r.decode() for r in rest]


def start_hub(h, name, upstream, spool, port, args=(), inputs=()):
    argv = [h.agent, "--connect", upstream, "--spool", spool,
            "--relay-bind", "tcp://127.0.0.1:%d" % port, *args, *inputs]
    hub = h.spawn(name, argv)
    harness.wait_for(lambda: harness.listening(port) or not hub.alive(), 20, "%s to listen" % name)
    if not hub.alive():
        fail("%s exited with status %s:\n%s" % (name, hub.rc, hub.tail()))
    return hub


def stop(proc):
    rc = proc.stop(timeout=15)
    if rc != 0:
        fail("%s exited with status %s after SIGTERM:\n%s" % (proc.name, rc, proc.tail()))


def pending(spool):
    return len(faultlib.read_spool(spool)[1])


def test_once_with_relay_bind_is_a_usage_error(h):
    out = subprocess.run([h.agent, "--connect", "tcp://127.0.0.1:1", "--spool", h.path("u", "spool"),
                          "--relay-bind", "tcp://127.0.0.1:*", "--once"],
                         capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    if out.returncode != 2 or "--once cannot be used with --relay-bind" not in out.stderr:
        fail("--once --relay-bind: exit %s, stderr %r" % (out.returncode, out.stderr))


def test_rejections_at_the_hub_and_at_the_collector(h):
    db = h.create_database("relay")
    col = h.start_collector(db)
    hub_port = harness.free_port()
    hub_spool = h.path("hub", "spool")
    own = h.path("hub", "own.jsonl")
    own_event = event("hub own", 0)
    with open(own, "wb") as f:
        f.write(own_event + b"\n")
    hub = start_hub(h, "hub", col.endpoint, hub_spool, hub_port, inputs=[own])
    hub_endpoint = "tcp://127.0.0.1:%d" % hub_port

    # A raw client: the hub answers as the collector does.
    ctx = zmq.Context()
    raw = Client(ctx, hub_endpoint)
    try:
        raw.send(b"PING", b"t-1")
        r = raw.reply()
        if r != ("PONG", "t-1", []):
            fail("PING through the hub: %r" % (r,))
        raw.sock.send_multipart([b"PARLEY/9", b"BATCH", b"7", b"{}"])
        r = raw.reply()
        if r[0] != "ERROR" or r[1] != "" or "PARLEY/9" not in r[2][0]:
            fail("bad version through the hub: %r" % (r,))
        good = event("raw good", 1)
        raw.batch(1, [good, event("raw bad", 7)])
        r = raw.reply()
        if r[:2] != ("OUTCOMES", "1") or r[2][0] != "accepted" or \
                not r[2][1].startswith("rejected\tstance\t"):
            fail("a batch with an invalid event, through the hub: %r" % (r,))
    finally:
        raw.sock.close(0)
        ctx.destroy(0)

    # A Parley agent whose feed holds a conflict: the hub takes both, the collector refuses
    # the second.
    shared = str(uuid.uuid4())
    first, second = event("shared person", 2, shared), event("shared person", -2, shared)
    feed = h.path("agent", "feed.jsonl")
    with open(feed, "wb") as f:
        f.write(b"\n".join([first, event("other person", 1), second]) + b"\n")
    agent_spool = h.path("agent", "spool")
    run = h.run_agent(hub_endpoint, agent_spool, [feed], timeout=60)
    if run.rc != 0 or run.summary.get("accepted") != 3 or run.summary.get("rejected") != 0:
        fail("agent through the hub: %r" % run)
    if pending(agent_spool):
        fail("the agent's spool is not empty after --once")

    # The hub forwards everything; the conflict comes back to it.
    hub_rejects = os.path.join(hub_spool, "rejected.jsonl")

    def conflict_reported():
        return [rec for _, _, rec in harness.read_rejected(hub_rejects)]
    recs = harness.wait_for(conflict_reported, 30, "the conflict in the hub's rejected.jsonl")
    harness.wait_for(lambda: pending(hub_spool) == 0, 30, "the hub's spool to empty")
    if len(recs) != 1:
        fail("the hub's rejected.jsonl holds %d lines, expected the one conflict: %r" % (len(recs), recs))
    rec = recs[0]
    if not str(rec["source"]).startswith("relay:127.0.0.1/") or rec["field"] != "event_id" or \
            not rec["reason"].startswith("conflict: event_id " + shared) or rec["line"] != 3 or \
            json.loads(rec["input"])["stance"] != -2:
        fail("the conflict as the hub reports it: %r" % rec)
    agent_rejects = os.path.join(agent_spool, "rejected.jsonl")
    if harness.read_rejected(agent_rejects):
        fail("the agent's rejected.jsonl should be empty: the hub had accepted every event")

    _, rows = db.query("SELECT stance FROM parley.event WHERE event_id = %s", (shared,))
    if rows != [(2,)]:
        fail("stored version of the shared event_id: %r, expected the first (stance 2)" % (rows,))
    _, rows = db.query("SELECT count(*) FROM parley.event")
    if rows != [(4,)]:  # raw good, first, other, the hub's own
        fail("parley.event holds %r rows, expected 4" % (rows,))
    stop(hub)
    hub_log = hub.log()
    if 'msg="relay totals" batches=2 accepted=4 rejected=1' not in hub_log:
        fail("the hub's totals line: %r" % [l for l in hub_log.splitlines() if "relay totals" in l])
    stop(col)


def test_a_full_hub_spool_refuses_the_batch(h):
    # No collector: nothing leaves the hub's spool, which fills.
    hub_port = harness.free_port()
    hub_spool = h.path("full", "spool")
    hub = start_hub(h, "hub-full", "tcp://127.0.0.1:%d" % harness.free_port(), hub_spool, hub_port,
                    args=["--spool-max", "256K"])
    ctx = zmq.Context()
    c = Client(ctx, "tcp://127.0.0.1:%d" % hub_port)
    try:
        seq, accepted = 0, 0
        while True:
            seq += 1
            if seq > 200:
                fail("the hub's 256 KiB spool took %d events without filling" % accepted)
            c.batch(seq, [event("person %d" % i, 1, notes="n" * 900) for i in range(25)])
            command, got_seq, rest = c.reply()
            if got_seq != str(seq):
                fail("reply for batch %s to batch %d" % (got_seq, seq))
            if command == "ERROR":
                break
            if command != "OUTCOMES" or rest != ["accepted"] * 25:
                fail("batch %d: %s %r" % (seq, command, rest[:3]))
            accepted += 25
        if rest != ["hub spool full, resend later"]:
            fail("the full spool's ERROR: %r" % rest)
        c.batch(seq + 1, [event("later", 1)])
        r = c.reply()
        if r != ("ERROR", str(seq + 1), ["an earlier batch was refused, resend it first"]):
            fail("a batch sent after the refused one: %r" % (r,))
        c.send(b"PING", b"alive")
        if c.reply() != ("PONG", "alive", []):
            fail("the hub with a full spool must still answer PING")
    finally:
        c.sock.close(0)
        ctx.destroy(0)
    stop(hub)
    if "hub spool cannot take batches, refusing them" not in hub.log():
        fail("the hub did not log the refusal:\n%s" % hub.tail())
    if pending(hub_spool) < accepted:
        fail("the hub's spool holds %d records, fewer than the %d it acknowledged" % (
            pending(hub_spool), accepted))


if __name__ == "__main__":
    harness.main(globals())
