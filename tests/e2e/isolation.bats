#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Isolation (SPEC "Isolation", issue 13): agents apart from each other and
# from the host. Each test shows what an agent can and cannot do, from the
# agent's side (its exit status says what it managed) and from the host's.
# Unlike the other suites, these run with the built-in defaults
# (DefaultUser=dynamic, DefaultSandbox=standard) unless a test says so.

load helpers

BATS_TEST_TIMEOUT=120

setup() {
        av_setup
        mkdir -p "$T/state"
        # An empty value drops the test default: the built-in ones apply.
        # RuntimeDirectory= (the dynamic uid locks) is the helpers' per-test one.
        av_config Daemon.DefaultUser= Daemon.DefaultSandbox= Daemon.StateDirectory="$T/state" \
                Supervisor.AgentTimeoutSec=2
        # The host path an agent under PrivateTmp= needs: the test programs.
        BIN_IN="BindReadOnlyPaths=$T/bin"
}

teardown() {
        av_teardown
}

# agent_status NAME: waits for the agent to end and prints its exit status.
agent_status() {
        av_wait_prop "$1" State 'exited|failed' 20 || return 1
        [[ $(av_prop "$1" ExitReason) == exited ]] ||
                av_fail "$1 ended with $(av_prop "$1" ExitReason) $(av_prop "$1" ExitStatus), not an exit" || return 1
        av_prop "$1" ExitStatus
}

lines_are() {
        [[ $(av_count_lines "$1") == "$2" ]]
}

features_have() {
        [[ $(av_mprop Features) == *"\"$1"* ]]
}

landlock_abi() {
        local f
        f=$(av_mprop Features | jq -r '.[] | select(startswith("landlock=")) | ltrimstr("landlock=")')
        echo "${f:-0}"
}

@test "two dynamic agents get uids of their own, in no user database, and kill(-1) from one spares the other" {
        av_type sleeper <<EOF
[Agent]
Exec=$PROBE sleep 60 --marker $AV_TOKEN
$BIN_IN
EOF
        # kill(-1) reaches every process its uid may signal (never itself).
        av_type killer <<EOF
[Agent]
Exec=/bin/sh -c 'kill -KILL -1; exit 7'
Restart=temporary
EOF
        av_start
        av_start_agent sleeper s1
        av_start_agent sleeper s2
        av_wait_prop s1 State running
        av_wait_prop s2 State running
        local u1 u2 g1 pid1 pid2
        u1=$(av_prop s1 UID)
        u2=$(av_prop s2 UID)
        g1=$(av_prop s1 GID)
        echo "s1 runs as $u1:$g1, s2 as $u2"
        [[ $u1 != "$u2" ]] || av_fail "both agents got uid $u1"
        [[ $g1 == "$u1" ]] || av_fail "the gid $g1 is not the uid's number $u1"
        for u in "$u1" "$u2"; do
                ((u >= 61184 && u <= 65519)) || av_fail "uid $u is outside DynamicUserRange= 61184-65519"
                ! getent passwd "$u" >/dev/null || av_fail "uid $u is in the user database"
                ! getent group "$u" >/dev/null || av_fail "gid $u is in the group database"
        done
        pid1=$(av_prop s1 MainPID)
        pid2=$(av_prop s2 MainPID)
        [[ $(stat -c %u "/proc/$pid1") == "$u1" ]] || av_fail "s1's process does not run as $u1"

        # The killer has a third uid of its own.
        av_start_agent killer k1
        [[ $(agent_status k1) == 7 ]]
        [[ $(av_prop k1 UID) != "$u1" && $(av_prop k1 UID) != "$u2" ]] || av_fail "the killer shares a uid"
        sleep 0.3
        av_pid_alive "$pid1" || av_fail "kill(-1) of another dynamic agent killed s1"
        av_pid_alive "$pid2" || av_fail "kill(-1) of another dynamic agent killed s2"
        [[ $(av_prop s1 State) == running && $(av_prop s2 State) == running ]]

        # Held (locked against other daemons) while the cgroup holds a
        # process, released once it is empty, the same uid again at a restart.
        [[ -e $AV_RUN/dynamic-uid/$u1 ]] || av_fail "no lock file for s1's uid $u1"
        av_call StopAgent s s1
        av_wait_prop s1 State 'exited|failed' 10
        av_wait_until 5 "s1's uid to be released" test ! -e "$AV_RUN/dynamic-uid/$u1"
        [[ -e $AV_RUN/dynamic-uid/$u2 ]] || av_fail "s2's uid was released with s1's"
        av_call RestartAgent s s1
        av_wait_prop s1 State running
        [[ $(av_prop s1 UID) == "$u1" ]] || av_fail "s1 came back as $(av_prop s1 UID), not $u1"
}

