#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The spawn path against a hostile agent and a restricted daemon (the
# second security review): an agent that SIGSTOPs its own health check's
# child before exec cannot hang the daemon (spawn()'s bounded wait), and a
# daemon without CAP_SYS_PTRACE still starts reporting agents, enforcing
# every rule, only not reporting (pidfd_getfd probed at start).

load helpers

BATS_TEST_TIMEOUT=150

# A uid no user database entry has, only for this file's dynamic user. The
# agent that sends kill(-1) runs as it in a PID namespace of its own, so
# nothing outside its namespace (another test session's agents) is reached.
ONE_UID=64990

setup() {
        av_setup
}

teardown() {
        av_teardown
}

# ListAgents answered, N times, 0.5 s apart, each within 2 s: spawn() kills
# a child found stopped at 5 checks ~50 ms apart (and waits 5 s at most for
# any child); a daemon held by CLONE_VFORK never answered again.
list_agents_answers() {
        local n=$1 i start end
        for ((i = 0; i < n; i++)); do
                start=$(av_now_ms)
                busctl --address="$AV_BUS" --timeout=10 -- call org.agentvisor1 /org/agentvisor1 \
                        org.agentvisor1.Manager ListAgents >/dev/null ||
                        av_fail "ListAgents got no answer within 10 s (call $i): the daemon hangs" || return 1
                end=$(av_now_ms)
                echo "ListAgents took $((end - start)) ms"
                ((end - start < 2000)) || av_fail "ListAgents took $((end - start)) ms" || return 1
                sleep 0.5
        done
}

@test "an agent SIGSTOPping its health check's child before exec does not hang the daemon" {
        getent passwd $ONE_UID >/dev/null && skip "uid $ONE_UID is in the user database"
        local hostns
        hostns=$(readlink /proc/self/ns/pid)
        av_config Daemon.DefaultUser=dynamic Daemon.DynamicUserRange=$ONE_UID-$ONE_UID Supervisor.AgentTimeoutSec=2
        # The health check joins the agent's PID namespace and runs as its
        # uid: from its setresuid to its exec (some microseconds), kill(-1)
        # from the agent reaches it. Before its loop the agent checks that
        # it is in a namespace of its own (exit 9) showing only its init and
        # itself (exit 8): kill(-1) must reach nothing of the host. The loop
        # (python: a shell's is too slow to hit that window) is bounded.
        cat >"$T/bin/stopper.py" <<EOF
import os, signal, sys, time
if os.readlink("/proc/self/ns/pid") == "$hostns":
    sys.exit(9)
if len([d for d in os.listdir("/proc") if d.isdigit()]) > 3:
    sys.exit(8)
end = time.monotonic() + 60
while time.monotonic() < end:
    for _ in range(1000):
        try:
            os.kill(-1, signal.SIGSTOP)
        except OSError:
            pass
EOF
        chmod 644 "$T/bin/stopper.py"
        av_type stopper <<EOF
[Agent]
Exec=/usr/bin/python3 $T/bin/stopper.py
Sandbox=none
PrivatePIDs=yes
HealthCheck=/bin/true
HealthCheckIntervalSec=200ms
HealthCheckTimeoutSec=1
HealthCheckFailures=1000
Restart=temporary
EOF
        av_start
        av_start_agent stopper s1
        av_wait_prop s1 State running
        [[ $(stat -c %u "/proc/$(av_prop s1 MainPID)") == "$ONE_UID" ]] || av_fail "the agent does not run as $ONE_UID"
        # Health checks every 200 ms, each child a target while the daemon
        # waits for its exec.
        list_agents_answers 10
        [[ $(av_prop s1 State) == running ]] || av_fail "the agent ended: $(av_prop s1 ExitReason)"
        # The loop did reach the checks (else this test proves nothing): a
        # check stopped after its exec times out; one kept stopped before it
        # fails the spawn.
        grep -qE "s1: health check failed \((timed out|spawn child stopped/stuck before exec)" "$T/daemon.log" ||
                av_fail "the agent's kill(-1) never reached a health check: $(grep s1 "$T/daemon.log")"
        # A stop still works, and teardown's SIGTERM ends the daemon.
        av_call StopAgent s s1
        av_wait_prop s1 State 'exited|failed' 10
}

# AGENTVISORD wrapped so that the daemon runs without CAP_SYS_PTRACE in
# its bounding set (so in none of its sets after the exec), as under a unit
# that lacks it.
without_ptrace() {
        local real=$AGENTVISORD
        command -v setpriv >/dev/null || skip "setpriv is missing"
        cat >"$T/bin/agentvisord-noptrace" <<EOF
#!/bin/sh
exec setpriv --bounding-set -sys_ptrace -- "$real" "\$@"
EOF
        chmod 755 "$T/bin/agentvisord-noptrace"
        AGENTVISORD=$T/bin/agentvisord-noptrace
}

report_policy() {
        mkdir -p "$T/policies"
        chmod 755 "$T/policies"
        cat >"$T/policies/rep.policy" <<'EOF'
include default
deny ptrace errno EACCES report
EOF
        av_config Supervisor.AgentTimeoutSec=2 "Daemon.PolicyPath=$T/policies:$POLICY_DIR"
}

@test "without CAP_SYS_PTRACE a reporting agent starts, its denied syscall gets its errno, reporting is disabled with a warning" {
        local capeff
        report_policy
        without_ptrace
        av_start
        capeff=$(awk '/^CapEff/ { print $2 }' "/proc/$AV_DAEMON_PID/status")
        if (((0x$capeff >> 19) & 1)); then
                av_fail "the daemon still has CAP_SYS_PTRACE (CapEff $capeff)"
        fi
        grep -q "reporting disabled: pidfd_getfd refused (" "$T/daemon.log" ||
                av_fail "no warning at start: $(grep -i report "$T/daemon.log")"
        [[ $(grep -c "reporting disabled" "$T/daemon.log") == 1 ]] || av_fail "the warning is not said once"
        av_mprop Features | jq -e 'index("seccomp-notify-handover") == null' >/dev/null ||
                av_fail "Features still lists seccomp-notify-handover: $(av_mprop Features)"

        av_run v1 Policy s rep -- "$SYSCALL_PROBE" --out "$T/out/v1.txt" ptrace >/dev/null
        av_wait_prop v1 State 'exited|failed' 10
        [[ $(av_prop v1 ExitReason) == exited ]] ||
                av_fail "ended with $(av_prop v1 ExitReason): $(grep v1 "$T/daemon.log")"
        [[ $(cat "$T/out/v1.txt") == "ptrace: errno=EACCES" ]] || av_fail "the probe saw: $(cat "$T/out/v1.txt")"
        [[ $(av_prop v1 PolicyViolations) == 0 ]] || av_fail "a violation counted without a listener"
}

@test "with CAP_SYS_PTRACE the hand-over is a Feature and the same agent is reported" {
        report_policy
        av_start
        av_mprop Features | jq -e 'index("seccomp-notify-handover") != null' >/dev/null ||
                av_fail "Features lacks seccomp-notify-handover: $(av_mprop Features)"
        ! grep -q "reporting disabled" "$T/daemon.log" || av_fail "reporting disabled with CAP_SYS_PTRACE"
        av_run v1 Policy s rep -- "$SYSCALL_PROBE" --out "$T/out/v1.txt" ptrace >/dev/null
        av_wait_prop v1 State 'exited|failed' 10
        [[ $(cat "$T/out/v1.txt") == "ptrace: errno=EACCES" ]]
        [[ $(av_prop v1 PolicyViolations) == 1 ]]
}
