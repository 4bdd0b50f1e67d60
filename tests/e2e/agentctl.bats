#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# agentctl against the real daemon on a private bus: every verb, --json
# parsed with jq, exit codes, and the error messages for a missing agent,
# a missing type and an unreachable bus.

load helpers

BATS_TEST_TIMEOUT=90

setup() {
        av_setup
        av_config "[Supervisor workers]" "Parent=root" "Restart=temporary" "MaxRestarts=0"
        av_type sleeper <<EOF
[Agent]
Exec=$PROBE sleep
Restart=permanent
EOF
        av_type crasher <<EOF
[Agent]
Exec=$PROBE crash-after 1 3
Supervisor=workers
Restart=permanent
EOF
        av_start
}

teardown() {
        av_teardown
}

# Polls `agentctl --json ARGS | jq -e FILTER` until it holds (10 s at most).
ctl_wait_json() {
        local filter=$1
        shift
        for _ in $(seq 100); do
                if "$AGENTCTL" --json "$@" 2>/dev/null | jq -e "$filter" >/dev/null; then
                        return 0
                fi
                sleep 0.1
        done
        echo "timed out waiting for agentctl $* to satisfy $filter; last output:" >&2
        "$AGENTCTL" --json "$@" >&2 || true
        return 1
}

@test "help, version and usage errors exit 0 or 2" {
        run "$AGENTCTL" --help
        [ "$status" -eq 0 ]
        [[ $output == *"Verbs:"* ]]
        [[ $output == *"monitor"* ]]

        run "$AGENTCTL" --version
        [ "$status" -eq 0 ]
        [[ $output == "agentctl "* ]]

        for verb in list status start run stop kill restart remove reset types supervisors monitor policy; do
                run "$AGENTCTL" "$verb" --help
                [ "$status" -eq 0 ] || { echo "$verb --help exited $status"; false; }
                [[ $output == "agentctl $verb"* ]] || { echo "$verb --help printed: $output"; false; }
        done

        run "$AGENTCTL" frobnicate
        [ "$status" -eq 2 ]
        [[ $output == *"unknown verb 'frobnicate'"* ]]
        run "$AGENTCTL" stop
        [ "$status" -eq 2 ]
        run "$AGENTCTL" kill -s NOSUCHSIG x
        [ "$status" -eq 2 ]
        run "$AGENTCTL" run --memory-max lots -- /bin/true
        [ "$status" -eq 2 ]
        [[ $output == *"--memory-max"* ]]
}

@test "an unreachable bus is exit status 3 with the reason" {
        run "$AGENTCTL" --address "unix:path=$T/no-such-bus" list
        [ "$status" -eq 3 ]
        [[ $output == "agentctl: "*"No such file or directory"* ]]

        # The environment variable is the default address.
        AGENTCTL_BUS_ADDRESS="unix:path=$T/no-such-bus" run "$AGENTCTL" status
        [ "$status" -eq 3 ]
        [[ $output == "agentctl: "* ]]
}

@test "types lists the configured types, also as JSON" {
        run "$AGENTCTL" types
        [ "$status" -eq 0 ]
        [[ $output == *"sleeper"*"$PROBE sleep"* ]]

        run "$AGENTCTL" --json types
        [ "$status" -eq 0 ]
        [ "$(jq -r '.[] | select(.type == "sleeper") | .command' <<<"$output")" = "$PROBE sleep" ]
        [ "$(jq -r '.[] | select(.type == "crasher") | .policy' <<<"$output")" = "default" ]
}

