"""Metrics and health (docs/OPERATIONS.md, "Metrics and health"): real parley-collector and
parley-agent with --metrics-bind, a generated stream with duplicates, conflicts and invalid
lines, and a raw PARLEY/1 client sending events the collector rejects for known reasons.
/metrics is parsed as Prometheus text (a parser of the test's own) and its counters must equal
what the test generated and sent; /readyz answers 503 with the reason while the database is
stopped and 200 once it is back (the collector reconnects without traffic); the agent is not
ready without a collector, and `parley-agent status` reads the backlog it left in its spool."""
# ctest-timeout: 600

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import generator  # noqa: E402
import harness  # noqa: E402
from harness import fail, free_port, listening, wait_for  # noqa: E402

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_exposition(text):
    """Prometheus text 0.0.4 → {(name, frozenset(labels)): value}, and {family: type}. Fails on
    a sample without a # TYPE before it, a malformed line, or a series given twice."""
    types, samples = {}, {}
    for n, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            if typ not in ("counter", "gauge", "histogram", "summary", "untyped"):
                fail("line %d: unknown type %r" % (n, typ))
            types[name] = typ
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            fail("line %d is not a sample: %r" % (n, line))
        name, labels_text, value = m.group(1), m.group(3), m.group(4)
        labels = {}
        if labels_text:
            pos = 0
            while pos < len(labels_text):
                lm = LABEL.match(labels_text, pos)
                if not lm:
                    fail("line %d: bad labels %r" % (n, labels_text))
                labels[lm.group(1)] = re.sub(r'\\(.)', lambda e: "\n" if e.group(1) == "n" else e.group(1),
                                             lm.group(2))
                pos = lm.end()
        family = re.sub(r'_(bucket|sum|count)$', "", name) if name not in types else name
        if family not in types:
            fail("line %d: %s has no # TYPE" % (n, name))
        key = (name, frozenset(labels.items()))
        if key in samples:
            fail("line %d: %s%s given twice" % (n, name, labels))
        samples[key] = float(value)
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def http_get(port, path, timeout=10):
    """(status, body text); None when nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode()
    except (ConnectionError, OSError):
        return None
    finally:
        conn.close()


def scrape(port):
    got = http_get(port, "/metrics")
    if not got or got[0] != 200:
        fail("GET /metrics on %d: %r" % (port, got))
    return parse_exposition(got[1])


def event(**kw):
    e = {"event_id": str(uuid.uuid4()), "type": "conversation.reported",
         "reported_at": "2025-03-01T10:00:00Z", "occurred_on": "2025-02-28",
         "association": {"id": "HA1"}, "constituency": {"code": "E14001063"},
         "stakeholder": {"role": "mp", "name": "Jane Smith"}}
    e.update(kw)
    return json.dumps(e).encode()


def raw_batch(h, endpoint, lines, seq=1, timeout=30):
    """One BATCH from a client of the test's own, with a key of its own (the collector tells
    agents apart by key); the outcome frames."""
    ctx = zmq.Context.instance()
    _, _, cert = h.make_agent_key("raw-client", region=",".join(harness.region_codes()))
    s = harness.secure(ctx.socket(zmq.DEALER), cert=cert)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    try:
        s.send_multipart([b"PARLEY/1", b"BATCH", str(seq).encode(), *lines])
        if not s.poll(timeout * 1000):
            fail("no reply to the raw batch")
        reply = s.recv_multipart()
        if reply[1] != b"OUTCOMES":
            fail("raw batch answered %r" % reply[:4])
        return [f.decode() for f in reply[3:]]
    finally:
        s.close(0)


EXPORTED = {}  # family → type, from the scrapes of the tests above the last one
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def kinds(feeds):
    k = {}
    for f in feeds:
        for line in f:
            k[line.kind] = k.get(line.kind, 0) + 1
    return k


def test_collector_and_agent_counters_equal_what_was_generated(h):
    g = generator.Generator(seed=h.seed(1111), conversations=h.scale(400))
    feeds = g.arrange("natural", feeds=2)
    paths, _ = generator.write_feeds(feeds, h.path("feeds"), ["a.jsonl", "b.jsonl"])
    k = kinds(feeds)
    valid = [l for f in feeds for l in f if l.kind in ("event", "resend")]
    distinct = len({l.event.event_id for l in valid})

    db = h.create_database("metrics")
    cport, aport = free_port(), free_port()
    col = h.start_collector(db, args=["--metrics-bind", "127.0.0.1:%d" % cport])
    wait_for(lambda: listening(cport), 30, "the collector's metrics port")
    if http_get(cport, "/healthz") != (200, "ok\n"):
        fail("collector /healthz: %r" % (http_get(cport, "/healthz"),))
    wait_for(lambda: http_get(cport, "/readyz") == (200, "ready\n"), 30, "collector ready")

    # Events the collector itself rejects, for reasons it names (the agent would have
    # refused them): two lines that are not JSON objects, a bad occurred_on, a bad event_id.
    raw = [b"not json", b"[1,2]", event(occurred_on="2025-13-40"), event(event_id="nope"),
           event(), event()]
    out = raw_batch(h, col.endpoint, raw)
    if [o.split("\t")[0] for o in out] != ["rejected"] * 4 + ["accepted"] * 2:
        fail("raw batch outcomes: %r" % out)
    raw_rejected = {"malformed": 2, "occurred_on": 1, "event_id": 1}

    run = h.run_agent(col.endpoint, h.path("spool-1"), paths, args=["--metrics-bind", "127.0.0.1:%d" % aport])
    if run.rc != 0:
        fail("agent failed: %r" % run)
    s, types = scrape(cport)
    EXPORTED.update(types)
    want = {"parley_collector_events_accepted_total": distinct + 2,
            "parley_collector_events_duplicate_total": len(valid) - distinct,
            "parley_collector_batches_total": None}
    for name, v in want.items():
        got = value(s, name)
        if got is None or (v is not None and got != v):
            fail("%s = %r, expected %r" % (name, got, v))
    rejected = {dict(lbl)["reason"]: v for (n, lbl), v in s.items()
                if n == "parley_collector_events_rejected_total"}
    expect_rejected = dict(raw_rejected)
    if k.get("conflict"):
        expect_rejected["conflict"] = k["conflict"]
    if rejected != expect_rejected:
        fail("rejected by reason %r, expected %r" % (rejected, expect_rejected))
    received = value(s, "parley_collector_events_received_total")
    sent = len(valid) + k.get("conflict", 0) + len(raw)
    if received is None or received < sent:
        fail("events received %r, at least %d sent" % (received, sent))
    if types.get("parley_collector_transaction_duration_seconds") != "histogram":
        fail("no transaction histogram: %r" % types)
    count = value(s, "parley_collector_transaction_duration_seconds_count")
    inf = value(s, "parley_collector_transaction_duration_seconds_bucket", le="+Inf")
    if not count or inf != count:
        fail("transaction histogram: count %r, +Inf bucket %r" % (count, inf))
    if not value(s, "parley_collector_connected_agents") or value(s, "parley_collector_connected_agents") < 2:
        fail("connected agents %r, expected at least 2 (the raw client and the agent)" % (
            value(s, "parley_collector_connected_agents"),))
    seen = [v for (n, _), v in s.items() if n == "parley_collector_agent_last_seen_seconds"]
    if len(seen) != value(s, "parley_collector_known_agents") or not all(0 <= v < 120 for v in seen):
        fail("agent last-seen gauges %r" % seen)
    peers = {dict(labels).get("peer") for (n, labels) in s if n == "parley_collector_agent_last_seen_seconds"}
    if h.keys()["agent_cert"]["public"] not in peers:
        fail("the agent is not known by its CURVE key: peers %r" % peers)
    if value(s, "parley_collector_database_up") != 1:
        fail("database_up is not 1")
    print("collector: accepted %d, duplicates %d, rejected %r, %d transactions" % (
        distinct + 2, len(valid) - distinct, rejected, count))
    t0 = time.monotonic()
    for _ in range(50):
        scrape(cport)
    print("50 scrapes of the collector's /metrics: %.1f ms each" % ((time.monotonic() - t0) * 1000 / 50))
    col.stop()


def test_collector_not_ready_while_its_database_is_stopped(h):
    cluster = h.new_cluster()
    db = h.create_database("metrics_down", cluster=cluster)
    cport = free_port()
    col = h.start_collector(db, args=["--metrics-bind", "127.0.0.1:%d" % cport])
    wait_for(lambda: http_get(cport, "/readyz") == (200, "ready\n"), 30, "collector ready")
    cluster.stop()
    got = wait_for(lambda: (lambda r: r if r and r[0] == 503 else None)(http_get(cport, "/readyz")),
                   30, "503 from /readyz with the database stopped")
    if "database not connected" not in got[1]:
        fail("/readyz body without the reason: %r" % got[1])
    s, _ = scrape(cport)
    if value(s, "parley_collector_database_up") != 0:
        fail("database_up is not 0 with the database stopped")
    if http_get(cport, "/healthz") != (200, "ok\n"):
        fail("/healthz must stay 200: the process is alive")
    print("stopped: %r" % got[1].strip())
    cluster.start()
    # No batch comes: the collector reconnects by itself.
    wait_for(lambda: http_get(cport, "/readyz") == (200, "ready\n"), 60, "ready again after the restart")
    s, _ = scrape(cport)
    if not value(s, "parley_collector_database_reconnects_total"):
        fail("no reconnect counted")
    col.stop()


def test_collector_answers_readyz_while_a_connection_attempt_hangs(h):
    """A database address that accepts TCP and never answers: the first connection attempt
    waits 10 s for it, and /readyz must answer meanwhile, promptly, not after."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        cport, bport = free_port(), free_port()
        col = h.spawn("collector-silent-db", [
            h.collector, "--db", "host=127.0.0.1 port=%d dbname=x user=x" % silent.getsockname()[1],
            "--bind", "tcp://127.0.0.1:%d" % bport, "--metrics-bind", "127.0.0.1:%d" % cport])
        wait_for(lambda: listening(cport), 30, "the collector's metrics port")
        time.sleep(1)  # into the attempt
        for _ in range(5):
            t0 = time.monotonic()
            got = http_get(cport, "/readyz", timeout=3)
            took = time.monotonic() - t0
            if not got or got[0] != 503 or "database not connected" not in got[1]:
                fail("/readyz during a hanging connect: %r after %.1f s" % (got, took))
        print("/readyz during a hanging connect answered in %.2f s: %r" % (took, got[1].strip()))
        col.stop()
    finally:
        silent.close()


