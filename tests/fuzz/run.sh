#!/bin/sh
# run.sh FUZZER TARGET SECONDS [LIBFUZZER-OPTION...]
# One fuzz test: runs FUZZER (a libFuzzer binary, fuzz_TARGET) over every input kept in
# regressions/TARGET/ (each once: any crash fails the test), then fuzzes for SECONDS from the
# seeds in corpus/TARGET/. New inputs go to a scratch corpus, never into the source tree; a
# crash input is written to $PARLEY_FUZZ_ARTIFACTS (default: the current directory) and the
# test fails. See tests/fuzz/README.md.
set -eu
[ $# -ge 3 ] || { echo "usage: ${0##*/} FUZZER TARGET SECONDS [LIBFUZZER-OPTION...]" >&2; exit 2; }
fuzzer=$1 target=$2 seconds=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$fuzzer" ] || { echo "${0##*/}: no fuzzer \"$fuzzer\" (build the parley_fuzzers target)" >&2; exit 1; }
[ -d "$here/corpus/$target" ] || { echo "${0##*/}: no corpus \"$here/corpus/$target\"" >&2; exit 1; }

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
artifacts=${PARLEY_FUZZ_ARTIFACTS:-$PWD}
mkdir -p "$artifacts"

regressions=$here/regressions/$target
if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    echo "== $target: regression inputs"
    "$fuzzer" -runs=1 "$regressions"/*
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/parley-fuzz-$target.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
echo "== $target: fuzzing for $seconds s"
"$fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
    -artifact_prefix="$artifacts/$target-" -print_final_stats=1 "$@" "$scratch" "$here/corpus/$target"
