"""PostgreSQL roles (docs/COLLECTOR.md, "PostgreSQL roles"), set up as the docs say: a login
role that owns the database and runs `parley-collector migrate`, the collector's login role in
parley_writer, an analyst's in parley_analyst.

- a writer-only collector never migrates: on a database whose schema is behind it refuses to
  start ("database schema is behind this collector", exit 1) and `migrate` as the writer fails,
  both leaving the database as it was; the owner's `migrate` brings it up to date;
- the collector running as the writer stores a generated feed and the views equal the
  generator's truth; every stored event says who delivered it (parley.event.delivered_by);
- the writer cannot read or change anything else: no SELECT on a table or view, no INSERT,
  UPDATE, DELETE or TRUNCATE (parley.mp and parley.settings among them), no DROP, ALTER or
  CREATE, no function but the two ingest entry points (no step, no set_target()), and a
  staging table of its own making (with a trigger) is refused by parley.ingest_batch();
- the analyst reads the views but not parley.event (raw, notes, delivered_by), and no view
  shows delivered_by.
"""
# ctest-timeout: 600

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import generator  # noqa: E402
import harness  # noqa: E402
from harness import assert_views, fail, read_views  # noqa: E402

import psycopg2  # noqa: E402

FEEDS = ["north-housing.jsonl", "crm-export.jsonl", "field-app.jsonl"]


def as_role(db, role):
    """The same database, connected to as another role."""
    other = harness.Database(db.cluster, db.name)
    other.conninfo = re.sub(r"\buser=\S+", "user=%s" % role, db.conninfo)
    return other


def log_lines(text, msg):
    return [l for l in text.splitlines() if 'msg="%s"' % msg in l]


class Roles:
    """The three login roles of the docs' setup, made for one test and dropped after it."""

    def __init__(self, h, db):
        self.h, self.db = h, db
        tag = os.getpid()
        self.owner, self.writer, self.analyst = ("parley_t_owner_%d" % tag,
                                                 "parley_t_collector_%d" % tag,
                                                 "parley_t_alice_%d" % tag)
        admin = h.admin()
        try:
            cur = admin.cursor()
            for r in (self.owner, self.writer, self.analyst):
                cur.execute("DROP ROLE IF EXISTS %s" % r)
            # As docs/COLLECTOR.md says, run once per cluster by a superuser: the two group
            # roles (0002_analytics.sql makes them too when its role may), the owner of the
            # database, and a login role in each group.
            for group in ("parley_writer", "parley_analyst"):
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (group,))
                if not cur.fetchone():
                    cur.execute("CREATE ROLE %s NOLOGIN" % group)
            cur.execute("CREATE ROLE %s LOGIN" % self.owner)
            cur.execute('ALTER DATABASE "%s" OWNER TO %s' % (db.name, self.owner))
            cur.execute("CREATE ROLE %s LOGIN IN ROLE parley_writer" % self.writer)
            cur.execute("CREATE ROLE %s LOGIN IN ROLE parley_analyst" % self.analyst)
        finally:
            admin.close()

    def drop(self):
        try:
            admin = self.h.admin()
            cur = admin.cursor()
            for r in (self.writer, self.analyst, self.owner):
                cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (r,))
            cur.execute('DROP DATABASE IF EXISTS "%s"' % self.db.name)
            for r in (self.writer, self.analyst, self.owner):
                cur.execute("DROP ROLE IF EXISTS %s" % r)
            admin.close()
        except Exception as e:  # never hide the test's own failure
            print("could not drop the test's roles: %s" % e, flush=True)


