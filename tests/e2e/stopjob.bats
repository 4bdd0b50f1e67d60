#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# SIGUSR2, the shipped unit's KillSignal= (issue 15): the daemon asks
# systemd for its unit's job. A "stop" job (`systemctl stop`, host
# shutdown) stops every agent as SIGTERM does; a "restart" job, no job, no
# systemd on the bus, or no answer within about 1 s leaves the agents to the
# next daemon. systemd is played by tests/clients/fake-systemd1.c on the
# test's private bus.

load helpers

BATS_TEST_TIMEOUT=120

setup() {
        av_setup
        [[ -x ${FAKE_SYSTEMD1:-} ]] || av_fail "FAKE_SYSTEMD1 is not built: run through 'meson test'" || return 1
        av_config
        av_type keeper <<EOF2
[Agent]
Exec=$PROBE record $T/out/keeper-starts sleep 0 --marker $AV_TOKEN
EOF2
}

teardown() {
        # A test that left its agents to the next daemon: one started again
        # takes them over and its SIGTERM (in av_teardown) ends them.
        if [[ -z ${AV_DAEMON_PID:-} && -n $(av_marked_pids) && -f ${T:-}/agentvisor.conf ]]; then
                av_start >/dev/null 2>&1 || true
        fi
        av_teardown
}

# fake_systemd JOBTYPE|none|hang [COMMAND-PREFIX...]: systemd's stand-in,
# owning its name (as root, or run through the prefix).
fake_systemd() {
        local job=$1
        shift
        "$@" "$FAKE_SYSTEMD1" "$AV_BUS" "$job" </dev/null >"$T/fake.out" 2>&1 3>&- &
        AV_BG_PIDS+=($!)
        av_wait_until 5 "the fake systemd to own org.freedesktop.systemd1" grep -qx ready "$T/fake.out" ||
                { cat "$T/fake.out" >&2; return 1; }
}

identity() {
        echo "$(av_prop "$1" MainPID) $(av_prop "$1" InvocationID) $(av_prop "$1" RestartCount)"
}

no_daemon() {
        ! av_pid_alive "$1"
}

# Two agents, a permanent and a temporary one; sets K1 and T1 to their
# identities.
start_agents() {
        av_start_agent keeper k1
        av_run t1 -- "$PROBE" record "$T/out/t1-starts" sleep 0 --marker "$AV_TOKEN"
        av_wait_prop k1 State running 10
        av_wait_prop t1 State running 10
        K1=$(identity k1)
        T1=$(identity t1)
}

# Signals the daemon and waits for it to exit with 0.
sigusr2() {
        local pid=$AV_DAEMON_PID status=0
        kill -USR2 "$pid"
        av_wait_until 10 "the daemon to exit after SIGUSR2" no_daemon "$pid" || return 1
        wait "$pid" || status=$?
        AV_DAEMON_PID=
        [[ $status == 0 ]] || av_fail "the daemon exited with $status after SIGUSR2"
}

asked_for_daemon() {
        grep -qx "GetUnitByPID $1" "$T/fake.out" ||
                av_fail "the fake systemd was not asked for pid $1: $(cat "$T/fake.out")"
}

# The agents were left running and the next daemon takes them over.
assert_kept() {
        av_pid_alive "${K1%% *}" || av_fail "k1 died with the daemon"
        av_pid_alive "${T1%% *}" || av_fail "t1 died with the daemon"
        grep -q 'SIGUSR2: exiting, leaving 2 agents running' "$T/daemon.log" || av_fail "the daemon did not detach"
        ! grep -q 'stopping every agent' "$T/daemon.log" || av_fail "the daemon took SIGUSR2 for a stop"
        av_start
        [[ $(identity k1) == "$K1" ]] || av_fail "k1 was '$K1', taken over as '$(identity k1)'"
        [[ $(identity t1) == "$T1" ]] || av_fail "t1 was '$T1', taken over as '$(identity t1)'"
        [[ $(av_count_lines "$T/out/keeper-starts") == 1 ]] || av_fail "k1 started more than once"
}

