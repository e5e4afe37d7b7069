"""Upgrade: a database made by release 0.1.0 becomes the current schema with its data and
views intact, and goes on taking events.

Release 0.1.0 had its views and ingest functions inside the versioned migrations
0001_core.sql and 0002_analytics.sql; today they are repeatable files (deploy/sql/repeatable/)
and those two migrations hold only the tables (docs/COLLECTOR.md, "Changing the schema").
These tests build databases the way 0.1.0 did — its own SQL (tests/data/release-0.1.0/, byte
for byte), applied and recorded as its collector/schema.c did, its events stored by its own
parley.ingest_batch() — and check, against a database the current collector made from
nothing and fed the same events:

- the store (conversations, every aggregate table) and all ten views of the 0.1.0 database
  equal the current one's: 0.1.0's ingest and today's give the same results;
- `parley-collector --migrate-only` upgrades it without a word about edited migrations,
  leaves every view's rows and every table as they were, and makes the same schema (pg_dump)
  as a new database;
- a real collector, running as a role in parley_writer (no DDL rights), starts on it and
  stores new events; the views then equal the current database's and the generator's truth;
- two collectors upgrading one database at once: both succeed, each change is made once;
- a repeatable file that differs is applied again (by the owner; a writer is told to run
  --migrate-only as the owner), and an applied migration whose text is neither today's nor a
  known earlier one is reported.
"""
# ctest-timeout: 900

import hashlib
import io
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import generator  # noqa: E402
import harness  # noqa: E402
from harness import assert_views, fail, read_views  # noqa: E402

RELEASE_DIR = os.path.join(harness.SOURCE_DIR, "tests", "data", "release-0.1.0")
RELEASE_MIGRATIONS = ("0001_core.sql", "0002_analytics.sql")
# What 0.1.0's collector/schema.c recorded for them (tests/data/release-0.1.0/README.md).
RELEASE_CHECKSUMS = {"0001_core.sql": "a21d4acf84492bbae96744f11e768947",
                     "0002_analytics.sql": "8126ef5904082582a21aa1bd7eacff66"}
# 0.1.0's bootstrap of the record, as its collector/schema.c ran it.
RELEASE_BOOTSTRAP = ("CREATE SCHEMA IF NOT EXISTS parley;"
                     "CREATE TABLE IF NOT EXISTS parley.schema_migrations ("
                     "  name text PRIMARY KEY,"
                     "  checksum text NOT NULL,"
                     "  applied_at timestamptz NOT NULL DEFAULT now())")

VIEWS = ("constituency_summary", "constituency_topics", "region_summary", "progress",
         "campaign_target", "sitting_mps", "weekly_progress", "association_summary",
         "stakeholder_summary", "mp_mismatches")
# Every table ingest writes, with the columns that say what was stored (not when). A
# stakeholder whose conversations were all withdrawn keeps a row with 0 conversations only if
# a report of theirs was stored before its withdrawal: that depends on arrival order, which
# the two databases do not share, and no view shows such a row; the rest does not depend on it.
STORE = {
    "event": "event_id, type, reported_at, occurred_on, association_id, association_name, "
             "constituency_code, stakeholder_role, stakeholder_name, person_key, party, format, "
             "stance, topics, follow_up, notes, raw::text",
    "conversation": "constituency_code, association_id, stakeholder_role, person_key, occurred_on, "
                    "event_id, reported_at, counts, stakeholder_name, party, format, stance, topics, "
                    "follow_up",
    "constituency_agg": "*",
    "association_constituency": "*",
    "constituency_topic": "*",
    "daily_conversations": "*",
    "association_name": "*",
    "stakeholder_agg": "* FROM parley.stakeholder_agg WHERE conversations > 0",
    "constituency": "*",
    "settings": "*",
    "mp": "constituency_code, name, party, since, person_key",
}
STAGED = ("event_id, type, reported_at, occurred_on, association_id, association_name, "
          "constituency_code, stakeholder_role, stakeholder_name, person_key, party, format, "
          "stance, topics, follow_up, notes, raw")
BATCH = 400


def _key(row):
    return tuple((v is None, str(v)) for v in row)


