#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Isolation keys one by one (SPEC "Isolation", issue 13): the keys that
# isolation.bats does not cover. Each test runs the same agent with and
# without the key (the control, so the test can fail), reads what the agent
# managed from its exit status, and checks from the host's side too.
# Agents are nobody (or host root) with Sandbox=none unless the key needs
# more, so the one key is the only difference.

load helpers

BATS_TEST_TIMEOUT=60

setup() {
        av_setup
        av_config Supervisor.AgentTimeoutSec=2
        # Host things a test makes outside $T; teardown removes them.
        KEYS_RUN=
        KEYS_TMP=
        KEYS_MSQ=
        BIN_IN="BindReadOnlyPaths=$T/bin"
}

teardown() {
        [[ -n $KEYS_MSQ ]] && ipcrm -q "$KEYS_MSQ" 2>/dev/null
        [[ -n $KEYS_RUN && -d $KEYS_RUN ]] && rm -rf "$KEYS_RUN"
        [[ -n $KEYS_TMP ]] && rm -f "$KEYS_TMP"
        rm -f "/usr/avtest-keys-$AV_TOKEN" "/etc/avtest-keys-$AV_TOKEN" "/root/avtest-keys-$AV_TOKEN"
        av_teardown
}

# agent_status NAME: waits for the agent to end and prints its exit status.
agent_status() {
        av_wait_prop "$1" State 'exited|failed' 15 || return 1
        [[ $(av_prop "$1" ExitReason) == exited ]] ||
                av_fail "$1 ended with $(av_prop "$1" ExitReason) $(av_prop "$1" ExitStatus), not an exit" || return 1
        av_prop "$1" ExitStatus
}

# expect_status NAME WANT WHAT: starts type NAME as agent NAME and checks its
# exit status; WHAT says what the status means when it differs.
expect_status() {
        local got
        av_start_agent "$1" "$1" || return 1
        got=$(agent_status "$1") || return 1
        [[ $got == "$2" ]] || av_fail "$1: exit $got, expected $2 ($3)"
}

landlock_abi() {
        local f
        f=$(av_mprop Features | jq -r '.[] | select(startswith("landlock=")) | ltrimstr("landlock=")')
        echo "${f:-0}"
}

@test "ProtectHome=: /root writable to host root without it, read-only, empty (tmpfs) or inaccessible with it" {
        # Exit: 10 writable and listed, 20 listed and EROFS, 30 empty and
        # EROFS (systemd's tmpfs is read-only), 32 empty and writable, 40 not
        # listable, or empty and refused otherwise (an inaccessible node). access(2) says
        # writable without writing to the host's /root; the read-only and
        # tmpfs agents really write.
        local ph
        for ph in no read-only tmpfs yes; do
                av_type "home-$ph" <<EOF
[Agent]
Exec=/bin/sh -c 'f=/root/avtest-keys-$AV_TOKEN; if [ "$ph" = yes ] && [ -n "\$(ls -A /home 2>/dev/null)" ]; then exit 41; fi; ls -A /root >/dev/null 2>&1 || exit 40; if [ -z "\$(ls -A /root)" ]; then e=\$(touch \$f 2>&1) && exit 32; case "\$e" in *"Read-only file system"*) exit 30;; esac; exit 40; fi; if [ "$ph" = no ]; then [ -w /root ] && exit 10; exit 11; fi; e=\$(touch \$f 2>&1) && exit 12; case "\$e" in *"Read-only file system"*) exit 20;; esac; exit 21'
User=root
Sandbox=none
PrivateUsers=no
ProtectHome=$ph
Restart=temporary
EOF
        done
        [[ -n $(ls -A /root) ]] || skip "the host's /root is empty: tmpfs would not differ"
        av_start
        expect_status home-no 10 "host root without ProtectHome= should list and write /root"
        expect_status home-read-only 20 "ProtectHome=read-only"
        expect_status home-tmpfs 30 "ProtectHome=tmpfs"
        expect_status home-yes 40 "ProtectHome=yes: 41 /home listed"
        [[ ! -e /root/avtest-keys-$AV_TOKEN ]] || av_fail "a file written under ProtectHome= reached the host's /root"
}

