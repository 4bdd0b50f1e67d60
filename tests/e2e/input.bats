#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile and oversized input on the bus (issue 11): every array a caller
# sends is refused at its limit while it is read, the environment cannot
# carry the loader's or the daemon's own variables, limits out of range are
# InvalidArgs (UINT64_MAX means none), and no agent runs as a member of
# AdminGroup. Each refusal names what is wrong, and the daemon keeps
# answering.

load helpers

BATS_TEST_TIMEOUT=120

setup() {
        av_setup
        [[ -x ${BIG_CALL:-} ]] || av_fail "BIG_CALL is not set: run these tests through 'meson test --suite e2e'"
        av_config Supervisor.AgentTimeoutSec=2
        av_type sleeper <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
Restart=temporary
EOF
        av_type tru <<EOF
[Agent]
Exec=/bin/true
Restart=temporary
EOF
}

teardown() {
        av_teardown
}

# big_call ARGS...: runs the big-call client with a bounded wait (the
# daemon must answer long before; a daemon busy with the input would make
# this time out) and leaves its reply in $output.
big_call() {
        run timeout 60 "$BIG_CALL" "$AV_BUS" "$@"
        [[ $status == 0 ]] || av_fail "big-call $* did not get a reply (status $status): $output"
}

# expect_big_error ERROR NEEDLE ARGS...
expect_big_error() {
        local error=$1 needle=$2
        shift 2
        big_call "$@" || return 1
        [[ $output == "ERROR $error: "* ]] || av_fail "big-call $* answered '$output', expected $error" || return 1
        [[ $output == *"$needle"* ]] || av_fail "the error '$output' does not mention '$needle'"
}

# The daemon still answers a plain call at once.
assert_answers() {
        run timeout 5 busctl --address="$AV_BUS" -- call org.agentvisor1 /org/agentvisor1 \
                org.agentvisor1.Manager ListAgents
        [[ $status == 0 && $output == 'a(ssssuuo) '* ]] || av_fail "ListAgents after the call: $output"
        av_pid_alive "$AV_DAEMON_PID" || av_fail "the daemon died"
}

expect_error() {
        local error=$1
        shift
        run av_gdbus "$@"
        [[ $status != 0 && $output == *"$error: "?* ]] || av_fail "$* gave '$output', expected $error with a message"
}

@test "100,000 Arguments to StartAgent are refused at the limit with InvalidArgs, and ListAgents answers" {
        av_start
        expect_big_error org.freedesktop.DBus.Error.InvalidArgs "Arguments: more than 256" \
                StartAgent sleeper Arguments 100000 1
        assert_answers
        [[ $(av_mprop NAgents) == 0 ]] || av_fail "an agent was created: NAgents $(av_mprop NAgents)"
}

@test "RunAgent's argv and Environment, and StartAgent's Environment, stop at 256 entries" {
        av_start
        expect_big_error org.freedesktop.DBus.Error.InvalidArgs "argv: more than 256" RunAgent /bin/true argv 100000 1
        expect_big_error org.freedesktop.DBus.Error.InvalidArgs "Environment: more than 256" \
                RunAgent /bin/true Environment 100000 1
        expect_big_error org.freedesktop.DBus.Error.InvalidArgs "Environment: more than 256" \
                StartAgent sleeper Environment 100000 1
        # An option repeated 100,000 times is refused at its second copy.
        expect_big_error org.freedesktop.DBus.Error.InvalidArgs "given more than once" \
                StartAgent sleeper RepeatedEnvironment 100000 1
        assert_answers
}

@test "256 arguments are accepted; 128 KiB in all is the byte limit" {
        av_start
        big_call StartAgent tru Arguments 256 1
        [[ $output == "OK "* ]] || av_fail "256 arguments were refused: $output"
        # 200 arguments of 1000 bytes: under the count, over the bytes.
        expect_big_error org.freedesktop.DBus.Error.InvalidArgs "128 KiB" StartAgent tru Arguments 200 1000
        expect_big_error org.freedesktop.DBus.Error.InvalidArgs "128 KiB" RunAgent /bin/true argv 200 1000
        assert_answers
}

