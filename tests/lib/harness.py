"""What every Python integration test shares: its command line (where the programs are), a
fresh database per test in the suite's private PostgreSQL, collectors and agents as real
processes with their logs captured, waiting with time limits, reading Parley's views, and
cleaning up so that nothing is left running, whatever happens.

A test file:

    import harness, generator            (tests/lib is put on sys.path by the file)

    def test_something(h):               (h is a Harness; every test_* runs, in order)
        db = h.create_database("something")
        col = h.start_collector(db)
        run = h.run_agent(col.endpoint, h.path("spool"), [feed])
        assert run.rc == 0, run

    if __name__ == "__main__":
        harness.main(globals())

Also: h.start_agent (in the background) / h.finish_agent, Process.kill (SIGKILL to the group)
and .stop (SIGTERM, then the exit status), h.new_cluster() for a test that restarts
PostgreSQL (cluster.restart(immediate=True) is `pg_ctl restart -m immediate`), read_views and
assert_views to compare Parley's four views with generator.Generator.expected(),
check_rejected for rejected.jsonl, wait_for(predicate, timeout, what).

Processes run in their own process group and get SIGKILL if the test process dies (even by
SIGKILL: PR_SET_PDEATHSIG); the harness kills every group it started when it exits, and checks
that they are gone. SIGTERM or SIGINT to the test (ctest's timeout) runs the same clean-up.
"""

import argparse
import ctypes
import datetime as dt
import decimal
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
import generator  # noqa: E402

try:
    import psycopg2
    import psycopg2.extensions
except ImportError:  # pragma: no cover
    sys.exit("harness: the Python module psycopg2 is missing (Debian: python3-psycopg2); "
             "run the tests with /usr/bin/python3")

SOURCE_DIR = os.environ.get("PARLEY_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
PG_PRIVATE = os.environ.get("PARLEY_PG_PRIVATE") or os.path.join(SOURCE_DIR, "deploy", "scripts", "pg-private")


# -- CurveZMQ keys ----------------------------------------------------------------------------
# Every collector and agent the harness starts gets keys (docs/SECURITY.md): one server pair
# (the collector's, and every hub's relay side), one agent pair authorised for every region
# (so it may report any event), made once per harness in its work folder by the programs'
# own `keygen`. Harness.spawn adds the options to a collector's or agent's command line that
# names none of its own; keys=False leaves the command line alone (tests of refusal).

_current = None  # the Harness of this process, for secure()


def read_cert(path):
    """{"public": Z85, "secret": Z85 or None, "meta": {name: value}} of a czmq zcert file."""
    out = {"public": None, "secret": None, "meta": {}}
    section = None
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            indent = len(line) - len(line.lstrip())
            key, _, value = line.strip().partition("=")
            key, value = key.strip(), value.strip().strip('"')
            if indent == 0:
                section = key
            elif section == "curve" and key == "public-key":
                out["public"] = value
            elif section == "curve" and key == "secret-key":
                out["secret"] = value
            elif section == "metadata":
                out["meta"][key] = value
    return out


def region_codes():
    """The 12 region codes of the compiled-in constituency table."""
    import csv
    with open(os.path.join(SOURCE_DIR, "common", "data", "constituencies-2024.csv")) as f:
        return sorted({row["region_code"] for row in csv.DictReader(f)})


def secure(sock, cert=None, server=None):
    """Makes a pyzmq socket a CURVE client of the harness's collector (before connect), with
    the harness's agent key unless cert (a read_cert dict) is given."""
    keys = _current.keys()
    cert = cert or keys["agent_cert"]
    import zmq
    sock.setsockopt_string(zmq.CURVE_PUBLICKEY, cert["public"])
    sock.setsockopt_string(zmq.CURVE_SECRETKEY, cert["secret"])
    sock.setsockopt_string(zmq.CURVE_SERVERKEY, server or keys["server_public"])
    return sock


class Skip(Exception):
    """Raised by a test that cannot run here (say, no permission to mount): the test file
    then exits 77, which CTest reports as skipped (SKIP_RETURN_CODE), with the message."""


class TestFailure(AssertionError):
    pass


def fail(msg):
    raise TestFailure(msg)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """True if something listens on 127.0.0.1:port (or any address), read from /proc/net/tcp
    so that probing makes no connection."""
    want = ":%04X" % port
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f)
                for row in f:
                    parts = row.split()
                    if parts[1].endswith(want) and parts[3] == "0A":
                        return True
        except OSError:
            continue
    return False


