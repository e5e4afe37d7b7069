#!/bin/sh
# The include graph of Parley's own code, one module per node (x.c and x.h are module x,
# named with its folder: collector/db_session), and the circles in it.
#
#   tests/include_graph.sh [TOP]          the edges "a/x -> b/y", then one line per circle
#   tests/include_graph.sh --dot [TOP]    the same graph for Graphviz (dot -Tsvg)
#
# Only quoted includes of headers that exist in the tree count (<...> is the system's). File
# names are unique across the tree, so a header's name says which folder it is in.
# Circles are found by tsort(1), which names the members of each loop it has to break.
# Exit status: 0 when the graph has no circle, 1 when it has one.
set -u
dot=0
if [ "${1:-}" = "--dot" ]; then
    dot=1
    shift
fi
top=${1:-.}
folders="common pg agent collector query bench"

edges=$(
    for d in $folders; do
        [ -d "$top/$d" ] || continue
        for f in "$top/$d"/*.[ch]; do
            [ -e "$f" ] || continue
            from=$d/$(basename "$f" | sed 's/\.[ch]$//')
            for h in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
                for e in $folders; do
                    if [ -e "$top/$e/$h" ]; then
                        to=$e/$(echo "$h" | sed 's/\.h$//')
                        [ "$from" != "$to" ] && echo "$from $to"
                    fi
                done
            done
        done
    done | sort -u
)

if [ $dot -eq 1 ]; then
    echo "digraph parley {"
    echo "$edges" | awk 'NF == 2 { printf "  \"%s\" -> \"%s\";\n", $1, $2 }'
    echo "}"
else
    echo "$edges" | awk 'NF == 2 { print $1 " -> " $2 }'
fi

# tsort prints "tsort: -: input contains a loop:" and then the loop's members, one a line.
circles=$(echo "$edges" | tsort 2>&1 >/dev/null | awk '
    /input contains a loop/ { if (loop != "") print loop; loop = ""; next }
    /^tsort: / { sub(/^tsort: /, ""); loop = loop (loop == "" ? "" : " ") $0 }
    END { if (loop != "") print loop }')
if [ -n "$circles" ]; then
    echo "$circles" | sed 's/^/circle: /' >&2
    exit 1
fi
echo "circles: none" >&2
exit 0
