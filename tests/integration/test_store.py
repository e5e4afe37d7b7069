#!/usr/bin/python3
# ctest-timeout: 600
"""parley-collector against a real PostgreSQL: what counts, and what is acknowledged when.

Drives the real parley-collector with batches written from docs/PROTOCOL.md (common/wire.h):
a ZeroMQ DEALER sends "PARLEY/1" | "BATCH" | seq | event… and reads "PARLEY/1" | "OUTCOMES" |
seq | outcome…. Every scenario gets a fresh database. Expected values are computed here
from the test's own event list (the ground truth it generated), never read back from
Parley's tables.

Usage:
  test_store.py --collector PATH/parley-collector [--work-dir DIR] [--only NAME[,NAME…]]
                [--bench N]
The PostgreSQL to use comes from PGHOST/PGPORT/PGUSER; when PGHOST is not set and
PARLEY_PG_DIR names a cluster made by deploy/scripts/pg-private, its settings are used.
The scenario "pg_restart" stops and starts PostgreSQL, so it runs its own private cluster
(deploy/scripts/pg-private, found beside this tree or via PARLEY_PG_PRIVATE).
Other arguments the CTest wrapper passes (--agent, --parley, --bin-dir) are ignored.
--bench N sends N events (batches of 1000, four in flight) through a fresh database and
prints the throughput instead of running the scenarios.
"""
import argparse
import copy
import csv
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import unicodedata
import uuid

import psycopg2
import psycopg2.extras
import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("PARLEY_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
CSV_PATH = os.path.join(SOURCE_DIR, "common", "data", "constituencies-2024.csv")

ROLES = ["mp", "councillor", "peer", "mayor", "official", "opinion_former"]
STANCE_COLUMNS = {-2: "stance_opposed", -1: "stance_sceptical", 0: "stance_neutral",
                  1: "stance_supportive", 2: "stance_champion"}


def log(*args):
    print(*args, flush=True)


# --------------------------------------------------------------------------------------
# Reference data and ground truth


def load_constituencies():
    with open(CSV_PATH, newline="", encoding="utf-8") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


CONSTITUENCIES = load_constituencies()


def parse_instant(text):
    """RFC 3339 → aware datetime in UTC (microsecond precision)."""
    t = text.replace("z", "Z")
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?([+-]\d\d:\d\d)$", t)
    frac = (m.group(2) or ".0")[1:7].ljust(6, "0")
    base = dt.datetime.fromisoformat(m.group(1) + "." + frac + m.group(3))
    return base.astimezone(dt.timezone.utc)


class Truth:
    """What the views must say, computed from events the test knows to be valid. Each
    event carries the ground truth the generator decided: its conversation key (with the
    person as the generator knows them, not as Parley folds their name)."""

    def __init__(self):
        self.events = {}  # event_id → (ordering key, conversation key, attributes or None)

    def add(self, ev, person, first_wins=True):
        eid = ev["event_id"].lower()
        if eid in self.events and first_wins:
            return
        cons = ev["constituency"]
        code = cons.get("code", "").upper() or NAME_TO_CODE[cons["name"]]
        key = (ev["association"]["id"].upper(), code, ev["stakeholder"]["role"], person,
               ev["occurred_on"])
        order = (parse_instant(ev["reported_at"]), eid)
        attrs = None
        if ev["type"] != "conversation.withdrawn":
            attrs = {"stance": ev.get("stance"), "topics": sorted(set(ev.get("topics", []))),
                     "follow_up": bool(ev.get("follow_up", False))}
        self.events[eid] = (order, key, attrs)

    def conversations(self):
        state = {}
        for order, key, attrs in self.events.values():
            if key not in state or order > state[key][0]:
                state[key] = (order, attrs)
        return {k: a for k, (o, a) in state.items() if a is not None}

    def views(self):
        counting = self.conversations()
        summary = {}
        for code, c in CONSTITUENCIES.items():
            row = {"constituency_code": code, "constituency_name": c["name"],
                   "region": c["region"], "country": c["country"], "conversations": 0,
                   "associations": 0, "stance_unknown": 0, "mean_stance": None,
                   "follow_ups": 0, "first_on": None, "last_on": None}
            for r in ROLES:
                row[r + "_conversations"] = 0
            for col in STANCE_COLUMNS.values():
                row[col] = 0
            summary[code] = row
        assoc, stance_sum, topics = {}, {}, {}
        for (association, code, role, person, day), a in counting.items():
            row = summary[code]
            row["conversations"] += 1
            row[role + "_conversations"] += 1
            if a["stance"] is None:
                row["stance_unknown"] += 1
            else:
                row[STANCE_COLUMNS[a["stance"]]] += 1
                stance_sum[code] = stance_sum.get(code, 0) + a["stance"]
            row["follow_ups"] += 1 if a["follow_up"] else 0
            d = dt.date.fromisoformat(day)
            row["first_on"] = d if row["first_on"] is None else min(row["first_on"], d)
            row["last_on"] = d if row["last_on"] is None else max(row["last_on"], d)
            assoc.setdefault(code, set()).add(association)
            for t in a["topics"]:
                topics[(code, t)] = topics.get((code, t), 0) + 1
        for code, row in summary.items():
            row["associations"] = len(assoc.get(code, ()))
            known = row["conversations"] - row["stance_unknown"]
            if known:
                row["mean_stance"] = stance_sum.get(code, 0) / known
        regions = {}
        for code, row in summary.items():
            r = regions.setdefault((row["region"], row["country"]), {
                "region": row["region"], "country": row["country"], "constituencies": 0,
                "constituencies_reached": 0, "mps_engaged": 0, "conversations": 0})
            r["constituencies"] += 1
            r["constituencies_reached"] += 1 if row["conversations"] else 0
            r["mps_engaged"] += 1 if row["mp_conversations"] else 0
            r["conversations"] += row["conversations"]
        progress = {"conversations": sum(r["conversations"] for r in summary.values()),
                    "target": 1000,
                    "constituencies_reached": sum(1 for r in summary.values() if r["conversations"]),
                    "mps_engaged": sum(1 for r in summary.values() if r["mp_conversations"])}
        return {"summary": summary, "topics": topics, "regions": regions, "progress": progress}


def fold(text):
    """Enough of Parley's folding for the names this test writes (the collector does the
    real folding; a difference shows as a wrong count)."""
    out = []
    for ch in unicodedata.normalize("NFKD", text.replace("&", " and ")):
        if unicodedata.combining(ch):
            continue
        out.append(ch.lower() if ch.isalnum() else " ")
    return " ".join("".join(out).split())


NAME_TO_CODE = {}
for _code, _c in CONSTITUENCIES.items():
    NAME_TO_CODE[_c["name"]] = _code


# --------------------------------------------------------------------------------------
# Processes and sockets


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def pg_env_from_private():
    """PGHOST… from a pg-private cluster when the environment does not say."""
    if os.environ.get("PGHOST"):
        return
    pg_dir, script = os.environ.get("PARLEY_PG_DIR"), pg_private_script()
    if not pg_dir or not script:
        return
    out = subprocess.run([script, "env", pg_dir], capture_output=True, text=True, check=True).stdout
    for m in re.finditer(r"export (\w+)=(.*)", out):
        os.environ[m.group(1)] = m.group(2).strip("'\"")


def pg_private_script():
    script = os.environ.get("PARLEY_PG_PRIVATE") or os.path.join(SOURCE_DIR, "deploy", "scripts", "pg-private")
    return script if os.path.exists(script) else None


class Database:
    """A fresh database in the cluster the libpq environment names (env: a dict of PG*
    overrides, for the private cluster)."""
    counter = 0

    def __init__(self, env=None):
        Database.counter += 1
        self.env = env or {}
        self.name = "parley_store_%d_%d" % (os.getpid(), Database.counter)
        admin = self.connect("postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS %s" % self.name)
            cur.execute("CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
                        % self.name)
        admin.close()

    def connect(self, dbname=None):
        kw = {"dbname": dbname or self.name}
        for k, p in (("PGHOST", "host"), ("PGPORT", "port"), ("PGUSER", "user")):
            v = self.env.get(k, os.environ.get(k))
            if v:
                kw[p] = v
        return psycopg2.connect(**kw)

    def conninfo(self):
        parts = ["dbname=" + self.name]
        for k, p in (("PGHOST", "host"), ("PGPORT", "port"), ("PGUSER", "user")):
            v = self.env.get(k, os.environ.get(k))
            if v:
                parts.append("%s=%s" % (p, v))
        return " ".join(parts)

    def query(self, sql, args=None):
        conn = self.connect()
        try:
            with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                cur.execute(sql, args)
                rows = cur.fetchall() if cur.description else None
            conn.commit()
            return rows
        finally:
            conn.close()

    def drop(self):
        try:
            admin = self.connect("postgres")
            admin.autocommit = True
            with admin.cursor() as cur:
                cur.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)
            admin.close()
        except psycopg2.Error:
            pass  # a cluster already stopped takes its databases with it


