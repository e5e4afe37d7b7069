"""The agent's webhook (docs/AGENT.md, "Webhook"): real parley-agent with --http-bind, real
parley-collector and PostgreSQL. One event, an array and JSON lines; mixed bodies answered
207 event by event; 400, 413, 415, 401 with a token; 503 while the spool is full, with
nothing of the refused request appended; no answer before the spool's fsync; and 8
concurrent clients while the agent is SIGKILLed and restarted: every event answered
"accepted" is stored exactly once, and the views equal the generator's ground truth."""
# ctest-timeout: 900

import http.client
import json
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import generator  # noqa: E402
import harness  # noqa: E402
from harness import assert_views, fail, free_port, listening, read_views, wait_for  # noqa: E402

JSON = "application/json"
NDJSON = "application/x-ndjson"


def post(port, body, ctype=JSON, token=None, timeout=30, chunked=False, path="/v1/events"):
    """(status, headers, parsed JSON body or None). Connection errors propagate."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {}
        if ctype:
            headers["Content-Type"] = ctype
        if token:
            headers["Authorization"] = "Bearer " + token
        if chunked:
            conn.request("POST", path, body=iter([body[i:i + 65536] for i in range(0, len(body), 65536)]),
                         headers=headers, encode_chunked=True)
        else:
            conn.request("POST", path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return r.status, {k.lower(): v for k, v in r.getheaders()}, parsed
    finally:
        conn.close()


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        conn.close()


def start_agent(h, endpoint, spool, port, args=(), env=None, name="agent"):
    argv = [h.agent, "--connect", endpoint, "--spool", spool, "--http-bind", "127.0.0.1:%d" % port,
            "--log-level", "debug", *args]
    p = h.spawn(name, argv, env=env)
    wait_for(lambda: listening(port) or not p.alive(), 20, "the webhook on port %d" % port)
    if not p.alive():
        fail("agent exited with status %s:\n%s" % (p.poll(), p.tail()))
    return p


def stored_ids(db):
    """The event_ids in parley.event ([] while a collector just started has no schema yet)."""
    try:
        _, rows = db.query("SELECT event_id::text FROM parley.event")
    except harness.psycopg2.Error:
        return []
    return [r[0] for r in rows]


def event_id(line):
    return json.loads(line.data)["event_id"].lower()


def valid_event(g):
    return [l for l in g.valid_lines() if l.kind == "event"]


def array_body(lines):
    return b"[" + b",\n  ".join(l.data for l in lines) + b"]"


def test_single_array_and_json_lines(h):
    g = generator.Generator(seed=h.seed(9101), conversations=60, invalid=0)
    events = valid_event(g)
    bad = [l for l in generator.Generator(seed=h.seed(9102), conversations=60).lines
           if l.kind == "invalid" and json_object(l.data)]
    db = h.create_database("webhook_formats")
    col = h.start_collector(db)
    port = free_port()
    agent = start_agent(h, col.endpoint, h.path("formats", "spool"), port)
    sent = []

    st, hd, body = post(port, events[0].data)
    check(st == 200 and body["results"] == [{"index": 1, "status": "accepted",
                                             "event_id": event_id(events[0])}], st, body)
    sent.append(events[0])

    # A pretty-printed array, and a UTF-8 byte-order mark with a charset parameter.
    st, _, body = post(port, b"\xef\xbb\xbf" + array_body(events[1:4]), ctype=JSON + "; charset=utf-8")
    check(st == 200 and [r["event_id"] for r in body["results"]] == [event_id(l) for l in events[1:4]]
          and body["accepted"] == 3, st, body)
    sent += events[1:4]

    # JSON lines, CRLF and blank lines: indexes count the events.
    text = b"\r\n".join(l.data for l in events[4:7]) + b"\r\n\r\n" + events[7].data + b"\n"
    st, _, body = post(port, text, ctype=NDJSON)
    check(st == 200 and [r["index"] for r in body["results"]] == [1, 2, 3, 4]
          and [r["event_id"] for r in body["results"]] == [event_id(l) for l in events[4:8]], st, body)
    sent += events[4:8]

    # Mixed: 207, one result per event in order, the rejected ones with field and reason.
    mixed = [events[8], bad[0], events[9], bad[1]]
    st, _, body = post(port, array_body(mixed))
    check(st == 207 and [r["status"] for r in body["results"]] ==
          ["accepted", "rejected", "accepted", "rejected"] and body["rejected"] == 2, st, body)
    for r in body["results"]:
        if r["status"] == "rejected" and not (r["reason"] and "field" in r):
            fail("rejected result without field and reason: %r" % r)
    sent += [events[8], events[9]]
    text = b"\n".join([events[10].data, b"this is not json", events[11].data])
    st, _, body = post(port, text, ctype=NDJSON)
    check(st == 207 and [r["status"] for r in body["results"]] == ["accepted", "rejected", "accepted"],
          st, body)
    sent += [events[10], events[11]]

    # None accepted: 400 with the results; not JSON: 400 naming where.
    st, _, body = post(port, array_body(bad[:3]))
    check(st == 400 and body["accepted"] == 0 and len(body["results"]) == 3 and body["error"], st, body)
    st, _, body = post(port, b'[{"a": 1},\n {"b": ]')
    check(st == 400 and "line 2" in body["error"] and "column" in body["error"], st, body)
    st, _, body = post(port, b"\n".join(l.data for l in events[12:14]))  # JSON lines as JSON
    check(st == 400 and "application/x-ndjson" in body["error"], st, body)
    st, _, body = post(port, events[12].data, ctype="text/plain")
    check(st == 415, st, body)
    st, _, body = post(port, events[12].data, ctype=None)
    check(st == 415, st, body)
    st, _, body = post(port, b"", ctype=JSON)
    check(st == 400 and "empty" in body["error"], st, body)

    # Other paths and methods; health.
    st, body = get(port, "/v1/nothing")
    check(st == 404, st, body)
    st, body = get(port, "/v1/events")
    check(st == 405, st, body)
    st, body = get(port, "/v1/health")
    check(st == 200 and body["status"] == "ok" and "pending" in body, st, body)

    want = sorted(event_id(l) for l in sent)
    wait_for(lambda: sorted(stored_ids(db)) == want, 30, "the %d accepted events in the database" % len(want))
    wait_for(lambda: get(port, "/v1/health")[1]["pending"] == 0, 30, "an empty spool")
    if agent.stop() != 0:
        fail("agent did not stop cleanly:\n%s" % agent.tail())
    log = agent.log()
    for needle in ('msg="request" peer=127.0.0.1 method=POST path="/v1/events" status=200',
                   'level=warn', 'status=415', 'status=404'):
        if needle not in log:
            fail("agent log lacks %r" % needle)


def json_object(data):
    try:
        return isinstance(json.loads(data.decode("utf-8")), dict)
    except (ValueError, UnicodeDecodeError):
        return False


def check(ok, status, body):
    if not ok:
        fail("unexpected answer %s: %s" % (status, json.dumps(body)[:2000]))


def test_limits_token_and_once(h):
    g = generator.Generator(seed=h.seed(9201), conversations=40, invalid=0)
    events = valid_event(g)
    db = h.create_database("webhook_limits")
    col = h.start_collector(db)
    token_file = h.path("limits", "token")
    token = "tok-%x" % random.SystemRandom().getrandbits(64)
    with open(token_file, "w") as f:
        f.write(token + "\n")
    os.chmod(token_file, 0o600)
    port = free_port()
    agent = start_agent(h, col.endpoint, h.path("limits", "spool"), port,
                        args=("--http-max-bytes", "64K", "--http-token-file", token_file))
    st, hd, body = post(port, events[0].data)
    check(st == 401 and "bearer" in hd.get("www-authenticate", "").lower(), st, body)
    st, _, body = post(port, events[0].data, token=token + "x")
    check(st == 401, st, body)
    st, _, body = post(port, events[0].data, token=token)
    check(st == 200, st, body)
    st, body = get(port, "/v1/health")  # never needs the token
    check(st == 200, st, body)
    big = b"[" + b",".join([events[1].data] * (70000 // len(events[1].data) + 1)) + b"]"
    st, _, body = post(port, big, token=token)
    check(st == 413 and "limit" in body["error"], st, body)
    st, _, body = post(port, big, token=token, chunked=True)
    check(st == 413, st, body)
    st, _, body = post(port, b"[" + b",".join(l.data for l in events[1:10]) + b"]", token=token)
    check(st == 200 and body["accepted"] == 9, st, body)
    want = sorted(event_id(l) for l in events[:10])
    wait_for(lambda: sorted(stored_ids(db)) == want, 30, "the accepted events stored")
    agent.stop()
    if token in agent.log():
        fail("the token appears in the agent's log")

    # --once with --http-bind is a usage error.
    p = h.spawn("agent-once", [h.agent, "-c", col.endpoint, "-s", h.path("limits", "spool2"), "--once",
                               "--http-bind", str(free_port())], capture_stdout=True)
    rc = p.wait(20)
    if rc != 2 or "--once cannot be used with --http-bind" not in p.log():
        fail("--once --http-bind: exit %s, log %s" % (rc, p.tail()))


def test_spool_full_answers_503_and_appends_nothing(h):
    g = generator.Generator(seed=h.seed(9301), conversations=2500, invalid=0)
    events = valid_event(g)
    db = h.create_database("webhook_full")
    col_port = free_port()  # no collector yet: nothing leaves the spool
    port = free_port()
    agent = start_agent(h, "tcp://127.0.0.1:%d" % col_port, h.path("full", "spool"), port,
                        args=("--spool-max", "256K"))
    accepted, refused_503, partial = [], [], 0
    i = 0
    while i < len(events):
        chunk = events[i:i + 25]
        st, hd, body = post(port, array_body(chunk))
        if st == 503:
            if hd.get("retry-after") != "5" or body["accepted"] != 0 or \
                    any(r["status"] != "not_taken" for r in body["results"]):
                fail("503 answer: %r %r" % (hd, body))
            refused_503 = chunk
            break
        check(st in (200, 207), st, body)
        for line, r in zip(chunk, body["results"]):
            if r["status"] == "accepted":
                accepted.append(line)
            elif r["status"] != "not_taken":
                fail("result %r for a valid event" % r)
        if st == 207:
            partial += 1
            if hd.get("retry-after") != "5":
                fail("207 with events not taken has no Retry-After: %r" % hd)
        i += len(chunk)
    if not refused_503:
        fail("the spool never filled (%d events accepted)" % len(accepted))
    print("spool full after %d accepted events (%d partial answers)" % (len(accepted), partial))
    st, body = get(port, "/v1/health")
    check(st == 200 and body["spool_paused"], st, body)

    # The collector comes: the spool drains, and nothing of the refused request is there.
    h.start_collector(db, port=col_port)
    want = sorted(event_id(l) for l in accepted)
    wait_for(lambda: sorted(stored_ids(db)) == want, 60, "the %d accepted events stored" % len(want))
    wait_for(lambda: get(port, "/v1/health")[1]["pending"] == 0, 30, "an empty spool")
    if set(event_id(l) for l in refused_503) & set(stored_ids(db)):
        fail("events of a request answered 503 reached the database")
    st, _, body = post(port, array_body(refused_503))
    check(st == 200, st, body)
    want = sorted(want + [event_id(l) for l in refused_503])
    wait_for(lambda: sorted(stored_ids(db)) == want, 30, "the resent events stored")
    agent.stop()


def test_no_answer_before_the_fsync(h):
    lib = os.environ.get("PARLEY_SLOW_FSYNC_LIB")
    if not lib or not os.path.exists(lib):
        raise harness.Skip("PARLEY_SLOW_FSYNC_LIB not built")
    g = generator.Generator(seed=h.seed(9401), conversations=30, invalid=0)
    events = valid_event(g)
    db = h.create_database("webhook_fsync")
    col = h.start_collector(db)
    port = free_port()
    env = dict(os.environ, LD_PRELOAD=lib, PARLEY_SLOW_FSYNC_MS="400")
    agent = start_agent(h, col.endpoint, h.path("fsync", "spool"), port, env=env)
    took = []
    for line in events[:6]:
        t0 = time.monotonic()
        st, _, body = post(port, line.data)
        took.append(time.monotonic() - t0)
        check(st == 200, st, body)
    print("answers with a 400 ms fsync took %s s" % ", ".join("%.3f" % t for t in took))
    if min(took) < 0.39:
        fail("an answer came %.3f s after its request, before the 400 ms fsync could end" % min(took))
    agent.stop(timeout=20)


def test_concurrent_clients_across_kill_9(h):
    g = generator.Generator(seed=h.seed(9501), conversations=h.scale(3000))
    lines = [l for l in g.lines if l.kind in ("event", "resend", "invalid")]  # conflicts need order
    rng = random.Random(h.seed(9501))
    rng.shuffle(lines)
    # Requests of 1 to 12 events: a single event, an array, or JSON lines (lines that are not
    # one JSON object go in JSON lines, where each is its own event).
    requests = []
    i = 0
    while i < len(lines):
        n = rng.choice([1, 1, 2, 5, 12])
        chunk = lines[i:i + n]
        i += n
        as_json = all(json_object(l.data) for l in chunk) and rng.random() < 0.6
        requests.append(chunk if as_json else ("ndjson", chunk))
    db = h.create_database("webhook_kill")
    col = h.start_collector(db)
    port = free_port()
    spool = h.path("kill", "spool")
    # A long group-commit wait would widen the window of an early answer; here every request
    # asks for its sync, so it is the kills that test what survives.
    state = {"agent": start_agent(h, col.endpoint, spool, port)}
    lock = threading.Lock()
    acked = {}        # event_id -> times answered accepted
    errors = []
    stats = {"requests": 0, "retries": 0, "answers": 0}
    queue = list(range(len(requests)))
    total_valid = sum(1 for l in lines if l.kind != "invalid")

    def body_of(req, r):
        if isinstance(req, tuple):
            return b"\n".join(l.data for l in req[1]) + b"\n", NDJSON, req[1]
        if len(req) == 1 and r.random() < 0.5:
            return req[0].data, JSON, req
        return array_body(req), JSON, req

    def client(k):
        r = random.Random(k)
        while True:
            with lock:
                if errors or not queue:
                    return
                req = requests[queue.pop(0)]
            pending = req
            for attempt in range(400):
                data, ctype, chunk = body_of(pending, r)
                try:
                    st, _, body = post(port, data, ctype=ctype, timeout=20)
                except (OSError, http.client.HTTPException):
                    with lock:
                        stats["retries"] += 1
                    time.sleep(0.05 + r.random() * 0.1)
                    continue
                with lock:
                    stats["answers"] += 1
                if st == 503:
                    time.sleep(0.1)
                    continue
                if st == 400 and (not body or "results" not in body):
                    # Refused as a whole (not JSON): only possible for invalid lines.
                    if any(l.kind != "invalid" for l in chunk):
                        with lock:
                            errors.append("valid events refused as a body: %r" % body)
                    break
                if st not in (200, 207, 400) or len(body["results"]) != len(chunk):
                    with lock:
                        errors.append("answer %s: %s" % (st, json.dumps(body)[:500]))
                    return
                again = []
                for line, res in zip(chunk, body["results"]):
                    if res["status"] == "accepted":
                        if line.kind == "invalid" or res["event_id"] != event_id(line):
                            with lock:
                                errors.append("accepted %r for %s line %r" % (res, line.kind, line.data[:200]))
                        with lock:
                            acked[res["event_id"]] = acked.get(res["event_id"], 0) + 1
                    elif res["status"] == "rejected":
                        if line.kind != "invalid":
                            with lock:
                                errors.append("valid line rejected: %r %r" % (res, line.data[:200]))
                    else:
                        again.append(line)
                if not again:
                    break
                pending = again if not isinstance(pending, tuple) else ("ndjson", again)
                time.sleep(0.05)
            else:
                with lock:
                    errors.append("a request was never answered")
            with lock:
                stats["requests"] += 1

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(8)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    kills = 0
    for fraction in (0.15, 0.35, 0.55, 0.75):
        wait_for(lambda: len(acked) >= fraction * total_valid * 0.9 or errors or
                 not any(t.is_alive() for t in threads), 300, "%d%% of the events answered" % (fraction * 100))
        if errors or not any(t.is_alive() for t in threads):
            break
        state["agent"].kill()
        kills += 1
        time.sleep(0.2)
        state["agent"] = start_agent(h, col.endpoint, spool, port)
    for t in threads:
        t.join(600)
    took = time.monotonic() - t0
    if errors:
        fail("%d client errors, e.g.: %s" % (len(errors), errors[:5]))
    print("%d requests, %d answers, %d connection retries, %d kills, in %.1f s" % (
        stats["requests"], stats["answers"], stats["retries"], kills, took), flush=True)
    if kills < 3:
        fail("only %d kills happened mid-stream" % kills)
    want = {event_id(l) for l in lines if l.kind != "invalid"}
    if set(acked) != want:
        fail("%d valid events never answered accepted" % len(want - set(acked)))
    # Everything answered accepted reaches the database, exactly once.
    wait_for(lambda: get(port, "/v1/health")[1]["pending"] == 0, 120, "an empty spool")
    _, rows = db.query("SELECT event_id::text, count(*) FROM parley.event GROUP BY 1")
    stored = {r[0]: r[1] for r in rows}
    missing = [e for e in acked if e not in stored]
    if missing:
        fail("%d events answered accepted are not in the database, e.g. %s" % (len(missing), missing[:5]))
    extra = set(stored) - want
    if extra or any(n != 1 for n in stored.values()):
        fail("unexpected rows in parley.event: %d extra" % len(extra))
    assert_views(read_views(db), g.expected(), "views after the kills")
    if state["agent"].stop(timeout=20) != 0:
        fail("agent did not stop cleanly")


if __name__ == "__main__":
    harness.main(globals())