def read_all(db, what):
    """{name: sorted rows} of every view (what="views") or store table (what="store")."""
    conn = db.connect()
    try:
        cur = conn.cursor()
        out = {}
        if what == "views":
            for v in VIEWS:
                cur.execute("SELECT * FROM parley.%s" % v)
                out[v] = ([d[0] for d in cur.description], sorted(cur.fetchall(), key=_key))
        else:
            for t, cols in STORE.items():
                cur.execute("SELECT %s" % cols if " FROM " in cols else "SELECT %s FROM parley.%s" % (cols, t))
                out[t] = ([d[0] for d in cur.description], sorted(cur.fetchall(), key=_key))
        return out
    finally:
        conn.close()


def assert_same(actual, expected, what):
    """Every view or table, its columns and every row, equal."""
    diffs = []
    for name in expected:
        cols_e, rows_e = expected[name]
        cols_a, rows_a = actual.get(name, ([], []))
        if cols_a != cols_e:
            diffs.append("%s: columns %s, expected %s" % (name, cols_a, cols_e))
            continue
        if rows_a != rows_e:
            only_a = [r for r in rows_a if r not in rows_e]
            only_e = [r for r in rows_e if r not in rows_a]
            diffs.append("%s: %d rows, expected %d; e.g. got %s, expected %s" % (
                name, len(rows_a), len(rows_e), only_a[:2], only_e[:2]))
    if diffs:
        fail("%s:\n  %s" % (what, "\n  ".join(diffs)))
    nonempty = sum(1 for name in expected if expected[name][1])
    print("%s: %d of %d equal and non-empty" % (what, nonempty, len(expected)), flush=True)


