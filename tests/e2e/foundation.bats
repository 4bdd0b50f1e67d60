#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The foundation (issue 2): agents start in their own cgroup under seccomp
# and a clean environment, every end is reported with its reason, stopping
# reaches the whole process tree, the daemon cleans up after itself, and the
# bus API checks its callers and its input.

load helpers

BATS_TEST_TIMEOUT=90

setup() {
        av_setup
        av_config Supervisor.AgentTimeoutSec=2
        av_type sleeper <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
EOF
        av_type inspector <<EOF
[Agent]
Exec=$PROBE inspect $T/out/inspect.txt --marker $AV_TOKEN
Environment=AV_TYPE_VAR=from-type "AV_SPACED=two words"
EOF
}

# The second daemon of the hybrid test below and its cgroup, whatever
# happened.
twin_cleanup() {
        if [[ -n ${TWIN_PID:-} ]]; then
                kill -TERM "$TWIN_PID" 2>/dev/null
                timeout 20 tail --pid="$TWIN_PID" -f /dev/null
                kill -KILL "$TWIN_PID" 2>/dev/null
        fi
        [[ -n ${TWIN_BUS_PID:-} ]] && kill "$TWIN_BUS_PID" 2>/dev/null
        [[ -n ${TWIN_CG:-} && -d $TWIN_CG ]] && av_remove_cgroup_tree "$TWIN_CG"
        true
}

teardown() {
        twin_cleanup
        av_teardown
}

# A temporary agent type running the probe with the given arguments.
probe_type() {
        local name=$1
        shift
        av_type "$name" <<EOF
[Agent]
Exec=$PROBE $*
Restart=temporary
EOF
}

# Waits until an agent has ended and is not restarted.
wait_ended() {
        av_wait_prop "$1" State 'exited|failed' "${2:-10}"
}

