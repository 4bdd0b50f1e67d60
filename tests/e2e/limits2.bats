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

# temp_type NAME EXTRA-KEY-LINES... -- ARGV...: a temporary agent type.
temp_type() {
        local name=$1 keys=()
        shift
        while [[ $# -gt 0 && $1 != -- ]]; do
                keys+=("$1")
                shift
        done
        shift
        {
                echo "[Agent]"
                echo "Exec=$*"
                echo "Restart=temporary"
                [[ ${#keys[@]} -gt 0 ]] && printf '%s\n' "${keys[@]}"
                true
        } | av_type "$name"
}

# group_dir CONTROLLER CG: the directory of the daemon's group CG (a
# ControlGroup property, as cgroup2 names it) in the v1 hierarchy of
# CONTROLLER, or in cgroup2 where that controller is not mounted as v1. The
# daemon's own place may differ from one hierarchy to the next.
group_dir() {
        local ctl=$1 cg=$2 mnt own
        mnt=$(awk -v c="$ctl" '$3 == "cgroup" && $4 ~ ("(^|,)" c "(,|$)") { print $2; exit }' /proc/mounts)
        if [[ -z $mnt ]]; then
                echo "$(av_cgroup2_root)$cg"
                return
        fi
        own=$(awk -F: -v c="$ctl" '$2 ~ ("(^|,)" c "(,|$)") { print $3; exit }' "/proc/$AV_DAEMON_PID/cgroup")
        [[ $own == / ]] && own=
        echo "$mnt$own/$(av_v1_root_name "$ctl")${cg#*/"$AV_CG"}"
}

# limit_value CONTROLLER CG: the group's limit as the kernel holds it.
limit_value() {
        local d
        d=$(group_dir "$1" "$2")
        case $1 in
        pids) cat "$d/pids.max" ;;
        memory) if [[ -e $d/memory.limit_in_bytes ]]; then cat "$d/memory.limit_in_bytes"; else cat "$d/memory.max"; fi ;;
        cpu) if [[ -e $d/cpu.cfs_quota_us ]]; then cat "$d/cpu.cfs_quota_us"; else cut -d' ' -f1 "$d/cpu.max"; fi ;;
        esac
}

# uprop AGENT PROP: a uint64 property exactly (JSON would round 2^64-1).
uprop() {
        local out
        out=$(busctl --address="$AV_BUS" get-property org.agentvisor1 "$(av_agent_path "$1")" org.agentvisor1.Agent "$2") || return 1
        echo "${out#t }"
}

# assert_known WHAT VALUE: a real figure, not "unknown" (UINT64_MAX).
assert_known() {
        local what=$1 v=$2
        [[ $v =~ ^[0-9]+$ ]] || av_fail "$what is '$v', not a number"
        [[ $v != "$UINT64_MAX" ]] || av_fail "$what is UINT64_MAX: unknown"
}

# The v1 hierarchies this host has (empty on pure v2).
have_v1() {
        awk -v c="$1" '$3 == "cgroup" && $4 ~ ("(^|,)" c "(,|$)") { f = 1 } END { exit !f }' /proc/mounts
}

@test "RunAgent with limits near 2^64 keeps running: no deadline wraps, no quota overflows" {
        av_start
        # Each limit at the largest value the bus accepts (the ranges of
        # agentvisor.agent(5)); 2^64-1 means "none" and is not a limit.
        local -A top=(
                [RuntimeMaxUSec]=9223372036854775807
                [CPUTimeMaxUSec]=9223372036854775807
                [CPUQuotaPerSecUSec]=100000000
                [TasksMax]=4194304
                [MemoryMax]=18446744073709551614
        )
        n=0 names=()
        for key in RuntimeMaxUSec CPUTimeMaxUSec CPUQuotaPerSecUSec TasksMax MemoryMax; do
                n=$((n + 1))
                out=$(av_run "big$n" "$key" t "${top[$key]}" -- "$PROBE" sleep 0 --marker "$AV_TOKEN" 2>&1) ||
                        av_fail "RunAgent with $key=${top[$key]} (the top of its range) was refused: $out"
                av_wait_prop "big$n" State running
                names+=("big$n:$key")
        done
        # One past the top is refused, with the range in the message.
        if out=$(av_run over RuntimeMaxUSec t 18446744073709551614 -- "$PROBE" sleep 0 --marker "$AV_TOKEN" 2>&1); then
                av_fail "RuntimeMaxUSec=2^64-2 was accepted: $out"
        fi
        [[ $out == *"out of range"* ]] || av_fail "RuntimeMaxUSec=2^64-2: unexpected answer: $out"
        sleep 2
        for nk in "${names[@]}"; do
                name=${nk%%:*}
                [[ $(av_prop "$name" State) == running ]] ||
                        av_fail "an agent with ${nk#*:} at the top of its range ended: $(av_prop "$name" ExitReason) status $(av_prop "$name" ExitStatus)"
        done
        for nk in "${names[@]}"; do
                av_call StopAgent s "${nk%%:*}"
        done
        for nk in "${names[@]}"; do
                av_wait_prop "${nk%%:*}" State exited 10
                [[ $(av_prop "${nk%%:*}" ExitReason) == stopped ]] || av_fail "${nk%%:*}: ExitReason $(av_prop "${nk%%:*}" ExitReason)"
        done
}

@test "an agent type and a RunAgent without limits get DefaultTasksMax=4096 and DefaultMemoryMax (50% of RAM)" {
        temp_type plain -- "$PROBE" sleep 0 --marker "$AV_TOKEN"
        av_start
        av_start_agent plain p1
        av_run r1 -- "$PROBE" sleep 0 --marker "$AV_TOKEN"
        av_wait_prop p1 State running
        av_wait_prop r1 State running
        half=$(( $(getconf _PHYS_PAGES) * $(getconf PAGESIZE) / 2 ))
        for n in p1 r1; do
                [[ $(av_prop $n TasksMax) == 4096 ]] || av_fail "$n: TasksMax is $(av_prop $n TasksMax), expected 4096"
                [[ $(av_prop $n MemoryMax) == "$half" ]] || av_fail "$n: MemoryMax is $(av_prop $n MemoryMax), expected $half"
                cg=$(av_prop $n ControlGroup)
                got=$(limit_value pids "$cg")
                echo "$n: pids.max in $(group_dir pids "$cg"): $got"
                [[ $got == 4096 ]] || av_fail "$n: pids.max is '$got', expected 4096"
                got=$(limit_value memory "$cg")
                # v1 rounds the limit down to whole pages.
                (( got <= half && got > half - 65536 )) || av_fail "$n: memory limit is '$got', expected about $half"
        done
}

@test "DefaultTasksMax= and DefaultMemoryMax= are read from the configuration; infinity in a type drops them" {
        av_config Supervisor.AgentTimeoutSec=2 Daemon.DefaultTasksMax=77 Daemon.DefaultMemoryMax=300M
        temp_type plain -- "$PROBE" sleep 0 --marker "$AV_TOKEN"
        temp_type open TasksMax=infinity MemoryMax=infinity -- "$PROBE" sleep 0 --marker "$AV_TOKEN"
        av_start
        av_start_agent plain p1
        av_start_agent open o1
        av_wait_prop p1 State running
        av_wait_prop o1 State running
        [[ $(av_prop p1 TasksMax) == 77 && $(av_prop p1 MemoryMax) == 314572800 ]] ||
                av_fail "p1: TasksMax $(av_prop p1 TasksMax), MemoryMax $(av_prop p1 MemoryMax)"
        [[ $(limit_value pids "$(av_prop p1 ControlGroup)") == 77 ]] || av_fail "p1: pids.max is not 77"
        [[ $(limit_value memory "$(av_prop p1 ControlGroup)") == 314572800 ]] || av_fail "p1: memory limit is not 300M"
        [[ $(uprop o1 TasksMax) == "$UINT64_MAX" && $(uprop o1 MemoryMax) == "$UINT64_MAX" ]] ||
                av_fail "o1: TasksMax $(uprop o1 TasksMax), MemoryMax $(uprop o1 MemoryMax)"
        [[ $(limit_value pids "$(av_prop o1 ControlGroup)") == max ]] || av_fail "o1: pids.max is not max"
}

@test "an agent without any limit is accounted for: MemoryCurrent, MemoryPeak, TasksCurrent, ExitMemoryPeak" {
        have_v1 memory || grep -qw memory "$(av_cgroup2_root)/cgroup.controllers" ||
                skip "no memory controller on this host: nothing can account for memory"
        av_config Supervisor.AgentTimeoutSec=2 Daemon.DefaultTasksMax=infinity Daemon.DefaultMemoryMax=infinity
        temp_type plain -- "$PROBE" sleep 0 --marker "$AV_TOKEN"
        av_start
        av_start_agent plain a1
        av_wait_prop a1 State running
        [[ $(uprop a1 TasksMax) == "$UINT64_MAX" ]] || av_fail "a1 has TasksMax $(uprop a1 TasksMax)"
        for p in MemoryCurrent MemoryPeak TasksCurrent; do
                v=$(uprop a1 $p)
                echo "$p: $v"
                assert_known "$p" "$v"
        done
        [[ $(av_prop a1 TasksCurrent) -ge 1 ]] || av_fail "TasksCurrent is $(av_prop a1 TasksCurrent)"
        [[ $(av_prop a1 MemoryCurrent) -gt 0 ]] || av_fail "MemoryCurrent is 0"
        av_call StopAgent s a1
        av_wait_prop a1 State exited 10
        v=$(uprop a1 ExitMemoryPeak)
        echo "ExitMemoryPeak: $v"
        assert_known ExitMemoryPeak "$v"
        [[ $v -gt 0 ]] || av_fail "ExitMemoryPeak is 0"
}

@test "a supervisor's TasksMax is on its own group and bounds all its agents together" {
        av_config Supervisor.AgentTimeoutSec=2 Supervisor.TasksMax=500 Supervisor.MemoryMax=1G \
                "[Supervisor team]" "Parent=root" "TasksMax=40" "CPUQuota=50%"
        temp_type bomb Supervisor=team TasksMax=infinity -- "$PROBE" forkbomb 400 --marker "$AV_TOKEN"
        av_start
        root_cg=$(av_sprop root ControlGroup)
        team_cg=$(av_sprop team ControlGroup)
        [[ $(limit_value pids "$root_cg") == 500 ]] || av_fail "root supervisor: pids.max is $(limit_value pids "$root_cg"), expected 500"
        [[ $(limit_value memory "$root_cg") == 1073741824 ]] || av_fail "root supervisor: memory limit $(limit_value memory "$root_cg")"
        [[ $(limit_value pids "$team_cg") == 40 ]] || av_fail "team: pids.max is $(limit_value pids "$team_cg"), expected 40"
        [[ $(limit_value cpu "$team_cg") == 50000 ]] || av_fail "team: CPU quota is $(limit_value cpu "$team_cg"), expected 50000"
        av_start_agent bomb b1
        av_start_agent bomb b2
        av_wait_prop b1 State running
        av_wait_prop b2 State running
        # The agents' groups lie beneath the team's in the pids hierarchy too.
        d=$(group_dir pids "$(av_prop b1 ControlGroup)")
        [[ $d == "$(group_dir pids "$team_cg")"/* && -d $d ]] || av_fail "b1's pids group $d is not beneath team's"
        sleep 1.5
        total=$(cat "$(group_dir pids "$team_cg")/pids.current")
        t1=$(av_prop b1 TasksCurrent)
        t2=$(av_prop b2 TasksCurrent)
        echo "team pids.current $total; b1 $t1, b2 $t2 (each TasksMax=infinity)"
        # pids.max stops forks; joining a group (each main process at its
        # spawn) is not refused by the kernel, hence one more per agent.
        [[ $total -le 42 ]] || av_fail "the team holds $total tasks with TasksMax=40"
        [[ $((t1 + t2)) -le 42 ]] || av_fail "b1 and b2 hold $((t1 + t2)) tasks together with the team's TasksMax=40"
        [[ $((t1 + t2)) -ge 30 ]] || av_fail "only $((t1 + t2)) tasks: the bombs did not run"
        av_call StopAgent s b1
        av_call StopAgent s b2
        av_wait_prop b1 State exited 10
        av_wait_prop b2 State exited 10
}
