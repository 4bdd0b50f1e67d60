#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian package upgrades without stopping agents, and goes away
# completely: builds the package twice from a copy of the source tree
# (version N as in debian/changelog, N+1 with one more changelog entry),
# installs N with dpkg, starts the installed daemon on a private bus (the
# e2e helpers' way) with a permanent and a temporary agent, installs N+1 over
# it, and checks that the daemon now runs the new binary with the same
# agents (same MainPID, InvocationID, RestartCount; one start each) and still
# supervises them (a crash is restarted). Then purges the package while the
# daemon runs: prerm stops the daemon and its agents, and nothing of the
# package is left. Every check runs and is reported; the exit status says
# whether all passed. Exit 77 (skipped) when the machine cannot host the
# test without disturbing what is installed on it.
#
# usage: test-deb-upgrade.sh SRCROOT   (PROBE, NOTIFY_AGENT, SYSCALL_PROBE
# from tests/meson.build, as for the e2e suites)
set -uo pipefail

if [[ $# -ne 1 ]]; then
        echo "usage: $0 SRCROOT" >&2
        exit 2
fi
src=$(realpath "$1")
# One instance at a time on this machine, the package being machine-wide.
# flock -o: the lock stays with flock, not with the daemon and maintainer
# scripts this test starts (which would inherit its fd).
if [[ -z ${AV_DEB_TEST_LOCKED:-} ]]; then
        echo "waiting (5 min at most) for the lock of test-deb-upgrade.sh"
        AV_DEB_TEST_LOCKED=1 exec flock -o -w 300 -E 77 /run/lock/agentvisor-test-deb-upgrade.lock \
                bash "$0" "$@"
fi
PKG=agentvisor
DAEMON=/usr/sbin/agentvisord

skipped=0
skip() { echo "SKIP: $*"; skipped=1; exit 77; }
[[ $(id -u) == 0 ]] || skip "installing a package needs root"
for tool in dpkg-buildpackage dh dpkg-parsechangelog flock; do
        command -v "$tool" >/dev/null ||
                skip "$tool not found: tools/install-deps.sh installs the Debian packaging tools"
done
[[ -f $src/debian/changelog ]] || { echo "FAIL: no debian/changelog in $src" >&2; exit 1; }

failures=0
checks=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); checks=$((checks + 1)); }
pass() { echo "ok: $*"; checks=$((checks + 1)); }
# check WHAT CMD...: one assertion.
check() {
        local what=$1
        shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}
# logged LOG CMD...: CMD with its output in LOG, shown when it fails.
logged() {
        "${@:2}" >"$1" 2>&1 && return 0
        tail -n 30 "$1" >&2
        return 1
}
# A check that can only pass once the daemon re-executes itself
# (Reexecute(), agentctl daemon-reexec: issue 15's live-upgrade work).
reexec_check() {
        local what="$1 [needs daemon-reexec]"
        shift
        check "$what" "$@"
}

# --- What must not be there before: the test would replace or delete it --
status=$(dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null || true)
[[ -z $status || $status == not-installed ]] ||
        skip "the package $PKG is on this machine ($status): the test would replace and purge it"
