#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Policy violations (issue 14): a `report` rule is answered by the daemon
# with the rule's action, one PolicyViolation signal per violation up to 10
# per agent per second, every one counted in PolicyViolations; a `kill
# report` rule ends the agent as seccomp/31; learn mode writes a policy the
# same program then runs under without a violation.

load helpers

BATS_TEST_TIMEOUT=120

setup() {
        av_setup
        mkdir -p "$T/policies"
        chmod 755 "$T/policies"
        av_config Supervisor.AgentTimeoutSec=2 "Daemon.PolicyPath=$T/policies:$POLICY_DIR"
        cat >"$T/policies/rep.policy" <<'EOF'
include default
deny ptrace errno EACCES report
deny bpf kill report
EOF
        av_start
}

teardown() {
        av_teardown
}

# The value of an Agent property through agentctl-free busctl.
violations() {
        av_prop "$1" PolicyViolations
}

@test "a report rule answers with its errno and sends one PolicyViolation" {
        av_monitor_start
        av_run v1 Policy s rep -- "$SYSCALL_PROBE" --out "$T/out/v1.txt" ptrace >/dev/null
        av_wait_prop v1 State 'exited|failed' 10
        [[ $(cat "$T/out/v1.txt") == "ptrace: errno=EACCES" ]]
        [[ $(av_prop v1 ExitReason) == exited ]]
        [[ $(violations v1) == 1 ]]
        av_monitor_wait 'PolicyViolation \(.v1., objectpath .*, .ptrace., \[uint64 3, .*\], .errno EACCES.\)'
        sleep 0.5
        [[ $(av_monitor_count 'Manager\.PolicyViolation \(') == 1 ]]
        # The last few, with the syscall's arguments (PTRACE_PEEKUSER = 3).
        av_prop v1 LastPolicyViolations | jq -e '.[0][1] == "ptrace" and .[0][2][0] == 3 and .[0][3] == "errno EACCES"'
}

@test "500 violations are all counted, the bus gets at most 10 a second, ListAgents keeps answering" {
        local start end n
        av_monitor_start
        av_run v500 Policy s rep -- "$SYSCALL_PROBE" --out "$T/out/v500.txt" --repeat 500 ptrace >/dev/null
        # While it runs, the daemon still answers at once.
        for _ in 1 2 3 4 5; do
                start=$(av_now_ms)
                av_call ListAgents >/dev/null
                end=$(av_now_ms)
                echo "ListAgents took $((end - start)) ms"
        done
        av_wait_prop v500 State 'exited|failed' 20
        [[ $(cat "$T/out/v500.txt") == "ptrace: errno=EACCES" ]]
        [[ $(violations v500) == 500 ]]
        sleep 0.5
        n=$(av_monitor_count 'Manager\.PolicyViolation \(')
        echo "signals: $n"
        # 500 within a few seconds: 10 per started second at most.
        ((n >= 10 && n <= 10 * ($(av_prop v500 ExitRuntimeUSec) / 1000000 + 2)))
        [[ $(av_prop v500 LastPolicyViolations | jq length) == 8 ]]
}

@test "a kill report rule ends the agent as seccomp/31" {
        av_monitor_start
        av_run vk Policy s rep -- "$SYSCALL_PROBE" --out "$T/out/vk.txt" bpf >/dev/null
        av_wait_prop vk State 'exited|failed' 10
        [[ ! -s $T/out/vk.txt ]]
        [[ $(av_prop vk ExitReason) == seccomp ]]
        [[ $(av_prop vk ExitStatus) == 31 ]]
        [[ $(av_prop vk ExitKilledBy) == policy ]]
        av_monitor_wait "PolicyViolation \(.vk., objectpath .*, .bpf., .*, .kill.\)"
}

@test "the shipped default policy reports what it refuses from @privileged and @debug" {
        av_run vd -- "$SYSCALL_PROBE" --out "$T/out/vd.txt" mount >/dev/null
        av_wait_prop vd State 'exited|failed' 10
        [[ $(cat "$T/out/vd.txt") == "mount: errno=EPERM" ]]
        [[ $(violations vd) == 1 ]]
        av_run vp -- "$SYSCALL_PROBE" --out "$T/out/vp.txt" ptrace >/dev/null
        av_wait_prop vp State 'exited|failed' 10
        [[ $(cat "$T/out/vp.txt") == "ptrace: errno=EPERM" ]]
        [[ $(violations vp) == 1 ]]
        # What it allows is not a violation.
        av_run vf -- "$SYSCALL_PROBE" --out "$T/out/vf.txt" file-io >/dev/null
        av_wait_prop vf State 'exited|failed' 10
        [[ $(cat "$T/out/vf.txt") == "file-io: ok" ]]
        [[ $(violations vf) == 0 ]]
}

