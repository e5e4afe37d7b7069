#!/bin/sh
# common/ depends on nothing of ours; agent/ never uses libpq; agent and collector never reach into each other.
set -u
top=${1:-.}
fail=0
for f in "$top"/common/*.[ch]; do
  for h in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
    if [ -e "$top/agent/$h" ] || [ -e "$top/collector/$h" ]; then
      echo "layering: $f includes $h from agent/ or collector/"; fail=1
    fi
  done
done
if grep -l 'libpq-fe.h' "$top"/agent/*.[ch] 2>/dev/null; then echo "layering: agent/ must not use libpq"; fail=1; fi
for f in "$top"/agent/*.[ch]; do
  for h in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
    [ -e "$top/collector/$h" ] && { echo "layering: $f includes collector/$h"; fail=1; }
  done
done
for f in "$top"/collector/*.[ch]; do
  for h in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
    [ -e "$top/agent/$h" ] && { echo "layering: $f includes agent/$h"; fail=1; }
  done
done
[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
