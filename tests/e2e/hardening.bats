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
        # 200: the rate limit's burst, all of which an agent may send at once.
        av_type flood <<EOF2
[Agent]
Exec=$PROBE status-flood 200 --marker $AV_TOKEN
EOF2
        av_start
        av_monitor_start
        av_start_agent flood f1
        av_wait_prop f1 StatusText 'flood 200' 15
        [[ $(av_prop f1 StatusErrno) == 200 ]] || av_fail "StatusErrno is $(av_prop f1 StatusErrno), not 200"
        # The last values are signalled too, at most 250 ms later.
        av_monitor_wait "'StatusText': <'flood 200'>" 5
        av_monitor_wait "'StatusErrno': <200>" 5
        texts=$(av_monitor_count "'StatusText': <'flood ")
        errnos=$(av_monitor_count "'StatusErrno': <")
        echo "200 STATUS=/ERRNO= pairs: $texts StatusText and $errnos StatusErrno changes signalled"
        [[ $texts -le 12 ]] || av_fail "$texts PropertiesChanged for StatusText for 200 STATUS= lines"
        [[ $errnos -le 12 ]] || av_fail "$errnos PropertiesChanged for StatusErrno for 200 ERRNO= lines"
        last=$(grep -oE "'StatusText': <'flood [0-9]+'>" "$AV_MON" | tail -n 1)
        [[ $last == "'StatusText': <'flood 200'>" ]] || av_fail "the last StatusText signalled is $last"
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

@test "names taken by another user before the daemon starts do not keep it from starting" {
        local own cg sock old_abstract
        own=$(sed -n 's/^0:://p' /proc/self/cgroup)
        [[ $own == / ]] && own=
        # The old abstract name, and whatever nobody can make at the new one.
        old_abstract="agentvisor$own/$AV_CG"
        av_as_nobody /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + sys.argv[1])
open(sys.argv[2], "w").write("bound\n")
time.sleep(60)
' "$old_abstract" "$T/out/squatter" </dev/null >/dev/null 2>&1 3>&- &
        AV_BG_PIDS+=($!)
        av_wait_until 5 "nobody to bind @$old_abstract" grep -qx bound "$T/out/squatter"
        for path in "$AV_RUN" "$AV_RUN/$AV_CG" "$AV_RUN/$AV_CG/notify" "$AV_RUN/$AV_CG/lock"; do
                av_as_nobody mkdir -p "$path" 2>/dev/null || true
                av_as_nobody touch "$path" 2>/dev/null || true
        done

        av_type ready <<EOF2
[Agent]
Exec=$NOTIFY_AGENT ready
Type=notify
EOF2
        av_start
        sock=$(av_mprop NotifySocket)
        echo "NotifySocket: $sock"
        [[ $sock == "$AV_RUN/$AV_CG/notify" ]] || av_fail "NotifySocket is $sock, not $AV_RUN/$AV_CG/notify"
        [[ -S $sock && $(stat -c '%a %u' "$sock") == "666 0" ]] ||
                av_fail "the socket is not root's with mode 0666: $(stat -c '%F %a %u' "$sock")"
        [[ $(stat -c '%a %u' "$AV_RUN/$AV_CG") == "755 0" ]] ||
                av_fail "the instance directory is $(stat -c '%a %u' "$AV_RUN/$AV_CG")"

        # A notify agent running as nobody reaches it.
        av_start_agent ready r1
        av_wait_prop r1 State running 10

        av_stop_daemon
        [[ $AV_DAEMON_STATUS == 0 ]] || av_fail "agentvisord exited with $AV_DAEMON_STATUS"
        [[ ! -e $sock && ! -e $AV_RUN/$AV_CG/lock ]] ||
                av_fail "left behind after a clean exit: $(ls -la "$AV_RUN/$AV_CG" 2>&1)"
}

@test "a second daemon on the same ControlGroup is refused by the lock, naming the first" {
        av_start
        run timeout 20 "$AGENTVISORD" --config "$T/agentvisor.conf" --bus "$AV_BUS" </dev/null 3>&-
        echo "second daemon (status $status): $output"
        [[ $status != 0 && $status != 124 ]] || av_fail "the second daemon did not fail at once (status $status)"
        [[ $output == *"Another agentvisord (pid $AV_DAEMON_PID) already supervises ControlGroup=$AV_CG"*"$AV_RUN/$AV_CG/lock"* ]] ||
                av_fail "no clear error naming the running daemon"
        # The first one still has its socket.
        [[ -S $AV_RUN/$AV_CG/notify ]] || av_fail "the second daemon removed the first one's socket"
        assert_list_agents_answers
}

