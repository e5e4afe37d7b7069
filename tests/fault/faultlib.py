"""What the fault tests share, on top of tests/lib/harness.py and generator.py: a generated
stream of at least 100,000 events written as feeds, a watcher of how far the collector has
committed (to strike at random moments that are really during the stream, however fast the
machine is), a reader of the agent's spool on disk (to prove nothing is left unacknowledged),
and the final checks: the stored event_ids against the generator's, the four views against its
ground truth, rejected.jsonl, the spool, and that every process has exited.

Each test seeds its own random.Random with a seed it prints (--seed N on the command line
replays a run: the same stream and the same moments, up to timing).
"""

import os
import random
import re
import struct
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import generator  # noqa: E402
import harness  # noqa: E402
from harness import fail  # noqa: E402

import psycopg2  # noqa: E402

FEED_NAMES = ["north-housing.jsonl", "crm-export.jsonl", "field-app.jsonl"]
# 63,000 conversations make about 100,700 distinct events (and 116,000 lines with the resends,
# conflicts and invalid lines); the tests insist on at least MIN_EVENTS unless scaled down.
CONVERSATIONS = 63000
MIN_EVENTS = 100000


def log(msg):
    print("[%7.2f] %s" % (time.monotonic() - _T0, msg), flush=True)


_T0 = time.monotonic()


class Stream:
    """A generated stream written as feeds, with what must come out of it."""

    def __init__(self, h, label, seed, conversations=None, feeds=3, order="natural",
                 min_events=MIN_EVENTS):
        global _T0
        _T0 = time.monotonic()
        self.seed = seed
        n = h.scale(conversations or CONVERSATIONS)
        t0 = time.monotonic()
        self.g = generator.Generator(seed=seed, conversations=n, feeds=feeds)
        # A seed that happens to make fewer events than the tests insist on gets a few more
        # conversations (the same seed always gives the same stream), never a failed test.
        while h.args.scale >= 1 and self.g.stats()["events"] < min_events:
            n = int(n * 1.02) + 1
            self.g = generator.Generator(seed=seed, conversations=n, feeds=feeds)
        self.feeds = self.g.arrange(order)
        self.paths, self.where = generator.write_feeds(self.feeds, h.path(label, "feeds"),
                                                       FEED_NAMES[:feeds])
        self.expected = self.g.expected()
        self.stats = self.g.stats()
        self.lines = sum(len(f) for f in self.feeds)
        self.event_ids = {l.event.event_id.lower() for l in self.g.lines
                          if l.kind in ("event", "resend")}
        if h.args.scale >= 1 and self.stats["events"] < min_events:
            fail("the stream has only %d events (at least %d wanted)" % (self.stats["events"], min_events))
        log("seed %d: %d events (%d distinct ids), %d lines in %d feeds (%s), generated in %.1f s" % (
            seed, self.stats["events"], len(self.event_ids), self.lines, feeds,
            ", ".join("%s %d" % (k[6:], v) for k, v in self.stats.items() if k.startswith("lines_")),
            time.monotonic() - t0))

    def kinds(self):
        out = {}
        for f in self.feeds:
            for line in f:
                out[line.kind] = out.get(line.kind, 0) + 1
        return out


def pick_seed(h):
    """The test's seed: --seed if given, else a fresh one (Stream prints it, so that a failure
    can be replayed with --seed)."""
    if h.args.seed is not None:
        return h.args.seed
    return random.SystemRandom().randrange(1, 2 ** 31)


# ---------------------------------------------------------------------------------------
# Watching the collector's progress

class Committed:
    """How many events the collector has committed (rows of parley.event), read through a
    connection of our own that survives the database going away."""

    def __init__(self, db):
        self.db = db
        self.conn = None
        self.last = 0

    def __call__(self):
        try:
            if self.conn is None or self.conn.closed:
                self.conn = psycopg2.connect(self.db.conninfo, connect_timeout=2)
                self.conn.autocommit = True
            with self.conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM parley.event")
                self.last = cur.fetchone()[0]
        except psycopg2.Error:
            # No schema yet, or the server is restarting: keep the last number seen.
            try:
                if self.conn is not None:
                    self.conn.close()
            except psycopg2.Error:
                pass
            self.conn = None
        return self.last

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except psycopg2.Error:
                pass
            self.conn = None


def thresholds(rng, total, n, low=0.05, high=0.9):
    """n sorted random points in [low, high] of total, at least 2 % of total apart."""
    while True:
        pts = sorted(int(total * rng.uniform(low, high)) for _ in range(n))
        if all(b - a >= total * 0.02 for a, b in zip(pts, pts[1:])):
            return pts


