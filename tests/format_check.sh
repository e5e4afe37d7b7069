#!/bin/sh
# Every C source and header of ours is formatted as .clang-format says (one house style).
# Fix with: clang-format -i FILE. Exit status 1 naming the files that differ.
set -u
top=${1:-.}
cf=${CLANG_FORMAT:-clang-format}
if ! command -v "$cf" >/dev/null 2>&1; then
    echo "format: $cf not found (Debian package clang-format)"
    exit 1
fi
cd "$top" || exit 1
fail=0
for f in $(git ls-files -- '*.c' '*.h' 2>/dev/null || find common pg agent collector query bench tests -name '*.[ch]'); do
    if ! "$cf" --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "format: $f is not formatted (clang-format -i $f)"
        fail=1
    fi
done
[ $fail -eq 0 ] && echo "format: ok"
exit $fail
