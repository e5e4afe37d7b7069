#!/usr/bin/python3
# ctest-timeout: 300
# ctest-labels: integration
"""Interoperability: a third-party client of the Parley wire protocol, written in Python
(Debian's python3-zmq) from docs/PROTOCOL.md alone (and docs/EVENTS.md for the events it
carries), against a real parley-collector and PostgreSQL.

Nothing here comes from the C code: every frame is built and checked as PROTOCOL.md writes
it. Where PROTOCOL.md leaves a case open, the test says so in a comment marked "spec:" and
prints what the collector did (a line starting "observed:") instead of guessing.

What it proves:
  - BATCH → OUTCOMES with several batches in flight, matched by sequence number;
  - accepted for new events, duplicate for a resend (same seq, new seq, in flight or not,
    and the same batch from two clients at once: one accepted and one duplicate per event);
  - rejected TAB field TAB reason for invalid events and for a conflict (same event_id,
    different content), and the neighbours of a rejected event are unaffected;
  - PING → PONG with the token unchanged;
  - ERROR for malformed requests (bad version frame, non-numeric or signed or overlong
    sequence, unknown command, empty batch, batch over 5000 events, PING token over 63
    bytes), with the seq frame empty or the batch's number as the document says;
  - none of that (nor a frame over 65536 bytes, which drops its sender's connection)
    disturbs a second client sending batches at the same time;
  - the views then hold what the test computes from the events it sent.
"""

import csv
import datetime as dt
import json
import os
import re
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import fail  # noqa: E402

import zmq  # noqa: E402

VERSION = b"PARLEY/1"
BATCH_MAX = 5000          # PROTOCOL.md § Sizes
FRAME_MAX = 65536         # PROTOCOL.md § Sizes
REPLY_WAIT = 30.0         # seconds; generous: a reply waits for its transaction to commit

CSV_PATH = os.path.join(harness.SOURCE_DIR, "common", "data", "constituencies-2024.csv")


def log(*args):
    print(*args, flush=True)


def check(cond, what):
    if not cond:
        fail(what)


# ---------------------------------------------------------------------------------------
# The client (PROTOCOL.md §§ 1, 2, 5, 9)

SEQ_RE = re.compile(rb"^(0|[1-9][0-9]{0,19})$")


class ProtocolViolation(AssertionError):
    pass


def parse_reply(frames):
    """A collector → client message as PROTOCOL.md § 2 writes it: ("OUTCOMES", seq, [outcome]),
    ("PONG", token), or ("ERROR", seq-or-None, reason). Outcomes are ("accepted",),
    ("duplicate",) or ("rejected", field, reason). Anything else is a protocol violation."""
    def bad(why):
        raise ProtocolViolation("%s: %r" % (why, [f[:80] for f in frames]))

    if len(frames) < 3:
        bad("a reply has at least 3 frames")
    if frames[0] != VERSION:
        bad("version frame is not PARLEY/1")
    cmd = frames[1]
    if cmd == b"OUTCOMES":
        if not SEQ_RE.match(frames[2]) or int(frames[2]) >= 2 ** 64:
            bad("OUTCOMES seq is not a decimal u64 without leading zeros")
        outcomes = []
        for f in frames[3:]:
            if f in (b"accepted", b"duplicate"):
                outcomes.append((f.decode(),))
                continue
            parts = f.split(b"\t")
            if len(parts) != 3 or parts[0] != b"rejected":
                bad("outcome %r is none of the three forms" % f[:80])
            field, reason = parts[1], parts[2]
            if not reason or len(reason) > 511 or b"\n" in reason or b"\r" in reason:
                bad("rejected reason is empty, over 511 bytes or has a newline")
            if reason[:1].isupper():
                bad("rejected reason %r is not a lower-case sentence" % reason[:80])
            if field and not re.match(rb"^[a-z_]+(\.[a-z_]+)*$", field):
                bad("rejected field %r is not a dotted path" % field)
            outcomes.append(("rejected", field.decode(), reason.decode()))
        return ("OUTCOMES", int(frames[2]), outcomes)
    if cmd == b"PONG":
        if len(frames) != 3:
            bad("PONG has 3 frames")
        return ("PONG", frames[2])
    if cmd == b"ERROR":
        if len(frames) != 4:
            bad("ERROR has 4 frames")
        seq, reason = frames[2], frames[3]
        if seq and (not SEQ_RE.match(seq)):
            bad("ERROR seq frame is neither empty nor a decimal number")
        if not reason or len(reason) > 255 or b"\t" in reason or b"\n" in reason:
            bad("ERROR reason is empty, over 255 bytes, or has a tab or newline")
        reason.decode("utf-8")
        return ("ERROR", int(seq) if seq else None, reason.decode())
    bad("unknown reply command %r" % cmd)


