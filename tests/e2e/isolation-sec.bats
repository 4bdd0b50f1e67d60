#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Isolation against a hostile agent or a recycled uid (issue 13's security
# review): a symlink planted where the spawn child makes a mount point, a
# dynamic uid that still owns another agent's StateDirectory, and what
# agentctl shows before an agent's first start. Each test checks the host's
# side too: nothing made through the link, the state not read.

load helpers

BATS_TEST_TIMEOUT=120

# A uid of the range no user database entry has.
ONE_UID=64999

setup() {
        av_setup
        mkdir -p "$T/state"
        av_config Daemon.DefaultUser=dynamic Daemon.DefaultSandbox= Daemon.StateDirectory="$T/state" \
                Daemon.DynamicUserRange=$ONE_UID-$ONE_UID Supervisor.AgentTimeoutSec=2
        BIN_IN="BindReadOnlyPaths=$T/bin"
}

teardown() {
        av_teardown
}

@test "a symlink an agent planted on a BindPaths= target's path fails the start; nothing is made through it" {
        getent passwd $ONE_UID >/dev/null && skip "uid $ONE_UID is in the user database"
        # A directory anybody may write (as /tmp is), holding a link to a
        # directory only root may write.
        mkdir -m 1777 "$T/pub"
        mkdir -m 755 "$T/src" "$T/victim"
        echo hello >"$T/src/hello"
        ln -s "$T/victim" "$T/pub/link"
        av_type binder <<EOF
[Agent]
Exec=$PROBE sleep 60 --marker $AV_TOKEN
Sandbox=none
BindPaths=$T/src:$T/pub/link/made
Restart=temporary
EOF
        av_type control <<EOF
[Agent]
Exec=/bin/sh -c 'cat $T/pub/real/made/hello >$T/out/control; exec $PROBE sleep 60 --marker $AV_TOKEN'
Sandbox=none
BindPaths=$T/src:$T/pub/real/made
Restart=temporary
EOF
        av_start
        av_start_agent binder b1
        av_wait_prop b1 State failed
        [[ $(av_prop b1 ExitReason) == spawn-failed ]] || av_fail "ended with $(av_prop b1 ExitReason)"
        [[ ! -e $T/victim/made ]] || av_fail "the mount point was made through the symlink"
        grep -q "b1: cannot start: bind (a symlink in the mount point's path)" "$T/daemon.log" ||
                av_fail "the daemon's log does not say why: $(grep b1 "$T/daemon.log")"

        # The same bind without a link on the way works (the control).
        av_start_agent control c1
        av_wait_prop c1 State running
        av_wait_until 5 "the control to read through its bind" test -s "$T/out/control"
        [[ $(cat "$T/out/control") == hello ]]
}

@test "a dynamic uid that owns another agent's StateDirectory is not handed out again, not even after a restart" {
        getent passwd $ONE_UID >/dev/null && skip "uid $ONE_UID is in the user database"
        av_type keeper <<EOF
[Agent]
Exec=/bin/sh -c 'echo s3cret >"\$STATE_DIRECTORY/secret" && chmod 600 "\$STATE_DIRECTORY/secret" && exec $PROBE sleep 60 --marker $AV_TOKEN'
StateDirectory=keeper
Sandbox=none
EOF
        # Sandbox=none: only the uid stands between it and keeper's state.
        av_type snoop <<EOF
[Agent]
Exec=/bin/sh -c 'cat $T/state/keeper/secret >$T/out/stolen; exec $PROBE sleep 60 --marker $AV_TOKEN'
Sandbox=none
Restart=temporary
EOF
        av_start
        av_start_agent keeper k1
        av_wait_prop k1 State running
        [[ $(av_prop k1 UID) == "$ONE_UID" ]]
        av_wait_until 5 "keeper to write its secret" test -s "$T/state/keeper/secret"
        av_call StopAgent s k1
        av_wait_prop k1 State exited

        # The range's one uid is free again, but it owns keeper's state.
        av_start_agent snoop s1
        av_wait_prop s1 State failed
        [[ ! -s $T/out/stolen ]] || av_fail "snoop read keeper's state: $(cat "$T/out/stolen")"
        grep -q "s1: no dynamic uid: .*owns another agent's StateDirectory" "$T/daemon.log" ||
                av_fail "the log does not say why: $(grep s1 "$T/daemon.log")"
        # Before any start the uid is not set: UINT32_MAX on the bus, "-" and null in agentctl.
        [[ $(av_prop s1 UID) == 4294967295 ]]
        run "$AGENTCTL" status s1
        [[ $output == *"Sandbox: none (dynamic uid -)"* ]] || { echo "$output"; false; }
        run "$AGENTCTL" --json status s1
        [[ $(jq -r .uid <<<"$output") == null ]] || { echo "$output"; false; }
        av_call RemoveAgent s s1

        # A restarted daemon remembers nothing, and still refuses it.
        av_stop_daemon
        av_start
        av_start_agent snoop s2
        av_wait_prop s2 State failed
        [[ ! -s $T/out/stolen ]] || av_fail "after a restart, snoop read keeper's state"

        # The owner gets its uid back, and its state is intact.
        av_call RemoveAgent s s2
        av_start_agent keeper k2
        av_wait_prop k2 State running
        [[ $(av_prop k2 UID) == "$ONE_UID" ]] || av_fail "keeper got uid $(av_prop k2 UID)"
        [[ $(stat -c %u "$T/state/keeper/secret") == "$ONE_UID" ]]
}

@test "a health check joins its agent's mounts: it neither rebuilds nor reopens them (a bind source moved away since)" {
        getent passwd $ONE_UID >/dev/null && skip "uid $ONE_UID is in the user database"
        mkdir -m 755 "$T/src"
        echo hello >"$T/src/hello"
        chmod 644 "$T/src/hello"
        av_type binder <<EOF2
[Agent]
Exec=$PROBE sleep 60 --marker $AV_TOKEN
Sandbox=none
BindReadOnlyPaths=$T/src:/mnt
HealthCheck=/bin/sh -c 'test -s /mnt/hello'
HealthCheckIntervalSec=1
HealthCheckFailures=2
EOF2
        av_start
        av_start_agent binder h1
        av_wait_prop h1 State running
        av_wait_prop h1 Health healthy 10
        # The source is gone from its path: a check that opened the
        # agent's binds again would fail to start; one in the agent's
        # mount namespace still sees them.
        mv "$T/src" "$T/src.moved"
        sleep 3
        [[ $(av_prop h1 Health) == healthy ]] ||
                av_fail "Health $(av_prop h1 Health) after the source moved: $(grep h1 "$T/daemon.log" | tail -n 5)"
        [[ $(av_prop h1 HealthCheckFailures) == 0 ]]
        [[ $(av_prop h1 State) == running ]]
}
