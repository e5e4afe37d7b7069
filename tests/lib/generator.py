#!/usr/bin/env python3
"""A deterministic generator of conversation events v1, with ground truth.

Builds a model of conversations (who spoke with whom, where, when, and every event reported
about each), renders the events as JSON lines the way real feeds write them (resends of the
same event byte for byte and reformatted, two-feed twins with differently written names and
constituencies, amendments newer and older than the report, withdrawals, conflicts, and many
kinds of invalid lines), arranges the lines into feeds in different orders, and computes the
four views Parley must produce (parley.constituency_summary, constituency_topics,
region_summary, progress) from the model alone: not from Parley's SQL, not from its tables.

The rules it implements itself, from the v1 specification (issue 2): name folding, person
keys, conversation identity (association id, constituency code, role, person key,
occurred_on) and state (the event with the greatest (reported_at, event_id); a withdrawal
there means the conversation does not count).

    generator.py --self-test            checks the generator against itself
    generator.py --write DIR [--seed N] [--conversations N] [--feeds N] [--order natural|shuffled]
"""

import argparse
import copy
import csv
import datetime as dt
import json
import os
import random
import re
import sys
import unicodedata
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("PARLEY_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
DATA_DIR = os.path.join(SOURCE_DIR, "common", "data")

ROLES = ("mp", "councillor", "peer", "mayor", "official", "opinion_former")
FORMATS = ("meeting", "site_visit", "call", "event", "correspondence")
TYPES = ("conversation.reported", "conversation.amended", "conversation.withdrawn")
STANCE_COLUMNS = {-2: "stance_opposed", -1: "stance_sceptical", 0: "stance_neutral",
                  1: "stance_supportive", 2: "stance_champion"}
DEFAULT_TARGET = 1000
LINE_MAX = 16384

SUMMARY_COLUMNS = (
    "constituency_code", "constituency_name", "region", "country", "conversations",
    "mp_conversations", "councillor_conversations", "peer_conversations", "mayor_conversations",
    "official_conversations", "opinion_former_conversations", "associations",
    "stance_opposed", "stance_sceptical", "stance_neutral", "stance_supportive",
    "stance_champion", "stance_unknown", "mean_stance", "follow_ups", "first_on", "last_on")
REGION_COLUMNS = ("region", "country", "constituencies", "constituencies_reached",
                  "mps_engaged", "conversations")
PROGRESS_COLUMNS = ("conversations", "target", "constituencies_reached", "mps_engaged")

US = 1_000_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)

# ---------------------------------------------------------------------------------------
# Folding and person keys (the v1 rules, written again here on purpose)

HONORIFICS = frozenset(
    "rt hon the mp msp ms mla cllr councillor dr mr mrs miss mx sir dame lord lady baroness "
    "baron prof professor obe mbe cbe kc qc mayor".split())

# Latin letters that Unicode does not decompose into a base letter plus marks.
_EXPLICIT = {"ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o",
             "Ø": "o", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "þ": "th", "Þ": "th",
             "ð": "d", "Ð": "d", "ı": "i", "ħ": "h", "Ħ": "h"}


def _fold_char(ch):
    if ch == "&":
        return " and "
    if ch in _EXPLICIT:
        return _EXPLICIT[ch]
    if ch < "\x80":
        if ch.isalpha():
            return ch.lower()
        return ch if ch.isdigit() else " "
    if ch.isalpha():
        if unicodedata.name(ch, "").startswith("LATIN"):
            base = "".join(c for c in unicodedata.normalize("NFKD", ch)
                           if not unicodedata.combining(c))
            return base.lower() if base.isascii() else base
        return ch  # other scripts are kept as they are
    return " "


def fold(text):
    """'Brighton, Kemptown & Peacehaven' -> 'brighton kemptown and peacehaven'."""
    return " ".join("".join(_fold_char(c) for c in text).split())


def person_key(name):
    """'Rt Hon Jane Smith MP' -> 'jane smith'."""
    return " ".join(w for w in fold(name).split() if w not in HONORIFICS)


# ---------------------------------------------------------------------------------------
# Reference data

@dataclass(frozen=True)
class Constituency:
    code: str
    name: str
    country: str
    region: str


def load_constituencies(path=None):
    path = path or os.path.join(DATA_DIR, "constituencies-2024.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = [Constituency(r["code"], r["name"], r["country"], r["region"])
                for r in csv.DictReader(f)]
    rows.sort(key=lambda c: c.code)
    return rows


def load_mps(path=None):
    path = path or os.path.join(DATA_DIR, "mps.csv")
    with open(path, newline="", encoding="utf-8") as f:
        return {r["constituency_code"]: (r["name"], r["party"]) for r in csv.DictReader(f)}


CONSTITUENCIES = load_constituencies()
BY_CODE = {c.code: c for c in CONSTITUENCIES}
BY_FOLDED = {fold(c.name): c for c in CONSTITUENCIES}
MPS = load_mps()

# ---------------------------------------------------------------------------------------
# A checker of the v1 rules, used only by --self-test: every line the generator calls valid
# must pass it and every line it calls invalid must fail it, and replaying the checked lines
# must give the same views as the model.

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
ASSOC_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
TOPIC_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")


class Invalid(Exception):
    pass


def _is_int(v):
    return type(v) is int


def parse_time(text):
    m = TIME_RE.match(text) if isinstance(text, str) else None
    if not m:
        raise Invalid("reported_at: not an RFC 3339 date-time with an offset")
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    frac = m.group(7) or ""
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    try:
        t = dt.datetime(y, mo, d, h, mi, s, micro)
    except ValueError:
        raise Invalid("reported_at: not a real date-time")
    tz = m.group(8)
    if tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        oh, om = int(tz[1:3]), int(tz[4:6])
        if oh > 23 or om > 59:
            raise Invalid("reported_at: bad offset")
        t -= sign * dt.timedelta(hours=oh, minutes=om)
    t = t.replace(tzinfo=dt.timezone.utc)
    delta = t - EPOCH
    return (delta.days * 86400 + delta.seconds) * US + delta.microseconds


