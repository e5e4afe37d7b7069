"""Form exports written by the tests, with their ground truth: CSV files in the two layouts of
examples/forms/ (a Google-Forms-style and a Microsoft-Forms-style export), read through the
shipped mappings (examples/forms/*.ini), and the four views they must produce, computed here
from the rows written (generator.views_from_conversations), never from Parley's tables.

    export = forms.Export("google", seed=1)
    export.add_rows(200)                  new responses
    export.edit_row(5, stance=-2)         a respondent edits response 5 (a later timestamp)
    export.write(path)                    the whole export as the form tool downloads it
    export.expected()                     the views of the latest state of every response

A conversation's identity is (association id, constituency code, role, person key, occurred
on), as in EVENTS.md; an edited response keeps its identity (the person, place, role and day
are not edited here) and changes its attributes, so it is an amendment of the same
conversation: the count does not change, the state does.
"""

import csv
import datetime as dt
import io
import os
import random

import generator

SOURCE_DIR = generator.SOURCE_DIR
EXAMPLES = os.path.join(SOURCE_DIR, "examples", "forms")

LAYOUTS = {
    "google": {
        "mapping": os.path.join(EXAMPLES, "google-engagement-log.ini"),
        "association": "NHA",
        "header": ["Timestamp", "Email address", "Date of meeting", "Who did you meet?",
                   "Their role", "Party", "Constituency", "Meeting type",
                   "How receptive were they?", "Topics discussed", "Follow-up needed?", "Notes"],
        "roles": {"mp": "MP", "councillor": "Local councillor", "peer": "Peer / Lord"},
        "formats": {"meeting": "In person", "site_visit": "Site visit",
                    "call": "Phone or video call", "event": "Event",
                    "correspondence": "Letter or email"},
        "stances": {2: "Very receptive", 1: "Receptive", 0: "Neutral", -1: "Sceptical",
                    -2: "Hostile", None: "Not sure"},
        "topics": {"damp_and_mould": "Damp, mould and condensation", "retrofit": "Retrofit",
                   "new_supply": "New homes", "planning": "Planning",
                   "rents": "Rent and affordability", "asb": "Anti-social behaviour",
                   "repairs": "Repairs", "homelessness": "Homelessness"},
        "yes_no": ("Yes", "No"),
    },
    "msforms": {
        "mapping": os.path.join(EXAMPLES, "msforms-member-meetings.ini"),
        "association": "TVH",
        "header": ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time",
                   "Date of the conversation", "Name of the person you met", "Their role",
                   "Party", "Constituency", "How did you meet?", "Stance", "Topics discussed",
                   "Follow-up?", "Anything else?"],
        "roles": {"mp": "MP", "councillor": "Local councillor", "peer": "Peer / Lord",
                  "mayor": "Metro mayor"},
        "formats": {"meeting": "Meeting", "site_visit": "Site visit", "call": "Phone call",
                    "event": "Event"},
        "stances": {2: "Champion", 1: "Supportive", 0: "Neutral", -1: "Sceptical",
                    -2: "Opposed", None: ""},
        "topics": {"damp_and_mould": "Damp and mould", "retrofit": "Retrofit / net zero",
                   "new_supply": "New supply", "planning": "Planning", "rents": "Rents",
                   "repairs": "Repairs", "homelessness": "Homelessness"},
        "yes_no": ("Yes", "No"),
    },
}

FIRST = ["Jane", "Sarah", "Mohammed", "Aisha", "David", "Peter", "Fiona", "Gareth", "Grace",
         "Liam", "Ravi", "Ellen", "Hamish", "Morag", "Rhys", "Niamh", "Owen", "Ruth"]
LAST = ["Smith", "Jones", "Williams", "Brown", "Taylor", "Davies", "Evans", "Patel", "Khan",
        "Wilson", "Thomas", "Roberts", "Hughes", "Murphy", "Campbell", "Okafor", "Nowak"]
NOTES = ["", "", "Walked the estate, then tea at the community centre.",
         'Raised the "decent homes" backlog;\nagreed to write to the minister.',
         "Short call, follow-up by email.", "Asked for figures on damp cases, sent 3 pages."]
START = dt.datetime(2025, 9, 1, 9, 0, 0)


class Response:
    """One form response as the model sees it."""

    def __init__(self, number, occurred, submitted, name, role, code, attrs, party):
        self.number = number          # the MS Forms ID (and the row order)
        self.occurred = occurred      # dt.date
        self.submitted = submitted    # naive local datetime (Europe/London)
        self.modified = None          # naive local datetime of the last edit, or None
        self.name = name
        self.role = role
        self.code = code
        self.attrs = attrs            # generator.Attrs
        self.party = party

    def ident(self, association):
        return (association.upper(), self.code, self.role, generator.person_key(self.name),
                self.occurred.isoformat())


