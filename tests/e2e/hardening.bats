#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile agents and callers (issue 11): an fd whose last close() blocks for
# an hour, passed to the notify socket or attached to a bus call, must not
# stall the daemon; a flood of STATUS= must not flood the bus.

load helpers

BATS_TEST_TIMEOUT=90

setup() {
        av_setup
        av_config Supervisor.AgentTimeoutSec=2
}

teardown() {
        [[ -n ${AV_DAEMON_PID:-} ]] && kill -CONT "$AV_DAEMON_PID" 2>/dev/null
        av_teardown
}

# ListAgents must answer within a second; prints the time it took.
assert_list_agents_answers() {
        local t0 elapsed out
        t0=$(av_now_ms)
        out=$(av_busctl --timeout=1 -- call org.agentvisor1 /org/agentvisor1 org.agentvisor1.Manager ListAgents 2>&1) ||
                av_fail "ListAgents did not answer within 1 s: $out" || return 1
        elapsed=$(($(av_now_ms) - t0))
        echo "ListAgents answered in ${elapsed} ms"
        [[ $elapsed -lt 1000 ]] || av_fail "ListAgents took ${elapsed} ms"
        [[ -z ${1:-} || $out == *"\"$1\""* ]] || av_fail "ListAgents does not list $1: $out"
}

# An agent property read that gives up after a second (av_prop would wait
# for busctl's 25 s default on a stalled daemon).
prop_quick() {
        local path
        path=$(av_busctl --timeout=1 --json=short -- call org.agentvisor1 /org/agentvisor1 org.agentvisor1.Manager \
                GetAgent s "$1" | jq -er '.data[0]') || return 1
        av_busctl --timeout=1 --json=short get-property org.agentvisor1 "$path" org.agentvisor1.Agent "$2" |
                jq -r '.data | tostring'
}

prop_quick_is() {
        [[ $(prop_quick "$1" "$2" 2>/dev/null) == "$3" ]]
}

# wait_deadline SEC DESCRIPTION CMD...: like av_wait_until, but bounded by
# the clock, for commands that may themselves take a second.
wait_deadline() {
        local sec=$1 what=$2 end
        end=$(($(av_now_ms) + sec * 1000))
        shift 2
        while [[ $(av_now_ms) -lt $end ]]; do
                "$@" && return 0
                sleep 0.05
        done
        av_fail "timed out after $sec s waiting for $what"
}