def _die_with_parent():
    """In the child: SIGKILL when the test process dies (a CTest timeout must not leave a
    collector running)."""
    import ctypes
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Collector:
    def __init__(self, binary, db, work_dir, extra=()):
        self.log_path = os.path.join(work_dir, "collector-%s-%d.log" % (db.name, time.monotonic_ns()))
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary, "--db", db.conninfo(), "--bind", "tcp://127.0.0.1:*",
                                      "--stats-interval", "1",
                                      # the store's own test, over loopback: no keys
                                      "--insecure"] + list(extra),
                                     stdout=subprocess.DEVNULL, stderr=self.log_file,
                                     preexec_fn=_die_with_parent)
        self.endpoint = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = self.log()
            m = re.search(r'msg="listening" endpoint=(\S+)', text)
            if m:
                self.endpoint = m.group(1)
            if self.endpoint and 'msg="ready"' in text:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.kill()
        raise Failure("collector did not become ready:\n" + self.log())

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, within=5.0):
        """SIGTERM; returns (exit status, seconds it took)."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=within + 5)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure("collector still running %.0f s after SIGTERM" % (within + 5))
        self.log_file.close()
        return rc, time.monotonic() - t0

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.log_file.closed:
            self.log_file.close()


class Agent:
    """A protocol client written from the frame layout, not from the C code."""

    def __init__(self, ctx, endpoint):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.seq = 0

    def close(self):
        self.sock.close(0)

    def send(self, lines, seq=None):
        if seq is None:
            self.seq += 1
            seq = self.seq
        frames = [b"PARLEY/1", b"BATCH", str(seq).encode()]
        frames += [l if isinstance(l, bytes) else json.dumps(l).encode() for l in lines]
        self.sock.send_multipart(frames)
        return seq

    def recv(self, timeout):
        if not self.sock.poll(int(timeout * 1000)):
            return None
        return self.sock.recv_multipart()

    def outcomes(self, reply):
        check(reply[0] == b"PARLEY/1" and reply[1] == b"OUTCOMES", "not an OUTCOMES reply: %r" % reply[:4])
        out = []
        for f in reply[3:]:
            t = f.decode()
            if t in ("accepted", "duplicate"):
                out.append((t, None, None))
            else:
                kind, field, reason = t.split("\t", 2)
                check(kind == "rejected", "bad outcome frame %r" % t)
                out.append((kind, field, reason))
        return int(reply[2]), out

    def batch(self, lines, timeout=30):
        seq = self.send(lines)
        reply = self.recv(timeout)
        check(reply is not None, "no reply to batch %d within %d s" % (seq, timeout))
        got_seq, out = self.outcomes(reply)
        check(got_seq == seq, "reply for seq %d, expected %d" % (got_seq, seq))
        check(len(out) == len(lines), "%d outcomes for %d events" % (len(out), len(lines)))
        return out


def event(**kw):
    e = {"event_id": str(uuid.uuid4()), "type": "conversation.reported",
         "reported_at": "2025-03-01T10:00:00Z", "occurred_on": "2025-02-28",
         "association": {"id": "HA1"}, "constituency": {"code": "E14001063"},
         "stakeholder": {"role": "mp", "name": "Jane Smith"}}
    e.update(kw)
    return e


def views(db):
    summary = {r["constituency_code"]: dict(r) for r in db.query("SELECT * FROM parley.constituency_summary")}
    for r in summary.values():
        if r["mean_stance"] is not None:
            r["mean_stance"] = float(r["mean_stance"])
    topics = {(r["constituency_code"], r["topic"]): r["conversations"]
              for r in db.query("SELECT * FROM parley.constituency_topics")}
    regions = {(r["region"], r["country"]): dict(r) for r in db.query("SELECT * FROM parley.region_summary")}
    progress = db.query("SELECT * FROM parley.progress")
    check(len(progress) == 1, "parley.progress has %d rows" % len(progress))
    return {"summary": summary, "topics": topics, "regions": regions, "progress": dict(progress[0])}


def compare_views(got, want, label):
    problems = []
    check(set(got["summary"]) == set(want["summary"]), "%s: constituency_summary has %d rows" % (label, len(got["summary"])))
    for code, w in want["summary"].items():
        g = got["summary"][code]
        for k, v in w.items():
            gv = g[k]
            if k == "mean_stance" and v is not None and gv is not None:
                if abs(gv - v) > 1e-9:
                    problems.append("%s %s: %r != %r" % (code, k, gv, v))
            elif gv != v:
                problems.append("%s %s: got %r, want %r" % (code, k, gv, v))
    if got["topics"] != want["topics"]:
        problems.append("constituency_topics differ: extra %r missing %r" % (
            sorted(set(got["topics"].items()) - set(want["topics"].items()))[:5],
            sorted(set(want["topics"].items()) - set(got["topics"].items()))[:5]))
    if got["regions"] != want["regions"]:
        problems.append("region_summary differs")
    if got["progress"] != want["progress"]:
        problems.append("progress: got %r, want %r" % (got["progress"], want["progress"]))
    check(not problems, "%s: views differ from the expected values:\n  %s" % (label, "\n  ".join(problems[:20])))


# --------------------------------------------------------------------------------------
# Scenarios


class Env:
    def __init__(self, args):
        self.binary = args.collector
        self.work_dir = args.work_dir
        self.ctx = zmq.Context.instance()
        self.cleanups = []

    def database(self, env=None):
        db = Database(env)
        self.cleanups.append(db.drop)
        return db

    def collector(self, db, extra=()):
        c = Collector(self.binary, db, self.work_dir, extra)
        self.cleanups.append(c.kill)
        return c

    def agent(self, collector):
        a = Agent(self.ctx, collector.endpoint)
        self.cleanups.append(a.close)
        return a

    def cleanup(self):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception:  # noqa: BLE001 - cleanup must go on
                pass
        self.cleanups = []


def scenario_protocol(env):
    """PING → PONG; a malformed request gets ERROR, to that peer only; invalid lines are
    rejected with field and reason while their neighbours are stored."""
    db = env.database()
    c = env.collector(db)
    good, bad = env.agent(c), env.agent(c)
    bad.sock.send_multipart([b"PARLEY/1", b"PING", b"t-1"])
    check(bad.recv(10) == [b"PARLEY/1", b"PONG", b"t-1"], "PING was not answered with PONG")
    bad.sock.send_multipart([b"PARLEY/9", b"BATCH", b"7", b"{}"])
    r = bad.recv(10)
    check(r is not None and r[:2] == [b"PARLEY/1", b"ERROR"] and b"PARLEY/9" in r[3], "bad version: %r" % r)
    bad.sock.send_multipart([b"PARLEY/1", b"BATCH", b"8"])
    r = bad.recv(10)
    check(r is not None and r[:3] == [b"PARLEY/1", b"ERROR", b"8"], "empty batch: %r" % r)
    check(good.recv(0.3) is None, "the other agent received something")
    lines = [event(), b"{not json", event(stance=1.5), event(constituency={"code": "E99999999"}),
             event(stakeholder={"role": "mp", "name": "Mr"}), event(occurred_on="1999-12-31"), event()]
    out = good.batch(lines)
    check([o[0] for o in out] == ["accepted", "rejected", "rejected", "rejected", "rejected", "rejected", "accepted"],
          "outcomes %r" % out)
    check(out[1][1] == "" and "JSON" in out[1][2], "bad JSON reason %r" % (out[1],))
    check(out[2][1] == "stance", "bad stance field %r" % (out[2],))
    check(out[3][1] == "constituency.code", "bad code field %r" % (out[3],))
    check(out[5][1] == "occurred_on", "bad date field %r" % (out[5],))
    truth = Truth()
    truth.add(lines[0], "jane smith")
    truth.add(lines[6], "jane smith")
    compare_views(views(db), truth.views(), "protocol")
    n = db.query("SELECT count(*) AS n FROM parley.event")[0]["n"]
    check(n == 2, "%d events stored, want 2" % n)


def scenario_duplicates_and_conflicts(env):
    db = env.database()
    c = env.collector(db)
    a = env.agent(c)
    e1 = event(stance=1, topics=["housing", "planning"])
    e1_reordered = json.dumps(dict(reversed(list(e1.items()))), indent=1).encode()  # same content
    e1_topics = dict(e1, topics=["planning", "housing", "planning"])                 # same set
    e1_upper = dict(e1, event_id=e1["event_id"].upper())                             # same id
    e1_conflict = dict(e1, stance=2)
    out = a.batch([e1, e1, e1_conflict, e1_reordered])
    check([o[0] for o in out] == ["accepted", "duplicate", "rejected", "duplicate"], "batch 1: %r" % out)
    check(out[2][1] == "event_id" and out[2][2].startswith("conflict: event_id " + e1["event_id"]),
          "conflict reason: %r" % (out[2],))
    out = a.batch([e1, e1_topics, e1_upper, dict(e1, notes="different notes")])
    check([o[0] for o in out] == ["duplicate", "duplicate", "duplicate", "rejected"], "batch 2: %r" % out)
    truth = Truth()
    truth.add(e1, "jane smith")
    compare_views(views(db), truth.views(), "duplicates")
    stored = db.query("SELECT stance FROM parley.event WHERE event_id = %s", (e1["event_id"],))
    check(stored == [{"stance": 1}], "the first event must stay: %r" % stored)


def scenario_amendments(env):
    db = env.database()
    c = env.collector(db)
    a = env.agent(c)
    r = event(reported_at="2025-03-01T10:00:00Z", stance=1, topics=["rent"], follow_up=True)
    newer = event(type="conversation.amended", reported_at="2025-03-02T09:00:00+01:00", stance=2,
                  topics=["planning"], stakeholder={"role": "mp", "name": "Rt Hon Jane Smith MP"})
    older = event(type="conversation.amended", reported_at="2025-02-28T23:00:00Z", stance=-2, topics=["older"])
    check([o[0] for o in a.batch([r])] == ["accepted"], "report")
    check([o[0] for o in a.batch([newer])] == ["accepted"], "newer amendment")
    check([o[0] for o in a.batch([older])] == ["accepted"], "older amendment")
    got = views(db)
    row = got["summary"]["E14001063"]
    check(row["conversations"] == 1 and row["stance_champion"] == 1 and row["stance_supportive"] == 0
          and row["follow_ups"] == 0, "newer amendment must win: %r" % row)
    check(got["topics"] == {("E14001063", "planning"): 1}, "topics %r" % got["topics"])
    truth = Truth()
    for e in (r, newer, older):
        truth.add(e, "jane smith")
    compare_views(got, truth.views(), "amendments")
    # A tie on reported_at is broken by the greater event_id, whatever the arrival order.
    db2 = env.database()
    c2 = env.collector(db2)
    a2 = env.agent(c2)
    lo = event(event_id="00000000-0000-4000-8000-000000000001", stance=-1, stakeholder={"role": "peer", "name": "Lord Vere"})
    hi = event(event_id="00000000-0000-4000-8000-000000000002", stance=0, type="conversation.amended",
               stakeholder={"role": "peer", "name": "Vere"})
    a2.batch([hi])
    a2.batch([lo])
    row = views(db2)["summary"]["E14001063"]
    check(row["stance_neutral"] == 1 and row["stance_sceptical"] == 0 and row["peer_conversations"] == 1,
          "tie: the greater event_id wins: %r" % row)


def scenario_withdrawals(env):
    db = env.database()
    c = env.collector(db)
    a = env.agent(c)
    # withdrawal first, then the (older) report it withdraws: never counted
    w1 = event(type="conversation.withdrawn", reported_at="2025-03-02T10:00:00Z", stance="ignored",
               stakeholder={"role": "councillor", "name": "Cllr Bob Jones"})
    r1 = event(reported_at="2025-03-01T10:00:00Z", stakeholder={"role": "councillor", "name": "Bob Jones"})
    check([o[0] for o in a.batch([w1])] == ["accepted"], "withdrawal's attributes must be ignored")
    a.batch([r1])
    # report, then a withdrawal, then a newer report: counted again
    r2 = event(reported_at="2025-03-01T10:00:00Z", constituency={"code": "E14001064"}, stance=2, topics=["rent"])
    w2 = event(type="conversation.withdrawn", reported_at="2025-03-01T11:00:00Z", constituency={"code": "E14001064"})
    a.batch([r2])
    row = views(db)["summary"]["E14001064"]
    check(row["conversations"] == 1 and row["stance_champion"] == 1, "report counted: %r" % row)
    a.batch([w2])
    got = views(db)
    check(got["summary"]["E14001064"]["conversations"] == 0 and got["summary"]["E14001064"]["first_on"] is None,
          "withdrawn: %r" % got["summary"]["E14001064"])
    check(got["topics"] == {}, "topics of a withdrawn conversation: %r" % got["topics"])
    r3 = event(type="conversation.amended", reported_at="2025-03-03T10:00:00Z", constituency={"code": "E14001064"},
               stance=-1)
    a.batch([r3])
    truth = Truth()
    truth.add(w1, "bob jones")
    truth.add(r1, "bob jones")
    for e in (r2, w2, r3):
        truth.add(e, "jane smith")
    got = views(db)
    compare_views(got, truth.views(), "withdrawals")
    check(got["summary"]["E14001063"]["conversations"] == 0, "withdrawal before report")
    check(got["summary"]["E14001064"]["stance_sceptical"] == 1, "report after withdrawal")


def scenario_twins(env):
    """The same conversation through two feeds: other event_ids, names written otherwise,
    association id in another case, constituency by name: one conversation."""
    db = env.database()
    c = env.collector(db)
    feed1, feed2 = env.agent(c), env.agent(c)
    a = event(association={"id": "ha-north"}, constituency={"code": "W07000086"},
              stakeholder={"role": "mp", "name": "Rt Hon Siân Gwenllian MP"}, stance=1, topics=["rent"])
    b = event(association={"id": "HA-NORTH", "name": "North HA"}, constituency={"name": "Dwyfor Meirionnydd"},
              stakeholder={"role": "mp", "name": "sian  GWENLLIAN"}, stance=1, topics=["rent"],
              reported_at="2025-03-01T11:00:00Z")
    if "W07000086" not in CONSTITUENCIES or CONSTITUENCIES["W07000086"]["name"] != "Dwyfor Meirionnydd":
        code = next(k for k, v in CONSTITUENCIES.items() if v["country"] == "Wales")
        a["constituency"] = {"code": code}
        b["constituency"] = {"name": CONSTITUENCIES[code]["name"].upper()}
    code = a["constituency"]["code"]
    check([o[0] for o in feed1.batch([a])] == ["accepted"], "feed 1")
    check([o[0] for o in feed2.batch([b])] == ["accepted"], "feed 2")
    row = views(db)["summary"][code]
    check(row["conversations"] == 1 and row["mp_conversations"] == 1 and row["associations"] == 1,
          "twins must be one conversation: %r" % row)
    n = db.query("SELECT count(*) AS n FROM parley.event")[0]["n"]
    check(n == 2, "both events are stored (%d)" % n)


# A generated stream: resends, twins through two feeds, amendments (newer and older),
# withdrawals (before and after), invalid lines. No conflicts: "the first one stays" makes a
# conflict's result depend on arrival order by definition.

PEOPLE = [("Jane Smith", ["Rt Hon Jane Smith MP", "JANE SMITH", "Cllr. jane  smith", "Dr Jane Smith"]),
          ("Siân Gwenllian", ["Sian Gwenllian", "Ms SIÂN GWENLLIAN MS", "sian gwenllian"]),
          ("Bob O'Neill", ["Bob O Neill", "Mr Bob O'Neill", "bob o'neill"]),
          ("Zoë Ward", ["Zoe Ward", "Dame Zoë Ward", "ZOE WARD"]),
          ("Tomás Ó Briain", ["Tomas O Briain", "Prof. Tomás Ó Briain", "tomas o briain"]),
          ("Ann-Marie Kaur", ["Ann Marie Kaur", "Baroness Ann-Marie Kaur", "ann marie kaur"]),
          ("Li Wei", ["Li Wei OBE", "Mx Li Wei", "LI  WEI"]),
          ("Peter Jones", ["Sir Peter Jones", "Peter Jones KC", "peter jones"])]
TOPICS = ["housing", "rent", "planning", "retrofit", "homelessness", "supply", "damp_and_mould", "funding"]


def generate(rng, conversations=400):
    """Returns [(line bytes, event dict or None, person key)] in generation order; event None
    marks a line that must be rejected."""
    codes = rng.sample(sorted(CONSTITUENCIES), 30)
    assocs = ["ha%d" % i for i in range(6)]
    lines = []

    def emit(ev, person, raw=None):
        lines.append((raw or json.dumps(ev, ensure_ascii=rng.random() < 0.5).encode(), ev, person))

    for _ in range(conversations):
        base, variants = rng.choice(PEOPLE)
        person = fold(base)
        code = rng.choice(codes)
        assoc = rng.choice(assocs)
        role = rng.choice(ROLES)
        day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(60))
        def instant(hours):
            t = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc) + dt.timedelta(hours=hours, microseconds=rng.randrange(1000000))
            if rng.random() < 0.3:
                return t.astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat()
            return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        def attrs(ev):
            if rng.random() < 0.8:
                ev["stance"] = rng.randint(-2, 2)
            ev["topics"] = rng.sample(TOPICS, rng.randint(0, 3))
            ev["follow_up"] = rng.random() < 0.4
            return ev
        def make(kind, hours, feed_name=None):
            cons = {"code": code.lower() if rng.random() < 0.2 else code}
            if rng.random() < 0.3:
                cons = {"name": CONSTITUENCIES[code]["name"]}
            ev = {"event_id": str(uuid.uuid4()), "type": kind, "reported_at": instant(hours),
                  "occurred_on": day.isoformat(),
                  "association": {"id": assoc.upper() if rng.random() < 0.5 else assoc},
                  "constituency": cons,
                  "stakeholder": {"role": role, "name": feed_name or rng.choice([base] + variants)},
                  "x_source": "generator"}
            return attrs(ev) if kind != "conversation.withdrawn" else ev
        first = make("conversation.reported", rng.randrange(1, 48))
        emit(first, person)
        if rng.random() < 0.25:  # the same conversation via another feed (a twin)
            emit(make("conversation.reported", rng.randrange(1, 48), rng.choice(variants)), person)
        for _ in range(rng.choice([0, 0, 1, 2])):  # amendments, newer or older
            emit(make("conversation.amended", rng.randrange(0, 96)), person)
        if rng.random() < 0.2:  # withdrawal, before or after the report
            emit(make("conversation.withdrawn", rng.randrange(0, 96)), person)
    # resends: the same line again, or the same content written otherwise
    for line, ev, person in rng.sample(lines, len(lines) // 6):
        if rng.random() < 0.5:
            emit(ev, person, raw=line)
        else:
            emit(ev, person, raw=json.dumps(dict(reversed(list(ev.items()))), separators=(",", ":")).encode())
    # invalid lines
    valid = [ev for _, ev, _ in lines]
    for _ in range(len(lines) // 20):
        bad = copy.deepcopy(rng.choice(valid))
        bad["event_id"] = str(uuid.uuid4())
        kind = rng.randrange(5)
        if kind == 1 and bad["type"] == "conversation.withdrawn":
            kind = 4  # a withdrawal's stance is ignored, not checked: 1.5 would be accepted
        if kind == 0:
            raw = json.dumps(bad).encode()[:-3]
        else:
            if kind == 1:
                bad["stance"] = 1.5
            elif kind == 2:
                bad["constituency"] = {"code": "E14999999"}
            elif kind == 3:
                bad["occurred_on"] = "2025-02-30"
            else:
                bad["stakeholder"]["role"] = "king"
            raw = json.dumps(bad).encode()
        lines.append((raw, None, None))
    return lines


def send_stream(agent, lines, rng, window=4, max_batch=250):
    """Sends the lines in batches of random size with several in flight; returns the
    outcomes in line order."""
    batches, i = [], 0
    while i < len(lines):
        n = rng.randint(1, max_batch)
        batches.append(lines[i:i + n])
        i += n
    outcomes, pending, nxt = {}, {}, 0
    while nxt < len(batches) or pending:
        while nxt < len(batches) and len(pending) < window:
            pending[agent.send([l for l, _, _ in batches[nxt]])] = nxt
            nxt += 1
        reply = agent.recv(60)
        check(reply is not None, "no reply within 60 s (%d batches pending)" % len(pending))
        seq, out = agent.outcomes(reply)
        b = pending.pop(seq)
        check(len(out) == len(batches[b]), "batch %d: %d outcomes for %d events" % (seq, len(out), len(batches[b])))
        outcomes[b] = out
    return [o for b in range(len(batches)) for o in outcomes[b]]


def check_stream_outcomes(lines, outcomes, label):
    seen = set()
    for (raw, ev, _), (verdict, field, reason) in zip(lines, outcomes):
        if ev is None:
            check(verdict == "rejected", "%s: invalid line %r got %s" % (label, raw[:80], verdict))
            continue
        eid = ev["event_id"].lower()
        want = "duplicate" if eid in seen else "accepted"
        seen.add(eid)
        check(verdict == want, "%s: %s got %s (%s %s), want %s" % (label, eid, verdict, field, reason, want))


def scenario_order_independence(env):
    """One generated stream in two orders into two fresh databases: identical views, equal to
    the values computed from the generator's ground truth."""
    rng = random.Random(int(os.environ.get("PARLEY_TEST_SEED", "20250301")))
    lines = generate(rng)
    truth = Truth()
    for _, ev, person in lines:
        if ev is not None:
            truth.add(ev, person)
    want = truth.views()
    check(want["progress"]["conversations"] > 100, "the generator made too few conversations")
    results = []
    for label, order in (("order A", list(lines)), ("order B", rng.sample(lines, len(lines)))):
        db = env.database()
        c = env.collector(db)
        a = env.agent(c)
        outcomes = send_stream(a, order, rng)
        check_stream_outcomes(order, outcomes, label)
        got = views(db)
        compare_views(got, want, label)
        results.append(got)
    check(results[0] == results[1], "the two orders give different views")
    log("  %d lines, %d events, %d conversations counting" % (
        len(lines), len(truth.events), want["progress"]["conversations"]))


