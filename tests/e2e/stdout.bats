#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# StandardOutput= (issue 16): journal, the default, is the journald stream
# or, without journald, a pipe the daemon reads into LogDirectory/NAME.log;
# null points the agent's stdout and stderr, and its health checks', at
# /dev/null, so that the daemon holds no pipe and writes no file for it.
# RunAgent takes the key; StartAgent does not (the type's author chose).

load helpers

BATS_TEST_TIMEOUT=90

setup() {
        av_setup
        av_config Supervisor.AgentTimeoutSec=2
        # Two lines, one on each stream, before it becomes the probe: once
        # its exe is the probe, both were written.
        cat >"$T/bin/talker" <<EOF
#!/bin/sh
echo "out from pid \$\$"
echo "err from pid \$\$" >&2
exec $PROBE sleep 0 --marker $AV_TOKEN
EOF
        chmod 755 "$T/bin/talker"
        av_type quiet <<EOF
[Agent]
Exec=$T/bin/talker
Restart=temporary
StandardOutput=null
EOF
        av_type loud <<EOF
[Agent]
Exec=$T/bin/talker
Restart=temporary
EOF
}

teardown() {
        av_teardown
}

no_journald() {
        [[ ! -S /run/systemd/journal/stdout ]] || skip "a journald runs here: output would go there"
}

# The pipes among a process's fds, as their targets (pipe:[INODE]), sorted.
pipes_of() {
        local f
        for f in "/proc/$1/fd/"*; do
                readlink "$f" 2>/dev/null
        done | grep '^pipe:' | sort
}

# Waits until agent NAME runs the probe (its talker lines are written) and
# prints its pid.
probe_pid() {
        local pid
        av_wait_prop "$1" State running
        pid=$(av_prop "$1" MainPID)
        av_wait_until 10 "agent $1 (pid $pid) to exec the probe" \
                bash -c '[[ $(readlink "/proc/$1/exe") == "$(readlink -f "$2")" ]]' _ "$pid" "$PROBE" || return 1
        echo "$pid"
}

@test "StandardOutput=null: fds 1 and 2 are /dev/null, no NAME.log, no pipe in the daemon; the default still logs" {
        no_journald
        local i pid
        av_start
        sleep 0.3
        pipes_of "$AV_DAEMON_PID" >"$T/pipes-before"
        for i in 1 2 3; do
                av_start_agent quiet "q$i" >/dev/null
        done
        for i in 1 2 3; do
                pid=$(probe_pid "q$i")
                [[ $(av_prop "q$i" StandardOutput) == null ]] ||
                        av_fail "q$i: StandardOutput is '$(av_prop "q$i" StandardOutput)', expected null"
                for fd in 1 2; do
                        [[ $(readlink "/proc/$pid/fd/$fd") == /dev/null ]] ||
                                av_fail "q$i's fd $fd is '$(readlink "/proc/$pid/fd/$fd")', expected /dev/null"
                done
        done
        sleep 0.3
        pipes_of "$AV_DAEMON_PID" >"$T/pipes-quiet"
        cmp -s "$T/pipes-before" "$T/pipes-quiet" ||
                av_fail "with 3 StandardOutput=null agents the daemon holds other pipes:" \
                        "before: $(cat "$T/pipes-before")" "after: $(cat "$T/pipes-quiet")"
        for i in 1 2 3; do
                [[ ! -e $T/log/q$i.log ]] || av_fail "q$i.log exists:" "$(cat "$T/log/q$i.log")"
        done
        # agentctl status says where the output went, when it went nowhere.
        text=$("$AGENTCTL" status q1)
        grep -qE '^ *Output: null' <<<"$text" || av_fail "agentctl status q1 has no 'Output: null' line:" "$text"
        [[ $("$AGENTCTL" --json status q1 | jq -r .standard_output) == null ]] ||
                av_fail "agentctl --json status q1: standard_output is not null"

        # The default: a pipe whose read end the daemon holds, into NAME.log.
        av_start_agent loud l1 >/dev/null
        pid=$(probe_pid l1)
        [[ $(av_prop l1 StandardOutput) == journal ]] ||
                av_fail "l1: StandardOutput is '$(av_prop l1 StandardOutput)', expected journal"
        out=$(readlink "/proc/$pid/fd/1")
        [[ $out == pipe:* ]] || av_fail "l1's fd 1 is '$out', expected a pipe"
        ! "$AGENTCTL" status l1 | grep -q '^ *Output:' || av_fail "agentctl status l1 shows an Output line for the default"
        av_wait_until 10 "l1's two lines in $T/log/l1.log" \
                bash -c 'grep -qxF "out from pid $2" "$1" && grep -qxF "err from pid $2" "$1"' _ "$T/log/l1.log" "$pid" || {
                cat "$T/log/l1.log" >&2
                return 1
        }
        pipes_of "$AV_DAEMON_PID" >"$T/pipes-loud"
        new=$(comm -13 "$T/pipes-before" "$T/pipes-loud")
        [[ $new == "$out" ]] || av_fail "the daemon's new pipes are '$new', expected l1's '$out' alone"
        # Nothing of the quiet ones was written anywhere in LogDirectory.
        ! grep -rq "from pid" --exclude=l1.log "$T/log" || av_fail "other output in $T/log:" "$(ls -l "$T/log")"
}