def wait_committed(committed, at_least, timeout, what, alive=None):
    """Waits until the collector has committed at_least events. alive() (optional) is
    checked on the way: it returns a message when something died that must not have."""
    deadline = time.monotonic() + timeout
    while True:
        n = committed()
        if n >= at_least:
            return n
        if alive is not None:
            msg = alive()
            if msg:
                fail("%s (while waiting for %d committed events, at %d)" % (msg, at_least, n))
        if time.monotonic() > deadline:
            fail("timed out after %.0f s waiting for %s: %d of %d events committed" % (
                timeout, what, n, at_least))
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------
# The agent's spool on disk (docs/SPOOL.md)

MAGIC = b"\xfe\x50\x53\x01"
HEADER = struct.Struct("<4sIQI")


def read_spool(spool_dir):
    """(floor, [(id, source, line, data)] of records above the floor, segment names,
    quarantine files, problems) read from DIR/spool and DIR/quarantine."""
    seg_dir = os.path.join(spool_dir, "spool")
    floor = 0
    try:
        with open(os.path.join(seg_dir, "ack"), "rb") as f:
            m = re.match(rb"floor (\d+)\n$", f.read())
            if m:
                floor = int(m.group(1))
    except FileNotFoundError:
        pass
    segments = sorted(n for n in os.listdir(seg_dir) if n.endswith(".seg")) if os.path.isdir(seg_dir) else []
    pending, problems = [], []
    for name in segments:
        with open(os.path.join(seg_dir, name), "rb") as f:
            data = f.read()
        pos = 0
        while pos < len(data):
            if len(data) - pos < HEADER.size:
                problems.append("%s: %d stray bytes at %d" % (name, len(data) - pos, pos))
                break
            magic, length, rid, crc = HEADER.unpack_from(data, pos)
            if magic != MAGIC:
                problems.append("%s: no record magic at %d" % (name, pos))
                break
            end = pos + HEADER.size + length
            if rid != 0:
                if end > len(data):
                    problems.append("%s: record %d at %d runs past the end" % (name, rid, pos))
                    break
                payload = data[pos + HEADER.size:end]
                if zlib.crc32(payload, zlib.crc32(data[pos:pos + 16])) != crc:
                    problems.append("%s: record %d at %d fails its CRC" % (name, rid, pos))
                elif rid > floor:
                    pending.append((rid,) + _record(payload))
            pos = end
    qdir = os.path.join(spool_dir, "quarantine")
    quarantine = sorted(os.listdir(qdir)) if os.path.isdir(qdir) else []
    return floor, pending, segments, quarantine, problems


def _record(payload):
    """(source, line number, raw line) of an agent/record.h record."""
    if len(payload) < 11 or payload[0] != 1:
        return ("?", 0, payload[:200])
    line, slen = struct.unpack_from("<QH", payload, 1)
    return (payload[11:11 + slen].decode(errors="replace"), line, payload[11 + slen:])


def assert_spool_empty(spool_dir):
    floor, pending, segments, quarantine, problems = read_spool(spool_dir)
    if pending:
        fail("the agent's spool still holds %d unacknowledged records (floor %d), e.g. %s" % (
            len(pending), floor, ["id %d %s:%d" % r[:3] for r in pending[:5]]))
    if problems:
        fail("the agent's spool is damaged: %s" % "; ".join(problems[:5]))
    if quarantine:
        fail("the agent quarantined spool bytes (no power was lost): %s" % quarantine)
    log("spool empty: floor %d, %d segment file(s) left, nothing above the floor" % (floor, len(segments)))


# ---------------------------------------------------------------------------------------
# Final checks

def stored_event_ids(db):
    _, rows = db.query("SELECT event_id::text FROM parley.event")
    return [r[0].lower() for r in rows]


def assert_events(db, stream):
    """The stored event_ids are exactly the generator's valid ones, each once."""
    ids = stored_event_ids(db)
    got = set(ids)
    if len(ids) != len(got):
        fail("parley.event holds %d rows for %d distinct event_ids" % (len(ids), len(got)))
    lost = stream.event_ids - got
    extra = got - stream.event_ids
    if lost or extra:
        where = {}
        for (src, n), l in stream.where.items():
            if l.event is not None and l.kind in ("event", "resend"):
                where.setdefault(l.event.event_id.lower(), "%s:%d" % (src, n))
        fail("stored events differ from the stream: %d lost, e.g. %s; %d unexpected, e.g. %s" % (
            len(lost), ["%s (%s)" % (e, where.get(e)) for e in sorted(lost)[:10]],
            len(extra), sorted(extra)[:10]))
    log("parley.event holds exactly the %d distinct event_ids of the stream" % len(got))