# Every aggregate table recomputed from parley.conversation, written here from the
# definitions in docs/COLLECTOR.md, not from the collector's SQL: a count of the rows that
# differ from the table, per table.
RECOMPUTED = """
WITH conv AS (SELECT * FROM parley.conversation WHERE counts),
stakeholder AS (
  SELECT constituency_code, stakeholder_role, person_key, count(*)::int AS conversations,
         count(DISTINCT association_id)::int AS associations,
         array_agg(DISTINCT association_id ORDER BY association_id) AS association_ids,
         min(occurred_on) AS first_on, max(occurred_on) AS last_on,
         (array_agg(stakeholder_name ORDER BY occurred_on DESC, reported_at DESC, event_id DESC))[1] AS name,
         (array_agg(stance ORDER BY occurred_on DESC, reported_at DESC, event_id DESC)
              FILTER (WHERE stance IS NOT NULL))[1] AS latest,
         (array_agg(stance ORDER BY occurred_on DESC, reported_at DESC, event_id DESC)
              FILTER (WHERE stance IS NOT NULL))[2] AS previous
    FROM conv GROUP BY 1, 2, 3),
open AS (
  SELECT c.constituency_code, c.stakeholder_role, c.person_key, count(*)::int AS open_follow_ups
    FROM conv c JOIN stakeholder s USING (constituency_code, stakeholder_role, person_key)
   WHERE c.follow_up AND c.occurred_on = s.last_on GROUP BY 1, 2, 3)
SELECT 'stakeholder_agg' AS tbl, count(*) AS differing
  FROM stakeholder s LEFT JOIN open o USING (constituency_code, stakeholder_role, person_key)
  FULL JOIN (SELECT * FROM parley.stakeholder_agg WHERE conversations > 0) a
       USING (constituency_code, stakeholder_role, person_key)
 WHERE (s.conversations, s.associations, s.association_ids, s.first_on, s.last_on, s.name,
        s.latest, s.previous, coalesce(o.open_follow_ups, 0))
       IS DISTINCT FROM
       (a.conversations, a.associations, a.association_ids, a.first_on, a.last_on, a.name,
        (a.latest).stance, (a.previous).stance, a.open_follow_ups)
UNION ALL
SELECT 'association_constituency', count(*)
  FROM (SELECT constituency_code, association_id, count(*)::int AS n,
               (count(*) FILTER (WHERE stakeholder_role = 'mp'))::int AS mp,
               min(occurred_on) AS f, max(occurred_on) AS l
          FROM conv GROUP BY 1, 2) c
  FULL JOIN parley.association_constituency p USING (constituency_code, association_id)
 WHERE (c.n, c.mp, c.f, c.l) IS DISTINCT FROM (p.conversations, p.mp_conversations, p.first_on, p.last_on)
UNION ALL
SELECT 'constituency_agg', count(*)
  FROM (SELECT constituency_code, min(occurred_on) AS f, max(occurred_on) AS l,
               count(DISTINCT association_id)::int AS n FROM conv GROUP BY 1) c
 RIGHT JOIN parley.constituency_agg a USING (constituency_code)
 WHERE (c.f, c.l, coalesce(c.n, 0)) IS DISTINCT FROM (a.first_on, a.last_on, a.associations)
UNION ALL
SELECT 'constituency_topic', count(*)
  FROM (SELECT constituency_code, t AS topic, count(*)::int AS n FROM conv, unnest(topics) t GROUP BY 1, 2) c
  FULL JOIN parley.constituency_topic x USING (constituency_code, topic)
 WHERE c.n IS DISTINCT FROM x.conversations
UNION ALL
SELECT 'daily_conversations', count(*)
  FROM (SELECT occurred_on, count(*)::int AS n FROM conv GROUP BY 1) c
  FULL JOIN parley.daily_conversations d USING (occurred_on)
 WHERE c.n IS DISTINCT FROM d.conversations
"""