def schema_dump(db):
    """pg_dump --schema-only of the database: every table, type, index, view, function and
    right, in a stable order."""
    env = dict(os.environ, PGHOST=db.cluster.env["PGHOST"], PGPORT=str(db.cluster.env["PGPORT"]),
               PGUSER=db.cluster.env.get("PGUSER", "postgres"))
    out = subprocess.run(["pg_dump", "--schema-only", "--dbname", db.name], env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        fail("pg_dump failed: %s" % out.stderr.strip())
    # \restrict and \unrestrict carry a random key of each run (PostgreSQL 15.14 and later)
    return "\n".join(l for l in out.stdout.splitlines() if not re.match(r"\\(un)?restrict ", l))


def migrate(h, db, name="migrate", conninfo=None):
    """parley-collector --migrate-only; returns (exit status, its log)."""
    p = h.spawn(name, [h.collector, "--db", conninfo or db.conninfo, "--migrate-only"])
    rc = p.wait(120)
    return rc, p.log()


def copy_rows(src, dst, table, columns):
    """COPY of the rows of parley.TABLE (those columns) from one database to another."""
    buf = io.StringIO()
    a, b = src.connect(), dst.connect()
    try:
        a.cursor().copy_expert("COPY parley.%s (%s) TO STDOUT" % (table, columns), buf)
        buf.seek(0)
        b.cursor().copy_expert("COPY parley.%s (%s) FROM STDIN" % (table, columns), buf)
    finally:
        a.close()
        b.close()


def make_release_database(h, label, seed_from):
    """A database as release 0.1.0's parley-collector made it: its bootstrap of
    parley.schema_migrations, then each of its migrations in its own transaction, recorded
    with the md5 of its text; then its seed (the constituencies, an aggregate row for each,
    the sitting MPs). The seed rows are copied from seed_from, a database the current
    collector seeded: both releases compile in the same common/data files."""
    db = h.create_database(label)
    conn = db.connect()
    try:
        cur = conn.cursor()
        cur.execute(RELEASE_BOOTSTRAP)
        for name in RELEASE_MIGRATIONS:
            with open(os.path.join(RELEASE_DIR, name), "rb") as f:
                data = f.read()
            if hashlib.md5(data).hexdigest() != RELEASE_CHECKSUMS[name]:
                fail("tests/data/release-0.1.0/%s is not release 0.1.0's text (md5 %s)" % (
                    name, hashlib.md5(data).hexdigest()))
            cur.execute("BEGIN")
            cur.execute(data.decode())
            cur.execute("INSERT INTO parley.schema_migrations (name, checksum) VALUES (%s, md5(%s))",
                        (name, data.decode()))
            cur.execute("COMMIT")
        cur.execute("SELECT name, checksum FROM parley.schema_migrations ORDER BY name")
        if dict(cur.fetchall()) != RELEASE_CHECKSUMS:
            fail("the release database did not record 0.1.0's checksums")
    finally:
        conn.close()
    copy_rows(seed_from, db, "constituency", "code, name, country, region, region_code, hex_q, hex_r")
    conn = db.connect()
    try:
        conn.cursor().execute("INSERT INTO parley.constituency_agg (constituency_code)"
                              " SELECT code FROM parley.constituency")
    finally:
        conn.close()
    copy_rows(seed_from, db, "mp", "constituency_code, name, party, since, person_key")
    return db


def ingest_with_release(db, source):
    """Stores the events of source (a database the current collector filled) into db through
    the database's own parley.ingest_prepare()/ingest_batch() — release 0.1.0's, before an
    upgrade — in batches of BATCH as the collector stages them (COPY with each event's
    position), then sends the first batch again: every event of it must be a duplicate."""
    buf = io.StringIO()
    conn = source.connect()
    try:
        conn.cursor().copy_expert("COPY (SELECT %s FROM parley.event ORDER BY received_at, event_id)"
                                  " TO STDOUT" % STAGED, buf)
    finally:
        conn.close()
    rows = buf.getvalue().splitlines()
    batches = [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]
    conn = db.connect()
    outcomes = {}
    try:
        cur = conn.cursor()
        cur.execute("SELECT parley.ingest_prepare()")
        for batch in batches + batches[:1]:
            data = "".join("%d\t%s\n" % (i, r) for i, r in enumerate(batch))
            cur.execute("BEGIN")
            cur.copy_expert("COPY pg_temp.parley_incoming (ord, %s) FROM STDIN" % STAGED, io.StringIO(data))
            cur.execute("SELECT outcome, count(*) FROM parley.ingest_batch() GROUP BY outcome")
            for outcome, n in cur.fetchall():
                outcomes[outcome] = outcomes.get(outcome, 0) + n
            cur.execute("COMMIT")
    finally:
        conn.close()
    want = {"accepted": len(rows), "duplicate": len(batches[0])}
    if outcomes != want:
        fail("release 0.1.0's ingest_batch gave %s, expected %s" % (outcomes, want))
    print("stored %d events through release 0.1.0's ingest_batch (%d batches, one resent)" % (
        len(rows), len(batches)), flush=True)


def as_role(db, role):
    """The same database, connected to as another role."""
    other = harness.Database(db.cluster, db.name)
    other.conninfo = re.sub(r"\buser=\S+", "user=%s" % role, db.conninfo)
    return other


def log_lines(text, msg):
    return [l for l in text.splitlines() if 'msg="%s"' % msg in l]


def feed(h, col, paths, spool):
    """The feeds through parley-agent --once, in batches of 200 events: with the collectors'
    --max-events 1, one transaction each, so that later batches change what earlier ones
    stored (stakeholders merged and rebuilt, days moved, rows emptied)."""
    run = h.run_agent(col.endpoint, h.path(spool), paths, args=["--batch", "200"])
    if run.rc != 0:
        fail("agent failed: %r" % run)
    return run


def drop_role(h, db, role):
    """Drops a login role made for one step. Its sessions are ended first and what it owns
    in db dropped, so that the drop cannot fail on a backend still closing; a failure here
    is printed, never raised, so that it cannot hide the test's own failure."""
    try:
        admin = h.admin()
        admin.cursor().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                               " WHERE usename = %s", (role,))
        admin.close()
        conn = db.connect()
        conn.cursor().execute("DROP OWNED BY %s" % role)
        conn.close()
        admin = h.admin()
        admin.cursor().execute("DROP ROLE IF EXISTS %s" % role)
        admin.close()
    except Exception as e:  # noqa: BLE001 - cleanup only
        print("cleanup: could not drop role %s: %s" % (role, e), flush=True)


