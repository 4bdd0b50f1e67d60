#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The demo: builds agentvisor, starts a private dbus-daemon and agentvisord
# with examples/agentvisor.conf, starts a few agents and shows them through
# busctl and agentctl: the object tree, properties, the sandbox an agent
# runs in, a crash-looping agent escalating its supervisor, and a clean
# shutdown that leaves no cgroup behind. Run as root: tools/demo.sh (from
# another user: sudo tools/demo.sh)
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD

if [[ $(id -u) -ne 0 ]]; then
        # Minimal images run as root and have no sudo: only other users are
        # pointed to it.
        if command -v sudo >/dev/null; then
                echo "demo.sh: needs root (cgroups, agents as other users); run it as root, or from this user: sudo $0" >&2
        else
                echo "demo.sh: needs root (cgroups, agents as other users); run it as root (there is no sudo here: su -c $0)" >&2
        fi
        exit 1
fi

bash tools/install-deps.sh
[[ -f build/build.ninja ]] || meson setup build
ninja -C build

agentvisord=$top/build/src/daemon/agentvisord
agentctl=$top/build/src/ctl/agentctl
[[ -x $agentvisord ]] || { echo "demo.sh: $agentvisord was not built" >&2; exit 1; }

tmp=$(mktemp -d /tmp/agentvisor-demo.XXXXXX)
chmod 755 "$tmp"
bus_pid=
daemon_pid=

