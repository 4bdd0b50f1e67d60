#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The demo: builds agentvisor, starts a private dbus-daemon and agentvisord
# with examples/agentvisor.conf, starts a few agents and shows them through
# busctl and agentctl: the object tree, properties, the sandbox an agent
# runs in, agents kept apart from each other and from the network (dynamic
# users, the standard and strict sandboxes), a crash-looping agent
# escalating its supervisor, a refused ptrace reported on the bus, an agent
# frozen and thawed, the daemon re-executed under its running agents, and a
# clean shutdown that leaves no cgroup behind. A build without isolation says so and shows the rest. Run as root: tools/demo.sh (from
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
listener_pid=
logdir=/var/log/agentvisor
demo_start=$(date +%s)
# The strict example type keeps its StateDirectory after it ends; the demo
# removes what it made there.
state_root=/var/lib/agentvisor
state_made=()
[[ -e $state_root ]] || state_made+=("$state_root")
[[ -e $state_root/sealed ]] || state_made=("$state_root/sealed" "${state_made[@]}")
# RuntimeDirectory= of examples/agentvisor.conf: the daemon leaves its empty
# lock directory there; removed when this demo made it.
runtime_dir=/run/agentvisor
runtime_made=
[[ -e $runtime_dir ]] || runtime_made=1

