#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# What the features of issue 14 hold is carried across a live upgrade
# (issue 15): a reporting agent's seccomp listener, its count, last
# violations and learned set across Reexecute (a reported syscall still gets
# its rule's errno, a `kill report` rule still kills); after a crash, a
# listener cannot be had again: a kill-report agent is ended and started
# again under its policy, an errno-report one is kept and marked
# PolicyReportLost. A frozen agent stays frozen (and held by an
# escalation) across Reexecute and a takeover, with its timers' time left.

load helpers

BATS_TEST_TIMEOUT=120

setup() {
        av_setup
        mkdir -p "$T/policies"
        chmod 755 "$T/policies"
        cat >"$T/policies/rep.policy" <<'EOF'
include default
deny ptrace errno EACCES report
deny bpf kill report
EOF
        cat >"$T/policies/reperr.policy" <<'EOF'
include default
deny ptrace errno EACCES report
EOF
        av_config Supervisor.AgentTimeoutSec=2 "Daemon.PolicyPath=$T/policies:$POLICY_DIR"
        # Attempts one syscall (named in $1/go.N) each time the test writes
        # the next go.N; bounded to two minutes.
        cat >"$T/bin/stepper" <<'EOF'
#!/bin/sh
i=1
n=0
while [ $n -lt 1200 ]; do
        if [ -e "$1/go.$i" ]; then
                "$2" --out "$1/res" $(cat "$1/go.$i")
                i=$((i + 1))
        fi
        n=$((n + 1))
        sleep 0.1
done
EOF
        # A counter rewritten every 50 ms: it stops only while frozen.
        cat >"$T/bin/ticker" <<'EOF'
#!/bin/sh
i=0
while :; do
        i=$((i + 1))
        echo $i >"$1.new"
        mv "$1.new" "$1"
        sleep 0.05
done
EOF
        chmod 755 "$T/bin/stepper" "$T/bin/ticker"
        # step-NAME: the stepper in $T/out/NAME (its go.N, its res).
        for t in rep:rep:temporary reperr:reperr:permanent kill:rep:permanent; do
                IFS=: read -r name policy restart <<<"$t"
                mkdir -p "$T/out/$name"
                chmod 777 "$T/out/$name"
                av_type "step-$name" <<EOF
[Agent]
Exec=/bin/sh $T/bin/stepper $T/out/$name $SYSCALL_PROBE --marker $AV_TOKEN
Policy=$policy
Restart=$restart
EOF
        done
        av_type ticker <<EOF
[Agent]
Exec=/bin/sh $T/bin/ticker $T/out/count --marker $AV_TOKEN
RuntimeMaxSec=4
Restart=temporary
EOF
        STEP=0
        DIR=$T/out/rep
}

teardown() {
        if [[ -z ${AV_DAEMON_PID:-} && -n $(av_marked_pids) && -f ${T:-}/agentvisor.conf ]]; then
                av_start >/dev/null 2>&1 || true
        fi
        av_teardown
}

reexec_count() {
        grep -c 'Executed anew' "$T/daemon.log" || true
}

more_reexecs_than() {
        [[ $(reexec_count) -gt $1 ]]
}

reexec() {
        local before
        before=$(reexec_count)
        "$AGENTCTL" daemon-reexec || av_fail "agentctl daemon-reexec failed" || return 1
        av_wait_until 5 "the daemon's new image to start" more_reexecs_than "$before" || return 1
        av_wait_until 2 "the new image to own org.agentvisor1" av_bus_has_name
}

no_bus_name() {
        ! av_bus_has_name
}

kill_daemon() {
        kill -KILL "$AV_DAEMON_PID"
        wait "$AV_DAEMON_PID" 2>/dev/null || true
        AV_DAEMON_PID=
        av_wait_until 5 "the bus name to be released" no_bus_name
}

identity() {
        echo "$(av_prop "$1" MainPID) $(av_prop "$1" InvocationID) $(av_prop "$1" RestartCount)"
}

# step SYSCALL: the stepper in $DIR attempts it next.
step() {
        STEP=$((STEP + 1))
        echo "$1" >"$DIR/go.$STEP"
}

result_lines() {
        [[ $(av_count_lines "$DIR/res") -ge $1 ]]
}

last_result() {
        tail -n 1 "$DIR/res"
}