@test "a dynamic agent cannot read another's /proc/PID/environ; two nobody agents without a sandbox can" {
        av_type holder <<EOF
[Agent]
Exec=$PROBE sleep 60 --marker $AV_TOKEN
Environment=SECRET=hunter2
$BIN_IN
EOF
        av_type reader <<EOF
[Agent]
Exec=/bin/sh -c 'grep -q SECRET=hunter2 /proc/\$1/environ 2>/dev/null && exit 0; exit 3' sh
Restart=temporary
EOF
        cat "$T/agents.d/holder.agent" | sed 's/^\[Agent\]$/[Agent]\nUser=nobody\nSandbox=none/' \
                >"$T/agents.d/holder-nobody.agent"
        cat "$T/agents.d/reader.agent" | sed 's/^\[Agent\]$/[Agent]\nUser=nobody\nSandbox=none/' \
                >"$T/agents.d/reader-nobody.agent"
        av_start
        av_start_agent holder h1
        av_wait_prop h1 State running
        av_start_agent reader r1 Arguments as 1 "$(av_prop h1 MainPID)"
        [[ $(agent_status r1) == 3 ]] || av_fail "a dynamic agent read another's environment"

        # The same reader between two agents of one uid: the test can tell.
        av_start_agent holder-nobody h2
        av_wait_prop h2 State running
        av_start_agent reader-nobody r2 Arguments as 1 "$(av_prop h2 MainPID)"
        [[ $(agent_status r2) == 0 ]] || av_fail "the control reader (nobody to nobody) could not read it"
}

@test "Landlock=yes blocks a write that the mount sandbox alone lets through (another agent's cwd)" {
        mkdir -m 1777 "$T/out/cwd"
        av_type holder <<EOF
[Agent]
Exec=$PROBE sleep 60 --marker $AV_TOKEN
User=nobody
Sandbox=none
WorkingDirectory=$T/out/cwd
EOF
        # /proc/PID/cwd of a process of the same uid leads out of the
        # writer's read-only tree into the host's; Landlock's rules follow
        # the file, not the path.
        for ll in no yes; do
                av_type "writer-$ll" <<EOF
[Agent]
Exec=/bin/sh -c 'echo x >/proc/\$1/cwd/written-$ll 2>/dev/null && exit 0; exit 3' sh
User=nobody
Sandbox=none
ProtectSystem=strict
Landlock=$ll
Restart=temporary
EOF
        done
        av_start
        [[ $(landlock_abi) -ge 1 ]] || skip "no Landlock on this kernel"
        av_start_agent holder h1
        av_wait_prop h1 State running
        av_start_agent writer-no w1 Arguments as 1 "$(av_prop h1 MainPID)"
        [[ $(agent_status w1) == 0 ]] || av_fail "without Landlock the write did not go through: the test shows nothing"
        [[ -f $T/out/cwd/written-no ]]
        av_start_agent writer-yes w2 Arguments as 1 "$(av_prop h1 MainPID)"
        [[ $(agent_status w2) == 3 ]] || av_fail "Landlock=yes let the write through"
        [[ ! -e $T/out/cwd/written-yes ]] || av_fail "the file was written on the host"
}

