#!/usr/bin/python3
# ctest-timeout: 300
"""CurveZMQ identity and per-association authorisation (issue 10, docs/SECURITY.md), against
a real collector, real ZeroMQ (pyzmq's CURVE) and PostgreSQL.

Who may connect: an anonymous (plaintext) client and a client with a key the collector does
not know fail the handshake and nothing of theirs is read or stored. What a known key may
send: only events of the associations (or regions) its certificate names; the rest of a
batch goes through. The four forgeries found in issue 10 (withdraw another association's
conversation, rename it, squat the event_id of its next event, an amendment dated 23 h
ahead) all fail, and the victim's counts are right afterwards. A hub's key scoped to a
region. SIGHUP adds and removes keys while another client stays connected. --insecure is
refused off loopback and warned about on it. keygen refuses to overwrite and writes 0600.
"""

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import fail, wait_for  # noqa: E402

import zmq  # noqa: E402

VERSION = b"PARLEY/1"
SOUTH_EAST = "E12000008"
IN_SOUTH_EAST = "E14001063"  # Aldershot
IN_SCOTLAND = "S14000021"    # East Renfrewshire
NOT_AUTHORISED = "rejected\tassociation.id\tnot authorised for association %s"


def stamp(delta_s=0):
    t = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delta_s)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def event(association, name="Ann Example", typ="conversation.reported", event_id=None,
          constituency=IN_SOUTH_EAST, stance=1, reported_at=None, association_name=None,
          occurred_on="2026-01-05"):
    e = {
        "event_id": event_id or str(uuid.uuid4()),
        "type": typ,
        "reported_at": reported_at or stamp(-3600),
        "occurred_on": occurred_on,
        "association": {"id": association},
        "constituency": {"code": constituency},
        "stakeholder": {"role": "mp", "name": name},
        "stance": stance,
    }
    if association_name:
        e["association"]["name"] = association_name
    return json.dumps(e).encode()


class Client:
    """A raw PARLEY/1 DEALER; cert None: no CURVE at all (anonymous)."""

    def __init__(self, ctx, endpoint, cert="harness", server=None):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SNDTIMEO, 2000)
        if cert == "harness":
            harness.secure(self.sock)
        elif cert is not None:
            harness.secure(self.sock, cert=cert, server=server)
        self.sock.connect(endpoint)
        self.seq = 0

    def batch(self, events):
        self.seq += 1
        try:
            self.sock.send_multipart([VERSION, b"BATCH", str(self.seq).encode()] + events)
        except zmq.Again:
            return None
        return self.seq

    def ping(self, token=b"t"):
        try:
            self.sock.send_multipart([VERSION, b"PING", token])
        except zmq.Again:
            return False
        return True

    def reply(self, timeout=15.0):
        """(command, seq, [frames]) or None when nothing came within timeout seconds."""
        if not self.sock.poll(int(timeout * 1000)):
            return None
        version, command, *rest = self.sock.recv_multipart()
        if command == b"PONG":
            return ("PONG", None, [r.decode() for r in rest])
        seq, *rest = rest
        return command.decode(), int(seq) if seq else None, [r.decode() for r in rest]

    def outcomes(self, seq, timeout=15.0):
        r = self.reply(timeout)
        if not r or r[:2] != ("OUTCOMES", seq):
            fail("batch %s: expected OUTCOMES, got %r" % (seq, r))
        return r[2]

    def close(self):
        self.sock.close(0)


def count_events(db):
    return db.query("SELECT count(*) FROM parley.event")[1][0][0]


def association(db, assoc):
    _, rows = db.query("SELECT association_name, conversations FROM parley.association_summary "
                       "WHERE association_id = %s", (assoc,))
    return rows[0] if rows else None


