#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Limits and timeouts enforced by the kernel, and the account of every death
# (issue 5): fork bombs and memory hogs are contained and the daemon stays
# responsive, stop and timeouts reach the whole tree, MaxChildren is counted
# and enforced by cgroup.max.descendants, and ExitReason/ExitKilledBy tell
# the true cause.

load helpers

BATS_TEST_TIMEOUT=90

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

wait_ended() {
        av_wait_prop "$1" State 'exited|failed' "${2:-10}"
}

assert_end() {
        local name=$1 reason=$2 killed_by=$3 got
        got=$(av_prop "$name" ExitReason)
        [[ $got == "$reason" ]] || av_fail "$name: ExitReason is '$got', expected '$reason' (status $(av_prop "$name" ExitStatus))"
        got=$(av_prop "$name" ExitKilledBy)
        [[ $got == "$killed_by" ]] || av_fail "$name: ExitKilledBy is '$got', expected '$killed_by'"
}

@test "a fork bomb is capped at TasksMax and ListAgents keeps answering promptly" {
        temp_type bomb TasksMax=32 -- "$PROBE" forkbomb 400 --marker "$AV_TOKEN"
        av_start
        av_start_agent bomb fb
        av_wait_prop fb State running
        max_ms=0
        for i in $(seq 1 12); do
                t0=$(av_now_ms)
                out=$(timeout 2 busctl --address="$AV_BUS" call org.agentvisor1 /org/agentvisor1 org.agentvisor1.Manager ListAgents) ||
                        av_fail "ListAgents did not answer within 2 s during the fork bomb (call $i)"
                ms=$(($(av_now_ms) - t0))
                ((ms > max_ms)) && max_ms=$ms
                [[ $out == *'"fb"'* ]] || av_fail "ListAgents does not list the bomb: $out"
                tasks=$(av_prop fb TasksCurrent)
                [[ $tasks -le 32 ]] || av_fail "TasksCurrent is $tasks with TasksMax=32"
                sleep 0.25
        done
        echo "slowest ListAgents during the fork bomb: ${max_ms} ms"
        [[ $max_ms -lt 1000 ]] || av_fail "ListAgents took ${max_ms} ms during the fork bomb"
        tasks=$(av_prop fb TasksCurrent)
        [[ $tasks -ge 16 ]] || av_fail "TasksCurrent is only $tasks: the fork bomb did not run (see the agent log)"
        cg=$(av_prop fb ControlGroup)
        av_call StopAgent s fb
        av_wait_prop fb State exited 10
        [[ -z $(av_marked_pids) ]] || av_fail "fork bomb processes survived StopAgent: $(av_marked_pids | head)"
        av_assert_cgroup_gone "$cg"
}

@test "a memory hog past MemoryMax ends with reason oom, killed by the kernel" {
        temp_type hog MemoryMax=32M -- "$PROBE" memhog 512
        av_start
        av_start_agent hog mh
        wait_ended mh 20
        assert_end mh oom kernel
        [[ $(av_prop mh State) == failed ]]
        peak=$(av_prop mh ExitMemoryPeak)
        echo "ExitMemoryPeak: $peak"
        if [[ $peak =~ ^[0-9]+$ ]]; then
                [[ $peak -le $((33 * 1024 * 1024)) ]] || av_fail "ExitMemoryPeak $peak is above MemoryMax=32M"
        fi
}

@test "MemoryMax below 4M is refused before anything starts, and the daemon carries on" {
        av_start
        # 1 byte: the start's own charge would OOM-kill the spawn child, which
        # shares the daemon's memory, and with it the daemon.
        run av_gdbus RunAgent "'tiny'" "['$PROBE', 'sleep', '1']" "{'MemoryMax': <uint64 1>}"
        [[ $status -ne 0 && $output == *InvalidArgs* && $output == *"MemoryMax=1 is out of range: expected 4194304.."* ]] ||
                av_fail "RunAgent MemoryMax=1: $output"
        run "$AGENTCTL" run --name tiny2 -p MemoryMax=1M -- "$PROBE" sleep 1
        [[ $status -ne 0 && $output == *"MemoryMax=1M"* && $output == *"4M or more"* ]] || av_fail "agentctl run: $output"
        av_pid_alive "$AV_DAEMON_PID" || av_fail "the daemon died"
        av_bus_has_name || av_fail "the daemon no longer owns its name"
        av_run fine MemoryMax t 4194304 -- "$PROBE" sleep 30 --marker "$AV_TOKEN"
        av_wait_prop fine State running 10
}