def scenario_aggregates_match_conversations(env):
    """The aggregates are maintained by deltas, some rows merged with each new conversation
    and only a few recomputed: after a messy stream sent in tiny batches (so that most
    changes take the merging paths one at a time) every aggregate table equals its
    recomputation from parley.conversation, and the views equal the ground truth."""
    rng = random.Random(int(os.environ.get("PARLEY_TEST_SEED", "20250302")))
    lines = generate(rng, conversations=600)
    truth = Truth()
    for _, ev, person in lines:
        if ev is not None:
            truth.add(ev, person)
    order = rng.sample(lines, len(lines))
    db = env.database()
    c = env.collector(db)
    a = env.agent(c)
    outcomes = send_stream(a, order, rng, max_batch=6)
    check_stream_outcomes(order, outcomes, "tiny batches")
    compare_views(views(db), truth.views(), "tiny batches")
    differing = {r["tbl"]: r["differing"] for r in db.query(RECOMPUTED)}
    check(len(differing) == 5 and not any(differing.values()), "aggregate rows that differ from a recomputation: %r" % differing)
    merged = db.query("SELECT count(*) AS n FROM parley.stakeholder_agg WHERE conversations > 1")[0]["n"]
    check(merged > 40, "too few stakeholders with several conversations (%d) to test merging" % merged)
    log("  %d lines in batches of 1-6; %d stakeholders with several conversations" % (len(lines), merged))


