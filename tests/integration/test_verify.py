"""parley-collector verify and rebuild: a generated stream (amendments, withdrawals, twins)
loaded through the real collector verifies clean; every kind of damage to every aggregate
table is reported and makes verify exit 1; rebuild restores exactly the state live ingest
made, and the views equal the generator's ground truth; rebuild waits for the writers' lock."""
# ctest-timeout: 900

import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import generator  # noqa: E402
import harness  # noqa: E402
from harness import assert_views, fail, read_views  # noqa: E402

INGEST_LOCK = 8097879414873325569  # parley.ingest_batch's advisory lock

# The derived tables, each with its key columns (what verify names a row by) and the columns
# that are not part of the state (when a row was last written).
DERIVED = {
    "conversation": ("constituency_code, association_id, stakeholder_role, person_key, occurred_on",
                     ["updated_at"]),
    "constituency_agg": ("constituency_code", []),
    "association_constituency": ("constituency_code, association_id", []),
    "constituency_topic": ("constituency_code, topic", []),
    "daily_conversations": ("occurred_on", []),
    "conversation_fact": ("occurred_on, constituency_code, association_id, stakeholder_role, stance, format, "
                          "follow_up", []),
    "topic_fact": ("occurred_on, constituency_code, topic", []),
    "association_name": ("association_id", []),
    "stakeholder_agg": ("constituency_code, stakeholder_role, person_key", []),
}


def derived_state(db):
    """Every derived table's rows as JSON text, in key order. A stakeholder row at
    conversations = 0 (all withdrawn) is left out: whether ingest keeps one depends on how
    the events were batched, and the views never show it."""
    out = {}
    for table, (key, skip) in DERIVED.items():
        where = " WHERE x.conversations > 0" if table == "stakeholder_agg" else ""
        drop = "".join(" - '%s'" % c for c in skip)
        _, rows = db.query("SELECT (to_jsonb(x)%s)::text FROM parley.%s x%s ORDER BY %s"
                           % (drop, table, where, ", ".join("x." + k.strip() for k in key.split(","))))
        out[table] = [r[0] for r in rows]
    return out


def assert_same_state(actual, expected, what):
    for table in DERIVED:
        a, e = actual[table], expected[table]
        if a != e:
            only_a = sorted(set(a) - set(e))[:3]
            only_e = sorted(set(e) - set(a))[:3]
            fail("%s: parley.%s differs (%d rows, expected %d); only here: %s; only expected: %s"
                 % (what, table, len(a), len(e), only_a, only_e))


