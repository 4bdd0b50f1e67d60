#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Agent output (issue 11). Each test runs the daemon in a private mount
# namespace with a fresh tmpfs on /run. With a real systemd-journald started
# there, agent lines are read back with journalctl: the identifier is the
# agent's name, level prefixes are not honoured (an agent cannot log at
# emerg), and each invocation id is found through the daemon's record with
# AGENT_INVOCATION_ID= and through the first line of the invocation's stream,
# whose _STREAM_ID selects exactly that invocation's lines. Without journald, output goes to LogDirectory/NAME.log,
# which the daemon opens without following symbolic links and rotates to
# NAME.log.1 before it passes 16 MiB.

load helpers

BATS_TEST_TIMEOUT=120

JOURNALD=
for j in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do
        [[ -x $j ]] && JOURNALD=$j && break
done

setup() {
        av_setup
        NS_PID=
        JD_PID=
        # The namespace lives as long as this process (and what runs in it).
        unshare -m --propagation private sleep 110 </dev/null >/dev/null 2>&1 3>&- &
        NS_PID=$!
        av_wait_until 5 "unshare to enter a new mount namespace" \
                bash -c '[[ $(readlink /proc/$1/ns/mnt) != $(readlink /proc/self/ns/mnt) ]]' _ "$NS_PID" ||
                return 1
        # A fresh /run hides the host's journald (if any) from the daemon.
        ns mount -t tmpfs -o mode=0755 tmpfs /run || return 1
        ns mkdir -p /run/systemd/journal /run/systemd/journald.conf.d /run/log/journal || return 1

        # agentvisord runs in the namespace: av_start starts this wrapper,
        # which becomes the daemon (nsenter execs, it does not fork).
        cat >"$T/bin/agentvisord-ns" <<EOF
#!/bin/sh
exec nsenter -t $NS_PID -m -- "$AGENTVISORD" "\$@"
EOF
        chmod 755 "$T/bin/agentvisord-ns"
        AGENTVISORD=$T/bin/agentvisord-ns

        cat >"$T/bin/talker" <<EOF
#!/bin/sh
echo "hello from pid \$\$"
echo "<0>not an emergency from pid \$\$"
echo "on stderr from pid \$\$" >&2
exec $PROBE sleep 0 --marker $AV_TOKEN
EOF
        chmod 755 "$T/bin/talker"
        av_config Supervisor.AgentTimeoutSec=2
        av_type talker <<EOF
[Agent]
Exec=$T/bin/talker
Restart=temporary
EOF
}

teardown() {
        local status=0
        av_teardown || status=1
        if [[ -n ${JD_PID:-} ]]; then
                kill -TERM "$JD_PID" 2>/dev/null
                wait "$JD_PID" 2>/dev/null
        fi
        if [[ -n ${NS_PID:-} ]]; then
                # Its last process gone, the namespace and its mounts go too.
                kill -TERM "$NS_PID" 2>/dev/null
                wait "$NS_PID" 2>/dev/null
        fi
        return $status
}

ns() {
        nsenter -t "$NS_PID" -m -- "$@"
}

start_journald() {
        [[ -n $JOURNALD ]] || skip "systemd-journald is not installed"
        # Volatile storage in the namespace's /run; nothing forwarded to the
        # host's syslog, console, kmsg or terminals; journald's own messages
        # to its stderr instead of the host's kmsg. Without the audit
        # capabilities it cannot switch the host's kernel auditing on or
        # off (journald 252 does one or the other at start).
        printf '%s\n' '[Journal]' Storage=volatile ReadKMsg=no ForwardToSyslog=no \
                ForwardToKMsg=no ForwardToConsole=no ForwardToWall=no RateLimitBurst=0 |
                ns tee /run/systemd/journald.conf.d/zz-avtest.conf >/dev/null
        ns setpriv --bounding-set=-audit_control,-audit_write,-audit_read \
                env -u NOTIFY_SOCKET SYSTEMD_LOG_TARGET=console "$JOURNALD" \
                </dev/null >"$T/journald.log" 2>&1 3>&- &
        JD_PID=$!
        av_wait_until 10 "systemd-journald's stdout socket in the test's namespace" \
                test -S "/proc/$NS_PID/root/run/systemd/journal/stdout" || {
                cat "$T/journald.log" >&2
                return 1
        }
}

jctl() {
        ns journalctl -D /run/log/journal --no-pager -q "$@"
}

