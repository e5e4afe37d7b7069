#!/bin/sh
# The rooms of the tree and what each may include (docs: README.md, "Source layout"):
#   common/     nothing of ours, and never libpq (the agent links it)
#   pg/         common/ only (and libpq)
#   agent/      common/ only; never libpq
#   collector/  common/ and pg/; never query/ or agent/
#   query/      common/ and pg/; never collector/ or agent/
#   bench/      what it measures: common/ and agent/
# The server half of PARLEY/1 lives once, in common/wire_server.c, used by the collector and
# by a hub's relay alike: no other program file makes a ROUTER socket.
# and the module include graph has no circle (tests/include_graph.sh). File names are unique
# across the tree, so a quoted include names its room. Exit status 1 on any breach.
set -u
top=${1:-.}
rooms="common pg agent collector query bench"
fail=0

# s_room_of HEADER: the room holding it, or nothing (a system or generated header).
s_room_of() {
    for r in $rooms; do
        if [ -e "$top/$r/$1" ]; then
            echo "$r"
            return
        fi
    done
}

# s_check ROOM ALLOWED...: every quoted include of ROOM's files is in ROOM or ALLOWED.
s_check() {
    room=$1
    shift
    for f in "$top/$room"/*.[ch]; do
        [ -e "$f" ] || continue
        for h in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
            r=$(s_room_of "$h")
            [ -z "$r" ] || [ "$r" = "$room" ] && continue
            ok=0
            for a in "$@"; do [ "$r" = "$a" ] && ok=1; done
            if [ $ok -eq 0 ]; then
                if [ $# -eq 0 ]; then
                    may="$room/ includes nothing of ours"
                else
                    may="$room/ may include only $(printf '%s/ ' "$@")"
                fi
                echo "layering: ${f#"$top"/} includes $r/$h (${may% })"
                fail=1
            fi
        done
    done
}

s_check common
s_check pg common
s_check agent common
s_check collector common pg
s_check query common pg
s_check bench common agent

# libpq: not in common/ or agent/, in their sources or in what they link.
for room in common agent; do
    if grep -l 'libpq-fe\.h\|<libpq' "$top/$room"/*.[ch] 2>/dev/null; then
        echo "layering: $room/ must not use libpq"
        fail=1
    fi
    if grep -n 'PkgConfig::PQ\|parley_pg\|parley_collector_core\|parley_query_core' \
        "$top/$room/CMakeLists.txt"; then
        echo "layering: $room/CMakeLists.txt must not link libpq or a PostgreSQL-side library"
        fail=1
    fi
done
# The two PostgreSQL-side programs never link each other's library.
if grep -n 'parley_query_core' "$top/collector/CMakeLists.txt"; then
    echo "layering: collector/ must not link parley_query_core"
    fail=1
fi
if grep -n 'parley_collector_core' "$top/query/CMakeLists.txt"; then
    echo "layering: query/ must not link parley_collector_core"
    fail=1
fi

# The server half of PARLEY/1: one ROUTER, in common/wire_server.c.
for f in $(grep -l 'ZMQ_ROUTER\b' "$top"/common/*.[ch] "$top"/agent/*.[ch] "$top"/collector/*.[ch] \
    "$top"/pg/*.[ch] "$top"/query/*.[ch] 2>/dev/null); do
    case "${f#"$top"/}" in
    common/wire_server.c) ;;
    *)
        echo "layering: ${f#"$top"/} makes a ROUTER socket (the server half of PARLEY/1 is common/wire_server.c)"
        fail=1
        ;;
    esac
done

if ! circles=$("$top/tests/include_graph.sh" "$top" 2>&1 >/dev/null); then
    echo "layering: the include graph has a circle:"
    echo "$circles"
    fail=1
fi

[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
