#!/usr/bin/env bash
# The installed tree and the Debian packages, as an operator gets them.
#
#   packaging.sh build   SRC DIR CC   configure DIR with the packages' prefix (/usr, not the test
#                                     build's) and build the programs and man pages in it
#   packaging.sh install SRC DIR      cmake --install into a scratch DESTDIR: every file in its
#                                     place, the units name the installed binaries, pass
#                                     `systemd-analyze verify` and score under 4.0 on
#                                     `systemd-analyze security`, the sysusers file makes the user
#   packaging.sh deb     SRC DIR      cpack -G DEB: the packages hold what they should, depend on
#                                     Debian's libraries only, unpack (dpkg -x) into a scratch root
#                                     whose binaries run, and their postinst creates the user and
#                                     starts nothing
# Exit status 1 on the first check that fails, saying which.
set -euo pipefail
step=$1 src=$2 dir=$3
version=$(sed -n 's/^project(parley VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
scratch=$dir/scratch-$step
fail() { printf 'packaging %s: FAIL: %s\n' "$step" "$*" >&2; exit 1; }
ok() { printf 'ok: %s\n' "$*"; }

# s_root_with_systemd ROOT: ROOT plus the host's targets and slices, which verify resolves
# the units' dependencies against (a DESTDIR alone has no sysinit.target).
s_root_with_systemd() {
    mkdir -p "$1/usr/lib/systemd/system"
    cp -L /lib/systemd/system/*.target /lib/systemd/system/*.slice "$1/usr/lib/systemd/system/" 2>/dev/null || true
    # ExecReload= runs /bin/kill (procps, on every Debian system): verify looks for it in the root.
    mkdir -p "$1/bin"
    cp -L /bin/kill "$1/bin/kill"
}

# s_check_units ROOT UNITDIR
s_check_units() {
    local root=$1 unitdir=$2 u f exe out score
    for u in parley-agent parley-collector; do
        f=$root$unitdir/$u.service
        [[ -f $f ]] || fail "$u.service not installed in $unitdir"
        ! grep -n '/usr/local' "$f" || fail "$u.service names /usr/local with the prefix /usr"
        grep -qx 'Type=notify' "$f" || fail "$u.service is not Type=notify"
        grep -qx 'WatchdogSec=30s' "$f" || fail "$u.service has no WatchdogSec=30s"
        grep -qx 'User=parley' "$f" || fail "$u.service does not run as parley"
        exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$f")
        [[ $exe == /usr/bin/$u ]] || fail "$u.service runs $exe, not /usr/bin/$u"
        [[ -x $root$exe ]] || fail "$u.service runs $exe, which is not in the installed tree"
    done
    grep -qx 'StateDirectory=parley-agent' "$root$unitdir/parley-agent.service" ||
        fail "parley-agent.service has no StateDirectory=parley-agent"
    grep -q -- '--spool /var/lib/parley-agent ' "$root$unitdir/parley-agent.service" ||
        fail "parley-agent.service does not spool in /var/lib/parley-agent"
    grep -qx 'LimitNOFILE=65536' "$root$unitdir/parley-collector.service" ||
        fail "parley-collector.service has no LimitNOFILE=65536"
    s_root_with_systemd "$root"
    out=$(systemd-analyze verify --man=no --root="$root" parley-agent.service parley-collector.service 2>&1) ||
        fail "systemd-analyze verify: $out"
    ! grep -i 'parley' <<<"$out" || fail "systemd-analyze verify warns about a unit: $out"
    ok "systemd-analyze verify: both units"
    for u in parley-agent parley-collector; do
        out=$(systemd-analyze security --offline=yes --root="$root" --threshold=39 "$u.service" 2>&1) ||
            fail "$u.service scores 4.0 or more on systemd-analyze security: $(tail -1 <<<"$out")"
        score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
        [[ -n $score ]] || fail "no score for $u.service: $out"
        ok "systemd-analyze security $u.service: $score"
    done
}

# s_check_user ROOT: the sysusers file, applied to ROOT, makes the parley user and group.
s_check_user() {
    grep -q '^parley:' "$1/etc/passwd" 2>/dev/null || fail "no parley user in $1/etc/passwd"
    grep -q '^parley:' "$1/etc/group" 2>/dev/null || fail "no parley group in $1/etc/group"
    ok "the parley user and group"
}

case $step in
build)
    cc=$4
    cmake -S "$src" -B "$dir" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF -DPARLEY_BUILD_BENCH=OFF -DPARLEY_MAN=ON \
          -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >"$dir.configure.log" 2>&1 ||
        { cat "$dir.configure.log"; fail "configure"; }
    cmake --build "$dir" -j 2 --target parley-agent parley-collector parley man
    ;;
install)
    rm -rf "$scratch"
    DESTDIR=$scratch/root cmake --install "$dir" >/dev/null
    root=$scratch/root
    for f in /usr/bin/parley /usr/bin/parley-agent /usr/bin/parley-collector; do
        [[ -x $root$f ]] || fail "$f not installed"
    done
    for f in /usr/share/man/man1/parley.1 /usr/share/man/man8/parley-agent.8 \
             /usr/share/man/man8/parley-collector.8 /usr/lib/sysusers.d/parley-agent.conf \
             /usr/lib/sysusers.d/parley-collector.conf /usr/share/parley/sql/0001_core.sql \
             /etc/parley/agent.conf.example /etc/parley/collector.conf.example \
             /usr/share/doc/parley/README.md /usr/share/doc/parley/OPERATIONS-systemd.md; do
        [[ -s $root$f ]] || fail "$f not installed"
    done
    ok "binaries, man pages, sysusers, SQL, examples, docs"
    # The installed examples parse as shipped, and the units reload with SIGHUP and read them.
    for prog in agent collector; do
        "$root/usr/bin/parley-$prog" --config "$root/etc/parley/$prog.conf.example" --check-config \
            >/dev/null || fail "/etc/parley/$prog.conf.example does not pass --check-config"
        unit=$(find "$root" -name "parley-$prog.service" | head -1)
        grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" || fail "parley-$prog.service has no ExecReload"
        grep -q -- "--config /etc/parley/$prog.conf" "$unit" || fail "parley-$prog.service does not read /etc/parley/$prog.conf"
    done
    ok "config examples pass --check-config; units read them and reload on SIGHUP"
    # The man pages come from each program's --help: an option of the table is in its page.
    grep -q 'spool\\-max\|spool\-max' "$root/usr/share/man/man8/parley-agent.8" ||
        fail "parley-agent(8) does not list --spool-max"
    grep -q 'max\\-events\|max\-events' "$root/usr/share/man/man8/parley-collector.8" ||
        fail "parley-collector(8) does not list --max-events"
    for p in man1/parley.1 man8/parley-agent.8 man8/parley-collector.8; do
        grep -q '^\.SH SIGNALS\|^\.SH EXAMPLES' "$root/usr/share/man/$p" ||
            fail "$p lacks its hand-written sections (docs/man/*.h2m)"
        out=$(LC_ALL=C.UTF-8 MANWIDTH=100 man -l "$root/usr/share/man/$p" 2>&1 >/dev/null) ||
            fail "man -l $p: $out"
    done
    ok "man pages from --help and docs/man/*.h2m"
    s_check_units "$root" /lib/systemd/system
    systemd-sysusers --root="$root" >/dev/null 2>&1 || fail "systemd-sysusers --root"
    s_check_user "$root"
    ;;
deb)
    rm -rf "$scratch"
    mkdir -p "$scratch"
    rm -f "$dir"/parley-*.deb
    (cd "$dir" && cpack -G DEB >"$scratch/cpack.log" 2>&1) || { cat "$scratch/cpack.log"; fail "cpack -G DEB"; }
    arch=$(dpkg --print-architecture)
    agent=$dir/parley-agent_${version}_$arch.deb collector=$dir/parley-collector_${version}_$arch.deb
    [[ -f $agent && -f $collector && -f $dir/parley-doc_${version}_all.deb ]] ||
        fail "cpack made $(ls "$dir"/*.deb 2>/dev/null), not parley-agent, parley-collector and parley-doc"
    ok "three packages"
    for deb in "$agent" "$collector"; do
        depends=$(dpkg-deb -f "$deb" Depends)
        for lib in libc6 libzmq5 libczmq4 libsystemd0 systemd; do
            grep -q "\\b$lib\\b" <<<"$depends" || fail "$(basename "$deb") does not depend on $lib: $depends"
        done
        # Every dependency is a Debian package this system has installed: Debian's libraries only.
        for p in $(tr ',' '\n' <<<"$depends" | sed 's/(.*//; s/|.*//; s/ //g'); do
            dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
                fail "$(basename "$deb") depends on $p, not an installed Debian package"
        done
        ok "$(basename "$deb"): Depends: $depends"
    done
    grep -q '\blibpq5\b' <<<"$(dpkg-deb -f "$collector" Depends)" || fail "parley-collector does not depend on libpq5"
    ! grep -q '\blibpq5\b' <<<"$(dpkg-deb -f "$agent" Depends)" || fail "parley-agent depends on libpq5"
    contents() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\.||'; }
    for f in /usr/bin/parley-agent /lib/systemd/system/parley-agent.service /usr/lib/sysusers.d/parley-agent.conf \
             /usr/share/man/man8/parley-agent.8 /etc/parley/agent.conf.example; do
        contents "$agent" | grep -qx "$f" || fail "parley-agent lacks $f"
    done
    for f in /usr/bin/parley-collector /usr/bin/parley /lib/systemd/system/parley-collector.service \
             /usr/lib/sysusers.d/parley-collector.conf /usr/share/man/man8/parley-collector.8 \
             /usr/share/man/man1/parley.1 /usr/share/parley/sql/0001_core.sql /etc/parley/collector.conf.example; do
        contents "$collector" | grep -qx "$f" || fail "parley-collector lacks $f"
    done
    ok "package contents"
    root=$scratch/root
    for deb in "$agent" "$collector"; do dpkg -x "$deb" "$root"; done
    for b in parley-agent parley-collector parley; do
        out=$(env -u LD_LIBRARY_PATH "$root/usr/bin/$b" --version 2>&1) || fail "$b --version from the unpacked root: $out"
        [[ $out == "$b $version" ]] || fail "$b --version says '$out', not '$b $version'"
        ! ldd "$root/usr/bin/$b" | grep -E 'not found|'"$dir" || fail "$b links a library that is not the system's"
        ok "$b --version from the unpacked root: $out"
    done
    s_check_units "$root" /lib/systemd/system
    # Maintainer scripts: postinst makes the user (in the scratch root, through DPKG_ROOT) and
    # never enables or starts a service; nothing but an upgrade's try-restart touches one.
    for deb in "$agent" "$collector"; do
        name=$(dpkg-deb -f "$deb" Package)
        dpkg-deb -e "$deb" "$scratch/control-$name"
        for s in postinst prerm postrm; do
            [[ -x $scratch/control-$name/$s ]] || fail "$name has no executable $s"
            sh -n "$scratch/control-$name/$s" || fail "$name $s is not valid sh"
        done
        ! grep -nE 'systemctl +(--[a-z]+ +)*(enable|start|restart|reenable|preset)\b|deb-systemd-invoke|deb-systemd-helper +enable' \
            "$scratch/control-$name"/post* "$scratch/control-$name"/prerm || fail "$name's scripts enable or start a service"
    done
    DPKG_ROOT=$root sh "$scratch/control-parley-agent/postinst" configure >/dev/null 2>&1 || fail "parley-agent postinst configure"
    s_check_user "$root"
    DPKG_ROOT=$root sh "$scratch/control-parley-collector/postinst" configure >/dev/null 2>&1 ||
        fail "parley-collector postinst configure (the user already there)"
    [[ $(grep -c '^parley:' "$root/etc/passwd") == 1 ]] || fail "two postinsts made two parley users"
    ok "maintainer scripts: the user made once, no service enabled or started"
    ;;
*)
    fail "unknown step $step"
    ;;
esac
