#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The shipped seccomp policies, live (issue 3): syscall-probe attempts one
# syscall per agent under each policy. What a policy refuses must fail with
# its EPERM (or kill the agent by seccomp), the foreign entry points (x32,
# int 0x80) must kill, unknown syscall numbers and clone3 must give ENOSYS,
# and what a policy allows must still work.
#
# int 0x80 from a 64-bit process reaches the i386 syscall table only where
# the kernel offers ia32 emulation; elsewhere the kernel answers SIGSEGV
# before any filter runs. CI machines vary, so the test first runs the probe
# without a filter and asserts only what the filter changes.
#
# syscall-probe picks arguments so that an allowed call gets a different
# answer from the kernel than EPERM wherever the kernel looks at anything
# before privileges; for kexec_load, init_module, swapon and reboot it does
# not, so for those EPERM shows the refusal but cannot prove who refused.

load helpers

BATS_TEST_TIMEOUT=90

REFUSED=(mount unshare-user setns ptrace keyctl add_key bpf perf_event_open
        io_uring_setup userfaultfd kexec_load init_module open_by_handle_at
        personality ioctl-tiocsti ioctl-tiocsti-high tioclinux ioctl-tiocsetd swapon reboot
        clock_settime chroot clone-newuser)
KILLED=(x32 int80)
ENOSYS=(sys1000 sys-minus1 sys-minus2 sys-bit31 sys-7fffffff clone3)

setup() {
        av_setup
        av_config Supervisor.AgentTimeoutSec=2 Supervisor.MaxChildren=200
        av_start
}

teardown() {
        av_teardown
}