# Two listeners on 127.0.0.1, on ports P and P+1 (bounded: 85 s).
two_listeners() {
        python3 -c '
import os, socket, sys, time, random
for attempt in range(50):
    base = random.randint(20000, 60000)
    try:
        a = socket.socket(); a.bind(("127.0.0.1", base))
        b = socket.socket(); b.bind(("127.0.0.1", base + 1))
        break
    except OSError:
        a.close()
else:
    sys.exit(1)
for s in (a, b):
    s.listen(16)
    s.settimeout(0.2)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(base))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
end = time.monotonic() + 85
while time.monotonic() < end:
    for s in (a, b):
        try:
            c, _ = s.accept()
            c.close()
        except socket.timeout:
            pass
' "$T/ports" </dev/null >/dev/null 2>&1 3>&- &
        AV_BG_PIDS+=($!)
        av_wait_until 5 "the TCP listeners to start" test -s "$T/ports"
}

@test "AllowTCPConnect= allows one port and not the next" {
        two_listeners
        local p
        p=$(cat "$T/ports")
        # Exit 0: the first port connected, the next one refused.
        for allow in "" "$p"; do
                av_type "client${allow:+-allow}" <<EOF
[Agent]
Exec=/bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/\$1 || exit 3; exec 4<>/dev/tcp/127.0.0.1/\$2 2>/dev/null && exit 4; exit 0' bash $p $((p + 1))
Sandbox=none
${allow:+AllowTCPConnect=$allow}
Restart=temporary
EOF
        done
        av_start
        [[ $(landlock_abi) -ge 4 ]] || skip "Landlock ABI 4 (TCP) is missing: $(av_mprop Features)"
        av_start_agent client c1
        [[ $(agent_status c1) == 4 ]] || av_fail "without AllowTCPConnect= both ports should connect"
        av_start_agent client-allow c2
        [[ $(agent_status c2) == 0 ]] || av_fail "AllowTCPConnect=$p: exit $(av_prop c2 ExitStatus) (3: $p refused, 4: $((p + 1)) connected)"
}

@test "StateDirectory= is 0700, owned by the agent's uid, named by \$STATE_DIRECTORY and kept across a restart" {
        av_type keeper <<EOF
[Agent]
Exec=/bin/sh -c 'echo "\$STATE_DIRECTORY" >"\$STATE_DIRECTORY/env" && echo run >>"\$STATE_DIRECTORY/runs" && exec $PROBE sleep 60 --marker $AV_TOKEN'
StateDirectory=keeper/data
$BIN_IN
EOF
        av_start
        av_start_agent keeper k1
        av_wait_prop k1 State running
        local dir=$T/state/keeper/data uid
        uid=$(av_prop k1 UID)
        av_wait_until 5 "the agent to write its state" test -s "$dir/runs"
        [[ $(stat -c %a "$dir") == 700 ]] || av_fail "mode $(stat -c %a "$dir"), expected 700"
        [[ $(stat -c %u:%g "$dir") == "$uid:$uid" ]] || av_fail "owner $(stat -c %u:%g "$dir"), expected $uid:$uid"
        [[ $(cat "$dir/env") == "$dir" ]] || av_fail "\$STATE_DIRECTORY is '$(cat "$dir/env")', expected $dir"
        [[ $(stat -c %u "$dir/runs") == "$uid" ]]

        av_call RestartAgent s k1
        av_wait_until 10 "the second run to write its state" lines_are "$dir/runs" 2
        [[ $(av_prop k1 UID) == "$uid" ]] || av_fail "the uid changed across a restart"
        [[ $(stat -c %a "$dir") == 700 ]]
        av_call StopAgent s k1
        av_wait_prop k1 State exited
        [[ -d $dir && $(av_count_lines "$dir/runs") == 2 ]] || av_fail "the state directory did not outlive the agent"
}