@test "PrivateDevices=yes: /dev holds only the API devices, no host device nodes" {
        # Exit 0: the six character devices are there and nothing else but
        # the API entries; 4: a host node such as kmsg or a disk is there.
        local pd
        for pd in no yes; do
                av_type "dev-$pd" <<EOF
[Agent]
Exec=/bin/sh -c 'for d in null zero full random urandom tty; do [ -c /dev/\$d ] || exit 5; done; for f in /dev/*; do case "\${f#/dev/}" in null|zero|full|random|urandom|tty|pts|shm|ptmx|stdin|stdout|stderr|fd|core|mqueue|hugepages|console) ;; *) exit 4;; esac; done; exec $PROBE sleep 60 --marker $AV_TOKEN'
User=nobody
Sandbox=none
PrivateDevices=$pd
$BIN_IN
Restart=temporary
EOF
        done
        local node
        node=$(ls /dev | grep -E '^(kmsg|mem|[sv]d[a-z]|nvme[0-9]|loop[0-9])' | head -n 1)
        [[ -n $node ]] || skip "the host has no kmsg, mem, disk or loop node to hide"
        av_start
        av_start_agent dev-no d0
        av_wait_prop d0 State 'exited|failed'
        [[ $(av_prop d0 ExitStatus) == 4 ]] || av_fail "without PrivateDevices= the host's /dev/$node was not seen: exit $(av_prop d0 ExitStatus)"
        av_start_agent dev-yes d1
        av_wait_prop d1 State running 10 ||
                av_fail "PrivateDevices=yes: the agent ended with exit $(av_prop d1 ExitStatus) (4: a host node, 5: an API device missing)"
        # From the host: the agent's /dev, through its root.
        local pid
        pid=$(av_prop d1 MainPID)
        [[ ! -e /proc/$pid/root/dev/$node ]] || av_fail "/dev/$node is in the agent's /dev as the host sees it"
        [[ -c /proc/$pid/root/dev/null ]] || av_fail "no /dev/null in the agent's /dev as the host sees it"
        [[ $(readlink "/proc/$pid/ns/mnt") != "$(readlink /proc/self/ns/mnt)" ]]
}

@test "ProtectProc=invisible: another uid's process is not in /proc, one's own is" {
        # Exit 0: the daemon's (root's) process is listed; 3: it is not.
        local pp
        for pp in default invisible; do
                av_type "proc-$pp" <<EOF
[Agent]
Exec=/bin/sh -c '[ -r /proc/self/status ] || exit 5; ls /proc | grep -qx "\$1" && [ -e /proc/\$1 ] && exit 0; exit 3' sh
User=nobody
Sandbox=none
ProtectProc=$pp
Restart=temporary
EOF
        done
        av_start
        av_start_agent proc-default p0 Arguments as 1 "$AV_DAEMON_PID"
        [[ $(agent_status p0) == 0 ]] || av_fail "without ProtectProc= the daemon's pid $AV_DAEMON_PID was not listed"
        av_start_agent proc-invisible p1 Arguments as 1 "$AV_DAEMON_PID"
        [[ $(agent_status p1) == 3 ]] || av_fail "ProtectProc=invisible: exit $(av_prop p1 ExitStatus) (0: root's process listed, 5: no /proc/self)"
        # The host's /proc is untouched.
        [[ -e /proc/$AV_DAEMON_PID ]] && ! grep -E ' /proc .*hidepid' /proc/self/mountinfo
}

@test "ProcSubset=pid: no /proc/sys and no system-wide files, the agent's own entries stay" {
        # Exit 0: /proc/sys and /proc/meminfo readable; 3: neither is there.
        local ps
        for ps in all pid; do
                av_type "subset-$ps" <<EOF
[Agent]
Exec=/bin/sh -c '[ -r /proc/self/status ] || exit 5; [ -d /proc/sys/kernel ] && [ -r /proc/meminfo ] && exit 0; [ -e /proc/sys ] || [ -e /proc/meminfo ] && exit 4; exit 3'
User=nobody
Sandbox=none
ProcSubset=$ps
Restart=temporary
EOF
        done
        av_start
        expect_status subset-all 0 "without ProcSubset= /proc/sys and /proc/meminfo should be there"
        expect_status subset-pid 3 "ProcSubset=pid: 0 both there, 4 one of them there, 5 no /proc/self"
        [[ -d /proc/sys/kernel ]]
}