# Inodes of the TCP sockets (IPv4 and IPv6) the daemon has open.
daemon_tcp_sockets() {
        local link inode
        for link in /proc/"$AV_DAEMON_PID"/fd/*; do
                inode=$(readlink "$link" 2>/dev/null) || continue
                [[ $inode == socket:* ]] || continue
                inode=${inode#socket:[}
                inode=${inode%]}
                awk -v i="$inode" 'NR > 1 && $10 == i { found = 1 } END { exit !found }' \
                        /proc/net/tcp /proc/net/tcp6 && echo "$inode"
        done
        true
}

@test "a socket lingering for an hour, passed to the notify socket, stalls nothing" {
        av_type linger <<EOF
[Agent]
Exec=$PROBE linger-notify $T/out/linger --marker $AV_TOKEN
Restart=temporary
EOF
        av_start
        av_start_agent linger l1
        av_wait_until 10 "the agent to set up its lingering socket" grep -qx armed "$T/out/linger"

        # Held still while the agent sends and drops its copy, the daemon's
        # copy becomes the last one (an attacker arranges the same by timing).
        kill -STOP "$AV_DAEMON_PID"
        touch "$T/out/linger.go"
        av_wait_until 10 "the agent to pass its socket" grep -qE '^(sent|refused)' "$T/out/linger"
        kill -CONT "$AV_DAEMON_PID"
        echo "the agent's sendmsg(SCM_RIGHTS): $(cat "$T/out/linger")"

        # The agent's next message, sent after the fd, has been handled...
        wait_deadline 5 "StatusText linger-done (the daemon handling the messages after the fd)" \
                prop_quick_is l1 StatusText linger-done
        # ...and the daemon answers at once.
        assert_list_agents_answers l1
        av_wait_until 5 "the daemon to hold no TCP socket" test -z "$(daemon_tcp_sockets)"

        av_busctl --timeout=5 -- call org.agentvisor1 /org/agentvisor1 org.agentvisor1.Manager StopAgent s l1
        wait_deadline 10 "the agent to stop" prop_quick_is l1 State exited
        assert_list_agents_answers l1
}

@test "a bus call with an fd attached is refused by the bus, not by the daemon" {
        av_start
        # Any method will do: the bus refuses before the daemon sees it.
        run python3 "$BATS_TEST_DIRNAME/bus-fd-call.py" "$AV_BUS" reply
        echo "a call carrying an fd: $output"
        [[ $status == 0 && $output == "error "* ]] || av_fail "a call carrying an fd was not refused: $output"
        [[ $output != *org.freedesktop.DBus.Error.InvalidArgs* ]] ||
                av_fail "the daemon itself answered (it received the fd): $output"
        assert_list_agents_answers
}

@test "an fd attached to a bus call never reaches the daemon" {
        av_start
        # With the daemon held still, a call that no one waits for is either
        # queued for it with its fd, or refused by the bus at once. The write
        # end of a pipe tells which: the read end sees EOF only once every
        # copy of the write end is closed.
        kill -STOP "$AV_DAEMON_PID"
        run python3 "$BATS_TEST_DIRNAME/bus-fd-call.py" "$AV_BUS" pipe
        kill -CONT "$AV_DAEMON_PID"
        echo "the fd of a call to the stopped daemon: $output"
        [[ $status == 0 && $output == dropped ]] || av_fail "the fd was kept for the daemon: $output"
        assert_list_agents_answers
}

@test "under a service manager's watchdog the daemon sends WATCHDOG=1" {
        # A service manager's side: a notify socket that records what comes.
        python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
end = time.monotonic() + 20
with open(sys.argv[2], "a", buffering=1) as out:
    while time.monotonic() < end:
        try:
            out.write(s.recv(4096).decode().replace("\n", " ") + "\n")
        except socket.timeout:
            pass
' "$T/manager.sock" "$T/manager.log" </dev/null >/dev/null 2>&1 3>&- &
        AV_BG_PIDS+=($!)
        av_wait_until 5 "the notify socket to be bound" test -S "$T/manager.sock"

        # WATCHDOG_PID names the daemon itself, as systemd sets it.
        NOTIFY_SOCKET=$T/manager.sock WATCHDOG_USEC=400000 \
                bash -c 'WATCHDOG_PID=$$ exec "$@"' _ "$AGENTVISORD" --config "$T/agentvisor.conf" --bus "$AV_BUS" \
                </dev/null >>"$T/daemon.log" 2>&1 3>&- &
        AV_DAEMON_PID=$!
        av_wait_until 10 "READY=1 from the daemon" grep -q 'READY=1' "$T/manager.log"
        sleep 2
        pings=$(grep -c 'WATCHDOG=1' "$T/manager.log" || true)
        echo "WATCHDOG=1 messages in the first 2 s after READY=1: $pings (WatchdogSec=0.4s)"
        [[ $pings -ge 4 ]] || av_fail "only $pings WATCHDOG=1 in 2 s with WATCHDOG_USEC=400000:" "$(cat "$T/manager.log")"
        assert_list_agents_answers
}

@test "a flood of STATUS= and ERRNO= makes a few PropertiesChanged, and the last values stick" {
        av_type flood <<EOF2
[Agent]
Exec=$PROBE status-flood 1000 --marker $AV_TOKEN
EOF2
        av_start
        av_monitor_start
        av_start_agent flood f1
        av_wait_prop f1 StatusText 'flood 1000' 15
        [[ $(av_prop f1 StatusErrno) == 1000 ]] || av_fail "StatusErrno is $(av_prop f1 StatusErrno), not 1000"
        # The last values are signalled too, at most 250 ms later.
        av_monitor_wait "'StatusText': <'flood 1000'>" 5
        av_monitor_wait "'StatusErrno': <1000>" 5
        texts=$(av_monitor_count "'StatusText': <'flood ")
        errnos=$(av_monitor_count "'StatusErrno': <")
        echo "1000 STATUS=/ERRNO= pairs: $texts StatusText and $errnos StatusErrno changes signalled"
        [[ $texts -le 12 ]] || av_fail "$texts PropertiesChanged for StatusText for 1000 STATUS= lines"
        [[ $errnos -le 12 ]] || av_fail "$errnos PropertiesChanged for StatusErrno for 1000 ERRNO= lines"
        last=$(grep -oE "'StatusText': <'flood [0-9]+'>" "$AV_MON" | tail -n 1)
        [[ $last == "'StatusText': <'flood 1000'>" ]] || av_fail "the last StatusText signalled is $last"
}

@test "a notify message is not credited to the process that reuses its sender's pid" {
        # Before Linux 6.5 (no SO_PASSPIDFD) the daemon can only trust the pid.
        local kv
        kv=$(uname -r)
        [[ ${kv%%.*} -gt 6 || (${kv%%.*} -eq 6 && $(cut -d. -f2 <<<"$kv" | tr -dc 0-9) -ge 5) ]] ||
                skip "SO_PASSPIDFD needs Linux 6.5, this is $kv"
        av_type sleeper <<EOF2
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
EOF2
        av_start
        av_start_agent sleeper s1
        av_wait_prop s1 State running
        cgdir=$(av_cgroup_dir s1)
        sock=$(av_mprop NotifySocket)
        dropped=$(av_mprop NotifyMessagesDropped)

        # With the daemon held still: an outsider sends STATUS=forged and is
        # reaped; its pid goes (ns_last_pid) to a process that then joins the
        # agent's cgroup. By pid and /proc alone, the message is the agent's.
        cat >"$T/reuse.py" <<'PY'
import os, signal, socket, sys, time
sock, cgdir, tmp = sys.argv[1:]
sender = os.fork()
if sender == 0:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(b"STATUS=forged", sock)
    os._exit(0)
os.waitpid(sender, 0)
reuser = None
for _ in range(100):  # other processes on the host may take the pid first
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(sender - 1))
    child = os.fork()
    if child == 0:
        if os.getpid() == sender:
            time.sleep(60)
        os._exit(0)
    if child == sender:
        reuser = child
        break
    os.waitpid(child, 0)
if reuser is None:
    print("no-reuse: pid", sender, "was taken by another process")
    sys.exit(0)
with open(cgdir + "/cgroup.procs", "w") as f:
    f.write(str(reuser))
print("reused", reuser, flush=True)
for _ in range(300):
    if os.path.exists(tmp + "/reuse.done"):
        break
    time.sleep(0.1)
os.kill(reuser, signal.SIGKILL)
os.waitpid(reuser, 0)
PY
        kill -STOP "$AV_DAEMON_PID"
        python3 "$T/reuse.py" "$sock" "$cgdir" "$T" </dev/null >"$T/reuse.log" 2>&1 3>&- &
        AV_BG_PIDS+=($!)
        av_wait_until 10 "the sender's pid to be reused" grep -qE '^(reused|no-reuse)' "$T/reuse.log" ||
                { kill -CONT "$AV_DAEMON_PID"; cat "$T/reuse.log"; return 1; }
        kill -CONT "$AV_DAEMON_PID"
        cat "$T/reuse.log"
        grep -q '^reused' "$T/reuse.log" || skip "could not reuse the pid: $(cat "$T/reuse.log")"

        handled() {
                [[ $(av_mprop NotifyMessagesDropped) -gt $dropped || $(av_prop s1 StatusText) == forged ]]
        }
        av_wait_until 5 "the daemon to handle the message" handled
        touch "$T/reuse.done"
        [[ $(av_prop s1 StatusText) != forged ]] ||
                av_fail "the agent s1 was credited with the message of a process that had been reaped"
        [[ $(av_mprop NotifyMessagesDropped) -eq $((dropped + 1)) ]] ||
                av_fail "NotifyMessagesDropped is $(av_mprop NotifyMessagesDropped), expected $((dropped + 1))"
}