@test "UID, GID, Sandbox and Features are properties" {
        av_type plain <<EOF
[Agent]
Exec=$PROBE sleep 60 --marker $AV_TOKEN
$BIN_IN
EOF
        av_type tight <<EOF
[Agent]
Exec=$PROBE exit 0
Sandbox=strict
BindReadOnlyPaths=$T/bin
Restart=temporary
EOF
        av_type nobody <<EOF
[Agent]
Exec=$PROBE sleep 60 --marker $AV_TOKEN
User=nobody
Sandbox=none
EOF
        av_start
        features_have cgroup2 || av_fail "Features lacks cgroup2: $(av_mprop Features)"
        features_have pidfd || av_fail "Features lacks pidfd: $(av_mprop Features)"
        av_start_agent plain p1
        av_start_agent nobody n1
        av_wait_prop p1 State running
        av_wait_prop n1 State running
        [[ $(av_prop p1 Sandbox) == standard ]]
        [[ $(av_prop n1 Sandbox) == none ]]
        [[ $(av_prop n1 UID) == 65534 && $(av_prop n1 GID) == 65534 ]]
        [[ $(av_prop p1 UID) -ge 61184 ]]
        # In GetAll and the introspection data.
        local all
        all=$(av_busctl --json=short -- call org.agentvisor1 "$(av_agent_path p1)" org.freedesktop.DBus.Properties \
                GetAll s org.agentvisor1.Agent)
        for p in UID GID Sandbox; do
                jq -e --arg p "$p" '.data[0] | has($p)' <<<"$all" >/dev/null || av_fail "GetAll lacks $p"
        done
        av_busctl introspect org.agentvisor1 /org/agentvisor1 org.agentvisor1.Manager | grep -q '^\.Features ' ||
                av_fail "Features is not introspected"

        # The last invocation's ids stay after it ended.
        if av_start_agent tight t1; then
                av_wait_prop t1 State 'exited|failed' 20
                [[ $(av_prop t1 Sandbox) == strict ]]
                [[ $(av_prop t1 UID) -ge 61184 ]] || av_fail "no UID kept after the end: $(av_prop t1 UID)"
        fi
}

@test "a start whose keys the kernel cannot honour is refused with InvalidSpec naming the feature" {
        av_type ports <<EOF
[Agent]
Exec=$PROBE exit 0
Sandbox=none
AllowTCPBind=8080
Restart=temporary
EOF
        av_start
        [[ $(landlock_abi) -lt 4 ]] || skip "this kernel has Landlock ABI $(landlock_abi): nothing is missing to refuse"
        run av_start_agent ports p1
        [[ $status != 0 && $output == *InvalidSpec* && $output == *"AllowTCPBind= needs Landlock ABI 4"* ]] ||
                av_fail "not refused as expected: $output"
}

@test "StartAgent options may tighten the sandbox, never loosen it" {
        av_type std <<EOF
[Agent]
Exec=$PROBE exit 0
Restart=temporary
$BIN_IN
EOF
        av_start
        # busctl prints the message; gdbus names the error too.
        run av_start_agent std a1 PrivateIPC b false
        [[ $status != 0 && $output == *"would loosen the type's sandbox, which has PrivateIPC=yes"* ]] ||
                av_fail "PrivateIPC=no was not refused: $output"
        run av_gdbus call --method org.agentvisor1.Manager.StartAgent std a1 "{'PrivateIPC': <false>}"
        [[ $status != 0 && $output == *org.agentvisor1.Error.InvalidSpec* ]] || av_fail "not InvalidSpec: $output"
        run av_start_agent std a2 Sandbox s none
        [[ $status != 0 && $output == *"Option Sandbox=none would loosen the type's sandbox standard."* ]] ||
                av_fail "Sandbox=none was not refused: $output"
        run av_start_agent std a3 ReadWritePaths as 1 /srv
        [[ $status != 0 && $output == *"StartAgent may only add restrictions"* ]] ||
                av_fail "ReadWritePaths was not refused: $output"
        run av_gdbus call --method org.agentvisor1.Manager.StartAgent std a4 "{'PrivateTmp': <'yes'>}"
        [[ $status != 0 && $output == *InvalidArgs* && $output == *"must be of type b"* ]] ||
                av_fail "a wrong type was not InvalidArgs: $output"
        av_start_agent std a5 ProtectHome s yes InaccessiblePaths as 1 /srv
        av_wait_prop a5 State 'exited|failed' 20
        [[ $(av_prop a5 ExitReason) == exited ]] || av_fail "the tightened agent did not run: $(av_prop a5 ExitReason)"
}

