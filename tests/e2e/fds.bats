#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The fds the daemon holds for each running agent (issue 16 aims at 10,000
# agents, so each one counts): its pidfd, its v2 cgroup directory and, with
# output to LogDirectory, the read end of its output pipe. The log file and
# its directory are opened per write, and the v1 cgroup.procs fds of hybrid
# hosts only for a spawn.

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

fd_count() {
        local fds=("/proc/$1/fd/"*)
        echo "${#fds[@]}"
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
        before=$(fd_count "$AV_DAEMON_PID")
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
        after=$(fd_count "$AV_DAEMON_PID")
        fd_list "$AV_DAEMON_PID" >"$T/fds-after"
        echo "daemon fds: $before with no agent, $after with $n; the new ones:"
        comm -13 "$T/fds-before" "$T/fds-after"
        # Before: 8 each on a hybrid host (also the log file, its directory
        # and three v1 cgroup.procs fds).
        ((after - before <= 3 * n)) ||
                av_fail "$n running agents hold $((after - before)) fds in the daemon, more than 3 each:" \
                        "$(comm -13 "$T/fds-before" "$T/fds-after")"
        for ((i = 1; i <= n; i++)); do
                pid=$(av_prop "t$i" MainPID)
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
