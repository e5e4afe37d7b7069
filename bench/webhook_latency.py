#!/usr/bin/python3
"""Single-event POST /v1/events on loopback: requests/s and latency percentiles (issue 9).

Starts parley-agent with --http-bind on a free port (and a parley-collector on a private
PostgreSQL cluster unless --no-collector), then N client threads, each on one keep-alive
connection, POST one valid event per request and wait for its answer (which comes only once
the event is fsynced in the spool). Every answer must be 200 "accepted".

    /usr/bin/python3 bench/webhook_latency.py [--clients 8] [--requests 4000] [--build build]
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVENT = {"type": "conversation.reported", "reported_at": "2026-03-01T11:00:00Z",
         "occurred_on": "2026-02-27", "association": {"id": "HA-NORTH"},
         "constituency": {"code": "W07000112"}, "stakeholder": {"role": "mp", "name": "Jane Smith"},
         "stance": 1, "topics": ["retrofit"]}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, what):
    for _ in range(200):
        if proc.poll() is not None:
            sys.exit("%s exited with status %s" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("%s is not listening on %d" % (what, port))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=4000, help="in all")
    ap.add_argument("--fsync", default="group", choices=["group", "always"])
    ap.add_argument("--no-collector", action="store_true", help="the spool only fills")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="parley-webhook-bench-")
    procs = []
    pg = os.path.join(work, "pg")
    try:
        col_port = free_port()
        if not args.no_collector:
            script = os.path.join(TOP, "deploy", "scripts", "pg-private")
            subprocess.run([script, "start", pg], check=True, capture_output=True)
            env = subprocess.run([script, "env", pg], check=True, capture_output=True, text=True).stdout
            vals = dict(l[len("export "):].split("=", 1) for l in env.splitlines() if l.startswith("export "))
            vals = {k: v.strip("'\"") for k, v in vals.items()}
            conninfo = "host='%s' port=%s user=%s dbname=postgres" % (
                vals["PGHOST"], vals["PGPORT"], vals.get("PGUSER", "postgres"))
            col = subprocess.Popen([os.path.join(args.build, "collector", "parley-collector"), "--db", conninfo,
                                    "--bind", "tcp://127.0.0.1:%d" % col_port, "--insecure"],
                                   stderr=open(os.path.join(work, "collector.log"), "w"))
            procs.append(col)
            wait_listening(col_port, col, "parley-collector")
        port = free_port()
        agent = subprocess.Popen([os.path.join(args.build, "agent", "parley-agent"), "--connect",
                                  "tcp://127.0.0.1:%d" % col_port, "--spool", os.path.join(work, "spool"),
                                  "--http-bind", str(port), "--fsync", args.fsync],
                                 stderr=open(os.path.join(work, "agent.log"), "w"))
        procs.append(agent)
        wait_listening(port, agent, "parley-agent")

        per = args.requests // args.clients
        bodies = [[json.dumps(dict(EVENT, event_id=str(uuid.uuid4()))).encode() for _ in range(per)]
                  for _ in range(args.clients)]
        latencies = [[] for _ in range(args.clients)]
        errors = []

        def client(k):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for body in bodies[k]:
                t0 = time.perf_counter()
                conn.request("POST", "/v1/events", body=body, headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
                latencies[k].append(time.perf_counter() - t0)
                if r.status != 200 or b'"accepted"' not in data:
                    errors.append((r.status, data[:200]))
            conn.close()

        threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.perf_counter() - t0
        if errors:
            sys.exit("%d requests failed, e.g. %r" % (len(errors), errors[:3]))
        lat = sorted(x for l in latencies for x in l)
        n = len(lat)
        print("webhook: %d single-event POSTs from %d clients in %.2f s: %.0f requests/s; "
              "latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (--fsync %s%s)" % (
                  n, args.clients, took, n / took, lat[n // 2] * 1e3, lat[int(n * 0.9)] * 1e3,
                  lat[int(n * 0.99)] * 1e3, lat[-1] * 1e3, args.fsync,
                  ", no collector" if args.no_collector else ", collector delivering"))
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if os.path.isdir(pg):
            subprocess.run([os.path.join(TOP, "deploy", "scripts", "pg-private"), "destroy", pg],
                           capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