@test "ProtectProc=invisible and ProcSubset=pid as the host sees the agent's /proc mount" {
        local k
        for k in none set; do
                av_type "procmount-$k" <<EOF
[Agent]
Exec=$PROBE sleep 60 --marker $AV_TOKEN
User=nobody
Sandbox=none
$([[ $k == set ]] && printf '%s\n' ProtectProc=invisible ProcSubset=pid)
$BIN_IN
EOF
        done
        av_start
        av_start_agent procmount-none m0
        av_start_agent procmount-set m1
        av_wait_prop m0 State running
        av_wait_prop m1 State running
        local opts0 opts1
        # The options of the mount at /proc in each agent's namespace.
        opts0=$(awk '$5 == "/proc" { print $NF }' "/proc/$(av_prop m0 MainPID)/mountinfo")
        opts1=$(awk '$5 == "/proc" { print $NF }' "/proc/$(av_prop m1 MainPID)/mountinfo")
        echo "without: $opts0; with: $opts1"
        [[ $opts0 != *hidepid* && $opts0 != *subset* ]] || av_fail "the control's /proc is restricted: $opts0"
        [[ $opts1 == *hidepid=invisible* ]] || av_fail "no hidepid=invisible on the agent's /proc: $opts1"
        [[ $opts1 == *subset=pid* ]] || av_fail "no subset=pid on the agent's /proc: $opts1"
}

@test "PrivateIPC=yes: a System V message queue is not shared with the host or another agent" {
        # The host's queue: seen by an agent without the key, not with it.
        KEYS_MSQ=$(ipcmk -Q | grep -oE '[0-9]+$')
        [[ -n $KEYS_MSQ ]] || av_fail "ipcmk -Q made no queue"
        local pi
        for pi in no yes; do
                av_type "ipc-$pi" <<EOF
[Agent]
Exec=/bin/sh -c 'ipcs -q | grep -Eq "^0x[0-9a-f]+ +\$1 " && exit 0; exit 3' sh
User=nobody
Sandbox=none
PrivateIPC=$pi
Restart=temporary
EOF
        done
        # A queue made inside a private namespace, held while the agent runs.
        av_type ipc-maker <<EOF
[Agent]
Exec=/bin/sh -c 'ipcmk -Q >/dev/null || exit 6; [ "\$(ipcs -q | grep -c "^0x")" = 1 ] || exit 7; exec $PROBE sleep 60 --marker $AV_TOKEN'
PrivateIPC=yes
$BIN_IN
EOF
        # Another agent with a namespace of its own: exit N, its N queues.
        av_type ipc-count <<EOF
[Agent]
Exec=/bin/sh -c 'exit \$(ipcs -q | grep -c "^0x")'
PrivateIPC=yes
Restart=temporary
EOF
        av_start
        av_start_agent ipc-no i0 Arguments as 1 "$KEYS_MSQ"
        [[ $(agent_status i0) == 0 ]] || av_fail "without PrivateIPC= the host's queue $KEYS_MSQ was not seen"
        av_start_agent ipc-yes i1 Arguments as 1 "$KEYS_MSQ"
        [[ $(agent_status i1) == 3 ]] || av_fail "PrivateIPC=yes saw the host's queue $KEYS_MSQ"

        av_start_agent ipc-maker m1
        av_wait_prop m1 State running 10 || av_fail "the queue maker ended: exit $(av_prop m1 ExitStatus) (6: ipcmk failed, 7: not exactly its own queue)"
        local uid
        uid=$(av_prop m1 UID)
        # Neither the host nor another agent of its kind sees it.
        ! ipcs -q -c | awk -v u="$uid" 'NR > 3 && ($3 == u || $5 == u)' | grep -q . ||
                av_fail "the host lists a queue made by the agent's uid $uid: $(ipcs -q -c)"
        ipcs -q | awk -v id="$KEYS_MSQ" '$2 == id { f = 1 } END { exit !f }' ||
                av_fail "the host's own queue went away"
        av_start_agent ipc-count c1
        [[ $(agent_status c1) == 0 ]] || av_fail "another PrivateIPC= agent sees $(av_prop c1 ExitStatus) queues"
}