def test_anonymous_and_unknown_keys_are_refused_and_nothing_is_stored(h):
    db = h.create_database("curve_refused")
    col = h.start_collector(db)
    ctx = zmq.Context()
    public, secret = zmq.curve_keypair()
    stranger = {"public": public.decode(), "secret": secret.decode()}
    clients = {"anonymous": Client(ctx, col.endpoint, cert=None),
               "unknown key": Client(ctx, col.endpoint, cert=stranger)}
    try:
        for what, c in clients.items():
            c.batch([event("ANON")])
            c.ping()
            r = c.reply(timeout=4)
            if r is not None:
                fail("%s client got an answer: %r" % (what, r))
        # The log names each failed handshake (and each connection, with its address).
        wait_for(lambda: col.log().count('msg="handshake failed"') >= 2, 10,
                 "two failed handshakes in the collector's log")
        if count_events(db) != 0:
            fail("events stored from clients without an authorised key")
        # A known key on the same collector is answered: the refusals were the keys'.
        ok = Client(ctx, col.endpoint)
        seq = ok.batch([event("KNOWN")])
        if ok.outcomes(seq) != ["accepted"]:
            fail("the harness's key was not accepted")
        # Connections are logged with the peer's address (read from the descriptor while it
        # is open: the refused ones above may close before that and be logged as "?").
        wait_for(lambda: 'msg="connection accepted" peer=127.0.0.1:' in col.log(), 10,
                 "a connection logged with the peer's address")
        ok.close()
        if 'msg="peer identified"' not in col.log() or h.keys()["agent_cert"]["public"] not in col.log():
            fail("the first request of a peer does not name its key:\n%s" % col.tail())
    finally:
        for c in clients.values():
            c.close()
        ctx.term()


def test_a_key_may_report_only_its_associations_and_the_forgeries_fail(h):
    db = h.create_database("curve_forgery")
    col = h.start_collector(db)
    _, _, victim_cert = h.make_agent_key("victim", associations=["VICTIM"])
    _, _, attacker_cert = h.make_agent_key("attacker", associations=["ATTACKER"])
    ctx = zmq.Context()
    victim = Client(ctx, col.endpoint, cert=victim_cert)
    attacker = Client(ctx, col.endpoint, cert=attacker_cert)
    try:
        # The victim reports a conversation, with its association's name.
        seq = victim.batch([event("VICTIM", stance=1, association_name="Victim Housing")])
        if victim.outcomes(seq) != ["accepted"]:
            fail("the victim's first event was not accepted")
        if association(db, "VICTIM") != ("Victim Housing", 1):
            fail("victim before the attack: %r" % (association(db, "VICTIM"),))

        squatted = str(uuid.uuid5(uuid.NAMESPACE_URL, "victim/next-event"))
        forgeries = [
            # withdraw the victim's conversation
            event("VICTIM", typ="conversation.withdrawn", reported_at=stamp(-60)),
            # rename the victim's association
            event("VICTIM", name="Bob Other", association_name="Hacked", reported_at=stamp(-60)),
            # squat the event_id of the victim's next event
            event("VICTIM", name="Carol Third", event_id=squatted, reported_at=stamp(-60)),
            # an amendment dated 23 h ahead, to beat the victim's later genuine one
            event("VICTIM", typ="conversation.amended", stance=-2, reported_at=stamp(23 * 3600)),
        ]
        own = event("ATTACKER", name="Dan Own", constituency=IN_SCOTLAND)
        seq = attacker.batch(forgeries[:2] + [own] + forgeries[2:])
        outs = attacker.outcomes(seq)
        expected = [NOT_AUTHORISED % "VICTIM"] * 2 + ["accepted"] + [NOT_AUTHORISED % "VICTIM"] * 2
        if outs != expected:
            fail("the attacker's batch: %r, expected %r" % (outs, expected))

        # The victim's genuine amendment, under the squatted id, is taken and stands.
        seq = victim.batch([event("VICTIM", typ="conversation.amended", stance=2,
                                  event_id=squatted, reported_at=stamp(-30))])
        if victim.outcomes(seq) != ["accepted"]:
            fail("the victim's event under the id the attacker tried to squat was not accepted")
        if association(db, "VICTIM") != ("Victim Housing", 1):
            fail("victim after the attack: %r" % (association(db, "VICTIM"),))
        _, rows = db.query("SELECT c.association_id, e.stance FROM parley.conversation c "
                           "JOIN parley.event e ON e.event_id = c.event_id "
                           "WHERE c.association_id = 'VICTIM'")
        if rows != [("VICTIM", 2)]:
            fail("the victim's conversation: %r (expected its own amendment, stance 2)" % (rows,))
        if association(db, "ATTACKER") is None or association(db, "ATTACKER")[1] != 1:
            fail("the attacker's own event: %r" % (association(db, "ATTACKER"),))
        _, rows = db.query("SELECT count(*) FROM parley.event WHERE association_id = 'VICTIM'")
        if rows != [(2,)]:
            fail("events stored for VICTIM: %r (expected the victim's 2)" % (rows,))
    finally:
        victim.close()
        attacker.close()
        ctx.term()