def assert_views(db, stream, what="views", spool_dir=None):
    actual = harness.read_views(db)
    try:
        harness.assert_views(actual, stream.expected, what + " against the generator's ground truth")
    except harness.TestFailure:
        try:
            diagnose(db, stream, spool_dir=spool_dir)
        except Exception as e:  # the diagnosis must not hide the failure
            log("diagnosis failed: %r" % e)
        raise
    p = stream.expected["progress"]
    log("the four views equal the ground truth: %d conversations, %d constituencies reached, "
        "%d MPs engaged, %d topic rows" % (p["conversations"], p["constituencies_reached"],
                                           p["mps_engaged"], len(stream.expected["constituency_topics"])))


def assert_rejected(spool_dir, stream):
    n = harness.check_rejected([os.path.join(spool_dir, "rejected.jsonl")], stream.where)
    log("rejected.jsonl names every invalid line (and %d conflicts), nothing valid" % n)


def assert_summary(run, stream, exact_read=True):
    """The --once summary adds up: every line read (when the run read everything), every
    valid event sent once and answered; accepted + duplicates may shift (a resend after a
    collector crash between commit and answer is a duplicate), their sum may not."""
    s = run.summary
    if not s:
        fail("no summary line on the agent's stdout: %r" % run)
    k = stream.kinds()
    valid = k.get("event", 0) + k.get("resend", 0)
    want = {"sent": valid + k.get("conflict", 0),
            "rejected": k.get("invalid", 0) + k.get("conflict", 0)}
    if exact_read:
        want["read"] = stream.lines
    wrong = ["%s %d (expected %d)" % (key, s.get(key, -1), v) for key, v in want.items() if s.get(key) != v]
    if s.get("accepted", 0) + s.get("duplicates", 0) != valid:
        wrong.append("accepted %d + duplicates %d != %d valid lines" % (
            s.get("accepted", 0), s.get("duplicates", 0), valid))
    if wrong:
        fail("agent summary: %s; stdout: %r" % (", ".join(wrong), run.stdout.strip()))
    log("agent summary adds up: %s" % run.stdout.strip())


def assert_all_exited(h, allowed_running=()):
    """Every process the test started has exited (its whole group), before the harness's own
    clean-up would kill it."""
    left = [p.name for p in h.processes if p not in allowed_running and p.group_alive()]
    if left:
        fail("still running at the end: %s" % ", ".join(left))


def assert_nothing_left(h, stream, spool_dir, collectors):
    """The agent's own account: one more parley-agent --once over the same inputs and spool
    reads no line (every input position was saved exactly) and sends nothing (nothing is left
    unacknowledged in the spool)."""
    endpoint = collectors[0].endpoint if collectors else "tcp://127.0.0.1:%d" % harness.free_port()
    again = h.run_agent(endpoint, spool_dir, stream.paths, timeout=60, name="agent-again")
    if again.rc != 0 or again.summary.get("read") != 0 or again.summary.get("sent") != 0:
        fail("a second --once run over the same inputs should read and send nothing: %r" % again)
    log("a second --once run reads and sends nothing: %s" % again.stdout.strip())


def stop_collector(col, timeout=15):
    rc = col.stop(timeout=timeout)
    if rc != 0:
        fail("collector exited with status %s after SIGTERM:\n%s" % (rc, col.tail()))


def finish(h, db, stream, run, spool_dir, collectors, exact_read=True, summary=True):
    """The end of every fault test."""
    if run.rc != 0:
        fail("agent failed: %r" % run)
    assert_nothing_left(h, stream, spool_dir, [c for c in collectors if c.alive()][-1:])
    for c in collectors:
        if c.alive():
            stop_collector(c)
    assert_all_exited(h)
    log("every process has exited")
    assert_spool_empty(spool_dir)
    assert_events(db, stream)
    assert_views(db, stream, spool_dir=spool_dir)
    assert_rejected(spool_dir, stream)
    if summary:
        assert_summary(run, stream, exact_read=exact_read)


def log_lines(proc, msg):
    """The log lines of proc whose msg is msg."""
    return [l for l in proc.log().splitlines() if 'msg="%s"' % msg in l]


def _us(t):
    return int(t.timestamp()) * 1000000 + t.microsecond


