# ctest-timeout: 300
"""Issue 10, "Connections": with 1,024 file descriptors (systemd's default when a unit sets no
LimitNOFILE), about 1,100 idle connections made the collector spin at 100 % CPU and stop
answering, logging nothing. The collector now keeps a ceiling of its own (the descriptor
limit less a margin, or --max-connections), closes connections beyond it at once, says so
once, and keeps serving the agents already connected.

The collector runs under prlimit --nofile=1024:1024 (its soft limit cannot be raised past
the hard one). 1,100 raw TCP connections that never speak are opened and held while a real
agent delivers 2,000 events: all of them must be stored, within the time limit, and the log
must say the limit was reached."""

import json
import os
import resource
import socket
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402

IDLE = 1100
EVENTS = 2000


def feed(path, n):
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({
                "event_id": str(uuid.uuid4()), "type": "conversation.reported",
                "reported_at": "2026-01-10T10:00:00Z", "occurred_on": "2026-01-09",
                "association": {"id": "LIMIT"}, "constituency": {"code": "E14001063"},
                "stakeholder": {"role": "councillor", "name": "Person %d" % i}, "stance": 1,
            }) + "\n")


def test_idle_connections_beyond_the_descriptor_limit_do_not_stop_delivery(h):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < IDLE + 200:
        raise harness.Skip("this test needs %d descriptors of its own (hard limit %d)" % (IDLE + 200, hard))
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    db = h.create_database("fault_connection_limit")
    port = harness.free_port()
    endpoint = "tcp://127.0.0.1:%d" % port
    col = h.spawn("collector", ["prlimit", "--nofile=1024:1024", h.collector, "--db", db.conninfo,
                                "--bind", endpoint])
    harness.wait_for(lambda: harness.listening(port) or not col.alive(), 30, "the collector to listen")
    harness.wait_for(lambda: "max_connections=896 fd_limit=1024" in col.log() or not col.alive(), 10,
                     "the collector's connection limit line")
    # The agent connects first (a --follow agent, its feed still empty): connected agents
    # must keep being served while new connections beyond the ceiling are closed.
    path = h.path("limit.jsonl")
    open(path, "w").close()
    agent = h.start_agent(endpoint, h.path("spool"), [path], once=False, args=["--follow"])
    harness.wait_for(lambda: "connected to collector" in agent.log() or not agent.alive(), 30,
                     "the agent to connect")
    idle = []
    try:
        for _ in range(IDLE):
            s = socket.socket()
            s.settimeout(5)
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            idle.append(s)
        log("%d idle connections opened" % len(idle))
        harness.wait_for(lambda: "connection limit reached" in col.log() or not col.alive(), 20,
                         "the collector to say its limit is reached")
        t0 = time.monotonic()
        feed(h.path("limit.part"), EVENTS)
        os.rename(h.path("limit.part"), path + ".new")
        with open(path + ".new") as src, open(path, "a") as dst:
            dst.write(src.read())
        # Well within the 30 s after which the collector's libzmq drops connections that
        # never finish their handshake: the idle ones are still there throughout.
        harness.wait_for(lambda: len(faultlib.stored_event_ids(db)) >= EVENTS or not col.alive(),
                         25, "the %d events to be stored with %d idle connections open"
                         % (EVENTS, len(idle)))
        took = time.monotonic() - t0
        if not col.alive():
            fail("the collector died:\n%s" % col.tail())
        got = len(faultlib.stored_event_ids(db))
        if got != EVENTS:
            fail("stored %d of %d events" % (got, EVENTS))
        said = col.log().count("connection limit reached, closing new connections")
        if said != 1:
            fail("the limit was said %d times (expected once):\n%s" % (said, col.tail()))
        if not agent.alive():
            fail("the agent died:\n%s" % agent.tail())
        log("%d events delivered in %.1f s with %d idle connections open; the limit logged once"
            % (EVENTS, took, len(idle)))
    finally:
        for s in idle:
            s.close()
    agent.stop()
    faultlib.stop_collector(col)


if __name__ == "__main__":
    harness.main(globals())