def check_line(data, now_us=None):
    """Checks one line (bytes, no newline) against v1. Returns the normalised event as a dict,
    or raises Invalid."""
    now_us = now_us if now_us is not None else int(dt.datetime.now(dt.timezone.utc).timestamp() * US)
    if len(data) > LINE_MAX:
        raise Invalid("line too long")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("not UTF-8")
    try:
        obj = json.loads(text)
    except ValueError:
        raise Invalid("not JSON")
    if not isinstance(obj, dict):
        raise Invalid("not an object")
    eid = obj.get("event_id")
    if not isinstance(eid, str) or not UUID_RE.match(eid):
        raise Invalid("event_id")
    typ = obj.get("type")
    if typ not in TYPES:
        raise Invalid("type")
    rep = parse_time(obj.get("reported_at"))
    if rep > now_us + 86400 * US:
        raise Invalid("reported_at in the future")
    occ = obj.get("occurred_on")
    m = DATE_RE.match(occ) if isinstance(occ, str) else None
    if not m:
        raise Invalid("occurred_on format")
    try:
        occ_d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise Invalid("occurred_on not a date")
    rep_date = (EPOCH + dt.timedelta(microseconds=rep)).date()
    if occ_d < dt.date(2000, 1, 1) or occ_d > rep_date + dt.timedelta(days=1):
        raise Invalid("occurred_on out of range")
    assoc = obj.get("association")
    if not isinstance(assoc, dict) or not isinstance(assoc.get("id"), str) or not ASSOC_RE.match(assoc["id"]):
        raise Invalid("association.id")
    if "name" in assoc and not isinstance(assoc["name"], str):
        raise Invalid("association.name")
    con = obj.get("constituency")
    if not isinstance(con, dict) or ("code" not in con and "name" not in con):
        raise Invalid("constituency")
    by_code = by_name = None
    if "code" in con:
        if not isinstance(con["code"], str) or con["code"].upper() not in BY_CODE:
            raise Invalid("constituency.code")
        by_code = BY_CODE[con["code"].upper()]
    if "name" in con:
        if not isinstance(con["name"], str) or fold(con["name"]) not in BY_FOLDED:
            raise Invalid("constituency.name")
        by_name = BY_FOLDED[fold(con["name"])]
    if by_code and by_name and by_code is not by_name:
        raise Invalid("constituency code and name differ")
    cons = by_code or by_name
    st = obj.get("stakeholder")
    if not isinstance(st, dict) or st.get("role") not in ROLES:
        raise Invalid("stakeholder.role")
    name = st.get("name")
    if not isinstance(name, str) or len(name.encode()) > 200 or not person_key(name):
        raise Invalid("stakeholder.name")
    if "party" in st and (not isinstance(st["party"], str) or len(st["party"].encode()) > 100):
        raise Invalid("stakeholder.party")
    ev = {"event_id": eid.lower(), "type": typ, "reported_at_us": rep,
          "ident": (assoc["id"].upper(), cons.code, st["role"], person_key(name), occ_d.isoformat())}
    if typ == "conversation.withdrawn":
        ev["attrs"] = None
        return ev
    fmt = obj.get("format", "meeting")
    if fmt not in FORMATS:
        raise Invalid("format")
    stance = obj.get("stance")
    if stance is not None and (not _is_int(stance) or not -2 <= stance <= 2):
        raise Invalid("stance")
    topics = obj.get("topics", [])
    if not isinstance(topics, list) or len(topics) > 20:
        raise Invalid("topics")
    for t in topics:
        if not isinstance(t, str) or not TOPIC_RE.match(t):
            raise Invalid("topics item")
    fu = obj.get("follow_up", False)
    if not isinstance(fu, bool):
        raise Invalid("follow_up")
    notes = obj.get("notes")
    if notes is not None and (not isinstance(notes, str) or len(notes.encode()) > 4000):
        raise Invalid("notes")
    if "notes" in obj and notes is None:
        raise Invalid("notes null")
    ev["attrs"] = Attrs(fmt, stance, frozenset(topics), fu)
    return ev


# ---------------------------------------------------------------------------------------
# The model

@dataclass(frozen=True)
class Attrs:
    format: str
    stance: object  # None (unknown) or -2..2
    topics: frozenset
    follow_up: bool


@dataclass
class Event:
    event_id: str            # lower case
    type: str
    reported_at_us: int
    attrs: object            # Attrs, or None for a withdrawal
    obj: dict                # the JSON object exactly as the feed sends it
    conv: "Conversation"
    feed: int                # the feed it comes from in the natural order


@dataclass
class Conversation:
    ident: tuple             # (association id upper, code, role, person key, occurred_on)
    kind: str
    events: list = field(default_factory=list)

    def state(self):
        return max(self.events, key=lambda e: (e.reported_at_us, e.event_id))

    def counts(self):
        return self.state().type != "conversation.withdrawn"


@dataclass
class Line:
    data: bytes              # without the newline
    kind: str                # event | resend | conflict | invalid
    event: object = None     # the Event (event, resend, conflict)
    why: str = ""            # invalid: what is wrong
    key: float = 0.0         # position in the natural order


# Associations: id as registered, and a friendly name. Each writes mostly to one feed.
ASSOCIATIONS = [
    ("NHA", "Northern Housing Alliance"), ("RIVERSIDE", "Riverside Group"),
    ("clarion.hg", "Clarion Housing Group"), ("Peabody", "Peabody Trust"),
    ("LQ-Group", "L&Q"), ("sovereign_network", "Sovereign Network Group"),
    ("WHG", "Walsall Housing Group"), ("Karbon", "Karbon Homes"), ("onward", "Onward Homes"),
    ("PFP", "Places for People"), ("Hafod", "Cartrefi Hafod"), ("Wheatley", "Wheatley Group"),
    ("Cluid", "Clúid Housing"), ("Thirteen", "Thirteen Group"), ("A2D", "A2Dominion"),
]

FIRST = ["Jane", "Sarah", "Mohammed", "Aisha", "David", "Peter", "Fiona", "Gareth", "Siân",
         "Zoë", "José", "Chloé", "Ciarán", "Ffion", "Bronwen", "Kwame", "Priya", "Tomás",
         "Ellen", "Hamish", "Morag", "Rhys", "Niamh", "Olu", "Grace", "Liam", "Ravi", "Ewa",
         "Hélène", "Dafydd", "Róisín", "Marek", "Imran", "Aoife", "Callum", "Iona", "Bethan",
         "Owen", "Ruth", "Samir"]
LAST = ["Smith", "Jones", "Williams", "Brown", "Taylor", "Davies", "Evans", "Patel", "Khan",
        "O'Brien", "McLeod", "Nuñez", "Brontë", "Lefèvre", "Ó Súilleabháin", "Llŵyd",
        "Strauß", "Ahmed", "Wilson", "Thomas", "Roberts", "Hughes", "Murphy", "Campbell",
        "Okafor", "Nowak", "Kaur", "Singh", "Fraser", "Morgan", "Price", "Reid", "Byrne",
        "Hussain", "Clarke", "Stewart", "Walsh", "Doyle", "Kerr", "Bell"]
