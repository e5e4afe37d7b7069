#!/usr/bin/env bash
# The agent's peak RSS with a 1 GiB spool backlog (a benchmark, not a test; issue 3's closing
# note). Needs about 2.5 GB of free disk in the work dir.
#
#   bench/agent_rss_backlog.sh AGENT [COLLECTOR] [--backlog BYTES] [--deliver SECONDS] [--keep]
#
# 1. Writes one feed of unique valid events (about 560 bytes a line) large enough to fill
#    BACKLOG bytes of spool (default 1 GiB), then runs `parley-agent` (no --once) under
#    `/usr/bin/time -v` against an endpoint where nobody listens, with --spool-max above the
#    backlog, until it logs "every input read"; SIGTERM; reports the spool's size and the
#    agent's peak RSS ("Maximum resident set size").
# 2. Restarts the agent on that backlog, still with no collector, for 5 s: the RSS of opening a
#    1 GiB spool.
# 3. With COLLECTOR given: restarts the agent on the backlog with a parley-collector (private
#    PostgreSQL cluster, fsync off) for SECONDS (default 20) of delivery from the backlog, and
#    reports its peak RSS and how many events it delivered meanwhile.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
agent=${1:?usage: $0 AGENT [COLLECTOR] [--backlog BYTES] [--deliver SECONDS] [--keep]}
shift
collector=""
if [[ $# -gt 0 && $1 != --* ]]; then collector=$1; shift; fi
backlog=$((1024 * 1024 * 1024))
deliver=20
keep=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --backlog) backlog=$2; shift 2 ;;
        --deliver) deliver=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

work=$(mktemp -d /tmp/parley-rss-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
    if [[ -d $work/pg ]]; then "$src/deploy/scripts/pg-private" destroy "$work/pg" >/dev/null 2>&1 || true; fi
    if [[ $keep == 0 ]]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
seg_bytes() { du -sb "$work/spool/spool" | cut -f1; }
max_rss() { sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$1"; }
# SIGTERM to the program /usr/bin/time runs (pid $1 is time's), not to time, which would die
# without its report; then time's exit.
stop_timed() {
    local child
    child=$(pgrep -P "$1" || true)
    [[ -n $child ]] && kill -TERM "$child"
    wait "$1" || true
}

# -- the feed ------------------------------------------------------------------------------
lines=$(( backlog / 620 + 1000 ))  # a spool record is about 620 bytes (header, source, line)
echo "writing $lines unique events to $work/feed.jsonl"
/usr/bin/python3 - "$work/feed.jsonl" "$lines" "$src" <<'EOF'
import csv, random, sys, uuid
path, n, src = sys.argv[1], int(sys.argv[2]), sys.argv[3]
codes = [r["code"] for r in csv.DictReader(open(src + "/common/data/constituencies-2024.csv", encoding="utf-8"))]
rng = random.Random(1)
names = ["Jane Smith", "Cllr Peter Jones", "Dr Aisha Khan MP", "Rt Hon David Evans", "Siân Williams"]
topics = ["repairs", "damp_and_mould", "new_supply", "planning", "homelessness", "retrofit"]
note = "Discussed the damp and mould programme on the estate and the timetable for repairs. " * 2
with open(path, "w", encoding="utf-8") as f:
    for i in range(n):
        d = 1 + i % 28
        f.write('{"event_id":"%s","type":"conversation.reported","reported_at":"2024-03-%02dT10:00:00Z",'
                '"occurred_on":"2024-02-%02d","association":{"id":"NHA","name":"Northern Housing Alliance"},'
                '"constituency":{"code":"%s"},"stakeholder":{"role":"councillor","name":"%s"},'
                '"format":"meeting","stance":%d,"topics":["%s"],"follow_up":false,"notes":"%s"}\n'
                % (uuid.UUID(int=rng.getrandbits(128), version=4), d, d, rng.choice(codes),
                   rng.choice(names), rng.randint(-2, 2), rng.choice(topics), note))
EOF
ls -l "$work/feed.jsonl"

# -- 1. filling the spool with no collector -------------------------------------------------
port=$(free_port)
spool_max=$(( backlog * 3 / 2 ))
echo "1. agent filling the spool (no collector on port $port), --spool-max $spool_max"
setsid /usr/bin/time -v -o "$work/time-fill.txt" "$agent" --connect "tcp://127.0.0.1:$port" \
    --spool "$work/spool" --spool-max "$spool_max" "$work/feed.jsonl" 2> "$work/agent-fill.log" &
pids+=($!)
t0=$(date +%s.%N)
for _ in $(seq 1 1200); do
    grep -q 'msg="every input read"' "$work/agent-fill.log" && break
    grep -q 'msg="spool full' "$work/agent-fill.log" && { echo "(the spool filled up before the end of input)"; break; }
    sleep 0.25
done
t1=$(date +%s.%N)
stop_timed "${pids[-1]}"
grep -E 'msg="(every input read|spool full)' "$work/agent-fill.log" || { tail "$work/agent-fill.log"; exit 1; }
echo "RESULT fill: spooled $(seg_bytes) bytes in $(echo "$t1 - $t0" | bc) s;" \
     "agent peak RSS $(max_rss "$work/time-fill.txt") KiB"

# -- 2. reopening the backlog ----------------------------------------------------------------
setsid /usr/bin/time -v -o "$work/time-open.txt" "$agent" --connect "tcp://127.0.0.1:$port" \
    --spool "$work/spool" --spool-max "$spool_max" 2> "$work/agent-open.log" &
pids+=($!)
sleep 5
stop_timed "${pids[-1]}"
grep 'msg="spool opened"' "$work/agent-open.log" | head -1
echo "RESULT reopen: agent peak RSS $(max_rss "$work/time-open.txt") KiB over 5 s with a $(seg_bytes)-byte backlog"

# -- 3. delivering from the backlog ----------------------------------------------------------
if [[ -n $collector ]]; then
    "$src/deploy/scripts/pg-private" start "$work/pg" --fsync off >/dev/null
    eval "$("$src/deploy/scripts/pg-private" env "$work/pg")"
    psql_db="host=$PGHOST port=$PGPORT user=postgres dbname=postgres"
    /usr/bin/python3 -c "import psycopg2,sys; c=psycopg2.connect(sys.argv[1]); c.autocommit=True; c.cursor().execute('CREATE DATABASE rss')" "$psql_db"
    db="host=$PGHOST port=$PGPORT user=postgres dbname=rss"
    setsid "$collector" --db "$db" --bind "tcp://127.0.0.1:$port" --insecure 2> "$work/collector.log" &
    pids+=($!)
    setsid /usr/bin/time -v -o "$work/time-deliver.txt" "$agent" --connect "tcp://127.0.0.1:$port" \
        --spool "$work/spool" --spool-max "$spool_max" 2> "$work/agent-deliver.log" &
    apid=$!
    pids+=($apid)
    sleep "$deliver"
    stop_timed "$apid"
    n=$(/usr/bin/python3 -c "import psycopg2,sys; c=psycopg2.connect(sys.argv[1]); cur=c.cursor(); cur.execute('SELECT count(*) FROM parley.event'); print(cur.fetchone()[0])" "$db")
    echo "RESULT deliver: $n events delivered from the backlog in ${deliver} s;" \
         "agent peak RSS $(max_rss "$work/time-deliver.txt") KiB; spool now $(seg_bytes) bytes"
fi