def schema_state(db):
    """What the database holds of Parley: its tables and the record of migrations."""
    conn = db.connect()
    try:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'parley'")
        tables = cur.fetchone()[0]
        rows = []
        cur.execute("SELECT to_regclass('parley.schema_migrations') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute("SELECT * FROM parley.schema_migrations ORDER BY name")
            rows = cur.fetchall()
        return tables, rows
    finally:
        conn.close()


def refused(db, sql, what):
    """sql, run as db's role in a transaction of its own, fails for want of a right (42501)."""
    conn = psycopg2.connect(db.conninfo)
    try:
        cur = conn.cursor()
        try:
            cur.execute(sql)
        except psycopg2.Error as e:
            if e.pgcode != "42501":
                fail("%s: failed with %s (%s), expected 42501 insufficient_privilege" % (
                    what, e.pgcode, str(e).strip()))
            return
        finally:
            conn.rollback()
        fail("%s: allowed (%s)" % (what, sql))
    finally:
        conn.close()


def start_refused(h, db, name):
    col = h.start_collector(db, wait=False, name=name)
    return col.wait(60), col.log()


def test_writer_collector_has_only_the_rights_to_ingest(h):
    db = h.create_database("roles")
    roles = Roles(h, db)
    try:
        owner, writer, analyst = as_role(db, roles.owner), as_role(db, roles.writer), as_role(db, roles.analyst)

        # A writer-only collector never migrates: on an empty database it refuses to start.
        before = schema_state(owner)
        rc, log = start_refused(h, writer, "collector-writer-empty")
        behind = log_lines(log, "database schema is behind this collector")
        if rc != 1 or len(behind) != 1 or "run parley-collector migrate" not in behind[0]:
            fail("a writer's collector on an empty database: exit %s, expected 1 saying to run "
                 "parley-collector migrate:\n%s" % (rc, log))
        p = h.spawn("migrate-writer", [h.collector, "migrate", "--db", writer.conninfo])
        rc = p.wait(120)
        if rc != 1 or not log_lines(p.log(), "only the owner of schema parley may migrate"):
            fail("migrate as the writer: exit %s, expected 1 (only the owner may):\n%s" % (rc, p.log()))
        if schema_state(owner) != before:
            fail("a writer's collector changed the database: %s, before %s" % (schema_state(owner), before))
        print("as the writer: the daemon refuses an empty database, migrate fails; nothing made",
              flush=True)

        # The owner migrates.
        p = h.spawn("migrate-owner", [h.collector, "migrate", "--db", owner.conninfo])
        if p.wait(120) != 0:
            fail("migrate as the owner failed:\n%s" % p.log())

        # The collector, as the writer, stores a feed; the views are right.
        g = generator.Generator(seed=h.seed(20240711), conversations=h.scale(3000))
        feeds = g.arrange("natural")
        paths, _ = generator.write_feeds(feeds, h.path("feeds"), FEEDS)
        col = h.start_collector(writer, name="collector-writer")
        run = h.run_agent(col.endpoint, h.path("spool"), paths, timeout=600)
        if run.rc != 0:
            fail("agent failed: %r" % run)
        if col.stop(timeout=6) != 0:
            fail("the writer's collector did not stop cleanly:\n%s" % col.tail())
        log = col.log()
        if "level=error" in log or log_lines(log, "applied repeatable files") \
                or "mode=writer" not in "".join(log_lines(log, "schema up to date")):
            fail("the writer's collector changed the schema or failed:\n%s" % log)
        assert_views(read_views(owner), g.expected(), "views after a feed stored by the writer")
        # delivered_by is the CURVE key the events came with: the harness's agent key.
        agent_key = h.keys()["agent_cert"]["public"]
        _, rows = owner.query("SELECT count(*), count(delivered_by),"
                              " count(*) FILTER (WHERE delivered_by = %s) FROM parley.event", (agent_key,))
        total, filled, keyed = rows[0]
        if total == 0 or filled != total or keyed != total:
            fail("parley.event.delivered_by: %d events, %d filled, %d naming the agent's key %s" % (
                total, filled, keyed, agent_key))
        print("as the writer: %d events stored, views equal the generator's, delivered_by filled"
              % total, flush=True)

        # What the writer may not do.
        checks = [
            ("SELECT * FROM parley.event LIMIT 1", "read parley.event"),
            ("SELECT * FROM parley.conversation LIMIT 1", "read parley.conversation"),
            ("SELECT * FROM parley.constituency_agg LIMIT 1", "read parley.constituency_agg"),
            ("SELECT * FROM parley.mp LIMIT 1", "read parley.mp"),
            ("SELECT * FROM parley.settings", "read parley.settings"),
            ("SELECT * FROM parley.progress", "read a view"),
            ("INSERT INTO parley.mp (constituency_code, name, party, person_key)"
             " VALUES ('E14000530', 'x', 'x', 'x')", "write parley.mp"),
            ("UPDATE parley.mp SET name = 'x'", "update parley.mp"),
            ("DELETE FROM parley.mp", "delete from parley.mp"),
            ("UPDATE parley.settings SET target = 1", "update parley.settings"),
            ("UPDATE parley.constituency_agg SET conversations = 0", "change a count"),
            ("DELETE FROM parley.event", "delete events"),
            ("TRUNCATE parley.event", "truncate parley.event"),
            ("UPDATE parley.schema_migrations SET checksum = 'x'", "rewrite the record of migrations"),
            ("DROP TABLE parley.event", "drop a table"),
            ("DROP VIEW parley.progress", "drop a view"),
            ("ALTER TABLE parley.event ADD COLUMN x int", "alter a table"),
            ("CREATE TABLE parley.x (a int)", "create a table in parley"),
            ("CREATE TABLE public.x (a int)", "create a table in public"),
            ("CREATE FUNCTION parley.f () RETURNS int LANGUAGE sql AS 'SELECT 1'", "create a function"),
            ("CREATE SCHEMA x", "create a schema"),
            ("SELECT parley.ingest_store_events()", "call an ingest step"),
            ("SELECT parley.ingest_rebuild_stakeholders()", "call an ingest step"),
            ("SELECT parley.set_target(1, NULL)", "call set_target()"),
        ]
        for sql, what in checks:
            refused(writer, sql, "the writer may not " + what)
        print("as the writer: %d reads, writes, DDL and calls refused (42501)" % len(checks), flush=True)
        # What it may call besides the ingest: the notes retention (--notes-retention-days).
        _, rows = writer.query("SELECT parley.retention_blank_notes(36500, 10)")
        if rows[0][0] != 0:
            fail("retention of 100 years blanked %s events" % rows[0][0])

        # Its own staging tables, with a trigger that would run with the owner's rights.
        _, before = owner.query("SELECT target FROM parley.settings")
        conn = psycopg2.connect(writer.conninfo)
        try:
            cur = conn.cursor()
            # It says whose rights it ran with (the transaction would roll back anything it did).
            cur.execute("CREATE FUNCTION pg_temp.evil () RETURNS trigger LANGUAGE plpgsql AS"
                        " $$BEGIN UPDATE parley.settings SET target = 1;"
                        " RAISE EXCEPTION 'trigger ran as %', current_user; END$$")
            for t in ("parley_incoming (ord int)", "parley_delta (sign int)",
                      "parley_accepted (ord int)", "parley_slow (x text)"):
                cur.execute("CREATE TEMP TABLE %s" % t)
                # Open to anyone, so that the owner's rights are not what stops it.
                cur.execute("GRANT ALL ON pg_temp.%s TO PUBLIC" % t.split()[0])
            cur.execute("CREATE TRIGGER evil AFTER DELETE ON pg_temp.parley_delta"
                        " FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.evil()")
            conn.commit()
            try:
                cur.execute("SELECT * FROM parley.ingest_batch()")
                conn.commit()
                fail("parley.ingest_batch() ran on staging tables the writer made itself")
            except psycopg2.Error as e:
                conn.rollback()
                if e.pgcode != "42501" or "ingest_prepare" not in str(e):
                    fail("ingest_batch on the writer's own tables: %s %s" % (e.pgcode, e))
        finally:
            conn.close()
        _, after = owner.query("SELECT target FROM parley.settings")
        if after != before:
            fail("the writer's trigger ran with the owner's rights: target %s, was %s" % (after, before))
        print("as the writer: ingest_batch() refuses staging tables it did not make", flush=True)

        # The analyst: the views, never parley.event nor delivered_by.
        _, rows = analyst.query("SELECT count(*) FROM parley.constituency_summary")
        if rows[0][0] == 0:
            fail("the analyst reads no row of parley.constituency_summary")
        refused(analyst, "SELECT raw FROM parley.event LIMIT 1", "the analyst may not read raw events")
        refused(analyst, "SELECT delivered_by FROM parley.event LIMIT 1", "the analyst may not read delivered_by")
        refused(analyst, "UPDATE parley.settings SET target = 1", "the analyst may not write")
        _, rows = owner.query("SELECT table_name FROM information_schema.columns"
                              " WHERE table_schema = 'parley' AND column_name = 'delivered_by'")
        if [r[0] for r in rows] != ["event"]:
            fail("delivered_by is in %s, expected parley.event only" % [r[0] for r in rows])
        print("as the analyst: views read, parley.event and delivered_by refused", flush=True)

        # A writer's collector on a schema behind this build (a changed repeatable file).
        owner.query("UPDATE parley.schema_repeatables SET checksum = 'older'"
                    " WHERE name = (SELECT min(name) FROM parley.schema_repeatables) RETURNING name")
        rc, log = start_refused(h, writer, "collector-writer-behind")
        if rc != 1 or len(log_lines(log, "database schema is behind this collector")) != 1:
            fail("a writer's collector on a schema behind: exit %s, expected 1:\n%s" % (rc, log))
        print("as the writer: a schema behind this build is refused (exit 1)", flush=True)
    finally:
        roles.drop()


if __name__ == "__main__":
    harness.main(globals())