def diagnose(db, stream, limit=10, spool_dir=None):
    """When the views differ: which conversations have the wrong state in parley.conversation
    (event, or the attributes it carries) against the generator's model, with their events as
    stored (reported_at, received_at: the order and moment of arrival) and, for each line that
    carries them, whether the agent's rejected.jsonl lists it; and whether
    parley.constituency_agg still agrees with parley.conversation (if it does not, the
    aggregates' deltas went wrong, not the states)."""
    _, rows = db.query("SELECT c.association_id, c.constituency_code, c.stakeholder_role, c.person_key, "
                       "c.occurred_on::text, c.event_id::text, c.counts, c.stance, c.topics, c.follow_up "
                       "FROM parley.conversation c")
    have = {tuple(r[:5]): r[5:] for r in rows}
    rejected = {}
    if spool_dir:
        for source, line, rec in harness.read_rejected(os.path.join(spool_dir, "rejected.jsonl")):
            rejected[(source, line)] = rec.get("reason")
    lines_of = {}
    for (src, n), l in stream.where.items():
        if l.event is not None:
            lines_of.setdefault(l.event.event_id.lower(), []).append("%s:%d %s%s" % (
                src, n, l.kind, " REJECTED (%s)" % rejected[(src, n)][:60] if (src, n) in rejected else ""))
    wrong, seen = [], set()
    for c in stream.g.conversations:
        seen.add(c.ident)
        st = c.state()
        got = have.get(c.ident)
        want = (st.event_id.lower(), c.counts())
        if st.attrs is not None and c.counts():
            want += (st.attrs.stance, sorted(st.attrs.topics), st.attrs.follow_up)
        if got is not None:
            got = (got[0].lower(), got[1]) + ((got[2], sorted(got[3] or []), got[4]) if len(want) > 2 else ())
        if got != want:
            wrong.append((c, got, want))
    extra = [k for k in have if k not in seen]
    log("DIAGNOSIS: %d conversations with a wrong state, %d missing, %d unexpected in parley.conversation" % (
        sum(1 for w in wrong if w[1] is not None), sum(1 for w in wrong if w[1] is None), len(extra)))
    for c, got, want in wrong[:limit]:
        log("  conversation %s (%s): stored %s, expected %s" % (c.ident, c.kind, got, want))
        ids = [e.event_id.lower() for e in c.events]
        _, evs = db.query("SELECT event_id::text, reported_at, received_at, stance, topics, follow_up "
                          "FROM parley.event WHERE event_id = ANY(%s::uuid[])", (ids,))
        stored = {r[0]: r for r in evs}
        for e in sorted(c.events, key=lambda e: (e.reported_at_us, e.event_id)):
            r = stored.get(e.event_id.lower())
            log("    %s %s reported %d us, model %s; %s; lines: %s" % (
                e.event_id, e.type, e.reported_at_us,
                e.attrs and (e.attrs.stance, sorted(e.attrs.topics), e.attrs.follow_up),
                "stored %s received %s" % ((r[3], sorted(r[4] or []), r[5]), r[2].isoformat()) if r
                else "NOT STORED", "; ".join(lines_of.get(e.event_id.lower(), []))))
    for k in extra[:limit]:
        log("  unexpected conversation %s: %s" % (k, have[k]))
    _, agg = db.query("""
        SELECT a.constituency_code, a.conversations, c.n, a.stance_champion, c.champion,
               a.stance_unknown, c.unknown, a.follow_ups, c.follow_ups
          FROM parley.constituency_agg a
          LEFT JOIN (SELECT constituency_code, count(*) AS n,
                            count(*) FILTER (WHERE stance = 2) AS champion,
                            count(*) FILTER (WHERE stance IS NULL) AS unknown,
                            count(*) FILTER (WHERE follow_up) AS follow_ups
                       FROM parley.conversation WHERE counts GROUP BY constituency_code) c
            ON c.constituency_code = a.constituency_code
         WHERE (a.conversations, a.stance_champion, a.stance_unknown, a.follow_ups)
               IS DISTINCT FROM (coalesce(c.n, 0), coalesce(c.champion, 0), coalesce(c.unknown, 0),
                                 coalesce(c.follow_ups, 0))""")
    log("DIAGNOSIS: %d constituencies whose constituency_agg disagrees with parley.conversation%s" % (
        len(agg), (": " + "; ".join(
            "%s conversations %s/%s champion %s/%s unknown %s/%s follow_ups %s/%s (agg/recount)" % r
            for r in agg[:limit])) if agg else ""))