@test "a RuntimeDirectory= writable by others or owned by another user is refused" {
        mkdir -m 0777 "$T/open"
        av_config Daemon.RuntimeDirectory="$T/open"
        run timeout 20 "$AGENTVISORD" --config "$T/agentvisor.conf" --bus "$AV_BUS" </dev/null 3>&-
        echo "$output"
        [[ $status != 0 && $output == *"Runtime directory $T/open is writable by others"* ]] ||
                av_fail "a world-writable RuntimeDirectory was used (status $status)"
        mkdir -m 0755 "$T/theirs"
        chown "$AV_NOBODY_UID" "$T/theirs"
        av_config Daemon.RuntimeDirectory="$T/theirs"
        run timeout 20 "$AGENTVISORD" --config "$T/agentvisor.conf" --bus "$AV_BUS" </dev/null 3>&-
        echo "$output"
        [[ $status != 0 && $output == *"Runtime directory $T/theirs is owned by uid $AV_NOBODY_UID"* ]] ||
                av_fail "a RuntimeDirectory owned by nobody was used (status $status)"
        av_config Daemon.RuntimeDirectory=run
        run timeout 20 "$AGENTVISORD" --config "$T/agentvisor.conf" --bus "$AV_BUS" </dev/null 3>&-
        echo "$output"
        [[ $status != 0 && $output == *"RuntimeDirectory=run is not an absolute path"* ]] ||
                av_fail "a relative RuntimeDirectory was taken (status $status)"
}

@test "STATUS= with invalid UTF-8 and control characters leaves the bus and agentctl working" {
        av_type badstatus <<EOF2
[Agent]
Exec=$PROBE notify-send 'STATUS=bad\\xff\\xc3(\\x1b[31mred\\xed\\xa0\\x80end' --marker $AV_TOKEN
EOF2
        av_start
        av_start_agent badstatus b1
        av_wait_prop b1 StatusText 'bad.*end' 10
        text=$(av_prop b1 StatusText)
        echo "StatusText: $text"
        [[ $text == 'bad\xff\xc3(\x1b[31mred\xed\xa0\x80end' ]] || av_fail "StatusText is not escaped: $text"
        out=$(av_busctl --timeout=5 -- call org.agentvisor1 /org/agentvisor1 org.freedesktop.DBus.ObjectManager \
                GetManagedObjects 2>&1) || av_fail "GetManagedObjects failed: $out"
        [[ $out == *'bad\\xff'* || $out == *'bad\xff'* ]] || av_fail "GetManagedObjects lacks the agent's status: $out"
        out=$("$AGENTCTL" status b1 2>&1) || av_fail "agentctl status failed: $out"
        echo "$out"
        [[ $out == *'bad\xff'* ]] || av_fail "agentctl status does not show the escaped status"
        assert_list_agents_answers b1
}

@test "a shell agent's systemd-notify --ready --no-block counts, though systemd-notify was reaped first" {
        command -v systemd-notify >/dev/null || skip "no systemd-notify"
        cat >"$T/bin/notify.sh" <<EOF2
#!/bin/sh
while [ ! -e "$T/out/go" ]; do sleep 0.05; done
systemd-notify --ready --no-block --status=ready-from-script
echo "sent \$?" >"$T/out/sent"
exec "$PROBE" sleep --marker $AV_TOKEN
EOF2
        chmod 755 "$T/bin/notify.sh"
        av_type script <<EOF2
[Agent]
Exec=$T/bin/notify.sh
Type=notify
TimeoutStartSec=30
EOF2
        av_start
        av_start_agent script s1
        av_wait_prop s1 State starting 10
        # Held still until systemd-notify has sent, ended and been reaped by
        # the shell: the daemon reads the message from a sender long gone.
        kill -STOP "$AV_DAEMON_PID"
        touch "$T/out/go"
        av_wait_until 10 "systemd-notify to send" test -s "$T/out/sent" || { kill -CONT "$AV_DAEMON_PID"; return 1; }
        kill -CONT "$AV_DAEMON_PID"
        cat "$T/out/sent"
        grep -qx 'sent 0' "$T/out/sent" || av_fail "systemd-notify failed: $(cat "$T/out/sent")"
        av_wait_prop s1 State running 5
        [[ $(av_prop s1 StatusText) == ready-from-script ]] || av_fail "StatusText is $(av_prop s1 StatusText)"
}