def scenario_db_refused(env):
    """An event PostgreSQL refuses (here: a CHECK constraint the test adds) is rejected with
    the database's reason; the rest of its batch is stored."""
    db = env.database()
    c = env.collector(db)
    db.query("ALTER TABLE parley.event ADD CONSTRAINT test_refuse CHECK (notes IS DISTINCT FROM 'refuse me')")
    a = env.agent(c)
    lines = []
    truth = Truth()
    for i in range(40):
        e = event(constituency={"code": sorted(CONSTITUENCIES)[i]}, stance=i % 5 - 2)
        if i in (5, 6, 31):
            e["notes"] = "refuse me"
        else:
            truth.add(e, "jane smith")
        lines.append(e)
    out = a.batch(lines)
    for i, (verdict, field, reason) in enumerate(out):
        if i in (5, 6, 31):
            check(verdict == "rejected" and "test_refuse" in reason and "database refused" in reason,
                  "event %d: %r" % (i, (verdict, field, reason)))
        else:
            check(verdict == "accepted", "event %d: %r" % (i, (verdict, field, reason)))
    compare_views(views(db), truth.views(), "db refused")
    check("database refused an event" in c.log(), "the refusal is logged")


def scenario_two_collectors(env):
    """Two collectors on one database, each fed half of a stream at the same time: the
    advisory lock keeps the aggregates exact."""
    rng = random.Random(7)
    lines = [l for l in generate(rng, 250)]
    truth = Truth()
    for _, ev, person in lines:
        if ev is not None:
            truth.add(ev, person)
    db = env.database()
    c1, c2 = env.collector(db), env.collector(db)
    a1, a2 = env.agent(c1), env.agent(c2)
    half = len(lines) // 2
    # interleave the two streams: both collectors write at once
    batches = [(a1, lines[i:i + 40]) for i in range(0, half, 40)] + [(a2, lines[i:i + 40]) for i in range(half, len(lines), 40)]
    rng.shuffle(batches)
    pending = {}
    for agent, chunk in batches:
        pending[(id(agent), agent.send([l for l, _, _ in chunk]))] = agent
    got_replies = 0
    deadline = time.monotonic() + 120
    while got_replies < len(batches) and time.monotonic() < deadline:
        for agent in (a1, a2):
            r = agent.recv(0.05)
            if r is not None:
                agent.outcomes(r)
                got_replies += 1
    check(got_replies == len(batches), "replies %d of %d" % (got_replies, len(batches)))
    compare_views(views(db), truth.views(), "two collectors")