@test "a double-forked escapee is gone after StopAgent" {
        temp_type escape -- "$PROBE" double-fork "$AV_TOKEN"
        av_start
        av_start_agent escape esc
        av_wait_prop esc State running
        av_wait_until 5 "the double-forked grandchild" test -n "$(av_marked_pids)"
        grandchild=$(av_marked_pids)
        cg=$(av_prop esc ControlGroup)
        av_call StopAgent s esc
        av_wait_prop esc State exited 10
        assert_end esc stopped daemon
        ! av_pid_alive "$grandchild" || av_fail "grandchild $grandchild survived StopAgent"
        av_assert_cgroup_gone "$cg"
}

@test "the main process exiting ends the agent and kills what it left in its cgroup" {
        temp_type leaver -- "$PROBE" double-fork "$AV_TOKEN"
        av_start
        av_start_agent leaver lv
        av_wait_prop lv State running
        av_wait_until 5 "the double-forked grandchild" test -n "$(av_marked_pids)"
        grandchild=$(av_marked_pids)
        kill -KILL "$(av_prop lv MainPID)"
        wait_ended lv
        av_wait_until 5 "the grandchild to be killed with its agent" bash -c "! kill -0 $grandchild 2>/dev/null"
        assert_end lv signal other
        [[ $(av_prop lv ExitStatus) == 9 ]]
}

@test "a SIGTERM ignorer is gone within AgentTimeoutSec plus a small margin" {
        temp_type stubborn -- "$PROBE" ignore-term
        av_start
        av_start_agent stubborn st
        av_wait_prop st State running
        t0=$(av_now_ms)
        av_call StopAgent s st
        av_wait_prop st State exited 10
        elapsed=$(($(av_now_ms) - t0))
        echo "ended ${elapsed} ms after StopAgent (AgentTimeoutSec=2)"
        [[ $elapsed -le 3500 ]] || av_fail "ended ${elapsed} ms after StopAgent, AgentTimeoutSec=2"
        assert_end st stopped daemon
}

@test "RuntimeMaxSec ends the agent with reason timeout" {
        temp_type slow RuntimeMaxSec=1 -- "$PROBE" sleep 0
        av_start
        t0=$(av_now_ms)
        av_start_agent slow rt
        wait_ended rt 10
        elapsed=$(($(av_now_ms) - t0))
        echo "ended after ${elapsed} ms (RuntimeMaxSec=1)"
        assert_end rt timeout daemon
        [[ $elapsed -ge 900 && $elapsed -le 4000 ]] || av_fail "ended after ${elapsed} ms with RuntimeMaxSec=1"
        [[ $(av_prop rt State) == failed ]]
}

@test "CPUTimeMaxSec ends a CPU burner with reason cpu-timeout" {
        temp_type burner CPUTimeMaxSec=1 -- "$PROBE" cpuburn
        av_start
        t0=$(av_now_ms)
        av_start_agent burner cpu
        wait_ended cpu 15
        elapsed=$(($(av_now_ms) - t0))
        echo "ended after ${elapsed} ms (CPUTimeMaxSec=1)"
        assert_end cpu cpu-timeout daemon
        used=$(av_prop cpu ExitCPUUsageNSec)
        [[ $used -ge 900000000 ]] || av_fail "ExitCPUUsageNSec is $used, below the 1 s budget"
        [[ $elapsed -le 6000 ]] || av_fail "ended only after ${elapsed} ms"
}

