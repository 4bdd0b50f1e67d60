#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Limits, timers and accounting on every host (issue 11): a limit near 2^64
# is no limit rather than one that wrapped into the past, agents without
# limits get the daemon's DefaultTasksMax=/DefaultMemoryMax=, a supervisor's
# TasksMax=/MemoryMax=/CPUQuota= bound its whole group, and every agent is
# accounted for (MemoryCurrent, TasksCurrent, ExitMemoryPeak) on hybrid hosts.

load helpers

BATS_TEST_TIMEOUT=90

UINT64_MAX=18446744073709551615

setup() {
        av_setup
        av_config Supervisor.AgentTimeoutSec=2
}

teardown() {
        av_teardown
}

# v1_dir CONTROLLER V2-PATH: the directory of a group in the v1 hierarchy of
# CONTROLLER (empty if that hierarchy is not mounted, e.g. on pure v2).
v1_dir() {
        local mnt
        mnt=$(awk -v c="$1" '$3 == "cgroup" && $4 ~ "(^|,)" c "(,|$)" { print $2; exit }' /proc/mounts)
        [[ -n $mnt ]] && echo "$mnt$2"
}

# limit_file KIND V2-PATH: where the kernel holds that limit for the group.
limit_file() {
        local kind=$1 cg=$2 d
        case $kind in
        pids)
                d=$(v1_dir pids "$cg")
                if [[ -n $d ]]; then echo "$d/pids.max"; else echo "$(av_cgroup2_root)$cg/pids.max"; fi
                ;;
        memory)
                d=$(v1_dir memory "$cg")
                if [[ -n $d ]]; then echo "$d/memory.limit_in_bytes"; else echo "$(av_cgroup2_root)$cg/memory.max"; fi
                ;;
        esac
}

@test "RunAgent with RuntimeMaxUSec and CPUTimeMaxUSec near 2^64 keeps running: no deadline wraps" {
        av_start
        big=18446744073709551614        # 2^64-2: the largest value that is not "infinity"
        av_run huge RuntimeMaxUSec t "$big" CPUTimeMaxUSec t "$big" -- "$PROBE" sleep 0 --marker "$AV_TOKEN"
        av_wait_prop huge State running
        sleep 2
        [[ $(av_prop huge State) == running ]] ||
                av_fail "an agent with RuntimeMaxUSec=2^64-2 ended: $(av_prop huge ExitReason) status $(av_prop huge ExitStatus)"
        [[ -n $(av_marked_pids) ]] || av_fail "the agent's process is gone"
        av_call StopAgent s huge
        av_wait_prop huge State exited 10
        [[ $(av_prop huge ExitReason) == stopped ]] || av_fail "ExitReason $(av_prop huge ExitReason)"
}
