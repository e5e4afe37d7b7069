#!/usr/bin/python3
# ctest-timeout: 600
"""Hostile strings through the whole pipeline (parley-agent → ZeroMQ → parley-collector →
PostgreSQL → parley): quotes, backslashes, `\\.` alone on a line (COPY's end of data), tabs
and line breaks, `'); DROP TABLE parley.event; --`, HTML and script, right-to-left
overrides and the other bidirectional and C1 controls, ESC sequences, 4-byte characters,
and the largest values allowed, in every text field an event has (association.name,
stakeholder.name, stakeholder.party, notes, and an unknown member kept in the raw line),
sent both as raw UTF-8 and as JSON escapes.

Read back byte for byte: parley.event's columns and its raw line, the analysts' views, the
CLI in csv and json (exact) and table (every control character shown as one space, nothing
else changed, never a control character on the terminal), and the HTML report (parsed with
html.parser: every element is one the report itself makes, no event text became markup).
A \\u0000 in any of those fields is refused with the field named, and nothing is stored.

Usage (tests/lib/harness.py): test_hostile_strings.py --agent PATH --collector PATH
--parley PATH [--work-dir DIR] [--keep]
"""
import csv
import html.parser
import json
import os
import re
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_cli as tc  # noqa: E402  (its Parley helper)
from test_cli import check, check_eq, log, harness  # noqa: E402

SOURCE_DIR = tc.SOURCE_DIR

HOSTILE = [
    "O'Brien \"the\" 'quoted'",
    "back\\slash \\\\ \\N \\x41 \\u0041",
    "\\.",
    "line one\n\\.\nline three",
    "tab\there\r\nand CRLF\rand CR",
    "'); DROP TABLE parley.event; --",
    "Robert'); DELETE FROM parley.conversation WHERE ('1'='1",
    "$$ || pg_sleep(10) || $$ $fn$ E'\\x00'",
    "<script>alert('x')</script><b id=\"hostile-b\">bold</b>",
    "<img src=x onerror=\"alert(1)\"> & &amp; &lt; ]]> <!-- -->",
    "\u202eevil\u202c right-to-left \u2066isolate\u2069 \u200fmark\u200e \u061c",
    "C1 \u0085NEL \u009bCSI \u0090DCS \u009c end",
    "ESC \u001b[31mred\u001b[0m \u001b]0;title\u0007 bell \u007f del",
    "4-byte \U0001f600 \U0001d11e \U00020000 \U0010fffd",
    "separators \u2028 line \u2029 paragraph",
    ",comma,\"quote\",=cmd|' /C calc'!A0",
    "   leading and trailing spaces   ",
    "%s %n %x %% {0} ${HOME} `id`",
]

