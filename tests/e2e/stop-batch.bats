#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Stops go through a bounded window (issue 16): each agent's end frees a
# seccomp filter, and the kernel frees them one at a time under a mutex, so
# a shutdown or group restart of thousands of agents must not end them all
# at once. AGENTVISOR_STOP_BATCH (default 64) sets the window; the daemon
# logs how it went when it exits.

load helpers

BATS_TEST_TIMEOUT=120

setup() {
        av_setup
        av_type sleeper <<EOF
[Agent]
Exec=$PROBE sleep --marker $AV_TOKEN
Restart=permanent
EOF
        av_type stubborn <<EOF
[Agent]
Exec=$PROBE ignore-term --marker $AV_TOKEN
Restart=permanent
EOF
}

teardown() {
        unset AGENTVISOR_STOP_BATCH
        av_teardown
}

# start_many TYPE PREFIX N: starts N agents and waits until all run.
start_many() {
        local type=$1 prefix=$2 n=$3 i
        for ((i = 1; i <= n; i++)); do
                av_start_agent "$type" "$prefix$i" >/dev/null || return 1
        done
        for ((i = 1; i <= n; i++)); do
                av_wait_prop "$prefix$i" State running || return 1
        done
}

# The daemon's summary line: "stopped N agents, at most K at once ...".
summary() {
        grep -E 'stopped [0-9]+ agents, at most [0-9]+ at once' "$T/daemon.log" | tail -n 1
}

# shutdown_many WINDOW TIMEOUT TYPE PREFIX N: N agents of TYPE running, then
# SIGTERM with a stop window of WINDOW and AgentTimeoutSec=TIMEOUT; sets
# line to the daemon's summary of the shutdown.
shutdown_many() {
        export AGENTVISOR_STOP_BATCH=$1
        av_config Supervisor.AgentTimeoutSec="$2"
        av_start
        start_many "$3" "$4" "$5"
        av_stop_daemon || av_fail "agentvisord did not exit within 40 s of SIGTERM"
        [[ $AV_DAEMON_STATUS == 0 ]] || av_fail "agentvisord exited with $AV_DAEMON_STATUS"
        line=$(summary)
        echo "$line"
}

@test "a shutdown stops at most AGENTVISOR_STOP_BATCH agents at once, and every agent ends as shutdown" {
        local n=40
        shutdown_many 8 5 sleeper s "$n"
        # (A loaded machine may declare a window slow: that is not counted.)
        [[ $line == *"stopped $n agents, at most 8 at once (AGENTVISOR_STOP_BATCH=8), 32 waited for a slot, "* ]] ||
                av_fail "expected $n stops, at most 8 in flight, 32 queued; the log says: ${line:-nothing}"
        ended=$(grep -c 'ended: shutdown' "$T/daemon.log" || true)
        ((ended == n)) || av_fail "$ended of $n agents ended as shutdown:" "$(grep 'ended:' "$T/daemon.log" | grep -v 'ended: shutdown')"
        [[ -z $(av_marked_pids) ]] || av_fail "agent processes outlived the daemon: $(av_marked_pids)"
        [[ -z $(av_find_cgroups) ]] || av_fail "cgroups left: $(av_find_cgroups)"
}

@test "agents that ignore SIGTERM do not hold the window: the next batch goes after 1 s, each ends at its AgentTimeoutSec" {
        local n=9
        shutdown_many 3 3 stubborn x "$n"
        [[ $line == *"stopped $n agents, at most 3 at once"* ]] || av_fail "the log says: ${line:-nothing}"
        # Two windows at least were declared slow (the last may end first).
        slow=$(sed -nE 's/.*, ([0-9]+) were slow to end.*/\1/p' <<<"$line")
        ((slow >= 6)) || av_fail "only ${slow:-no} stops were released as slow: the window waited for AgentTimeoutSec"
        grep -q 'have not ended within 1s' "$T/daemon.log" || av_fail "no slow window was logged"
        ended=$(grep -c 'ended: shutdown' "$T/daemon.log" || true)
        ((ended == n)) || av_fail "$ended of $n agents ended as shutdown"
}

@test "a one-for-all restart of 12 agents goes through the window too, and every agent comes back" {
        local n=12 i
        export AGENTVISOR_STOP_BATCH=4
        av_config Supervisor.Strategy=one-for-all Supervisor.AgentTimeoutSec=5
        av_start
        start_many sleeper g "$n"
        pid=$(av_prop g1 MainPID)
        kill -KILL "$pid"
        for ((i = 1; i <= n; i++)); do
                av_wait_prop "g$i" RestartCount 1 || return 1
                av_wait_prop "g$i" State running || return 1
        done
        av_stop_daemon || av_fail "agentvisord did not exit within 40 s of SIGTERM"
        line=$(summary)
        echo "$line"
        # 11 siblings stopped by the restart, then 12 by the shutdown.
        [[ $line == *"stopped 23 agents, at most 4 at once"* ]] || av_fail "the log says: ${line:-nothing}"
}