class Client:
    """A DEALER connected to the collector, with PROTOCOL.md § 9's options."""

    def __init__(self, ctx, endpoint, name):
        self.name = name
        self.sock = harness.secure(ctx.socket(zmq.DEALER))
        s = self.sock
        s.setsockopt(zmq.IMMEDIATE, 0)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.SNDTIMEO, 0)
        s.setsockopt(zmq.RECONNECT_IVL, 100)
        s.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
        s.setsockopt(zmq.HEARTBEAT_IVL, 1000)
        s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3000)
        s.setsockopt(zmq.HEARTBEAT_TTL, 3000)
        s.setsockopt(zmq.MAXMSGSIZE, FRAME_MAX)
        s.connect(endpoint)
        self.early = []        # replies read while waiting for another one
        self.unexpected = []   # replies no request of ours asked for

    def close(self):
        self.sock.close(0)

    def send(self, frames, timeout=REPLY_WAIT):
        """Sends a multipart message, polling for POLLOUT while the socket is at its
        high-water mark (backpressure, PROTOCOL.md § 5)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock.send_multipart(frames, flags=zmq.DONTWAIT)
                return
            except zmq.Again:
                if time.monotonic() > deadline:
                    fail("%s: could not send within %.0f s" % (self.name, timeout))
                self.sock.poll(100, zmq.POLLOUT)

    def batch(self, seq, events, seq_text=None):
        self.send([VERSION, b"BATCH", seq_text if seq_text is not None else str(seq).encode()]
                  + list(events))

    def ping(self, token):
        self.send([VERSION, b"PING", token])

    def recv(self, timeout):
        if self.early:
            return self.early.pop(0)
        if not self.sock.poll(int(timeout * 1000), zmq.POLLIN):
            return None
        return parse_reply(self.sock.recv_multipart())

    def wait(self, match, timeout=REPLY_WAIT, what="a reply"):
        """The first reply for which match(reply) is true; others are kept for later."""
        deadline = time.monotonic() + timeout
        kept = []
        pending = self.early
        self.early = []
        try:
            for r in pending:
                if match(r):
                    pending.remove(r)
                    kept.extend(pending)
                    return r
            kept.extend(pending)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    fail("%s: no %s within %.0f s (other replies: %r)" % (self.name, what, timeout, kept[:5]))
                if not self.sock.poll(int(left * 1000) + 1, zmq.POLLIN):
                    continue
                r = parse_reply(self.sock.recv_multipart())
                if match(r):
                    return r
                kept.append(r)
        finally:
            self.early = kept + self.early

    def outcomes(self, seq, n, timeout=REPLY_WAIT):
        """The OUTCOMES of batch seq (n events); fails on an ERROR for it."""
        r = self.wait(lambda r: r[0] in ("OUTCOMES", "ERROR") and r[1] == seq, timeout,
                      "OUTCOMES for batch %d" % seq)
        if r[0] == "ERROR":
            fail("%s: batch %d got ERROR %r" % (self.name, seq, r[2]))
        check(len(r[2]) == n, "%s: batch %d had %d events but %d outcomes" % (self.name, seq, n, len(r[2])))
        return r[2]

    def error(self, seq=None, timeout=REPLY_WAIT, what="ERROR"):
        """The next ERROR (whose seq is seq, when given); fails if OUTCOMES come for seq."""
        def match(r):
            return r[0] == "ERROR" and (seq is None or r[1] == seq) or \
                (seq is not None and r[0] == "OUTCOMES" and r[1] == seq)
        r = self.wait(match, timeout, what)
        if r[0] != "ERROR":
            fail("%s: %s: got OUTCOMES %r instead of ERROR" % (self.name, what, r[2][:3]))
        return r

    def next_reply(self, timeout=REPLY_WAIT, what="a reply"):
        return self.wait(lambda r: True, timeout, what)

    def quiet(self, seconds):
        """Fails if any reply arrives within seconds (and none is kept)."""
        check(not self.early, "%s: unexpected replies %r" % (self.name, self.early))
        if self.sock.poll(int(seconds * 1000), zmq.POLLIN):
            fail("%s: unexpected reply %r" % (self.name, self.sock.recv_multipart()[:4]))


# ---------------------------------------------------------------------------------------
# Events (docs/EVENTS.md) and the views they must give (issue 2, "What counts")

def load_constituencies():
    with open(CSV_PATH, newline="", encoding="utf-8") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


CONSTITUENCIES = load_constituencies()


class Sent:
    """Every valid event the test sent, as the test understands it, to compute the views."""

    def __init__(self):
        self.events = {}  # event_id -> dict of what counts

    def add(self, ev):
        key = ev["event_id"].lower()
        if key in self.events:
            return  # a resend: counted once
        c = ev["constituency"].get("code")
        if c is None:
            c = {row["name"]: code for code, row in CONSTITUENCIES.items()}[ev["constituency"]["name"]]
        self.events[key] = {
            "identity": (ev["association"]["id"].upper(), c.upper(), ev["stakeholder"]["role"],
                         ev["stakeholder"]["name"].lower(), ev["occurred_on"]),
            "order": (ev["reported_at"], key),  # every reported_at here is UTC "…Z", same width
            "type": ev["type"],
            "stance": ev.get("stance"),
            "topics": list(dict.fromkeys(ev.get("topics") or [])),
            "follow_up": bool(ev.get("follow_up", False)),
        }

    def conversations(self):
        """identity -> winning event, for the conversations that count."""
        best = {}
        for e in self.events.values():
            cur = best.get(e["identity"])
            if cur is None or e["order"] > cur["order"]:
                best[e["identity"]] = e
        return {k: v for k, v in best.items() if v["type"] != "conversation.withdrawn"}


class Maker:
    """Valid conversation events, with names that are their own person keys."""

    def __init__(self, run_tag):
        self.n = 0
        self.tag = run_tag
        self.codes = ["E14001377", "W07000112", "S14000021", "E14001063", "N05000001"]

    def event(self, **over):
        self.n += 1
        i = self.n
        code = self.codes[i % len(self.codes)]
        ev = {
            "event_id": str(uuid.uuid4()),
            "type": "conversation.reported",
            "reported_at": "2025-03-03T09:%02d:%02dZ" % (i // 60 % 60, i % 60),
            "occurred_on": "2025-02-%02d" % (1 + i % 28),
            "association": {"id": "INTEROP-%s" % ("A" if i % 3 else "B")},
            "constituency": {"code": code},
            "stakeholder": {"role": ("mp", "councillor", "peer", "official")[i % 4],
                            "name": "person %d %s" % (i, self.tag)},
            "stance": (i % 6) - 2 if i % 6 != 5 else None,
            "topics": [("damp_and_mould", "retrofit", "supply")[i % 3]] + (["retrofit"] if i % 4 == 0 else []),
            "follow_up": i % 5 == 0,
        }
        if ev["stance"] is None:
            del ev["stance"]
        ev.update(over)
        return ev


def line(ev):
    return json.dumps(ev, separators=(",", ":"), ensure_ascii=False).encode()


def expected_views(sent, codes):
    """Summary rows for codes, topic counts for codes and the progress row, from sent."""
    convs = sent.conversations()
    stance_cols = {-2: "stance_opposed", -1: "stance_sceptical", 0: "stance_neutral",
                   1: "stance_supportive", 2: "stance_champion"}
    rows, topics = {}, {}
    for code in codes:
        mine = [(k, v) for k, v in convs.items() if k[1] == code]
        r = {"conversations": len(mine)}
        for role in ("mp", "councillor", "peer", "mayor", "official", "opinion_former"):
            r["%s_conversations" % role] = sum(1 for k, _ in mine if k[2] == role)
        r["associations"] = len({k[0] for k, _ in mine})
        for s, col in stance_cols.items():
            r[col] = sum(1 for _, v in mine if v["stance"] == s)
        r["stance_unknown"] = sum(1 for _, v in mine if v["stance"] is None)
        known = [v["stance"] for _, v in mine if v["stance"] is not None]
        r["mean_stance"] = sum(known) / len(known) if known else None
        r["follow_ups"] = sum(1 for _, v in mine if v["follow_up"])
        days = sorted(k[4] for k, _ in mine)
        r["first_on"] = days[0] if days else None
        r["last_on"] = days[-1] if days else None
        rows[code] = r
        for _, v in mine:
            for t in v["topics"]:
                topics[(code, t)] = topics.get((code, t), 0) + 1
    progress = {"conversations": len(convs),
                "constituencies_reached": len({k[1] for k in convs}),
                "mps_engaged": len({k[1] for k in convs if k[2] == "mp"})}
    return rows, topics, progress


def check_views(db, sent, codes):
    want_rows, want_topics, want_progress = expected_views(sent, codes)
    conn = db.connect()
    try:
        cur = conn.cursor()
        cur.execute("SELECT * FROM parley.constituency_summary WHERE constituency_code = ANY(%s)", (list(codes),))
        cols = [d[0] for d in cur.description]
        got = {r[cols.index("constituency_code")]: dict(zip(cols, r)) for r in cur.fetchall()}
        diffs = []
        for code in codes:
            if code not in got:
                diffs.append("%s: no constituency_summary row" % code)
                continue
            for col, want in want_rows[code].items():
                have = got[code].get(col)
                if isinstance(have, dt.date):
                    have = have.isoformat()
                if col == "mean_stance":
                    same = (have is None) == (want is None) and (want is None or abs(float(have) - want) < 1e-9)
                else:
                    same = have == want
                if not same:
                    diffs.append("%s %s = %r, expected %r" % (code, col, have, want))
        cur.execute("SELECT constituency_code, topic, conversations FROM parley.constituency_topics "
                    "WHERE constituency_code = ANY(%s) AND conversations <> 0", (list(codes),))
        got_topics = {(c, t): n for c, t, n in cur.fetchall()}
        for key in sorted(set(got_topics) | set(want_topics)):
            if got_topics.get(key, 0) != want_topics.get(key, 0):
                diffs.append("constituency_topics %s %s = %d, expected %d" % (
                    key[0], key[1], got_topics.get(key, 0), want_topics.get(key, 0)))
        cur.execute("SELECT conversations, constituencies_reached, mps_engaged FROM parley.progress")
        p = dict(zip(("conversations", "constituencies_reached", "mps_engaged"), cur.fetchone()))
        if p != want_progress:
            diffs.append("progress %r, expected %r" % (p, want_progress))
        if diffs:
            fail("views differ from what the test sent:\n  " + "\n  ".join(diffs))
        log("views: %d conversations in %d constituencies, %d with an MP engaged: as computed from what was sent"
            % (want_progress["conversations"], want_progress["constituencies_reached"], want_progress["mps_engaged"]))
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------
# The test

def test_protocol_from_the_document(h):
    db = h.create_database("interop")
    col = h.start_collector(db)
    ctx = zmq.Context()
    sent = Sent()
    mk = Maker("a")
    a = Client(ctx, col.endpoint, "client A")
    try:
        _run(h, col, ctx, db, a, sent, mk)
    finally:
        a.close()
        ctx.destroy(0)
    rc = col.stop(timeout=10)
    check(rc == 0, "collector exited with status %s after SIGTERM:\n%s" % (rc, col.tail()))


def _run(h, col, ctx, db, a, sent, mk):
    # -- 1. PING → PONG, tokens of 0, 1 and 63 bytes -------------------------------------
    for token in (b"7", b"", b"t" * 63):
        a.ping(token)
        r = a.wait(lambda r: r[0] == "PONG", what="PONG")
        check(r[1] == token, "PONG carried %r, not the token %r" % (r[1], token))
    log("PING/PONG: tokens of 1, 0 and 63 bytes come back unchanged")

    # -- 2. PROTOCOL.md § 3's worked example, byte for byte -------------------------------
    example = (b'{"event_id":"5b0e9c1e-7d3a-4a61-9a57-0f6f1c1f0a01","type":"conversation.reported",'
               b'"reported_at":"2025-03-03T09:12:00Z","occurred_on":"2025-02-28","association":{"id":"NHA"},'
               b'"constituency":{"code":"E14001377"},"stakeholder":{"role":"mp","name":"Alison Reed"}}')
    check(len(example) == 258, "the worked example's event is %d bytes, § 3 says 258" % len(example))
    second = json.loads(example)
    second.update(event_id=str(uuid.uuid4()), stance="high")
    want = b'rejected\tstance\tmust be an integer from -2 to 2 (got "high")'
    check(len(want) == 60, "the worked example's outcome is %d bytes, § 3 says 60" % len(want))
    for answer in ("accepted", "duplicate"):  # "Had the agent sent batch 42 again …"
        a.batch(42, [example, line(second)])
        r = a.wait(lambda r: r[0] in ("OUTCOMES", "ERROR"), what="OUTCOMES for batch 42")
        check(r[0] == "OUTCOMES" and r[1] == 42, "batch 42: %r" % (r,))
        check(r[2] == [(answer,), tuple(want.decode().split("\t"))],
              "batch 42: outcomes %r, expected %s and the documented rejection" % (r[2], answer))
    sent.add(json.loads(example))
    log("worked example (§ 3): batch 42 answered accepted + the 60-byte rejection, then duplicate + the same")

    # -- 3. Four batches in flight; replies matched by seq --------------------------------
    batches = {}
    for seq in (1, 2, 3, 4):
        batches[seq] = [mk.event() for _ in range(25 * seq)]
        a.batch(seq, [line(e) for e in batches[seq]])
    order = []
    for _ in range(4):
        r = a.wait(lambda r: r[0] in ("OUTCOMES", "ERROR"), what="OUTCOMES for the window")
        check(r[0] == "OUTCOMES", "ERROR for a valid batch: %r" % (r,))
        seq, outs = r[1], r[2]
        check(seq in batches and seq not in order, "OUTCOMES for seq %r, not one unanswered" % seq)
        check(len(outs) == len(batches[seq]), "batch %d: %d events, %d outcomes" % (seq, len(batches[seq]), len(outs)))
        check(all(o == ("accepted",) for o in outs), "batch %d: new events not all accepted: %r" % (
            seq, [o for o in outs if o != ("accepted",)][:3]))
        order.append(seq)
    for seq in batches:
        for e in batches[seq]:
            sent.add(e)
    log("window: 4 batches in flight (25..100 events), all accepted; answered in order %s" % order)

    # -- 4. Resends: same seq after its answer, a new seq, twice in flight ----------------
    a.batch(2, [line(e) for e in batches[2]])
    outs = a.outcomes(2, len(batches[2]))
    check(all(o == ("duplicate",) for o in outs), "resent batch 2: not all duplicate: %r" % outs[:3])
    a.batch(5, [line(e) for e in batches[3]])
    outs = a.outcomes(5, len(batches[3]))
    check(all(o == ("duplicate",) for o in outs), "batch 3 resent as 5: not all duplicate: %r" % outs[:3])
    # Same batch sent twice before either answer (the resend of a batch in flight): two
    # answers; each event is accepted by exactly one and a duplicate in the other.
    fresh = [mk.event() for _ in range(40)]
    a.batch(6, [line(e) for e in fresh])
    a.batch(6, [line(e) for e in fresh])
    o1 = a.outcomes(6, len(fresh))
    o2 = a.outcomes(6, len(fresh))
    for i, (x, y) in enumerate(zip(o1, o2)):
        check(sorted([x, y]) == [("accepted",), ("duplicate",)],
              "batch 6 sent twice in flight: event %d got %r and %r (one accepted, one duplicate expected)" % (i, x, y))
    for e in fresh:
        sent.add(e)
    log("resends: same seq, new seq and in flight twice give duplicate (each event accepted exactly once)")

    # The same events in a different form (docs/EVENTS.md: "content" is the event as
    # understood, not its bytes): keys in another order, upper-case UUID. Duplicates.
    reform = []
    for e in batches[1][:5]:
        f = dict(reversed(list(e.items())))
        f["event_id"] = e["event_id"].upper()
        reform.append(json.dumps(f, indent=1).replace("\n", " ").encode())
    a.batch(7, reform)
    outs = a.outcomes(7, len(reform))
    check(all(o == ("duplicate",) for o in outs), "reformatted resend: not all duplicate: %r" % outs)

    # -- 5. Rejections: invalid events and a conflict, with valid neighbours ---------------
    good1, good2 = mk.event(), mk.event()
    target = batches[1][0]
    conflict = dict(target, stakeholder=dict(target["stakeholder"], name=target["stakeholder"]["name"] + " x"))
    bad_cases = [
        # (line, field, reason or None for "any reason")
        (line(mk.event(stance="high")), "stance", 'must be an integer from -2 to 2 (got "high")'),
        (line(mk.event(stance=1.5)), "stance", "must be an integer from -2 to 2 (got 1.5)"),
        (line(mk.event(occurred_on="1999-12-31")), "occurred_on", "1999-12-31 is before 2000-01-01"),
        (line(mk.event(constituency={"code": "E99999999"})), "constituency.code",
         '"E99999999" is not a 2024 Westminster constituency code'),
        (line(mk.event(stakeholder={"role": "MP", "name": "x"})), "stakeholder.role",
         '"MP" is not a stakeholder role (mp, councillor, peer, mayor, official or opinion_former)'),
        (line({k: v for k, v in mk.event().items() if k != "type"}), "type", "required"),
        (b'{"event_id": "not json', "", None),
        (b"[1,2,3]", "", "line is not a JSON object (got an array)"),
        (b'{"event_id":"x","event_id":"y"}', "", 'line has the key "event_id" twice'),
        (line(mk.event(notes="n" * 16500)), "", "line is %d bytes long (at most 16384)"),
        (line(conflict), "event_id", None),
    ]
    bad_cases[9] = (bad_cases[9][0], "", bad_cases[9][2] % len(bad_cases[9][0]))
    frames = [line(good1)] + [c[0] for c in bad_cases] + [line(good2)]
    a.batch(8, frames)
    outs = a.outcomes(8, len(frames))
    check(outs[0] == ("accepted",) and outs[-1] == ("accepted",),
          "the valid neighbours of rejected events were not accepted: %r, %r" % (outs[0], outs[-1]))
    for (raw, field, reason), got in zip(bad_cases, outs[1:-1]):
        check(got[0] == "rejected", "invalid event %r got %r" % (raw[:60], got))
        check(got[1] == field, "event %r rejected with field %r, expected %r (reason %r)" % (
            raw[:60], got[1], field, got[2]))
        if reason is not None:
            check(got[2] == reason, "event %r: reason %r, expected %r" % (raw[:60], got[2], reason))
    conflict_reason = outs[-2][2]
    check(conflict_reason.startswith("conflict: event_id ") and
          conflict_reason.endswith(" already stored with different content"),
          "conflict reason %r is not PROTOCOL.md § 4's" % conflict_reason)
    sent.add(good1)
    sent.add(good2)
    # Sending it again unchanged gets the same answer (§ 4).
    a.batch(9, frames)
    outs2 = a.outcomes(9, len(frames))
    check(outs2[0] == ("duplicate",) and outs2[-1] == ("duplicate",), "resend of batch 8: neighbours %r %r" % (
        outs2[0], outs2[-1]))
    check(outs2[1:-1] == outs[1:-1], "resend of batch 8: rejections changed: %r vs %r" % (outs2[1:-1], outs[1:-1]))
    log("rejected: %d invalid events and a conflict, each with its field and reason; neighbours accepted; "
        "same answers on resend" % (len(bad_cases) - 1))
    log("observed: conflict outcome %r" % "\t".join(outs[-2]))

    # PROTOCOL.md § 4: the same event_id twice in one batch is read in the batch's order.
    twin = mk.event()
    twin_changed = dict(twin, stance=2 if twin.get("stance") != 2 else -2)
    a.batch(10, [line(twin), line(twin), line(twin_changed)])
    outs = a.outcomes(10, 3)
    log("observed: one batch with an event, itself again, then a changed copy: %r" % (outs,))
    check(outs[0] == ("accepted",) and outs[1] == ("duplicate",) and outs[2][:2] == ("rejected", "event_id"),
          "same event_id within one batch: %r (expected accepted, duplicate, rejected event_id)" % (outs,))
    sent.add(twin)

    # Amendment and withdrawal: state is the event with the greatest (reported_at, event_id).
    base = batches[4][0]
    amend = dict(base, event_id=str(uuid.uuid4()), type="conversation.amended",
                 reported_at="2025-03-04T10:00:00Z", stance=2, topics=["retrofit", "supply"], follow_up=True)
    gone = batches[4][1]
    withdraw = dict(gone, event_id=str(uuid.uuid4()), type="conversation.withdrawn",
                    reported_at="2025-03-04T10:00:00Z", stance="ignored for a withdrawal")
    stale = dict(batches[4][2], event_id=str(uuid.uuid4()), type="conversation.amended",
                 reported_at="2025-03-03T00:00:00Z", stance=-2)  # older than the report: must not win
    a.batch(11, [line(stale), line(withdraw), line(amend)])
    outs = a.outcomes(11, 3)
    check(outs == [("accepted",)] * 3, "amendments and withdrawal: %r" % outs)
    for e in (stale, withdraw, amend):
        sent.add(e)
    # A constituency given by name counts under its code.
    by_name = mk.event(constituency={"name": CONSTITUENCIES["W07000112"]["name"]})
    a.batch(12, [line(by_name)])
    check(a.outcomes(12, 1) == [("accepted",)], "event with constituency by name not accepted")
    sent.add(by_name)

    # -- 6. Malformed requests → ERROR, while client B sends batches at the same time ------
    b_sent = Sent()
    b_result = {}
    b_mk = Maker("b")
    b_mk.n = 100000
    b_thread = threading.Thread(target=_client_b, args=(ctx, col.endpoint, b_mk, b_sent, b_result))
    b_thread.start()
    try:
        _malformed(a, b_result)
    finally:
        b_thread.join(120)
    check(not b_thread.is_alive(), "client B did not finish within 120 s")
    if "error" in b_result:
        fail("client B, sending while client A sent malformed requests: %s" % b_result["error"])
    log("client B: %d batches (%d events) answered in full while A's malformed requests were refused; "
        "B saw no ERROR and no unexpected reply" % (b_result["batches"], b_result["events"]))
    check(col.alive(), "the collector died:\n%s" % col.tail())

    # -- 7. The same new batch from two clients at once: each event accepted exactly once --
    c = Client(ctx, col.endpoint, "client C")
    try:
        same = [mk.event() for _ in range(200)]
        frames = [line(e) for e in same]
        a.batch(20, frames)
        c.batch(1, frames)
        oa = a.outcomes(20, len(same))
        oc = c.outcomes(1, len(same))
        for i, (x, y) in enumerate(zip(oa, oc)):
            check(sorted([x, y]) == [("accepted",), ("duplicate",)],
                  "event %d sent by two clients at once: %r and %r" % (i, x, y))
        log("two clients, same batch at once: every event accepted by one, duplicate for the other "
            "(A accepted %d, C accepted %d)" % (oa.count(("accepted",)), oc.count(("accepted",))))
        for e in same:
            sent.add(e)
    finally:
        c.close()

    # -- 8. The views ---------------------------------------------------------------------
    for k, v in b_sent.events.items():
        sent.events[k] = v
    check_views(db, sent, sorted(set(mk.codes) | {"E14001064"}))  # E14001064: untouched, all zero


def _malformed(a, b_result):
    """Client A's malformed requests, each answered by ERROR to A alone (PROTOCOL.md § 8)."""
    ev = b'{"event_id":"00000000-0000-4000-8000-000000000000"}'

    # Bad version frame: the seq frame is empty and the reason is the documented one.
    a.send([b"PARLEY/9", b"BATCH", b"1", ev])
    r = a.error(what="ERROR for version PARLEY/9")
    check(r[1] is None, "ERROR for a bad version names seq %r (§ 3 shows it empty)" % r[1])
    check(r[2] == 'unsupported protocol version "PARLEY/9" (expected "PARLEY/1")',
          "bad version: reason %r" % r[2])
    a.send([b"PARLEY/1x", b"PING", b"1"])
    r = a.error(what="ERROR for version PARLEY/1x")
    check(r[2] == 'unsupported protocol version "PARLEY/1x" (expected "PARLEY/1")', "reason %r" % r[2])

    # Sequence frames that are not an unsigned decimal number: seq frame empty (§ 8).
    for bad_seq in (b"12x", b"", b"-1", b"+1", b" 1", b"1.0", b"0x10",
                    b"184467440737095516160",   # 21 digits
                    b"18446744073709551616"):   # 2^64: 20 digits but not a u64
        a.send([VERSION, b"BATCH", bad_seq, ev])
        r = a.error(what="ERROR for seq %r" % bad_seq)
        check(r[1] is None, "seq %r: ERROR names seq %r; it could not be read, so the frame must be empty"
              % (bad_seq, r[1]))
        log("ERROR for seq %-24r: %s" % (bad_seq, r[2]))

    # § 2: a seq with a leading zero is malformed, not read as 7: ERROR with an empty seq.
    a.send([VERSION, b"BATCH", b"007", ev])
    check(a.sock.poll(int(REPLY_WAIT * 1000), zmq.POLLIN), "no reply to a BATCH with seq 007")
    raw = a.sock.recv_multipart()
    log("observed: seq b'007' gets %r" % (raw[:4],))
    check(raw[:3] == [VERSION, b"ERROR", b""], "seq 007: %r" % (raw[:4],))

    # Unknown or lower-case command, a message of the version frame alone: ERROR.
    for frames in ([VERSION, b"FETCH", b"1"], [VERSION, b"batch", b"3", ev], [VERSION],
                   [VERSION, b"OUTCOMES", b"1", b"accepted"]):
        a.send(frames)
        r = a.error(what="ERROR for %r" % frames[:2])
        log("ERROR for %-32r: seq %r, %s" % (frames[:3], r[1], r[2]))

    # A BATCH with no events, or over 5000: ERROR naming the batch's number.
    a.send([VERSION, b"BATCH", b"31"])
    r = a.error(31, what="ERROR for an empty batch")
    log("ERROR for an empty batch 31: %s" % r[2])
    a.send([VERSION, b"BATCH", b"32"] + [b"{}"] * (BATCH_MAX + 1))
    r = a.error(32, what="ERROR for a batch of 5001 events")
    log("ERROR for a batch of 5001 events: %s" % r[2])

    # A PING token over 63 bytes: ERROR (seq frame empty: a PING has none).
    a.send([VERSION, b"PING", b"t" * 64])
    r = a.error(what="ERROR for a 64-byte PING token")
    check(r[1] is None, "ERROR for a PING names seq %r" % r[1])
    log("ERROR for a 64-byte PING token: %s" % r[2])

    # § 2: a PING has exactly one token frame; none, or two, is malformed.
    for frames in ([VERSION, b"PING"], [VERSION, b"PING", b"a", b"b"]):
        a.send(frames)
        r = a.error(what="ERROR for %r" % frames)
        check(r[1] is None, "ERROR for a malformed PING names seq %r" % r[1])
        log("ERROR for %r: %s" % (frames, r[2]))

    # A frame of exactly 65536 bytes is within the limit (§ 2): the event is rejected by its
    # outcome (too long a line), the connection stays.
    a.batch(34, [b"x" * FRAME_MAX])
    outs = a.outcomes(34, 1)
    check(outs == [("rejected", "", "line is %d bytes long (at most 16384)" % FRAME_MAX)],
          "a 65536-byte event: %r" % outs)

    # A batch of exactly 5000 events is not malformed: every one gets its outcome.
    a.batch(33, [b"{}"] * BATCH_MAX)
    outs = a.outcomes(33, BATCH_MAX)
    check(all(o[0] == "rejected" and o[1] == "event_id" for o in outs),
          "5000 events without event_id: %r" % outs[:2])
    a.quiet(0.5)

    # After all those ERRORs, A's connection still works.
    a.ping(b"after-errors")
    r = a.wait(lambda r: r[0] == "PONG", what="PONG after the ERRORs")
    check(r[1] == b"after-errors", "PONG token %r" % r[1])

    # A frame over 65536 bytes: § 2 says libzmq drops the sender's connection, no reply.
    # B must not notice; A reconnects by itself and is answered again.
    a.send([VERSION, b"BATCH", b"40", b"x" * (FRAME_MAX + 1)])
    t0 = time.monotonic()
    r = a.recv(2.0)
    check(r is None, "a frame over 65536 bytes was answered: %r" % (r,))
    deadline = t0 + 20
    got = None
    n = 0
    while got is None and time.monotonic() < deadline:
        n += 1
        a.ping(b"back-%d" % n)
        got = a.recv(1.0)
    check(got is not None and got[0] == "PONG", "no PONG after the oversized frame's disconnect: %r" % (got,))
    log("oversized frame: no reply, the connection dropped; A answered again after %.1f s" % (time.monotonic() - t0))
    while True:  # late PONGs of the pings sent while reconnecting
        r = a.recv(0.5)
        if r is None:
            break
        check(r[0] == "PONG", "after reconnecting: %r" % (r,))