@test "start, list and status NAME show a running agent and its processes" {
        run "$AGENTCTL" start sleeper s1
        [ "$status" -eq 0 ]
        [ "$output" = "s1" ]
        ctl_wait_json '.state == "running" and .main_pid > 0' status s1

        run "$AGENTCTL" --json list
        [ "$status" -eq 0 ]
        pid=$(jq -r '.[] | select(.name == "s1") | .main_pid' <<<"$output")
        [ "$(jq -r '.[] | select(.name == "s1") | .type' <<<"$output")" = "sleeper" ]
        [ "$(jq -r '.[] | select(.name == "s1") | .restart_count' <<<"$output")" = "0" ]
        [ "$pid" -gt 0 ]

        run "$AGENTCTL" list
        [ "$status" -eq 0 ]
        [[ $output == *"s1"*"sleeper"*"running"*"$pid"* ]]

        run "$AGENTCTL" status s1
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "● s1 - sleeper" ]
        [[ $output == *"State: running"* ]]
        [[ $output == *"Main PID: $pid"* ]]
        [[ $output =~ Invocation:\ [0-9a-f]{32} ]]
        [[ $output == *"CGroup: /"* ]]
        [[ $output == *"└─$pid $PROBE sleep"* ]]

        run "$AGENTCTL" --json status s1
        [ "$status" -eq 0 ]
        [ "$(jq -r .name <<<"$output")" = "s1" ]
        [ "$(jq -r .main_pid <<<"$output")" = "$pid" ]
        [ "$(jq -r '.invocation_id | length' <<<"$output")" = "32" ]
        [ "$(jq -r '.processes[0].pid' <<<"$output")" = "$pid" ]
        [ "$(jq -r '.processes[0].command' <<<"$output")" = "$PROBE sleep" ]
        [ "$(jq -r '.exec_start | join(" ")' <<<"$output")" = "$PROBE sleep" ]
        # Limits that are not set are null, not 2^64-1.
        [ "$(jq -r '.runtime_max_usec' <<<"$output")" = "null" ]
}

@test "start without a name picks TYPE-N and passes the arguments after --" {
        run "$AGENTCTL" start sleeper -- 300
        [ "$status" -eq 0 ]
        [[ $output =~ ^sleeper-[0-9]+$ ]]
        name=$output
        ctl_wait_json '.state == "running"' status "$name"
        run "$AGENTCTL" --json status "$name"
        [ "$(jq -r '.processes[0].command' <<<"$output")" = "$PROBE sleep 300" ]
}

@test "kill, restart, stop and remove drive an agent through its life" {
        "$AGENTCTL" start sleeper s1
        ctl_wait_json '.state == "running"' status s1
        inv1=$("$AGENTCTL" --json status s1 | jq -r .invocation_id)

        # A killed permanent agent is restarted with a fresh invocation.
        run "$AGENTCTL" kill -s KILL s1
        [ "$status" -eq 0 ]
        ctl_wait_json '.restart_count == 1 and .state == "running"' status s1
        run "$AGENTCTL" --json status s1
        [ "$(jq -r .invocation_id <<<"$output")" != "$inv1" ]

        inv2=$(jq -r .invocation_id <<<"$output")
        run "$AGENTCTL" restart s1
        [ "$status" -eq 0 ]
        ctl_wait_json ".state == \"running\" and .invocation_id != \"$inv2\"" status s1

        # A running agent cannot be removed.
        run "$AGENTCTL" remove s1
        [ "$status" -eq 1 ]
        [[ $output == "agentctl: "* ]]

        run "$AGENTCTL" stop s1
        [ "$status" -eq 0 ]
        ctl_wait_json '.state == "exited" and .exit_reason == "stopped"' status s1
        run "$AGENTCTL" status s1
        [[ $output == *"Last exit: stopped"* ]]

        run "$AGENTCTL" remove s1
        [ "$status" -eq 0 ]
        run "$AGENTCTL" --json list
        [ "$(jq '[.[] | select(.name == "s1")] | length' <<<"$output")" = "0" ]

        # A temporary agent is not restarted: its exit record stays, by signal name or number.
        "$AGENTCTL" run --name k1 -- "$PROBE" sleep
        ctl_wait_json '.state == "running"' status k1
        run "$AGENTCTL" kill --signal 9 k1
        [ "$status" -eq 0 ]
        ctl_wait_json '.state == "failed" and .exit_reason == "signal" and .exit_status == 9' status k1
        run "$AGENTCTL" status k1
        [[ $output == *"Last exit: signal SIGKILL"* ]]
}

@test "run starts a transient agent with the limits given" {
        run "$AGENTCTL" run --name r1 --memory-max 64M --tasks-max 16 --runtime-max 1min -E FOO=bar -- "$PROBE" sleep
        [ "$status" -eq 0 ]
        [ "$output" = "r1" ]
        ctl_wait_json '.state == "running"' status r1
        run "$AGENTCTL" --json status r1
        [ "$(jq -r .memory_max <<<"$output")" = "67108864" ]
        [ "$(jq -r .tasks_max <<<"$output")" = "16" ]
        [ "$(jq -r .runtime_max_usec <<<"$output")" = "60000000" ]
        [ "$(jq -r .restart <<<"$output")" = "temporary" ]

        run "$AGENTCTL" run -- "$PROBE" sleep
        [ "$status" -eq 0 ]
        [[ $output =~ ^run-[0-9]+$ ]]

        # Refused by the daemon: exit 1 and its message, not just the error name.
        run "$AGENTCTL" run --policy no-such-policy -- "$PROBE" sleep
        [ "$status" -eq 1 ]
        [[ $output == "agentctl: "*"no-such-policy"* ]]
}

