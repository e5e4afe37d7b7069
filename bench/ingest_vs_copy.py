#!/usr/bin/python3
"""End-to-end ingest (parley-agent --once → parley-collector → PostgreSQL) against
PostgreSQL's own durable COPY of the same events, on a private cluster with fsync on.

Issue 2 ("Design for what comes next") sets the later target: end-to-end ingest at no less
than 0.6 × PostgreSQL's own durable COPY of the same events on the same machine. This
script measures both and prints events/s for each and the ratio.

    bench/ingest_vs_copy.py [--events 100000] [--build-dir build] [--runs 1]
                            [--agent-arg=--batch=1000 …] [--collector-arg=… …]
                            [--perf] [--keep] [--work-dir DIR]

What it does:
  1. generates N distinct valid events (seeded: same N, same bytes): new reports in all 650
     constituencies, 10 % amendments and 3 % withdrawals of earlier conversations, notes of
     0–400 bytes; a line is 250–700 bytes;
  2. starts a private PostgreSQL cluster with deploy/scripts/pg-private --fsync on (never off:
     this is the durable number), with synchronous_commit on (the default);
  3. baseline: a fresh database, `parley-collector --migrate-only` so that parley.event
     exists, `CREATE TABLE event_copy (LIKE parley.event INCLUDING DEFAULTS)` (the same
     columns, no index or check), then one `COPY event_copy FROM STDIN` of the N rows, already
     normalised the way the collector stores them, and COMMIT; timed from the COPY to the
     commit's return. The same COPY into a table with parley.event's primary key is timed too
     (for information: the store must have that index);
  4. end to end: a fresh database, parley-collector started and listening, then
     `parley-agent --once` on the feed with an empty spool, timed from the agent's start to
     its exit (every event read, spooled, sent, committed and acknowledged);
  5. prints events/s for each, the ratio, and where the CPU went (agent, collector and
     PostgreSQL's processes, from /proc and wait4), WAL bytes, the collector's transactions.
With --perf it also records the collector, agent and PostgreSQL backends with `perf record -g`
during the end-to-end run and prints the top symbols of each.

Uses /usr/bin/python3 (python3-psycopg2). The cluster lives in the work dir (default a new
directory under /tmp) and is destroyed at the end unless --keep.
"""

import argparse
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "lib"))
import generator  # noqa: E402  (person_key and the constituency list only)

try:
    import psycopg2
except ImportError:
    sys.exit("ingest_vs_copy: psycopg2 is missing (Debian: python3-psycopg2); run with /usr/bin/python3")

PG_PRIVATE = os.path.join(SOURCE_DIR, "deploy", "scripts", "pg-private")
TICK = os.sysconf("SC_CLK_TCK")
STARTED = []  # processes to kill if the run fails half way


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# Events

FIRST = ["Alison", "Ben", "Chidi", "Dafydd", "Eilidh", "Fatima", "Gareth", "Hannah", "Imran",
         "Jane", "Kofi", "Lucy", "Mairead", "Niamh", "Owen", "Priya", "Rhys", "Sian", "Tom", "Zara"]
LAST = ["Reed", "Smith", "Okafor", "Jones", "MacLeod", "Khan", "Evans", "Patel", "Hughes",
        "O'Neill", "Campbell", "Williams", "Murphy", "Taylor", "Brown", "Wilson", "Davies"]
ROLES = ["mp"] * 4 + ["councillor"] * 4 + ["peer", "mayor", "official", "opinion_former"]
FORMATS = ["meeting", "site_visit", "call", "event", "correspondence"]
TOPICS = ["damp_and_mould", "retrofit", "supply", "planning", "homelessness", "rent_policy",
          "building_safety", "regeneration", "supported_housing", "land", "finance", "net_zero"]
PARTIES = ["Labour", "Conservative", "Liberal Democrat", "SNP", "Plaid Cymru", "Green", None]
WORDS = ("the estate walk showed damp in three blocks and the councillor asked for a "
         "follow up on the retrofit programme timetable and funding").split()