def collector_command(h, db, *args, timeout=300):
    return subprocess.run([h.collector, *args, "--db", db.conninfo], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def verify(h, db):
    """(exit status, set of (table, key) reported, the lines)."""
    out = collector_command(h, db, "verify")
    lines = [l for l in out.stdout.splitlines() if l]
    if lines and lines[0] != "table\tkey\tstored\texpected":
        fail("verify's first line is not its header: %r" % lines[0])
    found = set()
    for l in lines[1:]:
        parts = l.split("\t")
        if len(parts) != 4:
            fail("verify printed a line of %d fields: %r" % (len(parts), l))
        found.add((parts[0], parts[1]))
    if out.returncode not in (0, 1):
        fail("verify exited %d: %s" % (out.returncode, out.stderr.strip()))
    if out.returncode == 0 and found:
        fail("verify exited 0 but printed differences: %s" % lines[:5])
    if out.returncode == 1 and not found:
        fail("verify exited 1 without a difference: %s" % out.stderr.strip())
    return out.returncode, found, lines


def rebuild(h, db):
    out = collector_command(h, db, "rebuild")
    if out.returncode != 0:
        fail("rebuild exited %d: %s" % (out.returncode, out.stderr.strip()))
    tables = [l.split("\t")[0] for l in out.stdout.splitlines()]
    if sorted(tables) != sorted(DERIVED):
        fail("rebuild reported the tables %s, expected %s" % (tables, sorted(DERIVED)))
    return out


class Loaded:
    db = None
    generator = None
    state = None


def load(h):
    """One database loaded through the real agent and collector (shared by the tests)."""
    if Loaded.db:
        return Loaded
    g = generator.Generator(seed=h.seed(1107), conversations=h.scale(4000))
    feeds = g.arrange("shuffled", seed=3, feeds=2)
    paths, _ = generator.write_feeds(feeds, h.path("feeds"), ["a.jsonl", "b.jsonl"])
    db = h.create_database("verify")
    col = h.start_collector(db)
    runs = [h.start_agent(col.endpoint, h.path("spool-%d" % i), [p], name="agent-%d" % i)
            for i, p in enumerate(paths)]
    for r in runs:
        run = h.finish_agent(r, timeout=600)
        if run.rc != 0:
            fail("agent failed: %r" % run)
    if col.stop(timeout=6) != 0:
        fail("collector did not stop cleanly:\n%s" % col.tail())
    assert_views(read_views(db), g.expected(), "after live ingest")
    Loaded.db, Loaded.generator, Loaded.state = db, g, derived_state(db)
    kinds = {c.kind for c in g.conversations}
    for k in ("amended", "withdrawn", "twin", "twin_amended", "withdrawal_only"):
        if k not in kinds:
            fail("the generated stream has no %s conversation" % k)
    return Loaded


def test_help_lists_the_commands(h):
    # help2man makes the man page from --help, so the commands must be in it.
    for program, names in ((h.collector, ("migrate", "verify", "rebuild", "retention")),
                           (h.agent, ("status",))):
        out = subprocess.run([program, "--help"], capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            fail("%s --help exited %d" % (program, out.returncode))
        commands = out.stdout.split("Commands:\n", 1)
        if len(commands) != 2:
            fail("%s --help has no Commands: section" % program)
        for name in names:
            if not re.search(r"^  %s " % name, commands[1], re.M):
                fail("%s --help does not list %s" % (program, name))
        out = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30)
        if "Commands:" in out.stdout:
            fail("%s --version lists commands" % program)


def test_live_ingest_verifies_clean(h):
    L = load(h)
    rc, found, lines = verify(h, L.db)
    if rc != 0:
        fail("verify after live ingest: %d differences:\n  %s" % (len(found), "\n  ".join(lines[:10])))
    print("verify: 0 differences over %s" % {t: len(r) for t, r in L.state.items()})


def pick(db, sql):
    _, rows = db.query(sql)
    if not rows:
        fail("nothing to damage: %s" % sql)
    return rows[0]


def test_damage_to_every_aggregate_is_reported_and_rebuild_repairs_it(h):
    L = load(h)
    db = L.db
    damaged = set()
    # constituency_agg: a row per constituency, so no stray row can be added; change one,
    # delete another.
    c1, = pick(db, "SELECT constituency_code FROM parley.constituency_agg WHERE conversations > 0 "
                   "ORDER BY 1 LIMIT 1")
    db.query("UPDATE parley.constituency_agg SET stance_sum = stance_sum + 1 WHERE constituency_code = %s "
             "RETURNING 1", (c1,))
    c2, = pick(db, "SELECT constituency_code FROM parley.constituency_agg ORDER BY 1 DESC LIMIT 1")
    db.query("DELETE FROM parley.constituency_agg WHERE constituency_code = %s RETURNING 1", (c2,))
    damaged |= {("constituency_agg", c1), ("constituency_agg", c2)}

    a = pick(db, "SELECT constituency_code, association_id FROM parley.association_constituency "
                 "ORDER BY 1, 2 LIMIT 1")
    db.query("UPDATE parley.association_constituency SET last_on = last_on + 1 "
             "WHERE (constituency_code, association_id) = (%s, %s) RETURNING 1", a)
    b = pick(db, "SELECT constituency_code, association_id FROM parley.association_constituency "
                 "ORDER BY 1 DESC, 2 DESC LIMIT 1")
    db.query("DELETE FROM parley.association_constituency "
             "WHERE (constituency_code, association_id) = (%s, %s) RETURNING 1", b)
    db.query("INSERT INTO parley.association_constituency VALUES "
             "(%s, 'stray-association', 2, 1, '2024-01-02', '2024-01-03') RETURNING 1", (c1,))
    damaged |= {("association_constituency", "%s %s" % a), ("association_constituency", "%s %s" % b),
                ("association_constituency", "%s stray-association" % c1)}

    t = pick(db, "SELECT constituency_code, topic FROM parley.constituency_topic ORDER BY 1, 2 LIMIT 1")
    db.query("UPDATE parley.constituency_topic SET conversations = conversations + 5 "
             "WHERE (constituency_code, topic) = (%s, %s) RETURNING 1", t)
    u = pick(db, "SELECT constituency_code, topic FROM parley.constituency_topic ORDER BY 1 DESC, 2 DESC LIMIT 1")
    db.query("DELETE FROM parley.constituency_topic WHERE (constituency_code, topic) = (%s, %s) RETURNING 1", u)
    db.query("INSERT INTO parley.constituency_topic VALUES (%s, 'stray topic', 1) RETURNING 1", (c1,))
    damaged |= {("constituency_topic", "%s %s" % t), ("constituency_topic", "%s %s" % u),
                ("constituency_topic", "%s stray topic" % c1)}

    d1, = pick(db, "SELECT occurred_on::text FROM parley.daily_conversations ORDER BY 1 LIMIT 1")
    db.query("UPDATE parley.daily_conversations SET conversations = conversations - 1 "
             "WHERE occurred_on = %s RETURNING 1", (d1,))
    d2, = pick(db, "SELECT occurred_on::text FROM parley.daily_conversations ORDER BY 1 DESC LIMIT 1")
    db.query("DELETE FROM parley.daily_conversations WHERE occurred_on = %s RETURNING 1", (d2,))
    db.query("INSERT INTO parley.daily_conversations VALUES ('1999-12-31', 4) RETURNING 1")
    damaged |= {("daily_conversations", d1), ("daily_conversations", d2),
                ("daily_conversations", "1999-12-31")}

    n1, = pick(db, "SELECT association_id FROM parley.association_name ORDER BY 1 LIMIT 1")
    db.query("UPDATE parley.association_name SET name = name || ' (renamed)' WHERE association_id = %s "
             "RETURNING 1", (n1,))
    n2, = pick(db, "SELECT association_id FROM parley.association_name ORDER BY 1 DESC LIMIT 1")
    db.query("DELETE FROM parley.association_name WHERE association_id = %s RETURNING 1", (n2,))
    db.query("INSERT INTO parley.association_name VALUES ('stray-association', 'Stray', now(), "
             "gen_random_uuid()) RETURNING 1")
    damaged |= {("association_name", n1), ("association_name", n2),
                ("association_name", "stray-association")}

    s1 = pick(db, "SELECT constituency_code, stakeholder_role, person_key FROM parley.stakeholder_agg "
                  "WHERE conversations > 0 ORDER BY 1, 2, 3 LIMIT 1")
    db.query("UPDATE parley.stakeholder_agg SET open_follow_ups = open_follow_ups + 1 "
             "WHERE (constituency_code, stakeholder_role, person_key) = (%s, %s, %s) RETURNING 1", s1)
    s2 = pick(db, "SELECT constituency_code, stakeholder_role, person_key FROM parley.stakeholder_agg "
                  "WHERE conversations > 0 ORDER BY 1 DESC, 2 DESC, 3 DESC LIMIT 1")
    db.query("DELETE FROM parley.stakeholder_agg "
             "WHERE (constituency_code, stakeholder_role, person_key) = (%s, %s, %s) RETURNING 1", s2)
    db.query("INSERT INTO parley.stakeholder_agg (constituency_code, stakeholder_role, person_key, name, "
             "conversations, associations, association_ids, first_on, last_on, open_follow_ups) "
             "VALUES (%s, 'mp', 'nobody stray', 'Nobody Stray', 2, 1, '{stray-association}', "
             "'2024-01-02', '2024-01-03', 0) RETURNING 1", (c1,))
    damaged |= {("stakeholder_agg", "%s %s %s" % s1), ("stakeholder_agg", "%s %s %s" % s2),
                ("stakeholder_agg", "%s mp nobody stray" % c1)}

    # The fact tables (0006_facts.sql): keyed by their grain, a NULL written "null".
    fkey = ("concat_ws(' ', occurred_on, constituency_code, association_id, stakeholder_role, "
            "coalesce(stance::text, 'null'), coalesce(format, 'null'), coalesce(follow_up::text, 'null'))")
    f1, = pick(db, "SELECT %s FROM parley.conversation_fact ORDER BY 1 LIMIT 1" % fkey)
    db.query("UPDATE parley.conversation_fact SET conversations = conversations + 1 WHERE %s = %%s RETURNING 1"
             % fkey, (f1,))
    f2, = pick(db, "SELECT %s FROM parley.conversation_fact WHERE stance IS NULL OR format IS NULL "
                   "OR follow_up IS NULL ORDER BY 1 DESC LIMIT 1" % fkey)
    db.query("DELETE FROM parley.conversation_fact WHERE %s = %%s RETURNING 1" % fkey, (f2,))
    db.query("INSERT INTO parley.conversation_fact VALUES ('1999-12-31', %s, 'stray-association', 'mp', "
             "NULL, 'meeting', true, 3) RETURNING 1", (c1,))
    damaged |= {("conversation_fact", f1), ("conversation_fact", f2),
                ("conversation_fact", "1999-12-31 %s stray-association mp null meeting true" % c1)}

    g1, = pick(db, "SELECT concat_ws(' ', occurred_on, constituency_code, topic) FROM parley.topic_fact "
                   "ORDER BY 1 LIMIT 1")
    db.query("UPDATE parley.topic_fact SET conversations = conversations - 1 "
             "WHERE concat_ws(' ', occurred_on, constituency_code, topic) = %s RETURNING 1", (g1,))
    g2, = pick(db, "SELECT concat_ws(' ', occurred_on, constituency_code, topic) FROM parley.topic_fact "
                   "ORDER BY 1 DESC LIMIT 1")
    db.query("DELETE FROM parley.topic_fact "
             "WHERE concat_ws(' ', occurred_on, constituency_code, topic) = %s RETURNING 1", (g2,))
    db.query("INSERT INTO parley.topic_fact VALUES ('1999-12-31', %s, 'stray topic', 2) RETURNING 1", (c1,))
    damaged |= {("topic_fact", g1), ("topic_fact", g2), ("topic_fact", "1999-12-31 %s stray topic" % c1)}

    rc, found, lines = verify(h, db)
    if rc != 1:
        fail("verify exited %d on a damaged database" % rc)
    if found != damaged:
        fail("verify reported %s\n  not reported: %s\n  reported but not damaged: %s"
             % ("\n  ".join(lines[:30]), sorted(damaged - found), sorted(found - damaged)))
    print("verify: all %d damaged rows reported, nothing else" % len(damaged))

    # The state itself: a conversation deleted, one changed.
    k = pick(db, "SELECT constituency_code, association_id, stakeholder_role, person_key, occurred_on::text "
                 "FROM parley.conversation WHERE counts ORDER BY 1, 2, 3, 4, 5 LIMIT 1")
    db.query("DELETE FROM parley.conversation WHERE (constituency_code, association_id, stakeholder_role, "
             "person_key, occurred_on) = (%s, %s, %s, %s, %s) RETURNING 1", k)
    k2 = pick(db, "SELECT constituency_code, association_id, stakeholder_role, person_key, occurred_on::text "
                  "FROM parley.conversation WHERE counts ORDER BY 1 DESC, 2, 3, 4, 5 LIMIT 1")
    db.query("UPDATE parley.conversation SET counts = false WHERE (constituency_code, association_id, "
             "stakeholder_role, person_key, occurred_on) = (%s, %s, %s, %s, %s) RETURNING 1", k2)
    rc, found, _ = verify(h, db)
    for key in (k, k2):
        if ("conversation", " ".join(key)) not in found:
            fail("verify did not report the damaged conversation %s" % (key,))

    out = rebuild(h, db)
    print("rebuild:", out.stdout.replace("\n", "; ").strip())
    rc, found, lines = verify(h, db)
    if rc != 0:
        fail("verify after rebuild: %d differences:\n  %s" % (len(found), "\n  ".join(lines[:10])))
    assert_views(read_views(db), L.generator.expected(), "after rebuild, the views against the ground truth")
    assert_same_state(derived_state(db), L.state, "after rebuild against live ingest")
    print("rebuild: state and aggregates equal live ingest's; views equal the ground truth")


def test_rebuild_of_an_emptied_database_equals_live_ingest(h):
    """Everything derived deleted, only parley.event left: rebuild makes what live ingest made
    (amendments, withdrawals and twins included)."""
    L = load(h)
    conn = L.db.connect()
    with conn.cursor() as cur:
        for table in DERIVED:
            cur.execute("DELETE FROM parley.%s" % table)
    conn.close()
    rc, _, _ = verify(h, L.db)
    if rc != 1:
        fail("verify exited %d with every derived table empty" % rc)
    rebuild(h, L.db)
    assert_same_state(derived_state(L.db), L.state, "rebuilt from parley.event against live ingest")
    assert_views(read_views(L.db), L.generator.expected(), "rebuilt from parley.event")
    rc, found, lines = verify(h, L.db)
    if rc != 0:
        fail("verify after rebuild: %s" % lines[:10])


def test_rebuild_waits_for_a_writer(h):
    """While a writer holds ingest_batch's lock, rebuild waits; it finishes once it is free."""
    L = load(h)
    conn = L.db.connect()
    conn.autocommit = False
    cur = conn.cursor()
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (INGEST_LOCK,))
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("out", collector_command(h, L.db, "rebuild")))
    t0 = time.monotonic()
    t.start()

    def waiting():
        if not t.is_alive():
            fail("rebuild finished while a writer held the ingest lock: %r" % result.get("out"))
        _, rows = L.db.query("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                             "WHERE l.locktype = 'advisory' AND NOT l.granted "
                             "AND a.application_name = 'parley-collector'")
        return rows[0][0] > 0
    harness.wait_for(waiting, 120, "rebuild waiting for the ingest lock")
    time.sleep(1)
    if not t.is_alive():
        fail("rebuild finished while a writer held the ingest lock: %r" % result.get("out"))
    conn.rollback()
    conn.close()
    t.join(120)
    if t.is_alive() or result["out"].returncode != 0:
        fail("rebuild did not finish after the lock was released: %r" % result.get("out"))
    print("rebuild waited for the lock and finished %.1f s after the start" % (time.monotonic() - t0))
    rc, _, lines = verify(h, L.db)
    if rc != 0:
        fail("verify after rebuild: %s" % lines[:10])