PARTIES = ["Labour", "Conservative", "Liberal Democrat", "Green Party", "Plaid Cymru", "SNP",
           "Reform UK", "Independent", "Sinn Féin", "Alliance"]
TOPICS = ["repairs", "damp_and_mould", "new_supply", "planning", "homelessness", "retrofit",
          "rent_policy", "building_safety", "social_rent", "regeneration", "asb",
          "temporary_accommodation", "net_zero", "supported_housing", "universal_credit",
          "right_to_buy", "land_supply", "decent_homes", "energy_bills", "older_people"]
NOTES = ["Discussed the damp & mould programme on the estate.",
         "MP asked for a briefing on the retrofit pilot — sent 3 pages.",
         "Site visit to the new-build scheme; residents joined for tea ☕.",
         "Raised temporary accommodation costs; councillor sympathetic.",
         "Short call; agreed to meet again in the autumn.",
         "Follow-up letter drafted by the policy team (réf. 2024/117)."]
ROLE_WEIGHTS = [("mp", 30), ("councillor", 35), ("peer", 5), ("mayor", 5), ("official", 15),
                ("opinion_former", 10)]
HONOURS_BEFORE = ["Cllr.", "Cllr", "Councillor", "Dr", "Mr", "Mrs", "Ms", "Rt Hon", "Sir",
                  "Dame", "Prof.", "Baroness", "Lord"]
HONOURS_AFTER = ["MP", "OBE", "MBE", "CBE", "KC", "MSP", "MLA"]

START_DATE = dt.date(2024, 1, 8)
END_DATE = dt.date(2025, 6, 30)
OFFSETS = ["Z", "Z", "Z", "+00:00", "+01:00", "-05:00", "+05:30", "-03:30"]


def _offset_minutes(tz):
    if tz == "Z":
        return 0
    sign = 1 if tz[0] == "+" else -1
    return sign * (int(tz[1:3]) * 60 + int(tz[4:6]))


def render_time(us, tz, digits):
    """us (UTC microseconds) as RFC 3339 in offset tz with `digits` fraction digits (the value
    must fit them)."""
    local = EPOCH + dt.timedelta(microseconds=us) + dt.timedelta(minutes=_offset_minutes(tz))
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + ("%06d" % local.microsecond)[:digits]
    return text + tz


def _us(d, seconds=0):
    return ((d - dt.date(1970, 1, 1)).days * 86400 + seconds) * US


