"""--once for cron and timers, and --check for feed owners: a --once run that cannot finish
exits 1 and says how many events are still unacknowledged (--timeout with no collector; a
SIGTERM while events are pending), a finished one exits 0; --check validates JSON lines and
CSV exports offline (no collector, no spool) with a report naming reasons and lines, exit
0/1, and usage errors exit 2."""
# ctest-timeout: 300

import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import forms  # noqa: E402
import generator  # noqa: E402
import harness  # noqa: E402
from harness import fail, free_port  # noqa: E402


def event_lines(seed, n):
    g = generator.Generator(seed=seed, conversations=n, invalid=0, resend_rate=0)
    return [l for l in g.arrange("natural", feeds=1)[0] if l.kind == "event"]


def write(path, lines):
    with open(path, "wb") as f:
        for l in lines:
            f.write(l.data + b"\n")


def test_once_timeout_without_a_collector_exits_1_with_the_pending_count(h):
    lines = event_lines(h.seed(51), 40)
    feed = h.path("in", "feed.jsonl")
    write(feed, lines)
    nobody = "tcp://127.0.0.1:%d" % free_port()
    t0 = time.monotonic()
    p = h.start_agent(nobody, h.path("spool"), [feed], once=True, args=["--timeout", "2"])
    rc = p.wait(30)
    took = time.monotonic() - t0
    if rc != 1:
        fail("--once --timeout 2 with no collector: exit %s, expected 1:\n%s" % (rc, p.tail()))
    if not 1.5 <= took <= 6:
        fail("--timeout 2 took %.1f s" % took)
    m = re.search(r"timed out after 2 s: (\d+) events still unacknowledged", p.log())
    if not m or int(m.group(1)) != len(lines):
        fail("stderr does not give the %d pending events:\n%s" % (len(lines), p.tail()))

    # The events wait in the spool: a later run with a collector delivers them and exits 0.
    db = h.create_database("once")
    col = h.start_collector(db)
    r = h.run_agent(col.endpoint, h.path("spool"), [feed], args=["--timeout", "60"], name="agent-later")
    if r.rc != 0 or r.summary.get("accepted") != len(lines):
        fail("the later run: %r" % r)
    col.stop()


def test_once_interrupted_with_events_pending_exits_1(h):
    lines = event_lines(h.seed(52), 20)
    feed = h.path("in", "feed2.jsonl")
    write(feed, lines)
    nobody = "tcp://127.0.0.1:%d" % free_port()
    p = h.start_agent(nobody, h.path("spool2"), [feed], once=True, name="agent-interrupted")
    harness.wait_for(lambda: "agent started" in p.log(), 10, "the agent to start")
    time.sleep(0.5)
    p.signal(signal.SIGTERM)
    rc = p.wait(5)
    if rc != 1:
        fail("--once interrupted with events pending: exit %s, expected 1" % rc)
    if "%d events still unacknowledged" % len(lines) not in p.log():
        fail("stderr does not say how many are pending:\n%s" % p.tail())


def check(h, *args, stdin=None):
    out = subprocess.run([h.agent, "--check", *args], capture_output=True, text=True,
                         timeout=60, input=stdin)
    return out.returncode, out.stdout, out.stderr


def test_check_reports_and_exit_statuses(h):
    good = event_lines(h.seed(53), 30)
    ok = h.path("check", "good.jsonl")
    write(ok, good)
    rc, out, err = check(h, ok)
    if rc != 0 or ("%d lines read, %d would be accepted" % (len(good), len(good))) not in out:
        fail("a clean feed: exit %s, %r %r" % (rc, out, err))

    # Bad lines at known places: the report names the field, the reason and the lines.
    bad = h.path("check", "bad.jsonl")
    with open(bad, "wb") as f:
        for i, l in enumerate(good[:12], 1):
            if i in (3, 7):
                obj = json.loads(l.data)
                obj["stance"] = "keen"
                f.write(json.dumps(obj).encode() + b"\n")
            elif i == 9:
                f.write(b"{not json\n")
            else:
                f.write(l.data + b"\n")
        f.write(b"\n")
    rc, out, _ = check(h, bad)
    if rc != 1:
        fail("a feed with bad lines: exit %s, expected 1:\n%s" % (rc, out))
    for want in ("12 lines read, 9 would be accepted", "3 rejected", "1 blank line skipped",
                 "line 9:", "line 3:", "line 7:"):
        if want not in out:
            fail("the report lacks %r:\n%s" % (want, out))

    # A CSV export through its mapping; no --connect, no --spool, nothing written.
    export = forms.Export("google", seed=h.seed(53))
    export.add_rows(25)
    text = export.text().splitlines(True)
    text[5] = text[5].replace("Very receptive", "Quite keen").replace("Sceptical", "Quite keen") \
        .replace("Hostile", "Quite keen").replace("Receptive", "Quite keen") \
        .replace("Neutral", "Quite keen").replace("Not sure", "Quite keen")
    csv_path = h.path("check", "export.csv")
    with open(csv_path, "w", encoding="utf-8", newline="") as f:
        f.writelines(text)
    before = set(os.listdir(h.path("check")))
    rc, out, _ = check(h, "--mapping", export.mapping, csv_path, ok)
    if rc != 1 or "25 rows read, 24 would be accepted" not in out or "line 6:" not in out \
            or '"How receptive were they?"' not in out:
        fail("the CSV report: exit %s:\n%s" % (rc, out))
    if set(os.listdir(h.path("check"))) != before:
        fail("--check wrote files")

    # Usage errors: exit 2 with one line.
    rc, _, err = check(h, csv_path)
    if rc != 2 or "--mapping" not in err:
        fail("a .csv without --mapping: exit %s %r" % (rc, err))
    broken = h.path("check", "broken.ini")
    with open(broken, "w") as f:
        f.write("[feed]\nname = x\n[stance]\nvery = Very receptive\n")
    rc, _, err = check(h, "--mapping", broken, csv_path)
    if rc != 2 or not re.search(r"broken\.ini line \d+", err):
        fail("a broken mapping: exit %s %r (expected 2 naming file and line)" % (rc, err))
    rc, _, err = check(h)
    if rc != 2:
        fail("--check without INPUT: exit %s %r" % (rc, err))
    # Standard input is a JSON-lines input too.
    rc, out, _ = check(h, "-", stdin=good[0].data.decode() + "\n")
    if rc != 0 or "1 lines read, 1 would be accepted" not in out:
        fail("--check -: exit %s %r" % (rc, out))


if __name__ == "__main__":
    harness.main(globals())