@test "SIGUSR2 during systemd's stop job (systemctl stop): every agent stopped, reason shutdown, no cgroup left" {
        local pid cgs state
        fake_systemd stop
        av_start
        start_agents
        av_monitor_start
        cgs="$(av_prop k1 ControlGroup) $(av_prop t1 ControlGroup)"
        state="$AV_RUN/$AV_CG/state"
        [[ -n $(ls "$state") ]] || av_fail "no state files in $state before the stop"
        pid=$AV_DAEMON_PID

        sigusr2
        asked_for_daemon "$pid"
        grep -q "SIGUSR2: systemd's job 7 for this unit is a stop job: stopping every agent" "$T/daemon.log" ||
                av_fail "no stop line in daemon.log"
        ! grep -q 'SIGUSR2: exiting, leaving' "$T/daemon.log" || av_fail "the daemon detached on a stop job"
        av_monitor_wait "AgentExited \('k1', objectpath '[^']+', 'shutdown'"
        av_monitor_wait "AgentExited \('t1', objectpath '[^']+', 'shutdown'"
        ! av_pid_alive "${K1%% *}" || av_fail "k1 (pid ${K1%% *}) outlived the daemon"
        ! av_pid_alive "${T1%% *}" || av_fail "t1 (pid ${T1%% *}) outlived the daemon"
        [[ -z $(av_marked_pids) ]] || av_fail "agent processes left: $(av_marked_pids)"
        for cg in $cgs; do
                av_assert_cgroup_gone "$cg"
        done
        [[ -z $(av_find_cgroups) ]] || av_fail "cgroups left: $(av_find_cgroups)"
        [[ ! -e $state ]] || av_fail "a stop left the state in $state"
}

@test "SIGUSR2 during systemd's restart job (systemctl restart): the agents stay and the next daemon re-adopts them" {
        local pid
        fake_systemd restart
        av_start
        start_agents
        pid=$AV_DAEMON_PID
        sigusr2
        asked_for_daemon "$pid"
        grep -q "SIGUSR2: systemd's job for this unit is \"restart\", not \"stop\": keeping the agents" "$T/daemon.log" ||
                av_fail "no restart line in daemon.log"
        assert_kept
}

@test "SIGUSR2 with a stop job reported by a peer that is not root: not systemd, the agents stay" {
        fake_systemd stop av_as_nobody
        av_start
        start_agents
        sigusr2
        grep -q "SIGUSR2: the stop job was reported by :[0-9.]*, uid [0-9]*, not root: not systemd, keeping the agents" \
                "$T/daemon.log" || av_fail "no 'not root' line in daemon.log: $(grep SIGUSR2 "$T/daemon.log")"
        assert_kept
}

@test "SIGUSR2 with no job for the unit (systemctl kill -s USR2): the agents stay" {
        fake_systemd none
        av_start
        start_agents
        sigusr2
        grep -q 'SIGUSR2: systemd has no job for this unit' "$T/daemon.log" || av_fail "no 'no job' line in daemon.log"
        assert_kept
}

@test "SIGUSR2 without systemd on the bus: the agents stay, as before" {
        av_start
        start_agents
        sigusr2
        grep -q "SIGUSR2: cannot ask systemd for the daemon's unit (org.freedesktop.DBus.Error.ServiceUnknown" \
                "$T/daemon.log" || av_fail "no 'cannot ask systemd' line in daemon.log"
        assert_kept
}

@test "SIGUSR2 when systemd does not answer: the agents stay, after about 1 s, and the loop kept running meanwhile" {
        local t0 elapsed
        fake_systemd hang
        av_start
        start_agents
        t0=$(av_now_ms)
        kill -USR2 "$AV_DAEMON_PID"
        av_wait_until 5 "the daemon to ask the fake systemd" grep -q GetUnitByPID "$T/fake.out"
        # The question pending, the daemon still answers on its bus.
        [[ $(av_prop k1 State) == running ]] || av_fail "the daemon did not answer while its question was pending"
        av_wait_until 10 "the daemon to exit after SIGUSR2" no_daemon "$AV_DAEMON_PID"
        elapsed=$(($(av_now_ms) - t0))
        wait "$AV_DAEMON_PID" || av_fail "the daemon exited with $? after SIGUSR2"
        AV_DAEMON_PID=
        [[ $elapsed -ge 900 && $elapsed -le 5000 ]] ||
                av_fail "the daemon gave up on systemd after $elapsed ms, expected about 1000"
        grep -q "SIGUSR2: cannot ask systemd for the daemon's unit (org.freedesktop.DBus.Error.NoReply" \
                "$T/daemon.log" || av_fail "no timeout line in daemon.log"
        assert_kept
}