@test "Reexecute: a reporting agent is still answered, counted and signalled; a kill report rule still kills" {
        local before
        av_start
        av_start_agent step-rep r1
        av_wait_prop r1 State running 10
        step ptrace
        av_wait_until 5 "the first attempt" result_lines 1
        [[ $(last_result) == "ptrace: errno=EACCES" ]] || av_fail "before: $(last_result)"
        [[ $(av_prop r1 PolicyViolations) == 1 ]]
        before=$(identity r1)

        reexec
        [[ $(identity r1) == "$before" ]] || av_fail "r1 was '$before', is '$(identity r1)'"
        [[ $(av_prop r1 PolicyViolations) == 1 ]] || av_fail "the count was not carried: $(av_prop r1 PolicyViolations)"
        [[ $(av_prop r1 LastPolicyViolations | jq -r '.[0][1]') == ptrace ]] ||
                av_fail "the last violations were not carried: $(av_prop r1 LastPolicyViolations)"
        [[ $(av_prop r1 PolicyReportLost) == false ]]

        av_monitor_start
        step ptrace
        av_wait_until 5 "the attempt after the re-exec" result_lines 2
        # Without its listener the notify filter answers ENOSYS.
        [[ $(last_result) == "ptrace: errno=EACCES" ]] || av_fail "after Reexecute: $(last_result)"
        av_wait_prop r1 PolicyViolations 2 5
        av_monitor_wait "PolicyViolation \(.r1., objectpath .*, .ptrace., .*\)"

        step bpf
        av_wait_prop r1 ExitReason seccomp 10
        [[ $(av_prop r1 ExitStatus) == 31 ]] || av_fail "ExitStatus $(av_prop r1 ExitStatus)"
        [[ $(av_prop r1 ExitKilledBy) == policy ]] || av_fail "ExitKilledBy $(av_prop r1 ExitKilledBy)"
        [[ $(av_count_lines "$DIR/res") == 2 ]] || av_fail "bpf returned: $(last_result)"
        av_monitor_wait "PolicyViolation \(.r1., objectpath .*, .bpf., .*, .kill.\)"
}

@test "Reexecute carries learn mode: what was seen before and after the exec is in the learned policy" {
        av_start
        av_run l1 Policy s reperr PolicyMode s learn -- /bin/sh "$T/bin/stepper" "$DIR" "$SYSCALL_PROBE" >/dev/null
        av_wait_prop l1 State running 10
        step ptrace
        av_wait_until 5 "the first attempt" result_lines 1
        reexec
        step bpf
        av_wait_until 5 "the attempt after the re-exec" result_lines 2
        # Learn mode lets both run (the probe gets the kernel's own answer).
        [[ $(av_count_lines "$DIR/res") == 2 ]]
        run av_call_json GetLearnedPolicy s l1
        [[ $status == 0 ]] || av_fail "GetLearnedPolicy: $output"
        text=$(jq -r '.data[0]' <<<"$output")
        [[ $text == *"allow ptrace"* ]] || av_fail "ptrace (seen before the exec) is not in: $text"
        [[ $text == *"allow bpf"* ]] || av_fail "bpf (seen after the exec) is not in: $text"
}

@test "after a crash: an errno-report agent is kept and marked PolicyReportLost; a kill-report agent is ended and started again under its policy" {
        local keep_id kill_pid
        av_start
        DIR=$T/out/reperr
        av_start_agent step-reperr keep
        av_start_agent step-kill killer
        av_wait_prop keep State running 10
        av_wait_prop killer State running 10
        keep_id=$(identity keep)
        kill_pid=$(av_prop killer MainPID)
        grep -qx 'SeccompListener=1' "$AV_RUN/$AV_CG/state/agent.keep" ||
                av_fail "the state file does not record the listener: $(cat "$AV_RUN/$AV_CG/state/agent.keep")"

        kill_daemon
        av_start
        # Kept, same invocation, and marked: shown on the bus and by agentctl.
        [[ $(identity keep) == "$keep_id" ]] || av_fail "keep was '$keep_id', is '$(identity keep)'"
        [[ $(av_prop keep State) == running ]]
        [[ $(av_prop keep PolicyReportLost) == true ]] || av_fail "PolicyReportLost: $(av_prop keep PolicyReportLost)"
        run "$AGENTCTL" status keep
        [[ $output == *"NOT REPORTED"* ]] || av_fail "agentctl status does not say the reports are lost: $output"
        grep -q "keep.*seccomp listener was lost.*ENOSYS" "$T/daemon.log" || av_fail "no warning naming keep in daemon.log"
        # Still refused, only not with its errno and not counted.
        step ptrace
        av_wait_until 5 "keep's attempt" result_lines 1
        [[ $(last_result) == "ptrace: errno=ENOSYS" ]] || av_fail "keep's ptrace after the crash: $(last_result)"
        [[ $(av_prop keep PolicyViolations) == 0 ]]

        # The kill-report agent: ended as lost, by the daemon, and started
        # afresh (permanent) with a listener.
        av_wait_until 5 "killer's old process $kill_pid to be killed" bash -c '! kill -0 "$1" 2>/dev/null' _ "$kill_pid"
        av_wait_prop killer State running 10
        grep -q "agent killer: ended: lost" "$T/daemon.log" || av_fail "killer did not end as lost"
        grep -q "agent killer: ended: lost (status 0, killed by daemon)" "$T/daemon.log" ||
                av_fail "killer's end is not reported as the daemon's kill: $(grep 'agent killer: ended' "$T/daemon.log")"
        [[ $(av_prop killer MainPID) != "$kill_pid" ]]
        [[ $(av_prop killer PolicyReportLost) == false ]]
        grep -q "killer.*seccomp listener was lost.*kill" "$T/daemon.log" || av_fail "no error naming killer in daemon.log"

        # A restart of the marked agent brings its reports back.
        av_call RestartAgent s keep
        av_wait_prop keep PolicyReportLost false 10
}