def _client_b(ctx, endpoint, mk, b_sent, result):
    """Client B: 16 batches of 100 new events, window 4, while A misbehaves. Every reply must
    be OUTCOMES for one of its batches, all accepted."""
    b = Client(ctx, endpoint, "client B")
    try:
        batches = {seq: [mk.event() for _ in range(100)] for seq in range(1, 17)}
        unanswered = {}
        nxt = 1
        deadline = time.monotonic() + 90
        while nxt <= len(batches) or unanswered:
            while nxt <= len(batches) and len(unanswered) < 4:
                b.batch(nxt, [line(e) for e in batches[nxt]])
                unanswered[nxt] = batches[nxt]
                nxt += 1
                time.sleep(0.05)  # spread B's sends over A's malformed requests
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no answer for batches %s" % sorted(unanswered))
            r = b.recv(left)
            if r is None:
                continue
            if r[0] != "OUTCOMES" or r[1] not in unanswered:
                raise AssertionError("unexpected reply %r" % (r[:2],))
            events = unanswered.pop(r[1])
            if len(r[2]) != len(events) or any(o != ("accepted",) for o in r[2]):
                raise AssertionError("batch %d: outcomes %r" % (r[1], r[2][:3]))
            for e in events:
                b_sent.add(e)
        r = b.recv(0.5)
        if r is not None:
            raise AssertionError("unexpected reply after the last batch: %r" % (r[:2],))
        result["batches"] = len(batches)
        result["events"] = sum(map(len, batches.values()))
    except Exception as e:  # reported by the main thread
        result["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        b.close()


if __name__ == "__main__":
    harness.main(globals())