@test "the agent's cgroup in /proc/PID/cgroup equals its ControlGroup property, beneath ControlGroup=" {
        av_start
        av_start_agent sleeper s1
        av_wait_prop s1 State running
        pid=$(av_prop s1 MainPID)
        cg=$(av_prop s1 ControlGroup)
        [[ $pid -gt 0 ]] || av_fail "MainPID is '$pid' for a running agent"
        line=$(grep '^0::' "/proc/$pid/cgroup")
        [[ $line == "0::$cg" ]] || av_fail "/proc/$pid/cgroup says '$line', ControlGroup is '$cg'"
        [[ $cg == */$AV_CG/* ]] || av_fail "ControlGroup '$cg' is not beneath ControlGroup=$AV_CG"
        [[ -d $(av_cgroup2_root)$cg ]] || av_fail "no directory $(av_cgroup2_root)$cg"
}

@test "on a hybrid host an agent's v1 pids, memory and cpu cgroups mirror its cgroup2 path beneath the v1 root group" {
        [[ -d /sys/fs/cgroup/unified ]] || skip "not a hybrid cgroup host"
        # Limits in all three controllers, so the agent needs each of them.
        av_type limited <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
TasksMax=50
MemoryMax=100M
CPUQuota=50%
EOF
        av_start
        av_start_agent limited s1
        av_wait_prop s1 State running
        pid=$(av_prop s1 MainPID)
        cg=$(av_prop s1 ControlGroup)
        for ctrl in pids memory cpu; do
                # The root group's name there: agentvisord(8).
                want="/$(av_v1_root_name "$ctrl")${cg#*/"$AV_CG"}"
                line=$(grep -E "^[0-9]+:([a-z_]+,)*$ctrl(,[a-z_]+)*:" "/proc/$pid/cgroup")
                [[ $line == *"$want" ]] || av_fail "the $ctrl line '$line' of /proc/$pid/cgroup does not end in '$want'"
        done
}

@test "the agent runs with Seccomp 2, NoNewPrivs 1, no capabilities in any set, as nobody" {
        av_start
        av_start_agent sleeper s1
        av_wait_prop s1 State running
        pid=$(av_prop s1 MainPID)
        status_file=$(cat "/proc/$pid/status")
        grep -qx $'Seccomp:\t2' <<<"$status_file" || av_fail "not in seccomp filter mode:" "$(grep Seccomp <<<"$status_file")"
        grep -qx $'NoNewPrivs:\t1' <<<"$status_file" || av_fail "no_new_privs is not set"
        for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
                grep -qx "$cap:"$'\t'"0000000000000000" <<<"$status_file" ||
                        av_fail "$cap is not empty: $(grep "^$cap:" <<<"$status_file")"
        done
        grep -qx $'Uid:\t65534\t65534\t65534\t65534' <<<"$status_file" || av_fail "uid is not 65534:" "$(grep ^Uid <<<"$status_file")"
        grep -qx $'Gid:\t65534\t65534\t65534\t65534' <<<"$status_file" || av_fail "gid is not 65534:" "$(grep ^Gid <<<"$status_file")"
        groups=$(grep '^Groups:' <<<"$status_file" | cut -f2)
        for g in $groups; do
                [[ $g == 65534 ]] || av_fail "supplementary group $g was not nobody's (Groups: $groups)"
        done
}

@test "only fds 0, 1 and 2 are open in the agent, and stdin is /dev/null" {
        av_start
        av_start_agent sleeper s1
        av_wait_prop s1 State running
        pid=$(av_prop s1 MainPID)
        fds=$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')
        [[ $fds == "0 1 2 " ]] || av_fail "open fds are '$fds', expected '0 1 2'"
        [[ $(readlink "/proc/$pid/fd/0") == /dev/null ]] || av_fail "stdin is $(readlink "/proc/$pid/fd/0")"
}

@test "the environment is exactly the type's Environment plus PATH, HOME, USER, LOGNAME (and notify variables)" {
        av_start
        av_start_agent sleeper s1
        av_wait_prop s1 State running
        av_start_agent inspector i1
        av_wait_prop i1 State running
        pid=$(av_prop i1 MainPID)
        env=$(tr '\0' '\n' <"/proc/$pid/environ")
        echo "environment: $env"
        grep -qx 'AV_TYPE_VAR=from-type' <<<"$env" || av_fail "the type's AV_TYPE_VAR is missing"
        grep -qx 'AV_SPACED=two words' <<<"$env" || av_fail "the type's quoted AV_SPACED is missing or split"
        grep -qx 'USER=nobody' <<<"$env" || av_fail "USER=nobody is missing"
        grep -q '^PATH=/' <<<"$env" || av_fail "PATH is missing"
        grep -q '^HOME=' <<<"$env" || av_fail "HOME is missing"
        ! grep -q '^AV_LEAK_CANARY=' <<<"$env" || av_fail "the daemon's environment leaked into the agent"
        extra=$(grep -vE '^(AV_TYPE_VAR|AV_SPACED|PATH|HOME|USER|LOGNAME|NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=' <<<"$env" || true)
        [[ -z $extra ]] || av_fail "variables the SPEC does not provide for:" "$extra"
}

@test "the agent is a session leader without controlling terminal, cwd /, umask 0077, core dumps off" {
        av_start
        av_start_agent inspector i1
        av_wait_until 5 "the inspect report" test -s "$T/out/inspect.txt"
        report=$(cat "$T/out/inspect.txt")
        echo "$report"
        grep -qx 'session-leader: yes' <<<"$report" || av_fail "the agent is not in a new session"
        grep -q '^ctty: none' <<<"$report" || av_fail "the agent has a controlling terminal"
        grep -qx 'cwd: /' <<<"$report" || av_fail "working directory is not /"
        grep -qx 'umask: 0077' <<<"$report" || av_fail "umask is not 0077"
        grep -qE '^rlimit-core: 0 ' <<<"$report" || av_fail "core dumps are not off"
        grep -qx 'fds: 0 1 2' <<<"$report" || av_fail "the agent sees other fds than 0-2"
}

@test "a syscall the default policy denies fails: mount gives EPERM" {
        av_type mounter <<EOF
[Agent]
Exec=$SYSCALL_PROBE --out $T/out/mount.txt mount
Restart=temporary
EOF
        av_start
        av_start_agent mounter m1
        wait_ended m1
        run cat "$T/out/mount.txt"
        [[ $output == "mount: errno=EPERM" ]] || av_fail "syscall-probe reported '$output'"
        [[ $(av_prop m1 ExitReason) == exited ]]
        [[ $(av_prop m1 ExitStatus) == 0 ]]
}

@test "exit 0: State exited, ExitReason exited, ExitStatus 0, ExitKilledBy empty" {
        probe_type ok exit 0
        av_start
        av_start_agent ok e0
        wait_ended e0
        [[ $(av_prop e0 State) == exited ]] || av_fail "State is $(av_prop e0 State)"
        [[ $(av_prop e0 ExitReason) == exited ]] || av_fail "ExitReason is $(av_prop e0 ExitReason)"
        [[ $(av_prop e0 ExitStatus) == 0 ]] || av_fail "ExitStatus is $(av_prop e0 ExitStatus)"
        [[ -z $(av_prop e0 ExitKilledBy) ]] || av_fail "ExitKilledBy is $(av_prop e0 ExitKilledBy)"
        [[ $(av_prop e0 MainPID) == 0 ]] || av_fail "MainPID is $(av_prop e0 MainPID) after the end"
}

@test "exit 3: State failed, ExitReason exited, ExitStatus 3, and AgentExited says so" {
        probe_type three exit 3
        av_start
        av_monitor_start
        av_start_agent three e3
        wait_ended e3
        [[ $(av_prop e3 State) == failed ]] || av_fail "State is $(av_prop e3 State)"
        [[ $(av_prop e3 ExitReason) == exited ]] || av_fail "ExitReason is $(av_prop e3 ExitReason)"
        [[ $(av_prop e3 ExitStatus) == 3 ]] || av_fail "ExitStatus is $(av_prop e3 ExitStatus)"
        av_monitor_wait "AgentExited \('e3', objectpath '[^']+', 'exited', 3\)"
}

@test "SIGSEGV: State failed, ExitReason signal, ExitStatus 11" {
        probe_type segv signal SEGV
        av_start
        av_start_agent segv s11
        wait_ended s11
        [[ $(av_prop s11 State) == failed ]] || av_fail "State is $(av_prop s11 State)"
        [[ $(av_prop s11 ExitReason) == signal ]] || av_fail "ExitReason is $(av_prop s11 ExitReason)"
        [[ $(av_prop s11 ExitStatus) == 11 ]] || av_fail "ExitStatus is $(av_prop s11 ExitStatus)"
}

@test "a missing executable: State failed, ExitReason spawn-failed, ExitStatus ENOENT (2)" {
        av_type missing <<EOF
[Agent]
Exec=/nonexistent/agentvisor-missing-binary
Restart=temporary
EOF
        av_start
        av_start_agent missing m1
        wait_ended m1
        [[ $(av_prop m1 State) == failed ]] || av_fail "State is $(av_prop m1 State)"
        [[ $(av_prop m1 ExitReason) == spawn-failed ]] || av_fail "ExitReason is $(av_prop m1 ExitReason)"
        [[ $(av_prop m1 ExitStatus) == 2 ]] || av_fail "ExitStatus is $(av_prop m1 ExitStatus)"
        av_pid_alive "$AV_DAEMON_PID"
}

@test "StopAgent of a SIGTERM ignorer ends it by cgroup.kill after AgentTimeoutSec, with its double-forked grandchild" {
        av_type stubborn <<EOF
[Agent]
Exec=$PROBE double-fork $AV_TOKEN ignore-term
EOF
        av_start
        av_start_agent stubborn st
        av_wait_prop st State running
        main=$(av_prop st MainPID)
        cg=$(av_prop st ControlGroup)
        av_wait_until 5 "the double-forked grandchild" test -n "$(av_marked_pids)"
        grandchild=$(av_marked_pids)
        [[ $(grep '^0::' "/proc/$grandchild/cgroup") == "0::$cg" ]] || av_fail "the grandchild is not in the agent's cgroup"

        t0=$(av_now_ms)
        av_call StopAgent s st
        av_wait_prop st State exited 10
        elapsed=$(($(av_now_ms) - t0))
        echo "stopped after ${elapsed} ms (AgentTimeoutSec=2)"
        [[ $elapsed -ge 1800 ]] || av_fail "ended after ${elapsed} ms: before AgentTimeoutSec=2, although it ignores SIGTERM"
        [[ $elapsed -le 5000 ]] || av_fail "ended only after ${elapsed} ms, AgentTimeoutSec=2"
        [[ $(av_prop st ExitReason) == stopped ]] || av_fail "ExitReason is $(av_prop st ExitReason)"
        [[ $(av_prop st ExitKilledBy) == daemon ]] || av_fail "ExitKilledBy is $(av_prop st ExitKilledBy)"
        ! av_pid_alive "$main" || av_fail "main process $main is still alive"
        ! av_pid_alive "$grandchild" || av_fail "grandchild $grandchild is still alive"
        av_assert_cgroup_gone "$cg"
}

@test "SIGTERM to the daemon stops every agent, removes every agent cgroup and exits 0" {
        av_type stubborn <<EOF
[Agent]
Exec=$PROBE double-fork $AV_TOKEN ignore-term
EOF
        av_start
        av_start_agent sleeper a
        av_start_agent sleeper b
        av_start_agent stubborn c
        for n in a b c; do
                av_wait_prop "$n" State running
        done
        av_wait_until 5 "the double-forked grandchild" test -n "$(av_marked_pids)"
        pids="$(av_prop a MainPID) $(av_prop b MainPID) $(av_prop c MainPID) $(av_marked_pids)"

        av_stop_daemon || av_fail "the daemon did not exit within 40 s of SIGTERM"
        [[ $AV_DAEMON_STATUS == 0 ]] || av_fail "the daemon exited with status $AV_DAEMON_STATUS"
        for pid in $pids; do
                ! av_pid_alive "$pid" || av_fail "agent process $pid survived the daemon"
        done
        left=$(av_find_cgroups)
        [[ -z $left ]] || av_fail "cgroups left:" "$left"
}

@test "an unprivileged caller gets AccessDenied for mutating calls and can still read" {
        av_start
        av_start_agent sleeper s1
        av_wait_prop s1 State running

        run av_as_nobody gdbus call --address "$AV_BUS" --dest org.agentvisor1 --object-path /org/agentvisor1 \
                --method org.agentvisor1.Manager.StartAgent "'sleeper'" "'intruder'" "{}"
        [[ $status != 0 && $output == *org.freedesktop.DBus.Error.AccessDenied* ]] || av_fail "StartAgent as nobody: $output"
        run av_as_nobody gdbus call --address "$AV_BUS" --dest org.agentvisor1 --object-path /org/agentvisor1 \
                --method org.agentvisor1.Manager.StopAgent "'s1'"
        [[ $status != 0 && $output == *org.freedesktop.DBus.Error.AccessDenied* ]] || av_fail "StopAgent as nobody: $output"
        run av_as_nobody gdbus call --address "$AV_BUS" --dest org.agentvisor1 --object-path /org/agentvisor1 \
                --method org.agentvisor1.Manager.RunAgent "'intruder2'" "['$PROBE', 'sleep', '0']" "{}"
        [[ $status != 0 && $output == *org.freedesktop.DBus.Error.AccessDenied* ]] || av_fail "RunAgent as nobody: $output"

        [[ $(av_prop s1 State) == running ]] || av_fail "s1 was disturbed by the refused calls"
        run av_call GetAgent s intruder
        [[ $status != 0 ]] || av_fail "the refused StartAgent created an agent"

        run av_as_nobody busctl --address="$AV_BUS" get-property org.agentvisor1 /org/agentvisor1 org.agentvisor1.Manager Version
        [[ $status == 0 && $output == "s "* ]] || av_fail "nobody cannot read Version: $output"
        run av_as_nobody busctl --address="$AV_BUS" call org.agentvisor1 /org/agentvisor1 org.agentvisor1.Manager ListAgents
        [[ $status == 0 && $output == *'"s1"'* ]] || av_fail "nobody cannot list agents: $output"
        path=$(av_agent_path s1)
        run av_as_nobody busctl --address="$AV_BUS" get-property org.agentvisor1 "$path" org.agentvisor1.Agent State
        [[ $status == 0 && $output == 's "running"' ]] || av_fail "nobody cannot read an agent's State: $output"
}

@test "a member of AdminGroup may start and stop agents but not RunAgent" {
        admin_gid=$(getent group users | cut -d: -f3)
        [[ -n $admin_gid ]] || skip "no 'users' group to use as AdminGroup"
        av_config Supervisor.AgentTimeoutSec=2 Daemon.AdminGroup=users
        av_start
        as_admin=(setpriv --reuid=$AV_NOBODY_UID --regid=$AV_NOBODY_GID --groups="$admin_gid")

        run "${as_admin[@]}" gdbus call --address "$AV_BUS" --dest org.agentvisor1 --object-path /org/agentvisor1 \
                --method org.agentvisor1.Manager.StartAgent "'sleeper'" "'by-admin'" "{}"
        [[ $status == 0 ]] || av_fail "StartAgent by an AdminGroup member failed: $output"
        av_wait_prop by-admin State running
        run "${as_admin[@]}" gdbus call --address "$AV_BUS" --dest org.agentvisor1 --object-path /org/agentvisor1 \
                --method org.agentvisor1.Manager.StopAgent "'by-admin'"
        [[ $status == 0 ]] || av_fail "StopAgent by an AdminGroup member failed: $output"
        av_wait_prop by-admin State exited
        run "${as_admin[@]}" gdbus call --address "$AV_BUS" --dest org.agentvisor1 --object-path /org/agentvisor1 \
                --method org.agentvisor1.Manager.RunAgent "'run-by-admin'" "['$PROBE', 'sleep', '0']" "{}"
        [[ $status != 0 && $output == *org.freedesktop.DBus.Error.AccessDenied* ]] || av_fail "RunAgent by a non-root admin: $output"
}

@test "bad input is refused with the right error and the daemon keeps running" {
        av_type limited <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
MemoryMax=64M
TasksMax=16
EOF
        av_start
        expect_error() {
                local error=$1
                shift
                run av_gdbus "$@"
                [[ $status != 0 && $output == *"$error"* ]] || av_fail "$* gave '$output', expected $error"
                [[ $output == *"$error: "?* ]] || av_fail "$error without a message: $output"
        }
        expect_error org.freedesktop.DBus.Error.InvalidArgs StartAgent "'sleeper'" "'bad/name'" "{}"
        expect_error org.freedesktop.DBus.Error.InvalidArgs StartAgent "'sleeper'" "'-leading-dash'" "{}"
        expect_error org.freedesktop.DBus.Error.InvalidArgs StartAgent "'sleeper'" "'$(printf 'x%.0s' {1..65})'" "{}"
        expect_error org.freedesktop.DBus.Error.InvalidArgs StartAgent "'sleeper'" "'ok1'" "{'NoSuchOption': <'x'>}"
        expect_error org.freedesktop.DBus.Error.InvalidArgs StartAgent "'sleeper'" "'ok2'" "{'TasksMax': <'many'>}"
        expect_error org.freedesktop.DBus.Error.InvalidArgs RunAgent "'ok3'" "@as []" "{}"
        expect_error org.agentvisor1.Error.NoSuchType StartAgent "'no-such-type'" "'ok4'" "{}"
        expect_error org.agentvisor1.Error.InvalidSpec StartAgent "'limited'" "'ok5'" "{'MemoryMax': <uint64 1073741824>}"
        expect_error org.agentvisor1.Error.InvalidSpec RunAgent "'ok6'" "['$PROBE', 'sleep', '0']" "{'Policy': <'no-such-policy'>}"
        expect_error org.agentvisor1.Error.NoSuchAgent StopAgent "'no-such-agent'"
        expect_error org.agentvisor1.Error.NoSuchAgent GetAgent "'no-such-agent'"

        av_start_agent sleeper dup
        av_wait_prop dup State running
        expect_error org.agentvisor1.Error.AlreadyExists StartAgent "'sleeper'" "'dup'" "{}"
        expect_error org.agentvisor1.Error.NotStopped RemoveAgent "'dup'"

        # A tighter limit is accepted.
        av_start_agent limited tight TasksMax t 8
        av_wait_prop tight TasksMax 8

        av_pid_alive "$AV_DAEMON_PID" || av_fail "the daemon died"
        run av_mprop Version
        [[ $status == 0 && -n $output ]] || av_fail "the daemon no longer answers: $output"
        [[ $(av_prop dup State) == running ]]
}

@test "ObjectManager GetManagedObjects lists the agents with their properties" {
        av_start
        av_start_agent sleeper om1
        av_start_agent sleeper om2
        av_wait_prop om2 State running
        objects=$(av_busctl --json=short call org.agentvisor1 /org/agentvisor1 org.freedesktop.DBus.ObjectManager GetManagedObjects)
        for n in om1 om2; do
                path=$(av_agent_path "$n")
                name=$(jq -r --arg p "$path" '.data[0][$p]["org.agentvisor1.Agent"].Name.data' <<<"$objects")
                [[ $name == "$n" ]] || av_fail "GetManagedObjects has no Agent object for $n at $path (Name: '$name')"
        done
}

@test "PropertiesChanged is emitted when an agent's State changes, with AgentStarted and AgentExited" {
        probe_type brief crash-after 1 0
        av_start
        av_monitor_start
        av_start_agent brief pc
        path=$(av_agent_path pc)
        wait_ended pc
        av_monitor_wait "^$path: org.freedesktop.DBus.Properties.PropertiesChanged \('org.agentvisor1.Agent', \{.*'State': <'exited'>"
        av_monitor_wait "AgentStarted \('pc', objectpath '$path', uint32 [1-9][0-9]*\)"
        av_monitor_wait "AgentExited \('pc', objectpath '$path', 'exited', 0\)"
}

@test "SIGHUP reloads agent types: a type written later can then be started" {
        av_start
        run av_call_json ListTypes
        [[ $output != *'"late"'* ]]
        av_type late <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
EOF
        kill -HUP "$AV_DAEMON_PID"
        av_wait_until 5 "the new type in ListTypes after SIGHUP" bash -c '[[ $(busctl --address="$1" call org.agentvisor1 /org/agentvisor1 org.agentvisor1.Manager ListTypes) == *\"late\"* ]]' _ "$AV_BUS"
        av_start_agent late l1
        av_wait_prop l1 State running
        [[ $(av_prop l1 Type) == late ]]
}

@test "RunAgent (root) runs a transient command: Restart temporary, Policy default, the given limits" {
        av_start
        av_run r1 TasksMax t 20 -- "$PROBE" sleep 0 --marker "$AV_TOKEN"
        av_wait_prop r1 State running
        [[ $(av_prop r1 Restart) == temporary ]] || av_fail "Restart is $(av_prop r1 Restart)"
        [[ $(av_prop r1 Policy) == default ]] || av_fail "Policy is $(av_prop r1 Policy)"
        [[ $(av_prop r1 Supervisor) == root ]] || av_fail "Supervisor is $(av_prop r1 Supervisor)"
        [[ $(av_prop r1 TasksMax) == 20 ]] || av_fail "TasksMax is $(av_prop r1 TasksMax)"
        pid=$(av_prop r1 MainPID)
        [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == "$PROBE sleep 0 --marker $AV_TOKEN " ]]
        grep -qx $'Uid:\t65534\t65534\t65534\t65534' "/proc/$pid/status" || av_fail "RunAgent did not use the DefaultUser"
}