@test "PrivateTmp=yes: a file in /tmp is seen by nobody else" {
        av_type tmpw <<EOF
[Agent]
Exec=/bin/sh -c 'echo secret >/tmp/avtest-private-\$1 && test -s /tmp/avtest-private-\$1 && exit 0; exit 3' sh $AV_TOKEN
Restart=temporary
EOF
        av_type tmpr <<EOF
[Agent]
Exec=/bin/sh -c 'test -e /tmp/avtest-private-\$1 && exit 4; exit 0' sh $AV_TOKEN
Restart=temporary
EOF
        av_type tmpw-hold <<EOF
[Agent]
Exec=/bin/sh -c 'echo secret >/tmp/avtest-private-\$1 && exec $PROBE sleep 60 --marker $AV_TOKEN' sh $AV_TOKEN
$BIN_IN
EOF
        av_start
        av_start_agent tmpw-hold w1
        av_wait_prop w1 State running
        av_start_agent tmpr r1
        [[ $(agent_status r1) == 0 ]] || av_fail "another agent saw the file in its /tmp"
        [[ ! -e /tmp/avtest-private-$AV_TOKEN ]] || av_fail "the host sees the agent's /tmp file"
        av_start_agent tmpw w2
        [[ $(agent_status w2) == 0 ]] || av_fail "the agent could not use its own /tmp"
}

@test "ProtectSystem=strict: a real root agent (PrivateUsers=no) gets EROFS, not EACCES" {
        mkdir -m 755 "$T/rootonly"
        for ps in no strict; do
                av_type "root-$ps" <<EOF
[Agent]
Exec=/bin/sh -c 'e=\$(touch $T/rootonly/$ps 2>&1) && exit 0; case "\$e" in *"Read-only file system"*) exit 30;; *"Permission denied"*) exit 13;; esac; exit 3'
User=root
Sandbox=none
PrivateUsers=no
ProtectSystem=$ps
Restart=temporary
EOF
        done
        av_start
        av_start_agent root-no r0
        [[ $(agent_status r0) == 0 ]] || av_fail "host root could not write the root-owned directory: the test shows nothing"
        av_start_agent root-strict r1
        [[ $(agent_status r1) == 30 ]] || av_fail "expected EROFS (30), got exit $(av_prop r1 ExitStatus)"
        [[ ! -e $T/rootonly/strict ]]
        grep -q "host root" "$T/daemon.log" || av_fail "no warning that an agent runs as host root"
}

@test "PrivateNetwork=yes: a host listener on 127.0.0.1 is out of reach" {
        av_tcp_listener
        for pn in no yes; do
                av_type "net-$pn" <<EOF
[Agent]
Exec=/bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/$AV_PORT 2>/dev/null && exit 0; exit 3'
User=nobody
Sandbox=none
PrivateNetwork=$pn
Restart=temporary
EOF
        done
        av_start
        av_start_agent net-no n0
        [[ $(agent_status n0) == 0 ]] || av_fail "without PrivateNetwork= the listener was out of reach: the test shows nothing"
        av_start_agent net-yes n1
        [[ $(agent_status n1) == 3 ]] || av_fail "PrivateNetwork=yes reached the host's listener"
}