def test_release_database_upgrades_with_data_and_views_intact(h):
    g = generator.Generator(seed=h.seed(20250101), conversations=h.scale(2500), feeds=2)
    print("generated:", g.stats(), flush=True)
    # Two feeds: the first is stored before the upgrade, the second after; the second brings
    # amendments, withdrawals and twins of conversations the first reported.
    before_paths, _ = generator.write_feeds(g.arrange("natural")[:1], h.path("before"))
    after_paths, _ = generator.write_feeds(g.arrange("natural")[1:], h.path("after"))

    # The reference: a database the current collector made, fed the first feed.
    new = h.create_database("upgrade_new")
    col = h.start_collector(new, args=["--max-events", "1"])
    feed(h, col, before_paths, "spool-new-1")

    # The same events stored by release 0.1.0's SQL, in a database made as 0.1.0 made it.
    old = make_release_database(h, "upgrade_old", seed_from=new)
    ingest_with_release(old, new)
    for db in (old, new):
        # An MP list that names someone else in one seat the first feed reached, so that
        # parley.mp_mismatches has a row to keep too.
        conn = db.connect()
        conn.cursor().execute(
            "UPDATE parley.mp SET name = 'Someone Else', person_key = 'someone else'"
            " WHERE constituency_code = (SELECT min(constituency_code) FROM parley.stakeholder_agg"
            "                             WHERE stakeholder_role = 'mp' AND conversations > 0)")
        conn.close()
    views_before, store_before = read_all(old, "views"), read_all(old, "store")
    empty = [v for v in VIEWS if not views_before[v][1]]
    if empty:
        fail("views without rows before the upgrade (the test would prove nothing of them): %s" % empty)
    assert_same(views_before, read_all(new, "views"), "0.1.0's views against the current ones")
    assert_same(store_before, read_all(new, "store"), "0.1.0's store against the current one")
    conn = old.connect()
    cur = conn.cursor()
    cur.execute("SELECT name, checksum, applied_at FROM parley.schema_migrations ORDER BY name")
    recorded = cur.fetchall()
    conn.close()

    # The upgrade.
    rc, log = migrate(h, old)
    if rc != 0:
        fail("--migrate-only on the 0.1.0 database exited %s:\n%s" % (rc, log))
    for bad in ("applied migration differs from the compiled-in one", "migration failed",
                "repeatable file failed"):
        if log_lines(log, bad):
            fail("the upgrade logged %r:\n%s" % (bad, log))
    applied = [re.search(r"migration=(\S+)", l).group(1) for l in log_lines(log, "applied migration")]
    if applied != since_release():
        fail("the upgrade applied %s, expected %s:\n%s" % (applied, since_release(), log))
    if len(log_lines(log, "applied repeatable files")) != 1:
        fail("the upgrade did not apply the repeatable files:\n%s" % log)
    conn = old.connect()
    cur = conn.cursor()
    cur.execute("SELECT name, checksum, applied_at FROM parley.schema_migrations"
                " WHERE name = ANY (%s) ORDER BY name", (list(RELEASE_MIGRATIONS),))
    if cur.fetchall() != recorded:
        fail("the upgrade rewrote 0.1.0's record of its migrations")
    conn.close()
    assert_same(read_all(old, "views"), views_before, "after --migrate-only, the views")
    assert_same(read_all(old, "store"), store_before, "after --migrate-only, the store")
    a, b = schema_dump(old), schema_dump(new)
    if a != b:
        import difflib
        diff = "\n".join(list(difflib.unified_diff(b.splitlines(), a.splitlines(), "new database",
                                                   "upgraded 0.1.0 database", lineterm="", n=2))[:80])
        fail("the upgraded schema differs from a new one (pg_dump --schema-only):\n%s" % diff)
    print("pg_dump --schema-only: the upgraded database's schema equals a new one's (%d lines)" % (
        len(a.splitlines())), flush=True)
    rc, log = migrate(h, old, "migrate-again")
    if rc != 0 or log_lines(log, "applied migration") or log_lines(log, "applied repeatable files"):
        fail("a second --migrate-only changed something (exit %s):\n%s" % (rc, log))

    # A real run, as a role without DDL rights, takes the second feed; so does the reference.
    role = "parley_upgrade_writer_%d" % os.getpid()
    admin = h.admin()
    try:
        admin.cursor().execute("DROP ROLE IF EXISTS %s" % role)
        admin.cursor().execute("CREATE ROLE %s LOGIN IN ROLE parley_writer" % role)
        col_old = h.start_collector(as_role(old, role), args=["--max-events", "1"],
                                    name="collector-writer")
        feed(h, col_old, after_paths, "spool-old-2")
        if col_old.stop(timeout=6) != 0:
            fail("the writer's collector did not stop cleanly:\n%s" % col_old.tail())
        log = col_old.log()
        if log_lines(log, "applied repeatable files") or "level=error" in log:
            fail("the writer's collector changed the schema or failed:\n%s" % log)
    finally:
        admin.close()
        drop_role(h, old, role)
    feed(h, col, after_paths, "spool-new-2")
    col.stop(timeout=6)
    assert_same(read_all(old, "views"), read_all(new, "views"),
                "after new events, the upgraded database's views against the new one's")
    assert_same(read_all(old, "store"), read_all(new, "store"),
                "after new events, the upgraded database's store against the new one's")
    assert_views(read_views(old), g.expected(), "the upgraded database against the ground truth")
    print("the upgraded database took the second feed: views equal the ground truth", flush=True)