@test "callers may not set the loader's variables or the daemon's own: InvalidSpec naming the variable" {
        av_start
        for var in LD_PRELOAD LD_LIBRARY_PATH LD_AUDIT LD_ANYTHING GCONV_PATH GLIBC_TUNABLES \
                NOTIFY_SOCKET WATCHDOG_PID WATCHDOG_USEC LISTEN_FDS LISTEN_PID PATH HOME USER LOGNAME INVOCATION_ID \
                BASH_ENV ENV SHELLOPTS PS4 PYTHONPATH PYTHONSTARTUP PERL5OPT NODE_OPTIONS RUBYOPT \
                JAVA_TOOL_OPTIONS OPENSSL_CONF LUA_INIT; do
                run av_gdbus StartAgent "'sleeper'" "'e-$var'" "{'Environment': <['A=1', '$var=/tmp/x']>}"
                [[ $status != 0 && $output == *"org.agentvisor1.Error.InvalidSpec: "*"$var"* ]] ||
                        av_fail "StartAgent with Environment $var= gave: $output"
                run av_gdbus RunAgent "'r-$var'" "['/bin/true']" "{'Environment': <['$var=']>}"
                [[ $status != 0 && $output == *"org.agentvisor1.Error.InvalidSpec: "*"$var"* ]] ||
                        av_fail "RunAgent with Environment $var= gave: $output"
        done
        expect_error org.freedesktop.DBus.Error.InvalidArgs StartAgent "'sleeper'" "'bad'" "{'Environment': <['1X=2']>}"
        [[ $(av_mprop NAgents) == 0 ]] || av_fail "an agent was created: NAgents $(av_mprop NAgents)"
        # Ordinary variables still pass, and the agent sees them.
        av_type inspector <<EOF
[Agent]
Exec=$PROBE inspect $T/out/inspect.txt --marker $AV_TOKEN
Environment=PATH=/opt/type-path
Restart=temporary
EOF
        av_call Reload
        av_start_agent inspector i1 Environment as 2 MY_VAR=yes TMPDIR=/tmp
        av_wait_until 10 "the inspect report" test -s "$T/out/inspect.txt"
        grep -qx 'env: MY_VAR=yes' "$T/out/inspect.txt" || av_fail "MY_VAR missing: $(grep ^env: "$T/out/inspect.txt")"
        # The type's own Environment= may set PATH.
        grep -qx 'env: PATH=/opt/type-path' "$T/out/inspect.txt" ||
                av_fail "the type's PATH is not the agent's: $(grep ^env: "$T/out/inspect.txt")"
}

@test "a caller may not change a variable the agent type sets" {
        av_type typed <<EOF
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
Environment=APP_CONFIG=/etc/app.conf
EOF
        av_start
        run av_gdbus StartAgent "'typed'" "'t1'" "{'Environment': <['APP_CONFIG=/tmp/evil.conf']>}"
        [[ $status != 0 && $output == *"org.agentvisor1.Error.InvalidSpec: "*APP_CONFIG*"set by the agent type"* ]] ||
                av_fail "StartAgent overriding the type's APP_CONFIG gave: $output"
        [[ $(av_mprop NAgents) == 0 ]] || av_fail "an agent was created: NAgents $(av_mprop NAgents)"
        # A name the type does not set is still the caller's to add.
        av_start_agent typed t2 Environment as 1 APP_CONFIG_EXTRA=1
        av_wait_prop t2 State running
        av_call StopAgent s t2
        av_wait_prop t2 State 'exited|failed'
}

@test "an agent type may not set the daemon's variables: the load fails naming file and line" {
        av_type wd <<EOF
[Agent]
Exec=/bin/true
Environment=WATCHDOG_PID=1
EOF
        run av_start
        [[ $status != 0 ]] || av_fail "the daemon started with a type setting WATCHDOG_PID="
        grep -q "wd.agent:3.*WATCHDOG_PID" "$T/daemon.log" ||
                av_fail "daemon.log does not name wd.agent:3 and WATCHDOG_PID: $(tail -n 5 "$T/daemon.log")"
}