@test "PrivateNetwork=yes: every agent has a network namespace of its own, with lo up, never the host's" {
        # More agents than the daemon keeps namespaces ready (4): the first
        # join pooled ones, the rest may make their own; all must differ.
        # One is root in a user namespace of its own (PrivateUsers=yes): it
        # joins its network namespace before entering that one.
        av_type pn <<EOF
[Agent]
Exec=$PROBE sleep 60 --marker $AV_TOKEN
User=nobody
Sandbox=none
PrivateNetwork=yes
EOF
        av_type pnu <<EOF
[Agent]
Exec=$PROBE sleep 60 --marker $AV_TOKEN
User=root
Sandbox=none
PrivateNetwork=yes
PrivateUsers=yes
EOF
        av_start
        local i pid ns host seen=" "
        host=$(readlink /proc/self/ns/net)
        for i in 1 2 3 4 5 6; do
                av_start_agent pn "p$i"
        done
        av_start_agent pnu pu
        for i in p1 p2 p3 p4 p5 p6 pu; do
                av_wait_prop "$i" State running
                pid=$(av_prop "$i" MainPID)
                ns=$(readlink "/proc/$pid/ns/net")
                echo "$i (pid $pid): $ns"
                [[ $ns != "$host" ]] || av_fail "$i is in the host's network namespace $host"
                [[ $seen != *" $ns "* ]] || av_fail "$i shares network namespace $ns with another agent"
                seen+="$ns "
                nsenter -t "$pid" -n ip -o link show up | grep -q ': lo:' || av_fail "lo is not up for $i"
                [[ $(nsenter -t "$pid" -n ip -o link show up | wc -l) == 1 ]] || av_fail "more than lo up for $i"
        done
        [[ $(readlink "/proc/$(av_prop pu MainPID)/ns/user") != "$(readlink /proc/self/ns/user)" ]] ||
                av_fail "pu is not in a user namespace of its own"
        ! grep -q "network namespace pool" "$T/daemon.log" ||
                av_fail "the pool failed: $(grep "network namespace pool" "$T/daemon.log")"
}

@test "PrivatePIDs=yes: kill(-1) between two nobody agents reaches neither, and the stop is as without it" {
        local hostns
        hostns=$(readlink /proc/self/ns/pid)
        av_type victim <<EOF
[Agent]
Exec=$PROBE sleep 60 --marker $AV_TOKEN
User=nobody
Sandbox=none
PrivatePIDs=yes
EOF
        # kill(-1) as nobody outside a PID namespace would reach every
        # nobody process of the host: the killer checks first that it is in
        # a namespace of its own (exit 9 if not) and that its /proc shows
        # only that namespace: init, sh and at most the loop's children
        # (exit 8 if it lists the host's processes).
        av_type killer <<EOF
[Agent]
Exec=/bin/sh -c '[ "\$(readlink /proc/self/ns/pid)" != "$hostns" ] || exit 9; n=0; for d in /proc/[0-9]*; do n=\$((n + 1)); done; [ \$n -le 4 ] || exit 8; kill -KILL -1; exit 7'
User=nobody
Sandbox=none
PrivatePIDs=yes
Restart=temporary
EOF
        av_start
        av_start_agent victim v1
        av_wait_prop v1 State running
        local pid
        pid=$(av_prop v1 MainPID)
        [[ $(stat -c %u "/proc/$pid") == 65534 ]]
        [[ $(readlink "/proc/$pid/ns/pid") != "$hostns" ]] || av_fail "the victim is in the host's PID namespace"
        # MainPID is the host pid of the program itself.
        [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == *"--marker $AV_TOKEN"* ]] ||
                av_fail "MainPID $pid is not the agent's program"
        av_start_agent killer k1
        [[ $(agent_status k1) == 7 ]] || av_fail "the killer did not run in a PID namespace of its own"
        sleep 0.3
        av_pid_alive "$pid" || av_fail "kill(-1) from another agent's PID namespace killed the victim"
        # A stop's SIGTERM reaches the handler-less program, as without the namespace.
        av_call StopAgent s v1
        av_wait_prop v1 State 'exited|failed' 10
        [[ $(av_prop v1 ExitReason) == stopped ]] || av_fail "ExitReason $(av_prop v1 ExitReason), expected stopped"
        [[ $(av_prop v1 ExitKilledBy) == daemon ]]
}