def test_agent_readiness_and_status_follow_its_backlog(h):
    g = generator.Generator(seed=h.seed(2222), conversations=h.scale(100))
    feeds = g.arrange("natural", feeds=1)
    paths, _ = generator.write_feeds(feeds, h.path("feeds-3"), ["only.jsonl"])
    k = kinds(feeds)
    lines = sum(k.values())
    spooled = lines - k.get("invalid", 0)
    spool = h.path("spool-3")
    aport = free_port()
    dead = "tcp://127.0.0.1:%d" % free_port()
    agent = h.start_agent(dead, spool, paths, once=False, args=["--metrics-bind", "127.0.0.1:%d" % aport])
    wait_for(lambda: listening(aport), 30, "the agent's metrics port")
    got = http_get(aport, "/readyz")
    if not got or got[0] != 503 or "no collector has answered" not in got[1]:
        fail("agent /readyz without a collector: %r" % (got,))

    def settled():
        s, _ = scrape(aport)
        return s if value(s, "parley_agent_events_spooled_total") == spooled else None
    s = wait_for(settled, 60, "every valid line spooled")
    EXPORTED.update(scrape(aport)[1])
    checks = {("parley_agent_lines_read_total", (("input", paths[0]),)): lines,
              ("parley_agent_lines_rejected_total", ()): k.get("invalid", 0),
              ("parley_agent_unacknowledged_events", ()): spooled,
              ("parley_agent_events_accepted_total", ()): 0,
              ("parley_agent_ready", ()): 0,
              ("parley_agent_quarantined_records_total", ()): 0}
    for (name, labels), v in checks.items():
        if value(s, name, **dict(labels)) != v:
            fail("%s%s = %r, expected %r" % (name, dict(labels), value(s, name, **dict(labels)), v))
    spool_bytes = value(s, "parley_agent_spool_bytes")
    if not spool_bytes:
        fail("spool bytes %r" % spool_bytes)
    if agent.stop(timeout=20) != 0:
        fail("agent did not stop cleanly:\n%s" % agent.tail())

    # The backlog, from the spool on disk, without an agent.
    out = subprocess.run([h.agent, "status", "--spool", spool], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        fail("parley-agent status: %d %s" % (out.returncode, out.stderr))
    st = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', out.stdout))
    if int(st.get("events", -1)) != spooled or int(st.get("bytes", -1)) != spool_bytes:
        fail("status %r, expected events=%d bytes=%d" % (out.stdout, spooled, spool_bytes))
    if st.get("oldest", "-") == "-":
        fail("status without the oldest unacknowledged time: %r" % out.stdout)
    print("status: %s" % out.stdout.strip())

    # With a collector: ready, and the backlog drains (status then says so too).
    db = h.create_database("metrics_agent")
    col = h.start_collector(db, args=["--metrics-bind", "off"])
    agent = h.start_agent(col.endpoint, spool, paths, once=False, args=["--metrics-bind", "127.0.0.1:%d" % aport],
                          name="agent-with-collector")
    wait_for(lambda: http_get(aport, "/readyz") == (200, "ready\n"), 60, "the agent ready with a collector")
    wait_for(lambda: value(scrape(aport)[0], "parley_agent_unacknowledged_events") == 0, 60, "an empty backlog")
    s, _ = scrape(aport)
    valid = [l for f in feeds for l in f if l.kind in ("event", "resend")]
    distinct = len({l.event.event_id for l in valid})
    got = {n: value(s, "parley_agent_events_%s_total" % n) for n in ("accepted", "duplicate", "rejected")}
    want = {"accepted": distinct, "duplicate": len(valid) - distinct, "rejected": k.get("conflict", 0)}
    if got != want or value(s, "parley_agent_ready") != 1:
        fail("after delivery: %r, expected %r; ready %r" % (got, want, value(s, "parley_agent_ready")))
    if agent.stop(timeout=20) != 0:
        fail("agent did not stop cleanly:\n%s" % agent.tail())
    out = subprocess.run([h.agent, "status", "--spool", spool], capture_output=True, text=True, timeout=30)
    st = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', out.stdout))
    if out.returncode != 0 or st.get("events") != "0" or st.get("oldest") != "-":
        fail("status after delivery: %r" % out.stdout)
    col.stop()



def test_dashboard_alerts_and_docs_name_only_exported_metrics(h):
    if not any(n.startswith("parley_collector_") for n in EXPORTED) or \
            not any(n.startswith("parley_agent_") for n in EXPORTED):
        fail("the tests above did not scrape both daemons")
    with open(os.path.join(SOURCE, "deploy", "grafana", "parley.json")) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    if not exprs:
        fail("the dashboard has no queries")
    with open(os.path.join(SOURCE, "docs", "OPERATIONS.md")) as f:
        doc = f.read()
    section = doc[doc.index("## Metrics and health"):]
    rules = re.search(r"### Alert rules\n+```yaml\n(.*?)```", section, re.S)
    if not rules:
        fail("no alert rules block in docs/OPERATIONS.md")

    def family(name):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        return base if EXPORTED.get(base) == "histogram" else name
    for where, text in [("dashboard", "\n".join(exprs)), ("alert rules", rules.group(1))]:
        used = {family(n) for n in re.findall(r"\bparley_[a-z_]+", text)}
        unknown = sorted(used - set(EXPORTED))
        if unknown:
            fail("the %s use metrics no daemon exports: %s" % (where, unknown))
        print("%s: %d metrics, all exported" % (where, len(used)))
    documented = set(re.findall(r"^\| `(parley_[a-z_]+)(?:\{[a-z]+\})?` \| (\w+) \|", section, re.M))
    exported = {(n, t) for n, t in EXPORTED.items() if n.startswith("parley_")}
    if documented != exported:
        fail("docs/OPERATIONS.md and /metrics differ: undocumented %s, not exported %s" % (
            sorted(exported - documented), sorted(documented - exported)))


if __name__ == "__main__":
    harness.main(globals())
