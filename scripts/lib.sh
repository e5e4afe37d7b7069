# shellcheck shell=bash
# Shared by scripts/demo and scripts/test (sourced, not run).

# Debian 12 packages Parley needs to build, test and run the demo (README.md says why each).
PARLEY_PACKAGES=(build-essential cmake pkg-config libzmq3-dev libczmq-dev libpq-dev libjansson-dev
                 libcmocka-dev libcsv-dev libinih-dev libmicrohttpd-dev libsystemd-dev help2man tzdata zlib1g-dev postgresql python3 python3-zmq
                 python3-psycopg2)
# Only the test suite needs these: Chromium renders the HTML report in test_report.py;
# clang-format checks the house style (format.check); systemd-analyze, systemd-sysusers, man
# and strace check the installed units, user, man pages and system call filters (tests/packaging);
# procps has /bin/kill, which the units' ExecReload= runs and systemd-analyze verify looks for.
PARLEY_TEST_PACKAGES=(chromium clang-format clang libclang-rt-dev systemd man-db strace procps)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
fail() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# ensure_packages [EXTRA...]: installs whichever of PARLEY_PACKAGES (and EXTRA) is missing. A machine that has them all never calls
# apt (no network needed). Not root: sudo if there is one, else say what to install.
ensure_packages() {
    local p missing=() wanted=("${PARLEY_PACKAGES[@]}" "$@")
    if ! command -v dpkg-query >/dev/null 2>&1; then
        say "not a Debian system: make sure these (or your system's equivalents) are installed: ${wanted[*]}"
        return 0
    fi
    for p in "${wanted[@]}"; do
        [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        return 0
    fi
    local sudo=()
    if [[ $EUID -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            fail "missing Debian packages; as root run: apt-get update && apt-get install -y ${missing[*]}"
        fi
    fi
    say "installing missing packages: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

# configure_and_build BUILD_DIR [TARGET...]: configures (warnings are errors) and builds.
configure_and_build() {
    local build=$1
    shift
    local targets=()
    local t
    for t in "$@"; do targets+=(--target "$t"); done
    say "configuring $build"
    mkdir -p "$build"
    cmake -S "$PARLEY_TOP" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >"$build/configure.log" 2>&1 ||
        { cat "$build/configure.log" >&2; fail "cmake configure failed"; }
    say "building $build"
    cmake --build "$build" -j "$(nproc)" "${targets[@]}"
}
