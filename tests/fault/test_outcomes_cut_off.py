# ctest-timeout: 300
"""Fault 6 (a regression test for what fault 1 found): the connection drops while the agent is
in the middle of reading a many-frame OUTCOMES message. A fake collector (a ROUTER in Python)
answers the agent's first batch with an OUTCOMES of 200,000 frames and kills itself 50 ms
later. With ZMQ_IMMEDIATE set on its DEALER, libzmq 4.3.4 aborted the agent ("Assertion
failed: !_more (src/fq.cpp:112)") in 2 runs of 3. The agent must survive, and deliver its
events to a real collector started on the same endpoint afterwards."""

import os
import sys
import textwrap
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402

FAKE = textwrap.dedent("""\
    import os, signal, sys, time, zmq
    s = zmq.Context().socket(zmq.ROUTER)
    s.bind(sys.argv[1])
    while True:
        msg = s.recv_multipart()
        if msg[2] == b"PING":
            s.send_multipart([msg[0], b"PARLEY/1", b"PONG"] + msg[3:4])
        elif msg[2] == b"BATCH":
            s.send_multipart([msg[0], b"PARLEY/1", b"OUTCOMES", msg[3]] + [b"accepted"] * int(sys.argv[2]))
            time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGKILL)
    """)

LINE = ('{"event_id":"%s","type":"conversation.reported","reported_at":"2024-03-01T10:00:00Z",'
        '"occurred_on":"2024-02-28","association":{"id":"NHA"},"constituency":{"code":"E14001063"},'
        '"stakeholder":{"role":"councillor","name":"Jane Smith"},"stance":1,"topics":["repairs"]}\n')


def test_connection_dropped_mid_outcomes(h):
    fake = h.path("fake_collector.py")
    with open(fake, "w") as f:
        f.write(FAKE)
    db = h.create_database("fault_outcomes_cut")
    ids = set()
    for round_ in range(1, 4):
        feed = h.path("round-%d" % round_, "feed.jsonl")
        with open(feed, "w") as f:
            for _ in range(50):
                eid = str(uuid.uuid4())
                ids.add(eid)
                f.write(LINE % eid)
        port = harness.free_port()
        endpoint = "tcp://127.0.0.1:%d" % port
        fk = h.spawn("fake-collector", [sys.executable, fake, endpoint, "200000"])
        harness.wait_for(lambda: harness.listening(port) or not fk.alive(), 10, "the fake collector to listen")
        # The fake collector speaks plaintext: the agent gets no keys.
        agent = h.start_agent(endpoint, h.path("round-%d" % round_, "spool"), [feed], keys=False)
        fk.wait(20)  # it kills itself right after answering
        time.sleep(1.0)
        if "Assertion failed" in agent.log() or not agent.alive():
            fail("round %d: the agent died when the connection dropped mid-OUTCOMES (status %s):\n%s" % (
                round_, agent.poll(), agent.tail(8)))
        col = h.start_collector(db, port=port, args=["--insecure"])  # the agent has no keys
        run = h.finish_agent(agent, timeout=60)
        if run.rc != 0:
            fail("round %d: agent failed: %r" % (round_, run))
        faultlib.stop_collector(col)
        faultlib.assert_spool_empty(h.path("round-%d" % round_, "spool"))
        log("round %d: the agent survived the cut-off OUTCOMES and delivered its 50 events: %s" % (
            round_, run.stdout.strip()))
    got = set(faultlib.stored_event_ids(db))
    if got != ids:
        fail("stored %d events, expected the %d sent (%d missing)" % (len(got), len(ids), len(ids - got)))
    faultlib.assert_all_exited(h)
    log("all %d events stored once; every process has exited" % len(ids))


if __name__ == "__main__":
    harness.main(globals())