# Two daemons in different cgroup2 groups share their v1 places on a hybrid
# host (the instance lock covers the cgroup2 subtree only): the second
# one's start must not take the first's v1 groups for stale ones.
@test "a second daemon with the same ControlGroup= in another cgroup2 group leaves the first's agents alone" {
        [[ -d /sys/fs/cgroup/unified ]] || skip "not a hybrid cgroup host"
        av_type limited <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
TasksMax=50
MemoryMax=100M
CPUQuota=50%
EOF
        av_start
        av_start_agent limited s1
        av_wait_prop s1 State running
        pid=$(av_prop s1 MainPID)

        # The second daemon: its own bus, a new cgroup2 group beneath ours.
        own=$(awk -F: '$1 == 0 { print $3; exit }' /proc/self/cgroup)
        [[ $own == / ]] && own=
        TWIN_CG=$(av_cgroup2_root)$own/avtest-twin-$$-$BATS_TEST_NUMBER
        mkdir "$TWIN_CG"
        mkdir "$T/twin"
        sed "s|@BUS_DIR@|$T/twin|g" "$BATS_TEST_DIRNAME/dbus.conf.in" >"$T/twin/dbus.conf"
        dbus-daemon --config-file="$T/twin/dbus.conf" --nofork --print-address=3 \
                3>"$T/twin/addr" </dev/null >"$T/twin/dbus.log" 2>&1 &
        TWIN_BUS_PID=$!
        av_wait_until 5 "the second dbus-daemon" test -s "$T/twin/addr"
        twin_bus=$(head -n 1 "$T/twin/addr")
        # Its own RuntimeDirectory: with the same one, the instance lock
        # there would refuse it at once (two daemons, one ControlGroup=).
        sed -e "s|^RuntimeDirectory=.*|RuntimeDirectory=$T/twin/run|" \
            -e "s|^AgentsDirectory=.*|AgentsDirectory=$T/agents.d|" "$T/agentvisor.conf" >"$T/twin/agentvisor.conf"
        grep -q "^RuntimeDirectory=$T/twin/run" "$T/twin/agentvisor.conf" ||
                av_fail "the twin's configuration has no RuntimeDirectory of its own: $(cat "$T/twin/agentvisor.conf")"
        bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --config "$3" --bus "$4"' _ \
                "$TWIN_CG" "$AGENTVISORD" "$T/twin/agentvisor.conf" "$twin_bus" </dev/null >>"$T/twin/daemon.log" 2>&1 &
        TWIN_PID=$!
        av_wait_until 10 "the second daemon to own its bus name" \
                bash -c 'busctl --address="$1" call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.agentvisor1 2>/dev/null | grep -q "^b true"' _ "$twin_bus" ||
                { cat "$T/twin/daemon.log" >&2; false; }
        grep -q "cgroup $own/avtest-twin-$$-$BATS_TEST_NUMBER/$AV_CG" "$T/twin/daemon.log" ||
                av_fail "the second daemon is not in its own cgroup2 group: $(cat "$T/twin/daemon.log")"
        sleep 0.5
        av_pid_alive "$pid" || av_fail "the second daemon's start killed the first's agent $pid"
        [[ $(av_prop s1 State) == running && $(av_prop s1 MainPID) == "$pid" ]] ||
                av_fail "s1 is $(av_prop s1 State), MainPID $(av_prop s1 MainPID)"
        ! grep -q "stale" "$T/twin/daemon.log" || av_fail "the second daemon removed groups: $(cat "$T/twin/daemon.log")"
        # Its own cgroups go with it.
        kill -TERM "$TWIN_PID"
        wait "$TWIN_PID" || av_fail "the second daemon exited with status $?: $(cat "$T/twin/daemon.log")"
        TWIN_PID=
        rmdir "$TWIN_CG" || av_fail "the second daemon left groups in $TWIN_CG: $(find "$TWIN_CG" -mindepth 1 -type d)"
        TWIN_CG=
        av_pid_alive "$pid" || av_fail "the first daemon's agent $pid died with the second daemon"
}