# ---------------------------------------------------------------------------------------
# Regional hubs (parley-agent --relay-bind; docs/PROTOCOL.md § 11)

def start_hub(h, name, upstream, spool, port, args=(), inputs=(), timeout=20):
    """A hub: parley-agent --relay-bind tcp://127.0.0.1:PORT --connect UPSTREAM (no --once: it
    runs until SIGTERM), waited for until it listens."""
    argv = [h.agent, "--connect", upstream, "--spool", spool,
            "--relay-bind", "tcp://127.0.0.1:%d" % port, *args, *inputs]
    hub = h.spawn(name, argv)
    harness.wait_for(lambda: harness.listening(port) or not hub.alive(), timeout, "%s to listen" % name)
    if not hub.alive():
        fail("%s exited with status %s:\n%s" % (name, hub.rc, hub.tail()))
    hub.endpoint = "tcp://127.0.0.1:%d" % port
    return hub


def wait_spool_empty(spool_dir, timeout, what, alive=None):
    """Waits until nothing above the spool's acknowledged floor is left (a running hub has
    forwarded everything it took)."""
    deadline = time.monotonic() + timeout
    while True:
        n = len(read_spool(spool_dir)[1])
        if n == 0:
            return
        if alive is not None:
            msg = alive()
            if msg:
                fail("%s (while waiting for %s, %d records left)" % (msg, what, n))
        if time.monotonic() > deadline:
            fail("timed out after %.0f s waiting for %s: %d records left" % (timeout, what, n))
        time.sleep(0.1)


def assert_hub_rejected(stream, spool_dirs, agent_spools, hubs_without=()):
    """Where refusals land with hubs between the agents and the collector: every invalid line
    in the rejected.jsonl of the agent that read it (they check each line before spooling
    it); every conflict, which only the collector can find, in the rejected.jsonl of the hub
    that delivered it to the collector (spool_dirs), named "relay:ADDRESS/ROUTINGID" after the
    connection it came in on, with the event as input; nothing else anywhere, and nothing
    at all in hubs_without (a hub further down a chain, whose upstream hub accepted it all)."""
    n = harness.check_rejected([os.path.join(s, "rejected.jsonl") for s in agent_spools], stream.where)
    if n:
        fail("the agents' rejected.jsonl list %d conflicts: the hub accepted those" % n)
    conflicts = {l.data for l in stream.g.lines if l.kind == "conflict"}
    seen = set()
    for spool in spool_dirs:
        for source, line, rec in harness.read_rejected(os.path.join(spool, "rejected.jsonl")):
            data = str(rec.get("input", "")).encode()
            if not str(rec["source"]).startswith("relay:127.0.0.1/") or rec.get("field") != "event_id" \
                    or not str(rec.get("reason", "")).startswith("conflict: event_id ") \
                    or data not in conflicts:
                fail("the hub's rejected.jsonl holds something other than a conflict named after "
                     "its agent: %r" % rec)
            seen.add(data)
    if seen != conflicts:
        fail("%d of the stream's %d conflicts are not in the hub's rejected.jsonl" % (
            len(conflicts - seen), len(conflicts)))
    for spool in hubs_without:
        left = harness.read_rejected(os.path.join(spool, "rejected.jsonl"))
        if left:
            fail("a hub below another one reports refusals: %r" % left[:3])
    log("rejected.jsonl: every invalid line at its agent, all %d conflicts at the hub, named after "
        "the connection they came in on" % len(conflicts))


def assert_agent_summaries(runs, stream):
    """Each association agent's --once summary: every line of its feed read, its invalid lines
    rejected by itself, every other line accepted by the hub (a hub never answers duplicate:
    duplicates and conflicts are decided at the collector)."""
    for run, feed in zip(runs, stream.feeds):
        s = run.summary
        kinds = {}
        for line in feed:
            kinds[line.kind] = kinds.get(line.kind, 0) + 1
        valid = len(feed) - kinds.get("invalid", 0)
        want = {"read": len(feed), "sent": valid, "accepted": valid, "duplicates": 0,
                "rejected_by_agent": kinds.get("invalid", 0), "rejected_by_collector": 0}
        wrong = ["%s %s (expected %d)" % (k, s.get(k), v) for k, v in want.items() if s.get(k) != v]
        if run.rc != 0 or wrong:
            fail("%s: exit %s, %s; stdout %r" % (run.proc.name, run.rc, ", ".join(wrong),
                                                 run.stdout.strip()))
    log("every agent's summary adds up: each line of its feed read once, answered by the hub")
