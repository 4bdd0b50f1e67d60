#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Live upgrade and recovery (issue 15): Reexecute carries every agent over;
# a daemon started again after a SIGKILL takes its agents over from the
# state under RuntimeDirectory=; an agent that ended meanwhile is `lost`; a
# recorded pid that now belongs to another process is never adopted; a bad
# state file is logged and skipped.

load helpers

BATS_TEST_TIMEOUT=120

setup() {
        av_setup
        av_config
        av_type keeper <<EOF
[Agent]
Exec=$PROBE record $T/out/keeper-starts sleep 0 --marker $AV_TOKEN
EOF
        SLEEP_PID=
}

teardown() {
        # A daemon SIGKILLed by a test left its agents: a daemon started
        # again takes them over and its SIGTERM (in av_teardown) ends them.
        if [[ -z ${AV_DAEMON_PID:-} && -n $(av_marked_pids) && -f ${T:-}/agentvisor.conf ]]; then
                av_start >/dev/null 2>&1 || true
        fi
        av_teardown
}

identity() {
        echo "$(av_prop "$1" MainPID) $(av_prop "$1" InvocationID) $(av_prop "$1" RestartCount)"
}

state_dir() {
        echo "$AV_RUN/$AV_CG/state"
}

reexec_count() {
        grep -c 'Executed anew' "$T/daemon.log" || true
}

more_reexecs_than() {
        [[ $(reexec_count) -gt $1 ]]
}

# Reexecute through agentctl, then wait for the new image to own the name
# (the name is released with the old image's bus connection).
reexec() {
        local before
        before=$(reexec_count)
        "$AGENTCTL" daemon-reexec || av_fail "agentctl daemon-reexec failed" || return 1
        av_wait_until 5 "the daemon's new image to start" more_reexecs_than "$before" || return 1
        av_wait_until 2 "the new image to own org.agentvisor1" av_bus_has_name
}

no_daemon() {
        ! av_pid_alive "$1"
}

no_bus_name() {
        ! av_bus_has_name
}

# A daemon running the User=dynamic agent d1; sets uid and pid (the
# caller's locals) to its uid and MainPID, and checks its uid's lock file.
start_dynamic_d1() {
        av_type dyn <<EOF2
[Agent]
User=dynamic
Exec=$PROBE sleep 0 --marker $AV_TOKEN
EOF2
        av_start
        av_start_agent dyn d1
        av_wait_prop d1 State running 10
        uid=$(av_prop d1 UID)
        pid=$(av_prop d1 MainPID)
        [[ -e $AV_RUN/dynamic-uid/$uid ]] || av_fail "no lock file for d1's uid $uid"
}

kill_daemon() {
        kill -KILL "$AV_DAEMON_PID"
        wait "$AV_DAEMON_PID" 2>/dev/null || true
        AV_DAEMON_PID=
        av_wait_until 5 "the bus name to be released" no_bus_name
}

runs_again() {
        local pid
        [[ $(av_prop "$1" State 2>/dev/null) == running ]] || return 1
        pid=$(av_prop "$1" MainPID)
        [[ $pid != 0 && $pid != "$2" ]]
}

wait_restarted() {
        av_wait_until 10 "$1 to run again with another MainPID" runs_again "$1" "$2"
}

restarted_once() {
        [[ $(av_prop "$1" RestartCount 2>/dev/null) == 1 && $(av_prop "$1" State 2>/dev/null) == running ]]
}

both_dead() {
        ! av_pid_alive "$1" && ! av_pid_alive "$2"
}

