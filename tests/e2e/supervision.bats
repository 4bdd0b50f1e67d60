#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# OTP supervision on the real daemon (issue 4): restart intensity and
# escalation, the strategies by start order, restart types, nested
# supervisors escalating into their parent, and how restarts are reported.

load helpers

BATS_TEST_TIMEOUT=90

setup() {
        av_setup
        av_config
        av_type sleeper <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
EOF
}

teardown() {
        av_teardown
}

# The MainPID and InvocationID of an agent, on one line.
identity() {
        echo "$(av_prop "$1" MainPID) $(av_prop "$1" InvocationID)"
}

# Waits until an agent runs with an identity other than the given one.
wait_new_identity() {
        local name=$1 old=$2
        av_wait_until 10 "$name to run again with a new MainPID and InvocationID" \
                new_identity_differs "$name" "$old"
}

new_identity_differs() {
        local now pid
        [[ $(av_prop "$1" State 2>/dev/null) == running ]] || return 1
        now=$(identity "$1")
        pid=${now%% *}
        [[ $pid != 0 && ${now%% *} != "${2%% *}" && ${now#* } != "${2#* }" ]]
}

@test "a crashing agent restarts exactly MaxRestarts times, then its supervisor escalates (property and signal)" {
        av_config Supervisor.MaxRestarts=3 Supervisor.RestartWindowSec=60
        av_type crasher <<EOF
[Agent]
Exec=$PROBE record $T/out/starts crash-after 0.2 1
EOF
        av_start
        av_monitor_start
        av_start_agent crasher c1
        av_wait_sprop root Escalated true 15
        av_monitor_wait "org.agentvisor1.Manager.Escalated \('root', '.+'\)"
        # Nothing may start after the escalation.
        sleep 1
        starts=$(av_count_lines "$T/out/starts")
        [[ $starts == 4 ]] || av_fail "the crasher started $starts times; expected 1 + MaxRestarts (3) = 4"
        [[ $(av_prop c1 RestartCount) == 3 ]] || av_fail "RestartCount is $(av_prop c1 RestartCount)"
        [[ $(av_mprop Escalated) == true ]] || av_fail "Manager.Escalated is $(av_mprop Escalated)"
        [[ -n $(av_sprop root EscalationReason) ]] || av_fail "EscalationReason is empty"
        [[ $(av_prop c1 State) =~ ^(failed|exited)$ ]] || av_fail "the crasher is '$(av_prop c1 State)' after escalation"
        [[ $(av_prop c1 MainPID) == 0 ]]
}

@test "StartAgent into an escalated supervisor is Error.Escalated; ResetEscalation starts its agents again" {
        av_config Supervisor.MaxRestarts=0 Supervisor.RestartWindowSec=60
        av_type crasher <<EOF
[Agent]
Exec=$PROBE record $T/out/starts crash-after 3 1
EOF
        av_start
        av_start_agent crasher c1
        av_wait_sprop root Escalated true 10
        run av_gdbus StartAgent "'sleeper'" "'late'" "{}"
        [[ $status != 0 && $output == *org.agentvisor1.Error.Escalated* ]] || av_fail "StartAgent into the escalated root: $output"
        [[ $(av_count_lines "$T/out/starts") == 1 ]]

        av_call ResetEscalation s ""
        av_wait_sprop root Escalated false 5
        av_wait_until 5 "the crasher to start again after ResetEscalation" \
                test "$(av_count_lines "$T/out/starts")" -ge 2
        av_wait_prop c1 State running
        av_start_agent sleeper late
        av_wait_prop late State running
}

@test "ResetEscalation() on a Supervisor object clears it" {
        av_config Supervisor.MaxRestarts=0 Supervisor.RestartWindowSec=60
        av_type crasher <<EOF
[Agent]
Exec=$PROBE crash-after 3 1
EOF
        av_start
        av_start_agent crasher c1
        av_wait_sprop root Escalated true 10
        path=$(av_supervisor_path root)
        av_busctl call org.agentvisor1 "$path" org.agentvisor1.Supervisor ResetEscalation
        av_wait_sprop root Escalated false 5
        av_wait_prop c1 State running
}

@test "one-for-all: one crash restarts every sibling (new MainPID and InvocationID for all)" {
        av_config Supervisor.Strategy=one-for-all
        av_start
        for n in a b c; do
                av_start_agent sleeper "$n"
                av_wait_prop "$n" State running
        done
        declare -A before
        for n in a b c; do
                before[$n]=$(identity "$n")
        done
        kill -KILL "${before[b]%% *}"
        for n in a b c; do
                wait_new_identity "$n" "${before[$n]}"
        done
}

@test "rest-for-one: a crash restarts the failed agent and those started after it, by start order not name" {
        av_config Supervisor.Strategy=rest-for-one
        av_start
        # Start order zeta, alpha, mid: alpha's crash must take mid with it
        # and leave zeta alone, whatever the names' alphabetical order.
        for n in zeta alpha mid; do
                av_start_agent sleeper "$n"
                av_wait_prop "$n" State running
        done
        declare -A before
        for n in zeta alpha mid; do
                before[$n]=$(identity "$n")
        done
        kill -KILL "${before[alpha]%% *}"
        wait_new_identity alpha "${before[alpha]}"
        wait_new_identity mid "${before[mid]}"
        [[ $(identity zeta) == "${before[zeta]}" ]] || av_fail "zeta, started before alpha, was restarted: ${before[zeta]} -> $(identity zeta)"
}

@test "one-for-one: a crash restarts only the failed agent" {
        av_start
        for n in a b; do
                av_start_agent sleeper "$n"
                av_wait_prop "$n" State running
        done
        a_before=$(identity a)
        b_before=$(identity b)
        kill -KILL "${b_before%% *}"
        wait_new_identity b "$b_before"
        [[ $(identity a) == "$a_before" ]] || av_fail "a was restarted by b's crash"
        [[ $(av_prop b RestartCount) == 1 ]]
}

@test "a transient agent that exits 0 is not restarted; one that exits 1 is" {
        av_type clean <<EOF
[Agent]
Exec=$PROBE record $T/out/clean crash-after 0.3 0
Restart=transient
EOF
        av_type dirty <<EOF
[Agent]
Exec=$PROBE record $T/out/dirty crash-after 0.3 1
Restart=transient
EOF
        av_config Supervisor.MaxRestarts=100 Supervisor.RestartWindowSec=60
        av_start
        av_start_agent clean t0
        av_start_agent dirty t1
        av_wait_prop t0 State exited
        av_wait_until 10 "the transient agent exiting 1 to be restarted" test "$(av_count_lines "$T/out/dirty")" -ge 2
        sleep 1
        [[ $(av_count_lines "$T/out/clean") == 1 ]] || av_fail "the transient agent exiting 0 was started $(av_count_lines "$T/out/clean") times"
        [[ $(av_prop t0 RestartCount) == 0 ]]
        [[ $(av_prop t0 State) == exited ]]
}

@test "a temporary agent is never restarted, even after a crash" {
        av_type temp <<EOF
[Agent]
Exec=$PROBE record $T/out/temp crash-after 0.3 1
Restart=temporary
EOF
        av_start
        av_start_agent temp tmp
        av_wait_prop tmp State failed
        sleep 1
        [[ $(av_count_lines "$T/out/temp") == 1 ]] || av_fail "the temporary agent was started $(av_count_lines "$T/out/temp") times"
        [[ $(av_prop tmp RestartCount) == 0 ]]
        [[ $(av_sprop root Escalated) == false ]]
}

@test "a permanent nested supervisor that escalates is restarted by its parent, all its agents afresh" {
        av_config Supervisor.MaxRestarts=3 Supervisor.RestartWindowSec=60 \
                "[Supervisor workers]" "Parent=root" "Restart=permanent" \
                "MaxRestarts=0" "RestartWindowSec=60"
        av_type w-sleep <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
Supervisor=workers
EOF
        av_type w-crash <<EOF
[Agent]
Exec=$PROBE record $T/out/crash crash-after 1.5 1
Supervisor=workers
EOF
        av_start
        av_monitor_start
        av_start_agent w-sleep ws
        av_wait_prop ws State running
        ws_before=$(identity ws)
        av_start_agent w-crash wc
        av_monitor_wait "org.agentvisor1.Manager.Escalated \('workers', '.+'\)" 10
        wait_new_identity ws "$ws_before"
        av_wait_until 5 "the crashing agent to be started afresh" test "$(av_count_lines "$T/out/crash")" -ge 2
        [[ $(av_sprop workers Escalated) == false ]] || av_fail "workers is still escalated after its parent restarted it"
        times=$(av_sprop root RestartTimesUSec)
        [[ $(jq length <<<"$times") -ge 1 ]] || av_fail "root's RestartTimesUSec does not count the restart of workers: $times"
}

@test "a transient nested supervisor stays escalated and its parent is not disturbed" {
        av_config "[Supervisor workers]" "Parent=root" "Restart=transient" "MaxRestarts=0" "RestartWindowSec=60"
        av_type w-crash <<EOF
[Agent]
Exec=$PROBE crash-after 0.5 1
Supervisor=workers
EOF
        av_start
        av_start_agent sleeper outside
        av_wait_prop outside State running
        before=$(identity outside)
        av_start_agent w-crash wc
        av_wait_sprop workers Escalated true 10
        sleep 1
        [[ $(av_sprop workers Escalated) == true ]]
        [[ $(av_sprop root Escalated) == false ]]
        [[ $(identity outside) == "$before" ]] || av_fail "the root's other agent was restarted"
}

@test "RestartAgent gives a new MainPID and InvocationID" {
        av_start
        av_start_agent sleeper r
        av_wait_prop r State running
        before=$(identity r)
        av_call RestartAgent s r
        wait_new_identity r "$before"
}

@test "a restart by the supervisor emits AgentRestarted with the new RestartCount" {
        av_start
        av_monitor_start
        av_start_agent sleeper r
        av_wait_prop r State running
        before=$(identity r)
        kill -KILL "${before%% *}"
        wait_new_identity r "$before"
        av_monitor_wait "AgentRestarted \('r', objectpath '[^']+', uint32 1\)"
        [[ $(av_prop r RestartCount) == 1 ]]
}

@test "RestartTimesUSec grows with every restart and holds CLOCK_REALTIME microseconds" {
        av_config Supervisor.MaxRestarts=10 Supervisor.RestartWindowSec=60
        av_type crasher <<EOF
[Agent]
Exec=$PROBE crash-after 0.3 1
EOF
        t0=$(($(date +%s%N) / 1000))
        av_start
        av_start_agent crasher c1
        av_wait_prop c1 RestartCount '[2-9]|[1-9][0-9]+' 10
        times=$(av_sprop root RestartTimesUSec)
        t1=$(($(date +%s%N) / 1000))
        echo "RestartTimesUSec: $times"
        n=$(jq length <<<"$times")
        [[ $n -ge 2 ]] || av_fail "RestartTimesUSec has $n entries after 2 restarts"
        for t in $(jq '.[]' <<<"$times"); do
                [[ $t -ge $t0 && $t -le $t1 ]] || av_fail "restart time $t is outside [$t0, $t1] (CLOCK_REALTIME usec)"
        done
        av_wait_prop c1 RestartCount '[3-9]|[1-9][0-9]+' 10
        [[ $(jq length <<<"$(av_sprop root RestartTimesUSec)") -gt $n ]] || av_fail "RestartTimesUSec did not grow"
}