@test "a frozen agent stays frozen across Reexecute and a takeover, its RuntimeMaxSec paused, and thaws and runs on" {
        local pid thawed took
        av_start
        av_start_agent ticker t1
        av_wait_prop t1 State running 10
        av_counter_moves
        pid=$(av_prop t1 MainPID)
        sleep 0.5
        av_call FreezeAgent s t1
        [[ $(av_prop t1 State) == frozen ]]

        reexec
        [[ $(av_prop t1 State) == frozen ]] || av_fail "State after Reexecute: $(av_prop t1 State)"
        [[ $(av_prop t1 MainPID) == "$pid" ]]
        av_counter_still

        kill_daemon
        av_start
        [[ $(av_prop t1 State) == frozen ]] || av_fail "State after a takeover: $(av_prop t1 State)"
        [[ $(av_prop t1 MainPID) == "$pid" ]]
        # Well past the 4 s limit in wall-clock time: it must not fire.
        sleep 3
        [[ $(av_prop t1 State) == frozen ]] || av_fail "State 4+ s into a 4 s RuntimeMaxSec: $(av_prop t1 State)"
        av_counter_still

        run "$AGENTCTL" thaw t1
        [[ $status == 0 ]] || av_fail "agentctl thaw: $output"
        thawed=$(av_now_ms)
        [[ $(av_prop t1 State) == running ]]
        av_counter_moves
        av_wait_prop t1 ExitReason timeout 8
        took=$(($(av_now_ms) - thawed))
        ((took >= 2500)) || av_fail "RuntimeMaxSec fired ${took} ms after the thaw; about 3.3 s of running time were left"
}

@test "time spent frozen before a Reexecute still does not count toward RuntimeMaxSec afterwards" {
        local thawed took
        av_start
        av_start_agent ticker t2
        av_wait_prop t2 State running 10
        sleep 0.5
        av_call FreezeAgent s t2
        sleep 3
        av_call ThawAgent s t2
        thawed=$(av_now_ms)
        # 3.5 s of the 4 s limit have passed in wall-clock time, 0.5 s running.
        reexec
        [[ $(av_prop t2 State) == running ]] || av_fail "State after Reexecute: $(av_prop t2 State)"
        sleep 1
        [[ $(av_prop t2 State) == running ]] || av_fail "the limit counted the frozen time: $(av_prop t2 ExitReason)"
        av_wait_prop t2 ExitReason timeout 8
        took=$(($(av_now_ms) - thawed))
        ((took >= 2500)) || av_fail "RuntimeMaxSec fired ${took} ms after the thaw; about 3.5 s of running time were left"
}

@test "an agent frozen by OnEscalation=freeze is still held across Reexecute and a takeover, until ResetEscalation" {
        local pid
        av_config Supervisor.MaxRestarts=0 Supervisor.RestartWindowSec=60 Supervisor.OnEscalation=freeze \
                "Daemon.PolicyPath=$T/policies:$POLICY_DIR"
        av_type crasher <<EOF
[Agent]
Exec=$PROBE crash-after 1 1 --marker $AV_TOKEN
EOF
        av_type bystander <<EOF
[Agent]
Exec=/bin/sh $T/bin/ticker $T/out/count --marker $AV_TOKEN
EOF
        av_start
        av_start_agent bystander b1
        av_wait_prop b1 State running 10
        pid=$(av_prop b1 MainPID)
        av_start_agent crasher c1
        av_wait_sprop root Escalated true 10
        av_wait_prop b1 State frozen 5

        reexec
        [[ $(av_prop b1 State) == frozen ]] || av_fail "State after Reexecute: $(av_prop b1 State)"
        run av_gdbus ThawAgent "'b1'"
        [[ $status != 0 && $output == *org.agentvisor1.Error.Escalated* ]] || av_fail "ThawAgent after Reexecute: $output"

        kill_daemon
        av_start
        [[ $(av_prop b1 State) == frozen ]] || av_fail "State after a takeover: $(av_prop b1 State)"
        [[ $(av_sprop root Escalated) == true ]]
        run av_gdbus ThawAgent "'b1'"
        [[ $status != 0 && $output == *org.agentvisor1.Error.Escalated* ]] || av_fail "ThawAgent after a takeover: $output"
        av_counter_still
        av_pid_alive "$pid" || av_fail "the frozen bystander's process $pid is gone"

        # The crasher goes first: started afresh it would escalate again.
        av_call RemoveAgent s c1
        av_call ResetEscalation s ""
        av_wait_sprop root Escalated false 5
        av_wait_until 5 "the frozen bystander $pid to be killed" bash -c '! kill -0 "$1" 2>/dev/null' _ "$pid"
        av_wait_prop b1 State running 5
        [[ $(av_prop b1 MainPID) != "$pid" ]]
        av_counter_moves
}
