#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Freezing (issue 14): Freeze/Thaw and agentctl freeze|thaw stop every
# process of an agent and let it go on; its timers pause while frozen;
# OnEscalation=freeze keeps a supervisor's agents frozen until
# ResetEscalation, which kills and restarts them; a stop of a frozen agent
# kills it at once; bad calls get clear errors.

load helpers

BATS_TEST_TIMEOUT=90

setup() {
        av_setup
        av_config
        # A counter the agent rewrites every 50 ms: it stops moving only when
        # every process of the agent is stopped.
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
        chmod 755 "$T/bin/ticker"
        av_type ticker <<EOF
[Agent]
Exec=/bin/sh $T/bin/ticker $T/out/count --marker $AV_TOKEN
EOF
}

teardown() {
        av_teardown
}

@test "agentctl freeze stops a ticking counter, status still shows its processes and memory, thaw resumes it" {
        av_start
        av_start_agent ticker t1
        av_wait_prop t1 State running
        av_counter_moves
        pid=$(av_prop t1 MainPID)

        run "$AGENTCTL" freeze t1
        [[ $status == 0 ]] || av_fail "agentctl freeze: $output"
        [[ $(av_prop t1 State) == frozen ]] || av_fail "State is $(av_prop t1 State) after freeze"
        grep -qx 'frozen 1' "$(av_cgroup_dir t1)/cgroup.events" || av_fail "cgroup.events: $(cat "$(av_cgroup_dir t1)/cgroup.events")"
        av_counter_still
        av_pid_alive "$pid" || av_fail "the frozen agent's main process $pid is gone"
        [[ $(av_prop t1 MainPID) == "$pid" ]]

        run "$AGENTCTL" status t1
        [[ $status == 0 ]] || av_fail "agentctl status: $output"
        [[ $output == *"State:"*frozen* ]] || av_fail "status does not say frozen: $output"
        [[ $output == *"Memory:"* ]] || av_fail "status of a frozen agent shows no memory: $output"
        [[ $output == *"$pid"* ]] || av_fail "status of a frozen agent does not list its process $pid: $output"

        # Freezing again is no error.
        run "$AGENTCTL" freeze t1
        [[ $status == 0 ]] || av_fail "a second freeze: $output"

        run "$AGENTCTL" thaw t1
        [[ $status == 0 ]] || av_fail "agentctl thaw: $output"
        [[ $(av_prop t1 State) == running ]] || av_fail "State is $(av_prop t1 State) after thaw"
        av_counter_moves
        [[ $(av_prop t1 MainPID) == "$pid" ]] || av_fail "the thawed agent has a new MainPID"
}

@test "Agent.Freeze() on the object; a frozen agent killed from outside is seen to end" {
        av_type once <<EOF
[Agent]
Exec=/bin/sh $T/bin/ticker $T/out/count --marker $AV_TOKEN
Restart=temporary
EOF
        av_start
        av_start_agent once o1
        av_wait_prop o1 State running
        path=$(av_agent_path o1)
        av_busctl call org.agentvisor1 "$path" org.agentvisor1.Agent Freeze
        [[ $(av_prop o1 State) == frozen ]]
        av_counter_still
        pid=$(av_prop o1 MainPID)
        kill -KILL "$pid"
        av_wait_prop o1 State failed 5
        [[ $(av_prop o1 ExitReason) == signal && $(av_prop o1 ExitStatus) == 9 ]] ||
                av_fail "ended as $(av_prop o1 ExitReason)/$(av_prop o1 ExitStatus)"
        [[ $(av_prop o1 ExitKilledBy) == other ]] || av_fail "ExitKilledBy is $(av_prop o1 ExitKilledBy)"
}