@test "ReadOnlyPaths=: EROFS writing a host directory that is writable without it" {
        mkdir -m 1777 "$T/out/ro"
        local k
        for k in none ro; do
                av_type "rop-$k" <<EOF
[Agent]
Exec=/bin/sh -c 'e=\$(touch $T/out/ro/$k 2>&1) && exit 0; case "\$e" in *"Read-only file system"*) exit 30;; esac; exit 3'
User=nobody
Sandbox=none
$([[ $k == ro ]] && echo "ReadOnlyPaths=$T/out/ro")
Restart=temporary
EOF
        done
        av_start
        expect_status rop-none 0 "without ReadOnlyPaths= nobody could not write the 1777 directory"
        [[ -f $T/out/ro/none ]]
        expect_status rop-ro 30 "ReadOnlyPaths=: 0 written, 3 another error than EROFS"
        [[ ! -e $T/out/ro/ro ]] || av_fail "the read-only path was written on the host"
}

@test "InaccessiblePaths=: a host file readable without it cannot be read or listed with it" {
        mkdir -m 755 "$T/out/secret"
        echo hunter2 >"$T/out/secret/file"
        chmod 644 "$T/out/secret/file"
        local k
        for k in none hidden; do
                av_type "inacc-$k" <<EOF
[Agent]
Exec=/bin/sh -c 'grep -q hunter2 $T/out/secret/file 2>/dev/null && exit 0; ls $T/out/secret >/dev/null 2>&1 && exit 4; e=\$(cat $T/out/secret/file 2>&1); case "\$e" in *"Permission denied"*|*"No such file"*) exit 3;; esac; exit 5'
User=nobody
Sandbox=none
$([[ $k == hidden ]] && echo "InaccessiblePaths=$T/out/secret")
Restart=temporary
EOF
        done
        av_start
        expect_status inacc-none 0 "without InaccessiblePaths= the file should be readable"
        expect_status inacc-hidden 3 "InaccessiblePaths=: 0 read, 4 listed, 5 another error than EACCES/ENOENT"
        [[ $(cat "$T/out/secret/file") == hunter2 ]]
}

@test "BindPaths= and BindReadOnlyPaths= pass a host dir under /tmp in despite PrivateTmp, at DST; the read-only one refuses writes" {
        mkdir -m 1777 "$T/out/shared"
        echo hello >"$T/out/shared/hello"
        chmod 644 "$T/out/shared/hello"
        # Exit 0: not seen at all (the control); 10: read at /tmp/in and
        # written; 20: read and EROFS on the write.
        local k
        for k in none rw ro; do
                av_type "bind-$k" <<EOF
[Agent]
Exec=/bin/sh -c 'if [ ! -e /tmp/in/hello ]; then [ -e $T/out/shared/hello ] && exit 2; exit 0; fi; grep -qx hello /tmp/in/hello || exit 6; e=\$(touch /tmp/in/by-$k 2>&1) && exit 10; case "\$e" in *"Read-only file system"*) exit 20;; esac; exit 7'
PrivateTmp=yes
$([[ $k == rw ]] && echo "BindPaths=$T/out/shared:/tmp/in")
$([[ $k == ro ]] && echo "BindReadOnlyPaths=$T/out/shared:/tmp/in")
Restart=temporary
EOF
        done
        av_start
        expect_status bind-none 0 "PrivateTmp= alone: 2 the host's /tmp was seen"
        expect_status bind-rw 10 "BindPaths=SRC:DST: 0 not passed in, 6 wrong content, 7 write refused"
        [[ -f $T/out/shared/by-rw ]] || av_fail "the write through BindPaths= did not reach the host"
        [[ $(stat -c %u "$T/out/shared/by-rw") == "$(av_prop bind-rw UID)" ]]
        expect_status bind-ro 20 "BindReadOnlyPaths=SRC:DST: 0 not passed in, 10 written, 7 another error"
        [[ ! -e $T/out/shared/by-ro ]] || av_fail "the write through BindReadOnlyPaths= reached the host"
        [[ ! -e $T/out/shared/by-none ]]
}