@test "a missing agent, type or supervisor is exit status 4 with the daemon's message" {
        for verb in status stop kill restart remove; do
                run "$AGENTCTL" "$verb" no-such-agent
                [ "$status" -eq 4 ] || { echo "$verb exited $status: $output"; false; }
                [[ $output == "agentctl: "*"no-such-agent"* ]] || { echo "$verb printed: $output"; false; }
                [[ $output != *"org.agentvisor1.Error"* ]]
        done

        run "$AGENTCTL" start no-such-type
        [ "$status" -eq 4 ]
        [[ $output == "agentctl: "*"no-such-type"* ]]

        run "$AGENTCTL" reset no-such-supervisor
        [ "$status" -eq 4 ]
        [[ $output == "agentctl: "*"no-such-supervisor"* ]]

        "$AGENTCTL" start sleeper dup
        run "$AGENTCTL" start sleeper dup
        [ "$status" -eq 1 ]
        [[ $output == "agentctl: "*"dup"* ]]
}

@test "supervisors and status show an escalation, reset clears it" {
        "$AGENTCTL" start crasher c1
        ctl_wait_json '.[] | select(.name == "workers") | .escalated' supervisors

        run "$AGENTCTL" --json supervisors
        [ "$(jq -r '.[] | select(.name == "workers") | .parent' <<<"$output")" = "root" ]
        [ "$(jq -r '.[] | select(.name == "workers") | .escalation_reason | length > 0' <<<"$output")" = "true" ]
        [ "$(jq -r '.[] | select(.name == "root") | .escalated' <<<"$output")" = "false" ]

        run "$AGENTCTL" supervisors
        [ "$status" -eq 0 ]
        [[ $output == *"workers"*"yes: "* ]]

        run "$AGENTCTL" status
        [ "$status" -eq 0 ]
        [[ ${lines[0]} == "● agentvisord "* ]]
        [[ $output == *"escalated: "* ]]

        run "$AGENTCTL" --json status
        [ "$status" -eq 0 ]
        [ "$(jq -r .manager.state <<<"$output")" = "running" ]
        [ "$(jq -r '.supervisors[] | select(.name == "workers") | .escalated' <<<"$output")" = "true" ]
        [ "$(jq -r .agents.states.failed <<<"$output")" = "1" ]

        # The crasher lives a second after a reset, long enough to see it cleared.
        run "$AGENTCTL" reset workers
        [ "$status" -eq 0 ]
        run "$AGENTCTL" --json supervisors
        [ "$(jq -r '.[] | select(.name == "workers") | .escalated' <<<"$output")" = "false" ]
}

@test "monitor prints one line per event and exits 0 on SIGTERM and SIGINT" {
        "$AGENTCTL" monitor >"$T/monitor.out" 2>"$T/monitor.err" &
        mon=$!
        "$AGENTCTL" --json monitor >"$T/monitor.json" 2>"$T/monitor-json.err" &
        monj=$!
        for _ in $(seq 100); do
                grep -q Monitoring "$T/monitor.err" && grep -q Monitoring "$T/monitor-json.err" && break
                sleep 0.1
        done

        "$AGENTCTL" start sleeper m1
        ctl_wait_json '.state == "running"' status m1
        "$AGENTCTL" stop m1
        ctl_wait_json '.state == "exited"' status m1
        for _ in $(seq 100); do
                grep -q AgentExited "$T/monitor.out" && grep -q AgentExited "$T/monitor.json" && break
                sleep 0.1
        done

        kill -TERM "$mon"
        kill -INT "$monj"
        rc=0; wait "$mon" || rc=$?
        [ "$rc" -eq 0 ]
        rc=0; wait "$monj" || rc=$?
        [ "$rc" -eq 0 ]

        grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{3} AgentStarted m1: started, main PID [0-9]+$' \
                "$T/monitor.out"
        grep -Eq ' AgentExited m1: stopped' "$T/monitor.out"

        # Every line is one JSON object.
        jq -e . "$T/monitor.json" >/dev/null
        [ "$(jq -r 'select(.signal == "AgentStarted") | .name' "$T/monitor.json")" = "m1" ]
        [ "$(jq -r 'select(.signal == "AgentStarted") | .main_pid > 0' "$T/monitor.json")" = "true" ]
        [ "$(jq -r 'select(.signal == "AgentExited") | .reason' "$T/monitor.json")" = "stopped" ]
        [ "$(jq -r 'select(.signal == "AgentExited") | .agent' "$T/monitor.json")" = "/org/agentvisor1/agent/m1" ]
}

