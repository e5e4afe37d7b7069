"""Form exports end to end: CSV files written by the test in both layouts of examples/forms/
(Google-style and Microsoft-style), read with the shipped mappings by one parley-agent
together with a JSON-lines feed (inputs as a set), into a real collector and PostgreSQL;
the views compared with what the test wrote. Then the same exports imported again (counts
unchanged: duplicates), next week's exports (only the new rows added) with edited rows
(amendments: the state changes, the count does not), and the shipped example files."""
# ctest-timeout: 600

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import forms  # noqa: E402
import generator  # noqa: E402
import harness  # noqa: E402
from harness import assert_views, fail, read_rejected, read_views  # noqa: E402


# One --mapping serves every .csv input of a run, so each layout runs in its own agent; the
# JSON-lines feed goes with the Google export.

def run(h, col, spool, inputs, mapping, what, timeout=300):
    args = ["--mapping", mapping] if mapping else []
    r = h.run_agent(col.endpoint, spool, inputs, args=args, timeout=timeout, name="agent-" + what)
    if r.rc != 0:
        fail("%s: agent failed: %r" % (what, r))
    return r


def expect_summary(r, what, **want):
    wrong = ["%s %s (expected %s)" % (k, r.summary.get(k), v) for k, v in want.items()
             if r.summary.get(k) != v]
    if wrong:
        fail("%s: %s; stdout %r" % (what, ", ".join(wrong), r.stdout))


def test_exports_end_to_end_then_reimport_then_next_week(h):
    db = h.create_database("csv_feeds")
    col = h.start_collector(db)
    google = forms.Export("google", seed=h.seed(9))
    ms = forms.Export("msforms", seed=h.seed(9) + 1)
    google.add_rows(h.scale(400))
    ms.add_rows(h.scale(300))

    # A JSON-lines feed read at the same time as the Google export (two inputs at once).
    g = generator.Generator(seed=h.seed(9), conversations=h.scale(200), invalid=0, resend_rate=0)
    jsonl_feed = g.arrange("natural", feeds=1)
    conflicts = sum(1 for f in jsonl_feed for l in f if l.kind == "conflict")
    invalid = sum(1 for f in jsonl_feed for l in f if l.kind == "invalid")
    jsonl_paths, _ = generator.write_feeds(jsonl_feed, h.path("w1"), ["crm.jsonl"])
    jsonl_states = [(c.ident, c.state().type, c.state().attrs) for c in g.conversations]

    week1_g = google.write(h.path("w1", "Form Responses 1.csv"))
    week1_m = ms.write(h.path("w1", "member-meetings.csv"))
    t0 = time.monotonic()
    r1 = run(h, col, h.path("spool-g"), [week1_g] + jsonl_paths, google.mapping, "google-w1")
    r2 = run(h, col, h.path("spool-m"), [week1_m], ms.mapping, "ms-w1")
    took = time.monotonic() - t0
    rows = google.rows() + ms.rows()
    print("week 1: %d CSV rows + %d JSON lines in %.1f s" % (rows, g.stats()["lines"], took))
    expect_summary(r2, "ms week 1", read=ms.rows(), accepted=ms.rows(), rejected=0)
    expect_summary(r1, "google and JSON lines, week 1", rejected_by_agent=invalid,
                   rejected_by_collector=conflicts)
    want = generator.views_from_conversations(google.states() + ms.states() + jsonl_states)
    assert_views(read_views(db), want, "after week 1")
    for spool in ("spool-g", "spool-m"):
        rej = [r for r in read_rejected(h.path(spool, "rejected.jsonl")) if r[0].endswith(".csv")]
        if rej:
            fail("%s: rows rejected: %r" % (spool, rej[:3]))

    # The same exports again (a second download of the same week): every row a duplicate.
    r3 = run(h, col, h.path("spool-g2"), [week1_g], google.mapping, "google-again")
    r4 = run(h, col, h.path("spool-m2"), [week1_m], ms.mapping, "ms-again")
    expect_summary(r3, "google again", read=google.rows(), accepted=0, duplicates=google.rows())
    expect_summary(r4, "ms again", read=ms.rows(), accepted=0, duplicates=ms.rows())
    assert_views(read_views(db), want, "after importing the same exports again")

    # Next week's exports: every old row again, new rows, and edited responses (a later
    # Timestamp in Google's; a Last modified time in Microsoft's). The agent reads them with
    # the spool of week 1, under the new files' names (a new download is a new file).
    old_g, old_m = google.rows(), ms.rows()
    google.edit_row(3, stance=-2, follow_up=True)
    google.edit_row(10, topics=frozenset({"repairs"}))
    ms.edit_row(4, stance=2)
    new = h.scale(50)
    google.add_rows(new)
    ms.add_rows(new)
    week2_g = google.write(h.path("w2", "Form Responses 1.csv"))
    week2_m = ms.write(h.path("w2", "member-meetings.csv"))
    r5 = run(h, col, h.path("spool-g"), [week2_g], google.mapping, "google-w2")
    r6 = run(h, col, h.path("spool-m"), [week2_m], ms.mapping, "ms-w2")
    # Google: the two edited rows are new events (new reported_at); the others duplicates.
    expect_summary(r5, "google week 2", read=old_g + new, accepted=new + 2,
                   duplicates=old_g - 2, rejected=0)
    expect_summary(r6, "ms week 2", read=old_m + new, accepted=new + 1,
                   duplicates=old_m - 1, rejected=0)
    want2 = generator.views_from_conversations(google.states() + ms.states() + jsonl_states)
    if want2["progress"]["conversations"] != want["progress"]["conversations"] + 2 * new:
        fail("the test's model: edits must not change the count")
    assert_views(read_views(db), want2, "after next week's exports with edited rows")
    _, rows_ = db.query("SELECT count(*) FROM parley.event WHERE type = 'conversation.amended' "
                        "AND association_id = 'TVH'")
    if rows_[0][0] != 1:
        fail("expected the one Microsoft edit stored as an amendment, found %d" % rows_[0][0])
    col.stop()


def test_the_shipped_examples_load_with_their_mappings(h):
    """examples/forms/*.csv through their mappings: what --check says would be accepted is
    what the collector accepts, and the rows refused on purpose are in rejected.jsonl with
    their lines."""
    db = h.create_database("csv_examples")
    col = h.start_collector(db)
    for name in ("google-engagement-log", "msforms-member-meetings"):
        csv_path = os.path.join(forms.EXAMPLES, name + ".csv")
        ini = os.path.join(forms.EXAMPLES, name + ".ini")
        check = h.spawn("check-" + name, [h.agent, "--check", "--mapping", ini, csv_path],
                        capture_stdout=True)
        if check.wait(60) != 1:
            fail("--check %s: exit %s (the example has rows refused on purpose)" % (name, check.rc))
        first = check.stdout().splitlines()[0]
        # "...: 32 rows read, 28 would be accepted (4 amendments), 4 rejected"
        words = first.split()
        accepted = int(words[words.index("would") - 1])
        rejected = int(words[words.index("rejected") - 1])
        spool = h.path("spool-" + name)
        r = run(h, col, spool, [csv_path], ini, name)
        expect_summary(r, name, accepted=accepted, rejected_by_agent=rejected)
        lines = sorted(l for _, l, _ in read_rejected(os.path.join(spool, "rejected.jsonl")))
        if len(lines) != rejected or not all(l > 1 for l in lines):
            fail("%s: rejected.jsonl lines %r, --check said %d" % (name, lines, rejected))
    col.stop()


if __name__ == "__main__":
    harness.main(globals())
