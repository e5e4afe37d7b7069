#!/usr/bin/python3
"""Loads a large number of conversations into a Parley database and times every view.

Issue 4 asks that every view answer in under 200 ms with 1,000,000 conversations. This
script fills a database through the collector's own set-based ingest function
(parley.ingest_prepare / parley.ingest_batch, the same SQL the collector runs per batch,
so every aggregate is exercised), then runs each view several times and prints
the median and the worst time.

    bench/analytics_views.py --db "host=/tmp/pg dbname=bench" [--conversations 1000000]

The database must already have the schema (start parley-collector on it once, or apply
deploy/sql/*.sql and seed parley.constituency). Events are generated, not read: 650
constituencies, 200 associations, about 40 people per constituency, dates over two years,
with amendments (10 %) and withdrawals (3 %) on top. Use /usr/bin/python3 (psycopg2).
"""
import argparse
import datetime
import io
import json
import random
import statistics
import sys
import time
import uuid

import psycopg2

ROLES = ['mp', 'councillor', 'peer', 'mayor', 'official', 'opinion_former']
TOPICS = ['housing_supply', 'damp_mould', 'planning', 'net_zero', 'homelessness', 'rent_policy',
          'social_care', 'building_safety', 'regeneration', 'supported_housing', 'land', 'finance']

VIEWS = {
    'progress': 'SELECT * FROM parley.progress',
    'constituency_summary': 'SELECT * FROM parley.constituency_summary',
    'constituency_summary (one)': "SELECT * FROM parley.constituency_summary WHERE constituency_code = 'E14001063'",
    'constituency_topics': 'SELECT * FROM parley.constituency_topics',
    'region_summary': 'SELECT * FROM parley.region_summary',
    'weekly_progress': 'SELECT * FROM parley.weekly_progress',
    'campaign_target': 'SELECT * FROM parley.campaign_target',
    'association_summary': 'SELECT * FROM parley.association_summary',
    'stakeholder_summary': 'SELECT * FROM parley.stakeholder_summary',
    'stakeholder_summary (one constituency)':
        "SELECT * FROM parley.stakeholder_summary WHERE constituency_code = 'E14001063'",
    'stakeholder_summary (sceptical)': 'SELECT * FROM parley.stakeholder_summary WHERE latest_stance = -1',
    'mp_mismatches': 'SELECT * FROM parley.mp_mismatches',
    'sitting_mps': 'SELECT * FROM parley.sitting_mps',
    'topics across constituencies (parley topics)':
        'SELECT topic, sum(conversations) FROM parley.constituency_topics GROUP BY topic',
}

COLUMNS = ('ord', 'event_id', 'type', 'reported_at', 'occurred_on', 'association_id', 'association_name',
           'constituency_code', 'stakeholder_role', 'stakeholder_name', 'person_key', 'party', 'format',
           'stance', 'topics', 'follow_up', 'notes', 'raw')


