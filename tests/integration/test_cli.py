#!/usr/bin/python3
# ctest-timeout: 900
"""The `parley` CLI against a database loaded through the real parley-agent and
parley-collector: every command in table, CSV and JSON, compared with values this test
computes itself from the generator's ground truth (tests/lib/generator.py), never read
back from Parley's tables. Also: errors and exit statuses, the libpq environment, setting
the target, refreshing the MP list, and the read-only analyst role.

Usage (tests/lib/harness.py): test_cli.py --agent PATH --collector PATH --parley PATH
[--work-dir DIR] [--keep] [--seed N] [--scale X] [--only NAME]
"""
import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from fractions import Fraction

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("PARLEY_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "lib"))
import generator as gen  # noqa: E402
import harness  # noqa: E402

STANCE_WORDS = {-2: "opposed", -1: "sceptical", 0: "neutral", 1: "supportive", 2: "champion"}


def log(*args):
    print(*args, flush=True)


Failure = harness.TestFailure


def check(cond, what):
    if not cond:
        raise Failure(what)


def check_eq(got, want, what):
    if got != want:
        raise Failure("%s: got %r, want %r" % (what, got, want))


# --------------------------------------------------------------------------------------
# The database, loaded once for every test of the file (they run in order: the last ones
# change the target and the MP list)

_LOADED = {}


def conninfo(h, dbname, user=None):
    env = h.pg_env
    return "host='%s' port=%s user=%s dbname=%s" % (env["PGHOST"], env["PGPORT"], user or env.get("PGUSER", "postgres"),
                                                    dbname)


def loaded(h, label="cli", seed=11, conversations=400):
    """The generator's feeds sent through parley-agent into parley-collector, once; returns
    (database, Truth, Parley)."""
    if label not in _LOADED:
        db = h.create_database(label)
        g = gen.Generator(seed=h.seed(seed), conversations=h.scale(conversations), feeds=2)
        log("loading: %s" % g.stats())
        paths, _ = gen.write_feeds(g.arrange("natural"), h.path("feeds-" + label))
        col = h.start_collector(db)
        run = h.run_agent(col.endpoint, h.path("spool-" + label), paths)
        check(run.rc == 0, "parley-agent --once: %r" % run)
        log("  agent: %s" % run.stdout.strip().splitlines()[-1:])
        col.stop()
        conn = db.connect()
        with conn.cursor() as cur:
            cur.execute("SELECT current_date")
            today = cur.fetchone()[0]
        conn.close()
        _LOADED[label] = (db, Truth(g, today), Parley(h, db))
    return _LOADED[label]


# --------------------------------------------------------------------------------------
# Ground truth beyond the generator's four views: the analytics views of issue 4


def round_half_up(fr):
    """PostgreSQL's round(numeric): halves away from zero (values here are >= 0)."""
    return int(fr + Fraction(1, 2)) if fr >= 0 else -int(-fr + Fraction(1, 2))


class Truth:
    def __init__(self, g, today, target=1000, deadline=None):
        self.g = g
        self.today = today
        self.views = g.expected()
        self.counting = [c for c in g.conversations if c.counts()]
        self.mps = {code: (name, party) for code, (name, party) in gen.MPS.items()}
        self.set_target(target, deadline)

    def set_target(self, target, deadline):
        self.target = target
        self.deadline = deadline or dt.date(self.today.year, 12, 31)
        self.views["progress"]["target"] = target

    # -- weekly_progress ---------------------------------------------------------------
    def weekly(self):
        days = defaultdict(int)
        for c in self.counting:
            days[dt.date.fromisoformat(c.ident[4])] += 1
        if not days:
            return []
        first_on, last_on = min(days), max(days)
        monday = first_on - dt.timedelta(days=first_on.weekday())
        end = max(last_on, self.today)
        last_monday = end - dt.timedelta(days=end.weekday())
        rows, cum = [], 0
        w = monday
        while w <= last_monday:
            n = sum(v for d, v in days.items() if w <= d <= w + dt.timedelta(days=6))
            cum += n
            as_of = min(w + dt.timedelta(days=6), max(self.today, last_on))
            if self.deadline <= as_of:
                proj = cum
            else:
                proj = round_half_up(Fraction(cum * ((self.deadline - first_on).days + 1),
                                              (as_of - first_on).days + 1))
            iso = w.isocalendar()
            rows.append({"week": "%04d-W%02d" % (iso[0], iso[1]), "week_start": w.isoformat(),
                         "conversations": n, "cumulative_conversations": cum, "target": self.target,
                         "deadline": self.deadline.isoformat(), "projected_at_deadline": proj})
            w += dt.timedelta(days=7)
        return rows

    # -- stakeholder_summary ------------------------------------------------------------
    def stakeholders(self):
        per = defaultdict(list)
        for c in self.counting:
            assoc, code, role, key, day = c.ident
            s = c.state()
            per[(code, role, key)].append((day, s.reported_at_us, s.event_id, s, assoc))
        out = {}
        for (code, role, key), items in per.items():
            items.sort(key=lambda t: (t[0], t[1], t[2]), reverse=True)
            stances = [t[3].attrs.stance for t in items if t[3].attrs.stance is not None]
            last_on = items[0][0]
            out[(code, role, key)] = {
                "constituency_code": code, "constituency_name": gen.BY_CODE[code].name, "role": role,
                "person_key": key, "name": items[0][3].obj["stakeholder"]["name"],
                "conversations": len(items), "associations": len({t[4] for t in items}),
                "latest_stance": stances[0] if stances else None,
                "previous_stance": stances[1] if len(stances) > 1 else None,
                "first_on": min(t[0] for t in items), "last_on": last_on,
                "open_follow_ups": sum(1 for t in items if t[0] == last_on and t[3].attrs.follow_up),
                "association_ids": ", ".join(sorted({t[4] for t in items}))}
        return out

    # -- association_summary --------------------------------------------------------------
    def associations(self):
        names = {}
        for c in self.g.conversations:
            for e in c.events:
                n = e.obj["association"].get("name")
                if n is None:
                    continue
                k = (e.reported_at_us, e.event_id)
                a = c.ident[0]
                if a not in names or k > names[a][0]:
                    names[a] = (k, n)
        per = defaultdict(list)
        for c in self.counting:
            per[c.ident[0]].append(c.ident)
        out = {}
        for a, idents in per.items():
            out[a] = {"association_id": a, "association_name": names[a][1] if a in names else None,
                      "conversations": len(idents),
                      "constituencies_reached": len({i[1] for i in idents}),
                      "mps_spoken_to": len({i[1] for i in idents if i[2] == "mp"}),
                      "first_on": min(i[4] for i in idents), "last_on": max(i[4] for i in idents)}
        return out

    # -- mp_mismatches ------------------------------------------------------------------
    def mismatches(self):
        out = {}
        for (code, role, key), s in self.stakeholders().items():
            if role != "mp":
                continue
            sitting = self.mps.get(code)
            skey = gen.person_key(sitting[0]) if sitting else None
            if skey != key:
                out[(code, key)] = dict(s, sitting_mp=sitting[0] if sitting else None,
                                        sitting_mp_party=(sitting[1] or None) if sitting else None,
                                        sitting_mp_key=skey)
        return out

    def gaps(self):
        out = {}
        for code, row in self.views["constituency_summary"].items():
            if row["mp_conversations"] == 0:
                mp = self.mps.get(code)
                out[code] = {"region": row["region"], "constituency_code": code,
                             "constituency_name": row["constituency_name"],
                             "gap": "no_conversation" if row["conversations"] == 0 else "mp_not_spoken_to",
                             "conversations": row["conversations"],
                             "mp_name": mp[0] if mp else None, "mp_party": (mp[1] or None) if mp else None}
        return out

    def topics(self):
        out = defaultdict(lambda: [0, 0])
        for (code, topic), n in self.views["constituency_topics"].items():
            out[topic][0] += n
            out[topic][1] += 1
        return {t: {"topic": t, "conversations": v[0], "constituencies": v[1]} for t, v in out.items()}


# --------------------------------------------------------------------------------------
# Running parley and reading its three formats


class Parley:
    def __init__(self, h, db):
        self.h = h
        self.binary = h.parley
        self.db = db

    def conninfo(self, user=None, dbname=None):
        return conninfo(self.h, dbname or self.db.name, user)

    def run(self, *args, db=True, env=None, user=None):
        cmd = [self.binary]
        if db:
            cmd += ["--db", self.conninfo(user)]
        cmd += list(args)
        e = dict(os.environ)
        for k in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE"):
            e.pop(k, None)
        e.update(env or {})
        p = subprocess.run(cmd, capture_output=True, timeout=120, env=e, stdin=subprocess.DEVNULL)
        p.text = p.stdout.decode("utf-8")
        p.err = p.stderr.decode("utf-8")
        return p

    def ok(self, *args, **kw):
        p = self.run(*args, **kw)
        check(p.returncode == 0, "parley %s exited %d: %s" % (" ".join(args), p.returncode, p.err.strip()))
        check(p.err == "", "parley %s wrote to stderr: %r" % (" ".join(args), p.err))
        return p

    def csv(self, *args, **kw):
        p = self.ok(*args, "--format", "csv", **kw)
        raw = p.stdout
        check(raw.endswith(b"\r\n"), "CSV of %s ends with CRLF" % " ".join(args))
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
        check(len(rows) >= 1, "CSV of %s has a header" % " ".join(args))
        # Every record is terminated by CRLF: as many CRLFs outside quotes as records.
        header, body = rows[0], rows[1:]
        for r in body:
            check(len(r) == len(header), "CSV of %s: every record has %d fields" % (" ".join(args), len(header)))
        return header, [dict(zip(header, r)) for r in body]

    def json(self, *args, **kw):
        p = self.ok(*args, "--format", "json", **kw)
        doc = json.loads(p.text)
        check(isinstance(doc, list) and all(isinstance(o, dict) for o in doc),
              "JSON of %s is an array of objects" % " ".join(args))
        return doc

    def table(self, *args, **kw):
        p = self.ok(*args, **kw)
        for line in p.text.splitlines():
            check(len(line) <= 80, "table of %s fits 80 columns: %r (%d)" % (" ".join(args), line, len(line)))
        return p.text


def as_csv(v):
    """A value as the CSV rendering writes it."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def num(v):
    return None if v in (None, "") else float(v)


def compare_csv(got, want, columns, what, numeric=()):
    for c in columns:
        g, w = got.get(c), want.get(c)
        if c in numeric:
            check((g == "" and w is None) or (w is not None and g != "" and abs(float(g) - float(w)) < 1e-9),
                  "%s.%s: got %r, want %r" % (what, c, g, w))
        else:
            check_eq(g, as_csv(w), "%s.%s" % (what, c))


def compare_json(got, want, columns, what, numeric=()):
    for c in columns:
        g, w = got.get(c, "<missing>"), want.get(c)
        if c in numeric:
            check((g is None and w is None) or (w is not None and isinstance(g, (int, float))
                                                and abs(g - float(w)) < 1e-9),
                  "%s.%s: got %r, want %r" % (what, c, g, w))
            continue
        if isinstance(w, dt.date):
            w = w.isoformat()
        if isinstance(w, int) and not isinstance(w, bool):
            check(isinstance(g, int) and not isinstance(g, bool), "%s.%s is a JSON number: %r" % (what, c, g))
        check_eq(g, w, "%s.%s" % (what, c))


def both(parley, args, key, want, columns, what, numeric=()):
    """Checks CSV and JSON of a listing against want {key: row}."""
    header, rows = parley.csv(*args)
    check_eq([c for c in header if c in columns], list(columns), "CSV header of %s (columns in order)" % what)
    check_eq(sorted(key(r) for r in rows), sorted(want), "rows of %s (CSV)" % what)
    for r in rows:
        compare_csv(r, want[key(r)], columns, "%s %s (CSV)" % (what, key(r)), numeric)
    doc = parley.json(*args)
    check_eq(sorted(key(o) for o in doc), sorted(want), "rows of %s (JSON)" % what)
    for o in doc:
        compare_json(o, want[key(o)], columns, "%s %s (JSON)" % (what, key(o)), numeric)
    return rows, doc


# --------------------------------------------------------------------------------------
# The tests

SUMMARY = gen.SUMMARY_COLUMNS
STAKEHOLDER_COLUMNS = ("constituency_code", "constituency_name", "role", "name", "person_key", "conversations",
                       "associations", "latest_stance", "previous_stance", "last_on", "open_follow_ups")


def t_progress(p, truth):
    pr = truth.views["progress"]
    weekly = truth.weekly()
    want = dict(pr, constituencies=650, deadline=truth.deadline.isoformat(),
                projected_at_deadline=weekly[-1]["projected_at_deadline"] if weekly else None,
                percent_of_target=Fraction(round_half_up(Fraction(1000 * pr["conversations"], pr["target"])), 10))
    cols = ("conversations", "target", "constituencies_reached", "constituencies", "mps_engaged", "deadline",
            "projected_at_deadline")
    header, rows = p.csv("progress")
    check_eq(len(rows), 1, "progress CSV rows")
    compare_csv(rows[0], want, cols, "progress (CSV)")
    compare_csv(rows[0], want, ("percent_of_target",), "progress (CSV)", numeric=("percent_of_target",))
    doc = p.json("progress")
    check_eq(len(doc), 1, "progress JSON rows")
    compare_json(doc[0], want, cols, "progress (JSON)")
    text = p.table("progress")
    check("Conversations" in text and "{:,}".format(pr["conversations"]) in text, "progress table shows the count")
    check("{:,}".format(pr["target"]) in text, "progress table shows the target")
    check(re.search(r"Constituencies reached\s+%d\s+650" % pr["constituencies_reached"], text),
          "progress table: constituencies reached of 650")
    check(re.search(r"MPs engaged\s+%d\s+650" % pr["mps_engaged"], text), "progress table: MPs engaged of 650")
    check(re.search(r"\[#*\.*\]", text), "progress table has a text progress bar")
    check(truth.deadline.isoformat() in text, "progress table names the deadline")


def t_regions(p, truth):
    want = {r["region"]: r for r in truth.views["region_summary"].values()}
    both(p, ["regions"], lambda r: r["region"], want, gen.REGION_COLUMNS, "regions")
    text = p.table("regions")
    for r in want.values():
        check(re.search(r"%s\s+%d\s+%d\s+%d\s+%d" % (re.escape(r["region"]), r["constituencies"],
                                                      r["constituencies_reached"], r["mps_engaged"],
                                                      r["conversations"]), text),
              "regions table row for %s" % r["region"])


def t_topics(p, truth):
    want = truth.topics()
    rows, doc = both(p, ["topics"], lambda r: r["topic"], want, ("topic", "conversations", "constituencies"),
                     "topics")
    counts = [int(r["conversations"]) for r in rows]
    check(counts == sorted(counts, reverse=True), "topics are ordered by conversations")
    top = p.json("topics", "--limit", "3")
    check_eq(len(top), min(3, len(want)), "topics --limit 3")
    text = p.table("topics")
    for t in want.values():
        check(re.search(r"%s\s+%d\s+%d" % (re.escape(t["topic"]), t["conversations"], t["constituencies"]), text),
              "topics table row for %s" % t["topic"])


def t_constituency(p, truth):
    summary = truth.views["constituency_summary"]
    busiest = max(summary.values(), key=lambda r: (r["conversations"], r["constituency_code"]))
    code = busiest["constituency_code"]
    topics = {t: n for (c, t), n in truth.views["constituency_topics"].items() if c == code}
    people = {(s["role"], s["person_key"]): s for (c, _, _), s in truth.stakeholders().items() if c == code}
    # By code in lower case, and by name written differently (folding).
    name_variant = gen.constituency_name_variants(gen.BY_CODE[code])[-1]
    for arg in (code.lower(), name_variant, busiest["constituency_name"].upper()):
        doc = p.json("constituency", arg)
        check_eq(len(doc), 1, "constituency %r JSON has one object" % arg)
        o = doc[0]
        compare_json(o, busiest, SUMMARY, "constituency %s (JSON)" % arg, numeric=("mean_stance",))
        check_eq({t["topic"]: t["conversations"] for t in o["topics"]}, topics, "constituency topics (JSON)")
        got_people = {(s["role"], s["person_key"]): s for s in o["stakeholders"]}
        check_eq(sorted(got_people), sorted(people), "constituency stakeholders (JSON)")
        for k, s in got_people.items():
            compare_json(s, people[k], ("name", "conversations", "associations", "latest_stance",
                                        "previous_stance", "last_on", "open_follow_ups"),
                         "constituency stakeholder %s (JSON)" % (k,))
        mp = truth.mps.get(code)
        check_eq(o["sitting_mp"]["mp_name"] if o["sitting_mp"] else None, mp[0] if mp else None, "sitting MP")
    header, rows = p.csv("constituency", code)
    check_eq(len(rows), 1, "constituency CSV has one record")
    compare_csv(rows[0], busiest, SUMMARY, "constituency (CSV)", numeric=("mean_stance",))
    got_topics = dict(x.rsplit(":", 1) for x in rows[0]["topics"].split("; ")) if rows[0]["topics"] else {}
    check_eq({t: int(n) for t, n in got_topics.items()}, topics, "constituency topics (CSV)")
    text = p.table("constituency", code)
    check(busiest["constituency_name"] in text and code in text, "constituency table names it")
    for t in topics:
        check(t in text, "constituency table lists topic %s" % t)
    check(re.search(r"Conversations\s+%d\n" % busiest["conversations"], text), "constituency table count")
    # A quiet constituency: zeros, not missing.
    quiet = next(r for r in summary.values() if r["conversations"] == 0)
    o = p.json("constituency", quiet["constituency_code"])[0]
    compare_json(o, quiet, SUMMARY, "quiet constituency", numeric=("mean_stance",))
    check_eq(o["topics"], [], "quiet constituency topics")


def t_constituencies(p, truth):
    summary = truth.views["constituency_summary"]
    cols = ("constituency_code", "constituency_name", "region", "conversations", "mp_conversations",
            "associations", "follow_ups", "last_on")
    both(p, ["constituencies"], lambda r: r["constituency_code"], summary, cols, "constituencies")
    top = p.json("constituencies", "--limit", "5")
    want = sorted((r["conversations"] for r in summary.values()), reverse=True)[:5]
    check_eq([o["conversations"] for o in top], want, "constituencies --limit 5: the busiest first")
    wales = {c: r for c, r in summary.items() if r["region"] == "Wales"}
    both(p, ["constituencies", "--region", "WALES"], lambda r: r["constituency_code"], wales, cols,
         "constituencies --region")
    text = p.table("constituencies", "--limit", "10")
    busiest = max(summary.values(), key=lambda r: r["conversations"])
    check(re.search(r"%s\s+%s\s+%d\s+%d\s+%d" % (busiest["constituency_code"], re.escape(busiest["constituency_name"]),
                                                 busiest["conversations"], busiest["mp_conversations"],
                                                 busiest["associations"]), text), "constituencies table row")


def t_unknown_constituency(p, truth):
    r = p.run("constituency", "Birmingam Edgbastn")
    check_eq(r.returncode, 1, "unknown constituency exit status")
    check_eq(r.stdout, b"", "unknown constituency prints nothing on stdout")
    lines = r.err.splitlines()
    check_eq(len(lines), 1, "unknown constituency: one line on stderr (%r)" % r.err)
    check(lines[0].startswith("parley: ") and "Birmingam Edgbastn" in lines[0], "names what was typed")
    check("Birmingham Edgbaston" in lines[0], "suggests the closest name: %r" % lines[0])
    r = p.run("constituency", "E99999999")
    check_eq(r.returncode, 1, "unknown code exit status")
    check_eq(len(r.err.splitlines()), 1, "unknown code: one line")


def t_gaps(p, truth):
    want = truth.gaps()
    cols = ("region", "constituency_code", "constituency_name", "gap", "conversations", "mp_name", "mp_party")
    rows, _ = both(p, ["gaps"], lambda r: r["constituency_code"], want, cols, "gaps")
    # Grouped by region; within one, the constituencies with no conversation first.
    regions = [r["region"] for r in rows]
    check(regions == sorted(regions), "gaps grouped by region")
    nw = {c: r for c, r in want.items() if r["region"] == "North West"}
    both(p, ["gaps", "--region", "north west"], lambda r: r["constituency_code"], nw, cols, "gaps --region")
    text = p.table("gaps")
    for region in {r["region"] for r in want.values()}:
        check("== %s ==" % region in text, "gaps table has a heading for %s" % region)
    some = next(iter(want.values()))
    check(some["constituency_name"][:30] in text, "gaps table lists %s" % some["constituency_name"])
    r = p.run("gaps", "--region", "atlantis")
    check_eq(r.returncode, 1, "unknown region exit status")
    check("North West" in r.err and len(r.err.splitlines()) == 1, "unknown region lists the regions in one line")


def t_associations(p, truth):
    want = truth.associations()
    cols = ("association_id", "association_name", "conversations", "constituencies_reached", "mps_spoken_to",
            "first_on", "last_on")
    both(p, ["associations"], lambda r: r["association_id"], want, cols, "associations")
    text = p.table("associations")
    for a in want.values():
        check(a["association_id"] in text, "associations table lists %s" % a["association_id"])


def t_stakeholders(p, truth):
    want = {(s["constituency_code"], s["role"], s["person_key"]): s for s in truth.stakeholders().values()}
    key = lambda r: (r["constituency_code"], r["role"], r["person_key"])  # noqa: E731
    both(p, ["stakeholders"], key, want, STAKEHOLDER_COLUMNS, "stakeholders")
    sceptical = {k: s for k, s in want.items() if s["latest_stance"] == -1}
    both(p, ["stakeholders", "--stance", "sceptical"], key, sceptical, STAKEHOLDER_COLUMNS, "stakeholders sceptical")
    unknown = {k: s for k, s in want.items() if s["latest_stance"] is None}
    both(p, ["stakeholders", "--stance", "unknown"], key, unknown, STAKEHOLDER_COLUMNS, "stakeholders unknown")
    changed = [s for s in want.values() if s["previous_stance"] is not None
               and s["latest_stance"] != s["previous_stance"]]
    check(changed, "the generated data has a stakeholder whose stance changed")
    text = p.table("stakeholders", "--limit", "5")
    check(len(text.splitlines()) == 7, "stakeholders --limit 5 table: header, rule, 5 rows")
    r = p.run("stakeholders", "--stance", "grumpy")
    check_eq(r.returncode, 2, "unknown stance is bad usage")


def t_mismatches(p, truth):
    want = truth.mismatches()
    cols = ("constituency_code", "constituency_name", "name", "person_key", "conversations", "association_ids",
            "sitting_mp", "sitting_mp_party")
    both(p, ["mismatches"], lambda r: (r["constituency_code"], r["person_key"]), want, cols, "mismatches")
    both(p, ["export", "mp_mismatches"], lambda r: (r["constituency_code"], r["person_key"]), want, cols,
         "export mp_mismatches")
    p.table("mismatches")
    return want


def t_export(p, truth):
    summary = truth.views["constituency_summary"]
    header, rows = p.csv("export", "constituency_summary")
    check_eq(header[:len(SUMMARY)], list(SUMMARY), "export constituency_summary header")
    check_eq(len(rows), 650, "export constituency_summary has 650 rows")
    for r in rows:
        compare_csv(r, summary[r["constituency_code"]], SUMMARY, "export constituency_summary",
                    numeric=("mean_stance",))
    # --format csv has no byte order mark; xlsx-csv has one, and its cells are the CSV's,
    # formula-like text behind an apostrophe and digit-only text as ="...".
    raw_csv = p.ok("export", "constituency_summary", "--format", "csv").stdout
    check(not raw_csv.startswith(b"\xef\xbb\xbf"), "csv export has no byte order mark")
    raw_x = p.ok("export", "constituency_summary", "--format", "xlsx-csv").stdout
    check(raw_x.startswith(b"\xef\xbb\xbf"), "xlsx-csv export starts with a UTF-8 byte order mark")
    check(raw_x.endswith(b"\r\n"), "xlsx-csv export ends with CRLF")
    xrows = list(csv.reader(io.StringIO(raw_x[3:].decode("utf-8"), newline="")))
    crows = list(csv.reader(io.StringIO(raw_csv.decode("utf-8"), newline="")))
    check_eq(len(xrows), len(crows), "xlsx-csv export has the csv export's rows")
    check_eq(xrows[0], crows[0], "xlsx-csv export has the csv export's header")
    for xr, cr in zip(xrows[1:], crows[1:]):
        for name, x, c in zip(crows[0], xr, cr):
            text = name in ("constituency_code", "constituency_name", "region", "country")
            if text and c[:1] in ("=", "+", "-", "@", "\t", "\r"):
                want = "'" + c
            elif text and c.isdigit():
                want = '="%s"' % c
            else:
                want = c  # numbers (a negative mean_stance too) and dates as they are
            check_eq(x, want, "xlsx-csv cell %s of %s" % (name, cr[0]))
    # Without --format, export is CSV.
    plain = p.ok("export", "parley.region_summary")
    check(plain.text.startswith("region,country,constituencies,") and "\r\n" in plain.text,
          "export without --format is CSV")
    weekly = truth.weekly()
    wcols = ("week", "week_start", "conversations", "cumulative_conversations", "target", "deadline",
             "projected_at_deadline")
    header, rows = p.csv("export", "weekly_progress")
    check_eq(header, list(wcols), "weekly_progress columns")
    check_eq(len(rows), len(weekly), "weekly_progress weeks")
    for g, w in zip(rows, weekly):
        compare_csv(g, w, wcols, "weekly_progress %s" % w["week"])
    doc = p.json("export", "weekly_progress")
    for g, w in zip(doc, weekly):
        compare_json(g, w, wcols, "weekly_progress %s (JSON)" % w["week"])
    topics = {(c, t): n for (c, t), n in truth.views["constituency_topics"].items()}
    header, rows = p.csv("export", "constituency_topics")
    check_eq({(r["constituency_code"], r["topic"]): int(r["conversations"]) for r in rows}, topics,
             "export constituency_topics")
    for view in ("progress", "association_summary", "stakeholder_summary", "sitting_mps", "campaign_target"):
        p.csv("export", view)
        p.json("export", view)
    r = p.run("export", "event")
    check_eq(r.returncode, 2, "export of a table that is not a listed view is refused")
    check("constituency_summary" in r.err, "export error lists the views")
    r = p.run("export", "constituency_summary; DROP TABLE parley.event")
    check_eq(r.returncode, 2, "export never splices its argument into SQL")


def t_target(p, truth, db):
    out = p.ok("target").text
    check("1,000" in out and truth.deadline.isoformat() in out, "target shows 1,000 and the default deadline")
    r = p.ok("target", "1500", "--by", "2027-06-30")
    truth.set_target(1500, dt.date(2027, 6, 30))
    doc = p.json("target")
    check_eq(doc, [{"target": 1500, "deadline": "2027-06-30"}], "target after setting")
    t_progress(p, truth)
    for bad in (["target", "-3"], ["target", "many"], ["target", "10", "--by", "June"], ["target", "--by", "2027-01-01"]):
        r = p.run(*bad)
        check_eq(r.returncode, 2, "parley %s is bad usage" % " ".join(bad))
        check_eq(len(r.err.splitlines()), 1, "parley %s: one line" % " ".join(bad))
    # A date of the right shape but no such day is refused before anything is written,
    # and the message says why.
    for day in ("2026-02-30", "2027-02-29", "2027-13-01"):
        r = p.run("target", "10", "--by", day)
        check_eq(r.returncode, 2, "parley target 10 --by %s is bad usage" % day)
        check_eq(r.err, 'parley: invalid --by "%s": no such day (expected a date as YYYY-MM-DD)\n' % day,
                 "--by %s: the message" % day)
    check_eq(p.json("target"), [{"target": 1500, "deadline": "2027-06-30"}], "refused dates change nothing")


def t_mps_load(p, truth, work):
    stakeholders = truth.stakeholders()
    # A newer list in which the MP spoken to in one constituency is no longer the sitting
    # MP (a by-election): that conversation must show up in mp_mismatches, counted as
    # before; and a gap constituency gets a new MP, whom `gaps` must name.
    (code, _, key), spoken = sorted((k, s) for k, s in stakeholders.items() if k[1] == "mp")[0]
    gap_code = sorted(truth.gaps())[0]
    path = os.path.join(work, "mps-new.csv")
    with open(os.path.join(SOURCE_DIR, "common", "data", "mps.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    for r in rows[1:]:
        if r[0] == code:
            r[1:4] = ["Dame Zelda Newcombe MP", "Green Party", "2026-05-07"]
        if r[0] == gap_code:
            r[1:4] = ["Ms Yasmin Ørsted", "Sinn Féin, \"the\" party", ""]
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    out = p.ok("mps", "load", path).text
    check("650" in out, "mps load reports how many were loaded: %r" % out)
    truth.mps[code] = ("Dame Zelda Newcombe MP", "Green Party")
    truth.mps[gap_code] = ("Ms Yasmin Ørsted", "Sinn Féin, \"the\" party")
    after = truth.mismatches()
    check((code, key) in after, "the MP spoken to is now a mismatch")
    cols = ("constituency_code", "constituency_name", "name", "person_key", "conversations", "association_ids",
            "sitting_mp", "sitting_mp_party", "sitting_mp_key")
    both(p, ["export", "mp_mismatches"], lambda r: (r["constituency_code"], r["person_key"]), after, cols,
         "mp_mismatches after load")
    check_eq(after[(code, key)]["sitting_mp_key"], "zelda newcombe", "the new MP's person key")
    text = p.table("mismatches")
    check(spoken["name"][:18] in text and "Dame Zelda Newcombe" in text, "mismatches table names both")
    # Counted as usual.
    check_eq(p.json("progress")[0]["mps_engaged"], truth.views["progress"]["mps_engaged"],
             "a mismatch still counts")
    gaps = {o["constituency_code"]: o for o in p.json("gaps")}
    check_eq((gaps[gap_code]["mp_name"], gaps[gap_code]["mp_party"]),
             truth.mps[gap_code], "gaps names the new MP and party")
    sitting = {o["constituency_code"]: o for o in p.json("export", "sitting_mps")}
    check_eq(sitting[gap_code]["since"], None, "an empty since is NULL")
    check_eq(sitting[code]["since"], "2026-05-07", "since as given")
    # A bad file changes nothing and says where.
    bad = os.path.join(work, "mps-bad.csv")
    with open(bad, "w", encoding="utf-8") as f:
        f.write("constituency_code,name,party,since\nE14001063,Alex Baker,Labour,2024-07-04\n"
                "E14009999,Nobody,Labour,2024-07-04\nE14001064,Wendy Morton,Conservative,yesterday\n")
    r = p.run("mps", "load", bad)
    check_eq(r.returncode, 1, "bad MP list exit status")
    check("mps-bad.csv:3: unknown constituency code \"E14009999\"" in r.err, "names file and line: %r" % r.err)
    check("mps-bad.csv:4: since \"yesterday\" is not a date" in r.err, "names file and line: %r" % r.err)
    after_bad = {o["constituency_code"]: o for o in p.json("export", "sitting_mps")}
    check_eq(after_bad, sitting, "a bad file leaves the list as it was")
    r = p.run("mps", "load", os.path.join(work, "no-such.csv"))
    check_eq(r.returncode, 1, "missing MP file exit status")
    check_eq(len(r.err.splitlines()), 1, "missing MP file: one line")


def t_usage_and_errors(p, truth, db):
    r = p.run("--version", db=False)
    check_eq((r.returncode, r.text), (0, "parley 0.1.0\n"), "--version")
    r = p.run("--help", db=False)
    check_eq(r.returncode, 0, "--help exit status")
    for cmd in ("progress", "constituency", "gaps", "regions", "topics", "export", "report"):
        check(cmd in r.text, "--help lists %s" % cmd)
    for args in ([], ["frobnicate"], ["progress", "--bogus"], ["progress", "--format", "xml"],
                 ["constituency"], ["regions", "extra"], ["progress", "--region", "Wales"], ["report"],
                 ["--format"], ["mps", "unload", "x"],
                 # checked before connecting: bad usage never waits for a database
                 ["target", "10", "--by", "2026-02-30"], ["target", "many"], ["stakeholders", "--stance", "grumpy"]):
        r = p.run(*args, db=False)
        check_eq(r.returncode, 2, "parley %s exit status" % " ".join(args))
        lines = r.err.splitlines()
        check(len(lines) == 1 and lines[0].startswith("parley: "), "parley %s: one line: %r" % (" ".join(args), r.err))
        check_eq(r.stdout, b"", "parley %s prints nothing on stdout" % " ".join(args))
    # No database there: one line, exit 1.
    sock = tempfile.mkdtemp(prefix="parley-nodb-")
    r = p.run("--db", "host=%s port=1 dbname=x connect_timeout=5" % sock, "progress", db=False)
    os.rmdir(sock)
    check_eq(r.returncode, 1, "no database exit status")
    check(r.err.startswith("parley: could not connect to database: ") and len(r.err.splitlines()) == 1,
          "no database: one line: %r" % r.err)
    # A database without Parley's schema.
    r = p.run("--db", p.conninfo(dbname="postgres"), "progress", db=False)
    check_eq(r.returncode, 1, "no schema exit status")
    check_eq(len(r.err.splitlines()), 1, "no schema: one line")
    # The libpq environment instead of --db.
    env = dict(p.h.pg_env, PGDATABASE=db.name)
    r = p.run("--format", "json", "progress", db=False, env=env)
    check_eq(r.returncode, 0, "progress from the libpq environment: %s" % r.err)
    check_eq(json.loads(r.text)[0]["conversations"], truth.views["progress"]["conversations"],
             "progress from the libpq environment")


def t_analyst(p, truth, db):
    role = "parley_cli_analyst_%d" % os.getpid()
    admin = db.connect()
    with admin.cursor() as cur:
        cur.execute("DROP ROLE IF EXISTS %s" % role)
        cur.execute("CREATE ROLE %s LOGIN IN ROLE parley_analyst" % role)
    try:
        for cmd in (["progress"], ["regions"], ["topics"], ["gaps"], ["associations"], ["stakeholders"],
                    ["mismatches"], ["constituency", next(iter(truth.views["constituency_summary"]))],
                    ["export", "stakeholder_summary"], ["target"]):
            p.ok(*cmd, user=role)
            p.json(*cmd, user=role)
        check_eq(p.json("progress", user=role)[0]["conversations"], truth.views["progress"]["conversations"],
                 "the analyst reads progress")
        r = p.run("target", "5", user=role)
        check_eq(r.returncode, 1, "the analyst cannot set the target")
        check("permission denied" in r.err and len(r.err.splitlines()) == 1, "one line: %r" % r.err)
        r = p.run("mps", "load", os.path.join(SOURCE_DIR, "common", "data", "mps.csv"), user=role)
        check_eq(r.returncode, 1, "the analyst cannot load the MP list")
        conn = psycopg2.connect(p.conninfo(user=role))
        conn.autocommit = True
        denied = 0
        for sql in ("SELECT notes FROM parley.event", "SELECT raw FROM parley.event",
                    "SELECT * FROM parley.conversation", "SELECT * FROM parley.constituency_agg",
                    "UPDATE parley.settings SET target = 1", "INSERT INTO parley.mp VALUES ('x','y')",
                    "DELETE FROM parley.event", "SELECT parley.ingest_prepare()",
                    "CREATE TABLE parley.mine (x int)", "SELECT parley.set_target(1, NULL)",
                    "INSERT INTO parley.constituency_topics VALUES ('E14001063', 'x', 1)"):
            with conn.cursor() as cur:
                try:
                    cur.execute(sql)
                except psycopg2.Error as e:
                    check(e.pgcode in ("42501",) or "permission denied" in str(e),
                          "%s fails for lack of privilege: %s" % (sql, e))
                    denied += 1
                    continue
            raise Failure("the analyst role could run: %s" % sql)
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM parley.constituency_summary")
            check_eq(cur.fetchone()[0], 650, "the analyst reads the views")
        conn.close()
        log("  analyst: %d statements refused" % denied)
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP OWNED BY %s" % role)
            cur.execute("DROP ROLE IF EXISTS %s" % role)
        admin.close()


# ---- the test functions (tests/lib/harness.py runs them in this order) -------------------

def test_progress(h):
    db, truth, p = loaded(h)
    t_progress(p, truth)


def test_regions(h):
    db, truth, p = loaded(h)
    t_regions(p, truth)


def test_topics(h):
    db, truth, p = loaded(h)
    t_topics(p, truth)


def test_constituency(h):
    db, truth, p = loaded(h)
    t_constituency(p, truth)
    t_unknown_constituency(p, truth)


def test_constituencies(h):
    db, truth, p = loaded(h)
    t_constituencies(p, truth)


def test_gaps(h):
    db, truth, p = loaded(h)
    t_gaps(p, truth)


def test_associations(h):
    db, truth, p = loaded(h)
    t_associations(p, truth)


def test_stakeholders(h):
    db, truth, p = loaded(h)
    t_stakeholders(p, truth)


def test_mismatches(h):
    db, truth, p = loaded(h)
    t_mismatches(p, truth)


def test_export(h):
    db, truth, p = loaded(h)
    t_export(p, truth)


def test_usage_and_errors(h):
    db, truth, p = loaded(h)
    t_usage_and_errors(p, truth, db)


def test_analyst_role(h):
    db, truth, p = loaded(h)
    t_analyst(p, truth, db)


def test_target(h):
    db, truth, p = loaded(h)
    t_target(p, truth, db)


def test_mps_load(h):
    db, truth, p = loaded(h)
    t_mps_load(p, truth, h.work)


if __name__ == "__main__":
    harness.main(globals())