# probe_all POLICY NAME...: runs syscall-probe NAME under POLICY for every
# name at once, then waits for all of them. Extra arguments after a name are
# given as NAME:ARG.
probe_all() {
        local policy=$1 spec name arg
        shift
        for spec in "$@"; do
                name=${spec%%:*}
                arg=
                [[ $spec == *:* ]] && arg=${spec#*:}
                av_run "p-$policy-$name" Policy s "$policy" -- \
                        "$SYSCALL_PROBE" --out "$T/out/$policy-$name.txt" "$name" $arg >/dev/null ||
                        av_fail "RunAgent of syscall-probe $name under $policy failed"
        done
        for spec in "$@"; do
                av_wait_prop "p-$policy-${spec%%:*}" State 'exited|failed' 10
        done
}

# The outcome of one probe: its report line, or how it was killed.
outcome() {
        local policy=$1 name=$2 file=$T/out/$1-$2.txt agent=p-$1-$2
        if [[ -s $file ]]; then
                cat "$file"
        else
                echo "$name: ended $(av_prop "$agent" ExitReason) $(av_prop "$agent" ExitStatus)"
        fi
}

check_refused() {
        local policy=$1 name out bad=()
        probe_all "$policy" "${REFUSED[@]}"
        for name in "${REFUSED[@]}"; do
                out=$(outcome "$policy" "$name")
                [[ $out == "$name: errno=EPERM" || $out == "$name: ended seccomp 31" ]] || bad+=("$out")
        done
        [[ ${#bad[@]} == 0 ]] || av_fail "under $policy these were not refused (expected EPERM or a seccomp kill):" "${bad[@]}"
}

# What int 0x80 does on this kernel without a filter: "runs" (it reaches
# the i386 syscall table: getpid succeeds or answers an errno) or "faults"
# (SIGSEGV). The probe runs here, outside any agent and filter; stderr of the
# subshell goes away so that bash's "Segmentation fault" does not clutter.
int80_unfiltered() {
        local status=0
        ( exec 2>/dev/null; "$SYSCALL_PROBE" int80 >/dev/null ) || status=$?
        case $status in
        0) echo runs ;;
        139) echo faults ;;
        *) echo "unexpected exit status $status" ;;
        esac
}

check_killed() {
        local policy=$1 name out bad=() int80
        int80=$(int80_unfiltered)
        [[ $int80 == runs || $int80 == faults ]] || av_fail "int 0x80 without a filter: $int80"
        probe_all "$policy" "${KILLED[@]}"
        for name in "${KILLED[@]}"; do
                out=$(outcome "$policy" "$name")
                if [[ $name == int80 && $int80 == faults ]]; then
                        # No filter sees the call; it must still not succeed.
                        echo "# int 0x80 faults on this kernel without a filter: checking only that it still does" >&3
                        [[ $out == "int80: ended signal 11" ]] ||
                                bad+=("$out (int 0x80 faults here without a filter; expected the same SIGSEGV)")
                        continue
                fi
                [[ $out == "$name: ended seccomp 31" ]] || bad+=("$out")
                [[ $(av_prop "p-$policy-$name" ExitKilledBy) == policy ]] || bad+=("$name: ExitKilledBy $(av_prop "p-$policy-$name" ExitKilledBy)")
        done
        [[ ${#bad[@]} == 0 ]] || av_fail "under $policy these foreign-ABI syscalls were not killed by seccomp:" "${bad[@]}"
}

check_enosys() {
        local policy=$1 name out bad=()
        probe_all "$policy" "${ENOSYS[@]}"
        for name in "${ENOSYS[@]}"; do
                out=$(outcome "$policy" "$name")
                [[ $out == "$name: errno=ENOSYS" ]] || bad+=("$out")
        done
        [[ ${#bad[@]} == 0 ]] || av_fail "under $policy these did not give ENOSYS:" "${bad[@]}"
}

# check_results POLICY EXPECTED NAME...: each outcome must be EXPECTED
# ("ok" or "errno=EPERM").
check_results() {
        local policy=$1 want=$2 name out bad=()
        shift 2
        probe_all "$policy" "$@"
        for name in "$@"; do
                name=${name%%:*}
                out=$(outcome "$policy" "$name")
                [[ $out == "$name: $want" ]] || bad+=("$out")
        done
        [[ ${#bad[@]} == 0 ]] || av_fail "under $policy, expected '$want' for:" "${bad[@]}"
}

@test "default: the privileged and kernel-attack syscalls are refused" {
        check_refused default
}

@test "default: x32 syscalls kill the agent, and int 0x80 where the kernel runs it unfiltered" {
        check_killed default
}

@test "default: unknown syscall numbers (1000, -1, -2, 0x80000000, 0x7fffffff) and clone3 answer ENOSYS" {
        check_enosys default
}

@test "default: file I/O, threads, a child process and a loopback TCP connect work" {
        av_tcp_listener
        check_results default ok file-io threads fork-child "tcp-loopback:$AV_PORT"
}

@test "default: unix, inet, inet6 and netlink route sockets work; other families and AF_INET/SOCK_PACKET answer EAFNOSUPPORT, other netlink protocols EPROTONOSUPPORT" {
        check_results default ok socket-netlink
        check_results default errno=EAFNOSUPPORT socket-packet socket-inet-packet
        check_results default errno=EPROTONOSUPPORT socket-netlink-audit
}

@test "no-network: the privileged and kernel-attack syscalls are refused" {
        check_refused no-network
}

@test "no-network: x32 syscalls kill the agent, and int 0x80 where the kernel runs it unfiltered" {
        check_killed no-network
}

@test "no-network: unknown syscall numbers and clone3 answer ENOSYS" {
        check_enosys no-network
}

@test "no-network: file I/O, threads and a child process work; inet and netlink sockets answer EAFNOSUPPORT" {
        av_tcp_listener
        check_results no-network ok file-io threads fork-child
        check_results no-network errno=EAFNOSUPPORT "tcp-loopback:$AV_PORT" socket-netlink socket-packet \
                socket-inet-packet socket-netlink-audit
}

@test "strict: the privileged and kernel-attack syscalls are refused" {
        check_refused strict
}

@test "strict: x32 syscalls kill the agent, and int 0x80 where the kernel runs it unfiltered" {
        check_killed strict
}

@test "strict: unknown syscall numbers and clone3 answer ENOSYS" {
        check_enosys strict
}

@test "strict: file I/O and threads work; a child process and a loopback TCP connect are refused" {
        av_tcp_listener
        check_results strict ok file-io threads
        check_results strict errno=EPERM fork-child "tcp-loopback:$AV_PORT"
}
