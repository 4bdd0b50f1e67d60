#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# agentctl's part of isolation against the real daemon: `run -p KEY=VALUE`
# and `--sandbox` reach the daemon as RunAgent properties of the right
# type, a bad -p is refused before any call, and `status` shows the
# effective sandbox and the daemon's Features (where the daemon has them).

load helpers

BATS_TEST_TIMEOUT=90

setup() {
        av_setup
        av_config
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

# True when the daemon has the isolation layer (the Manager's Features).
daemon_has_isolation() {
        av_busctl get-property org.agentvisor1 /org/agentvisor1 org.agentvisor1.Manager Features >/dev/null 2>&1
}

@test "run -p sets RunAgent properties by their RunAgent or agents.d names, typed by the daemon's table" {
        run "$AGENTCTL" run --name p1 -p MemoryMax=64M -p TasksMax=16 -p RuntimeMaxSec=2min \
                -p RuntimeMaxUSec=1min -p CPUQuota=50% -p Restart=transient -p "Environment=A=1 B=2" \
                -- "$PROBE" sleep
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        [ "$output" = "p1" ]
        ctl_wait_json '.state == "running"' status p1
        run "$AGENTCTL" --json status p1
        [ "$(jq -r .memory_max <<<"$output")" = "67108864" ]
        [ "$(jq -r .tasks_max <<<"$output")" = "16" ]
        # The last -p of one property wins, whichever name it was given by.
        [ "$(jq -r .runtime_max_usec <<<"$output")" = "60000000" ]
        [ "$(jq -r .cpu_quota_per_sec_usec <<<"$output")" = "500000" ]
        [ "$(jq -r .restart <<<"$output")" = "transient" ]
        "$AGENTCTL" stop p1
}

@test "a bad -p is a usage error naming the key, and nothing is started" {
        run "$AGENTCTL" run --name bad -p NoSuchKey=1 -- "$PROBE" sleep
        [ "$status" -eq 2 ]
        [[ $output == *"unknown property 'NoSuchKey'"* ]]
        [[ $output == *"MemoryMax"* ]]

        run "$AGENTCTL" run --name bad -p MemoryMax=lots -- "$PROBE" sleep
        [ "$status" -eq 2 ]
        [[ $output == *"MemoryMax=lots is invalid"* ]]

        run "$AGENTCTL" run --name bad -p HealthCheck=/bin/true -- "$PROBE" sleep
        [ "$status" -eq 2 ]
        [[ $output == *"not a RunAgent property"* ]]

        run "$AGENTCTL" run --name bad --sandbox paranoid -- "$PROBE" sleep
        [ "$status" -eq 2 ]
        [[ $output == *"none, standard or strict"* ]]

        run "$AGENTCTL" --json list
        [ "$status" -eq 0 ]
        [ "$(jq 'map(select(.name == "bad")) | length' <<<"$output")" = "0" ]
}

@test "status shows the daemon's Features and an agent's sandbox in one line" {
        daemon_has_isolation || skip "this agentvisord has no isolation (no Features property)"
        # The built-in default user, which the other tests pin to nobody.
        av_stop_daemon
        av_config Daemon.DefaultUser=dynamic
        av_start

        run "$AGENTCTL" status
        [ "$status" -eq 0 ]
        [[ $output == *"Features: "* ]]
        run "$AGENTCTL" --json status
        jq -e '.manager.features | type == "array"' <<<"$output"

        # A program from /usr: the test's own copies are under /tmp, which
        # the strict sandbox replaces with a private one.
        run "$AGENTCTL" run --name s1 --sandbox strict -p PrivateNetwork=yes -- /bin/sleep 60
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        ctl_wait_json '.state == "running"' status s1
        run "$AGENTCTL" --json status s1
        [ "$(jq -r .sandbox <<<"$output")" = "strict" ]
        [ "$(jq -r .user <<<"$output")" = "dynamic" ]
        uid=$(jq -r .uid <<<"$output")
        [[ $uid =~ ^[0-9]+$ && $uid -ge 61184 && $uid -le 65519 ]] || { echo "uid $uid"; false; }

        run "$AGENTCTL" status s1
        [ "$status" -eq 0 ]
        line=$(grep '^ *Sandbox: ' <<<"$output")
        [[ $line == *"Sandbox: strict (dynamic uid $uid"* ]] || { echo "$line"; false; }
        [[ $line == *"private tmp/dev/net/ipc/pids"* ]] || { echo "$line"; false; }
        "$AGENTCTL" stop s1
}

@test "status's Sandbox: line shows the agent's effective keys, not the preset's defaults" {
        daemon_has_isolation || skip "this agentvisord has no isolation (no Features property)"
        av_stop_daemon
        av_config Daemon.DefaultUser=dynamic
        av_start

        # strict, with the network, /tmp and Landlock given back by -p.
        run "$AGENTCTL" run --name e1 --sandbox strict -p PrivateNetwork=no -p PrivateTmp=no -p Landlock=no \
                -- /bin/sleep 60
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        ctl_wait_json '.state == "running"' status e1
        run "$AGENTCTL" --json status e1
        jq -e '.sandbox_keys | index("PrivateNetwork=no") and index("PrivateTmp=no") and index("PrivatePIDs=yes")' \
                <<<"$output" || { echo "$output"; false; }
        uid=$(jq -r .uid <<<"$output")

        run "$AGENTCTL" status e1
        line=$(grep '^ *Sandbox: ' <<<"$output")
        [[ $line == *"Sandbox: strict (dynamic uid $uid, private dev/ipc/pids, ro system, no home"* ]] ||
                { echo "$line"; false; }
        [[ $line != *net* && $line != *landlock* && $line != *preset:* ]] || { echo "$line"; false; }
        "$AGENTCTL" stop e1
}

@test "__complete properties lists run's -p keys without a bus" {
        AGENTCTL_BUS_ADDRESS=unix:path=/nonexistent run "$AGENTCTL" __complete properties
        [ "$status" -eq 0 ]
        grep -qx MemoryMax <<<"$output"
        grep -qx Environment <<<"$output"
        ! grep -qx HealthCheck <<<"$output"
}

@test "status of a daemon without isolation shows no Sandbox or Features line" {
        ! daemon_has_isolation || skip "this agentvisord has isolation"

        run "$AGENTCTL" run --name n1 -- "$PROBE" sleep
        [ "$status" -eq 0 ]
        ctl_wait_json '.state == "running"' status n1
        run "$AGENTCTL" status n1
        [ "$status" -eq 0 ]
        [[ $output == *"Policy: default"* ]]
        [[ $output != *"Sandbox:"* ]]
        run "$AGENTCTL" status
        [[ $output != *"Features:"* ]]
        "$AGENTCTL" stop n1
}