def scenario_sigterm(env):
    """SIGTERM while batches are arriving: exit 0 within 5 s, and what is stored is exactly
    what was acknowledged (what was read is committed and acknowledged; what was not read
    is neither, and the agent will resend it)."""
    db = env.database()
    c = env.collector(db)
    a = env.agent(c)
    first = event()
    a.batch([first])
    codes = sorted(CONSTITUENCIES)
    batches = [[event(constituency={"code": codes[(i * 7 + j) % 650]}) for j in range(500)] for i in range(60)]
    sent = {}
    for batch in batches:
        sent[a.send(batch)] = batch
    time.sleep(0.2)
    rc, took = c.stop()
    check(rc == 0, "exit status %d after SIGTERM" % rc)
    check(took < 5.0, "took %.1f s to stop" % took)
    acked = set()
    while True:
        r = a.recv(0.5)
        if r is None:
            break
        seq, out = a.outcomes(r)
        check(all(o[0] == "accepted" for o in out), "outcomes %r" % out[:3])
        acked.add(seq)
    want = {first["event_id"]} | {e["event_id"] for seq in acked for e in sent[seq]}
    stored = {str(r["event_id"]) for r in db.query("SELECT event_id FROM parley.event")}
    check(stored == want, "%d events stored, %d acknowledged" % (len(stored), len(want)))
    log("  stopped in %.2f s; %d of %d batches acknowledged, the rest left for a resend" % (took, len(acked), len(sent)))