# The InvocationID property (ay) as journald writes ids: 32 hex digits.
invocation_hex() {
        av_prop "$1" InvocationID |
                jq -r 'map([(. / 16 | floor), (. % 16)] | map("0123456789abcdef"[.:. + 1]) | join("")) | join("")'
}

@test "agent output reaches a real journald with the agent's name as identifier" {
        start_journald
        av_start
        av_start_agent talker talker
        av_wait_prop talker State running
        pid=$(av_prop talker MainPID)
        av_wait_until 10 "the agent's lines in the journal under identifier talker" \
                bash -c '[[ $(nsenter -t $1 -m -- journalctl -D /run/log/journal --no-pager -q -t talker -o cat | wc -l) -ge 3 ]]' _ "$NS_PID" || {
                jctl -o short 2>&1 | tail -n 20 >&2
                return 1
        }
        out=$(jctl -t talker -o cat)
        for line in "hello from pid $pid" "on stderr from pid $pid"; do
                grep -qxF "$line" <<<"$out" || av_fail "journal lines under 'talker' lack '$line':" "$out"
        done
        # The stream says which transport it came from: the agent's own
        # output, not the daemon relaying it.
        transports=$(jctl -t talker -o json | jq -r '._TRANSPORT' | sort -u)
        [[ $transports == stdout ]] || av_fail "transport of the agent's lines is '$transports', expected stdout"
}

@test "an agent cannot log at emerg: a '<0>' prefix stays text at priority info" {
        start_journald
        av_start
        av_start_agent talker talker
        av_wait_prop talker State running
        pid=$(av_prop talker MainPID)
        av_wait_until 10 "the '<0>' line in the journal" \
                bash -c 'nsenter -t $1 -m -- journalctl -D /run/log/journal --no-pager -q -t talker -o cat | grep -q "not an emergency"' _ "$NS_PID"
        entry=$(jctl -t talker -o json | jq -c 'select(.MESSAGE | tostring | test("not an emergency"))')
        msg=$(jq -r .MESSAGE <<<"$entry")
        prio=$(jq -r .PRIORITY <<<"$entry")
        [[ $msg == "<0>not an emergency from pid $pid" ]] ||
                av_fail "MESSAGE is '$msg': the level prefix was taken away, so it was honoured"
        [[ $prio == 6 ]] || av_fail "PRIORITY is '$prio', expected 6 (info): the agent chose its level"
        n=$(jctl -p 0..3 -t talker -o cat | wc -l)
        [[ $n == 0 ]] || av_fail "$n lines of the agent at priority err or above"
}

@test "each invocation id is in the journal, and selects exactly that invocation's lines" {
        start_journald
        av_start
        av_start_agent talker talker
        av_wait_prop talker State running
        pid1=$(av_prop talker MainPID)
        id1=$(invocation_hex talker)
        [[ $id1 =~ ^[0-9a-f]{32}$ ]] || av_fail "InvocationID as hex is '$id1'"
        av_wait_until 10 "the first invocation's lines" \
                bash -c 'nsenter -t $1 -m -- journalctl -D /run/log/journal --no-pager -q -t talker -o cat | grep -q "on stderr from pid $2"' _ "$NS_PID" "$pid1"

        av_call RestartAgent s talker
        av_wait_until 10 "a new main pid after RestartAgent" \
                bash -c '[[ $(busctl --address="$1" --json=short get-property org.agentvisor1 "$2" org.agentvisor1.Agent MainPID | jq -r .data) =~ ^[1-9][0-9]*$ && $(busctl --address="$1" --json=short get-property org.agentvisor1 "$2" org.agentvisor1.Agent MainPID | jq -r .data) != "$3" ]]' \
                _ "$AV_BUS" "$(av_agent_path talker)" "$pid1"
        av_wait_prop talker State running
        pid2=$(av_prop talker MainPID)
        id2=$(invocation_hex talker)
        [[ $id2 =~ ^[0-9a-f]{32}$ && $id2 != "$id1" ]] || av_fail "second InvocationID '$id2' (first '$id1')"
        av_wait_until 10 "the second invocation's lines" \
                bash -c 'nsenter -t $1 -m -- journalctl -D /run/log/journal --no-pager -q -t talker -o cat | grep -q "on stderr from pid $2"' _ "$NS_PID" "$pid2"

        for id in "$id1" "$id2"; do
                rec=$(jctl AGENT_INVOCATION_ID="$id" -o json)
                [[ $(jq -s length <<<"$rec") == 1 ]] || av_fail "expected one record with AGENT_INVOCATION_ID=$id, got:" "$rec"
                [[ $(jq -r .AGENT <<<"$rec") == talker ]] || av_fail "the record for $id has AGENT='$(jq -r .AGENT <<<"$rec")'"
        done
        # The stream's first line names the invocation; its _STREAM_ID
        # selects that invocation's lines and nothing else.
        for n in 1 2; do
                id=id$n pid=pid$n other=pid$((3 - n))
                line=$(jctl -t talker MESSAGE="agentvisor: invocation ${!id}" -o json)
                [[ $(jq -s length <<<"$line") == 1 ]] ||
                        av_fail "expected one line 'agentvisor: invocation ${!id}' under identifier talker, got:" "$line"
                stream=$(jq -r ._STREAM_ID <<<"$line")
                [[ $stream =~ ^[0-9a-f]{32}$ ]] || av_fail "_STREAM_ID of the invocation line is '$stream'"
                lines=$(jctl _STREAM_ID="$stream" -o cat)
                for want in "agentvisor: invocation ${!id}" "hello from pid ${!pid}" "on stderr from pid ${!pid}"; do
                        grep -qxF "$want" <<<"$lines" || av_fail "stream $stream of invocation ${!id} lacks '$want':" "$lines"
                done
                ! grep -q "pid ${!other}\$" <<<"$lines" ||
                        av_fail "stream $stream of invocation ${!id} has lines of pid ${!other}:" "$lines"
        done
}