@test "agentctl status shows the count and the last ones, agentctl monitor each signal" {
        "$AGENTCTL" --address "$AV_BUS" monitor >"$T/monitor.out" 2>"$T/monitor.err" &
        AV_BG_PIDS+=($!)
        av_wait_until 5 "agentctl monitor to subscribe" grep -q Monitoring "$T/monitor.err"
        av_run v3 Policy s rep -- "$SYSCALL_PROBE" --out "$T/out/v3.txt" --repeat 3 ptrace >/dev/null
        av_wait_prop v3 State 'exited|failed' 10
        run "$AGENTCTL" --address "$AV_BUS" status v3
        echo "$output"
        [[ $status == 0 ]]
        [[ $output == *"Violations: 3"* ]]
        [[ $(grep -cE 'ptrace\(0x3, 0x[0-9a-f]+, [^)]*\): errno EACCES' <<<"$output") == 3 ]]
        av_wait_until 5 "three PolicyViolation lines from agentctl monitor" \
                bash -c '(($(grep -c "PolicyViolation v3: ptrace(0x3, .*) refused: errno EACCES" "$1") == 3))' _ "$T/monitor.out"
}

# learn_and_rerun NAME CMD...: learns CMD's policy into $T/policies/NAME.policy,
# checks the file, runs CMD again under it and asserts no violation and the
# same exit.
learn_and_rerun() {
        local name=$1
        shift
        run "$AGENTCTL" --address "$AV_BUS" policy learn --output "$T/policies/$name.policy" -- "$@"
        echo "$output"
        [[ $status == 0 ]]
        cat "$T/policies/$name.policy"
        grep -q '^include base$' "$T/policies/$name.policy"
        grep -q '^default kill report$' "$T/policies/$name.policy"
        grep -qE '^allow [a-z0-9_]+.*# seen [0-9]+ times?$' "$T/policies/$name.policy"
        "$AGENTCTL" policy check --policy-path "$T/policies:$POLICY_DIR" "$T/policies/$name.policy"
        "$AGENTCTL" policy show --policy-path "$T/policies:$POLICY_DIR" "$T/policies/$name.policy" >/dev/null
        # The learning agent is gone.
        [[ $(av_call_json ListAgents | jq '.data[0] | length') == 0 ]]

        av_run "$name" Policy s "$name" -- "$@" >/dev/null
        av_wait_prop "$name" State 'exited|failed' 20
        [[ $(av_prop "$name" ExitReason) == exited ]]
        [[ $(av_prop "$name" ExitStatus) == 0 ]]
        [[ $(av_prop "$name" PolicyViolations) == 0 ]]
}

@test "learn mode: /bin/ls -l / learns a policy it then runs under with no violation" {
        learn_and_rerun learned-ls /bin/ls -l /
        # The same listing (names only: the times of /tmp and /run move).
        diff <(awk '{print $NF}' "$T/log/learned-ls.log") \
                <(awk '{print $NF}' "$T"/log/policy-learn-*.log)
}

@test "learn mode: python3 learns a policy it then runs under with no violation" {
        [[ -x /usr/bin/python3 ]] || skip "no /usr/bin/python3"
        learn_and_rerun learned-py /usr/bin/python3 -c 'import json, os, socket, threading
s = socket.socketpair()
t = threading.Thread(target=lambda: s[1].send(b"x"))
t.start(); t.join()
print(json.dumps({"got": s[0].recv(1).decode(), "root": len(os.listdir("/"))}))'
        grep -q '"got": "x"' "$T/log/learned-py.log"
        grep -q '^allow socketpair if arg0 == 0x1 ' "$T/policies/learned-py.policy"
}

@test "fds in flight from the agents' uid do not keep a reporting agent from starting" {
        # A process of the agents' user (nobody) holds 2000 fds in flight in
        # a socket it never reads: SCM_RIGHTS from nobody would now fail
        # with ETOOMANYREFS. The listener must reach the daemon anyway.
        av_as_nobody timeout 60 /usr/bin/python3 -c '
import os, socket, sys, time
a, b = socket.socketpair()
fd = os.open("/dev/null", os.O_RDONLY)
n = 0
while n < 2000:
    socket.send_fds(a, [b"x"], [fd] * 250)
    n += 250
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(n))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(50)
' "$T/out/inflight" </dev/null >/dev/null 2>&1 3>&- &
        AV_BG_PIDS+=($!)
        av_wait_until 10 "2000 fds in flight" test -s "$T/out/inflight"
        av_run vfl -- "$SYSCALL_PROBE" --out "$T/out/vfl.txt" ptrace >/dev/null
        av_wait_prop vfl State 'exited|failed' 10
        [[ $(av_prop vfl ExitReason) == exited ]]
        [[ $(cat "$T/out/vfl.txt") == "ptrace: errno=EPERM" ]]
        [[ $(av_prop vfl PolicyViolations) == 1 ]]
}