def test_dump_and_restore_with_roles_verifies_clean(h):
    """docs/OPERATIONS.md, "Backup and restore": pg_dump -Fc and pg_dumpall --roles-only,
    restored on a new cluster (roles first: without them the dump's GRANTs fail), verify
    finds no difference and an analyst's login role reads the same views."""
    L = load(h)
    role = "ops_alice_%d" % os.getpid()
    L.db.query("CREATE ROLE %s LOGIN IN ROLE parley_analyst; SELECT 1" % role)
    try:
        bindir = subprocess.run([harness.PG_PRIVATE, "bindir"], capture_output=True, text=True,
                                check=True).stdout.strip()
        env = dict(os.environ, **L.db.cluster.env)
        dump, roles = h.path("parley.dump"), h.path("roles.sql")
        for argv in ([os.path.join(bindir, "pg_dump"), "-Fc", "-d", L.db.name, "-f", dump],
                     [os.path.join(bindir, "pg_dumpall"), "--roles-only", "-f", roles]):
            out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
            if out.returncode != 0:
                fail("%s failed: %s" % (os.path.basename(argv[0]), out.stderr.strip()))
    finally:
        L.db.query("DROP ROLE %s; SELECT 1" % role)
    fresh = h.new_cluster("restored")
    fenv = dict(os.environ, **fresh.env)

    def restore(label):
        db = h.create_database(label, cluster=fresh)
        out = subprocess.run([os.path.join(bindir, "pg_restore"), "--exit-on-error", "-d", db.name, dump],
                             capture_output=True, text=True, env=fenv, timeout=300)
        return db, out
    _, out = restore("without_roles")
    if out.returncode == 0 or "parley_writer" not in out.stderr:
        fail("pg_restore without the roles should fail on a GRANT to parley_writer: exit %d, %s" % (
            out.returncode, out.stderr.strip()))
    out = subprocess.run([os.path.join(bindir, "psql"), "-X", "-q", "-d", "postgres", "-f", roles],
                         capture_output=True, text=True, env=fenv, timeout=120)
    if out.returncode != 0:
        fail("psql -f roles.sql failed: %s" % out.stderr.strip())
    db, out = restore("with_roles")
    if out.returncode != 0:
        fail("pg_restore failed after the roles were restored: %s" % out.stderr.strip())
    rc, found, lines = verify(h, db)
    if rc != 0:
        fail("verify after restore: %s" % lines[:10])
    assert_views(read_views(db), L.generator.expected(), "restored database")
    analyst = harness.Database(fresh, db.name)
    analyst.conninfo = analyst.conninfo.replace("user=postgres", "user=" + role)
    out = h.run_parley(analyst, "progress", "--format", "csv")
    p = L.generator.expected()["progress"]
    if out.returncode != 0 or str(p["conversations"]) not in out.stdout:
        fail("parley progress as %s on the restored database: exit %d, %s%s" % (
            role, out.returncode, out.stdout, out.stderr))
    print("restored from pg_dump + pg_dumpall --roles-only: verify clean, views equal the ground truth, "
          "%s reads them" % role)


