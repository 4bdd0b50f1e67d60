#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs a build into a scratch DESTDIR and checks that everything lands
# where a distribution expects it: binaries, policies, systemd unit, bus
# policy and activation file, sysusers, default configuration with an empty
# agents.d, man pages (when scdoc is there) and bash completion; and that the
# installed unit's paths point at installed files.
#
# usage: test-install.sh BUILDROOT
set -uo pipefail

if [[ $# -ne 1 ]]; then
        echo "usage: $0 BUILDROOT" >&2
        exit 2
fi
build=$(realpath "$1")

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest

if ! meson install -C "$build" --no-rebuild --destdir "$dest" >"$tmp/install.log" 2>&1; then
        echo "FAIL: meson install --destdir failed:" >&2
        tail -n 30 "$tmp/install.log" >&2
        exit 1
fi
pass "meson install --destdir $dest"

src=$(jq -r '.directories.source' "$build/meson-info/meson-info.json")
options=$build/meson-info/intro-buildoptions.json
opt() { jq -r --arg n "$1" '.[] | select(.name == $n) | .value' "$options"; }
prefix=$(opt prefix)
# dir OPTION: the option's directory as installed (relative ones are under prefix).
dir() {
        local v
        v=$(opt "$1")
        [[ $v == /* ]] && echo "$v" || echo "$prefix/$v"
}
bindir=$(dir bindir)
sbindir=$(dir sbindir)
libexecdir=$(dir libexecdir)
datadir=$(dir datadir)
mandir=$(dir mandir)
sysconfdir=$(dir sysconfdir)
unitdir=$(opt systemd_unit_dir)
[[ -n $unitdir ]] || unitdir=$prefix/lib/systemd/system
buspolicydir=$(opt dbus_policy_dir)
[[ -n $buspolicydir ]] || buspolicydir=$datadir/dbus-1/system.d

# file PATH WHAT [-x]: PATH (without DESTDIR) must be installed.
file() {
        if [[ ! -f $dest$1 ]]; then
                fail "$2 not installed: expected $1"
        elif [[ ${3:-} == -x && ! -x $dest$1 ]]; then
                fail "$2 installed but not executable: $1"
        else
                pass "$2: $1"
        fi
}

file "$bindir/agentctl" "agentctl" -x
file "$sbindir/agentvisord" "agentvisord (daemons go to sbindir)" -x
if [[ $(uname -m) == x86_64 || $(uname -m) == aarch64 ]]; then
        file "$libexecdir/agentvisor/agentvisor-nsinit" "agentvisor-nsinit (PrivatePIDs= init)" -x
fi

policydir=$datadir/agentvisor/policies
n=0
for p in "$src"/policies/*.policy; do
        [[ -e $p ]] || continue
        n=$((n + 1))
        file "$policydir/$(basename "$p")" "policy $(basename "$p" .policy)"
done
[[ $n -gt 0 ]] || fail "no policies/*.policy in the source tree $src"

unit=$unitdir/agentvisord.service
file "$unit" "systemd unit"
if [[ -f $dest$unit ]]; then
        exec_start=$(sed -n 's/^ExecStart=//p' "$dest$unit")
        read -r exec_path _ <<<"$exec_start"
        [[ -x $dest$exec_path ]] || fail "the unit's ExecStart=$exec_path is not an installed executable"
        config=$(sed -n 's/.*--config \([^ ]*\).*/\1/p' <<<"$exec_start")
        [[ -f $dest$config ]] || fail "the unit's --config $config is not an installed file"
fi

file "$buspolicydir/org.agentvisor1.conf" "bus policy"
file "$datadir/dbus-1/system-services/org.agentvisor1.service" "bus activation file"
file "$prefix/lib/sysusers.d/agentvisor.conf" "sysusers.d entry"

conf=$sysconfdir/agentvisor/agentvisor.conf
file "$conf" "default configuration"
if [[ -d $dest$sysconfdir/agentvisor/agents.d ]]; then
        pass "agents.d: $sysconfdir/agentvisor/agents.d"
else
        fail "agents.d not installed: expected the directory $sysconfdir/agentvisor/agents.d"
fi
if [[ -f $dest$conf ]]; then
        policy_path=$(sed -n 's/^PolicyPath=//p' "$dest$conf")
        [[ $policy_path == "$policydir" ]] ||
                fail "the default configuration's PolicyPath=$policy_path is not the installed $policydir"
fi

if command -v scdoc >/dev/null; then
        n=0
        for page in "$src"/docs/*.scd; do
                [[ -e $page ]] || continue
                n=$((n + 1))
                name=$(basename "$page" .scd)
                file "$mandir/man${name##*.}/$name" "man page $name"
        done
        [[ $n -ge 5 ]] || fail "only $n man page sources in $src/docs (expected agentvisord(8), agentctl(1), agentvisor.conf(5), agentvisor.agent(5), agentvisor.policy(5))"
else
        echo "note: scdoc not found, man pages not checked"
fi

file "$datadir/bash-completion/completions/agentctl" "bash completion"

# Test programs and fixtures are not for installation.
stray=$(find "$dest" -type f \( -name 'test-*' -o -name 'probe' -o -name '*.bats' \) 2>/dev/null)
[[ -z $stray ]] || fail "test files were installed:"$'\n'"$stray"

if [[ $failures -ne 0 ]]; then
        echo "$failures check(s) failed; installed tree:" >&2
        (cd "$dest" && find . -type f -o -type d -empty | sort) >&2
        exit 1
fi
echo "all install checks passed"