def test_a_hub_key_scoped_to_a_region_reports_only_that_region(h):
    db = h.create_database("curve_region")
    col = h.start_collector(db)
    hub_secret, _, _ = h.make_agent_key("hub", region=SOUTH_EAST)
    hub_port = harness.free_port()
    hub_spool = h.path("hub", "spool")
    hub = h.spawn("hub", [h.agent, "--connect", col.endpoint, "--spool", hub_spool,
                          "--curve-secret", hub_secret, "--collector-key", h.keys()["server_cert"],
                          "--relay-bind", "tcp://127.0.0.1:%d" % hub_port])
    wait_for(lambda: harness.listening(hub_port) or not hub.alive(), 20, "the hub to listen")
    # An association's agent scoped to two associations, delivering through the hub.
    _, _, local_cert = h.make_agent_key("local", associations=["SE-ONE", "SCOT-ONE"])
    ctx = zmq.Context()
    c = Client(ctx, "tcp://127.0.0.1:%d" % hub_port, cert=local_cert)
    try:
        seq = c.batch([event("SE-ONE"),                                  # in scope, in region
                       event("SCOT-ONE", constituency=IN_SCOTLAND),      # in scope, not region
                       event("ELSEWHERE")])                              # not in the agent's scope
        outs = c.outcomes(seq)
        if outs != ["accepted", "accepted", NOT_AUTHORISED % "ELSEWHERE"]:
            fail("the hub's answers to the agent: %r" % (outs,))
        wait_for(lambda: count_events(db) >= 1, 30, "the hub to forward")
        hub_rejects = os.path.join(hub_spool, "rejected.jsonl")

        def refused_upstream():
            return [rec for _, _, rec in harness.read_rejected(hub_rejects)]
        recs = wait_for(refused_upstream, 30, "the collector's refusal in the hub's rejected.jsonl")
        if [r["reason"] for r in recs] != ["not authorised for association SCOT-ONE"]:
            fail("the hub's rejected.jsonl: %r" % (recs,))
        _, rows = db.query("SELECT association_id FROM parley.event ORDER BY 1")
        if rows != [("SE-ONE",)]:
            fail("stored from the hub: %r (expected only the South East's event)" % (rows,))
    finally:
        c.close()
        ctx.term()


def test_sighup_adds_and_removes_keys_without_dropping_others(h):
    db = h.create_database("curve_sighup")
    col = h.start_collector(db)
    ctx = zmq.Context()
    stays = Client(ctx, col.endpoint)
    if not stays.ping() or not stays.reply(10):
        fail("the harness's client got no PONG")
    # A new agent, not yet authorised: refused, says so, keeps its events.
    secret, cert, parsed = h.make_agent_key("late", associations=["LATE"], authorize=False)
    feed = h.path("late.jsonl")
    with open(feed, "wb") as f:
        for i in range(20):
            f.write(event("LATE", name="Person %d" % i) + b"\n")
    agent = h.start_agent(col.endpoint, h.path("late-spool"), [feed],
                          args=["--curve-secret", secret, "--collector-key", h.keys()["server_cert"],
                                "--timeout", "120"])
    wait_for(lambda: "collector refused our key" in agent.log(), 20, "the agent to log the refusal")
    if count_events(db) != 0:
        fail("events stored from a key not yet authorised")
    shutil.copy(cert, os.path.join(h.keys()["authorized"], "late.cert"))
    col.signal(signal.SIGHUP)
    wait_for(lambda: "authorised keys reloaded" in col.log(), 10, "the collector to reload")
    run = h.finish_agent(agent, timeout=120)
    if run.rc != 0 or count_events(db) != 20:
        fail("after SIGHUP the new agent delivered %d of 20 (rc %s):\n%s"
             % (count_events(db), run.rc, agent.tail()))
    # The other connection was not dropped: same socket, still answered.
    if not stays.ping() or not stays.reply(10):
        fail("the other client is not answered after the reload")
    # Removal: a connected client with the removed key is no longer heard.
    gone = Client(ctx, col.endpoint, cert=parsed)
    seq = gone.batch([event("LATE", name="Before removal")])
    if gone.outcomes(seq) != ["accepted"]:
        fail("the late key before its removal")
    os.unlink(os.path.join(h.keys()["authorized"], "late.cert"))
    col.signal(signal.SIGHUP)
    wait_for(lambda: col.log().count("authorised keys reloaded") >= 2, 10, "the second reload")
    seq = gone.batch([event("LATE", name="After removal")])
    if seq is not None and gone.reply(4) is not None:
        fail("a removed key is still answered")
    if count_events(db) != 21:
        fail("events after the removal: %d (expected 21)" % count_events(db))
    if not stays.ping() or not stays.reply(10):
        fail("the other client is not answered after the removal")
    stays.close()
    gone.close()
    ctx.term()