def uuid_from(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def name_variants(rng, canonical):
    """Other ways of writing a person's name that keep its person key."""
    key = person_key(canonical)
    out = []
    out.append(canonical.lower())
    out.append(canonical.upper())
    out.append(rng.choice(HONOURS_BEFORE) + " " + canonical)
    out.append(canonical + " " + rng.choice(HONOURS_AFTER))
    out.append(rng.choice(HONOURS_BEFORE) + "  " + canonical.lower() + ", " + rng.choice(HONOURS_AFTER))
    stripped = "".join(c for c in unicodedata.normalize("NFKD", canonical)
                       if not unicodedata.combining(c))
    out.append(stripped)
    out.append(" " + canonical.replace(" ", "   ") + " ")
    return [v for v in out if person_key(v) == key]


def constituency_name_variants(c):
    """Other ways of writing a constituency's name that fold to the official name."""
    name = c.name
    out = [name, name.lower(), name.upper()]
    stripped = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    out.append(stripped)
    if " and " in name:
        out.append(name.replace(" and ", " & "))
    if "," in name:
        out.append(name.replace(",", ""))
    if "-" in name:
        out.append(name.replace("-", " "))
    out.append("  " + stripped.lower().replace(" ", "  ") + " ")
    return [v for v in out if fold(v) == fold(name)]


class Generator:
    """Builds the model and its lines. Same seed and sizes, same bytes."""

    KINDS = [("simple", 44), ("resent", 6), ("twin", 10), ("amended", 10), ("amended_older", 4),
             ("withdrawn", 6), ("rereported", 2), ("withdrawal_older", 2), ("twin_amended", 3),
             ("tie", 3), ("amended_only", 1), ("withdrawal_only", 1), ("withdrawn_garbage", 1),
             ("conflict", 3), ("edge_date", 2), ("microsecond", 2)]

    def __init__(self, seed=1, conversations=1000, feeds=3, invalid=None, resend_rate=0.08):
        self.seed = seed
        self.rng = random.Random(seed)
        self.n_feeds = feeds
        self.conversations = []
        self.lines = []                   # every line, in creation order
        self.units = []                   # lists of lines that travel together
        self.idents = set()
        self.people = self._make_people()
        weights = [self.rng.paretovariate(1.2) for _ in CONSTITUENCIES]
        # About one constituency in six never hears from anyone: the gaps.
        for i in self.rng.sample(range(len(weights)), len(weights) // 6):
            weights[i] = 0.0
        self.constituency_weights = weights
        self.feed_of_assoc = {a[0]: i % feeds for i, a in enumerate(ASSOCIATIONS)}
        self.feed_style = {i: self.rng.choice(["compact", "spaced"]) for i in range(feeds)}
        kinds, kweights = zip(*self.KINDS)
        for _ in range(conversations):
            self._conversation(self.rng.choices(kinds, kweights)[0])
        self._resends(resend_rate)
        n_invalid = invalid if invalid is not None else max(len(INVALID_KINDS), conversations // 40)
        self._invalid_lines(n_invalid)
        # A bad first line and a bad last line (in the natural order).
        self.edge_units = []
        for f, (name, make) in enumerate((INVALID_KINDS[3], INVALID_KINDS[8])):
            line = Line(make(self, self.rng), "invalid", why=name)
            self.lines.append(line)
            self.edge_units.append(([line], 0 if f == 0 else feeds - 1))

    # -- people and identities ------------------------------------------------------------

    def _make_people(self):
        people = []
        seen = set()
        while len(people) < 400:
            name = self.rng.choice(FIRST) + " " + self.rng.choice(LAST)
            if name in seen:
                continue
            seen.add(name)
            people.append((name, self.rng.choice(PARTIES) if self.rng.random() < 0.7 else None))
        return people

    def _pick_identity(self, kind):
        rng = self.rng
        for _ in range(1000):
            assoc = rng.choice(ASSOCIATIONS)
            con = rng.choices(CONSTITUENCIES, self.constituency_weights)[0]
            role = rng.choices([r for r, _ in ROLE_WEIGHTS], [w for _, w in ROLE_WEIGHTS])[0]
            if role == "mp" and con.code in MPS:
                name, party = MPS[con.code]
            else:
                name, party = rng.choice(self.people)
            span = (END_DATE - START_DATE).days
            occurred = START_DATE + dt.timedelta(days=rng.randrange(span))
            ident = (assoc[0].upper(), con.code, role, person_key(name), occurred.isoformat())
            if ident not in self.idents:
                self.idents.add(ident)
                return ident, assoc, con, role, name, party, occurred
        raise RuntimeError("could not find a fresh conversation identity")

    # -- events ---------------------------------------------------------------------------

    def _attrs(self):
        rng = self.rng
        stance = rng.choice([None, None, -2, -1, 0, 1, 1, 2, 2])
        topics = frozenset(rng.sample(TOPICS, rng.choice([0, 1, 1, 2, 2, 3, 4])))
        return Attrs(rng.choice(FORMATS), stance, topics, rng.random() < 0.3)

    def _other_attrs(self, a):
        """Attributes that differ from a in something the views count."""
        while True:
            b = self._attrs()
            if (b.stance, b.topics, b.follow_up) != (a.stance, a.topics, a.follow_up):
                return b

    def _event(self, conv, spec, typ, reported_us, attrs, feed, *, eid=None, tz=None,
               digits=None, name=None, con_form=None, assoc_form=None, garbage=False):
        rng = self.rng
        assoc_id, code, role, _, occurred = conv.ident
        assoc_name = dict(ASSOCIATIONS)[spec["assoc"][0]]
        eid = eid or uuid_from(rng)
        if tz is None:
            tz = rng.choice(OFFSETS)
        if digits is None:
            if reported_us % US:
                digits = 6 if reported_us % 1000 else rng.choice([3, 6])
            else:
                digits = rng.choice([0, 0, 0, 3])
        obj = {"event_id": eid.upper() if rng.random() < 0.1 else eid,
               "type": typ,
               "reported_at": render_time(reported_us, tz, digits),
               "occurred_on": occurred}
        a_id = assoc_form or spec["assoc"][0]
        obj["association"] = {"id": a_id, "name": assoc_name} if rng.random() < 0.5 else {"id": a_id}
        con = BY_CODE[code]
        form = con_form or rng.choice(["code", "code", "code", "code_lower", "name", "both"])
        if form == "code":
            obj["constituency"] = {"code": code}
        elif form == "code_lower":
            obj["constituency"] = {"code": code.lower()}
        elif form == "name":
            obj["constituency"] = {"name": rng.choice(constituency_name_variants(con))}
        else:
            obj["constituency"] = {"code": code, "name": con.name}
        st = {"role": role, "name": name or spec["name"]}
        if spec["party"] and rng.random() < 0.6:
            st["party"] = spec["party"]
        obj["stakeholder"] = st
        if typ != "conversation.withdrawn":
            explicit = rng.random() < 0.5
            if attrs.format != "meeting" or explicit:
                obj["format"] = attrs.format
            if attrs.stance is not None or explicit:
                obj["stance"] = attrs.stance
            if attrs.topics or explicit:
                topics = sorted(attrs.topics)
                rng.shuffle(topics)
                if topics and rng.random() < 0.15:
                    topics.append(topics[0])       # repeats collapse
                obj["topics"] = topics
            if attrs.follow_up or explicit:
                obj["follow_up"] = attrs.follow_up
            if rng.random() < 0.3:
                obj["notes"] = rng.choice(NOTES)
        elif garbage:
            # A withdrawal's attribute fields are ignored, not checked.
            obj.update({"format": "telepathy", "stance": "very", "topics": 42,
                        "follow_up": "maybe", "notes": 7})
        if rng.random() < 0.05:
            obj["source_system"] = {"name": "crm", "export": rng.randrange(1000)}  # unknown: ignored
        ev = Event(eid.lower(), typ, reported_us, attrs if typ != "conversation.withdrawn" else None,
                   obj, conv, feed)
        conv.events.append(ev)
        return ev

    def _emit(self, ev, unit=None):
        line = Line(self._serialise(ev.obj, self.feed_style[ev.feed]), "event", ev,
                    key=ev.reported_at_us / US + self.rng.uniform(-3600, 3600))
        if unit is None:
            self.units.append(([line], ev.feed))
        else:
            unit.append(line)
        self.lines.append(line)
        return line

    def _serialise(self, obj, style):
        if style == "compact":
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        return json.dumps(obj, ensure_ascii=False).encode()

    def _reformat(self, obj):
        """The same JSON value, written differently: key order, whitespace, \\u escapes."""
        rng = self.rng

        def shuffled(v):
            if isinstance(v, dict):
                items = list(v.items())
                rng.shuffle(items)
                return {k: shuffled(x) for k, x in items}
            return v
        o = shuffled(obj)
        seps = rng.choice([(", ", ": "), (",", ":"), (" ,  ", " :\t")])
        text = json.dumps(o, ensure_ascii=rng.random() < 0.3, separators=seps)
        return ("  " + text + " \t").encode() if rng.random() < 0.3 else text.encode()

    def _report_time(self, occurred):
        rng = self.rng
        day = occurred + dt.timedelta(days=rng.randrange(2, 21))
        return _us(day, rng.randrange(6 * 3600, 22 * 3600))

    def _conversation(self, kind):
        rng = self.rng
        ident, assoc, con, role, name, party, occurred = self._pick_identity(kind)
        conv = Conversation(ident, kind)
        self.conversations.append(conv)
        home = self.feed_of_assoc[assoc[0]]
        other = (home + 1 + rng.randrange(self.n_feeds - 1)) % self.n_feeds if self.n_feeds > 1 else home
        spec = {"assoc": assoc, "name": name, "party": party}
        t = self._report_time(occurred)
        variants = name_variants(rng, name)
        a = self._attrs()
        R, A, W = TYPES

        if kind in ("simple", "resent", "sentinel"):
            ev = self._event(conv, spec, R, t, a, home)
            if kind != "sentinel":
                line = self._emit(ev)
            if kind == "resent":
                # Sent again through another feed, written differently (same JSON value).
                again = Line(self._reformat(ev.obj), "resend", ev, key=line.key + rng.uniform(0, 86400))
                self.lines.append(again)
                self.units.append(([again], other))
            return conv
        if kind in ("twin", "twin_amended", "tie"):
            # The same conversation through two feeds: other event_id, the name written
            # differently, the constituency by code in one and by name in the other.
            t2 = t if kind == "tie" else t + rng.randrange(-86400, 86400) * US
            e1 = self._event(conv, spec, R, t, a, home, con_form=rng.choice(["code", "code_lower"]))
            e2 = self._event(conv, spec, R, t2, self._attrs(), other, name=rng.choice(variants),
                             con_form="name", assoc_form=rng.choice([assoc[0].lower(), assoc[0].upper()]),
                             tz=rng.choice(OFFSETS) if kind == "tie" else None)
            self._emit(e1)
            self._emit(e2)
            if kind == "twin_amended":
                last = max(t, t2)
                e3 = self._event(conv, spec, A, last + rng.randrange(3600, 5 * 86400) * US,
                                 self._other_attrs(a), rng.choice([home, other]), name=rng.choice(variants))
                self._emit(e3)
            return conv
        if kind in ("amended", "amended_older"):
            e1 = self._event(conv, spec, R, t, a, home)
            self._emit(e1)
            if kind == "amended":
                times = sorted(t + rng.randrange(60, 10 * 86400) * US for _ in range(rng.choice([1, 1, 2])))
            else:
                times = [t - rng.randrange(1, 86400) * US]     # older than the report: no effect
                if rng.random() < 0.5:
                    times.append(t + rng.randrange(60, 86400) * US)
            for tt in times:
                ev = self._event(conv, spec, A, tt, self._other_attrs(a), home,
                                 name=rng.choice(variants) if rng.random() < 0.3 else None)
                self._emit(ev)
            return conv
        if kind in ("withdrawn", "rereported", "withdrawal_older", "withdrawn_garbage"):
            e1 = self._event(conv, spec, R, t, a, home)
            if kind == "withdrawal_older":
                tw = t - rng.randrange(1, 3600) * US
            else:
                tw = t + rng.randrange(60, 5 * 86400) * US
            w = self._event(conv, spec, W, tw, None, home, name=rng.choice(variants),
                            garbage=(kind == "withdrawn_garbage"))
            if rng.random() < 0.3:
                # The withdrawal arrives before the report it withdraws (same feed, earlier line).
                unit = []
                self._emit(w, unit)
                self._emit(e1, unit)
                self.units.append((unit, home))
            else:
                self._emit(e1)
                self._emit(w)
            if kind == "rereported":
                e3 = self._event(conv, spec, R, tw + rng.randrange(3600, 86400) * US, self._attrs(), other)
                self._emit(e3)
            return conv
        if kind == "amended_only":
            self._emit(self._event(conv, spec, A, t, a, home))
            return conv
        if kind == "withdrawal_only":
            self._emit(self._event(conv, spec, W, t, None, home))
            return conv
        if kind == "conflict":
            # The same event_id with other content, later in the same feed: the first stays.
            e1 = self._event(conv, spec, R, t, a, home)
            unit = []
            self._emit(e1, unit)
            bad = copy.deepcopy(e1.obj)
            b = self._other_attrs(a)
            bad["stance"] = b.stance
            bad["topics"] = sorted(b.topics)
            bad["follow_up"] = b.follow_up
            if bad == e1.obj:
                bad["stakeholder"]["role"] = "peer" if role != "peer" else "mayor"
            line = Line(self._serialise(bad, self.feed_style[home]), "conflict", e1)
            unit.append(line)
            self.lines.append(line)
            self.units.append((unit, home))
            return conv
        if kind == "edge_date":
            # occurred_on is the UTC date of reported_at plus one day: allowed. Written with a
            # negative offset the local date is two days before, so a checker that used the
            # local date would refuse it.
            occ = occurred
            t = _us(occ - dt.timedelta(days=1), rng.randrange(0, 3 * 3600))
            self._emit(self._event(conv, spec, R, t, a, home, tz="-05:00"))
            return conv
        if kind == "microsecond":
            # Two amendments one microsecond apart: the later one wins.
            e1 = self._event(conv, spec, R, t, a, home)
            tt = t + rng.randrange(60, 86400) * US + rng.randrange(US - 1)
            e2 = self._event(conv, spec, A, tt, self._other_attrs(a), home, digits=6)
            e3 = self._event(conv, spec, A, tt + 1, self._other_attrs(e2.attrs), other, digits=6)
            for e in (e1, e2, e3):
                self._emit(e)
            return conv
        raise ValueError(kind)

    def _resends(self, rate):
        rng = self.rng
        events = [l for l in self.lines if l.kind == "event"]
        for l in rng.sample(events, int(len(events) * rate)):
            ev = l.event
            data = l.data if rng.random() < 0.5 else self._reformat(ev.obj)
            feed = rng.choice([ev.feed, rng.randrange(self.n_feeds)])
            line = Line(data, "resend", ev, key=l.key + rng.uniform(0, 30 * 86400))
            self.lines.append(line)
            self.units.append(([line], feed))

    def _sentinel(self):
        """A conversation with one report: losing it changes the views."""
        conv = self._conversation("sentinel")
        ev = conv.events[0]
        line = Line(self._serialise(ev.obj, self.feed_style[ev.feed]), "event", ev,
                    key=ev.reported_at_us / US)
        self.lines.append(line)
        return line

    def _invalid_lines(self, n):
        rng = self.rng
        for i in range(n):
            name, make = INVALID_KINDS[i % len(INVALID_KINDS)]
            data = make(self, rng)
            assert data is not None, name
            bad = Line(data, "invalid", why=name, key=0)
            self.lines.append(bad)
            r = rng.random()
            if r < 0.8:
                # Between two valid lines that must both be counted.
                before, after = self._sentinel(), self._sentinel()
                bad.key = before.key
                unit = [before, bad, after]
            elif r < 0.9:
                # Several bad lines in a row.
                extra = Line(INVALID_KINDS[(i + 7) % len(INVALID_KINDS)][1](self, rng), "invalid",
                             why=INVALID_KINDS[(i + 7) % len(INVALID_KINDS)][0])
                self.lines.append(extra)
                before = self._sentinel()
                bad.key = before.key
                unit = [before, bad, extra]
            else:
                bad.key = rng.uniform(_us(START_DATE) / US, _us(END_DATE) / US)
                unit = [bad]
            self.units.append((unit, rng.randrange(self.n_feeds)))

    def base_obj(self):
        """A fresh valid event (not part of the model) for invalid lines to spoil."""
        rng = self.rng
        con = rng.choice(CONSTITUENCIES)
        occurred = START_DATE + dt.timedelta(days=rng.randrange(300))
        return {"event_id": uuid_from(rng), "type": "conversation.reported",
                "reported_at": render_time(_us(occurred + dt.timedelta(days=3), 36000), "Z", 0),
                "occurred_on": occurred.isoformat(),
                "association": {"id": rng.choice(ASSOCIATIONS)[0]},
                "constituency": {"code": con.code},
                "stakeholder": {"role": "councillor", "name": rng.choice(self.people)[0]},
                "stance": 1, "topics": ["repairs"]}

    # -- results --------------------------------------------------------------------------

    def valid_lines(self):
        return [l for l in self.lines if l.kind in ("event", "resend")]

    def arrange(self, order="natural", seed=None, feeds=None):
        """The lines as feeds (lists of Line). natural: each association's usual feed, in
        roughly the order things were reported, withdrawals sometimes before their report.
        shuffled: a random order and another split into feeds. Lines that must travel together
        (an invalid line between two valid ones; a conflict after the original in the same
        feed) stay together in both."""
        rng = random.Random(self.seed * 7919 + (seed if seed is not None else 0))
        n = feeds or self.n_feeds
        out = [[] for _ in range(n)]
        if order == "natural":
            units = sorted(self.units, key=lambda u: u[0][0].key)
            for unit, feed in units:
                out[feed % n].extend(unit)
            out[0][:0] = self.edge_units[0][0]
            out[n - 1].extend(self.edge_units[1][0])
            return out
        if order != "shuffled":
            raise ValueError(order)
        units = []
        for unit, _ in self.units + self.edge_units:
            if len(unit) > 1 and not any(l.kind in ("invalid", "conflict") for l in unit):
                units.extend([l] for l in unit)    # e.g. withdrawal-before-report: split
            else:
                units.append(unit)
        rng.shuffle(units)
        for unit in units:
            out[rng.randrange(n)].extend(unit)
        return out

    def expected(self):
        return views_from_conversations(
            (c.ident, c.state().type, c.state().attrs) for c in self.conversations)

    def stats(self):
        kinds = Counter(l.kind for l in self.lines)
        return {"conversations": len(self.conversations),
                "counting": sum(1 for c in self.conversations if c.counts()),
                "events": sum(len(c.events) for c in self.conversations),
                "lines": len(self.lines), **{"lines_" + k: v for k, v in kinds.items()}}


def views_from_conversations(items, target=DEFAULT_TARGET):
    """The four views from (identity, state type, state attrs) of every conversation."""
    per = defaultdict(list)
    for ident, typ, attrs in items:
        if typ != "conversation.withdrawn":
            per[ident[1]].append((ident, attrs))
    summary = {}
    topics = Counter()
    for c in CONSTITUENCIES:
        convs = per.get(c.code, [])
        row = {"constituency_code": c.code, "constituency_name": c.name, "region": c.region,
               "country": c.country, "conversations": len(convs)}
        for role in ROLES:
            row[role + "_conversations"] = sum(1 for i, _ in convs if i[2] == role)
        row["associations"] = len({i[0] for i, _ in convs})
        for s, col in STANCE_COLUMNS.items():
            row[col] = sum(1 for _, a in convs if a.stance == s)
        known = [a.stance for _, a in convs if a.stance is not None]
        row["stance_unknown"] = len(convs) - len(known)
        row["mean_stance"] = Fraction(sum(known), len(known)) if known else None
        row["follow_ups"] = sum(1 for _, a in convs if a.follow_up)
        dates = [dt.date.fromisoformat(i[4]) for i, _ in convs]
        row["first_on"] = min(dates) if dates else None
        row["last_on"] = max(dates) if dates else None
        summary[c.code] = row
        for _, a in convs:
            for t in a.topics:
                topics[(c.code, t)] += 1
    regions = {}
    for c in CONSTITUENCIES:
        r = regions.setdefault((c.region, c.country), {
            "region": c.region, "country": c.country, "constituencies": 0,
            "constituencies_reached": 0, "mps_engaged": 0, "conversations": 0})
        s = summary[c.code]
        r["constituencies"] += 1
        r["constituencies_reached"] += s["conversations"] > 0
        r["mps_engaged"] += s["mp_conversations"] > 0
        r["conversations"] += s["conversations"]
    progress = {"conversations": sum(s["conversations"] for s in summary.values()),
                "target": target,
                "constituencies_reached": sum(1 for s in summary.values() if s["conversations"]),
                "mps_engaged": sum(1 for s in summary.values() if s["mp_conversations"])}
    return {"constituency_summary": summary, "constituency_topics": dict(topics),
            "region_summary": regions, "progress": progress}


def replay(feeds, now_us=None):
    """Views from the lines themselves, read one after another with check_line: the first
    arrival of an event_id stays, a later one with other content is a conflict. A second
    computation of the ground truth, used by --self-test to check that the lines say what
    the model means."""
    first = {}
    rejected = []
    for f, lines in enumerate(feeds):
        for n, line in enumerate(lines, 1):
            try:
                ev = check_line(line.data, now_us)
            except Invalid as e:
                rejected.append((f, n, str(e)))
                continue
            key = ev["event_id"]
            if key in first:
                old = first[key]
                if (old["type"], old["reported_at_us"], old["ident"], old["attrs"]) != \
                   (ev["type"], ev["reported_at_us"], ev["ident"], ev["attrs"]):
                    rejected.append((f, n, "conflict"))
                continue
            first[key] = ev
    convs = defaultdict(list)
    for ev in first.values():
        convs[ev["ident"]].append(ev)
    states = []
    for ident, evs in convs.items():
        s = max(evs, key=lambda e: (e["reported_at_us"], e["event_id"]))
        states.append((ident, s["type"], s["attrs"]))
    return views_from_conversations(states), rejected


# ---------------------------------------------------------------------------------------
# Invalid lines: (name, function(generator, rng) -> bytes)

def _spoil(**changes):
    def make(g, rng):
        o = g.base_obj()
        for path, value in changes.items():
            keys = path.split("__")
            d = o
            for k in keys[:-1]:
                d = d.setdefault(k, {})
            if value is _DELETE:
                d.pop(keys[-1], None)
            else:
                d[keys[-1]] = value(o, rng) if callable(value) else value
        return json.dumps(o, ensure_ascii=False).encode()
    return make


_DELETE = object()


def _raw(text):
    return lambda g, rng: text if isinstance(text, bytes) else text.encode()


def _too_long(g, rng):
    o = g.base_obj()
    o["padding"] = "x" * (LINE_MAX + 10)
    return json.dumps(o).encode()


def _bad_utf8(g, rng):
    o = g.base_obj()
    o["notes"] = "PLACEHOLDER"
    return json.dumps(o).encode().replace(b"PLACEHOLDER", b"caf\xe9 \xff\xfe")


def _code_name_mismatch(g, rng):
    o = g.base_obj()
    a, b = rng.sample(CONSTITUENCIES, 2)
    o["constituency"] = {"code": a.code, "name": b.name}
    return json.dumps(o, ensure_ascii=False).encode()


def _occurred_after_utc_date(g, rng):
    # Local date 2024-03-10 (+05:30), UTC date 2024-03-09: 2024-03-11 is two days after.
    o = g.base_obj()
    o["reported_at"] = "2024-03-10T02:00:00+05:30"
    o["occurred_on"] = "2024-03-11"
    return json.dumps(o).encode()


def _truncated(g, rng):
    text = json.dumps(g.base_obj())
    return text[: len(text) // 2].encode()


INVALID_KINDS = [
    ("not json", _raw("this is not json at all")),
    ("truncated json", _truncated),
    ("json array", _raw('["conversation.reported", 1, 2]')),
    ("json string", _raw('"just a string"')),
    ("json number", _raw("42")),
    ("bad utf-8", _bad_utf8),
    ("line too long", _too_long),
    ("event_id missing", _spoil(event_id=_DELETE)),
    ("event_id not a uuid", _spoil(event_id="not-a-uuid")),
    ("event_id without hyphens", _spoil(event_id=lambda o, r: o["event_id"].replace("-", ""))),
    ("event_id a number", _spoil(event_id=12345)),
    ("type unknown", _spoil(type="conversation.deleted")),
    ("type missing", _spoil(type=_DELETE)),
    ("reported_at without offset", _spoil(reported_at="2024-05-01T10:00:00")),
    ("reported_at not a date", _spoil(reported_at="2024-02-30T10:00:00Z")),
    ("reported_at words", _spoil(reported_at="yesterday")),
    ("reported_at far future", _spoil(reported_at="2099-01-01T00:00:00Z", occurred_on="2098-12-31")),
    ("reported_at missing", _spoil(reported_at=_DELETE)),
    ("occurred_on not a date", _spoil(occurred_on="2023-02-29")),
    ("occurred_on before 2000", _spoil(occurred_on="1999-12-31")),
    ("occurred_on short form", _spoil(occurred_on="2024-5-1")),
    ("occurred_on after reported_at", _spoil(reported_at="2024-05-01T12:00:00Z", occurred_on="2024-05-03")),
    ("occurred_on after the utc date", _occurred_after_utc_date),
    ("occurred_on missing", _spoil(occurred_on=_DELETE)),
    ("association missing", _spoil(association=_DELETE)),
    ("association.id with a space", _spoil(association__id="North Housing")),
    ("association.id leading dash", _spoil(association__id="-nha")),
    ("association.id too long", _spoil(association__id="a" * 33)),
    ("association.id empty", _spoil(association__id="")),
    ("constituency missing", _spoil(constituency=_DELETE)),
    ("constituency empty", _spoil(constituency={})),
    ("constituency.code unknown", _spoil(constituency={"code": "E14999999"})),
    ("constituency.name unknown", _spoil(constituency={"name": "Atlantis and Lyonesse"})),
    ("constituency code and name differ", _code_name_mismatch),
    ("constituency.code a number", _spoil(constituency={"code": 14001063})),
    ("stakeholder.role unknown", _spoil(stakeholder__role="minister")),
    ("stakeholder missing", _spoil(stakeholder=_DELETE)),
    ("stakeholder a string", _spoil(stakeholder="Jane Smith")),
    ("stakeholder.name missing", _spoil(stakeholder__name=_DELETE)),
    ("stakeholder.name empty", _spoil(stakeholder__name="")),
    ("stakeholder.name only honorifics", _spoil(stakeholder__name="Rt Hon the Lord Mayor")),
    ("stakeholder.name too long", _spoil(stakeholder__name="Jane " + "Smith" * 40)),
    ("stakeholder.party too long", _spoil(stakeholder__party="P" * 101)),
    ("format unknown", _spoil(format="email")),
    ("stance fraction", _spoil(stance=1.5)),
    ("stance string", _spoil(stance="1")),
    ("stance boolean", _spoil(stance=True)),
    ("stance out of range", _spoil(stance=3)),
    ("stance below range", _spoil(stance=-3)),
    ("topics not an array", _spoil(topics="housing")),
    ("topics too many", _spoil(topics=["t%02d" % i for i in range(21)])),
    ("topic upper case", _spoil(topics=["Housing"])),
    ("topic with a space", _spoil(topics=["damp mould"])),
    ("topic too long", _spoil(topics=["x" * 41])),
    ("topic a number", _spoil(topics=[7])),
    ("topic leading underscore", _spoil(topics=["_repairs"])),
    ("follow_up a string", _spoil(follow_up="yes")),
    ("follow_up a number", _spoil(follow_up=1)),
    ("notes too long", _spoil(notes="n" * 4001)),
    ("notes a number", _spoil(notes=123)),
]


# ---------------------------------------------------------------------------------------
# Writing feeds

def write_feeds(feeds, directory, names=None):
    """Writes each feed as DIRECTORY/NAME (one line per Line, newline-terminated). Returns the
    paths and, for checking rejected.jsonl, {(basename, line number): Line} of every line."""
    os.makedirs(directory, exist_ok=True)
    names = names or ["feed-%d.jsonl" % (i + 1) for i in range(len(feeds))]
    paths = []
    where = {}
    for name, lines in zip(names, feeds):
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            for n, line in enumerate(lines, 1):
                f.write(line.data + b"\n")
                where[(name, n)] = line
        paths.append(path)
    return paths, where


# ---------------------------------------------------------------------------------------
# Self-test

def self_test():
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    # Folding and person keys: the examples of the specification.
    check(fold("Ynys Môn") == "ynys mon", "fold Ynys Môn")
    check(fold("Brighton, Kemptown & Peacehaven") == fold("Brighton Kemptown and Peacehaven")
          == "brighton kemptown and peacehaven", "fold &")
    for n in ("Rt Hon Jane Smith MP", "Cllr. jane  SMITH", "Jane Smith"):
        check(person_key(n) == "jane smith", "person key of %r" % n)
    check(person_key("Mr") == "" and person_key("Rt Hon the Lord Mayor") == "", "empty person key")
    check(fold("Strauß") == "strauss" and fold("Montgomeryshire and Glyndŵr") == "montgomeryshire and glyndwr",
          "explicit letters")
    check(len(CONSTITUENCIES) == 650, "650 constituencies")
    check(len(BY_FOLDED) == 650, "650 distinct folded names")
    check(len({c.region for c in CONSTITUENCIES}) == 12, "12 regions and nations")
    for c in CONSTITUENCIES:
        for v in constituency_name_variants(c):
            check(BY_FOLDED.get(fold(v)) is c, "variant %r of %s" % (v, c.name))
    check(render_time(_us(dt.date(2024, 3, 9), 20 * 3600 + 1800), "+05:30", 0) == "2024-03-10T02:00:00+05:30",
          "render_time offset")
    check(parse_time("2024-03-10T02:00:00+05:30") == _us(dt.date(2024, 3, 9), 20 * 3600 + 1800),
          "parse_time offset")

    # Determinism.
    g1 = Generator(seed=5, conversations=3000)
    g2 = Generator(seed=5, conversations=3000)
    g3 = Generator(seed=6, conversations=3000)
    a1 = [[l.data for l in f] for f in g1.arrange("natural")]
    check(a1 == [[l.data for l in f] for f in g2.arrange("natural")], "same seed, same lines")
    check(a1 != [[l.data for l in f] for f in g3.arrange("natural")], "other seed, other lines")

    # Every line is what it says it is.
    now = int(dt.datetime.now(dt.timezone.utc).timestamp() * US)
    for order in ("natural", "shuffled"):
        feeds = g1.arrange(order, seed=11)
        for f in feeds:
            for l in f:
                try:
                    check_line(l.data, now)
                    ok = True
                except Invalid as e:
                    ok = False
                    reason = str(e)
                if l.kind == "invalid":
                    check(not ok, "invalid line accepted (%s): %r" % (l.why, l.data[:120]))
                else:
                    check(ok, "%s line refused (%s): %r" % (l.kind, ok or reason, l.data[:200]))
        # The lines, replayed, say what the model means, in either order.
        views, rejected = replay(feeds, now)
        exp = g1.expected()
        check(views == exp, "replay of the %s order equals the model" % order)
        n_invalid = sum(1 for f in feeds for l in f if l.kind == "invalid")
        n_conflict = sum(1 for f in feeds for l in f if l.kind == "conflict")
        check(len(rejected) == n_invalid + n_conflict, "replay rejects exactly the invalid and conflicting lines")
        # Conflicts stay after their original in the same feed.
        for f in feeds:
            seen = set()
            for l in f:
                if l.kind == "event":
                    seen.add(l.event.event_id)
                if l.kind == "conflict":
                    check(l.event.event_id in seen, "conflict after its original")
    nat = g1.arrange("natural")
    shu = g1.arrange("shuffled", seed=3)
    check(sorted(l.data for f in nat for l in f) == sorted(l.data for f in shu for l in f)
          == sorted(l.data for l in g1.lines), "both orders hold every line once")
    check([l.data for f in nat for l in f] != [l.data for f in shu for l in f], "orders differ")
    check(nat[0][0].kind == "invalid" and nat[-1][-1].kind == "invalid", "bad first and last lines")

    # Coverage: every kind of trouble is there.
    exp = g1.expected()
    kinds = Counter(c.kind for c in g1.conversations)
    for k, _ in Generator.KINDS:
        check(kinds[k] > 0, "kind %s generated" % k)
    check(len({l.why for l in g1.lines if l.kind == "invalid"}) == len(INVALID_KINDS), "every invalid kind")
    early = 0
    for f in nat:
        seen = set()
        for l in f:
            if l.kind == "event":
                if l.event.type == "conversation.withdrawn" and not any(
                        e.event_id in seen for e in l.event.conv.events if e.type == "conversation.reported"):
                    early += 1
                seen.add(l.event.event_id)
    check(early >= 5, "withdrawals before their report (%d)" % early)
    resend = Counter((l.data == next(x.data for x in g1.lines if x.kind == "event" and x.event is l.event))
                     for l in g1.lines if l.kind == "resend")
    check(resend[True] > 10 and resend[False] > 10, "identical and reformatted resends")
    twins = [c for c in g1.conversations if c.kind in ("twin", "tie", "twin_amended")]
    check(any(c.events[0].obj["stakeholder"]["name"] != c.events[1].obj["stakeholder"]["name"] for c in twins),
          "twins with differently written names")
    ties = [c for c in g1.conversations if c.kind == "tie"]
    check(any(c.events[0].obj["reported_at"] != c.events[1].obj["reported_at"] for c in ties),
          "ties written in different offsets")
    counted = exp["progress"]["conversations"]
    check(0 < counted < len(g1.conversations), "some conversations do not count")
    check(0 < exp["progress"]["constituencies_reached"] < 650, "some constituencies not reached")
    # The expected values are sensitive: dropping one sentinel changes them.
    sentinel = next(c for c in g1.conversations if c.kind == "sentinel")
    fewer = views_from_conversations((c.ident, c.state().type, c.state().attrs)
                                     for c in g1.conversations if c is not sentinel)
    check(fewer != exp, "views notice a lost line")

    for f in failures[:50]:
        print("FAIL:", f)
    print("generator self-test: %d failures; %s" % (len(failures), g1.stats()))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--write", metavar="DIR")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--conversations", type=int, default=1000)
    ap.add_argument("--feeds", type=int, default=3)
    ap.add_argument("--order", choices=["natural", "shuffled"], default="natural")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    if args.write:
        g = Generator(seed=args.seed, conversations=args.conversations, feeds=args.feeds)
        paths, _ = write_feeds(g.arrange(args.order), args.write)
        exp = g.expected()
        with open(os.path.join(args.write, "expected-progress.json"), "w") as f:
            json.dump(exp["progress"], f, indent=1)
        print(" ".join(paths))
        print(g.stats(), file=sys.stderr)
        return 0
    ap.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