pids_of_installed_daemon() {
        local exe target
        for exe in /proc/[0-9]*/exe; do
                target=$(readlink "$exe" 2>/dev/null) || continue
                [[ $target == "$DAEMON" || $target == "$DAEMON (deleted)" ]] || continue
                exe=${exe#/proc/}
                echo "${exe%/exe}"
        done
}
[[ -z $(pids_of_installed_daemon) ]] ||
        skip "an agentvisord from $DAEMON runs (pid $(pids_of_installed_daemon)): postinst and prerm would act on it"
# postrm purge removes these; the enable link is the package's own.
state_paths=(/etc/agentvisor /var/log/agentvisor /var/lib/agentvisor /run/agentvisor
             /etc/systemd/system/multi-user.target.wants/agentvisord.service
             /var/lib/systemd/deb-systemd-helper-enabled/agentvisord.service.dsh-also
             /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/agentvisord.service)
# What the daemon writes with the default configuration (tools/demo.sh, a
# from-source install) is moved aside for the test and put back after it:
# the purge removes these directories.
aside=(/var/log/agentvisor /var/lib/agentvisor /run/agentvisor)
for p in "${aside[@]}"; do
        [[ ! -e $p.test-deb-upgrade-aside ]] ||
                skip "$p.test-deb-upgrade-aside exists (an interrupted run of this test?): put it back as $p or remove it"
done
for p in "${state_paths[@]}"; do
        [[ " ${aside[*]} " == *" $p "* ]] && continue
        [[ ! -e $p && ! -L $p ]] || skip "$p exists: installing and purging the package would take it over or delete it"
done
group_existed=0
getent group agentvisor >/dev/null && group_existed=1

moved_aside=()
put_back() {
        local p
        for p in "${moved_aside[@]}"; do
                rm -rf "$p"
                mv "$p.test-deb-upgrade-aside" "$p" || echo "cleanup: could not move $p.test-deb-upgrade-aside back to $p" >&2
        done
}

tmp=$(mktemp -d /tmp/avdeb.XXXXXX)
cleanup() {
        set +e
        if declare -F av_teardown >/dev/null && [[ -n ${T:-} ]]; then
                av_teardown || fail "teardown: the private daemon left something behind (above)"
        fi
        status=$(dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null)
        if [[ -n $status && $status != not-installed ]]; then
                echo "cleanup: purging $PKG (state $status)"
                dpkg --purge "$PKG" >"$tmp/cleanup-purge.log" 2>&1 || cat "$tmp/cleanup-purge.log" >&2
        fi
        if [[ $group_existed == 0 ]] && getent group agentvisor >/dev/null; then
                groupdel agentvisor || echo "cleanup: could not remove the group agentvisor" >&2
        fi
        put_back
        rm -rf "$tmp"
        [[ $skipped == 1 ]] && exit 77
        echo "$checks checks, $failures failed"
        [[ $failures == 0 ]] && exit 0 || exit 1
}
trap cleanup EXIT

# --- Two builds from a copy of the tree -----------------------------------
# Files git knows (committed or new, not ignored), so that build directories
# and earlier packaging output do not come along.
mkdir -p "$tmp/src" "$tmp/N" "$tmp/N1"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "$src" ls-files -z --cached --others --exclude-standard |
                tar -C "$src" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$tmp/src" -xf -
else
        tar -C "$src" --exclude='./build*' --exclude='./obj-*' --exclude=./.git -cf - . | tar -C "$tmp/src" -xf -
fi
[[ -f $tmp/src/debian/rules ]] || { fail "copying the source tree to $tmp/src"; exit 1; }

# build DIR: dpkg-buildpackage in the copy; the .deb goes to DIR.
build() {
        local start=$SECONDS
        if ! (cd "$tmp/src" && DEB_BUILD_OPTIONS="nocheck noddebs" dpkg-buildpackage -us -uc -b) \
                >"$tmp/build.log" 2>&1; then
                tail -n 40 "$tmp/build.log" >&2
                return 1
        fi
        mv "$tmp"/agentvisor_*.deb "$1"/ && rm -f "$tmp"/agentvisor_*.{buildinfo,changes}
        echo "built $(basename "$1"/*.deb) in $((SECONDS - start)) s"
}

version_n=$(dpkg-parsechangelog -l "$tmp/src/debian/changelog" -S Version)
version_n1=$version_n+upgradetest1
# The package's upstream version is the project's.
meson_version=$(sed -n "s/^ *version : '\(.*\)',\$/\1/p" "$src/meson.build" | head -n 1)
check "debian/changelog's version $version_n is meson.build's $meson_version" \
        test "${version_n%%[-+~]*}" == "$meson_version"
build "$tmp/N" || { fail "dpkg-buildpackage of version $version_n (build.log above)"; exit 1; }
{
        printf '%s (%s) unstable; urgency=medium\n\n  * Test build for the upgrade test.\n\n' "$PKG" "$version_n1"
        printf ' -- agentvisor tests <tests@invalid>  %s\n\n' "$(date -R)"
        cat "$tmp/src/debian/changelog"
} >"$tmp/changelog" && mv "$tmp/changelog" "$tmp/src/debian/changelog"
build "$tmp/N1" || { fail "dpkg-buildpackage of version $version_n1 (build.log above)"; exit 1; }
deb_n=$(echo "$tmp"/N/*.deb)
deb_n1=$(echo "$tmp"/N1/*.deb)
if command -v lintian >/dev/null; then
        lintian "$deb_n" 2>/dev/null | grep -E '^[EW]: ' >"$tmp/lintian.log"
        check "lintian finds no error or warning in the package" test ! -s "$tmp/lintian.log" ||
                cat "$tmp/lintian.log" >&2
else
        echo "note: lintian not found, the package is not linted"
fi

# Nothing the package ships may exist yet: dpkg would overwrite it silently
# and purge would delete it.
while read -r path; do
        [[ -n $path && ! -d /$path ]] || continue
        [[ ! -e /$path && ! -L /$path ]] || skip "/$path exists and belongs to no package of ours: dpkg -i would overwrite it"
done < <(dpkg-deb --fsys-tarfile "$deb_n1" | tar -t | sed 's|^\./||')

for p in "${aside[@]}"; do
        if [[ -e $p ]]; then
                mv "$p" "$p.test-deb-upgrade-aside" || { fail "moving $p aside"; exit 1; }
                moved_aside+=("$p")
                echo "moved $p aside to $p.test-deb-upgrade-aside for the test"
        fi
done

installed_version() {
        dpkg-query -W -f='${db:Status-Status} ${Version}' "$PKG" 2>/dev/null
}

# --- Install N -------------------------------------------------------------
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
check "dpkg -i version $version_n" logged "$tmp/install-n.log" dpkg -i "$deb_n"
check "version $version_n is installed" test "$(installed_version)" == "installed $version_n"
for f in /usr/sbin/agentvisord /usr/bin/agentctl; do
        check "$f is installed and executable" test -x "$f"
done
for f in "$unitdir/agentvisord.service" /usr/share/dbus-1/system.d/org.agentvisor1.conf \
         /usr/share/dbus-1/system-services/org.agentvisor1.service /usr/lib/sysusers.d/agentvisor.conf \
         /etc/agentvisor/agentvisor.conf /usr/share/agentvisor/policies/default.policy \
         /usr/share/man/man8/agentvisord.8.gz /usr/share/man/man5/agentvisor.conf.5.gz \
         /usr/share/bash-completion/completions/agentctl; do
        check "$f is installed" test -f "$f"
done
check "/etc/agentvisor/agentvisor.conf is a conffile" \
        grep -qx /etc/agentvisor/agentvisor.conf /var/lib/dpkg/info/$PKG.conffiles
has_group() { getent group agentvisor >/dev/null; }
check "postinst made the group agentvisor (sysusers)" has_group

# --- The installed daemon N on a private bus, with two agents --------------
# The e2e helpers outside bats: they want these names.
BATS_TEST_DIRNAME=$src/tests/e2e
BATS_TEST_NUMBER=1
BATS_TEST_COMPLETED=
AGENTVISORD=$DAEMON
AGENTCTL=/usr/bin/agentctl
POLICY_DIR=/usr/share/agentvisor/policies
export AGENTVISORD AGENTCTL POLICY_DIR
# shellcheck source=e2e/helpers.bash
source "$src/tests/e2e/helpers.bash"
av_setup || { fail "av_setup: a private bus"; exit 1; }
av_config
av_type keeper <<EOF
[Agent]
Exec=$PROBE record $T/out/keeper sleep 0 --marker $AV_TOKEN
Restart=permanent
EOF
av_type temp <<EOF
[Agent]
Exec=$PROBE record $T/out/temp sleep 0 --marker $AV_TOKEN
Restart=temporary
EOF
av_start || { fail "the installed agentvisord $version_n starts on a private bus"; exit 1; }
pass "the installed agentvisord $version_n runs (pid $AV_DAEMON_PID) with the installed policies"
daemon_pid=$AV_DAEMON_PID

identity() {
        echo "$(av_prop "$1" MainPID) $(av_prop "$1" InvocationID) $(av_prop "$1" RestartCount)"
}
declare -A before
for a in keeper temp; do
        av_start_agent "$a" "$a" >/dev/null && av_wait_prop "$a" State running ||
                { fail "agent $a starts"; exit 1; }
        before[$a]=$(identity "$a")
done
pass "agents keeper (permanent) and temp (temporary) run: ${before[keeper]%% *}, ${before[temp]%% *}"

# --- Upgrade to N+1 over the running daemon ---------------------------------
# postinst reaches the daemon through agentctl, here on the private bus
# ($AGENTCTL_BUS_ADDRESS from av_setup).
check "dpkg -i version $version_n1 over the running daemon" \
        logged "$tmp/install-n1.log" dpkg -i "$deb_n1"
sed 's/^/  dpkg: /' "$tmp/install-n1.log" | grep 'agentvisor:' || true
check "version $version_n1 is installed" test "$(installed_version)" == "installed $version_n1"
check "the daemon (pid $daemon_pid) still runs after the upgrade" av_pid_alive "$daemon_pid"
check "the daemon owns org.agentvisor1 after the upgrade" \
        av_wait_until 5 "the daemon to own org.agentvisor1" av_bus_has_name
runs_new_binary() {
        [[ $(readlink "/proc/$daemon_pid/exe" 2>/dev/null) == "$DAEMON" ]]
}
reexec_check "the daemon runs the binary of $version_n1, not the replaced one of $version_n" \
        av_wait_until 5 "the daemon to run $DAEMON" runs_new_binary
reexec_check "postinst says it re-executed the daemon" \
        grep -q "agentvisord (pid $daemon_pid) re-executed" "$tmp/install-n1.log"
for a in keeper temp; do
        check "$a kept MainPID, InvocationID and RestartCount across the upgrade" \
                test "$(identity "$a")" == "${before[$a]}"
        check "$a is running" test "$(av_prop "$a" State)" == running
        check "$a was started once" test "$(av_count_lines "$T/out/$a")" == 1
done

# Still supervised: a crash of the permanent agent is restarted.
old_pid=${before[keeper]%% *}
kill -KILL "$old_pid"
new_main() {
        local pid
        pid=$(av_prop keeper MainPID 2>/dev/null) || return 1
        [[ $pid != 0 && $pid != "$old_pid" ]] && [[ $(av_prop keeper State) == running ]]
}
check "a crash of keeper after the upgrade is restarted" av_wait_until 10 "keeper to be restarted" new_main
check "keeper's RestartCount is 1 after that crash" test "$(av_prop keeper RestartCount)" == 1
check "keeper was started twice in all" test "$(av_count_lines "$T/out/keeper")" == 2
check "temp was left alone" test "$(identity temp)" == "${before[temp]}"

# --- Purge with the daemon running: prerm stops it -------------------------
check "dpkg --purge with the daemon running" logged "$tmp/purge.log" dpkg --purge "$PKG"
sed 's/^/  dpkg: /' "$tmp/purge.log" | grep 'agentvisor:' || true
check "the package is gone" test "$(installed_version)" != "installed $version_n1"
daemon_gone() { ! av_pid_alive "$daemon_pid"; }
if check "prerm stopped the daemon" av_wait_until 5 "the daemon to exit" daemon_gone; then
        daemon_status=0
        wait "$daemon_pid" || daemon_status=$?
        AV_DAEMON_PID=
        check "the daemon exited 0 on prerm's SIGTERM" test "$daemon_status" == 0
fi
check "no agent process is left" test -z "$(av_marked_pids)"
check "no cgroup of the daemon is left" test -z "$(av_find_cgroups)"
left=()
while read -r path; do
        [[ -n $path && ! -d /$path ]] || continue
        [[ -e /$path || -L /$path ]] && left+=("/$path")
done < <(dpkg-deb --fsys-tarfile "$deb_n1" | tar -t | sed 's|^\./||')
for p in "${state_paths[@]}"; do
        [[ -e $p || -L $p ]] && left+=("$p")
done
check "purge left none of the package's files and state${left:+ (left: ${left[*]})}" test ${#left[@]} == 0
BATS_TEST_COMPLETED=1