def test_insecure_is_refused_off_loopback_and_warned_on_it(h):
    db = h.create_database("curve_insecure")
    out = subprocess.run([h.collector, "--db", db.conninfo, "--bind", "tcp://0.0.0.0:%d"
                          % harness.free_port(), "--insecure"],
                         capture_output=True, text=True, timeout=30)
    if out.returncode != 2 or "--insecure refused on tcp://0.0.0.0:" not in out.stderr:
        fail("--insecure on 0.0.0.0: exit %d, %r" % (out.returncode, out.stderr))
    out = subprocess.run([h.collector, "--db", db.conninfo, "--bind", "tcp://127.0.0.1:5570"],
                         capture_output=True, text=True, timeout=30)
    if out.returncode != 2 or "--curve-secret FILE and --authorized-keys DIR are required" \
            not in out.stderr:
        fail("no keys and no --insecure: exit %d, %r" % (out.returncode, out.stderr))
    col = h.start_collector(db, args=["--insecure"])
    wait_for(lambda: "running without CURVE" in col.log(), 10, "the --insecure warning")
    ctx = zmq.Context()
    c = Client(ctx, col.endpoint, cert=None)
    seq = c.batch([event("PLAIN")])
    if c.outcomes(seq) != ["accepted"]:
        fail("--insecure on loopback does not take a plaintext batch")
    c.close()
    ctx.term()


def test_keygen_refuses_to_overwrite_and_writes_the_secret_0600(h):
    base = h.path("kg", "agent")
    os.makedirs(os.path.dirname(base), exist_ok=True)
    argv = [h.agent, "keygen", "--associations", "A1,B2", base]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        fail("agent keygen: %r" % out.stderr)
    if os.stat(base + ".cert_secret").st_mode & 0o777 != 0o600:
        fail("secret mode %o" % (os.stat(base + ".cert_secret").st_mode & 0o777))
    if os.stat(base + ".cert").st_mode & 0o777 != 0o644:
        fail("public mode %o" % (os.stat(base + ".cert").st_mode & 0o777))
    cert = harness.read_cert(base + ".cert")
    if cert["secret"] or cert["meta"].get("X-Parley-Associations") != "A1,B2":
        fail("the public cert: %r" % (cert,))
    before = open(base + ".cert_secret").read()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if out.returncode != 1 or "not overwritten" not in out.stderr:
        fail("second keygen: exit %d, %r" % (out.returncode, out.stderr))
    if open(base + ".cert_secret").read() != before:
        fail("the secret was overwritten")
    out = subprocess.run([h.agent, "keygen", h.path("kg", "noscope")], capture_output=True,
                         text=True, timeout=30)
    if out.returncode != 2:
        fail("agent keygen without a scope: exit %d" % out.returncode)
    out = subprocess.run([h.collector, "keygen", base], capture_output=True, text=True, timeout=30)
    if out.returncode != 1:
        fail("collector keygen over an existing pair: exit %d" % out.returncode)


if __name__ == "__main__":
    harness.main(globals())