class Export:
    """The responses of one form, growing and edited as time goes by."""

    def __init__(self, layout, seed=1):
        self.layout = layout
        self.spec = LAYOUTS[layout]
        self.rng = random.Random(seed)
        self.responses = []
        self.clock = START
        self.people = set()

    @property
    def mapping(self):
        return self.spec["mapping"]

    def _attrs(self):
        spec = self.spec
        stance = self.rng.choice(list(spec["stances"]))
        if self.layout == "msforms" and stance is None:
            stance = None  # a blank cell: unknown
        topics = frozenset(self.rng.sample(sorted(spec["topics"]), self.rng.randint(0, 3)))
        return generator.Attrs(format=self.rng.choice(sorted(spec["formats"])), stance=stance,
                               topics=topics, follow_up=self.rng.random() < 0.4)

    def add_rows(self, n):
        """n new responses, one every few minutes after the last."""
        for _ in range(n):
            while True:
                name = "%s %s" % (self.rng.choice(FIRST), self.rng.choice(LAST))
                code = self.rng.choice(generator.CONSTITUENCIES).code
                role = self.rng.choice(sorted(self.spec["roles"]))
                self.clock += dt.timedelta(minutes=self.rng.randint(1, 60),
                                           seconds=self.rng.randint(0, 59))
                occurred = (self.clock - dt.timedelta(days=self.rng.randint(0, 6))).date()
                key = (name, code, role, occurred)
                if key not in self.people:  # one response per conversation
                    self.people.add(key)
                    break
            self.responses.append(Response(len(self.responses) + 1, occurred, self.clock, name,
                                           role, code, self._attrs(),
                                           self.rng.choice(generator.PARTIES)))

    def edit_row(self, index, **changes):
        """The respondent edits response index (0-based): new attributes, a later time."""
        r = self.responses[index]
        r.attrs = generator.Attrs(**{**r.attrs.__dict__, **changes})
        self.clock += dt.timedelta(minutes=7)
        r.modified = self.clock

    def _cells(self, r):
        spec = self.spec
        a = r.attrs
        c = generator.BY_CODE[r.code]
        stance = spec["stances"][a.stance]
        yes, no = spec["yes_no"]
        labels = [spec["topics"][t] for t in sorted(a.topics)]
        note = NOTES[r.number % len(NOTES)]
        if self.layout == "google":
            # Google's Timestamp is updated when a response is edited.
            stamp = r.modified or r.submitted
            return [stamp.strftime("%d/%m/%Y %H:%M:%S"), "officer%d@example.org" % (r.number % 5),
                    r.occurred.strftime("%d/%m/%Y"), r.name, spec["roles"][r.role], r.party,
                    c.name, spec["formats"][a.format], stance, ", ".join(labels),
                    yes if a.follow_up else no, note]
        start = r.submitted - dt.timedelta(minutes=3)
        return [str(r.number), start.strftime("%d/%m/%Y %H:%M"),
                r.submitted.strftime("%d/%m/%Y %H:%M"), "staff%d@example.org" % (r.number % 4),
                "Anonymous", r.modified.strftime("%d/%m/%Y %H:%M") if r.modified else "",
                r.occurred.strftime("%d/%m/%Y"), r.name, spec["roles"][r.role], r.party, c.name,
                spec["formats"][a.format], stance, "".join(l + ";" for l in labels),
                yes if a.follow_up else no, note]

    def text(self):
        """The export as the tool downloads it: Google LF, Microsoft "CSV UTF-8" (a BOM,
        CRLF)."""
        out = io.StringIO()
        ms = self.layout == "msforms"
        w = csv.writer(out, lineterminator="\r\n" if ms else "\n")
        w.writerow(self.spec["header"])
        for r in self.responses:
            w.writerow(self._cells(r))
        return ("\ufeff" if ms else "") + out.getvalue()

    def write(self, path):
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(self.text())
        return path

    def rows(self):
        return len(self.responses)

    def states(self):
        """(identity, type, attrs) of every conversation, for views_from_conversations."""
        assoc = self.spec["association"]
        return [(r.ident(assoc), "conversation.reported", r.attrs) for r in self.responses]

    def expected(self, *others):
        items = self.states()
        for o in others:
            items += o.states()
        return generator.views_from_conversations(items)
