#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Running out of file descriptors (issue 16: a 10,000-agent run ended in
# bare "spawn-failed (status 24)" past ~5,000 agents): the daemon warns at
# start when RLIMIT_NOFILE cannot hold the configured agents, and a start
# that fails for want of fds says so, naming the limit and what to raise,
# while the daemon and the agents already running carry on.

load helpers

BATS_TEST_TIMEOUT=120

setup() {
        av_setup
        av_config Supervisor.MaxChildren=100
        av_type sleeper <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
Restart=temporary
EOF
}

teardown() {
        av_teardown
}


# The daemon under RLIMIT_NOFILE N (soft and hard), as `ulimit -n N` before
# a manual start would leave it: prlimit execs it, so its pid stays the
# one av_start knows.
use_nofile_limit() {
        cat >"$T/bin/agentvisord-limited" <<EOF
#!/bin/sh
exec prlimit --nofile=$1:$1 -- "$AGENTVISORD" "\$@"
EOF
        chmod 755 "$T/bin/agentvisord-limited"
        AGENTVISORD=$T/bin/agentvisord-limited
}

@test "a hard limit too low for MaxChildren is a warning at start, naming the limit, the room and the fix" {
        # 400 fds: about (400 - 256) / 3 = 48 agents, for MaxChildren=100.
        use_nofile_limit 400
        av_start
        [[ $(awk '/Max open files/ { print $4, $5 }' "/proc/$AV_DAEMON_PID/limits") == "400 400" ]] ||
                av_fail "the daemon does not run under the limit:" "$(grep 'open files' "/proc/$AV_DAEMON_PID/limits")"
        grep -E 'RLIMIT_NOFILE is 400 .*room for about 48 agents.*allows 100 .*LimitNOFILE=.*ulimit -Hn' \
                "$T/daemon.log" || av_fail "no warning about RLIMIT_NOFILE in daemon.log:" "$(cat "$T/daemon.log")"
}

@test "a limit that holds MaxChildren gives no warning" {
        av_config Supervisor.MaxChildren=40
        use_nofile_limit 400
        av_start
        ! grep 'RLIMIT_NOFILE' "$T/daemon.log" || av_fail "unexpected warning"
}

@test "a start out of fds names RLIMIT_NOFILE; the daemon and the agents already running carry on" {
        local i limit out failed= started=0 pid
        av_start
        sleep 0.3
        # Room for a few agents beyond what the daemon holds now.
        limit=$(($(av_fd_count "$AV_DAEMON_PID") + 16))
        prlimit --pid "$AV_DAEMON_PID" --nofile="$limit:$limit"
        for ((i = 1; i <= 15; i++)); do
                if out=$(av_start_agent sleeper "s$i" 2>&1); then
                        av_wait_prop "s$i" State running || return 1
                        started=$i
                else
                        failed=s$i
                        break
                fi
        done
        echo "limit $limit: $started agents started; then: $out"
        [[ -n $failed ]] || av_fail "15 agents started under RLIMIT_NOFILE $limit: the limit did not bite"
        ((started >= 1)) || av_fail "not even the first agent started under RLIMIT_NOFILE $limit"
        [[ $out == *"out of file descriptors: RLIMIT_NOFILE $limit, $started agents running; raise LimitNOFILE="* ]] ||
                av_fail "the failed start's error does not say why: $out"
        grep -E "$failed.*cannot start: .*out of file descriptors: RLIMIT_NOFILE $limit, $started agents running; raise LimitNOFILE=" \
                "$T/daemon.log" || av_fail "no clear log line for $failed:" "$(tail -n 20 "$T/daemon.log")"
        # Recorded as any failed start is.
        [[ $(av_prop "$failed" ExitReason) == spawn-failed ]] || av_fail "ExitReason of $failed: $(av_prop "$failed" ExitReason)"
        [[ $(av_prop "$failed" ExitStatus) == 24 ]] || av_fail "ExitStatus of $failed: $(av_prop "$failed" ExitStatus)"

        # The agents that ran still run, and the daemon still answers.
        for ((i = 1; i <= started; i++)); do
                [[ $(av_prop "s$i" State) == running ]] || av_fail "s$i is $(av_prop "s$i" State)"
                pid=$(av_prop "s$i" MainPID)
                av_pid_alive "$pid" || av_fail "s$i (pid $pid) is gone"
        done
        av_pid_alive "$AV_DAEMON_PID" || av_fail "the daemon is gone"
        av_call ListAgents >/dev/null || av_fail "ListAgents failed"

        # With one agent stopped, there is room again.
        av_call StopAgent s s1 >/dev/null
        av_wait_prop s1 State exited 10
        av_call RemoveAgent s "$failed" >/dev/null
        av_start_agent sleeper "$failed" >/dev/null || av_fail "no start possible after an agent stopped"
        av_wait_prop "$failed" State running
}

checks_run() {
        [[ $(wc -l <"$T/out/checks" 2>/dev/null || echo 0) -ge $1 ]]
}

@test "health checks the daemon has no fds for are skipped, not failed: the agent is not restarted" {
        local limit pid skipped
        cat >"$T/check.sh" <<EOF
#!/bin/sh
echo ran >>"$T/out/checks"
EOF
        chmod 755 "$T/check.sh"
        av_type checked <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
HealthCheck=$T/check.sh
HealthCheckIntervalSec=1
HealthCheckFailures=1
Restart=permanent
EOF
        av_start
        av_start_agent checked c1 >/dev/null
        av_wait_prop c1 Health healthy 10
        pid=$(av_prop c1 MainPID)
        # No room for a check's fds (its output pipe, the cgroup's directory,
        # the pidfd): every check from now on fails to start for want of fds.
        limit=$(av_fd_count "$AV_DAEMON_PID")
        prlimit --pid "$AV_DAEMON_PID" --nofile="$limit:$limit"
        : >"$T/out/checks"
        av_wait_until 10 "two health checks skipped for want of fds" \
                bash -c '(($(grep -c "c1: health check skipped: .*out of file descriptors: RLIMIT_NOFILE $2" "$1") >= 2))' \
                _ "$T/daemon.log" "$limit" || {
                tail -n 20 "$T/daemon.log" >&2
                return 1
        }
        # Neither failed (HealthCheckFailures=1 would have restarted it) nor run.
        [[ $(av_prop c1 HealthCheckFailures) == 0 ]] || av_fail "HealthCheckFailures: $(av_prop c1 HealthCheckFailures)"
        [[ $(av_prop c1 MainPID) == "$pid" && $(av_prop c1 RestartCount) == 0 ]] ||
                av_fail "c1 was restarted: pid $(av_prop c1 MainPID), RestartCount $(av_prop c1 RestartCount)"
        [[ ! -s $T/out/checks ]] || av_fail "a check ran although the daemon had no fds for it"
        ! grep -q "c1: health check failed" "$T/daemon.log" || av_fail "a skipped check counted as failed"
}