def generate(n, seed):
    """n valid events: (line bytes, normalised row as a dict)."""
    rng = random.Random(seed)
    codes = [c.code for c in generator.CONSTITUENCIES]
    assocs = ["HA-%03d" % i for i in range(1, 201)]
    base = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.timezone.utc)
    convs = []  # identities reported so far, for amendments and withdrawals
    out = []
    for i in range(n):
        r = rng.random()
        reported = base + dt.timedelta(seconds=37 * i + rng.randrange(30))
        if convs and r < 0.13:
            ident = rng.choice(convs)
            typ = "conversation.amended" if r < 0.10 else "conversation.withdrawn"
        else:
            name = "%s%s %s%s" % (rng.choice(["", "", "", "Cllr ", "Rt Hon "]), rng.choice(FIRST),
                                  rng.choice(LAST), rng.choice(["", "", " MP"]))
            occurred = (reported - dt.timedelta(days=rng.randrange(0, 20))).date()
            ident = (rng.choice(assocs), rng.choice(codes), rng.choice(ROLES), name, occurred.isoformat())
            convs.append(ident)
            typ = "conversation.reported"
        assoc, code, role, name, occurred_on = ident
        ev = {"event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
              "type": typ,
              "reported_at": reported.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "occurred_on": occurred_on,
              "association": {"id": assoc.lower() if rng.random() < 0.2 else assoc,
                              "name": "Housing Association %s" % assoc[3:]},
              "constituency": {"code": code},
              "stakeholder": {"role": role, "name": name}}
        party = rng.choice(PARTIES)
        if party:
            ev["stakeholder"]["party"] = party
        attrs = {}
        if typ != "conversation.withdrawn":
            attrs = {"format": rng.choice(FORMATS),
                     "stance": rng.choice([-2, -1, 0, 1, 1, 2, 2, None]),
                     "topics": rng.sample(TOPICS, rng.randrange(0, 4)),
                     "follow_up": rng.random() < 0.3,
                     "notes": " ".join(rng.choice(WORDS) for _ in range(rng.randrange(0, 60)))[:400]}
            if attrs["stance"] is None:
                del attrs["stance"]
            ev.update(attrs)
        line = json.dumps(ev, separators=(",", ":")).encode()
        row = {"event_id": ev["event_id"], "type": typ, "reported_at": ev["reported_at"],
               "occurred_on": occurred_on, "association_id": assoc.upper(),
               "association_name": ev["association"]["name"], "constituency_code": code,
               "stakeholder_role": role, "stakeholder_name": name,
               "person_key": generator.person_key(name), "party": party,
               "format": attrs.get("format"), "stance": attrs.get("stance"),
               "topics": sorted(set(attrs["topics"])) if "topics" in attrs else None,
               "follow_up": attrs.get("follow_up"), "notes": attrs.get("notes"),
               "raw": line.decode()}
        out.append((line, row))
    return out


COPY_COLUMNS = ["event_id", "type", "reported_at", "occurred_on", "association_id", "association_name",
                "constituency_code", "stakeholder_role", "stakeholder_name", "person_key", "party",
                "format", "stance", "topics", "follow_up", "notes", "raw"]


def copy_text(rows):
    """COPY text format of the rows (columns COPY_COLUMNS)."""
    def field(v):
        if v is None:
            return "\\N"
        if isinstance(v, bool):
            return "t" if v else "f"
        if isinstance(v, list):
            v = "{" + ",".join(v) + "}"  # topic names are [a-z0-9_]: no quoting needed
        s = str(v)
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    buf = io.StringIO()
    for r in rows:
        buf.write("\t".join(field(r[c]) for c in COPY_COLUMNS))
        buf.write("\n")
    return buf.getvalue().encode()


# ---------------------------------------------------------------------------------------
# Processes and accounting

