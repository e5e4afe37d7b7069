"""Analysts on a streaming replica (docs/OPERATIONS.md, "Analysts on a replica"): a primary
and a hot standby made with pg_basebackup -R on loopback, a generated stream loaded through
the real agent and collector into the primary, and `parley progress` (and the other
read-only commands) run against the standby, as an analyst's login role, give the same
answer as against the primary once the standby has replayed the primary's WAL."""
# ctest-timeout: 600

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import generator  # noqa: E402
import harness  # noqa: E402
from harness import Database, assert_views, fail, read_views, wait_for  # noqa: E402


def state(cluster_dir):
    with open(os.path.join(cluster_dir, "pg-private.state")) as f:
        return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)


def as_server_user(argv):
    """PostgreSQL's tools as the server's user (pg-private runs the server as postgres when
    we are root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + argv
    return argv


def make_standby(h, primary, name="standby"):
    """A hot standby of primary: a pg-private cluster whose data directory is replaced by a
    pg_basebackup -R of the primary (which writes primary_conninfo and standby.signal);
    pg-private's own settings (port, socket) are rewritten at its start."""
    standby = h.new_cluster(name)
    standby.stop()
    base = state(standby.dir)["base"]
    bindir = subprocess.run([harness.PG_PRIVATE, "bindir"], capture_output=True, text=True,
                            check=True).stdout.strip()
    subprocess.run(as_server_user(["rm", "-rf", os.path.join(base, "data")]), check=True)
    out = subprocess.run(as_server_user([
        os.path.join(bindir, "pg_basebackup"), "-D", os.path.join(base, "data"), "-R", "-X", "stream",
        "-c", "fast", "-h", primary.env["PGHOST"], "-p", str(primary.env["PGPORT"]), "-U", "postgres"]),
        capture_output=True, text=True, cwd="/")
    if out.returncode != 0:
        fail("pg_basebackup failed: %s" % out.stderr.strip())
    standby.start()
    return standby


def test_progress_on_a_hot_standby_equals_the_primary(h):
    primary = h.new_cluster("primary")
    g = generator.Generator(seed=h.seed(1111), conversations=h.scale(3000))
    expected = g.expected()
    db = h.create_database("replica", cluster=primary)
    # The schema (and the roles, which belong to the cluster) exist before the standby is
    # made; the events come after, through replication.
    out = subprocess.run([h.collector, "--migrate-only", "--db", db.conninfo], capture_output=True,
                         text=True, timeout=120)
    if out.returncode != 0:
        fail("parley-collector --migrate-only failed: %s" % out.stderr.strip())
    conn = db.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE ROLE alice LOGIN IN ROLE parley_analyst")
    conn.close()
    standby = make_standby(h, primary)
    replica = Database(standby, db.name)
    _, rows = replica.query("SELECT pg_is_in_recovery()")
    if rows[0][0] is not True:
        fail("the standby is not in recovery")

    col = h.start_collector(db)
    feeds = g.arrange("natural", feeds=2)
    paths, _ = generator.write_feeds(feeds, h.path("feeds"), ["a.jsonl", "b.jsonl"])
    run = h.run_agent(col.endpoint, h.path("spool"), paths, timeout=300)
    if run.rc != 0:
        fail("agent failed: %r" % run)
    if col.stop(timeout=6) != 0:
        fail("collector did not stop cleanly:\n%s" % col.tail())
    assert_views(read_views(db), expected, "primary")

    _, rows = db.query("SELECT pg_current_wal_lsn()::text")
    lsn = rows[0][0]

    def replayed():
        _, r = replica.query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,))
        return r[0][0]
    wait_for(replayed, 120, "the standby to replay the primary's WAL up to %s" % lsn, interval=0.2)

    for d in (db, replica):
        d.conninfo = d.conninfo.replace("user=postgres", "user=alice")
    answers = {}
    for label, d in (("primary", db), ("standby", replica)):
        for command in (["progress"], ["progress", "--format", "csv"], ["regions", "--format", "csv"]):
            out = h.run_parley(d, *command)
            if out.returncode != 0:
                fail("parley %s on the %s failed (%d): %s" % (" ".join(command), label, out.returncode,
                                                             out.stderr.strip()))
            answers.setdefault(" ".join(command), {})[label] = out.stdout
    for command, by in answers.items():
        if by["primary"] != by["standby"]:
            fail("parley %s differs:\nprimary:\n%s\nstandby:\n%s" % (command, by["primary"], by["standby"]))
    p = expected["progress"]
    if str(p["conversations"]) not in answers["progress --format csv"]["standby"]:
        fail("parley progress on the standby does not show %d conversations:\n%s" % (
            p["conversations"], answers["progress --format csv"]["standby"]))
    for d in (db, replica):
        d.conninfo = d.conninfo.replace("user=alice", "user=postgres")
    assert_views(read_views(replica), expected, "standby")
    # A standby is read-only: a write through it fails, whoever asks.
    out = subprocess.run([h.collector, "rebuild", "--db", replica.conninfo], capture_output=True, text=True,
                         timeout=60)
    if out.returncode != 1 or "read-only" not in out.stderr:
        fail("parley-collector rebuild on the standby: exit %d, %s" % (out.returncode, out.stderr.strip()))
    print("parley progress on the standby equals the primary's: %s" % answers["progress --format csv"][
        "standby"].strip().replace("\n", " | "))


if __name__ == "__main__":
    harness.main(globals())