@test "without journald, output goes to LogDirectory/NAME.log" {
        av_start
        av_start_agent talker talker
        av_wait_prop talker State running
        pid=$(av_prop talker MainPID)
        av_wait_until 10 "$T/log/talker.log to hold three lines" \
                bash -c '[[ $(wc -l <"$1" 2>/dev/null) -ge 3 ]]' _ "$T/log/talker.log"
        grep -qxF "<0>not an emergency from pid $pid" "$T/log/talker.log" ||
                av_fail "talker.log lacks the agent's line:" "$(cat "$T/log/talker.log")"
        mode=$(stat -c %f "$T/log/talker.log")
        [[ $((0x$mode & 0170000)) == $((0100000)) ]] || av_fail "talker.log is not a regular file (mode $mode)"
}

@test "without journald, an agent that writes nothing leaves no NAME.log; its first line makes it" {
        cat >"$T/bin/late" <<EOF
#!/bin/sh
while [ ! -e "$T/speak" ]; do sleep 0.05; done
echo "late line from pid \$\$"
exec $PROBE sleep 0 --marker $AV_TOKEN
EOF
        chmod 755 "$T/bin/late"
        av_type late <<EOF
[Agent]
Exec=$T/bin/late
Restart=temporary
EOF
        av_start
        av_start_agent late late
        av_wait_prop late State running
        pid=$(av_prop late MainPID)
        [[ $(readlink "/proc/$pid/fd/1") == pipe:* ]] || av_fail "late's fd 1 is not the daemon's pipe"
        sleep 0.3
        [[ ! -e $T/log/late.log ]] || av_fail "late.log exists before late wrote anything"
        : >"$T/speak"
        av_wait_until 10 "late's line in $T/log/late.log" grep -qxF "late line from pid $pid" "$T/log/late.log"
}

@test "the output file is not opened through a symbolic link" {
        : >"$T/target"
        ln -s "$T/target" "$T/log/talker.log"
        av_start
        av_start_agent talker talker
        av_wait_prop talker State running
        av_wait_until 5 "the daemon to refuse the symbolic link" \
                grep -q 'refusing talker.log.*symbolic link\|talker.log: it is a symbolic link' "$T/daemon.log" || {
                tail -n 20 "$T/daemon.log" >&2
                return 1
        }
        sleep 0.3
        [[ ! -s $T/target ]] || av_fail "the agent's output went through the link into $T/target:" "$(cat "$T/target")"
        [[ -L $T/log/talker.log ]] || av_fail "the link was replaced"
}