@test "StandardOutput=null: health checks write to /dev/null too, and pass" {
        no_journald
        cat >"$T/check.sh" <<EOF
#!/bin/sh
echo "check output"
# The shell's own fds: a command substitution's fd 1 is its pipe.
echo "\$(readlink /proc/\$\$/fd/1) \$(readlink /proc/\$\$/fd/2)" >>"$T/out/check-fds"
EOF
        chmod 755 "$T/check.sh"
        av_type checked <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
StandardOutput=null
HealthCheck=$T/check.sh
HealthCheckIntervalSec=1
EOF
        av_start
        av_start_agent checked c1 >/dev/null
        av_wait_prop c1 Health healthy 10
        av_wait_until 10 "two health checks" bash -c '[[ $(wc -l <"$1" 2>/dev/null) -ge 2 ]]' _ "$T/out/check-fds"
        bad=$(grep -vxF "/dev/null /dev/null" "$T/out/check-fds" || true)
        [[ -z $bad ]] || av_fail "a check's stdout and stderr were not /dev/null:" "$bad"
        [[ ! -e $T/log/c1.log ]] || av_fail "c1.log exists:" "$(cat "$T/log/c1.log")"
}

@test "RunAgent takes StandardOutput, refuses a wrong word; StartAgent does not take it" {
        no_journald
        local pid
        av_start
        av_run r1 StandardOutput s null -- "$T/bin/talker" >/dev/null
        pid=$(probe_pid r1)
        [[ $(av_prop r1 StandardOutput) == null ]] || av_fail "r1: StandardOutput is '$(av_prop r1 StandardOutput)'"
        [[ $(readlink "/proc/$pid/fd/1") == /dev/null ]] || av_fail "r1's fd 1 is '$(readlink "/proc/$pid/fd/1")'"
        [[ ! -e $T/log/r1.log ]] || av_fail "r1.log exists:" "$(cat "$T/log/r1.log")"

        run av_run r2 StandardOutput s syslog -- "$T/bin/talker"
        [[ $status != 0 && $output == *'StandardOutput "syslog": expected journal or null.'* ]] ||
                av_fail "StandardOutput=syslog was not refused with the allowed words: $output"
        run av_gdbus RunAgent "'r3'" "['/bin/true']" "{'StandardOutput': <'Null'>}"
        [[ $status != 0 && $output == *org.freedesktop.DBus.Error.InvalidArgs* ]] || av_fail "not InvalidArgs: $output"

        # StartAgent: the type's choice stays, either way.
        run av_start_agent loud l1 StandardOutput s null
        [[ $status != 0 && $output == *'Unknown option "StandardOutput".'* ]] ||
                av_fail "StartAgent took StandardOutput: $output"
        run av_start_agent quiet q1 StandardOutput s journal
        [[ $status != 0 && $output == *'Unknown option "StandardOutput".'* ]] ||
                av_fail "StartAgent took StandardOutput: $output"
}

@test "agentctl run -p StandardOutput=null, and a wrong word in a type fails the load naming file and line" {
        no_journald
        local pid
        av_start
        "$AGENTCTL" run --name c1 -p StandardOutput=null -- "$T/bin/talker" >/dev/null
        pid=$(probe_pid c1)
        [[ $(readlink "/proc/$pid/fd/2") == /dev/null ]] || av_fail "c1's fd 2 is '$(readlink "/proc/$pid/fd/2")'"
        [[ ! -e $T/log/c1.log ]] || av_fail "c1.log exists:" "$(cat "$T/log/c1.log")"
        av_stop_daemon

        av_type bad <<EOF
[Agent]
Exec=/bin/true
StandardOutput=syslog
EOF
        run av_start
        [[ $status != 0 ]] || av_fail "the daemon started with StandardOutput=syslog in a type"
        grep -q "bad.agent:3.*StandardOutput=syslog is invalid: expected journal or null" "$T/daemon.log" ||
                av_fail "daemon.log does not name bad.agent:3 and the allowed words:" "$(tail -n 5 "$T/daemon.log")"
}

@test "Reexecute keeps StandardOutput=null: same agent, fds still /dev/null, no NAME.log" {
        no_journald
        local pid before
        av_start
        av_start_agent quiet q1 >/dev/null
        pid=$(probe_pid q1)
        before=$(grep -c 'Executed anew' "$T/daemon.log" || true)
        "$AGENTCTL" daemon-reexec || av_fail "agentctl daemon-reexec failed"
        av_wait_until 5 "the daemon's new image to start" \
                bash -c '[[ $(grep -c "Executed anew" "$1") -gt $2 ]]' _ "$T/daemon.log" "$before"
        av_wait_until 2 "the new image to own org.agentvisor1" av_bus_has_name
        [[ $(av_prop q1 MainPID) == "$pid" ]] || av_fail "q1's MainPID is '$(av_prop q1 MainPID)', was $pid"
        [[ $(av_prop q1 StandardOutput) == null ]] ||
                av_fail "after Reexecute q1's StandardOutput is '$(av_prop q1 StandardOutput)'"
        [[ $(readlink "/proc/$pid/fd/1") == /dev/null ]] || av_fail "q1's fd 1 is '$(readlink "/proc/$pid/fd/1")'"
        [[ ! -e $T/log/q1.log ]] || av_fail "q1.log exists after Reexecute:" "$(cat "$T/log/q1.log")"
}