@test "limits out of range are InvalidArgs; UINT64_MAX means no limit and does not end the agent" {
        av_start
        max=18446744073709551615
        for opt in "RuntimeMaxUSec': <uint64 18446744073709551614>" "RuntimeMaxUSec': <uint64 9223372036854775808>" \
                "CPUTimeMaxUSec': <uint64 18446744073709551000>" "TasksMax': <uint64 4194305>" \
                "TasksMax': <uint64 0>" "CPUQuotaPerSecUSec': <uint64 18446744073709551614>" \
                "CPUQuotaPerSecUSec': <uint64 100000001>" "CPUQuotaPerSecUSec': <uint64 9999>" \
                "MemoryMax': <uint64 0>" "WatchdogUSec': <uint64 18446744073709551614>" \
                "TimeoutStartUSec': <uint64 18446744073709551614>"; do
                run av_gdbus RunAgent "'r'" "['/bin/true']" "{'${opt}}"
                [[ $status != 0 && $output == *"org.freedesktop.DBus.Error.InvalidArgs: Option "*"out of range"* ]] ||
                        av_fail "RunAgent with {'$opt} gave: $output"
        done
        av_run big RuntimeMaxUSec t $max CPUTimeMaxUSec t $max TasksMax t $max CPUQuotaPerSecUSec t $max \
                -- "$PROBE" sleep 0 --marker "$AV_TOKEN"
        av_wait_prop big State running
        sleep 1
        [[ $(av_prop big State) == running ]] || av_fail "the agent with no limits ended: $(av_prop big ExitReason)"
        # busctl, not av_prop: jq would round the number to a double.
        run av_busctl get-property org.agentvisor1 "$(av_agent_path big)" org.agentvisor1.Agent RuntimeMaxUSec
        [[ $output == "t $max" ]] || av_fail "RuntimeMaxUSec is $output"
        # The largest finite values are in range.
        av_run big2 RuntimeMaxUSec t 9223372036854775807 TasksMax t 4194304 CPUQuotaPerSecUSec t 100000000 \
                -- "$PROBE" sleep 0 --marker "$AV_TOKEN"
        av_wait_prop big2 State running
        sleep 1
        [[ $(av_prop big2 State) == running ]] ||
                av_fail "the agent with the largest limits ended: $(av_prop big2 ExitReason)"
        av_call StopAgent s big
        av_call StopAgent s big2
        av_wait_prop big State 'exited|failed'
        av_wait_prop big2 State 'exited|failed'
}

@test "no agent runs as a member of AdminGroup: RunAgent is InvalidSpec, an agent type fails the load" {
        group=$(getent group "$AV_NOBODY_GID" | cut -d: -f1)
        [[ -n $group ]] || skip "no group with gid $AV_NOBODY_GID"
        av_config Supervisor.AgentTimeoutSec=2 Daemon.AdminGroup="$group" Daemon.DefaultUser=root
        rm -f "$T/agents.d/"*.agent
        av_start
        run av_gdbus RunAgent "'r'" "['/bin/true']" "{'User': <'nobody'>}"
        [[ $status != 0 && $output == *"org.agentvisor1.Error.InvalidSpec: "*nobody*AdminGroup* ]] ||
                av_fail "RunAgent as nobody with AdminGroup=$group gave: $output"
        av_stop_daemon

        av_type asnobody <<EOF
[Agent]
Exec=/bin/true
User=nobody
EOF
        run av_start
        [[ $status != 0 ]] || av_fail "the daemon loaded a type whose user is in AdminGroup=$group"
        grep -q "asnobody.agent:3.*nobody.*AdminGroup" "$T/daemon.log" ||
                av_fail "daemon.log does not name asnobody.agent:3: $(tail -n 5 "$T/daemon.log")"
}
