#!/usr/bin/python3
# ctest-timeout: 900
"""Time periods (issue 12): `parley progress|regions|constituency|topics|associations` with
--month, --quarter, --week and --from/--to, over a database loaded through the real
parley-agent and parley-collector from tests/lib/generator.py's events (spread over 18
months, with amendments and withdrawals), then a second delivery that moves one
conversation across the month's and the quarter's boundary (the old one withdrawn, the
same conversation reported on the day after the period) and withdraws another. Every
number is compared, in CSV and JSON, with what this test computes from the generator's
ground truth for the period; nothing is read back from Parley's tables. Also: a bad
period exits 2 naming the option, and the analyst role may read the fact views.

Usage (tests/lib/harness.py): test_periods.py --agent PATH --collector PATH --parley PATH
[--work-dir DIR] [--keep] [--seed N] [--scale X] [--only NAME]
"""
import copy
import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import uuid
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("PARLEY_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "lib"))
import generator as gen  # noqa: E402
import harness  # noqa: E402
from harness import fail  # noqa: E402

# The periods asked for, with the dates they stand for (computed here, not by Parley).
MONTH, MONTH_DATES = "2024-09", (dt.date(2024, 9, 1), dt.date(2024, 9, 30))
QUARTER, QUARTER_DATES = "2024Q3", (dt.date(2024, 7, 1), dt.date(2024, 9, 30))
WEEK, WEEK_DATES = "2024-W37", (dt.date(2024, 9, 9), dt.date(2024, 9, 15))
FROM_TO = (dt.date(2024, 2, 10), dt.date(2024, 5, 3))
PERIODS = [
    (["--month", MONTH], MONTH_DATES),
    (["--quarter", QUARTER], QUARTER_DATES),
    (["--week", WEEK], WEEK_DATES),
    (["--from", FROM_TO[0].isoformat(), "--to", FROM_TO[1].isoformat()], FROM_TO),
]


class Loaded:
    db = None
    facts = None  # the conversations that count: dicts, this test's ground truth
    moved = None  # (code, old day, new day) of the conversation moved across the boundary


def fact(conv):
    st = conv.state()
    a = st.attrs
    assoc, code, role, _key, day = conv.ident
    return {"day": dt.date.fromisoformat(day), "code": code, "assoc": assoc.lower(), "role": role,
            "stance": a.stance, "format": a.format, "follow_up": bool(a.follow_up),
            "topics": set(a.topics), "obj": st.obj, "ident": conv.ident}


def event_line(obj, typ, reported_at, **changes):
    o = copy.deepcopy(obj)
    o["event_id"] = str(uuid.uuid4())
    o["type"] = typ
    o["reported_at"] = reported_at
    o.update(changes)
    if typ == "conversation.withdrawn":
        for k in ("format", "stance", "topics", "follow_up", "notes"):
            o.pop(k, None)
    return json.dumps(o)


def deliver(h, db, lines, label):
    path = h.path("feeds-" + label, "a.jsonl")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    col = h.start_collector(db)
    run = h.run_agent(col.endpoint, h.path("spool-" + label), [path])
    if run.rc != 0:
        fail("parley-agent --once: %r" % run)
    if col.stop(timeout=6) != 0:
        fail("collector did not stop cleanly:\n%s" % col.tail())


def load(h):
    if Loaded.db:
        return Loaded
    g = gen.Generator(seed=h.seed(1212), conversations=h.scale(1500), feeds=2)
    paths, _ = gen.write_feeds(g.arrange("natural"), h.path("feeds"))
    db = h.create_database("periods")
    col = h.start_collector(db)
    run = h.run_agent(col.endpoint, h.path("spool"), paths)
    if run.rc != 0:
        fail("parley-agent --once: %r" % run)
    if col.stop(timeout=6) != 0:
        fail("collector did not stop cleanly:\n%s" % col.tail())
    kinds = {c.kind for c in g.conversations}
    for k in ("amended", "withdrawn"):
        if k not in kinds:
            fail("the generated stream has no %s conversation" % k)
    facts = [fact(c) for c in g.conversations if c.counts()]
    idents = {c.ident for c in g.conversations}
    # Moved: a conversation of the month's last days (as late as possible), withdrawn and
    # reported again on 1 October, outside the month, the quarter and the week.
    lo, hi = MONTH_DATES
    in_month = sorted((f for f in facts if lo <= f["day"] <= hi), key=lambda f: f["day"], reverse=True)
    moved = None
    for f in in_month:
        new_ident = f["ident"][:4] + ("2024-10-01",)
        if new_ident not in idents:
            moved = f
            break
    if not moved:
        fail("no conversation in %s to move" % MONTH)
    # Withdrawn: one in the week (so every period that holds the week loses it).
    wlo, whi = WEEK_DATES
    gone = next((f for f in facts if wlo <= f["day"] <= whi and f is not moved), None)
    if not gone:
        fail("no conversation in %s to withdraw" % WEEK)
    late = "2025-12-01T10:00:00Z"  # after every generated event's reported_at
    lines = [event_line(moved["obj"], "conversation.withdrawn", late),
             event_line(moved["obj"], "conversation.reported", late, occurred_on="2024-10-01"),
             event_line(gone["obj"], "conversation.withdrawn", late)]
    deliver(h, db, lines, "moves")
    facts.remove(moved)
    facts.remove(gone)
    facts.append(dict(moved, day=dt.date(2024, 10, 1)))
    Loaded.db, Loaded.facts = db, facts
    Loaded.moved = (moved["code"], moved["day"], dt.date(2024, 10, 1))
    print("loaded %d conversations that count; moved %s %s -> 2024-10-01; withdrew %s %s"
          % (len(facts), moved["code"], moved["day"], gone["code"], gone["day"]))
    return Loaded


# -- ground truth per period --------------------------------------------------------------

def within(facts, dates):
    lo, hi = dates
    return [f for f in facts if lo <= f["day"] <= hi]


def want_progress(facts, dates):
    fs = within(facts, dates)
    return [{"period_from": dates[0].isoformat(), "period_to": dates[1].isoformat(),
             "conversations": len(fs), "constituencies_reached": len({f["code"] for f in fs}),
             "constituencies": len(gen.CONSTITUENCIES),
             "mps_engaged": len({f["code"] for f in fs if f["role"] == "mp"})}]


def want_regions(facts, dates):
    fs = within(facts, dates)
    per = defaultdict(lambda: {"conversations": 0, "mp": 0})
    for f in fs:
        per[f["code"]]["conversations"] += 1
        per[f["code"]]["mp"] += f["role"] == "mp"
    rows = {}
    for c in gen.CONSTITUENCIES:
        r = rows.setdefault(c.region, {"region": c.region, "country": c.country, "constituencies": 0,
                                       "constituencies_reached": 0, "mps_engaged": 0, "conversations": 0})
        r["constituencies"] += 1
        r["constituencies_reached"] += per[c.code]["conversations"] > 0
        r["mps_engaged"] += per[c.code]["mp"] > 0
        r["conversations"] += per[c.code]["conversations"]
    return sorted(rows.values(), key=lambda r: (r["country"], r["region"]))


def want_topics(facts, dates):
    n, where = defaultdict(int), defaultdict(set)
    for f in within(facts, dates):
        for t in f["topics"]:
            n[t] += 1
            where[t].add(f["code"])
    rows = [{"topic": t, "conversations": n[t], "constituencies": len(where[t])} for t in n]
    return sorted(rows, key=lambda r: (-r["conversations"], r["topic"]))


def want_associations(facts, dates):
    per = defaultdict(list)
    for f in within(facts, dates):
        per[f["assoc"]].append(f)
    rows = [{"association_id": a, "conversations": len(fs), "constituencies_reached": len({f["code"] for f in fs}),
             "mps_spoken_to": len({f["code"] for f in fs if f["role"] == "mp"}),
             "first_on": min(f["day"] for f in fs).isoformat(), "last_on": max(f["day"] for f in fs).isoformat()}
            for a, fs in per.items()]
    return sorted(rows, key=lambda r: (-r["conversations"], r["association_id"]))


STANCES = [(-2, "stance_opposed"), (-1, "stance_sceptical"), (0, "stance_neutral"), (1, "stance_supportive"),
           (2, "stance_champion"), (None, "stance_unknown")]
ROLES = ["mp", "councillor", "peer", "mayor", "official", "opinion_former"]


def want_constituency(facts, dates, code):
    fs = [f for f in within(facts, dates) if f["code"] == code]
    row = {"constituency_code": code, "conversations": len(fs),
           "associations": len({f["assoc"] for f in fs}),
           "follow_ups": sum(f["follow_up"] for f in fs),
           "first_on": min(f["day"] for f in fs).isoformat() if fs else None,
           "last_on": max(f["day"] for f in fs).isoformat() if fs else None}
    for r in ROLES:
        row[r + "_conversations"] = sum(f["role"] == r for f in fs)
    for s, col in STANCES:
        row[col] = sum(f["stance"] == s for f in fs)
    topics = defaultdict(int)
    for f in fs:
        for t in f["topics"]:
            topics[t] += 1
    return row, dict(topics)


# -- reading the CLI's output -------------------------------------------------------------

def parley(h, fmt, *args):
    out = h.run_parley(Loaded.db, *args, "--format", fmt)
    if out.returncode != 0:
        fail("parley %s --format %s exited %d: %s" % (" ".join(args), fmt, out.returncode, out.stderr.strip()))
    if fmt == "json":
        return json.loads(out.stdout)
    return list(csv.DictReader(io.StringIO(out.stdout)))


def typed(row, want, fmt):
    """row's values for want's keys, as want's types (CSV gives text, JSON numbers)."""
    got = {}
    for k, v in want.items():
        if k not in row:
            fail("column %s missing from %s" % (k, sorted(row)))
        x = row[k]
        if fmt == "csv" and isinstance(v, int) and not isinstance(v, bool):
            x = int(x)
        if fmt == "csv" and v is None and x == "":
            x = None
        if k == "association_id":
            x = x.lower()
        got[k] = x
    return got


def compare(h, command, period_args, want, what):
    for fmt in ("csv", "json"):
        rows = parley(h, fmt, *command, *period_args)
        got = [typed(r, w, fmt) for r, w in zip(rows, want)]
        if len(rows) != len(want) or got != want:
            bad = [(g, w) for g, w in zip(got, want) if g != w][:3]
            fail("%s %s (%s): %d rows, want %d; first differences (got, want): %s"
                 % (" ".join(command), " ".join(period_args), fmt, len(rows), len(want), bad))


def each_period(fn):
    for args, dates in PERIODS:
        n = len(within(Loaded.facts, dates))
        if n < 3:
            fail("the ground truth has only %d conversations in %s: the test would prove nothing"
                 % (n, " ".join(args)))
        fn(args, dates)
        print("  %-34s ok (%d conversations)" % (" ".join(args), n))


# -- tests --------------------------------------------------------------------------------

def test_progress_for_each_period_equals_ground_truth(h):
    L = load(h)
    each_period(lambda args, dates: compare(h, ["progress"], args, want_progress(L.facts, dates), "progress"))


def test_regions_for_each_period_equal_ground_truth(h):
    L = load(h)
    each_period(lambda args, dates: compare(h, ["regions"], args, want_regions(L.facts, dates), "regions"))


def test_topics_for_each_period_equal_ground_truth(h):
    L = load(h)
    each_period(lambda args, dates: compare(h, ["topics"], args, want_topics(L.facts, dates), "topics"))


def test_associations_for_each_period_equal_ground_truth(h):
    L = load(h)
    each_period(lambda args, dates: compare(h, ["associations"], args, want_associations(L.facts, dates),
                                            "associations"))


def test_constituency_for_each_period_equals_ground_truth(h):
    L = load(h)
    code = L.moved[0]

    def one(args, dates):
        want, topics = want_constituency(L.facts, dates, code)
        for fmt in ("csv", "json"):
            rows = parley(h, fmt, "constituency", code, *args)
            if len(rows) != 1:
                fail("constituency %s %s (%s): %d rows" % (code, " ".join(args), fmt, len(rows)))
            got = typed(rows[0], want, fmt)
            if got != want:
                fail("constituency %s %s (%s): got %s, want %s" % (code, " ".join(args), fmt, got, want))
            if fmt == "json":
                got_topics = {t["topic"]: t["conversations"] for t in rows[0]["topics"]}
                if rows[0]["stakeholders"]:
                    fail("constituency with a period lists all-time stakeholders")
            else:
                t = rows[0]["topics"]
                got_topics = {x.rsplit(":", 1)[0]: int(x.rsplit(":", 1)[1]) for x in t.split("; ")} if t else {}
            if got_topics != topics:
                fail("constituency %s %s (%s) topics: got %s, want %s" % (code, " ".join(args), fmt, got_topics,
                                                                          topics))
    each_period(one)


def test_moved_conversation_counts_on_its_new_day_only(h):
    """The boundary case on its own: the month and the quarter lost the moved conversation,
    October has it."""
    L = load(h)
    code, old, new = L.moved
    for args, dates in [(["--month", MONTH], MONTH_DATES), (["--month", "2024-10"],
                                                            (dt.date(2024, 10, 1), dt.date(2024, 10, 31)))]:
        want, _ = want_constituency(L.facts, dates, code)
        rows = parley(h, "json", "constituency", code, *args)
        if rows[0]["conversations"] != want["conversations"]:
            fail("constituency %s %s: %d conversations, want %d"
                 % (code, " ".join(args), rows[0]["conversations"], want["conversations"]))
    oct_ = [f for f in L.facts if f["code"] == code and f["day"] == new]
    if not oct_:
        fail("the moved conversation is not in the ground truth on %s" % new)


def test_bad_period_exits_2_naming_the_option(h):
    L = load(h)
    cases = [(["progress", "--month", "2024-13"], "--month"),
             (["regions", "--from", "2024-02-30"], "--from"),
             (["topics", "--to", "tomorrow"], "--to"),
             (["associations", "--quarter", "2024Q5"], "--quarter"),
             (["constituency", L.moved[0], "--week", "2024-W54"], "--week"),
             (["progress", "--from", "2024-05-01", "--to", "2024-04-01"], "--from"),
             (["progress", "--month", "2024-09", "--week", "2024-W37"], "--")]
    for args, name in cases:
        out = h.run_parley(L.db, *args)
        if out.returncode != 2:
            fail("parley %s exited %d, want 2 (stderr %r)" % (" ".join(args), out.returncode, out.stderr))
        if name not in out.stderr:
            fail("parley %s: stderr %r does not name %s" % (" ".join(args), out.stderr, name))
        if out.stdout:
            fail("parley %s wrote %r" % (" ".join(args), out.stdout))
    out = h.run_parley(L.db, "gaps", "--month", MONTH)
    if out.returncode != 2 or "--month" not in out.stderr:
        fail("gaps --month: exit %d, stderr %r (want 2, naming the option)" % (out.returncode, out.stderr))


def test_analyst_reads_the_fact_views(h):
    L = load(h)
    role = "parley_periods_analyst_%d" % os.getpid()
    admin = L.db.connect()
    with admin.cursor() as cur:
        cur.execute("DROP ROLE IF EXISTS %s" % role)
        cur.execute("CREATE ROLE %s LOGIN IN ROLE parley_analyst" % role)
    try:
        conninfo = L.db.conninfo.replace("user=%s" % L.db.conninfo.split("user=")[1].split()[0], "user=" + role)
        for args in (["progress", "--month", MONTH], ["topics", "--quarter", QUARTER],
                     ["constituency", L.moved[0], "--week", WEEK]):
            out = subprocess.run([h.parley, "--db", conninfo, *args, "--format", "json"], capture_output=True,
                                 text=True, timeout=60, stdin=subprocess.DEVNULL)
            if out.returncode != 0:
                fail("as %s: parley %s exited %d: %s" % (role, " ".join(args), out.returncode, out.stderr))
        import psycopg2
        conn = psycopg2.connect(conninfo)
        with conn.cursor() as cur:
            cur.execute("SELECT sum(conversations) FROM parley.conversation_facts")
            if cur.fetchone()[0] != len(L.facts):
                fail("conversation_facts as the analyst does not sum to the conversations that count")
            try:
                cur.execute("SELECT 1 FROM parley.conversation_fact LIMIT 1")
                fail("the analyst read the base table parley.conversation_fact")
            except psycopg2.Error:
                conn.rollback()
        conn.close()
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP OWNED BY %s" % role)
            cur.execute("DROP ROLE %s" % role)
        admin.close()


if __name__ == "__main__":
    harness.main(globals())