def proc_cpu(pid, children=False):
    """CPU seconds of pid (user + system; with its waited-for children when asked)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    t = int(fields[11]) + int(fields[12])
    if children:
        t += int(fields[13]) + int(fields[14])
    return t / TICK


def children_of(ppid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == ppid:
            out.append(int(d))
    return out


class Cluster:
    def __init__(self, directory):
        self.dir = directory
        out = subprocess.run([PG_PRIVATE, "start", directory, "--fsync", "on"], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit("pg-private start failed: %s" % out.stderr)
        log(out.stderr.strip().splitlines()[-1])
        env = subprocess.run([PG_PRIVATE, "env", directory], capture_output=True, text=True, check=True).stdout
        vals = dict(re.findall(r"^export (\w+)=(.*)$", env, re.M))
        self.host, self.port = vals["PGHOST"].strip("'"), vals["PGPORT"].strip("'")
        state = dict(l.split("=", 1) for l in open(os.path.join(directory, "pg-private.state")).read().split())
        self.data = os.path.join(state["base"], "data")

    def conninfo(self, db):
        return "host='%s' port=%s user=postgres dbname=%s" % (self.host, self.port, db)

    def connect(self, db="postgres", autocommit=True):
        c = psycopg2.connect(self.conninfo(db))
        c.autocommit = autocommit
        return c

    def sql(self, query, db="postgres"):
        """Runs one statement in autocommit; the rows if it returns any."""
        c = self.connect(db)
        try:
            cur = c.cursor()
            cur.execute(query)
            return cur.fetchall() if cur.description else None
        finally:
            c.close()

    def create_db(self, name):
        self.sql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
        self.sql('CREATE DATABASE "%s"' % name)

    def postmaster(self):
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())

    def cpu(self):
        """CPU seconds used so far by the postmaster and all its processes, live or gone."""
        pm = self.postmaster()
        return proc_cpu(pm, children=True) + sum(proc_cpu(p) for p in children_of(pm))

    def settings(self):
        return dict(self.sql("SELECT name, setting FROM pg_settings WHERE name IN "
                             "('fsync','synchronous_commit','full_page_writes','wal_sync_method',"
                             "'shared_buffers','max_wal_size','wal_level') ORDER BY name"))

    def destroy(self):
        subprocess.run([PG_PRIVATE, "destroy", self.dir], capture_output=True)

    def stop(self):
        subprocess.run([PG_PRIVATE, "stop", self.dir], capture_output=True)


def wal_position(cluster, db):
    return int(cluster.sql("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn", db)[0][0])


# ---------------------------------------------------------------------------------------
# The two measurements

def run_copy(cluster, collector, data, n, with_pk, tag):
    db = "bench_copy_%s" % tag
    cluster.create_db(db)
    subprocess.run([collector, "--db", cluster.conninfo(db), "--migrate-only", "--log-level", "warn"],
                   check=True)
    conn = cluster.connect(db, autocommit=False)
    cur = conn.cursor()
    cur.execute("CREATE TABLE public.event_copy (LIKE parley.event INCLUDING DEFAULTS)")
    if with_pk:
        cur.execute("ALTER TABLE public.event_copy ADD PRIMARY KEY (event_id)")
    conn.commit()
    cur.execute("CHECKPOINT")
    conn.commit()
    wal0 = wal_position(cluster, db)
    cpu0 = cluster.cpu()
    t0 = time.monotonic()
    cur.copy_expert("COPY public.event_copy (%s) FROM STDIN" % ", ".join(COPY_COLUMNS), io.BytesIO(data),
                    size=1 << 20)
    conn.commit()
    took = time.monotonic() - t0
    cpu = cluster.cpu() - cpu0
    wal1 = wal_position(cluster, db)
    cur.execute("SELECT count(*) FROM public.event_copy")
    got = cur.fetchone()[0]
    conn.close()
    if got != n:
        sys.exit("COPY stored %d rows, not %d" % (got, n))
    cluster.sql('DROP DATABASE "%s"' % db)
    return {"seconds": took, "eps": n / took, "pg_cpu": cpu, "wal": wal1 - wal0}


def vm_hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M)
            return int(m.group(1)) if m else 0
    except OSError:
        return 0


def wait4(popen, timeout):
    """Exit status, rusage and peak RSS (KiB) of a child, like Popen.wait. The peak is
    sampled from VmHWM while it runs: wait4's ru_maxrss would include the moment before exec
    when the child was a copy of this (large) Python process."""
    deadline = time.monotonic() + timeout
    hwm = 0
    while True:
        hwm = max(hwm, vm_hwm_kib(popen.pid))
        pid, status, ru = os.wait4(popen.pid, os.WNOHANG)
        if pid:
            popen.returncode = os.waitstatus_to_exitcode(status)
            return popen.returncode, ru, hwm
        if time.monotonic() > deadline:
            popen.kill()
            pid, status, ru = os.wait4(popen.pid, 0)
            popen.returncode = os.waitstatus_to_exitcode(status)
            raise TimeoutError("%s did not finish within %d s" % (popen.args[0], timeout))
        time.sleep(0.005)


def perf_start(pids, path):
    return subprocess.Popen(["perf", "record", "-q", "-g", "-F", "499", "-o", path, "-p", ",".join(map(str, pids))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def perf_report(path, top=10):
    """Samples per program, then each program's top symbols."""
    def report(*extra):
        out = subprocess.run(["perf", "report", "-i", path, "--no-children", "--stdio", "-g", "none"] + list(extra),
                             capture_output=True, text=True)
        return [l.rstrip() for l in out.stdout.splitlines() if l.strip() and not l.startswith("#")]
    lines = ["samples by program:"] + report("--sort", "comm")[:6]
    for comm in ("parley-agent", "parley-collecto", "postgres"):
        lines.append("%s, top symbols (%% of all samples):" % comm)
        lines += report("--comms", comm, "--sort", "dso,symbol")[:top]
    return "\n".join(lines)