@test "an agent flooding notify messages from 16 processes is rate-limited, and the daemon keeps answering" {
        av_type flooder <<EOF2
[Agent]
Exec=$PROBE notify-flood 16 6 --marker $AV_TOKEN
EOF2
        av_type watched <<EOF2
[Agent]
Exec=$NOTIFY_AGENT ready
Type=notify
WatchdogSec=1
EOF2
        av_start
        av_start_agent watched w1
        av_wait_prop w1 State running 10
        dropped=$(av_mprop NotifyMessagesDropped)
        av_start_agent flooder f1
        sleep 1
        cpu0=$(awk '{ print $14 + $15 }' "/proc/$AV_DAEMON_PID/stat")
        sleep 2
        cpu1=$(awk '{ print $14 + $15 }' "/proc/$AV_DAEMON_PID/stat")
        assert_list_agents_answers f1
        now=$(av_mprop NotifyMessagesDropped)
        cpu=$(( (cpu1 - cpu0) * 100 / $(getconf CLK_TCK) / 2 ))
        echo "NotifyMessagesDropped: $dropped before, $now 3 s into the flood; the daemon used $cpu% of a CPU meanwhile"
        [[ $((now - dropped)) -gt 1000 ]] || av_fail "only $((now - dropped)) messages dropped by the rate limit"
        # Reading and dropping is paced too (it took 55-80% of a CPU before).
        [[ $cpu -le 35 ]] || av_fail "the daemon used $cpu% of a CPU during the flood"
        grep -q 'f1.*sends more than 100 notify messages a second' "$T/daemon.log" ||
                av_fail "no log line about the rate limit"
        lines=$(grep -c 'sends more than 100 notify messages a second' "$T/daemon.log")
        [[ $lines -le 2 ]] || av_fail "$lines log lines about the rate limit in 3 s"
        # A neighbour's messages still get through: its watchdog is fed.
        sleep 4
        [[ $(av_prop w1 State) == running && $(av_prop w1 RestartCount) == 0 ]] ||
                av_fail "the watched agent did not survive the flood: $(grep w1 "$T/daemon.log" | tail -n 5)"
}

@test "without SO_PASSRIGHTS, an agent flooding fds does not starve a neighbour's watchdog" {
        # As on a host with systemd (sysctl net.unix.max_dgram_qlen=512), in
        # a network namespace of the daemon's own, so the host's stays.
        cat >"$T/bin/netns-daemon" <<EOF2
#!/bin/sh
exec unshare -n sh -c 'echo 512 >/proc/sys/net/unix/max_dgram_qlen && exec "\$0" "\$@"' "$AGENTVISORD" "\$@"
EOF2
        chmod 755 "$T/bin/netns-daemon"
        av_type watched <<EOF2
[Agent]
Exec=$NOTIFY_AGENT ready
Type=notify
WatchdogSec=1
EOF2
        # Enough NOFILE that the kernel lets it keep the queue full of fds.
        av_type fdflood <<EOF2
[Agent]
Exec=$PROBE fd-flood 8 12 --marker $AV_TOKEN
LimitNOFILE=16384
EOF2
        AGENTVISORD_TEST_ACCEPT_FDS=1 AGENTVISORD=$T/bin/netns-daemon av_start
        grep -q 'AGENTVISORD_TEST_ACCEPT_FDS=1' "$T/daemon.log" || av_fail "the daemon did not take the test switch"
        av_start_agent watched w1
        av_wait_prop w1 State running 10
        devnull_fds() {
                ls -l "/proc/$AV_DAEMON_PID/fd" | grep -c /dev/null
        }
        before=$(devnull_fds)
        av_start_agent fdflood x1
        av_wait_until 10 "the closer to start" grep -q 'a helper thread closes them' "$T/daemon.log"
        sleep 10
        echo "w1: State $(av_prop w1 State), RestartCount $(av_prop w1 RestartCount), ExitReason $(av_prop w1 ExitReason)"
        [[ $(av_prop w1 State) == running && $(av_prop w1 RestartCount) == 0 ]] ||
                av_fail "the watched agent did not survive the flood: $(grep w1 "$T/daemon.log" | tail -n 5)"
        assert_list_agents_answers w1
        # The daemon holds none of the flooder's fds once it stops.
        av_call StopAgent s x1
        av_wait_prop x1 State 'exited|failed' 10
        av_wait_until 5 "the daemon to close every passed fd" bash -c \
                '[[ $(ls -l /proc/$1/fd | grep -c /dev/null) -le $2 ]]' _ "$AV_DAEMON_PID" "$before" ||
                av_fail "the daemon holds $(devnull_fds) fds of /dev/null, $before before the flood"
}