def wait_for(predicate, timeout, what, interval=0.05):
    """Calls predicate until it returns something true; fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            fail("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


_libc = None


def _die_with_parent():
    """Runs in the child before exec: SIGKILL when the test process dies."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:  # the parent died before prctl
        os._exit(1)


class Process:
    """A program started by the harness, in its own process group, stderr (and stdout unless
    captured) in a log file."""

    def __init__(self, harness, name, argv, capture_stdout=False, env=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = harness.path("%s.log" % name)
        self.stdout_path = harness.path("%s.stdout" % name) if capture_stdout else None
        self._log = open(self.log_path, "ab")
        self._out = open(self.stdout_path, "wb") if capture_stdout else None
        self._log.write(("# %s %s\n" % (dt.datetime.now().isoformat(timespec="milliseconds"),
                                         " ".join(self.argv))).encode())
        self._log.flush()
        self.started = time.monotonic()
        self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                      stdout=self._out or self._log, stderr=self._log,
                                      start_new_session=True, preexec_fn=_die_with_parent,
                                      env=env)
        self.pid = self.popen.pid
        self.rc = None
        self.gone = False  # the whole group has gone: never signal its (reusable) id again

    def alive(self):
        return self.poll() is None

    def poll(self):
        if self.rc is None:
            self.rc = self.popen.poll()
        return self.rc

    def wait(self, timeout):
        """Exit status; fails the test (and kills the process) if it runs longer."""
        try:
            self.rc = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            fail("%s did not finish within %.0f s (log: %s)" % (self.name, timeout, self.log_path))
        return self.rc

    def signal(self, sig):
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, timeout=10):
        """SIGTERM, then the exit status; SIGKILL (and a failure) after timeout seconds."""
        self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self):
        """SIGKILL to the whole process group."""
        if self.gone:
            return
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.rc = self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def group_alive(self):
        if self.gone:
            return False
        if self.poll() is None:
            return True
        try:
            os.killpg(self.pid, 0)
            return True
        except ProcessLookupError:
            self.gone = True
            return False
        except PermissionError:
            return True

    def stdout(self):
        if self.stdout_path is None:
            return ""
        self._out.flush()
        with open(self.stdout_path, "rb") as f:
            return f.read().decode(errors="replace")

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def tail(self, n=25):
        return "\n".join(self.log().splitlines()[-n:])

    def close_files(self):
        for f in (self._log, self._out):
            if f:
                f.close()


class Collector(Process):
    def __init__(self, harness, name, db, port, args=(), keys=True):
        self.db = db
        self.port = port
        self.endpoint = "tcp://127.0.0.1:%d" % port
        argv = [harness.collector, "--db", db.conninfo, "--bind", self.endpoint, *args]
        super().__init__(harness, name, harness.with_keys(argv) if keys else argv)


class AgentRun:
    """The outcome of `parley-agent --once`: exit status, stdout, the numbers of its summary
    line (e.g. {"read": 120, "sent": 117, …}) and its log."""

    def __init__(self, proc, rc):
        self.proc = proc
        self.rc = rc
        self.stdout = proc.stdout()
        self.summary = parse_summary(self.stdout)

    def __repr__(self):
        return "agent %s: exit %s, stdout %r\n--- log tail ---\n%s" % (
            self.proc.name, self.rc, self.stdout.strip()[-500:], self.proc.tail())