def run_e2e(cluster, args, feed, n, tag, work):
    db = "bench_e2e_%s" % tag
    cluster.create_db(db)
    if args.setup_sql:
        subprocess.run([args.collector, "--db", cluster.conninfo(db), "--migrate-only", "--log-level", "warn"],
                       check=True)
        for q in args.setup_sql:
            cluster.sql(q, db)
    if args.profile_sql:
        cluster.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", db)
    col_log = open(os.path.join(work, "collector-%s.log" % tag), "wb")
    col = subprocess.Popen([args.collector, "--db", cluster.conninfo(db), "--bind", "tcp://127.0.0.1:*",
                            # plaintext on loopback (CURVE's cost is not what this measures)
                            "--insecure", "--stats-interval", "1"] + args.collector_arg,
                           stdout=col_log, stderr=col_log, start_new_session=True)
    STARTED.append(col)
    endpoint = None
    deadline = time.monotonic() + 60
    while endpoint is None:
        if col.poll() is not None:
            sys.exit("collector exited: %s" % open(col_log.name).read()[-2000:])
        if time.monotonic() > deadline:
            col.kill()
            sys.exit("collector not listening after 60 s")
        m = re.search(r'msg="?listening"? endpoint=(tcp://\S+)', open(col_log.name).read())
        if m:
            endpoint = m.group(1)
        else:
            time.sleep(0.02)
    spool = os.path.join(work, "spool-%s" % tag)
    shutil.rmtree(spool, ignore_errors=True)
    agent_log = open(os.path.join(work, "agent-%s.log" % tag), "wb")
    wal0 = wal_position(cluster, db)
    time.sleep(0.2)  # the collector's schema work done and its backend idle
    if args.profile_sql:
        cluster.sql("SELECT pg_stat_statements_reset()", db)
    pg0 = cluster.cpu()
    col0 = proc_cpu(col.pid)
    t0 = time.monotonic()
    agent = subprocess.Popen([args.agent, "--connect", endpoint, "--spool", spool, "--once"] + args.agent_arg + [feed],
                             stdout=subprocess.PIPE, stderr=agent_log)
    STARTED.append(agent)
    recorder = None
    if args.perf:
        time.sleep(0.05)
        backends = children_of(cluster.postmaster())
        recorder = perf_start([agent.pid, col.pid] + backends, os.path.join(work, "perf-%s.data" % tag))
    rc, ru, hwm = wait4(agent, args.timeout)
    took = time.monotonic() - t0
    col_cpu = proc_cpu(col.pid) - col0
    pg_cpu = cluster.cpu() - pg0
    if recorder:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(60)
    summary = agent.stdout.read().decode().strip()
    wal1 = wal_position(cluster, db)
    col.send_signal(signal.SIGTERM)
    col_rc = col.wait(30)
    col_log.close()
    agent_log.close()
    if rc != 0:
        sys.exit("agent exited %s: %s\n%s" % (rc, summary, open(agent_log.name).read()[-2000:]))
    if col_rc != 0:
        sys.exit("collector exited %s after SIGTERM" % col_rc)
    statements = None
    if args.profile_sql:
        statements = cluster.sql(
            "SELECT calls, total_exec_time, rows, wal_bytes, regexp_replace(query, '\\s+', ' ', 'g') "
            "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "ORDER BY total_exec_time DESC LIMIT %d" % args.profile_sql, db)
    stored = cluster.sql("SELECT count(*) FROM parley.event", db)[0][0]
    conversations = cluster.sql("SELECT conversations FROM parley.progress", db)[0][0]
    if stored != n:
        sys.exit("end to end stored %d events, not %d (agent: %s)" % (stored, n, summary))
    col_lines = open(col_log.name).read().splitlines()
    progress = [l for l in col_lines if "ingest totals" in l]
    rates = [int(m.group(1)) for m in (re.search(r"msg=\"ingest progress\".*\bevents_per_s=(\d+)", l)
                                       for l in col_lines) if m]
    m = re.search(r"\btransactions=(\d+)", progress[-1] if progress else "")
    commits = int(m.group(1)) if m else -1
    cluster.sql('DROP DATABASE "%s" WITH (FORCE)' % db)
    res = {"seconds": took, "eps": n / took, "agent_cpu": ru.ru_utime + ru.ru_stime,
           "agent_rss_kib": hwm, "collector_cpu": col_cpu, "pg_cpu": pg_cpu,
           "wal": wal1 - wal0, "summary": summary,
           "conversations": conversations, "commits": commits, "statements": statements, "rates": rates,
           "collector_totals": progress[-1] if progress else ""}
    if recorder:
        res["perf"] = perf_report(os.path.join(work, "perf-%s.data" % tag))
    return res


# ---------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--events", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=1, help="measure each side this many times; report the median")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--build-dir", default=os.path.join(SOURCE_DIR, "build"))
    ap.add_argument("--agent", help="parley-agent (default BUILD/agent/parley-agent)")
    ap.add_argument("--collector", help="parley-collector (default BUILD/collector/parley-collector)")
    ap.add_argument("--agent-arg", action="append", default=[],
                    help="extra agent option (repeatable), e.g. --agent-arg=--window=8")
    ap.add_argument("--collector-arg", action="append", default=[], help="extra collector option (repeatable)")
    ap.add_argument("--work-dir", help="scratch directory (default: a new one under /tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the cluster and the work dir")
    ap.add_argument("--perf", action="store_true", help="perf record the end-to-end run")
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--only", choices=["copy", "e2e"], help="measure only one side")
    ap.add_argument("--setup-sql", action="append", default=[], metavar="SQL",
                    help="experiments only: run SQL on the end-to-end database after the schema is made "
                         "and before the run (repeatable), e.g. to disable a trigger and see what it costs")
    ap.add_argument("--profile-sql", type=int, nargs="?", const=20, default=0, metavar="N",
                    help="load pg_stat_statements (track = all) and print the N statements that took "
                         "the most time during the end-to-end run (nested ones included; default 20)")
    args = ap.parse_args()
    args.agent = args.agent or os.path.join(args.build_dir, "agent", "parley-agent")
    args.collector = args.collector or os.path.join(args.build_dir, "collector", "parley-collector")
    for p in (args.agent, args.collector):
        if not os.access(p, os.X_OK):
            sys.exit("no program %s (build first: cmake --build %s --target parley-agent parley-collector)"
                     % (p, args.build_dir))
    work = os.path.abspath(args.work_dir) if args.work_dir else tempfile.mkdtemp(prefix="parley-bench-")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)

    t = time.monotonic()
    events = generate(args.events, args.seed)
    feed = os.path.join(work, "feed.jsonl")
    with open(feed, "wb") as f:
        for line, _ in events:
            f.write(line + b"\n")
    data = copy_text(r for _, r in events)
    sizes = [len(l) for l, _ in events]
    log("generated %d events in %.1f s: feed %.1f MB (lines %d..%d bytes, mean %d), COPY data %.1f MB"
        % (len(events), time.monotonic() - t, os.path.getsize(feed) / 1e6, min(sizes), max(sizes),
           statistics.mean(sizes), len(data) / 1e6))
    del events

    cluster = Cluster(os.path.join(work, "pg"))
    try:
        if args.profile_sql:
            cluster.sql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
            subprocess.run([PG_PRIVATE, "restart", cluster.dir], check=True, capture_output=True)
            cluster.sql("ALTER SYSTEM SET pg_stat_statements.track = 'all'")
            cluster.sql("ALTER SYSTEM SET pg_stat_statements.max = 1000")
            subprocess.run([PG_PRIVATE, "restart", cluster.dir], check=True, capture_output=True)
            log("pg_stat_statements loaded (track = all): the times below carry its overhead")
        settings = cluster.settings()
        log("PostgreSQL settings: %s" % ", ".join("%s=%s" % kv for kv in settings.items()))
        if settings.get("fsync") != "on" or settings.get("synchronous_commit") != "on":
            sys.exit("refusing to benchmark without fsync and synchronous_commit on")
        copies, copies_pk, e2es = [], [], []
        for run in range(args.runs):
            if args.only != "e2e":
                for store, pk, name in ((copies, False, "COPY (plain table)     "),
                                        (copies_pk, True, "COPY (with primary key)")):
                    store.append(run_copy(cluster, args.collector, data, args.events, pk, "%s%d" % (pk, run)))
                    r = store[-1]
                    log("run %d: %s %6.2f s %8.0f events/s  pg cpu %.2f s, WAL %.1f MB"
                        % (run + 1, name, r["seconds"], r["eps"], r["pg_cpu"], r["wal"] / 1e6))
            if args.only != "copy":
                e2es.append(run_e2e(cluster, args, feed, args.events, "%d" % run, work))
                e = e2es[-1]
                log("run %d: end to end              %6.2f s %8.0f events/s  agent cpu %.2f s, collector cpu %.2f s, "
                    "pg cpu %.2f s, WAL %.1f MB, %d commits" % (run + 1, e["seconds"], e["eps"], e["agent_cpu"],
                                                                e["collector_cpu"], e["pg_cpu"], e["wal"] / 1e6,
                                                                e["commits"]))
    except BaseException:
        log("failed; logs kept in %s" % work)
        args.keep = True
        raise
    finally:
        for p in STARTED:
            if p.poll() is None:
                p.kill()
                p.wait()
        if args.keep:
            cluster.stop()
        else:
            cluster.destroy()

    def med(rs):
        return sorted(rs, key=lambda r: r["eps"])[len(rs) // 2] if rs else None
    c, cpk, e = med(copies), med(copies_pk), med(e2es)
    print("events: %d (seed %d, feed %.1f MB); PostgreSQL fsync=on synchronous_commit=on; %d run(s)%s"
          % (args.events, args.seed, os.path.getsize(feed) / 1e6, args.runs, ", median shown" if args.runs > 1 else ""))
    if args.agent_arg or args.collector_arg or args.setup_sql:
        print("options: agent %s; collector %s; setup SQL %s" % (args.agent_arg, args.collector_arg, args.setup_sql))
    if c:
        print("COPY into a plain table (baseline):   %8.0f events/s  (%.2f s, PostgreSQL CPU %.2f s, WAL %.1f MB)"
              % (c["eps"], c["seconds"], c["pg_cpu"], c["wal"] / 1e6))
        print("COPY into a table with the PK:        %8.0f events/s  (%.2f s, PostgreSQL CPU %.2f s, WAL %.1f MB)"
              % (cpk["eps"], cpk["seconds"], cpk["pg_cpu"], cpk["wal"] / 1e6))
    if e:
        print("end to end (agent -> collector -> PG): %7.0f events/s  (%.2f s; CPU: agent %.2f s, collector %.2f s, "
              "PostgreSQL %.2f s; WAL %.1f MB; %d transactions; agent peak RSS %.1f MB)"
              % (e["eps"], e["seconds"], e["agent_cpu"], e["collector_cpu"], e["pg_cpu"], e["wal"] / 1e6,
                 e["commits"], e["agent_rss_kib"] / 1024))
        print("agent: %s" % e["summary"])
        if e["rates"]:
            print("collector events/s, second by second: %s" % " ".join(map(str, e["rates"])))
        if e["collector_totals"]:
            print("collector: %s" % e["collector_totals"].split('msg="ingest totals" ', 1)[-1])
    if c and e:
        print("ratio end to end / COPY: %.3f (target later: >= 0.6)" % (e["eps"] / c["eps"]))
    if e and e.get("statements"):
        print("--- pg_stat_statements: the statements that took the most time (nested included; a "
              "function's time includes its statements') ---")
        print("%6s %9s %9s %9s %8s  %s" % ("calls", "total ms", "ms/call", "rows", "WAL MB", "statement"))
        for calls, total, rows, wal, q in e["statements"]:
            print("%6d %9.0f %9.1f %9d %8.1f  %s" % (calls, total, total / calls, rows, int(wal) / 1e6, q[:110]))
    if e and "perf" in e:
        print("--- perf: top symbols during the end-to-end run (comm, dso, symbol) ---")
        print(e["perf"])
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("kept %s" % work)


if __name__ == "__main__":
    main()
