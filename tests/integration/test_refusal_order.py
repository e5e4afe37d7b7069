#!/usr/bin/python3
# ctest-timeout: 120
"""A client's batches are stored in its order even across a refusal (docs/PROTOCOL.md § 8,
"Order after a refusal"), against a real collector and PostgreSQL.

The database is taken away from the collector (connections to it disallowed, its session
ended): batch 2 is refused "database unavailable". The database comes back, and batch 3,
which holds a changed copy of batch 2's event (same event_id, different content), is sent
before batch 2 is resent: it must be refused too, so that when both are resent batch 2's
version is the one stored (the first stays) and batch 3's is the conflict. Another client
meanwhile is not held up.
"""

import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import fail  # noqa: E402

import zmq  # noqa: E402

VERSION = b"PARLEY/1"


def event(name, stance, event_id=None):
    return json.dumps({
        "event_id": event_id or str(uuid.uuid4()),
        "type": "conversation.reported",
        "reported_at": "2025-03-03T09:00:00Z",
        "occurred_on": "2025-02-28",
        "association": {"id": "ORDER"},
        "constituency": {"code": "E14001377"},
        "stakeholder": {"role": "mp", "name": name},
        "stance": stance,
    }).encode()


class Client:
    def __init__(self, ctx, endpoint):
        self.sock = harness.secure(ctx.socket(zmq.DEALER))
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)

    def batch(self, seq, events):
        self.sock.send_multipart([VERSION, b"BATCH", str(seq).encode()] + events)

    def reply(self, timeout=15):
        if not self.sock.poll(timeout * 1000):
            fail("no reply within %d s" % timeout)
        version, command, seq, *rest = self.sock.recv_multipart()
        return command.decode(), int(seq) if seq else None, [r.decode() for r in rest]


def set_connections(h, db, allowed):
    conn = h.admin()
    try:
        with conn.cursor() as cur:
            cur.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS %s'
                        % (db.name, "true" if allowed else "false"))
            if not allowed:
                cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid()", (db.name,))
    finally:
        conn.close()


def test_batches_after_a_refused_one_wait_for_it(h):
    db = h.create_database("refusal_order")
    col = h.start_collector(db)
    ctx = zmq.Context()
    a, b = Client(ctx, col.endpoint), Client(ctx, col.endpoint)
    try:
        a.batch(1, [event("first person", 1)])
        r = a.reply()
        if r[:2] != ("OUTCOMES", 1) or r[2] != ["accepted"]:
            fail("batch 1: %r" % (r,))

        shared_id = str(uuid.uuid4())
        original = event("second person", 2, shared_id)
        changed = event("second person", -2, shared_id)

        set_connections(h, db, False)
        try:
            a.batch(2, [original])
            r = a.reply()
            if r[:2] != ("ERROR", 2) or r[2] != ["database unavailable, resend later"]:
                fail("batch 2 while the database is away: %r" % (r,))
        finally:
            set_connections(h, db, True)
        time.sleep(1.0)  # past the collector's first retry wait: the database is usable

        # Batch 3 before batch 2 is resent: held back, whatever the database's state.
        a.batch(3, [changed])
        r = a.reply()
        if r[:2] != ("ERROR", 3) or r[2] != ["an earlier batch was refused, resend it first"]:
            fail("batch 3 sent before the refused batch 2 came back: %r" % (r,))

        # Another client is not held up by client A's refusal.
        b.batch(3, [event("third person", 0)])
        r = b.reply()
        if r[:2] != ("OUTCOMES", 3) or r[2] != ["accepted"]:
            fail("client B's batch while client A is held: %r" % (r,))

        # Resent in order: 2 is stored, 3 is the conflict.
        a.batch(2, [original])
        r = a.reply()
        if r[:2] != ("OUTCOMES", 2) or r[2] != ["accepted"]:
            fail("batch 2 resent: %r" % (r,))
        a.batch(3, [changed])
        r = a.reply()
        if r[:2] != ("OUTCOMES", 3) or not r[2][0].startswith("rejected\tevent_id\tconflict: "):
            fail("batch 3 resent after batch 2: %r" % (r,))

        _, rows = db.query("SELECT stance FROM parley.event WHERE event_id = %s", (shared_id,))
        if rows != [(2,)]:
            fail("stored version of the shared event_id: %r, expected batch 2's stance 2" % (rows,))
        _, rows = db.query("SELECT conversations, stance_champion, stance_opposed "
                           "FROM parley.constituency_summary WHERE constituency_code = 'E14001377'")
        if rows != [(3, 1, 0)]:
            fail("constituency summary: %r, expected 3 conversations, 1 champion, 0 opposed" % (rows,))
    finally:
        a.sock.close(0)
        b.sock.close(0)
        ctx.destroy(0)
    rc = col.stop(timeout=10)
    if rc != 0:
        fail("collector exited with status %s:\n%s" % (rc, col.tail()))


if __name__ == "__main__":
    harness.main(globals())