SUMMARY_KEYS = ("read", "sent", "accepted", "duplicates", "rejected")


def parse_summary(text):
    """The numbers of the agent's one-line summary, e.g. "parley-agent: read 120 lines, sent
    117 events, 100 accepted, 15 duplicates, 5 rejected (3 by the agent, 2 by the collector)"
    gives {"read": 120, "sent": 117, "accepted": 100, "duplicates": 15, "rejected": 5,
    "rejected_by_agent": 3, "rejected_by_collector": 2}. "read=120" and "read: 120" work too."""
    lines = [l for l in text.strip().splitlines() if l.strip()]
    if not lines:
        return {}
    last = lines[-1]
    out = {}
    for key in SUMMARY_KEYS:
        m = (re.search(r"\b%s\s*[=:]?\s*(\d+)" % key, last) or
             re.search(r"(\d+)\s+%s\b" % key, last))
        if m:
            out[key] = int(m.group(1))
    for who in ("agent", "collector"):
        m = re.search(r"(\d+) by the %s" % who, last)
        if m:
            out["rejected_by_" + who] = int(m.group(1))
    return out


class Cluster:
    """A PostgreSQL cluster: the suite's shared one (ctest's pg fixture), or one of the test's
    own from Harness.new_cluster() for tests that restart or stop PostgreSQL."""

    def __init__(self, env, pg_dir=None, own=False):
        self.env = env
        self.dir = pg_dir
        self.own = own

    def admin(self):
        conn = psycopg2.connect(host=self.env["PGHOST"], port=self.env["PGPORT"],
                                user=self.env.get("PGUSER", "postgres"), dbname="postgres")
        conn.autocommit = True
        return conn

    def _pg_private(self, *args):
        if not self.dir:
            fail("this cluster was not made by pg-private")
        out = subprocess.run([PG_PRIVATE, args[0], self.dir, *args[1:]], capture_output=True, text=True)
        if out.returncode != 0:
            fail("pg-private %s failed: %s" % (args[0], out.stderr.strip()))

    def restart(self, immediate=True):
        """pg_ctl restart (-m immediate: as if the server crashed)."""
        self._pg_private("restart", *(["--immediate"] if immediate else []))

    def stop(self):
        self._pg_private("stop")

    def start(self):
        self._pg_private("start", "--fsync", "off")


class Database:
    def __init__(self, cluster, name):
        self.cluster = cluster
        self.name = name
        env = cluster.env
        self.conninfo = "host='%s' port=%s user=%s dbname=%s" % (
            env["PGHOST"], env["PGPORT"], env.get("PGUSER", "postgres"), name)

    def connect(self):
        conn = psycopg2.connect(self.conninfo)
        conn.autocommit = True
        return conn

    def query(self, sql, args=None):
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                cols = [d[0] for d in cur.description]
                return cols, cur.fetchall()
        finally:
            conn.close()