cleanup() {
        local rc=$?
        set +e
        if [[ -n $daemon_pid ]] && kill -0 "$daemon_pid" 2>/dev/null; then
                kill -TERM "$daemon_pid"
                for _ in $(seq 400); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
                kill -0 "$daemon_pid" 2>/dev/null && kill -KILL "$daemon_pid"
                wait "$daemon_pid" 2>/dev/null
        fi
        if [[ -n $bus_pid ]]; then
                kill -TERM "$bus_pid" 2>/dev/null
                wait "$bus_pid" 2>/dev/null
        fi
        rm -rf "$tmp"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# show CMD...: prints the command as a person would type it, then runs it;
# a failing command is reported but does not end the demo.
show() {
        local a line=
        for a in "$@"; do
                if [[ -z $a || $a =~ [^A-Za-z0-9_./:=,@%+-] ]]; then
                        line+=" '${a//\'/\'\\\'\'}'"
                else
                        line+=" $a"
                fi
        done
        printf '\033[2m$%s\033[0m\n' "$line"
        "$@" || echo "(exit status $?)"
}

step "A private bus"
cat >"$tmp/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
CONF
dbus-daemon --config-file="$tmp/bus.conf" --nofork --print-address=3 3>"$tmp/bus.addr" 2>"$tmp/bus.log" &
bus_pid=$!
for _ in $(seq 100); do [[ -s $tmp/bus.addr ]] && break; sleep 0.05; done
[[ -s $tmp/bus.addr ]] || { echo "demo.sh: dbus-daemon printed no address" >&2; exit 1; }
bus=$(head -n 1 "$tmp/bus.addr")
bus=${bus%%,guid=*}
echo "bus address: $bus"

busctl=(busctl --address="$bus" --no-pager)
ctl=("$agentctl" --address "$bus")
manager=(org.agentvisor1 /org/agentvisor1 org.agentvisor1.Manager)

step "agentvisord --config examples/agentvisor.conf --bus $bus"
mkdir -p /var/log/agentvisor
"$agentvisord" --config examples/agentvisor.conf --bus "$bus" 2>"$tmp/daemon.log" &
daemon_pid=$!
for _ in $(seq 100); do
        "${busctl[@]}" status org.agentvisor1 >/dev/null 2>&1 && break
        kill -0 "$daemon_pid" 2>/dev/null || break
        sleep 0.1
done
if ! "${busctl[@]}" status org.agentvisor1 >/dev/null 2>&1; then
        echo "demo.sh: agentvisord did not take org.agentvisor1 within 10 s; its log:" >&2
        cat "$tmp/daemon.log" >&2
        exit 1
fi
echo "agentvisord (pid $daemon_pid) owns org.agentvisor1"

step "Start agents: StartAgent(s type, s name, a{sv} options)"
show "${busctl[@]}" call "${manager[@]}" StartAgent 'ssa{sv}' ticker ticker 0
show "${busctl[@]}" call "${manager[@]}" StartAgent 'ssa{sv}' worker "" 1 Environment as 1 WORKER_ID=1
show "${busctl[@]}" call "${manager[@]}" StartAgent 'ssa{sv}' worker "" 1 Environment as 1 WORKER_ID=2
show "${busctl[@]}" call "${manager[@]}" StartAgent 'ssa{sv}' crasher crasher 0
sleep 1

step "The object tree"
show "${busctl[@]}" tree org.agentvisor1

ticker=$("${busctl[@]}" call "${manager[@]}" GetAgent s ticker | sed -n 's/^o "\(.*\)"$/\1/p' || true)
[[ -n $ticker ]] || { echo "demo.sh: GetAgent ticker failed; daemon log:" >&2; cat "$tmp/daemon.log" >&2; exit 1; }
step "An agent object: $ticker"
show "${busctl[@]}" introspect org.agentvisor1 "$ticker" org.agentvisor1.Agent
show "${busctl[@]}" get-property org.agentvisor1 "$ticker" org.agentvisor1.Agent \
        State Health MainPID ControlGroup Policy User InvocationID
show "${busctl[@]}" get-property "${manager[@]}" Version State NAgents ControlGroup

pid=$("${busctl[@]}" get-property org.agentvisor1 "$ticker" org.agentvisor1.Agent MainPID | awk '{print $2}' || true)
if [[ $pid =~ ^[0-9]+$ && $pid -gt 0 ]]; then
        step "The sandbox of ticker's main process (pid $pid)"
        show grep -E '^(Uid|Gid|NoNewPrivs|Seccomp|CapInh|CapPrm|CapEff|CapBnd|CapAmb):' "/proc/$pid/status"
        show cat "/proc/$pid/cgroup"
        show ls "/proc/$pid/fd"
fi

if [[ -x $agentctl ]]; then
        step "agentctl"
        show "${ctl[@]}" list
        show "${ctl[@]}" status ticker
        show "${ctl[@]}" types
else
        echo "(agentctl was not built; skipping its part)"
fi

step "crasher exits 1 every 3 s; its supervisor 'crashers' allows 2 restarts in 30 s"
crasher=$("${busctl[@]}" call "${manager[@]}" GetAgent s crasher | sed -n 's/^o "\(.*\)"$/\1/p' || true)
crashers=/org/agentvisor1/supervisor/crashers
for i in $(seq 14); do
        sleep 1
        state=$("${busctl[@]}" get-property org.agentvisor1 "$crasher" org.agentvisor1.Agent State 2>/dev/null | awk '{print $2}' | tr -d '"' || true)
        restarts=$("${busctl[@]}" get-property org.agentvisor1 "$crasher" org.agentvisor1.Agent RestartCount 2>/dev/null | awk '{print $2}' || true)
        escalated=$("${busctl[@]}" get-property org.agentvisor1 "$crashers" org.agentvisor1.Supervisor Escalated 2>/dev/null | awk '{print $2}' || true)
        printf '  %2d s  crasher state=%-10s restarts=%-3s crashers escalated=%s\n' "$i" "$state" "$restarts" "$escalated"
        [[ $escalated == true ]] && break
done
show "${busctl[@]}" get-property org.agentvisor1 "$crasher" org.agentvisor1.Agent ExitReason ExitStatus ExitKilledBy
show "${busctl[@]}" get-property org.agentvisor1 "$crashers" org.agentvisor1.Supervisor Escalated EscalationReason
if [[ -x $agentctl ]]; then
        show "${ctl[@]}" supervisors
        show "${ctl[@]}" list
fi
echo "ticker and the workers run on: root was not disturbed (crashers is Restart=temporary)."

if [[ -r /var/log/agentvisor/ticker.log ]]; then
        step "ticker's output (no journal here, so LogDirectory=/var/log/agentvisor)"
        show tail -n 3 /var/log/agentvisor/ticker.log
fi

step "SIGTERM to agentvisord: every agent is stopped, every cgroup removed"
cg=$("${busctl[@]}" get-property "${manager[@]}" ControlGroup 2>/dev/null | sed -n 's/^s "\(.*\)"$/\1/p' || true)
if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then v2=/sys/fs/cgroup; else v2=/sys/fs/cgroup/unified; fi
if [[ -n $cg ]]; then
        echo "agent cgroups beneath $v2$cg before:"
        find "$v2$cg" -maxdepth 3 -type d -name '*.agent' 2>/dev/null | sed 's/^/  /' || true
fi
kill -TERM "$daemon_pid"
rc=
for _ in $(seq 400); do
        if ! kill -0 "$daemon_pid" 2>/dev/null; then
                wait "$daemon_pid" && rc=0 || rc=$?
                break
        fi
        sleep 0.1
done
if [[ -z $rc ]]; then
        echo "demo.sh: agentvisord did not exit within 40 s of SIGTERM" >&2
        exit 1
fi
daemon_pid=
echo "agentvisord exited with status $rc"
if [[ -n $cg ]]; then
        left=$(find "$v2$cg" /sys/fs/cgroup/pids /sys/fs/cgroup/memory /sys/fs/cgroup/cpu/ \
                -maxdepth 6 -type d -path "*${cg}/*" -name '*.agent' 2>/dev/null || true)
        if [[ -z $left ]]; then
                echo "no agent cgroup remains (checked $v2$cg and the v1 hierarchies)"
        else
                echo "agent cgroups left behind:"; echo "$left"
                exit 1
        fi
fi

step "Daemon log (last lines)"
tail -n 15 "$tmp/daemon.log"
echo
echo "Done. See README.md for the walkthrough and tools/test.sh for the test suite."