@test "Reexecute keeps a permanent and a temporary agent: same MainPID, InvocationID, RestartCount, one start; crashes afterwards restart" {
        local before_k before_t pid daemon_pid
        av_start
        av_start_agent keeper k1
        av_wait_prop k1 State running 10
        # One restart before the re-exec, so that the count is carried too.
        kill -KILL "$(av_prop k1 MainPID)"
        av_wait_until 10 "k1 to be restarted once" restarted_once k1
        av_run t1 -- "$PROBE" record "$T/out/t1-starts" sleep 0 --marker "$AV_TOKEN"
        av_wait_prop t1 State running 10
        before_k=$(identity k1)
        before_t=$(identity t1)
        daemon_pid=$AV_DAEMON_PID

        reexec
        [[ $AV_DAEMON_PID == "$daemon_pid" ]] && av_pid_alive "$daemon_pid" || av_fail "the daemon's pid changed"
        [[ $(identity k1) == "$before_k" ]] || av_fail "k1 was '$before_k', after Reexecute '$(identity k1)'"
        [[ $(identity t1) == "$before_t" ]] || av_fail "t1 was '$before_t', after Reexecute '$(identity t1)'"
        [[ $(av_prop k1 State) == running && $(av_prop t1 State) == running ]]
        [[ $(av_count_lines "$T/out/keeper-starts") == 2 ]] || av_fail "k1 started $(av_count_lines "$T/out/keeper-starts") times"
        [[ $(av_count_lines "$T/out/t1-starts") == 1 ]] || av_fail "t1 started $(av_count_lines "$T/out/t1-starts") times"
        grep -q 'Executed anew: 2 agents passed over' "$T/daemon.log" || av_fail "the new image did not get both pidfds"

        # Supervised as before: a crash of the permanent one is restarted and
        # counted; the temporary one's crash is reported, not restarted.
        pid=$(av_prop k1 MainPID)
        kill -KILL "$pid"
        wait_restarted k1 "$pid"
        [[ $(av_prop k1 RestartCount) == 2 ]] || av_fail "RestartCount is $(av_prop k1 RestartCount)"
        [[ $(av_prop k1 ExitReason) == "" ]]
        kill -KILL "$(av_prop t1 MainPID)"
        av_wait_prop t1 ExitReason signal 10
        [[ $(av_prop t1 ExitStatus) == 9 ]] || av_fail "t1 ExitStatus is $(av_prop t1 ExitStatus)"
}

@test "an agent that ends during the re-exec is reported with its exact reason" {
        av_start
        av_run quick -- "$PROBE" crash-after 0.3 7 --marker "$AV_TOKEN"
        av_wait_prop quick State running 10
        "$AGENTCTL" daemon-reexec
        av_wait_until 5 "the new image to own org.agentvisor1" av_bus_has_name
        av_wait_prop quick ExitReason exited 10
        [[ $(av_prop quick ExitStatus) == 7 ]] || av_fail "ExitStatus is $(av_prop quick ExitStatus)"
}

@test "after a SIGKILL of the daemon, a daemon started again takes its agents over and supervises them" {
        local before pid
        av_start
        av_start_agent keeper k1
        av_wait_prop k1 State running 10
        before=$(identity k1)
        [[ -f $(state_dir)/agent.k1 ]] || av_fail "no state file for k1 in $(state_dir)"
        [[ $(stat -c %a "$(state_dir)/agent.k1") == 600 && $(stat -c %a "$(state_dir)") == 700 ]] ||
                av_fail "state file or directory mode: $(stat -c '%a %n' "$(state_dir)" "$(state_dir)/agent.k1")"

        kill_daemon
        pid=${before%% *}
        av_pid_alive "$pid" || av_fail "k1 died with the daemon"
        av_start
        [[ $(identity k1) == "$before" ]] || av_fail "k1 was '$before', taken over as '$(identity k1)'"
        [[ $(av_prop k1 State) == running ]]
        grep -q "taken over: pid $pid" "$T/daemon.log" || av_fail "no 'taken over' line in daemon.log"
        [[ $(av_count_lines "$T/out/keeper-starts") == 1 ]]

        kill -KILL "$pid"
        wait_restarted k1 "$pid"
        [[ $(av_prop k1 RestartCount) == 1 ]] || av_fail "RestartCount is $(av_prop k1 RestartCount)"
}

