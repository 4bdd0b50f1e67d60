#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Readiness, status, watchdog and health checks (issue 6), with a real
# sd_notify agent, and the notify socket's refusal of outsiders.

load helpers

BATS_TEST_TIMEOUT=90

setup() {
        av_setup
        av_config Supervisor.AgentTimeoutSec=2 Supervisor.MaxRestarts=10 Supervisor.RestartWindowSec=60
}

teardown() {
        av_teardown
}

# notify_type NAME EXTRA-KEY-LINES... -- ARGS...: a Type=notify agent type
# running notify-agent with ARGS.
notify_type() {
        local name=$1 keys=()
        shift
        while [[ $# -gt 0 && $1 != -- ]]; do
                keys+=("$1")
                shift
        done
        shift
        {
                echo "[Agent]"
                echo "Exec=$NOTIFY_AGENT $*"
                echo "Type=notify"
                [[ ${#keys[@]} -gt 0 ]] && printf '%s\n' "${keys[@]}"
                true
        } | av_type "$name"
}

# Sends one datagram to the daemon's notify socket (a path; "@" would be
# an abstract name) from this shell, i.e. from outside every agent's cgroup.
send_notify() {
        python3 -c '
import socket, sys
name = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(sys.argv[2].encode(), "\0" + name[1:] if name.startswith("@") else name)
' "$1" "$2"
}

# lines_at_least FILE N: FILE has N lines or more (for av_wait_until, which
# runs its command again each time).
lines_at_least() {
        [[ $(av_count_lines "$1") -ge $2 ]]
}

@test "a notify agent is starting until READY=1, then running; StatusText follows STATUS=" {
        notify_type slowready -- ready 2
        av_start
        av_start_agent slowready n1
        av_wait_prop n1 StatusText 'starting\.\.\.' 5
        [[ $(av_prop n1 State) == starting ]] || av_fail "State is $(av_prop n1 State) before READY=1"
        [[ $(av_prop n1 ServiceType) == notify ]]
        av_wait_prop n1 State running 10
        av_wait_prop n1 StatusText running 5
}

@test "StatusText carries the agent's STATUS= text" {
        notify_type talker -- status '"busy with 3 jobs"'
        av_start
        av_start_agent talker t1
        av_wait_prop t1 State running
        av_wait_prop t1 StatusText 'busy with 3 jobs'
}

@test "TimeoutStartSec without READY=1 ends the agent with reason start-timeout" {
        notify_type lazy TimeoutStartSec=1 Restart=temporary -- never-ready
        av_start
        t0=$(av_now_ms)
        av_start_agent lazy l1
        av_wait_prop l1 State failed 10
        elapsed=$(($(av_now_ms) - t0))
        echo "ended after ${elapsed} ms (TimeoutStartSec=1)"
        [[ $(av_prop l1 ExitReason) == start-timeout ]] || av_fail "ExitReason is $(av_prop l1 ExitReason)"
        [[ $(av_prop l1 ExitKilledBy) == daemon ]] || av_fail "ExitKilledBy is $(av_prop l1 ExitKilledBy)"
        [[ $elapsed -ge 900 && $elapsed -le 5000 ]] || av_fail "ended after ${elapsed} ms with TimeoutStartSec=1"
}

@test "a missed watchdog ends the agent with reason watchdog and it is restarted" {
        notify_type dozy WatchdogSec=1 -- no-watchdog
        av_start
        av_monitor_start
        av_start_agent dozy w1
        path=$(av_agent_path w1)
        av_monitor_wait "AgentExited \('w1', objectpath '$path', 'watchdog', -?[0-9]+\)" 10
        av_wait_prop w1 RestartCount '[1-9][0-9]*' 10
        [[ $(av_prop w1 WatchdogUSec) == 1000000 ]]
}

@test "an agent that feeds its watchdog keeps running" {
        notify_type diligent WatchdogSec=1 -- ready
        av_start
        av_start_agent diligent w2
        av_wait_prop w2 State running
        pid=$(av_prop w2 MainPID)
        sleep 3.5
        [[ $(av_prop w2 State) == running ]] || av_fail "State is $(av_prop w2 State) (ExitReason $(av_prop w2 ExitReason))"
        [[ $(av_prop w2 MainPID) == "$pid" ]] || av_fail "the agent was restarted although it fed its watchdog"
        [[ $(av_prop w2 RestartCount) == 0 ]]
}

@test "a failing HealthCheck makes the agent unhealthy and restarts it after exactly HealthCheckFailures failures" {
        av_type sick <<EOF
[Agent]
Exec=$PROBE record $T/out/starts sleep 0
HealthCheck=$PROBE record $T/out/checks exit 1
HealthCheckIntervalSec=1
HealthCheckFailures=2
EOF
        av_start
        av_monitor_start
        av_start_agent sick h1
        path=$(av_agent_path h1)
        av_monitor_wait "HealthChanged \('h1', objectpath '$path', 'unhealthy'\)" 15
        av_monitor_wait "AgentExited \('h1', objectpath '$path', 'unhealthy', -?[0-9]+\)" 10
        av_wait_until 10 "the unhealthy agent to be started again" lines_at_least "$T/out/starts" 2
        second_start=$(sed -n 2p "$T/out/starts")
        failures=$(awk -v s="$second_start" '$1 < s' "$T/out/checks" | wc -l)
        [[ $failures == 2 ]] || av_fail "$failures health checks ran before the restart; HealthCheckFailures=2"
}

@test "a passing HealthCheck makes the agent healthy; an agent with no check is healthy while running" {
        av_type well <<EOF
[Agent]
Exec=$PROBE sleep 0
HealthCheck=$PROBE exit 0
HealthCheckIntervalSec=1
EOF
        av_type plain <<EOF
[Agent]
Exec=$PROBE sleep 0
EOF
        av_start
        av_monitor_start
        av_start_agent well g1
        av_start_agent plain g2
        av_wait_prop g1 Health healthy 5
        av_wait_prop g2 Health healthy 5
        av_monitor_wait "HealthChanged \('g1', objectpath '[^']+', 'healthy'\)" 5
        [[ $(av_prop g1 HealthCheckFailures) == 0 ]]
}

@test "a simple agent's start is one PropertiesChanged: State running and Health healthy together" {
        av_type plain <<EOF
[Agent]
Exec=$PROBE sleep 0
EOF
        av_start
        av_monitor_start
        av_start_agent plain c1
        path=$(av_agent_path c1)
        av_wait_prop c1 Health healthy 5
        av_monitor_wait "AgentStarted \('c1'" 5
        av_monitor_wait "^$path: org.freedesktop.DBus.Properties.PropertiesChanged .*'Health'" 5
        # The start marks State, MainPID... and, in the same iteration, Health:
        # the bus queue sends them as one signal, and State only once.
        changes=$(av_monitor_count "^$path: org.freedesktop.DBus.Properties.PropertiesChanged")
        [[ $changes == 1 ]] || { grep "^$path:" "$AV_MON" >&2; av_fail "$changes PropertiesChanged for one start"; }
        grep -E "^$path: .*PropertiesChanged" "$AV_MON" | grep -q "'State': <'running'>.*'Health': <'healthy'>" ||
                av_fail "State and Health are not in one PropertiesChanged: $(grep "^$path:" "$AV_MON")"
        ! grep -E "^$path: .*PropertiesChanged" "$AV_MON" | grep -q "'State': <'starting'>" ||
                av_fail "a simple agent was announced as starting"
}

@test "a health check runs under the policy its invocation started with; Reload changes the next invocation" {
        mkdir -p "$T/policies"
        echo "include default" >"$T/policies/hc-test.policy"
        av_config Supervisor.AgentTimeoutSec=2 "Daemon.PolicyPath=$T/policies:$POLICY_DIR"
        av_type checked <<EOF
[Agent]
Exec=$PROBE sleep 0
HealthCheck=$PROBE record $T/out/checks exit 0
HealthCheckIntervalSec=1
HealthCheckFailures=1
Policy=hc-test
EOF
        av_start
        av_start_agent checked p1
        av_wait_prop p1 Health healthy 10
        pid=$(av_prop p1 MainPID)
        invocation=$(av_prop p1 InvocationID)

        # The file now kills whatever it filters: a check under it could not
        # even exec. The running invocation keeps the policy it started with.
        echo "default kill" >"$T/policies/hc-test.policy"
        av_call Reload
        before=$(av_count_lines "$T/out/checks")
        av_wait_until 15 "two health checks after Reload" lines_at_least "$T/out/checks" $((before + 2))
        [[ $(av_prop p1 Health) == healthy ]] || av_fail "Health is $(av_prop p1 Health) after Reload"
        [[ $(av_prop p1 HealthCheckFailures) == 0 ]] ||
                av_fail "HealthCheckFailures is $(av_prop p1 HealthCheckFailures) after Reload"
        [[ $(av_prop p1 State) == running ]] ||
                av_fail "State is $(av_prop p1 State) (ExitReason $(av_prop p1 ExitReason))"
        [[ $(av_prop p1 MainPID) == "$pid" && $(av_prop p1 InvocationID) == "$invocation" ]] ||
                av_fail "the agent was restarted although its health checks passed"

        # A new invocation takes the policy as reloaded: its exec is killed.
        av_call RestartAgent s p1
        av_wait_prop p1 ExitReason seccomp 15
        [[ $(av_prop p1 ExitKilledBy) == policy ]] || av_fail "ExitKilledBy is $(av_prop p1 ExitKilledBy)"
}

@test "a datagram to the notify socket from outside the agent's cgroup changes nothing and is counted" {
        notify_type waiting TimeoutStartSec=60 -- never-ready
        av_start
        av_start_agent waiting n1
        av_wait_prop n1 StatusText 'never going to be ready' 5
        socket=$(av_mprop NotifySocket)
        [[ -n $socket ]] || av_fail "the Manager's NotifySocket is empty"
        dropped=$(av_mprop NotifyMessagesDropped)
        send_notify "$socket" $'READY=1\nSTATUS=forged'
        av_wait_mprop NotifyMessagesDropped "$((dropped + 1))" 5
        sleep 0.5
        [[ $(av_prop n1 State) == starting ]] || av_fail "an outsider's READY=1 moved the agent to $(av_prop n1 State)"
        [[ $(av_prop n1 StatusText) != forged ]] || av_fail "an outsider's STATUS= was taken"
}


@test "health checks that leave a child behind do not make the daemon hold more fds" {
        # Each check leaves a sleeper holding its stdout and stderr.
        cat >"$T/check.sh" <<EOF
#!/bin/sh
echo "check output"
echo ran >>"$T/out/checks"
sleep 300 &
exit 0
EOF
        chmod 755 "$T/check.sh"
        av_type checked <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
HealthCheck=$T/check.sh
HealthCheckIntervalSec=1
HealthCheckFailures=1
EOF
        av_start
        av_start_agent checked h1
        av_wait_prop h1 Health healthy 10
        av_wait_until 10 "the first health check" lines_at_least "$T/out/checks" 1
        sleep 0.3
        first=$(av_count_lines "$T/out/checks")
        before=$(av_fd_count "$AV_DAEMON_PID")
        av_wait_until 20 "10 more health checks" lines_at_least "$T/out/checks" $((first + 10))
        sleep 0.3
        after=$(av_fd_count "$AV_DAEMON_PID")
        # The leftovers are there (else the test would mean nothing): each
        # check's sleeper still runs in the agent's cgroup.
        left=$(grep -c . "$(av_cgroup_dir h1)/cgroup.procs")
        ((left >= 11)) || av_fail "only $left processes in the agent's cgroup: the checks left no children"
        echo "daemon fds: $before after $first checks, $after after $(av_count_lines "$T/out/checks")"
        # Before the fix each check added 3 (its pipe's read end, the log's
        # directory and file), held as long as its leftover child lived.
        ((after <= before + 2)) || av_fail "the daemon went from $before to $after fds over 10 health checks"
        [[ $(av_prop h1 State) == running && $(av_prop h1 Health) == healthy ]] ||
                av_fail "h1 is $(av_prop h1 State)/$(av_prop h1 Health)"
        # The checks' one channel still carries their output.
        av_wait_until 5 "the checks' output in the log" \
                bash -c '(($(grep -c "^check output" "$1") >= 11))' _ "$T/log/h1.log"
        # The end of the invocation takes the leftovers with its cgroup, and
        # the channel with it: the daemon is back below where it was with one.
        av_call StopAgent s h1
        av_wait_prop h1 State exited 10
        av_wait_until 5 "the daemon to drop the checks' channel" \
                bash -c '(($(ls "/proc/$1/fd" | wc -l) <= $2))' _ "$AV_DAEMON_PID" "$((before - 4))"
}