@test "an agent killed by its seccomp policy ends with reason seccomp, status 31, killed by policy" {
        mkdir -p "$T/policies"
        cat >"$T/policies/test-kill.policy" <<EOF
# The default policy, but chroot kills.
include default
deny chroot action kill
EOF
        av_config Supervisor.AgentTimeoutSec=2 "Daemon.PolicyPath=$T/policies:$POLICY_DIR"
        temp_type chrooter Policy=test-kill -- "$SYSCALL_PROBE" chroot
        temp_type x32 -- "$SYSCALL_PROBE" x32
        av_start
        av_start_agent chrooter k1
        av_start_agent x32 k2
        for n in k1 k2; do
                wait_ended "$n"
                assert_end "$n" seccomp policy
                [[ $(av_prop "$n" ExitStatus) == 31 ]] || av_fail "$n: ExitStatus is $(av_prop "$n" ExitStatus), expected SIGSYS (31)"
                [[ $(av_prop "$n" State) == failed ]]
        done
}

@test "MaxChildren refuses the next StartAgent with TooManyAgents, and the kernel refuses a cgroup past it" {
        av_config Supervisor.AgentTimeoutSec=2 Supervisor.MaxChildren=2
        temp_type sleeper -- "$PROBE" sleep 0 --marker "$AV_TOKEN"
        av_start
        av_start_agent sleeper s1
        av_start_agent sleeper s2
        av_wait_prop s2 State running
        run av_gdbus StartAgent "'sleeper'" "'s3'" "{}"
        [[ $status != 0 && $output == *org.agentvisor1.Error.TooManyAgents* ]] || av_fail "a third StartAgent with MaxChildren=2: $output"

        sup_cg=$(av_sprop root ControlGroup)
        dir=$(av_cgroup2_root)$sup_cg
        [[ -d $dir ]] || av_fail "the root supervisor's cgroup $dir does not exist"
        max=$(cat "$dir/cgroup.max.descendants")
        echo "cgroup.max.descendants of $dir: $max"
        if mkdir "$dir/avtest-intruder" 2>/dev/null; then
                rmdir "$dir/avtest-intruder"
                av_fail "the kernel allowed a third cgroup under $dir (cgroup.max.descendants=$max)"
        fi
        [[ $(av_mprop NAgents) == 2 ]]
}

@test "ExitKilledBy: empty for an agent's own end, other for a signal from outside, daemon for KillAgent" {
        temp_type quitter -- "$PROBE" exit 4
        temp_type sleeper -- "$PROBE" sleep 0
        av_start
        av_start_agent quitter own
        av_start_agent sleeper outside
        av_start_agent sleeper killed
        wait_ended own
        assert_end own exited ""
        av_wait_prop outside State running
        kill -TERM "$(av_prop outside MainPID)"
        wait_ended outside
        assert_end outside signal other
        [[ $(av_prop outside ExitStatus) == 15 ]]
        av_wait_prop killed State running
        av_call KillAgent si killed 9
        wait_ended killed
        [[ $(av_prop killed ExitStatus) == 9 ]] || av_fail "KillAgent 9: ExitStatus $(av_prop killed ExitStatus)"
        [[ $(av_prop killed ExitKilledBy) == daemon ]] || av_fail "KillAgent: ExitKilledBy '$(av_prop killed ExitKilledBy)'"
        run av_gdbus KillAgent "'killed'" 9
        [[ $status != 0 && $output == *org.agentvisor1.Error.NotRunning* ]] || av_fail "KillAgent on an ended agent: $output"
}

@test "the record of an end holds runtime, timestamp and CPU figures, and no agent cgroup is left" {
        temp_type brief -- "$PROBE" crash-after 1 0
        av_start
        t0=$(($(date +%s%N) / 1000))
        av_start_agent brief b1
        cg=$(av_prop b1 ControlGroup)
        wait_ended b1
        t1=$(($(date +%s%N) / 1000))
        runtime=$(av_prop b1 ExitRuntimeUSec)
        stamp=$(av_prop b1 ExitTimestampUSec)
        [[ $runtime -ge 900000 && $runtime -le 3000000 ]] || av_fail "ExitRuntimeUSec is $runtime for a 1 s agent"
        [[ $stamp -ge $t0 && $stamp -le $t1 ]] || av_fail "ExitTimestampUSec $stamp is outside [$t0, $t1]"
        [[ $(av_prop b1 ExitCPUUsageNSec) =~ ^[0-9]+$ ]]
        av_assert_cgroup_gone "$cg"
}