def test_rebuild_while_a_collector_writes(h):
    """rebuild run (three times) while an agent streams through a collector: the collector's
    batches wait for it and go on from the rebuilt state, and at the end verify is clean and
    the views equal the ground truth."""
    g = generator.Generator(seed=h.seed(1108), conversations=h.scale(6000))
    feeds = g.arrange("natural", feeds=2)
    paths, _ = generator.write_feeds(feeds, h.path("live"), ["a.jsonl", "b.jsonl"])
    db = h.create_database("verify_live")
    out = collector_command(h, db, "--migrate-only")
    if out.returncode != 0:
        fail("parley-collector --migrate-only failed: %s" % out.stderr.strip())
    col = h.start_collector(db)
    agent = h.start_agent(col.endpoint, h.path("live", "spool"), paths, args=["--batch", "200"])
    total = len({l.event.event_id for l in g.valid_lines()})
    rebuilt_at = []
    for share in (0.2, 0.45, 0.7):
        def committed():
            _, r = db.query("SELECT count(*) FROM parley.event")
            return r[0][0] >= total * share
        harness.wait_for(lambda: committed() or not agent.alive(), 300,
                         "%d%% of the events committed" % (share * 100), interval=0.02)
        if not agent.alive():
            break  # a fast machine: the stream was delivered before this point
        _, r = db.query("SELECT count(*) FROM parley.event")
        rebuild(h, db)
        rebuilt_at.append(r[0][0])
    run = h.finish_agent(agent, timeout=600)
    if run.rc != 0:
        fail("agent failed: %r" % run)
    if not rebuilt_at or rebuilt_at[0] >= total:
        fail("no rebuild ran while the collector was writing (rebuilt at %s of %d events)" % (rebuilt_at, total))
    if col.stop(timeout=6) != 0:
        fail("collector did not stop cleanly:\n%s" % col.tail())
    rc, found, lines = verify(h, db)
    if rc != 0:
        fail("verify after rebuilds during ingest: %d differences:\n  %s" % (len(found), "\n  ".join(lines[:10])))
    assert_views(read_views(db), g.expected(), "after rebuilds during ingest")
    print("rebuilt at %s of %d events while the collector wrote; verify clean, views equal the ground truth"
          % (rebuilt_at, total))


if __name__ == "__main__":
    harness.main(globals())