@test "an agent killed while no daemon ran is reported lost and handled by its restart type" {
        local kpid tpid
        av_start
        av_start_agent keeper k1
        av_run t1 -- "$PROBE" sleep 0 --marker "$AV_TOKEN"
        av_wait_prop k1 State running 10
        av_wait_prop t1 State running 10
        kpid=$(av_prop k1 MainPID)
        tpid=$(av_prop t1 MainPID)

        kill_daemon
        kill -KILL "$kpid" "$tpid"
        av_wait_until 5 "both agents to die" both_dead "$kpid" "$tpid"
        av_start
        # Temporary: not restarted, its end says lost.
        [[ $(av_prop t1 ExitReason) == lost ]] || av_fail "t1 ExitReason is '$(av_prop t1 ExitReason)'"
        [[ $(av_prop t1 ExitStatus) == 0 && $(av_prop t1 MainPID) == 0 ]]
        [[ $(av_prop t1 State) == failed ]] || av_fail "t1 State is $(av_prop t1 State)"
        # Permanent: restarted, the restart counted.
        wait_restarted k1 "$kpid"
        [[ $(av_prop k1 RestartCount) == 1 ]] || av_fail "k1 RestartCount is $(av_prop k1 RestartCount)"
        grep -q 'k1.*not taken over' "$T/daemon.log" || grep -q 'not taken over' "$T/daemon.log"
}