@test "RuntimeMaxSec does not run while frozen: the limit counts running time only" {
        av_type limited <<EOF
[Agent]
Exec=/bin/sh $T/bin/ticker $T/out/count --marker $AV_TOKEN
RuntimeMaxSec=2
Restart=temporary
EOF
        av_start
        av_start_agent limited l1
        av_wait_prop l1 State running
        sleep 0.5
        av_call FreezeAgent s l1
        # Well past the 2 s limit in wall-clock time.
        sleep 3
        [[ $(av_prop l1 State) == frozen ]] || av_fail "State is $(av_prop l1 State) 3.5 s into a 2 s RuntimeMaxSec"
        [[ -z $(av_prop l1 ExitReason) ]] || av_fail "ended while frozen: $(av_prop l1 ExitReason)"
        av_call ThawAgent s l1
        thawed=$(av_now_ms)
        sleep 0.5
        [[ $(av_prop l1 State) == running ]] || av_fail "the limit fired at once after the thaw: $(av_prop l1 State)"
        av_wait_prop l1 ExitReason timeout 5
        took=$(($(av_now_ms) - thawed))
        ((took >= 1000)) || av_fail "RuntimeMaxSec fired ${took} ms after the thaw; about 1.5 s of running time were left"
        runtime=$(av_prop l1 ExitRuntimeUSec)
        ((runtime >= 4500000)) || av_fail "ExitRuntimeUSec $runtime: the wall clock includes the frozen time"
}

@test "OnEscalation=freeze keeps the bystander's process alive and frozen until ResetEscalation starts it afresh" {
        av_config Supervisor.MaxRestarts=0 Supervisor.RestartWindowSec=60 Supervisor.OnEscalation=freeze
        av_type crasher <<EOF
[Agent]
Exec=$PROBE crash-after 1 1 --marker $AV_TOKEN
EOF
        av_start
        av_monitor_start
        av_start_agent ticker bystander
        av_wait_prop bystander State running
        pid=$(av_prop bystander MainPID)
        cg=$(av_cgroup_dir bystander)
        av_start_agent crasher c1
        av_wait_sprop root Escalated true 10
        av_monitor_wait "org.agentvisor1.Manager.Escalated \('root', '.+'\)"
        av_wait_prop bystander State frozen 5
        av_counter_still
        av_pid_alive "$pid" || av_fail "the bystander's process $pid is gone after the escalation"
        [[ -d $cg ]] || av_fail "the bystander's cgroup $cg is gone"
        grep -qx 'frozen 1' "$cg/cgroup.events" || av_fail "its cgroup is not frozen: $(cat "$cg/cgroup.events")"
        [[ -r /proc/$pid/status ]]
        [[ $(av_prop bystander MainPID) == "$pid" ]]

        # Held by the escalation: only ResetEscalation lets it go.
        run av_gdbus ThawAgent "'bystander'"
        [[ $status != 0 && $output == *org.agentvisor1.Error.Escalated* && $output == *ResetEscalation* ]] ||
                av_fail "ThawAgent on an agent held by the escalation: $output"
        sleep 1
        av_pid_alive "$pid" || av_fail "the frozen bystander died before ResetEscalation"

        av_call ResetEscalation s ""
        av_wait_sprop root Escalated false 5
        av_wait_until 5 "the frozen bystander $pid to be killed" bash -c '! kill -0 "$1" 2>/dev/null' _ "$pid"
        av_wait_prop bystander State running 5
        new=$(av_prop bystander MainPID)
        [[ $new != 0 && $new != "$pid" ]] || av_fail "the bystander was not started afresh (MainPID $new)"
        av_counter_moves
}

@test "StopAgent on a frozen agent ends it at once: reason stopped, killed by the daemon" {
        av_config Supervisor.AgentTimeoutSec=30
        av_type stubborn <<EOF
[Agent]
Exec=$PROBE ignore-term --marker $AV_TOKEN
EOF
        av_start
        av_start_agent stubborn s1
        av_wait_prop s1 State running
        pid=$(av_prop s1 MainPID)
        av_call FreezeAgent s s1
        [[ $(av_prop s1 State) == frozen ]]
        start=$(av_now_ms)
        av_call StopAgent s s1
        av_wait_prop s1 State exited 5
        took=$(($(av_now_ms) - start))
        ((took < 3000)) || av_fail "the frozen agent took ${took} ms to end (SIGTERM and AgentTimeoutSec=30 instead of a kill)"
        ! kill -0 "$pid" 2>/dev/null || av_fail "its process $pid is still there"
        [[ $(av_prop s1 ExitReason) == stopped ]] || av_fail "ExitReason $(av_prop s1 ExitReason)"
        [[ $(av_prop s1 ExitKilledBy) == daemon ]] || av_fail "ExitKilledBy $(av_prop s1 ExitKilledBy)"
}