class Harness:
    def __init__(self, description="", argv=None):
        ap = argparse.ArgumentParser(description=description)
        ap.add_argument("--bin-dir", help="directory of the built programs")
        ap.add_argument("--agent", help="parley-agent")
        ap.add_argument("--collector", help="parley-collector")
        ap.add_argument("--parley", help="the parley query CLI")
        ap.add_argument("--work-dir", help="scratch directory (emptied first; default: a new temporary one)")
        ap.add_argument("--keep", action="store_true", help="keep the work dir and databases even on success")
        ap.add_argument("--seed", type=int, help="generator seed (default: the test's own)")
        ap.add_argument("--scale", type=float, default=float(os.environ.get("PARLEY_TEST_SCALE", "1")),
                        help="multiplies the sizes of generated streams (PARLEY_TEST_SCALE)")
        ap.add_argument("--only", help="run only the tests whose name contains this")
        self.args = ap.parse_args(argv)
        a = self.args
        self.agent = self._program(a.agent, "parley-agent", "agent")
        self.collector = self._program(a.collector, "parley-collector", "collector")
        self.parley = self._program(a.parley, "parley", "query")
        if a.work_dir:
            self.work = os.path.abspath(a.work_dir)
            shutil.rmtree(self.work, ignore_errors=True)
            os.makedirs(self.work)
        else:
            self.work = tempfile.mkdtemp(prefix="parley-test-")
        self.processes = []
        self.databases = []
        self.failed = False
        self._closed = False
        self.clusters = []  # the test's own, stopped at exit
        self._counter = {}
        self._keys = None
        global _current
        _current = self
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        self._groups_file = self.path(".process-groups")
        self._watchdog = self._start_watchdog()
        self.cluster = self._postgres()
        self.pg_env = self.cluster.env

    # -- set-up ---------------------------------------------------------------------------

    def _program(self, given, name, folder):
        candidates = [given] if given else []
        if self.args.bin_dir:
            candidates.append(os.path.join(self.args.bin_dir, name))
        candidates.append(os.path.join(SOURCE_DIR, "build", folder, name))
        for c in candidates:
            if c and os.access(c, os.X_OK):
                return os.path.abspath(c)
        return given or name  # found on PATH, or a clear error when first used

    def _postgres(self):
        """The suite's cluster (ctest's pg fixture: PARLEY_PG_DIR), the one the caller's
        environment names (PGHOST…), or else one of our own in the work dir."""
        pg_dir = os.environ.get("PARLEY_PG_DIR")
        if pg_dir:
            return Cluster(self._pg_private_env(pg_dir), pg_dir)
        if os.environ.get("PGHOST"):
            env = {k: os.environ[k] for k in ("PGHOST", "PGPORT", "PGUSER") if k in os.environ}
            env.setdefault("PGPORT", "5432")
            env.setdefault("PGUSER", "postgres")
            return Cluster(env)
        return self.new_cluster("pg")

    def _pg_private_env(self, pg_dir):
        out = subprocess.run([PG_PRIVATE, "env", pg_dir], capture_output=True, text=True)
        if out.returncode != 0:
            fail("no PostgreSQL in %s (did the pg.start fixture run?): %s" % (pg_dir, out.stderr.strip()))
        env = {k: shlex.split(v)[0] for k, v in re.findall(r"^export (\w+)=(.*)$", out.stdout, re.M)}
        env.setdefault("PGUSER", "postgres")
        return env

    def new_cluster(self, name="pg-own"):
        """A PostgreSQL cluster of the test's own in the work dir (fsync off), stopped and
        removed at exit: for tests that restart or stop PostgreSQL, which must not disturb
        the tests running beside them on the shared one."""
        pg_dir = self.path(name)
        self.clusters.append(pg_dir)
        self._record()
        out = subprocess.run([PG_PRIVATE, "start", pg_dir, "--fsync", "off"], capture_output=True, text=True)
        if out.returncode != 0:
            fail("could not start PostgreSQL in %s: %s" % (pg_dir, out.stderr.strip()))
        return Cluster(self._pg_private_env(pg_dir), pg_dir, own=True)

    def _start_watchdog(self):
        """A process of its own session that outlives this one if it is killed (SIGKILL from a
        timeout): it then kills every process group still listed, grandchildren included
        (PR_SET_PDEATHSIG reaches only our direct children), and the private cluster if we
        started any. A normal exit writes "done" first and it leaves quietly."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                os.close(w)
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                got = b""
                while True:
                    chunk = os.read(r, 64)
                    if not chunk:
                        break
                    got += chunk
                if b"done" not in got:
                    try:
                        with open(self._groups_file) as f:
                            items = [line.split(" ", 1) for line in f.read().splitlines()]
                    except OSError:
                        items = []
                    for kind, value in items:
                        if kind == "group" and value.isdigit():
                            try:
                                os.killpg(int(value), signal.SIGKILL)
                            except OSError:
                                pass
                    for kind, value in items:
                        if kind == "cluster":
                            subprocess.run([PG_PRIVATE, "stop", value], stdout=null, stderr=null)
            finally:
                os._exit(0)
        os.close(r)
        self._watchdog_w = w
        return pid

    def _record(self):
        """What the watchdog must clean up: live process groups, our own clusters."""
        lines = ["group %d" % p.pid for p in self.processes if not p.gone]
        lines += ["cluster %s" % d for d in self.clusters]
        tmp = self._groups_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, self._groups_file)

    def _on_signal(self, signum, frame):
        raise SystemExit(128 + signum)

    def path(self, *parts):
        p = os.path.join(self.work, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def seed(self, default):
        return self.args.seed if self.args.seed is not None else default

    def scale(self, n):
        return max(1, int(n * self.args.scale))

    def _name(self, base):
        n = self._counter.get(base, 0) + 1
        self._counter[base] = n
        return base if n == 1 else "%s-%d" % (base, n)

    # -- PostgreSQL -----------------------------------------------------------------------

    def admin(self):
        return self.cluster.admin()

    def create_database(self, label, cluster=None):
        """A new empty database named after the test, unique in the cluster (the shared one
        unless given)."""
        cluster = cluster or self.cluster
        name = "t_%s_%d_%04x" % (re.sub(r"\W", "_", label.lower())[:30], os.getpid(),
                                 random.SystemRandom().getrandbits(16))
        conn = cluster.admin()
        try:
            with conn.cursor() as cur:
                cur.execute('CREATE DATABASE "%s"' % name)
        finally:
            conn.close()
        db = Database(cluster, name)
        self.databases.append(db)
        return db

    def _drop_databases(self):
        for db in self.databases:
            if db.cluster.own:
                continue  # goes with its cluster
            try:
                conn = db.cluster.admin()
            except psycopg2.Error:
                continue
            try:
                with conn.cursor() as cur:
                    cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % db.name)
            except psycopg2.Error as e:
                print("harness: could not drop %s: %s" % (db.name, str(e).strip()))
            finally:
                conn.close()

    # -- processes ------------------------------------------------------------------------

    def keys(self):
        """The harness's keys, made on first use: paths and Z85 texts (see secure())."""
        if self._keys:
            return self._keys
        d = self.path("keys")
        os.makedirs(os.path.join(d, "authorized"), exist_ok=True)
        server, agent = os.path.join(d, "collector"), os.path.join(d, "agent")
        for argv in ([self.collector, "keygen", server],
                     [self.agent, "keygen", "--region", ",".join(region_codes()), agent]):
            out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            if out.returncode != 0:
                fail("%s failed: %s" % (" ".join(argv), out.stderr))
        shutil.copy(agent + ".cert", os.path.join(d, "authorized", "agent.cert"))
        self._keys = {
            "dir": d,
            "server_secret": server + ".cert_secret",
            "server_cert": server + ".cert",
            "server_public": read_cert(server + ".cert")["public"],
            "agent_secret": agent + ".cert_secret",
            "agent_cert": read_cert(agent + ".cert_secret"),
            "authorized": os.path.join(d, "authorized"),
        }
        return self._keys

    def make_agent_key(self, name, associations=None, region=None, authorize=True):
        """A further agent key pair (agent keygen), its public cert put into the authorised
        folder unless authorize is False. Returns (secret path, cert path, read_cert dict)."""
        base = self.path("keys", name)
        argv = [self.agent, "keygen"]
        if associations:
            argv += ["--associations", ",".join(associations)]
        if region:
            argv += ["--region", region]
        out = subprocess.run(argv + [base], capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            fail("agent keygen failed: %s" % out.stderr)
        if authorize:
            shutil.copy(base + ".cert", os.path.join(self.keys()["authorized"], name + ".cert"))
        return base + ".cert_secret", base + ".cert", read_cert(base + ".cert_secret")

    def with_keys(self, argv):
        """argv with the harness's key options added where a collector or agent names none
        of its own (see the comment at read_cert)."""
        argv = list(argv)
        idx = next((i for i, a in enumerate(argv) if a in (self.collector, self.agent)), None)
        if idx is None or idx + 1 >= len(argv) or not argv[idx + 1].startswith("-"):
            return argv  # a subcommand (keygen, verify, retention …) takes no keys
        rest = argv[idx + 1:]
        add = []
        if argv[idx] == self.collector:
            if not ({"--migrate-only", "--curve-secret", "--insecure"} & set(rest)):
                k = self.keys()
                add = ["--curve-secret", k["server_secret"], "--authorized-keys", k["authorized"]]
        else:
            if "--check" in rest:
                return argv
            if "--curve-secret" not in rest and "--collector-key" not in rest:
                k = self.keys()
                add += ["--curve-secret", k["agent_secret"], "--collector-key", k["server_cert"]]
            if "--relay-bind" in rest and not ({"--relay-curve-secret", "--insecure"} & set(rest)):
                k = self.keys()
                add += ["--relay-curve-secret", k["server_secret"],
                        "--relay-authorized-keys", k["authorized"]]
        return argv[:idx + 1] + add + rest

    def spawn(self, name, argv, capture_stdout=False, env=None, keys=True):
        if keys:
            argv = self.with_keys(argv)
        p = Process(self, self._name(name), argv, capture_stdout=capture_stdout, env=env)
        self._add(p)
        return p

    def _add(self, p):
        self.processes.append(p)
        self._record()

    def start_collector(self, db, port=None, args=(), name="collector", wait=True, timeout=30,
                        keys=True):
        """Starts parley-collector on db, bound to tcp://127.0.0.1:PORT (a free port unless
        given), and waits until it listens."""
        for attempt in range(3):
            chosen = port or free_port()
            p = Collector(self, self._name(name), db, chosen, args, keys)
            self._add(p)
            if not wait:
                return p
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if listening(chosen) and p.alive():
                    return p
                if not p.alive():
                    break
                time.sleep(0.05)
            if p.alive():
                p.kill()
                fail("collector not listening on %d after %d s:\n%s" % (chosen, timeout, p.tail()))
            if port is not None or "address already in use" not in p.log().lower():
                fail("collector exited with status %s:\n%s" % (p.rc, p.tail()))
        fail("collector could not bind a port")

    def agent_argv(self, endpoint, spool, inputs, once=True, args=()):
        endpoints = [endpoint] if isinstance(endpoint, str) else list(endpoint)
        argv = [self.agent]
        for e in endpoints:
            argv += ["--connect", e]
        argv += ["--spool", spool]
        if once:
            argv.append("--once")
        return argv + list(args) + list(inputs)

    def start_agent(self, endpoint, spool, inputs, once=True, args=(), name="agent", keys=True):
        return self.spawn(name, self.agent_argv(endpoint, spool, inputs, once, args),
                          capture_stdout=True, keys=keys)

    def run_agent(self, endpoint, spool, inputs, args=(), timeout=300, name="agent", keys=True):
        """Runs parley-agent --once to the end (fails the test after timeout seconds)."""
        p = self.start_agent(endpoint, spool, inputs, True, args, name, keys)
        rc = p.wait(timeout)
        return AgentRun(p, rc)

    def finish_agent(self, p, timeout=300):
        rc = p.wait(timeout)
        return AgentRun(p, rc)

    def run_parley(self, db, *args, timeout=60):
        out = subprocess.run([self.parley, "--db", db.conninfo, *args], capture_output=True,
                             text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return out

    # -- clean-up -------------------------------------------------------------------------

    def kill_all(self):
        """SIGKILL to every process group started, then check they are all gone."""
        for p in self.processes:
            p.kill()
        left = []
        deadline = time.monotonic() + 10
        for p in self.processes:
            while p.group_alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            if p.group_alive():
                left.append(p.name)
        self._record()
        return left

    def close(self):
        if self._closed:
            return
        self._closed = True
        left = self.kill_all()
        if left:
            print("harness: processes still running after SIGKILL: %s" % ", ".join(left))
            self.failed = True
        for p in self.processes:
            p.close_files()
        keep = self.failed or self.args.keep
        if not keep:
            self._drop_databases()
        for d in self.clusters:
            subprocess.run([PG_PRIVATE, "destroy" if not keep else "stop", d], capture_output=True)
        try:
            os.write(self._watchdog_w, b"done")
            os.close(self._watchdog_w)
            os.waitpid(self._watchdog, 0)
        except OSError:
            pass
        if keep:
            print("harness: kept %s%s" % (self.work, "; databases: " + ", ".join(
                d.name for d in self.databases) if self.databases else ""))
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    def dump_logs(self, lines=40):
        for p in self.processes:
            try:
                print("--- %s (exit %s): %s" % (p.name, p.poll(), " ".join(p.argv)))
                print(p.tail(lines))
            except OSError:
                pass


# ---------------------------------------------------------------------------------------
# Views

def read_views(db):
    """Parley's four views, in the shape of generator.Generator.expected()."""
    conn = db.connect()
    try:
        cur = conn.cursor()

        def rows(sql, columns):
            cur.execute(sql)
            names = tuple(d[0] for d in cur.description)
            if names != tuple(columns):
                fail("%s has columns %s, expected %s" % (sql.split()[-1], names, tuple(columns)))
            return [dict(zip(names, r)) for r in cur.fetchall()]

        summary = {}
        for r in rows("SELECT * FROM parley.constituency_summary", generator.SUMMARY_COLUMNS):
            if r["constituency_code"] in summary:
                fail("constituency_summary: %s twice" % r["constituency_code"])
            summary[r["constituency_code"]] = r
        cur.execute("SELECT * FROM parley.constituency_topics")
        names = tuple(d[0] for d in cur.description)
        if names != ("constituency_code", "topic", "conversations"):
            fail("constituency_topics has columns %s" % (names,))
        topics = {}
        for code, topic, n in cur.fetchall():
            if (code, topic) in topics:
                fail("constituency_topics: (%s, %s) twice" % (code, topic))
            if n:  # a zero row says nothing; the specification does not say whether to show it
                topics[(code, topic)] = n
        regions = {}
        for r in rows("SELECT * FROM parley.region_summary", generator.REGION_COLUMNS):
            regions[(r["region"], r["country"])] = r
        progress = rows("SELECT * FROM parley.progress", generator.PROGRESS_COLUMNS)
        if len(progress) != 1:
            fail("parley.progress has %d rows" % len(progress))
        return {"constituency_summary": summary, "constituency_topics": topics,
                "region_summary": regions, "progress": progress[0]}
    finally:
        conn.close()


def _same(a, b):
    if a is None or b is None:
        return a is None and b is None
    numbers = (decimal.Decimal, Fraction, float)
    if isinstance(a, numbers) or isinstance(b, numbers):
        return abs(Fraction(a) - Fraction(b)) < Fraction(1, 10 ** 9)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _show(v):
    if isinstance(v, Fraction):
        return "%.6f" % v
    return repr(v) if not isinstance(v, (dt.date,)) else v.isoformat()


def compare_views(actual, expected, limit=40):
    """Differences between two sets of views (every column of every row), as lines of text;
    empty when they are equal. mean_stance compares to within 1e-9."""
    out = []
    for view in ("constituency_summary", "constituency_topics", "region_summary", "progress"):
        a, e = actual[view], expected[view]
        if view == "progress":
            a, e = {(): a}, {(): e}
        for key in sorted(set(a) | set(e), key=str):
            if key not in a:
                out.append("%s %s: missing (expected %s)" % (view, key, _short(e[key])))
            elif key not in e:
                out.append("%s %s: unexpected row %s" % (view, key, _short(a[key])))
            elif view == "constituency_topics":
                if a[key] != e[key]:
                    out.append("%s %s: conversations %s, expected %s" % (view, key, a[key], e[key]))
            else:
                for col in e[key]:
                    if not _same(a[key].get(col), e[key][col]):
                        out.append("%s %s: %s = %s, expected %s" % (view, key or "", col,
                                                                  _show(a[key].get(col)), _show(e[key][col])))
    if len(out) > limit:
        out = out[:limit] + ["… and %d more differences" % (len(out) - limit)]
    return out


def _short(row):
    if isinstance(row, dict):
        return "{%s}" % ", ".join("%s: %s" % (k, _show(v)) for k, v in list(row.items())[:8])
    return _show(row)


def assert_views(actual, expected, what):
    diffs = compare_views(actual, expected)
    if diffs:
        fail("%s: %d differences:\n  %s" % (what, len(diffs), "\n  ".join(diffs)))


# ---------------------------------------------------------------------------------------
# rejected.jsonl

def read_rejected(path):
    """[(source basename, line number, record)] of DIR/rejected.jsonl."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                rec = json.loads(raw)
            except ValueError:
                fail("%s line %d is not JSON: %r" % (path, n, raw[:200]))
            if not isinstance(rec, dict) or "source" not in rec or "line" not in rec:
                fail("%s line %d lacks source or line: %r" % (path, n, raw[:200]))
            out.append((os.path.basename(str(rec["source"])), rec["line"], rec))
    return out


def check_rejected(paths, where):
    """Every invalid line of the feeds (where: {(basename, line): generator.Line}) is in the
    rejected.jsonl files, named by file and line, with a reason; nothing else is there but
    conflicts (same event_id, other content). Returns the number of conflicts listed."""
    seen = {}
    for path in paths:
        for source, line, rec in read_rejected(path):
            if not str(rec.get("reason", "")).strip():
                fail("rejected entry without a reason: %r" % rec)
            seen[(source, line)] = rec
    invalid = {k for k, l in where.items() if l.kind == "invalid"}
    missing = sorted(invalid - set(seen))
    if missing:
        fail("%d invalid lines not in rejected.jsonl, e.g. %s" % (
            len(missing), ["%s:%d (%s)" % (s, n, where[(s, n)].why) for s, n in missing[:10]]))
    extra = [k for k in seen if k not in invalid]
    wrong = [k for k in extra if k not in where or where[k].kind != "conflict"]
    if wrong:
        fail("%d valid lines reported as rejected, e.g. %s" % (
            len(wrong), ["%s:%s %s (%s)" % (s, n, seen[(s, n)].get("reason"),
                                            where[(s, n)].kind if (s, n) in where else "no such line")
                         for s, n in wrong[:10]]))
    return len(extra)


# ---------------------------------------------------------------------------------------
# Running a test file

def main(namespace, description=None):
    """Runs every test_* function of a test module (in order) with one Harness; exit status 1
    if any failed."""
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    h = Harness(description or (namespace.get("__doc__") or "").strip().split("\n")[0])
    status = 0
    skipped = 0
    try:
        for name, fn in tests:
            if h.args.only and h.args.only not in name:
                continue
            t0 = time.monotonic()
            print("=== %s" % name, flush=True)
            try:
                fn(h)
                print("--- PASS %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)
            except Skip as e:
                skipped += 1
                print("--- SKIP %s: %s" % (name, e), flush=True)
            except Exception:
                status = 1
                h.failed = True
                traceback.print_exc(file=sys.stdout)
                print("--- FAIL %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)
                h.dump_logs()
            finally:
                left = h.kill_all()
                if left:
                    status = 1
                    h.failed = True
                    print("harness: %s left running by %s" % (", ".join(left), name))
    except SystemExit as e:
        h.failed = True
        print("harness: interrupted (%s)" % e.code, flush=True)
        status = e.code if isinstance(e.code, int) else 1
    finally:
        h.close()
    sys.exit(77 if status == 0 and skipped else status)