@test "the output file is rotated to NAME.log.1 before it passes 16 MiB, and the daemon says so" {
        cat >"$T/bin/chatter" <<EOF
#!/bin/sh
yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz | head -c 20000000
exec $PROBE sleep 0 --marker $AV_TOKEN
EOF
        chmod 755 "$T/bin/chatter"
        av_type chatter <<EOF
[Agent]
Exec=$T/bin/chatter
Restart=temporary
EOF
        av_start
        av_start_agent chatter chatter
        av_wait_until 30 "20000000 bytes of output in chatter.log and chatter.log.1" \
                bash -c '[[ $(( $(stat -c %s "$1" 2>/dev/null || echo 0) + $(stat -c %s "$1.1" 2>/dev/null || echo 0) )) -ge 20000000 ]]' \
                _ "$T/log/chatter.log" || {
                ls -l "$T/log" >&2
                return 1
        }
        max=$((16 * 1024 * 1024))
        cur=$(stat -c %s "$T/log/chatter.log")
        old=$(stat -c %s "$T/log/chatter.log.1")
        [[ $cur -le $max && $old -le $max ]] || av_fail "sizes $cur and $old: one passed $max"
        [[ $((cur + old)) == 20000000 ]] || av_fail "sizes $cur + $old != 20000000: output lost or doubled"
        grep -q 'output file chatter.log reached [0-9]* bytes: moved to chatter.log.1' "$T/daemon.log" ||
                av_fail "the daemon did not log the rotation:" "$(tail -n 20 "$T/daemon.log")"
}

@test "a FIFO in place of the output file neither stalls the daemon nor receives output" {
        mkfifo "$T/log/talker.log"
        av_start
        # Opening a FIFO for writing without a reader would block: the call
        # must come back, and the daemon keep answering.
        timeout 10 busctl --address="$AV_BUS" -- call org.agentvisor1 /org/agentvisor1 \
                org.agentvisor1.Manager StartAgent 'ssa{sv}' talker talker 0 >/dev/null ||
                av_fail "StartAgent did not return within 10 s with a FIFO as talker.log"
        av_wait_prop talker State running
        timeout 5 busctl --address="$AV_BUS" -- call org.agentvisor1 /org/agentvisor1 \
                org.agentvisor1.Manager ListAgents >/dev/null || av_fail "ListAgents did not answer within 5 s"
        grep -q 'talker.log: it is not a regular file' "$T/daemon.log" ||
                av_fail "the daemon did not say why it refused the FIFO:" "$(tail -n 20 "$T/daemon.log")"
        [[ -p $T/log/talker.log ]] || av_fail "the FIFO was replaced"
}

# StandardOutput=null (issue 16; the rest is in stdout.bats): no stream is
# opened, no record sent, even with journald there.
@test "StandardOutput=null opens no journal stream: no line and no record of the agent" {
        start_journald
        av_type quiet <<EOF2
[Agent]
Exec=$T/bin/talker
Restart=temporary
StandardOutput=null
EOF2
        av_start
        av_start_agent quiet quiet
        av_wait_prop quiet State running
        pid=$(av_prop quiet MainPID)
        av_wait_until 10 "quiet (pid $pid) to exec the probe after its lines" \
                bash -c '[[ $(readlink "/proc/$1/exe") == "$(readlink -f "$2")" ]]' _ "$pid" "$PROBE"
        for fd in 1 2; do
                [[ $(readlink "/proc/$pid/fd/$fd") == /dev/null ]] ||
                        av_fail "quiet's fd $fd is '$(readlink "/proc/$pid/fd/$fd")', expected /dev/null"
        done
        # A journal agent started after it: once its lines are in, journald
        # has had the time to take in the quiet one's, had there been any.
        av_start_agent talker talker
        av_wait_prop talker State running
        av_wait_until 10 "talker's lines in the journal" \
                bash -c 'nsenter -t $1 -m -- journalctl -D /run/log/journal --no-pager -q -t talker -o cat | grep -q "on stderr"' _ "$NS_PID"
        lines=$(jctl -t quiet -o cat)
        [[ -z $lines ]] || av_fail "lines under identifier quiet:" "$lines"
        # The daemon's own log lines name the agent too (AGENT=); the
        # record of an invocation's stream is the one with its id.
        recs=$(jctl AGENT=quiet -o json | jq -c 'select(.AGENT_INVOCATION_ID != null)')
        [[ -z $recs ]] || av_fail "a stream record for quiet:" "$recs"
        recs=$(jctl AGENT=talker -o json | jq -c 'select(.AGENT_INVOCATION_ID != null)')
        [[ -n $recs ]] || av_fail "no stream record for talker: the check above proves nothing"
}