def since_release():
    """The migrations made after release 0.1.0 (which had 0001 and 0002), in name order."""
    names = sorted(n for n in os.listdir(os.path.join(harness.SOURCE_DIR, "deploy", "sql")) if n.endswith(".sql"))
    return [n for n in names if n not in ("0001_core.sql", "0002_analytics.sql")]


def test_two_collectors_upgrade_one_database_at_once(h):
    seed = h.create_database("upgrade_seed")
    rc, log = migrate(h, seed, "migrate-seed")
    if rc != 0:
        fail("--migrate-only on a new database exited %s:\n%s" % (rc, log))
    db = make_release_database(h, "upgrade_twice", seed_from=seed)
    procs = [h.spawn("migrate-%d" % i, [h.collector, "--db", db.conninfo, "--migrate-only"])
             for i in range(2)]
    logs = []
    for p in procs:
        rc = p.wait(120)
        logs.append(p.log())
        if rc != 0:
            fail("%s exited %s:\n%s" % (p.name, rc, p.log()))
    both = "\n".join(logs)
    if (len(log_lines(both, "applied migration")) != len(since_release())
            or len(log_lines(both, "applied repeatable files")) != 1):
        fail("two collectors upgrading at once did not make each change exactly once:\n%s" % both)
    conn = db.connect()
    cur = conn.cursor()
    cur.execute("SELECT count(*), count(DISTINCT applied_at) FROM parley.schema_repeatables")
    files, times = cur.fetchone()
    conn.close()
    if files == 0 or times != 1:
        fail("parley.schema_repeatables: %d files applied at %d times" % (files, times))
    print("two collectors at once: one applied 0003 and %d repeatable files, the other found "
          "them applied" % files, flush=True)


def test_changed_files_are_applied_or_reported(h):
    db = h.create_database("upgrade_changed")
    rc, log = migrate(h, db, "migrate-new")
    if rc != 0:
        fail("--migrate-only on a new database exited %s:\n%s" % (rc, log))
    conn = db.connect()
    cur = conn.cursor()
    # A repeatable file that differs from the one applied (an older build's ingest, say).
    cur.execute("UPDATE parley.schema_repeatables SET checksum = 'older'"
                " WHERE name = (SELECT min(name) FROM parley.schema_repeatables)"
                " RETURNING name")
    changed = cur.fetchone()[0]
    role = "parley_upgrade_changed_%d" % os.getpid()
    admin = h.admin()
    try:
        admin.cursor().execute("DROP ROLE IF EXISTS %s" % role)
        admin.cursor().execute("CREATE ROLE %s LOGIN IN ROLE parley_writer" % role)
        rc, log = migrate(h, db, "migrate-writer", conninfo=as_role(db, role).conninfo)
    finally:
        admin.close()
        drop_role(h, db, role)
    failed = log_lines(log, "repeatable file failed")
    if rc != 1 or not failed or "as the owner of schema parley" not in failed[0]:
        fail("a writer with a repeatable file to apply: exit %s, expected 1 with a hint:\n%s" % (rc, log))
    rc, log = migrate(h, db, "migrate-owner")
    if rc != 0 or "file=%s" % changed not in "".join(log_lines(log, "repeatable file changed")) \
            or not log_lines(log, "applied repeatable files"):
        fail("the owner did not apply the changed repeatable file %s (exit %s):\n%s" % (changed, rc, log))
    cur.execute("SELECT count(*) FROM parley.schema_repeatables WHERE checksum = 'older'")
    if cur.fetchone()[0] != 0:
        fail("the record of the repeatable files was not rewritten")

    # An applied migration whose recorded text is neither today's nor a known earlier one.
    cur.execute("UPDATE parley.schema_migrations SET checksum = md5('edited') WHERE name = '0002_analytics.sql'")
    rc, log = migrate(h, db, "migrate-edited")
    warned = log_lines(log, "applied migration differs from the compiled-in one")
    if rc != 0 or len(warned) != 1 or "migration=0002_analytics.sql" not in warned[0]:
        fail("an edited migration: exit %s, expected 0 and one warning naming it:\n%s" % (rc, log))
    if log_lines(log, "applied migration"):
        fail("an edited migration was applied again:\n%s" % log)
    conn.close()
    print("a changed repeatable file is applied again by the owner (a writer is told to run "
          "--migrate-only as the owner); an edited migration is reported, not re-run", flush=True)


if __name__ == "__main__":
    harness.main(globals())