@test "AllowTCPBind= allows bind on one port and refuses the next" {
        local p
        p=$(python3 -c '
import random, socket, sys
for attempt in range(50):
    base = random.randint(20000, 60000)
    try:
        for port in (base, base + 1):
            s = socket.socket()
            s.bind(("127.0.0.1", port))
            s.close()
    except OSError:
        continue
    print(base)
    sys.exit(0)
sys.exit(1)') || av_fail "no two free ports"
        # Exit 0: bound to P, refused P+1; 3: P refused; 4: P+1 bound too.
        local k
        for k in none allow; do
                av_type "tcpbind-$k" <<EOF
[Agent]
Exec=/usr/bin/python3 -c 'import socket, sys; a = socket.socket(); b = socket.socket(); exec("try: a.bind((\"127.0.0.1\", $p))\nexcept OSError: sys.exit(3)"); exec("try: b.bind((\"127.0.0.1\", $((p + 1))))\nexcept OSError: sys.exit(0)"); sys.exit(4)'
User=nobody
Sandbox=none
$([[ $k == allow ]] && echo "AllowTCPBind=$p")
Restart=temporary
EOF
        done
        av_start
        [[ $(landlock_abi) -ge 4 ]] || skip "Landlock ABI 4 (TCP) is missing: $(av_mprop Features)"
        expect_status tcpbind-none 4 "without AllowTCPBind= both ports should bind"
        expect_status tcpbind-allow 0 "AllowTCPBind=$p: 3 $p refused, 4 $((p + 1)) bound"
}

@test "Sandbox= presets: none shares /tmp, writes and connects; standard a private /tmp; strict also read-only / and no network" {
        av_tcp_listener
        KEYS_RUN=/run/avtest-keys-$$-$BATS_TEST_NUMBER
        mkdir -m 1777 "$KEYS_RUN"
        KEYS_TMP=/tmp/avtest-keys-$AV_TOKEN
        echo x >"$KEYS_TMP"
        # Exit status bits: 1 the host's /tmp file seen, 2 a host directory
        # outside /tmp written, 4 a host listener on 127.0.0.1 reached.
        local s
        for s in none standard strict; do
                av_type "preset-$s" <<EOF
[Agent]
Exec=/bin/bash -c 'r=0; [ -e $KEYS_TMP ] && r=\$((r | 1)); touch $KEYS_RUN/$s 2>/dev/null && r=\$((r | 2)); (exec 3<>/dev/tcp/127.0.0.1/$AV_PORT) 2>/dev/null && r=\$((r | 4)); exit \$r'
Sandbox=$s
Restart=temporary
EOF
        done
        av_start
        expect_status preset-none 7 "bits: 1 host /tmp, 2 host dir written, 4 listener reached"
        [[ -f $KEYS_RUN/none ]]
        expect_status preset-standard 6 "bits: 1 host /tmp, 2 host dir written, 4 listener reached"
        [[ -f $KEYS_RUN/standard ]]
        expect_status preset-strict 0 "bits: 1 host /tmp, 2 host dir written, 4 listener reached"
        [[ ! -e $KEYS_RUN/strict ]] || av_fail "a strict agent wrote outside its sandbox"
        [[ $(av_prop preset-none Sandbox) == none && $(av_prop preset-standard Sandbox) == standard &&
                $(av_prop preset-strict Sandbox) == strict ]]
}

@test "ProtectSystem=yes makes /usr read-only, full also /etc, for a real root agent (PrivateUsers=no)" {
        # Exit status bits: 1 /usr not writable, 2 /etc not writable (by
        # access(2), which says EROFS without writing the host's files), 8
        # a write under /usr failed with another error than EROFS.
        local ps
        for ps in no yes full; do
                av_type "sys-$ps" <<EOF
[Agent]
Exec=/bin/sh -c 'r=0; [ -w /usr ] || r=1; [ -w /etc ] || r=\$((r | 2)); if [ \$r != 0 ]; then e=\$(touch /usr/avtest-keys-$AV_TOKEN 2>&1); case "\$e" in *"Read-only file system"*) ;; *) r=\$((r | 8));; esac; fi; exit \$r'
User=root
Sandbox=none
PrivateUsers=no
ProtectSystem=$ps
Restart=temporary
EOF
        done
        av_start
        expect_status sys-no 0 "host root without ProtectSystem=: bits 1 /usr, 2 /etc not writable"
        expect_status sys-yes 1 "ProtectSystem=yes: bits 1 /usr, 2 /etc read-only, 8 not EROFS"
        expect_status sys-full 3 "ProtectSystem=full: bits 1 /usr, 2 /etc read-only, 8 not EROFS"
        [[ ! -e /usr/avtest-keys-$AV_TOKEN ]] || av_fail "a root agent wrote /usr under ProtectSystem="
        # The host's /usr and /etc are still writable to the host's root.
        [[ -w /usr && -w /etc ]]
}