@test "bad calls: freezing a stopped agent or an unknown one, thawing one that does not run" {
        av_start
        av_start_agent ticker t1
        av_wait_prop t1 State running
        av_call StopAgent s t1
        av_wait_prop t1 State exited 10

        run av_gdbus FreezeAgent "'t1'"
        [[ $status != 0 && $output == *org.agentvisor1.Error.NotRunning* && $output == *'"t1" is not running'* ]] ||
                av_fail "FreezeAgent on a stopped agent: $output"
        run av_gdbus ThawAgent "'t1'"
        [[ $status != 0 && $output == *org.agentvisor1.Error.NotRunning* ]] || av_fail "ThawAgent on a stopped agent: $output"
        run av_gdbus FreezeAgent "'nosuch'"
        [[ $status != 0 && $output == *org.agentvisor1.Error.NoSuchAgent* && $output == *nosuch* ]] ||
                av_fail "FreezeAgent of an unknown name: $output"
        run av_gdbus ThawAgent "'nosuch'"
        [[ $status != 0 && $output == *org.agentvisor1.Error.NoSuchAgent* ]] || av_fail "ThawAgent of an unknown name: $output"

        run "$AGENTCTL" freeze t1
        [[ $status != 0 && $output == *"not running"* ]] || av_fail "agentctl freeze of a stopped agent: $status $output"
        run "$AGENTCTL" thaw nosuch
        [[ $status != 0 && $output == *nosuch* ]] || av_fail "agentctl thaw of an unknown agent: $status $output"

        # Mutating: refused to a caller outside AdminGroup.
        av_start_agent ticker t2
        av_wait_prop t2 State running
        run av_as_nobody busctl --address="$AV_BUS" call org.agentvisor1 /org/agentvisor1 org.agentvisor1.Manager \
                FreezeAgent s t2
        [[ $status != 0 ]] || av_fail "nobody could freeze an agent"
        [[ $(av_prop t2 State) == running ]]
}

@test "frozen behind the daemon's back: no health check is spawned into it, the daemon answers, agentctl thaw thaws it" {
        local cgdir
        av_type checked <<EOF2
[Agent]
Exec=/bin/sh $T/bin/ticker $T/out/count --marker $AV_TOKEN
HealthCheck=$PROBE exit 0
HealthCheckIntervalSec=1
EOF2
        av_start
        av_start_agent checked c1
        av_wait_prop c1 State running
        av_wait_prop c1 Health healthy 5
        cgdir=$(av_cgroup_dir c1)
        [[ -w $cgdir/cgroup.freeze ]] || skip "no cgroup.freeze in the agent's v2 group"

        # Not through agentvisor: the daemon has no record of this freeze.
        echo 1 >"$cgdir/cgroup.freeze"
        av_wait_until 5 "the kernel to freeze c1" grep -qx 'frozen 1' "$cgdir/cgroup.events"
        av_counter_still
        # Two check intervals: a check cloned into the frozen group would
        # stop before its exec, and the daemon with it.
        sleep 2
        run timeout 5 busctl --address="$AV_BUS" -- call org.agentvisor1 /org/agentvisor1 \
                org.agentvisor1.Manager ListAgents
        [[ $status == 0 ]] || av_fail "ListAgents did not answer while c1 was frozen from outside ($status): $output"
        grep -q "agent c1: its cgroup is frozen (not by agentvisor): health check skipped" "$T/daemon.log" ||
                av_fail "no health check was skipped: $(grep 'agent c1' "$T/daemon.log" | tail -5)"
        [[ $(av_prop c1 HealthCheckFailures) == 0 ]] || av_fail "HealthCheckFailures $(av_prop c1 HealthCheckFailures)"

        run timeout 10 "$AGENTCTL" thaw c1
        [[ $status == 0 ]] || av_fail "agentctl thaw: $status $output"
        [[ $(cat "$cgdir/cgroup.freeze") == 0 ]] || av_fail "cgroup.freeze is still $(cat "$cgdir/cgroup.freeze")"
        av_wait_until 5 "the kernel to thaw c1" grep -qx 'frozen 0' "$cgdir/cgroup.events"
        av_counter_moves
        grep -q "agent c1: thawed (it was frozen outside agentvisor)" "$T/daemon.log" || av_fail "the thaw was not logged"
        [[ $(av_prop c1 State) == running ]]
}
