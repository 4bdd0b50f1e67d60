#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# What the daemon's bus side costs the kernel per question (issue 12): a
# GetAll or a Get reads each live cgroup figure once.

load helpers

BATS_TEST_TIMEOUT=60

setup() {
        av_setup
        av_config
}

teardown() {
        av_teardown
}

# opens_during FILE-NAME COMMAND...: runs COMMAND while strace watches the
# daemon's openat calls, and prints how many opened a file named FILE-NAME.
opens_during() {
        local name=$1 spid
        shift
        timeout 30 strace -qq -e trace=openat -p "$AV_DAEMON_PID" -o "$T/strace.out" 2>"$T/strace.err" &
        spid=$!
        # Time for strace to attach (ptrace, then the first syscall stop).
        sleep 0.5
        "$@" >/dev/null
        sleep 0.3
        kill "$spid" 2>/dev/null
        wait "$spid" 2>/dev/null || true
        grep -c "/$name\"" "$T/strace.out" || true
}

@test "GetAll and Get read an agent's cgroup figures once per call" {
        command -v strace >/dev/null || skip "strace is not installed"
        av_type plain <<EOF
[Agent]
Exec=$PROBE sleep 0
EOF
        av_start
        av_start_agent plain g1
        av_wait_prop g1 State running
        path=$(av_agent_path g1)
        # pids.current is TasksCurrent's file on cgroup v1 and v2 alike.
        n=$(opens_during pids.current av_busctl call org.agentvisor1 "$path" org.freedesktop.DBus.Properties \
                GetAll s org.agentvisor1.Agent)
        [[ $n == 1 ]] || av_fail "one GetAll opened pids.current $n times"
        n=$(opens_during pids.current av_busctl call org.agentvisor1 "$path" org.freedesktop.DBus.Properties \
                Get ss org.agentvisor1.Agent TasksCurrent)
        [[ $n == 1 ]] || av_fail "one Get opened pids.current $n times"
        # Each call reads afresh: the figures are live, not kept across calls.
        n=$(opens_during pids.current av_busctl call org.agentvisor1 "$path" org.freedesktop.DBus.Properties \
                Get ss org.agentvisor1.Agent MemoryCurrent)
        [[ $n == 1 ]] || av_fail "a Get of another figure opened pids.current $n times"
}