def copy_text(v):
    if v is None:
        return '\\N'
    if isinstance(v, list):
        return '{' + ','.join(v) + '}'
    return str(v).replace('\\', '\\\\').replace('\t', '\\t').replace('\n', '\\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--db', default='', help='libpq connection string (default: the environment)')
    ap.add_argument('--conversations', type=int, default=1_000_000)
    ap.add_argument('--batch', type=int, default=10_000, help='events per ingest_batch call')
    ap.add_argument('--runs', type=int, default=7)
    ap.add_argument('--seed', type=int, default=4)
    ap.add_argument('--skip-load', action='store_true', help='only time the views')
    args = ap.parse_args()

    rnd = random.Random(args.seed)
    conn = psycopg2.connect(args.db)
    cur = conn.cursor()
    cur.execute('SELECT code FROM parley.constituency ORDER BY code')
    codes = [r[0] for r in cur.fetchall()]
    cur.execute('SELECT constituency_code, person_key FROM parley.mp')
    sitting = dict(cur.fetchall())
    if len(codes) != 650:
        sys.exit('bench: parley.constituency has %d rows, not 650: start parley-collector on the database first'
                 % len(codes))

    if not args.skip_load:
        cur.execute('SELECT parley.ingest_prepare()')
        conn.commit()
        start_day = datetime.date(2025, 1, 6)
        made = []  # (assoc, code, role, key, name, day) of conversations, for amendments
        reported = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        seq = 0
        total_events = 0
        t0 = time.monotonic()
        target = args.conversations
        while len(made) < target or total_events < target * 1.13:
            buf = io.StringIO()
            for ord_ in range(args.batch):
                r = rnd.random()
                if made and r < 0.10:
                    c = rnd.choice(made)
                    typ = 'conversation.amended'
                elif made and r < 0.13:
                    c = rnd.choice(made)
                    typ = 'conversation.withdrawn'
                elif len(made) < target:
                    code = rnd.choice(codes)
                    role = ROLES[min(int(rnd.expovariate(0.9)), 5)]
                    if role == 'mp' and code in sitting and rnd.random() < 0.95:
                        key = sitting[code]
                    else:
                        key = 'person %d' % rnd.randrange(40)
                    c = ('HA%03d' % rnd.randrange(200), code, role, key, key.title(),
                         start_day + datetime.timedelta(days=rnd.randrange(700)))
                    made.append(c)
                    typ = 'conversation.reported'
                else:
                    c = rnd.choice(made)
                    typ = 'conversation.amended'
                seq += 1
                reported += datetime.timedelta(microseconds=1000)
                withdrawn = typ == 'conversation.withdrawn'
                row = (ord_, uuid.UUID(int=rnd.getrandbits(128)), typ, reported.isoformat(), c[5].isoformat(),
                       c[0], 'Association ' + c[0], c[1], c[2], c[4], c[3], None,
                       None if withdrawn else 'meeting',
                       None if withdrawn else rnd.choice([None, -2, -1, 0, 0, 1, 1, 2]),
                       None if withdrawn else rnd.sample(TOPICS, rnd.randrange(4)),
                       None if withdrawn else rnd.random() < 0.2, None, json.dumps({'n': seq}))
                buf.write('\t'.join(copy_text(v) for v in row) + '\n')
            buf.seek(0)
            cur.copy_expert('COPY pg_temp.parley_incoming (%s) FROM STDIN' % ', '.join(COLUMNS), buf)
            cur.execute('SELECT count(*) FROM parley.ingest_batch()')
            cur.fetchall()
            conn.commit()
            total_events += args.batch
            if total_events % (args.batch * 10) == 0:
                print('bench: %d events, %d conversations, %.0f s' % (total_events, len(made),
                                                                      time.monotonic() - t0), flush=True)
        print('bench: loaded %d events in %.0f s' % (total_events, time.monotonic() - t0))
        conn.autocommit = True
        cur.execute('VACUUM ANALYZE')
        conn.autocommit = False

    cur.execute('SELECT conversations FROM parley.progress')
    print('bench: %d conversations that count' % cur.fetchone()[0])
    cur.execute('SELECT count(*) FROM parley.stakeholder_summary')
    print('bench: %d stakeholders' % cur.fetchone()[0])
    # Two measures per view: the server's own time to answer (EXPLAIN ANALYZE: planning plus
    # execution, every row produced), and the time for this client to receive every row
    # (psycopg2 builds a Python tuple per row, which dominates for the largest views).
    print('%-46s %10s %10s %10s %8s' % ('view', 'server', 'client', 'worst', 'rows'))
    worst_server = 0.0
    for name, sql in VIEWS.items():
        server, client = [], []
        rows = 0
        for _ in range(args.runs):
            cur.execute('EXPLAIN (ANALYZE, FORMAT JSON) ' + sql)
            plan = cur.fetchone()[0][0]
            server.append(plan['Planning Time'] + plan['Execution Time'])
            t = time.monotonic()
            cur.execute(sql)
            rows = len(cur.fetchall())
            client.append((time.monotonic() - t) * 1000)
        conn.rollback()
        worst_server = max(worst_server, statistics.median(server))
        print('%-46s %8.1fms %8.1fms %8.1fms %8d' % (name, statistics.median(server), statistics.median(client),
                                                     max(client), rows))
    print('bench: slowest server median %.1f ms (%s 200 ms)' % (worst_server,
                                                                 'under' if worst_server < 200 else 'OVER'))


if __name__ == '__main__':
    main()
