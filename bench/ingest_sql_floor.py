#!/usr/bin/python3
"""What the SQL alone costs: the floor under end-to-end ingest for Parley's store shape.

Times, on a private cluster with fsync on, the same N events (bench/ingest_vs_copy.py's
generator) written in 50 transactions (2,000 events each, what the collector commits at
a time with the agent's defaults) by plain SQL with no agent, collector or trigger in the way:

  A  COPY into a plain table with parley.event's columns (the ingest_vs_copy baseline)
  B  the same with `raw` as text instead of jsonb (what jsonb parsing costs)
  C  COPY into a temporary staging table only (the collector's first step)
  D  C + INSERT … SELECT … ON CONFLICT (event_id) DO NOTHING into a copy of parley.event
     (with its primary key): how events are stored today
  E  D + one INSERT … ON CONFLICT DO UPDATE … WHERE newer into a copy of parley.conversation
     (its three indexes): the least a conversation state costs
  F  a narrow staging table (identity and attributes only) + probe of the known event_ids +
     COPY of the new rows straight into parley.event + the conversation upsert of E: is the
     double write of the wide row what costs?

    bench/ingest_sql_floor.py [--events 100000] [--build-dir build]

Comparing each with A says how far any collector built on that shape can get towards
"0.6 × COPY" (issue 2), before aggregates, triggers, the agent or the network.
"""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ingest_vs_copy as b  # noqa: E402

NARROW = ["event_id", "type", "reported_at", "occurred_on", "association_id", "constituency_code",
          "stakeholder_role", "person_key", "stance", "topics", "follow_up"]
NARROW_TABLE = ("(event_id uuid, type text, reported_at timestamptz, occurred_on date, association_id text, "
                "constituency_code text, stakeholder_role text, person_key text, stance smallint, "
                "topics text[], follow_up boolean)")
UPSERT = """
INSERT INTO {conv} AS s (constituency_code, association_id, stakeholder_role, person_key, occurred_on,
                         event_id, reported_at, counts, stakeholder_name, stance, topics, follow_up)
SELECT DISTINCT ON (constituency_code, association_id, stakeholder_role, person_key, occurred_on)
       constituency_code, association_id, stakeholder_role, person_key, occurred_on,
       event_id, reported_at, type <> 'conversation.withdrawn', '', stance, topics, follow_up
  FROM {src}
 ORDER BY constituency_code, association_id, stakeholder_role, person_key, occurred_on,
          reported_at DESC, event_id DESC
ON CONFLICT (constituency_code, association_id, stakeholder_role, person_key, occurred_on)
DO UPDATE SET event_id = EXCLUDED.event_id, reported_at = EXCLUDED.reported_at, counts = EXCLUDED.counts,
              stance = EXCLUDED.stance, topics = EXCLUDED.topics, follow_up = EXCLUDED.follow_up,
              updated_at = now()
 WHERE (EXCLUDED.reported_at, EXCLUDED.event_id) > (s.reported_at, s.event_id)"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=100000)
    ap.add_argument("--transactions", type=int, default=50)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--build-dir", default=os.path.join(b.SOURCE_DIR, "build"))
    args = ap.parse_args()
    collector = os.path.join(args.build_dir, "collector", "parley-collector")
    n, k = args.events, args.transactions

    rows = b.copy_text(r for _, r in b.generate(n, args.seed)).split(b"\n")[:-1]
    cols = ", ".join(b.COPY_COLUMNS)
    idx = [b.COPY_COLUMNS.index(c) for c in NARROW]
    per = n // k
    chunks = []
    for i in range(k):
        part = rows[i * per:(i + 1) * per]
        chunks.append({"full": b"".join(r + b"\n" for r in part),
                       "ids": [r.split(b"\t", 1)[0].decode() for r in part],
                       "narrow": b"".join(b"\t".join(r.split(b"\t")[j] for j in idx) + b"\n" for r in part)})
    n = per * k

    work = tempfile.mkdtemp(prefix="parley-sqlfloor-")
    os.chmod(work, 0o755)
    cluster = b.Cluster(os.path.join(work, "pg"))
    try:
        cluster.create_db("floor")
        subprocess.run([collector, "--db", cluster.conninfo("floor"), "--migrate-only", "--log-level", "warn"],
                       check=True)
        results = []

        def timed(label, setup, body):
            conn = cluster.connect("floor", autocommit=False)
            cur = conn.cursor()
            for q in setup:
                cur.execute(q)
            conn.commit()
            cur.execute("CHECKPOINT")
            conn.commit()
            t0 = time.monotonic()
            for c in chunks:
                body(cur, c)
                conn.commit()
            took = time.monotonic() - t0
            conn.close()
            results.append((label, took))
            base = results[0][1]
            print("%-78s %6.2f s %8.0f events/s  %.2f × A" % (label, took, n / took, base / took), flush=True)

        def copy(cur, table, columns, payload):
            cur.copy_expert("COPY %s (%s) FROM STDIN" % (table, columns), io.BytesIO(payload), size=1 << 20)

        def fresh(t, like, what="INCLUDING ALL"):
            return ["DROP TABLE IF EXISTS %s" % t, "CREATE TABLE %s (LIKE %s %s)" % (t, like, what)]

        def stage_wide(cur, c):
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS wide (LIKE parley.event INCLUDING DEFAULTS) "
                        "ON COMMIT DELETE ROWS")
            copy(cur, "wide", cols, c["full"])

        def wide(cur, c, conv):
            stage_wide(cur, c)
            cur.execute("INSERT INTO ev (%s) SELECT %s FROM wide ON CONFLICT (event_id) DO NOTHING" % (cols, cols))
            if conv:
                cur.execute(UPSERT.format(conv="cv", src="wide"))

        def narrow(cur, c):
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS narrow %s ON COMMIT DELETE ROWS" % NARROW_TABLE)
            copy(cur, "narrow", ", ".join(NARROW), c["narrow"])
            cur.execute("SELECT event_id::text FROM ev WHERE event_id = ANY(%s::uuid[])", (c["ids"],))
            if cur.fetchall():
                sys.exit("generated event_ids repeat")
            copy(cur, "ev", cols, c["full"])
            cur.execute(UPSERT.format(conv="cv", src="narrow"))

        timed("A COPY into a plain table with parley.event's columns (baseline)",
              fresh("plain", "parley.event", "INCLUDING DEFAULTS"), lambda cur, c: copy(cur, "plain", cols, c["full"]))
        timed("B the same, raw as text rather than jsonb",
              fresh("plain", "parley.event", "INCLUDING DEFAULTS") + ["ALTER TABLE plain ALTER raw TYPE text"],
              lambda cur, c: copy(cur, "plain", cols, c["full"]))
        timed("C COPY into a temporary staging table only", [], stage_wide)
        timed("D C + INSERT … ON CONFLICT DO NOTHING into parley.event's copy (today)",
              fresh("ev", "parley.event"), lambda cur, c: wide(cur, c, False))
        timed("E D + conversation upsert (parley.conversation's copy, 3 indexes)",
              fresh("ev", "parley.event") + fresh("cv", "parley.conversation"), lambda cur, c: wide(cur, c, True))
        timed("F narrow staging + probe + COPY straight into parley.event + upsert",
              fresh("ev", "parley.event") + fresh("cv", "parley.conversation"), narrow)
    finally:
        cluster.destroy()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