# Prefixes keep every stakeholder's person key and every association apart.
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def tag(i):
    return "Q" + LETTERS[i // 26] + LETTERS[i % 26]


def constituencies(n):
    with open(os.path.join(SOURCE_DIR, "common", "data", "constituencies-2024.csv"), newline="",
              encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["code"] for r in rows[:n]]


def cut_bytes(text, limit):
    """text cut to at most limit UTF-8 bytes, between characters."""
    out = ""
    for ch in text:
        if len((out + ch).encode("utf-8")) > limit:
            break
        out += ch
    return out


def fill_to(text, limit, unit="\U0001f600"):
    """text, then as many copies of unit as fit in limit bytes, then ASCII to the exact
    limit: the largest value allowed."""
    while len((text + unit).encode("utf-8")) <= limit:
        text += unit
    while len(text.encode("utf-8")) < limit:
        text += "x"
    return text


def make_events():
    n = len(HOSTILE) + 2
    codes = constituencies(n)
    events = []
    for i in range(n):
        if i < len(HOSTILE):
            s = HOSTILE[i]
            assoc_name = cut_bytes(tag(i) + " " + s, 200)
            person = tag(i) + " " + s
            party = cut_bytes(s, 100)
            notes = s
        else:
            # The largest allowed, in 4-byte characters, with the hostile strings inside.
            s = "".join(HOSTILE)
            assoc_name = fill_to(tag(i) + " \u202e", 200)
            person = fill_to(tag(i) + " '); --", 200)
            party = fill_to("\\.\n", 100)
            notes = fill_to(cut_bytes(s, 2000), 4000)
        ev = {
            "event_id": str(uuid.UUID(int=0x5ee0000000004000800000000000 + i)),
            "type": "conversation.reported",
            "reported_at": "2026-03-01T10:00:%02dZ" % (i % 60),
            "occurred_on": "2026-02-27",
            "association": {"id": "HX-%02d" % i, "name": assoc_name},
            "constituency": {"code": codes[i]},
            "stakeholder": {"role": "mp" if i % 2 else "councillor", "name": person, "party": party},
            "format": "meeting",
            "stance": 1,
            "notes": notes,
            "x_unknown": {"also": s, "list": [s, 1]},
        }
        for limit, field in ((200, assoc_name), (200, person), (100, party), (4000, notes)):
            check(len(field.encode("utf-8")) <= limit, "test data within the limits")
        # Half as raw UTF-8, half with every non-ASCII character escaped.
        line = json.dumps(ev, ensure_ascii=(i % 2 == 0), separators=(",", ":"))
        check(len(line.encode("utf-8")) <= 16384, "test line within the line limit")
        events.append((ev, line))
    return events


# Characters the table rendering shows as one space (query/render.c, s_control_len).
CONTROL = re.compile("[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def shown(text):
    return CONTROL.sub(" ", text)


_STATE = {}


def loaded(h):
    if "db" in _STATE:
        return _STATE
    events = make_events()
    feed = h.path("hostile.jsonl")
    with open(feed, "w", encoding="utf-8", newline="\n") as f:
        for _, line in events:
            f.write(line + "\n")
    db = h.create_database("hostile")
    col = h.start_collector(db)
    run = h.run_agent(col.endpoint, h.path("spool"), [feed])
    check(run.rc == 0, "parley-agent --once: %r" % run)
    check_eq(run.summary.get("accepted"), len(events), "every hostile event accepted (%r)" % run.summary)
    check_eq(run.summary.get("rejected"), 0, "no hostile event rejected")
    _STATE.update(db=db, col=col, events=events, parley=tc.Parley(h, db))
    return _STATE


def test_every_text_field_and_the_raw_line_are_stored_byte_for_byte(h):
    st = loaded(h)
    conn = st["db"].connect()
    with conn.cursor() as cur:
        cur.execute("SELECT event_id::text, association_name, stakeholder_name, party, notes, raw::text,"
                    "       convert_to(notes, 'UTF8') FROM parley.event")
        rows = {r[0]: r for r in cur.fetchall()}
        cur.execute("SELECT to_regclass('parley.event') IS NOT NULL, count(*) FROM parley.conversation")
        table_there, conversations = cur.fetchone()
    conn.close()
    check(table_there, "parley.event still exists")
    check_eq(conversations, len(st["events"]), "every conversation stored")
    check_eq(len(rows), len(st["events"]), "every event stored")
    for ev, line in st["events"]:
        r = rows[ev["event_id"]]
        check_eq(r[1], ev["association"]["name"], "association_name of %s" % ev["event_id"])
        check_eq(r[2], ev["stakeholder"]["name"], "stakeholder_name of %s" % ev["event_id"])
        check_eq(r[3], ev["stakeholder"]["party"], "party of %s" % ev["event_id"])
        check_eq(r[4], ev["notes"], "notes of %s" % ev["event_id"])
        check_eq(bytes(r[6]), ev["notes"].encode("utf-8"), "notes' bytes of %s" % ev["event_id"])
        check_eq(r[5], line, "raw line of %s, exactly as sent" % ev["event_id"])
        check_eq(json.loads(r[5])["x_unknown"], ev["x_unknown"], "unknown member kept")


def test_the_views_give_back_every_name_exactly(h):
    st = loaded(h)
    views = {}
    conn = st["db"].connect()
    with conn.cursor() as cur:
        cur.execute("SELECT association_id, association_name FROM parley.association_summary")
        views["assoc"] = dict(cur.fetchall())
        cur.execute("SELECT constituency_code, name FROM parley.stakeholder_summary")
        views["people"] = dict(cur.fetchall())
        cur.execute("SELECT constituency_code, name FROM parley.mp_mismatches")
        views["mismatches"] = dict(cur.fetchall())
    conn.close()
    for ev, _ in st["events"]:
        code = ev["constituency"]["code"]
        check_eq(views["assoc"].get(ev["association"]["id"]), ev["association"]["name"],
                 "association_summary.association_name")
        check_eq(views["people"].get(code), ev["stakeholder"]["name"], "stakeholder_summary.name")
        if ev["stakeholder"]["role"] == "mp":
            check_eq(views["mismatches"].get(code), ev["stakeholder"]["name"], "mp_mismatches.name")


def _expected(st):
    assoc = {ev["association"]["id"]: ev["association"]["name"] for ev, _ in st["events"]}
    people = {ev["constituency"]["code"]: ev["stakeholder"]["name"] for ev, _ in st["events"]}
    return assoc, people


def test_cli_csv_and_json_give_back_every_name_exactly(h):
    st = loaded(h)
    p = st["parley"]
    assoc, people = _expected(st)
    for args, key, col, want in ((["associations"], "association_id", "association_name", assoc),
                                 (["export", "association_summary"], "association_id", "association_name", assoc),
                                 (["stakeholders", "--limit", "100"], "constituency_code", "name", people),
                                 (["export", "stakeholder_summary"], "constituency_code", "name", people)):
        _, rows = p.csv(*args)
        check_eq({r[key]: r[col] for r in rows}, want, "parley %s --format csv" % " ".join(args))
        doc = p.json(*args)
        check_eq({o[key]: o[col] for o in doc}, want, "parley %s --format json" % " ".join(args))


def test_cli_tables_show_controls_as_spaces_and_nothing_else_changes(h):
    st = loaded(h)
    p = st["parley"]
    assoc, people = _expected(st)
    for args, want in ((["associations"], assoc), (["stakeholders", "--limit", "100"], people)):
        text = p.table(*args)
        body = text.replace("\n", "")
        bad = CONTROL.findall(body)
        check(not bad, "parley %s (table) holds no control character: %r" % (" ".join(args), bad[:5]))
        # Every name's first characters, as shown (controls as spaces), are in the table
        # unchanged; a cut name ends with "…".
        for name in want.values():
            head = shown(name)[:8]
            check(head in text, "parley %s (table) shows %r as %r" % (" ".join(args), name[:20], head))


class Elements(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = set()
        self.ids = []
        self.handlers = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for k, v in attrs:
            if k == "id":
                self.ids.append(v)
            if k.startswith("on"):
                self.handlers.append((tag, k, v))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.text.append("<!--%s-->" % data)


def report_tags():
    """Every element name query/report.c writes itself; anything else came from data."""
    with open(os.path.join(SOURCE_DIR, "query", "report.c"), encoding="utf-8") as f:
        return set(re.findall(r"<([a-z][a-z0-9]*)\b", f.read()))


def test_html_report_never_turns_event_text_into_markup(h):
    st = loaded(h)
    p = st["parley"]
    # Event free text does not reach the report today (it shows constituencies, counts,
    # topics and the MP list): so that its escaping is exercised, the sitting MPs of the
    # constituencies spoken in get hostile names and parties through `parley mps load`.
    mps = h.path("mps-hostile.csv")
    with open(os.path.join(SOURCE_DIR, "common", "data", "mps.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    spoken = {ev["constituency"]["code"]: i for i, (ev, _) in enumerate(st["events"])}
    for r in rows[1:]:
        if r[0] in spoken and spoken[r[0]] < len(HOSTILE):
            i = spoken[r[0]]
            r[1] = cut_bytes(tag(i) + " " + HOSTILE[i], 200)
            r[2] = cut_bytes(HOSTILE[(i + 8) % len(HOSTILE)], 100)
    with open(mps, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    p.ok("mps", "load", mps)
    path = h.path("report.html")
    p.ok("report", "--html", path)
    with open(path, encoding="utf-8", newline="") as f:
        doc = f.read()
    page = Elements()
    page.feed(doc)
    page.close()
    own = report_tags()
    check(len(own) > 5, "the report's own elements found in report.c: %r" % own)
    check(not (page.tags - own), "only the report's own elements: %r" % (page.tags - own))
    check("script" not in page.tags and "img" not in page.tags, "no script or img element")
    check_eq(page.handlers, [], "no event handler attribute")
    check("hostile-b" not in page.ids, "no element from event data")
    check("<script>alert" not in doc and "<b id=\"hostile-b\"" not in doc and "<img src=x" not in doc,
          "no hostile markup in the file's text")
    # The hostile names are there, as text: what the parser reads back is what was loaded.
    text = "".join(page.text)
    shown_names = 0
    for r in rows[1:]:
        if r[0] in spoken and spoken[r[0]] < len(HOSTILE):
            # (mps load trims the spaces around a name)
            check(r[1].strip() in text, "MP name %r read back as text from the report" % r[1][:40])
            shown_names += 1
    check(shown_names >= len(HOSTILE) // 2, "hostile names in the report: %d" % shown_names)
    # Event text that would be markup never appears raw.
    for ev, _ in st["events"]:
        for name in (ev["association"]["name"], ev["stakeholder"]["name"]):
            if any(c in name for c in "<>&\"'") and name in doc:
                raise harness.TestFailure("unescaped event text in the report: %r" % name[:40])
    log("report: %d bytes, %d element kinds, %d text nodes" % (len(doc), len(page.tags), len(text)))


def test_nul_in_any_text_field_is_refused_naming_the_field(h):
    st = loaded(h)
    db = h.create_database("hostile-nul")
    col = h.start_collector(db)
    codes = constituencies(4)
    lines = []
    fields = ["association.name", "stakeholder.name", "notes", "x_unknown.also"]
    for i, field in enumerate(fields):
        ev = {
            "event_id": str(uuid.UUID(int=0x5ee1000000004000800000000000 + i)),
            "type": "conversation.reported",
            "reported_at": "2026-03-01T10:00:00Z",
            "occurred_on": "2026-02-27",
            "association": {"id": "HX-NUL", "name": "ok"},
            "constituency": {"code": codes[i]},
            "stakeholder": {"role": "councillor", "name": "Nul Person", "party": "ok"},
            "notes": "ok",
            "x_unknown": {"also": "ok"},
        }
        obj, key = ev, field
        if "." in field:
            a, key = field.split(".")
            obj = ev[a]
        obj[key] = "before\u0000after"
        lines.append(json.dumps(ev))
    feed = h.path("nul.jsonl")
    with open(feed, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    spool = h.path("spool-nul")
    run = h.run_agent(col.endpoint, spool, [feed])
    check_eq(run.summary.get("rejected"), len(fields), "every NUL line rejected (%r)" % run)
    check_eq(run.summary.get("accepted", 0), 0, "nothing with a NUL accepted")
    rejected = harness.read_rejected(os.path.join(spool, "rejected.jsonl"))
    got = sorted((r["field"], r["reason"]) for _, _, r in rejected)
    want = sorted((f, "contains \\u0000 (a NUL character), which is not allowed") for f in fields)
    check_eq(got, want, "each rejection names its field")
    # The agent refused them all itself: the collector may not have made its schema yet.
    harness.wait_for(lambda: db.query("SELECT to_regclass('parley.event') IS NOT NULL")[1][0][0], 30,
                     "the collector's schema")
    conn = db.connect()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM parley.event")
        check_eq(cur.fetchone()[0], 0, "nothing stored")
    conn.close()


def test_the_collector_itself_refuses_a_nul_from_a_client_that_skips_the_agent(h):
    import zmq
    db = h.create_database("hostile-nul-raw")
    col = h.start_collector(db)
    codes = constituencies(3)
    good = {"event_id": str(uuid.UUID(int=0x5ee2000000004000800000000000)), "type": "conversation.reported",
            "reported_at": "2026-03-01T10:00:00Z", "occurred_on": "2026-02-27",
            "association": {"id": "HX-RAW"}, "constituency": {"code": codes[0]},
            "stakeholder": {"role": "councillor", "name": "Raw Person"}, "notes": "fine"}
    bad_notes = dict(good, event_id=str(uuid.UUID(int=0x5ee2000000004000800000000001)),
                     constituency={"code": codes[1]}, notes="a\u0000b")
    bad_extra = dict(good, event_id=str(uuid.UUID(int=0x5ee2000000004000800000000002)),
                     constituency={"code": codes[2]}, type="conversation.withdrawn", x={"y": ["\u0000"]})
    ctx = zmq.Context()
    sock = harness.secure(ctx.socket(zmq.DEALER))
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(col.endpoint)
    try:
        sock.send_multipart([b"PARLEY/1", b"BATCH", b"1"] + [json.dumps(e).encode() for e in (good, bad_notes, bad_extra)])
        check(sock.poll(30000), "an answer to the batch")
        _, command, seq, *outcomes = sock.recv_multipart()
    finally:
        sock.close()
        ctx.term()
    check_eq(command, b"OUTCOMES", "the batch is answered")
    reason = "contains \\u0000 (a NUL character), which is not allowed"
    check_eq([o.decode() for o in outcomes],
             ["accepted", "rejected\tnotes\t" + reason, "rejected\tx.y[1]\t" + reason],
             "each NUL refused naming its field, the good event stored")
    _, rows = db.query("SELECT event_id::text FROM parley.event")
    check_eq([r[0] for r in rows], [good["event_id"]], "only the good event stored")


if __name__ == "__main__":
    harness.main(globals())
