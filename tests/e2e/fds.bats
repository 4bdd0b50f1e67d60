#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The fds the daemon holds for each running agent (issue 16 aims at 10,000
# agents, so each one counts): its pidfd and, with output to LogDirectory,
# the read end of its output pipe. The log file and its directory are opened
# per write, and the cgroup's directory (and the v1 tasks fds of hybrid
# hosts) only for an operation or a spawn. A policy that reports (the shipped default does)
# adds its seccomp listener, which only the daemon may hold: never the agent.

load helpers

BATS_TEST_TIMEOUT=90

setup() {
        av_setup
        av_config Supervisor.AgentTimeoutSec=2
        # Writes once at start and once a second later: the later line must
        # reach the file too, which the daemon no longer holds open.
        cat >"$T/bin/talker" <<EOF
#!/bin/sh
echo "first from pid \$\$"
sleep 1
echo "second from pid \$\$"
exec $PROBE sleep 0 --marker $AV_TOKEN
EOF
        chmod 755 "$T/bin/talker"
        av_type talker <<EOF
[Agent]
Exec=$T/bin/talker
Restart=temporary
EOF
}

teardown() {
        av_teardown
}


# The daemon's fds as "N -> target", one a line, sorted.
fd_list() {
        local f
        for f in "/proc/$1/fd/"*; do
                echo "${f##*/} -> $(readlink "$f" 2>/dev/null)"
        done | sort -n
}

@test "a running agent costs the daemon at most 3 fds, and its output still reaches NAME.log" {
        [[ ! -S /run/systemd/journal/stdout ]] || skip "a journald runs here: output would go there"
        local n=4 i
        av_start
        sleep 0.3
        before=$(av_fd_count "$AV_DAEMON_PID")
        fd_list "$AV_DAEMON_PID" >"$T/fds-before"
        for ((i = 1; i <= n; i++)); do
                av_start_agent talker "t$i" >/dev/null
        done
        for ((i = 1; i <= n; i++)); do
                av_wait_prop "t$i" State running
                av_wait_until 10 "t$i's second line in $T/log/t$i.log" grep -q '^second from pid' "$T/log/t$i.log" || {
                        cat "$T/log/t$i.log" >&2
                        return 1
                }
        done
        sleep 0.3
        after=$(av_fd_count "$AV_DAEMON_PID")
        fd_list "$AV_DAEMON_PID" >"$T/fds-after"
        echo "daemon fds: $before with no agent, $after with $n; the new ones:"
        comm -13 "$T/fds-before" "$T/fds-after"
        # Before: 8 each on a hybrid host (also the log file, its directory
        # and three v1 cgroup.procs fds), then 4 (the cgroup's directory).
        # The 3rd: the default policy's seccomp listener.
        ((after - before <= 3 * n)) ||
                av_fail "$n running agents hold $((after - before)) fds in the daemon, more than 3 each:" \
                        "$(comm -13 "$T/fds-before" "$T/fds-after")"
        [[ $(grep -c 'seccomp notify' "$T/fds-after") == "$n" ]] ||
                av_fail "expected one seccomp listener per agent in the daemon"
        for ((i = 1; i <= n; i++)); do
                pid=$(av_prop "t$i" MainPID)
                # The agent itself holds no listener (it could answer or
                # allow its own reported syscalls).
                ! fd_list "$pid" | grep -q seccomp ||
                        av_fail "agent t$i holds a seccomp listener:" "$(fd_list "$pid")"
                grep -qxF "first from pid $pid" "$T/log/t$i.log" || av_fail "t$i.log lacks its first line:" \
                        "$(cat "$T/log/t$i.log")"
        done

        # Gone with the agents, every one of them.
        for ((i = 1; i <= n; i++)); do
                av_call StopAgent s "t$i" >/dev/null
        done
        for ((i = 1; i <= n; i++)); do
                av_wait_prop "t$i" State exited 10
        done
        av_wait_until 5 "the daemon to be back at $before fds" \
                bash -c '(($(ls "/proc/$1/fd" | wc -l) <= $2))' _ "$AV_DAEMON_PID" "$before" || {
                comm -13 "$T/fds-before" <(fd_list "$AV_DAEMON_PID") >&2
                return 1
        }
}

lines_at_least() {
        [[ $(av_count_lines "$1") -ge $2 ]]
}

# min_fd_count PID N: the fewest fds PID held over N samples 0.1 s apart.
min_fd_count() {
        local min=1000000 k i
        for ((i = 0; i < $2; i++)); do
                k=$(av_fd_count "$1")
                ((k < min)) && min=$k
                sleep 0.1
        done
        echo "$min"
}

@test "between its health checks, an agent costs the daemon no more fds than without them" {
        [[ ! -S /run/systemd/journal/stdout ]] || skip "a journald runs here: check output would go there"
        cat >"$T/check.sh" <<EOF
#!/bin/sh
echo "check output"
echo ran >>"$T/out/checks"
EOF
        chmod 755 "$T/check.sh"
        av_type checked <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
HealthCheck=$T/check.sh
HealthCheckIntervalSec=1
EOF
        av_start
        sleep 0.3
        before=$(av_fd_count "$AV_DAEMON_PID")
        fd_list "$AV_DAEMON_PID" >"$T/fds-before"
        av_start_agent checked c1 >/dev/null
        av_wait_prop c1 Health healthy 10
        av_wait_until 10 "three health checks" lines_at_least "$T/out/checks" 3
        # A check runs for a few ms a second: the fewest over 2 s is the
        # count between checks.
        least=$(min_fd_count "$AV_DAEMON_PID" 20)
        fd_list "$AV_DAEMON_PID" >"$T/fds-after"
        echo "daemon fds: $before with no agent, at least $least with c1 checked every second"
        # Before: the checks' pipe (both ends) was held from the first check
        # to the end of the invocation. The 3rd: the default policy's
        # seccomp listener (health checks run under the plain filter).
        ((least - before <= 3)) ||
                av_fail "between checks the agent holds $((least - before)) fds in the daemon, more than 3:" \
                        "$(comm -13 "$T/fds-before" "$T/fds-after")"
        # Every check's output still reaches the log.
        av_wait_until 5 "the checks' output in the log" \
                bash -c '(($(grep -c "^check output" "$1") >= $2))' _ "$T/log/c1.log" "$(av_count_lines "$T/out/checks")"
}