def scenario_sigterm_hung_database(env):
    """The database stops answering in the middle of a write (its backend frozen with
    SIGSTOP, the connection still open): SIGTERM still ends the collector with status 0
    within 5 s, and nothing is acknowledged."""
    db = env.database()
    c = env.collector(db)
    a = env.agent(c)
    a.batch([event()])
    rows = db.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND application_name = 'parley-collector'")
    check(len(rows) == 1, "collector sessions: %r" % rows)
    pid = rows[0]["pid"]
    try:
        os.kill(pid, signal.SIGSTOP)
    except PermissionError:
        raise Skip("cannot stop the PostgreSQL backend (not root, not its owner)")
    try:
        a.send([event(constituency={"code": "E14001064"})])
        check(a.recv(1.0) is None, "a batch was acknowledged while the database was frozen")
        rc, took = c.stop()
        check(rc == 0, "exit status %d" % rc)
        check(took < 5.0, "took %.1f s to stop" % took)
        check("stop budget exhausted" in c.log(), "the forced stop is logged")
        check(a.recv(0.5) is None, "a batch was acknowledged while the database was frozen")
    finally:
        os.kill(pid, signal.SIGCONT)


def scenario_pg_restart(env):
    """PostgreSQL stopped while batches come: the collector keeps reading its socket, answers
    PING with PONG and every BATCH with ERROR "database unavailable, resend later" (its seq,
    nothing acknowledged); when PostgreSQL is back, the same batches sent again are written
    without restarting the collector. Then SIGTERM while it is down: exit 0 within 5 s."""
    script = pg_private_script()
    if not script:
        raise Skip("deploy/scripts/pg-private not found")
    pg_dir = tempfile.mkdtemp(prefix="pg-", dir=env.work_dir)
    os.chmod(pg_dir, 0o755)
    def pg(cmd):
        subprocess.run([script, cmd, pg_dir], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([script, "start", pg_dir, "--fsync", "off"], check=True, stdout=subprocess.DEVNULL)
    env.cleanups.append(lambda: subprocess.run([script, "destroy", pg_dir], stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL))
    out = subprocess.run([script, "env", pg_dir], capture_output=True, text=True, check=True).stdout
    pgenv = {m.group(1): m.group(2).strip("'\"") for m in re.finditer(r"export (\w+)=(.*)", out)}
    db = env.database(pgenv)
    c = env.collector(db)
    a = env.agent(c)
    truth = Truth()
    first = [event(constituency={"code": "E14001063"})]
    truth.add(first[0], "jane smith")
    a.batch(first)
    pg("stop")
    pending = {}
    for i in range(3):
        batch = [event(constituency={"code": sorted(CONSTITUENCIES)[i * 10 + j]}, stance=j % 5 - 2) for j in range(10)]
        for e in batch:
            truth.add(e, "jane smith")
        pending[a.send(batch)] = batch
    refused, pong = set(), False
    a.sock.send_multipart([b"PARLEY/1", b"PING", b"while-down"])
    deadline = time.monotonic() + 10
    while (len(refused) < len(pending) or not pong) and time.monotonic() < deadline:
        r = a.recv(1)
        if r is None:
            continue
        check(r[1] != b"OUTCOMES", "a batch was acknowledged while PostgreSQL was down: %r" % r[:4])
        if r[1] == b"PONG":
            check(r[2] == b"while-down", "PONG token %r" % r[2])
            pong = True
        elif r[1] == b"ERROR":
            # The first refusal says why; the batches behind it may instead be held for it
            # (docs/PROTOCOL.md § 8, "Order after a refusal").
            check(r[3] in (b"database unavailable, resend later",
                           b"an earlier batch was refused, resend it first"), "ERROR reason %r" % r[3])
            if not refused:
                check(r[3] == b"database unavailable, resend later", "first ERROR reason %r" % r[3])
            refused.add(int(r[2]))
    check(pong, "PING not answered while PostgreSQL was down")
    check(refused == set(pending), "ERROR for %r of %r while PostgreSQL was down" % (sorted(refused), sorted(pending)))
    check("database unavailable, refusing batches" in c.log(), "the outage is logged")
    check(c.proc.poll() is None, "the collector exited while PostgreSQL was down")
    subprocess.run([script, "start", pg_dir, "--fsync", "off"], check=True, stdout=subprocess.DEVNULL)
    # Like an agent: each refused batch sent again (same seq) a second later, until answered.
    got = set()
    deadline = time.monotonic() + 60
    while len(got) < len(pending) and time.monotonic() < deadline:
        for seq in sorted(set(pending) - got):
            a.send(pending[seq], seq=seq)
        t_end = time.monotonic() + 1.0
        while time.monotonic() < t_end:
            r = a.recv(max(0.0, t_end - time.monotonic()))
            if r is None or r[1] != b"OUTCOMES":
                continue
            seq, out = a.outcomes(r)
            if seq in got:
                continue  # the answer to an earlier send of the same batch: a duplicate now
            check(all(o[0] == "accepted" for o in out), "after recovery: %r" % out[:3])
            got.add(seq)
    check(got == set(pending), "acknowledged after recovery: %r of %r" % (sorted(got), sorted(pending)))
    check("database available again" in c.log(), "the recovery is logged")
    compare_views(views(db), truth.views(), "after PostgreSQL restart")
    # SIGTERM while the database is away: the batch is not acknowledged, exit 0 quickly.
    pg("stop")
    a.send([event(constituency={"code": "E14001064"})])
    time.sleep(0.5)
    rc, took = c.stop()
    check(rc == 0 and took < 5.0, "SIGTERM while PostgreSQL is down: status %d after %.1f s" % (rc, took))
    while True:
        r = a.recv(0.5)
        if r is None:
            break
        check(r[1] != b"OUTCOMES", "a batch was acknowledged while PostgreSQL was down")


class Skip(Exception):
    pass


SCENARIOS = [scenario_protocol, scenario_duplicates_and_conflicts, scenario_amendments,
             scenario_withdrawals, scenario_twins, scenario_order_independence,
             scenario_aggregates_match_conversations, scenario_db_refused,
             scenario_two_collectors, scenario_sigterm, scenario_sigterm_hung_database,
             scenario_pg_restart]


def bench(env, n):
    db = env.database()
    c = env.collector(db)
    a = env.agent(c)
    rng = random.Random(1)
    codes = sorted(CONSTITUENCIES)
    lines = []
    for i in range(n):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=i % 300)
        lines.append(json.dumps({
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "type": "conversation.reported",
            "reported_at": day.isoformat() + "T12:00:00Z", "occurred_on": day.isoformat(),
            "association": {"id": "HA%d" % (i % 40)}, "constituency": {"code": codes[i % 650]},
            "stakeholder": {"role": ROLES[i % 6], "name": "Person %d" % (i % 5000)},
            "stance": i % 5 - 2, "topics": [TOPICS[i % 8], TOPICS[(i + 3) % 8]], "follow_up": i % 3 == 0,
            "notes": "benchmark event %d" % i}).encode())
    t0 = time.monotonic()
    batches = [lines[i:i + 1000] for i in range(0, n, 1000)]
    pending, nxt, done = set(), 0, 0
    while done < len(batches):
        while nxt < len(batches) and len(pending) < 4:
            pending.add(a.send(batches[nxt]))
            nxt += 1
        r = a.recv(120)
        check(r is not None, "no reply")
        seq, out = a.outcomes(r)
        pending.discard(seq)
        done += 1
    took = time.monotonic() - t0
    stored = db.query("SELECT count(*) AS n FROM parley.event")[0]["n"]
    check(stored == n, "stored %d of %d" % (stored, n))
    log("bench: %d events in %.2f s = %.0f events/s (end to end through parley-collector, batches of 1000, 4 in flight)"
        % (n, took, n / took))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--collector", required=True)
    p.add_argument("--work-dir")
    p.add_argument("--only")
    p.add_argument("--bench", type=int)
    args, _ = p.parse_known_args()
    args.collector = os.path.abspath(args.collector)
    pg_env_from_private()
    made_work_dir = not args.work_dir
    args.work_dir = os.path.abspath(args.work_dir or tempfile.mkdtemp(prefix="parley-test-store-"))
    os.makedirs(args.work_dir, exist_ok=True)
    env = Env(args)
    if args.bench:
        try:
            bench(env, args.bench)
        finally:
            env.cleanup()
            if made_work_dir:
                shutil.rmtree(args.work_dir, ignore_errors=True)
        return 0
    only = set(args.only.split(",")) if args.only else None
    passed = failed = skipped = 0
    for fn in SCENARIOS:
        name = fn.__name__[len("scenario_"):]
        if only and name not in only:
            continue
        t0 = time.monotonic()
        try:
            fn(env)
            passed += 1
            log("ok %s (%.1f s)" % (name, time.monotonic() - t0))
        except Skip as e:
            skipped += 1
            log("skip %s: %s" % (name, e))
        except Exception as e:  # noqa: BLE001 - report every scenario
            failed += 1
            log("FAIL %s: %s" % (name, e))
            if not isinstance(e, Failure):
                traceback.print_exc()
        finally:
            env.cleanup()
    if made_work_dir and not failed:
        shutil.rmtree(args.work_dir, ignore_errors=True)
    log("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