@test "a recorded pid that now belongs to another process is never adopted, and that process is untouched" {
        local cg start
        av_start
        cg=$(av_mprop ControlGroup)
        av_stop_daemon
        [[ ! -e $(state_dir) ]] || av_fail "a clean shutdown left $(state_dir)"

        sleep 300 &
        SLEEP_PID=$!
        AV_BG_PIDS+=("$SLEEP_PID")
        # Its real start time: only the cgroup tells it is not the agent.
        start=$(awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$SLEEP_PID/stat")
        mkdir -p -m 700 "$(state_dir)"
        cat >"$(state_dir)/agent.fake" <<EOF
Version=1
Name=fake
Type=
Core=running
MainPID=$SLEEP_PID
MainPIDStartTime=$start
ControlGroup=$cg/fake.agent
Spec.Exec=/bin/true
Spec.Supervisor=root
Spec.Restart=temporary
EOF
        chmod 600 "$(state_dir)/agent.fake"
        av_start
        av_pid_alive "$SLEEP_PID" || av_fail "the unrelated sleep was killed"
        [[ $(av_prop fake MainPID) == 0 ]] || av_fail "fake was adopted with MainPID $(av_prop fake MainPID)"
        [[ $(av_prop fake ExitReason) == lost ]] || av_fail "fake ExitReason is '$(av_prop fake ExitReason)'"
        grep -q 'fake.*not taken over: its pid now belongs to a process in another cgroup' "$T/daemon.log" ||
                av_fail "no log line saying why fake was not taken over"
        sleep 0.5
        av_pid_alive "$SLEEP_PID" || av_fail "the unrelated sleep was killed"
}

@test "bad state files are logged with their name and reason and skipped; the daemon starts" {
        mkdir -p -m 700 "$(state_dir)"
        printf 'Version=99\nName=new\n' >"$(state_dir)/agent.new"
        printf 'Version=1\nName=junk\nMainPID=twelve\n' >"$(state_dir)/agent.junk"
        printf 'Version=1\nName=open\n' >"$(state_dir)/agent.open"
        chmod 600 "$(state_dir)/agent.new" "$(state_dir)/agent.junk"
        chmod 644 "$(state_dir)/agent.open"
        av_start
        grep -q "state file $(state_dir)/agent.new: agent.new: format version 99 is newer than this daemon reads (up to 3)" "$T/daemon.log" ||
                av_fail "no clear line for the newer file"
        grep -q "agent.junk: agent.junk:3: MainPID=twelve is not a number" "$T/daemon.log" ||
                av_fail "no clear line for the malformed file"
        grep -q "agent.open.*not trusted" "$T/daemon.log" || av_fail "no line for the untrusted file"
        run av_call GetAgent s new
        [[ $status != 0 ]]
        av_start_agent keeper k1
        av_wait_prop k1 State running 10
}

@test "SIGUSR2 (the unit's KillSignal=): the daemon exits 0 and leaves its agents, which the next daemon takes over" {
        local before pid status=0
        av_start
        av_start_agent keeper k1
        av_wait_prop k1 State running 10
        before=$(identity k1)
        pid=$AV_DAEMON_PID
        kill -USR2 "$pid"
        av_wait_until 10 "the daemon to exit after SIGUSR2" no_daemon "$pid"
        wait "$pid" || status=$?
        AV_DAEMON_PID=
        [[ $status == 0 ]] || av_fail "the daemon exited with $status after SIGUSR2"
        grep -q 'SIGUSR2: exiting, leaving 1 agents running' "$T/daemon.log" || av_fail "no SIGUSR2 line in daemon.log"
        av_pid_alive "${before%% *}" || av_fail "k1 died with the daemon"
        av_start
        [[ $(identity k1) == "$before" ]] || av_fail "k1 was '$before', taken over as '$(identity k1)'"
        [[ $(av_count_lines "$T/out/keeper-starts") == 1 ]]
}

@test "deadlines keep their absolute times: RuntimeMaxSec counts from the start, not from the re-exec or the takeover" {
        local runtime
        av_start
        av_run r1 RuntimeMaxUSec t 3000000 -- "$PROBE" sleep 0 --marker "$AV_TOKEN"
        av_run r2 RuntimeMaxUSec t 3000000 -- "$PROBE" sleep 0 --marker "$AV_TOKEN"
        av_wait_prop r1 State running 10
        av_wait_prop r2 State running 10
        sleep 1.5
        reexec
        kill_daemon
        av_start
        av_wait_prop r1 ExitReason timeout 5
        av_wait_prop r2 ExitReason timeout 5
        for a in r1 r2; do
                runtime=$(av_prop $a ExitRuntimeUSec)
                [[ $runtime -ge 2900000 && $runtime -le 4200000 ]] ||
                        av_fail "$a ended after $runtime us with RuntimeMaxSec=3s (re-armed from the re-exec or takeover?)"
        done
}

@test "Reexecute is root only: another caller gets AccessDenied and the daemon is not executed anew" {
        av_start
        run av_as_nobody gdbus call --address "$AV_BUS" --dest org.agentvisor1 --object-path /org/agentvisor1 \
                --method org.agentvisor1.Manager.Reexecute
        [[ $status != 0 && $output == *AccessDenied* && $output == *"only be called by root"* ]] ||
                av_fail "Reexecute as nobody: $output"
        [[ $(reexec_count) == 0 ]] || av_fail "the daemon was executed anew"
        run "$AGENTCTL" daemon-reexec --help
        [[ $status == 0 && $output == "agentctl daemon-reexec"* ]] || av_fail "daemon-reexec --help: $output"
}

@test "an agent whose supervisor left the configuration is not taken over: its cgroup is killed as stale" {
        local pid
        av_config "[Supervisor workers]" "Parent=root"
        av_type wkeeper <<EOF2
[Agent]
Supervisor=workers
Exec=$PROBE sleep 0 --marker $AV_TOKEN
EOF2
        av_start
        av_start_agent wkeeper w1
        av_wait_prop w1 State running 10
        pid=$(av_prop w1 MainPID)
        kill_daemon
        rm "$T/agents.d/wkeeper.agent"
        av_config
        av_start
        grep -q "state file $(state_dir)/agent.w1: its supervisor is not in the configuration any more" "$T/daemon.log" ||
                av_fail "no log line for w1's state file"
        av_wait_until 5 "w1's process to be killed as stale" no_daemon "$pid"
        run av_call GetAgent s w1
        [[ $status != 0 ]]
}

log_lines() {
        if [[ -f $T/log/$1.log ]]; then grep -c "^tick" "$T/log/$1.log"; else echo 0; fi
}

more_lines_than() {
        [[ $(log_lines "$1") -gt $2 ]]
}

@test "output to the log file keeps flowing across Reexecute (the pipe is passed) and a takeover (opened again)" {
        local n pid
        av_start
        av_run fast -- /bin/sh -c 'while :; do echo tick; sleep 0.1; done' --marker "$AV_TOKEN"
        av_run slow -- /bin/sh -c 'while :; do sleep 3; echo tick; done' --marker "$AV_TOKEN"
        av_wait_prop fast State running 10
        av_wait_until 5 "fast to write its first lines" more_lines_than fast 3
        pid=$(av_prop fast MainPID)
        reexec
        n=$(log_lines fast)
        av_wait_until 5 "fast's output to go on after Reexecute" more_lines_than fast $((n + 5))
        [[ $(av_prop fast MainPID) == "$pid" && $(av_prop fast State) == running ]] ||
                av_fail "fast did not survive its writes after Reexecute: $(av_prop fast ExitReason) $(av_prop fast ExitStatus)"

        # A takeover between two writes of `slow` (every 3 s).
        av_wait_until 8 "slow to write a line" more_lines_than slow 0
        pid=$(av_prop slow MainPID)
        kill_daemon
        av_start
        n=$(log_lines slow)
        av_wait_until 8 "slow's output to go on after the takeover" more_lines_than slow "$n"
        [[ $(av_prop slow MainPID) == "$pid" && $(av_prop slow State) == running ]] ||
                av_fail "slow did not survive its write after the takeover"
        grep -q "agent slow: its output could not be taken over" "$T/daemon.log" && av_fail "slow's output was not taken over"
        true
}

@test "state files follow the agents: written at the start, gone with RemoveAgent, all gone after a clean stop" {
        av_start
        av_start_agent keeper k1
        av_run t1 -- "$PROBE" exit 0 --marker "$AV_TOKEN"
        av_wait_prop k1 State running 10
        av_wait_prop t1 State exited 10
        av_wait_until 5 "the state files of k1, t1 and root" \
                test -f "$(state_dir)/agent.k1" -a -f "$(state_dir)/agent.t1" -a -f "$(state_dir)/supervisor.root"
        grep -qx "Version=3" "$(state_dir)/agent.k1"
        grep -qx "Name=k1" "$(state_dir)/agent.k1"
        grep -qx "MainPID=$(av_prop k1 MainPID)" "$(state_dir)/agent.k1" || av_fail "agent.k1: $(cat "$(state_dir)/agent.k1")"
        grep -qx "Core=held" "$(state_dir)/agent.t1" || av_fail "agent.t1: $(cat "$(state_dir)/agent.t1")"
        av_call RemoveAgent s t1
        av_wait_until 5 "agent.t1 to be removed" test ! -e "$(state_dir)/agent.t1"
        av_stop_daemon
        [[ $AV_DAEMON_STATUS == 0 ]]
        [[ ! -e $(state_dir) ]] || av_fail "a clean stop left $(ls -A "$(state_dir)")"
}

@test "a User=dynamic agent keeps its uid, held again by the daemon, across Reexecute and a takeover" {
        local uid pid
        start_dynamic_d1
        reexec
        [[ $(av_prop d1 UID) == "$uid" && $(av_prop d1 MainPID) == "$pid" ]] || av_fail "d1 after Reexecute: uid $(av_prop d1 UID)"
        kill_daemon
        av_start
        [[ $(av_prop d1 UID) == "$uid" && $(av_prop d1 MainPID) == "$pid" ]] || av_fail "d1 after the takeover: uid $(av_prop d1 UID)"
        [[ -e $AV_RUN/dynamic-uid/$uid ]] || av_fail "d1's uid $uid is not locked again"
        # Held: another dynamic agent gets another uid.
        av_start_agent dyn d2
        av_wait_prop d2 State running 10
        [[ $(av_prop d2 UID) != "$uid" ]] || av_fail "d2 got d1's uid $uid"
        # Released once d1's cgroup is empty.
        kill -KILL "$pid"
        av_wait_until 10 "d1's uid to be released and d1 restarted" runs_again d1 "$pid"
}

@test "sd_notify across Reexecute: READY=1 sent around the exec is taken, and the start timeout stays armed" {
        local pid runtime
        av_type late <<EOF2
[Agent]
Type=notify
Exec=$NOTIFY_AGENT ready 1
EOF2
        av_type never <<EOF2
[Agent]
Type=notify
TimeoutStartSec=3
Restart=temporary
Exec=$NOTIFY_AGENT never-ready
EOF2
        av_start
        av_start_agent late n1
        av_start_agent never n2
        av_wait_prop n1 State starting 5
        pid=$(av_prop n1 MainPID)
        reexec
        av_wait_prop n1 State running 10
        [[ $(av_prop n1 MainPID) == "$pid" ]] || av_fail "n1 was started again"
        av_wait_prop n2 ExitReason start-timeout 10
        runtime=$(av_prop n2 ExitRuntimeUSec)
        [[ $runtime -le 4200000 ]] || av_fail "n2's TimeoutStartSec=3 fired after $runtime us"
}

@test "health checks go on after Reexecute and a takeover, under the agent's policy" {
        local pid n
        av_config Supervisor.HealthCheckIntervalSec=1
        av_type checked <<EOF2
[Agent]
Exec=$PROBE sleep 0 --marker $AV_TOKEN
HealthCheck=$PROBE record $T/out/checks
HealthCheckIntervalSec=1
HealthCheckFailures=2
EOF2
        av_start
        av_start_agent checked h1
        av_wait_prop h1 Health healthy 10
        pid=$(av_prop h1 MainPID)
        reexec
        n=$(av_count_lines "$T/out/checks")
        av_wait_until 6 "two more health checks after Reexecute" more_checks_than $((n + 1))
        kill_daemon
        av_start
        n=$(av_count_lines "$T/out/checks")
        av_wait_until 6 "two more health checks after the takeover" more_checks_than $((n + 1))
        [[ $(av_prop h1 Health) == healthy && $(av_prop h1 MainPID) == "$pid" ]] ||
                av_fail "h1 is $(av_prop h1 Health), MainPID $(av_prop h1 MainPID); HealthCheckFailures $(av_prop h1 HealthCheckFailures)"
}

more_checks_than() {
        [[ $(av_count_lines "$T/out/checks") -gt $1 ]]
}

# The inode of what PID's fd FD is.
fd_inode() {
        stat -L -c %i "/proc/$1/fd/$2" 2>/dev/null
}

same_pipe() {
        [[ -n $(fd_inode "$1" 1) && $(fd_inode "$1" 1) == $(fd_inode "$2" 1) ]]
}

@test "Reexecute passes each agent's own output pipe: one that points its stdout at another agent's pipe does not kill that agent" {
        local vpid tpid n
        # The pipe is the daemon's (root's, 0600): an agent of the same uid
        # takes it with pidfd_getfd(), which its policy here allows.
        mkdir -p "$T/policies"
        echo "default allow" >"$T/policies/open.policy"
        av_config "Daemon.PolicyPath=$T/policies:$POLICY_DIR"
        av_start
        av_run victim -- /bin/sh -c 'while :; do echo tick; sleep 0.1; done' --marker "$AV_TOKEN"
        av_wait_prop victim State running 10
        vpid=$(av_prop victim MainPID)
        [[ -x /usr/bin/python3 ]] || skip "no /usr/bin/python3"
        av_run thief Policy s open -- /usr/bin/python3 -c '
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.syscall(438, os.pidfd_open(int(sys.argv[1])), 1, 0)   # pidfd_getfd
if fd < 0:
    sys.exit("pidfd_getfd: " + os.strerror(ctypes.get_errno()))
os.dup2(fd, 1)
os.close(fd)
while True:
    time.sleep(0.2)
' "$vpid" --marker "$AV_TOKEN"
        sleep 1
        [[ $(av_prop thief State) == running ]] || av_fail "thief: $(cat "$T/log/thief.log")"
        tpid=$(av_prop thief MainPID)
        av_wait_until 5 "the thief's stdout to be the victim's pipe" same_pipe "$tpid" "$vpid"
        av_wait_until 5 "victim to write its first lines" more_lines_than victim 3

        reexec
        n=$(log_lines victim)
        av_wait_until 5 "victim's output to go on after Reexecute" more_lines_than victim $((n + 5))
        [[ $(av_prop victim MainPID) == "$vpid" && $(av_prop victim State) == running ]] ||
                av_fail "victim did not survive Reexecute: $(av_prop victim ExitReason) $(av_prop victim ExitStatus)"
        [[ $(av_prop thief MainPID) == "$tpid" && $(av_prop thief State) == running ]] || av_fail "thief is gone"
        grep -q "Ignoring a bad line" "$T/daemon.log" && av_fail "the new image refused a line of the fd list"
        true
}

@test "after a crash, an agent's stdout swapped for a FIFO of its own is not opened by the daemon" {
        local pid
        av_start
        av_run swap -- /bin/sh -c "mkfifo $T/out/fifo && exec 1<>$T/out/fifo; while :; do sleep 0.2; done" \
                --marker "$AV_TOKEN"
        av_wait_prop swap State running 10
        pid=$(av_prop swap MainPID)
        av_wait_until 5 "swap's stdout to be its FIFO" bash -c '[[ $(readlink "/proc/$1/fd/1") == "$2" ]]' _ \
                "$pid" "$T/out/fifo"
        grep -q "^OutputPipeInode=" "$(state_dir)/agent.swap" || av_fail "no pipe recorded: $(cat "$(state_dir)/agent.swap")"
        kill_daemon
        av_start
        [[ $(av_prop swap MainPID) == "$pid" && $(av_prop swap State) == running ]] || av_fail "swap was not taken over"
        grep -q "agent swap: its output could not be taken over" "$T/daemon.log" ||
                av_fail "the daemon took over what swap's fd 1 now is"
        ! ls -l "/proc/$AV_DAEMON_PID/fd" | grep -qF "$T/out/fifo" || av_fail "the daemon opened swap's FIFO"
}

@test "Reexecute keeps a dynamic uid's lock held: another agentvisord waiting for it never gets it" {
        local uid pid waiter
        start_dynamic_d1
        # Another agentvisord sharing the lock directory, waiting for the uid.
        flock -x -w 10 "$AV_RUN/dynamic-uid/$uid" -c "touch $T/out/got-lock; sleep 2" &
        waiter=$!
        sleep 0.3
        reexec
        sleep 1
        [[ ! -e $T/out/got-lock ]] || av_fail "the waiting process got d1's uid lock during the re-exec"
        [[ $(av_prop d1 UID) == "$uid" && $(av_prop d1 MainPID) == "$pid" && $(av_prop d1 State) == running ]] ||
                av_fail "d1 after Reexecute: uid $(av_prop d1 UID) state $(av_prop d1 State)"
        grep -q "cannot hold its dynamic uid" "$T/daemon.log" && av_fail "the new image could not hold d1's uid"
        kill "$waiter" 2>/dev/null || true
        wait "$waiter" 2>/dev/null || true
        # Still ours, once more: a Reexecute after one passed the lock.
        reexec
        [[ $(av_prop d1 State) == running ]]
        flock -x -n "$AV_RUN/dynamic-uid/$uid" true && av_fail "d1's uid lock is free after two re-execs"
        true
}

# The daemon's children, one "PID STAT STARTTIME" per line (the start time,
# in clock ticks after boot, tells a process from a later one with its pid).
daemon_children() {
        local pid stat
        ps -o pid=,stat= --ppid "$AV_DAEMON_PID" 2>/dev/null | while read -r pid stat; do
                echo "$pid $stat $(awk '{print $22}' "/proc/$pid/stat" 2>/dev/null)"
        done
}

has_live_child() {
        daemon_children | grep -qv ' Z'
}

@test "Reexecute leaves no zombie: the network namespace pool's helper is reaped before the exec, and the new image starts its own" {
        local before after
        av_start
        grep -q 'kernel features:.* netns' "$T/daemon.log" || skip "no network namespaces here"
        # The pool is filled when the loop is idle after the start: its helper
        # is the daemon's only child.
        av_wait_until 5 "the pool's helper" has_live_child
        before=$(daemon_children)
        reexec
        av_wait_until 5 "the new image's helper" has_live_child
        after=$(daemon_children)
        ! grep -q ' Z' <<<"$after" || av_fail "zombie children after Reexecute: $after"
        [[ $(wc -l <<<"$after") == 1 ]] || av_fail "one helper expected after Reexecute, children: $after"
        [[ $before != "$after" ]] || av_fail "the helper from before the exec is still there: $after"
}