@test "policy check and policy show work locally" {
        run "$AGENTCTL" policy check "$POLICY_DIR/default.policy" --policy-path "$POLICY_DIR"
        [ "$status" -eq 0 ]
        [[ $output == *"OK"* ]]

        printf 'default errno EPERM\nallow read no_such_syscall\n' >"$T/bad.policy"
        run "$AGENTCTL" policy check "$T/bad.policy"
        [ "$status" -eq 1 ]
        [[ $output == "$T/bad.policy:2:"*"no_such_syscall"* ]]

        run "$AGENTCTL" policy show default --policy-path "$POLICY_DIR"
        [ "$status" -eq 0 ]
        [[ $output == *"default"* ]]

        run "$AGENTCTL" policy show @basic-io
        [ "$status" -eq 0 ]
        [[ $output == *"read"* ]]

        run "$AGENTCTL" policy show @no-such-group
        [ "$status" -eq 4 ]

        # No bus is needed for any of it.
        AGENTCTL_BUS_ADDRESS="unix:path=$T/no-such-bus" run "$AGENTCTL" policy show @basic-io
        [ "$status" -eq 0 ]
}

@test "policy show NAME resolves NAME in the daemon's PolicyPath, and in the install path offline" {
        mkdir -p "$T/policies"
        printf '# only this daemon has it\ndefault errno EACCES\nallow read write exit_group\n' \
                >"$T/policies/only-here.policy"
        av_stop_daemon
        [ "$AV_DAEMON_STATUS" = 0 ]
        av_config "Daemon.PolicyPath=$T/policies:$POLICY_DIR" \
                "[Supervisor workers]" "Parent=root" "Restart=temporary" "MaxRestarts=0"
        av_start

        path=$(busctl --address="$AV_BUS" --json=short get-property org.agentvisor1 /org/agentvisor1 \
                org.agentvisor1.Manager PolicyPath | jq -c .data)
        [ "$path" = "[\"$T/policies\",\"$POLICY_DIR\"]" ] || av_fail "PolicyPath is $path"

        run "$AGENTCTL" policy show only-here
        [ "$status" -eq 0 ] || av_fail "policy show only-here exited $status: $output"
        [[ $output == *"policy only-here"* && $output == *"errno EACCES"* ]] ||
                av_fail "policy show only-here printed: $output"
        # A policy found along the daemon's path, not only the first directory.
        run "$AGENTCTL" policy show strict
        [ "$status" -eq 0 ] || av_fail "policy show strict exited $status: $output"

        # --policy-path still decides when given.
        run "$AGENTCTL" policy show only-here --policy-path "$POLICY_DIR"
        [ "$status" -eq 4 ] || av_fail "with --policy-path, policy show only-here exited $status: $output"
        # Offline (no daemon on the named bus): the install path, which lacks it.
        run "$AGENTCTL" --address "unix:path=$T/no-such-bus" policy show only-here
        [ "$status" -eq 4 ] || av_fail "offline, policy show only-here exited $status: $output"
}

@test "__complete prints agent, type and supervisor names for the shell" {
        "$AGENTCTL" start sleeper comp1
        run "$AGENTCTL" __complete agents
        [ "$status" -eq 0 ]
        [[ $output == *"comp1"* ]]
        run "$AGENTCTL" __complete types
        [ "$(sort <<<"$output" | tr '\n' ' ')" = "crasher sleeper " ]
        run "$AGENTCTL" __complete supervisors
        [[ $output == *"root"* ]]
        [[ $output == *"workers"* ]]
}
