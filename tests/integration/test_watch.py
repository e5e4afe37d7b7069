"""A drop folder (--watch DIR) against a real collector and PostgreSQL: files present at
start, a file moved in, a file written slowly (never read half), a CSV export with the
mapping, a CSV whose header does not fit (to failed/), every finished file moved to done/,
and a restart that takes nothing again. Expected views come from the lines the test wrote."""
# ctest-timeout: 300

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import forms  # noqa: E402
import generator  # noqa: E402
import harness  # noqa: E402
from harness import assert_views, fail, read_rejected, read_views, wait_for  # noqa: E402


def event_lines(seed, n):
    g = generator.Generator(seed=seed, conversations=n, invalid=0, resend_rate=0)
    return [l for l in g.arrange("natural", feeds=1)[0] if l.kind == "event"]


def stored(db):
    try:
        return db.query("SELECT count(*) FROM parley.event")[1][0][0]
    except harness.psycopg2.Error:
        return 0


def write(path, lines):
    with open(path, "wb") as f:
        for l in lines:
            f.write(l.data + b"\n")


def test_drop_folder(h):
    lines = event_lines(h.seed(41), 300)
    chunks = [lines[0:100], lines[100:200], lines[200:300], lines[300:320]]
    db = h.create_database("watch")
    col = h.start_collector(db)
    drop = h.path("drop")
    os.makedirs(drop)
    write(os.path.join(drop, "present-at-start.jsonl"), chunks[0])
    write(os.path.join(drop, "notes.txt"), chunks[3])  # not *.jsonl: left alone
    export = forms.Export("msforms", seed=h.seed(41))
    export.add_rows(40)
    export.write(os.path.join(drop, "member-meetings.csv"))
    with open(os.path.join(drop, "wrong-layout.csv"), "w") as f:
        f.write("Foo,Bar\n1,2\n")
    # Open for writing when the agent starts (by this process, which the agent can see in
    # /proc): left alone until it is closed.
    early = open(os.path.join(drop, "being-written.jsonl"), "wb", buffering=0)
    early.write(chunks[3][0].data[:30])
    agent = h.start_agent(col.endpoint, h.path("spool"), [], once=False,
                          args=["--watch", drop, "--mapping", export.mapping])
    done = os.path.join(drop, "done")
    wait_for(lambda: os.path.exists(os.path.join(done, "present-at-start.jsonl")), 15,
             "the file present at start to be read and moved to done/")
    wait_for(lambda: os.path.exists(os.path.join(done, "member-meetings.csv")), 15,
             "the CSV export to be read and moved to done/")
    wait_for(lambda: os.path.exists(os.path.join(drop, "failed", "wrong-layout.csv")), 15,
             "the CSV whose header does not fit the mapping to be moved to failed/")
    if "wrong-layout.csv" not in agent.log() or "failed" not in agent.log():
        fail("no log line for the failed file:\n%s" % agent.tail())

    if not os.path.exists(os.path.join(drop, "being-written.jsonl")):
        fail("a file open for writing at start was taken")
    early.write(chunks[3][0].data[30:] + b"\n" + b"".join(l.data + b"\n" for l in chunks[3][1:]))
    early.close()
    wait_for(lambda: os.path.exists(os.path.join(done, "being-written.jsonl")), 15,
             "the file open at start, once closed")

    # Moved in (written elsewhere, then renamed into the folder: IN_MOVED_TO).
    outside = h.path("outside", "moved-in.jsonl")
    write(outside, chunks[1])
    os.rename(outside, os.path.join(drop, "moved-in.jsonl"))
    wait_for(lambda: os.path.exists(os.path.join(done, "moved-in.jsonl")), 15, "the moved-in file")

    # Written slowly in the folder itself, held open for seconds: not read before it is
    # closed (IN_CLOSE_WRITE), so never half.
    slow = os.path.join(drop, "slow.jsonl")
    # A file is moved to done/ once its lines are in the spool, not yet at the collector:
    # wait for what came before to be stored, so that only the slow file could add more.
    want_n = 300 + len(chunks[3]) + export.rows()
    wait_for(lambda: stored(db) >= want_n - len(chunks[2]), 15, "the files before it stored")
    before = stored(db)
    with open(slow, "wb", buffering=0) as f:
        for i, l in enumerate(chunks[2]):
            f.write(l.data[:20])
            if i % 20 == 0:
                time.sleep(0.3)
            f.write(l.data[20:] + b"\n")
        time.sleep(1.0)
        if stored(db) != before or not os.path.exists(slow) or "slow.jsonl" in agent.log():
            fail("the file was taken while still open for writing")
    wait_for(lambda: os.path.exists(os.path.join(done, "slow.jsonl")), 15, "the slow file")
    wait_for(lambda: stored(db) >= want_n, 15, "every event stored")
    if stored(db) != want_n:
        fail("%d events stored, expected %d" % (stored(db), want_n))
    rejected = read_rejected(h.path("spool", "rejected.jsonl"))
    if rejected:
        fail("lines rejected: %r" % rejected[:3])
    if not os.path.exists(os.path.join(drop, "notes.txt")):
        fail("notes.txt was taken")
    agent.stop()

    # A restart takes nothing again (the files are in done/); a file with the same name as
    # one in done/ is a new file, and lands beside it as NAME.1.
    agent = h.start_agent(col.endpoint, h.path("spool"), [], once=False,
                          args=["--watch", drop, "--mapping", export.mapping], name="agent-again")
    write(os.path.join(drop + "-tmp.jsonl"), chunks[0][:5])
    os.rename(drop + "-tmp.jsonl", os.path.join(drop, "present-at-start.jsonl"))
    wait_for(lambda: os.path.exists(os.path.join(done, "present-at-start.jsonl.1")), 15,
             "the second file of the same name")
    time.sleep(0.5)
    if stored(db) != want_n:
        fail("after the restart %d events stored, expected still %d" % (stored(db), want_n))
    agent.stop()
    # The views: the JSON-lines events and the export's responses.
    states = export.states()
    views = read_views(db)
    exp = generator.views_from_conversations(states + replay_states(lines[:300] + chunks[3]))
    assert_views(views, exp, "after the drop folder")
    col.stop()