cleanup() {
        local rc=$?
        set +e
        if [[ -n $daemon_pid ]] && kill -0 "$daemon_pid" 2>/dev/null; then
                kill -TERM "$daemon_pid"
                for _ in $(seq 400); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
                kill -0 "$daemon_pid" 2>/dev/null && kill -KILL "$daemon_pid"
                wait "$daemon_pid" 2>/dev/null
                kill -0 "$daemon_pid" 2>/dev/null || daemon_pid=
        fi
        if [[ -n $bus_pid ]]; then
                kill -TERM "$bus_pid" 2>/dev/null
                wait "$bus_pid" 2>/dev/null
        fi
        if [[ -n $listener_pid ]]; then
                kill -TERM "$listener_pid" 2>/dev/null
                wait "$listener_pid" 2>/dev/null
        fi
        # Only once no daemon runs: agents write there.
        if [[ -z $daemon_pid ]]; then
                for d in "${state_made[@]}"; do
                        if [[ $d == "$state_root" ]]; then rmdir "$d" 2>/dev/null; else rm -rf "$d"; fi
                done
                [[ -n $runtime_made ]] && rmdir "$runtime_dir/dynamic-uid" "$runtime_dir" 2>/dev/null
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

# show_as TEXT CMD...: as show, printing TEXT for a command too long to
# read (a script passed to a shell).
show_as() {
        printf '\033[2m$ %s\033[0m\n' "$1"
        shift
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

# agentctl reads the same table of agent keys as the daemon it was built
# with: without Sandbox= there, this build predates isolation, and the
# demo runs on a copy of the examples without the types that need it.
config=examples/agentvisor.conf
isolation_keys='^(Sandbox|PrivateTmp|ProtectSystem|ProtectHome|PrivateDevices|ProtectProc|ProcSubset|PrivateIPC'
isolation_keys+='|PrivateNetwork|PrivatePIDs|PrivateUsers|Landlock|ReadWritePaths|ReadOnlyPaths|InaccessiblePaths'
isolation_keys+='|BindPaths|BindReadOnlyPaths|StateDirectory|AllowTCPConnect|AllowTCPBind)='
if ! [[ -x $agentctl ]] || ! "$agentctl" __complete properties 2>/dev/null | grep -qx Sandbox; then
        mkdir -p "$tmp/examples/agents.d"
        sed -E -e "s|^PolicyPath=.*|PolicyPath=$top/policies|" \
                -e '/^(DefaultUser=dynamic$|(DefaultSandbox|DynamicUserRange|StateDirectory|RuntimeDirectory)=)/d' \
                examples/agentvisor.conf >"$tmp/examples/agentvisor.conf"
        for f in examples/agents.d/*.agent; do
                grep -qE "$isolation_keys" "$f" || cp "$f" "$tmp/examples/agents.d/"
        done
        config=$tmp/examples/agentvisor.conf
        echo "isolation not available in this build: running without the example types that need it"
fi

step "agentvisord --config $config --bus $bus"
mkdir -p "$logdir"
"$agentvisord" --config "$config" --bus "$bus" 2>"$tmp/daemon.log" &
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

# agent_path NAME, agent_prop NAME PROPERTY: an agent's object and one of
# its properties, bare ("running", 61213).
agent_path() {
        "${busctl[@]}" call "${manager[@]}" GetAgent s "$1" 2>/dev/null | sed -n 's/^o "\(.*\)"$/\1/p'
}
agent_prop() {
        local path
        path=$(agent_path "$1") && [[ -n $path ]] || return 1
        "${busctl[@]}" get-property org.agentvisor1 "$path" org.agentvisor1.Agent "$2" 2>/dev/null |
                sed 's/^[a-z]* //; s/"//g'
}
# wait_state NAME STATE...: up to 10 s for the agent to reach one of them.
wait_state() {
        local name=$1 st
        shift
        for _ in $(seq 100); do
                st=$(agent_prop "$name" State || true)
                for want in "$@"; do [[ $st == "$want" ]] && return 0; done
                sleep 0.1
        done
        echo "(agent $name is ${st:-unknown} after 10 s, not $*)"
        return 1
}
# log_mark NAME, agent_output NAME MARK: what the agent printed since the
# mark, from LogDirectory or, where agentvisord logs to it, the journal.
log_mark() {
        if [[ -r $logdir/$1.log ]]; then wc -l <"$logdir/$1.log"; else echo 0; fi
}
agent_output() {
        if [[ -r $logdir/$1.log ]]; then
                tail -n +"$(($2 + 1))" "$logdir/$1.log" | sed 's/^/  /'
        elif command -v journalctl >/dev/null; then
                journalctl -q --no-pager -o cat -t "$1" --since "@$demo_start" | grep -v '^agentvisor: invocation' |
                        sed 's/^/  /'
        fi
}

# What one agent tries against another, given its name and host pid: bob
# runs it against alice.
probe_neighbour=$(cat <<'SH'
me=$0 other=$1 pid=$2
say() { echo "$me: $*"; }
say "I run as uid $(id -u); $other is pid $pid on the host"
say "processes I can see in /proc: $(ls /proc | grep -c '^[0-9]')"
if [ -d "/proc/$pid" ]; then say "/proc/$pid: visible"; else say "/proc/$pid: not there for me"; fi
if err=$(cat "/proc/$pid/environ" 2>&1 >/dev/null); then say "read $other's environment (secrets)!"
else say "cat /proc/$pid/environ: ${err##*: }"; fi
if err=$(kill -TERM "$pid" 2>&1); then say "kill -TERM $pid: sent!"; else say "kill -TERM $pid: ${err##*- }"; fi
SH
)
# What an agent sees of the network: its interfaces and a connect to the
# host's listener on 127.0.0.1.
probe_network=$(cat <<'SH'
me=$0 port=$1
echo "$me: network interfaces: $(awk -F: 'NR > 2 { gsub(/ /, "", $1); printf "%s ", $1 }' /proc/self/net/dev)"
if err=$( (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>&1); then
        echo "$me: connect to the host's 127.0.0.1:$port: connected"
else
        err=${err%%$'\n'*}
        echo "$me: connect to the host's 127.0.0.1:$port: ${err##*: }"
fi
SH
)

isolation_demo() {
        local features apid mark_bob mark_on mark_off out port=

        if ! features=$("${busctl[@]}" get-property "${manager[@]}" Features 2>/dev/null); then
                echo "isolation not available in this build (agentvisord has no Features property): skipping it"
                return 0
        fi
        if ! [[ -x $agentctl ]]; then
                echo "(agentctl was not built; skipping the isolation part)"
                return 0
        fi
        step "Isolation: what this host offers (Manager property Features)"
        show "${busctl[@]}" get-property "${manager[@]}" Features

        step "Two agents with users of their own cannot see or signal each other"
        show "${ctl[@]}" run --name alice -E SECRET=alices-token -- /bin/sh -c 'echo "alice: up as uid $(id -u)"; exec sleep 120'
        wait_state alice running || return 0
        apid=$(agent_prop alice MainPID)
        mark_bob=$(log_mark bob)
        show_as "agentctl run --name bob -- /bin/bash -c \"\$probe_neighbour\" bob alice $apid" \
                "${ctl[@]}" run --name bob -- /bin/bash -c "$probe_neighbour" bob alice "$apid"
        wait_state bob exited failed || true
        echo "what bob tried, and what happened:"
        agent_output bob "$mark_bob"
        echo "from the host: alice is $(agent_prop alice State) (pid $(agent_prop alice MainPID), uid $(agent_prop alice UID));" \
                "bob ran as uid $(agent_prop bob UID)"
        show "${ctl[@]}" status alice

        step "The strict sandbox: no network but its own loopback"
        python3 - "$tmp/port" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
with open(sys.argv[1] + ".new", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".new", sys.argv[1])
s.settimeout(0.5)
end = time.time() + 60
while time.time() < end:
    try:
        c, _ = s.accept()
        c.close()
    except socket.timeout:
        pass
PY
        listener_pid=$!
        for _ in $(seq 50); do [[ -s $tmp/port ]] && break; sleep 0.1; done
        port=$(cat "$tmp/port" 2>/dev/null || true)
        if [[ -z $port ]]; then
                echo "(no TCP listener could be started on 127.0.0.1; skipping the network part)"
                return 0
        fi
        echo "a listener on the host at 127.0.0.1:$port"
        mark_on=$(log_mark online)
        mark_off=$(log_mark offline)
        show_as "agentctl run --name online -- /bin/bash -c \"\$probe_network\" online $port" \
                "${ctl[@]}" run --name online -- /bin/bash -c "$probe_network" online "$port"
        show_as "agentctl run --name offline --sandbox strict -- /bin/bash -c \"\$probe_network\" offline $port" \
                "${ctl[@]}" run --name offline --sandbox strict -- /bin/bash -c "$probe_network" offline "$port"
        wait_state online exited failed || true
        wait_state offline exited failed || true
        echo "what each tried, and what happened:"
        agent_output online "$mark_on"
        out=$(agent_output offline "$mark_off")
        printf '%s\n' "$out"
        if [[ $out == *": connected"* ]]; then
                echo "offline reached the host's network: this agentvisord did not give it a network namespace"
        elif [[ -n $out ]]; then
                echo "offline has a network of its own: only its loopback, where nothing listens"
        fi
        show_as "agentctl status offline | grep Sandbox:" \
                bash -c '"$@" | grep "Sandbox:"' - "${ctl[@]}" status offline

        step "An agent type under the strict sandbox: examples/agents.d/sealed.agent"
        show "${ctl[@]}" start sealed sealed
        wait_state sealed running || true
        show "${ctl[@]}" status sealed
        show "${ctl[@]}" stop alice
}
isolation_demo

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

# The second wave: what an agent tried and was refused, holding an agent
# still, and replacing the daemon's own process under running agents.
misbehaviour_demo() {
        local mark pid1 inv1 pid2 inv2 n1 n2
        if [[ -x /usr/bin/strace ]]; then
                step "Violations: 'default' reports what it refuses from @privileged and @debug"
                echo "snoop runs strace, whose ptrace() the default policy refuses (EPERM) and reports:"
                show "${ctl[@]}" run --name snoop -- /usr/bin/strace -o /dev/null /bin/true
                wait_state snoop exited failed || true
                show "${busctl[@]}" get-property org.agentvisor1 "$(agent_path snoop)" org.agentvisor1.Agent \
                        PolicyViolations
                show "${ctl[@]}" status snoop
                "${ctl[@]}" remove snoop >/dev/null 2>&1 || true
        fi

        step "Freezing: ticker held still through the cgroup freezer, then thawed"
        show "${ctl[@]}" freeze ticker
        echo "ticker's State: $(agent_prop ticker State)"
        n1=$(log_mark ticker); sleep 4; n2=$(log_mark ticker)
        echo "ticker printed $((n2 - n1)) lines in 4 s while frozen"
        show "${ctl[@]}" thaw ticker
        mark=$(log_mark ticker); sleep 2.5
        echo "after the thaw ($(agent_prop ticker State)):"; agent_output ticker "$mark"

        step "Live upgrade: Reexecute() executes the daemon anew, keeping every agent"
        pid1=$(agent_prop ticker MainPID); inv1=$("${ctl[@]}" status ticker | sed -n 's/^Invocation: //p')
        show "${ctl[@]}" daemon-reexec
        for _ in $(seq 40); do agent_prop ticker State >/dev/null 2>&1 && break; sleep 0.05; done
        pid2=$(agent_prop ticker MainPID); inv2=$("${ctl[@]}" status ticker | sed -n 's/^Invocation: //p')
        echo "ticker before: MainPID $pid1, InvocationID $inv1"
        echo "ticker after:  MainPID $pid2, InvocationID $inv2"
        [[ $pid1 == "$pid2" && $inv1 == "$inv2" ]] && echo "same process, same invocation: nothing was restarted"
        show "${ctl[@]}" list
}
if [[ -x $agentctl ]]; then
        misbehaviour_demo
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