@test "User=root under the standard sandbox is root in a user namespace, a dynamic uid on the host" {
        av_type rooty <<EOF
[Agent]
Exec=/bin/sh -c '[ "\$(id -u)" = 0 ] || exit 5; exec $PROBE sleep 60 --marker $AV_TOKEN'
User=root
$BIN_IN
EOF
        av_start
        av_start_agent rooty r1
        av_wait_prop r1 State running
        local pid uid
        pid=$(av_prop r1 MainPID)
        uid=$(av_prop r1 UID)
        ((uid >= 61184 && uid <= 65519)) || av_fail "UID $uid is not a dynamic uid"
        [[ $(stat -c %u "/proc/$pid") == "$uid" ]] || av_fail "the process runs as $(stat -c %u "/proc/$pid") on the host"
        [[ $(readlink "/proc/$pid/ns/user") != "$(readlink /proc/self/ns/user)" ]] ||
                av_fail "the agent is in the host's user namespace"
        ! grep -q "host root" "$T/daemon.log" || av_fail "a warning about host root for a namespaced root"
}

@test "a health check runs in its agent's sandbox: its namespaces and uid" {
        mkdir -m 1777 "$T/out/hc"
        av_type checked <<EOF
[Agent]
Exec=$PROBE sleep 60 --marker $AV_TOKEN
Sandbox=none
PrivateNetwork=yes
PrivateIPC=yes
HealthCheck=/bin/sh -c 'echo "\$(readlink /proc/self/ns/net) \$(readlink /proc/self/ns/ipc) \$(id -u)" >$T/out/hc/seen.tmp && mv $T/out/hc/seen.tmp $T/out/hc/seen'
HealthCheckIntervalSec=1
EOF
        av_start
        av_start_agent checked c1
        av_wait_prop c1 State running
        av_wait_until 10 "the health check to report" test -s "$T/out/hc/seen"
        local pid want
        pid=$(av_prop c1 MainPID)
        want="$(readlink "/proc/$pid/ns/net") $(readlink "/proc/$pid/ns/ipc") $(av_prop c1 UID)"
        [[ $(cat "$T/out/hc/seen") == "$want" ]] ||
                av_fail "the check saw '$(cat "$T/out/hc/seen")', the agent has '$want'"
        av_wait_prop c1 Health healthy 10
}

@test "a health check runs in its agent's mount namespace: under PrivateTmp=yes it sees the agent's /tmp" {
        mkdir -m 1777 "$T/out/hc"
        # The marker exists only in the agent's private /tmp: a check that
        # gets a /tmp of its own (or the host's) fails, and the agent never
        # becomes healthy. The check also writes its mount namespace through
        # a bind the agent's namespace holds.
        av_type tmpcheck <<EOF2
[Agent]
Exec=/bin/sh -c 'echo here >/tmp/avtest-hc-\$1 && exec $PROBE sleep 60 --marker $AV_TOKEN' sh $AV_TOKEN
PrivateTmp=yes
$BIN_IN
BindPaths=$T/out/hc
HealthCheck=/bin/sh -c 'readlink /proc/self/ns/mnt >$T/out/hc/mnt; test -s /tmp/avtest-hc-$AV_TOKEN'
HealthCheckIntervalSec=1
HealthCheckFailures=3
EOF2
        av_start
        av_start_agent tmpcheck c1
        av_wait_prop c1 State running
        local pid
        pid=$(av_prop c1 MainPID)
        [[ ! -e /tmp/avtest-hc-$AV_TOKEN ]] || av_fail "the host sees the agent's /tmp file: the test shows nothing"
        av_wait_prop c1 Health healthy 10 ||
                av_fail "the check did not see the agent's /tmp: Health $(av_prop c1 Health), failures $(av_prop c1 HealthCheckFailures)"
        [[ $(av_prop c1 HealthCheckFailures) == 0 ]]
        [[ $(av_prop c1 MainPID) == "$pid" ]] || av_fail "the agent was restarted (unhealthy) before the check passed"
        [[ $(cat "$T/out/hc/mnt") == "$(readlink "/proc/$pid/ns/mnt")" ]] ||
                av_fail "the check ran in mount namespace $(cat "$T/out/hc/mnt"), the agent's is $(readlink "/proc/$pid/ns/mnt")"
        [[ $(readlink "/proc/$pid/ns/mnt") != "$(readlink /proc/self/ns/mnt)" ]]
}