def test_each_drop_folder_reads_csv_through_its_own_mapping(h):
    """Two forms, two drop folders, each with its mapping.ini and no --mapping: each export
    is read through its own folder's layout. A folder whose mapping.ini does not load stops
    the agent at start, naming the file and line."""
    db = h.create_database("watch_mappings")
    col = h.start_collector(db)
    exports, folders = [], []
    for i, layout in enumerate(["google", "msforms"]):
        export = forms.Export(layout, seed=h.seed(43 + i))
        export.add_rows(25)
        drop = h.path("drop-" + layout)
        os.makedirs(drop)
        shutil.copy(export.mapping, os.path.join(drop, "mapping.ini"))
        export.write(os.path.join(drop, "responses.csv"))
        exports.append(export)
        folders.append(drop)
    agent = h.start_agent(col.endpoint, h.path("spool-mappings"), [], once=False,
                          args=["--watch", folders[0], "--watch", folders[1]])
    for drop in folders:
        wait_for(lambda: os.path.exists(os.path.join(drop, "done", "responses.csv")), 15,
                 "the export in %s to be read and moved to done/" % drop)
        if not os.path.exists(os.path.join(drop, "mapping.ini")):
            fail("the folder's mapping.ini was taken as a file")
    want_n = sum(e.rows() for e in exports)
    wait_for(lambda: stored(db) >= want_n, 15, "every response stored")
    if stored(db) != want_n:
        fail("%d events stored, expected %d" % (stored(db), want_n))
    if read_rejected(h.path("spool-mappings", "rejected.jsonl")):
        fail("rows rejected: %r" % read_rejected(h.path("spool-mappings", "rejected.jsonl"))[:3])
    agent.stop()
    exp = generator.views_from_conversations(exports[0].states() + exports[1].states())
    assert_views(read_views(db), exp, "two drop folders, two mappings")

    broken = h.path("drop-broken")
    os.makedirs(broken)
    with open(os.path.join(broken, "mapping.ini"), "w") as f:
        f.write("[feed]\nname = broken\n[columns]\nno_such_field = Foo\n")
    run = h.run_agent(col.endpoint, h.path("spool-broken"), [], args=["--watch", broken],
                      timeout=30, name="agent-broken")
    if run.rc == 0 or "mapping.ini" not in run.proc.log():
        fail("a folder with a broken mapping.ini: exit %s, expected a failure naming it:\n%s"
             % (run.rc, run.proc.tail()))
    col.stop()


def replay_states(lines):
    """(identity, type, attrs) of the conversations the lines make, as generator.replay
    computes them."""
    first = {}
    for l in lines:
        ev = generator.check_line(l.data)
        first.setdefault(ev["event_id"], ev)
    convs = {}
    for ev in first.values():
        convs.setdefault(ev["ident"], []).append(ev)
    out = []
    for ident, evs in convs.items():
        s = max(evs, key=lambda e: (e["reported_at_us"], e["event_id"]))
        out.append((ident, s["type"], s["attrs"]))
    return out


def test_watch_with_once_takes_what_is_there_and_exits(h):
    lines = event_lines(h.seed(42), 60)
    db = h.create_database("watch_once")
    col = h.start_collector(db)
    drop = h.path("drop-once")
    os.makedirs(drop)
    write(os.path.join(drop, "a.jsonl"), lines[:40])
    write(os.path.join(drop, "b.jsonl"), lines[40:60])
    r = h.run_agent(col.endpoint, h.path("spool-once"), [], args=["--watch", drop], timeout=60)
    if r.rc != 0 or r.summary.get("accepted") != 60:
        fail("--once --watch: %r" % r)
    for name in ("a.jsonl", "b.jsonl"):
        if not os.path.exists(os.path.join(drop, "done", name)):
            fail("%s not moved to done/" % name)
    col.stop()


if __name__ == "__main__":
    harness.main(globals())
