# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared helpers for the end-to-end tests: a private dbus-daemon per test,
# a test configuration, agentvisord started on that bus, busctl/gdbus
# wrappers, bounded waits, and a teardown that checks the daemon left
# nothing behind (processes, cgroups, sanitizer reports).
#
# The environment comes from tests/meson.build: AGENTVISORD, AGENTCTL,
# PROBE, NOTIFY_AGENT, SYSCALL_PROBE, POLICY_DIR, TOP_SRCDIR, TOP_BUILDDIR.
# Every wait is bounded; a timeout says what was awaited and what was seen.

AV_NOBODY_UID=65534
AV_NOBODY_GID=65534

av_fail() {
        printf '%s\n' "$@" >&2
        return 1
}

av_now_ms() {
        date +%s%3N
}

# True while PID exists and is not a zombie (a zombie has ended; kill -0
# would still succeed on it).
av_pid_alive() {
        local stat
        stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        stat=${stat##*) }
        [[ ${stat%% *} != Z ]]
}

# av_wait_until TIMEOUT_SEC DESCRIPTION CMD...: polls CMD every 50 ms.
av_wait_until() {
        local timeout=$1 what=$2 i n
        shift 2
        n=$(( ${timeout%.*} * 20 + 1 ))
        for ((i = 0; i < n; i++)); do
                "$@" && return 0
                sleep 0.05
        done
        av_fail "timed out after ${timeout}s waiting for $what"
}

av_setup() {
        local v
        for v in AGENTVISORD PROBE NOTIFY_AGENT SYSCALL_PROBE POLICY_DIR; do
                [[ -n ${!v:-} ]] || av_fail "$v is not set: run these tests through 'meson test --suite e2e'" || return 1
        done
        [[ $(id -u) == 0 ]] || skip "end-to-end tests need root (cgroups, seccomp, other users)"
        [[ -x $AGENTVISORD ]] || av_fail "agentvisord not built at $AGENTVISORD" || return 1

        T=$(mktemp -d /tmp/avtest.XXXXXX)
        chmod 755 "$T"
        mkdir -p "$T/agents.d" "$T/log" "$T/out"
        # Agents run as nobody and write their reports here.
        chmod 1777 "$T/out"
        AV_CG="avtest-$$-$BATS_TEST_NUMBER"
        AV_TOKEN="avtok-$$-$BATS_TEST_NUMBER"
        # The daemon's RuntimeDirectory (notify socket, lock): not under /tmp,
        # which an agent with PrivateTmp= does not see.
        AV_RUN="/run/avtest-$$-$BATS_TEST_NUMBER"
        AV_BG_PIDS=()
        AV_DAEMON_PID=
        AV_DBUS_PID=

        # Agents run as nobody, and the build tree may sit where nobody cannot
        # go (a clone under /root): they run copies from the test's own dir.
        mkdir -p "$T/bin"
        cp "$PROBE" "$T/bin/probe" && cp "$NOTIFY_AGENT" "$T/bin/notify-agent" &&
                cp "$SYSCALL_PROBE" "$T/bin/syscall-probe" && chmod 755 "$T/bin" "$T/bin/"* ||
                av_fail "cannot copy the test agents into $T/bin" || return 1
        PROBE=$T/bin/probe
        NOTIFY_AGENT=$T/bin/notify-agent
        SYSCALL_PROBE=$T/bin/syscall-probe
        setpriv --reuid=$AV_NOBODY_UID --regid=$AV_NOBODY_GID --clear-groups test -x "$PROBE" ||
                av_fail "nobody cannot execute $PROBE" || return 1

        sed "s|@BUS_DIR@|$T|g" "$BATS_TEST_DIRNAME/dbus.conf.in" >"$T/dbus.conf"
        dbus-daemon --config-file="$T/dbus.conf" --nofork --print-address=3 \
                3>"$T/addr" </dev/null >"$T/dbus.log" 2>&1 &
        AV_DBUS_PID=$!
        av_wait_until 5 "dbus-daemon to print its address" test -s "$T/addr" ||
                { cat "$T/dbus.log" >&2; return 1; }
        AV_BUS=$(head -n 1 "$T/addr")
        AGENTCTL_BUS_ADDRESS=$AV_BUS
        export AV_BUS AGENTCTL_BUS_ADDRESS
}

declare -gA AV_DAEMON_KEYS AV_SUPERVISOR_KEYS

# av_config [Daemon.KEY=VALUE | Supervisor.KEY=VALUE | raw line]...
# Writes $T/agentvisor.conf from test defaults; Daemon.X / Supervisor.X
# arguments override a default (an empty value drops the key); any other
# argument is appended as a line, e.g. "[Supervisor workers]" "Parent=root".
av_config() {
        local arg key extra=()
        AV_DAEMON_KEYS=(
                [AgentsDirectory]=agents.d
                [PolicyPath]="$POLICY_DIR"
                [LogDirectory]="$T/log"
                [RuntimeDirectory]="$AV_RUN"
                [ControlGroup]="$AV_CG"
                # The built-in defaults are User=dynamic and Sandbox=standard
                # (isolation.bats tests them); the other suites pin the agent
                # they were written for: nobody, no sandbox, sharing /tmp with
                # the test (where agents write their reports).
                [DefaultUser]=nobody
                [DefaultSandbox]=none
        )
        AV_SUPERVISOR_KEYS=(
                [Strategy]=one-for-one
                [MaxRestarts]=3
                [RestartWindowSec]=5
                [MaxChildren]=100
                [AgentTimeoutSec]=5
                [HealthCheckIntervalSec]=60
        )
        for arg in "$@"; do
                case $arg in
                Daemon.*=*)
                        key=${arg#Daemon.}
                        AV_DAEMON_KEYS[${key%%=*}]=${key#*=}
                        ;;
                Supervisor.*=*)
                        key=${arg#Supervisor.}
                        AV_SUPERVISOR_KEYS[${key%%=*}]=${key#*=}
                        ;;
                *)
                        extra+=("$arg")
                        ;;
                esac
        done
        {
                echo "[Daemon]"
                for key in $(printf '%s\n' "${!AV_DAEMON_KEYS[@]}" | sort); do
                        [[ -n ${AV_DAEMON_KEYS[$key]} ]] && echo "$key=${AV_DAEMON_KEYS[$key]}"
                done
                echo
                echo "[Supervisor]"
                for key in $(printf '%s\n' "${!AV_SUPERVISOR_KEYS[@]}" | sort); do
                        [[ -n ${AV_SUPERVISOR_KEYS[$key]} ]] && echo "$key=${AV_SUPERVISOR_KEYS[$key]}"
                done
                echo
                [[ ${#extra[@]} -gt 0 ]] && printf '%s\n' "${extra[@]}"
                true
        } >"$T/agentvisor.conf"
}

# av_type NAME <<EOF ... EOF: writes agents.d/NAME.agent from stdin.
av_type() {
        cat >"$T/agents.d/$1.agent"
}

av_bus_has_name() {
        busctl --address="$AV_BUS" call org.freedesktop.DBus /org/freedesktop/DBus \
                org.freedesktop.DBus NameHasOwner s org.agentvisor1 2>/dev/null | grep -q '^b true'
}

# Starts agentvisord on the private bus and waits (10 s at most) until it
# owns org.agentvisor1. A canary variable in its environment lets tests
# check that agents do not inherit the daemon's environment.
av_start() {
        local i
        AV_LEAK_CANARY=agentvisor-e2e-canary \
                "$AGENTVISORD" --config "$T/agentvisor.conf" --bus "$AV_BUS" \
                </dev/null >>"$T/daemon.log" 2>&1 3>&- &
        AV_DAEMON_PID=$!
        for ((i = 0; i < 200; i++)); do
                if ! av_pid_alive "$AV_DAEMON_PID"; then
                        local status=0
                        wait "$AV_DAEMON_PID" || status=$?
                        AV_DAEMON_PID=
                        av_fail "agentvisord exited during start-up with status $status; daemon.log:"
                        tail -n 40 "$T/daemon.log" >&2
                        return 1
                fi
                av_bus_has_name && return 0
                sleep 0.05
        done
        av_fail "agentvisord did not own org.agentvisor1 within 10 s; daemon.log:"
        tail -n 40 "$T/daemon.log" >&2
        return 1
}

# SIGTERMs the daemon and waits (40 s at most). Sets AV_DAEMON_STATUS to its
# exit status, or "timeout" (then it has been SIGKILLed).
av_stop_daemon() {
        local pid=$AV_DAEMON_PID i
        AV_DAEMON_STATUS=
        [[ -n $pid ]] || return 0
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 800; i++)); do
                av_pid_alive "$pid" || break
                sleep 0.05
        done
        if av_pid_alive "$pid"; then
                kill -KILL "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
                AV_DAEMON_STATUS=timeout
                AV_DAEMON_PID=
                return 1
        fi
        AV_DAEMON_STATUS=0
        wait "$pid" || AV_DAEMON_STATUS=$?
        AV_DAEMON_PID=
}

# Cgroup hierarchies where agentvisor may create directories: the cgroup2
# tree (at /sys/fs/cgroup/unified on hybrid hosts) and the v1 controllers.
av_cgroup_roots() {
        local d
        if [[ -d /sys/fs/cgroup/unified ]]; then
                for d in unified pids memory cpu cpuacct; do
                        [[ -d /sys/fs/cgroup/$d ]] && echo "/sys/fs/cgroup/$d"
                done
        else
                echo /sys/fs/cgroup
        fi
        true
}

av_cgroup2_root() {
        if [[ -d /sys/fs/cgroup/unified ]]; then echo /sys/fs/cgroup/unified; else echo /sys/fs/cgroup; fi
}

# Directories named after this test's ControlGroup= anywhere near the top
# of each hierarchy (the daemon's own place may be a few levels down).
av_find_cgroups() {
        local root
        for root in $(av_cgroup_roots); do
                find -H "$root" -maxdepth 4 -type d \( -name "$AV_CG" -o -name "$AV_CG@*" \) 2>/dev/null || true
        done
}

# av_v1_root_name CONTROLLER: the name of the daemon's root group in the v1
# hierarchy of CONTROLLER (agentvisord(8)): ControlGroup= where the daemon
# sits at the same path there as in cgroup2, else marked with its cgroup2
# path, escaped.
av_v1_root_name() {
        local own own2 place
        own=$(awk -F: -v c="$1" '$2 ~ ("(^|,)" c "(,|$)") { print $3; exit }' "/proc/$AV_DAEMON_PID/cgroup")
        own2=$(awk -F: '$1 == 0 { print $3; exit }' "/proc/$AV_DAEMON_PID/cgroup")
        if [[ $own == "$own2" && $AV_CG != *@* ]]; then
                echo "$AV_CG"
                return
        fi
        place=${own2#/}
        place=${place//\\/\\x5c}
        place=${place//-/\\x2d}
        place=${place//@/\\x40}
        place=${place//\//-}
        echo "$AV_CG@${place:--}"
}

# Kills what is left in a cgroup subtree and removes it, deepest first.
av_remove_cgroup_tree() {
        local top=$1 dir pid i
        [[ -f $top/cgroup.kill ]] && echo 1 >"$top/cgroup.kill" 2>/dev/null
        for ((i = 0; i < 50; i++)); do
                local busy=0
                while read -r dir; do
                        while read -r pid; do
                                [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null && busy=1
                        done <"$dir/cgroup.procs"
                        rmdir "$dir" 2>/dev/null || busy=1
                done < <(find "$top" -depth -type d 2>/dev/null)
                [[ $busy == 0 || ! -d $top ]] && return 0
                sleep 0.1
        done
        av_fail "could not remove leftover cgroup $top"
}

# Processes of this test's agents that carry the test's marker token.
av_marked_pids() {
        pgrep -f -- "--marker $AV_TOKEN" || true
}

av_teardown() {
        set +e
        local errors=() pid dir left expected=${AV_EXPECT_EXIT:-0}

        for pid in "${AV_BG_PIDS[@]}"; do
                kill "$pid" 2>/dev/null
        done

        if [[ -n ${AV_DAEMON_PID:-} ]]; then
                if av_stop_daemon; then
                        [[ $AV_DAEMON_STATUS == "$expected" ]] ||
                                errors+=("agentvisord exited with status $AV_DAEMON_STATUS after SIGTERM, expected $expected")
                else
                        errors+=("agentvisord was still running 40 s after SIGTERM (now SIGKILLed)")
                fi
        fi

        if [[ -n ${AV_CG:-} ]]; then
                left=$(av_find_cgroups)
                if [[ -n $left ]]; then
                        errors+=("cgroups left behind after the daemon exited:" $left)
                        for dir in $left; do
                                av_remove_cgroup_tree "$dir"
                        done
                fi
                left=$(av_marked_pids)
                if [[ -n $left ]]; then
                        errors+=("agent processes left behind after the daemon exited: $(echo $left)")
                        for pid in $left; do
                                kill -KILL "$pid" 2>/dev/null
                        done
                fi
        fi

        if [[ -f ${T:-}/daemon.log ]] &&
                grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$T/daemon.log"; then
                errors+=("sanitizer report in daemon.log:")
                errors+=("$(grep -E -A 15 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$T/daemon.log" | head -n 40)")
        fi

        if [[ -n ${AV_DBUS_PID:-} ]]; then
                kill -TERM "$AV_DBUS_PID" 2>/dev/null
                wait "$AV_DBUS_PID" 2>/dev/null
                AV_DBUS_PID=
        fi
        for pid in "${AV_BG_PIDS[@]}"; do
                wait "$pid" 2>/dev/null
        done

        if [[ ${#errors[@]} -gt 0 || ${BATS_TEST_COMPLETED:-} != 1 ]]; then
                if [[ -f ${T:-}/daemon.log ]]; then
                        echo "--- last lines of daemon.log ---" >&2
                        tail -n 60 "$T/daemon.log" >&2
                fi
                if [[ -f ${T:-}/monitor.log ]]; then
                        echo "--- last lines of the bus monitor ---" >&2
                        tail -n 30 "$T/monitor.log" >&2
                fi
        fi
        [[ -n ${T:-} && -d $T ]] && rm -rf "$T"
        [[ -n ${AV_RUN:-} && -d $AV_RUN ]] && rm -rf "$AV_RUN"

        if [[ ${#errors[@]} -gt 0 ]]; then
                printf 'teardown: %s\n' "${errors[@]}" >&2
                return 1
        fi
        return 0
}

# --- Calling the daemon --------------------------------------------------

av_busctl() {
        busctl --address="$AV_BUS" "$@"
}

# av_call METHOD SIGNATURE ARGS...: a Manager method through busctl. The
# "--" keeps arguments such as "--marker" or "-9" from being read as options.
av_call() {
        busctl --address="$AV_BUS" -- call org.agentvisor1 /org/agentvisor1 org.agentvisor1.Manager "$@"
}

av_call_json() {
        busctl --address="$AV_BUS" --json=short -- call org.agentvisor1 /org/agentvisor1 org.agentvisor1.Manager "$@"
}

# av_gdbus METHOD ARGS...: a Manager method through gdbus, whose error
# output names the D-Bus error (busctl prints only its message). Arguments
# are GVariant text: "'name'", "{}", "['a', 'b']", "{'TasksMax': <uint64 5>}".
av_gdbus() {
        local method=$1
        shift
        gdbus call --address "$AV_BUS" --dest org.agentvisor1 --object-path /org/agentvisor1 \
                --method "org.agentvisor1.Manager.$method" "$@"
}

av_as_nobody() {
        setpriv --reuid=$AV_NOBODY_UID --regid=$AV_NOBODY_GID --clear-groups "$@"
}

# av_options KEY TYPE VALUE... (TYPE "as" takes COUNT ITEMS...): prints the
# busctl form of an a{sv}: COUNT KEY TYPE VALUE...
av_options() {
        local out=() n=0 k
        while [[ $# -gt 0 ]]; do
                if [[ $2 == as ]]; then
                        k=$3
                        out+=("$1" as "$k" "${@:4:$k}")
                        shift $((3 + k))
                else
                        out+=("$1" "$2" "$3")
                        shift 3
                fi
                n=$((n + 1))
        done
        AV_OPTIONS=("$n" "${out[@]}")
}

# av_start_agent TYPE NAME [KEY TYPE VALUE...]
av_start_agent() {
        local type=$1 name=$2
        shift 2
        av_options "$@"
        av_call StartAgent 'ssa{sv}' "$type" "$name" "${AV_OPTIONS[@]}"
}

# av_run NAME [KEY TYPE VALUE...] -- ARGV...: RunAgent.
av_run() {
        local name=$1 props=()
        shift
        while [[ $# -gt 0 && $1 != -- ]]; do
                props+=("$1")
                shift
        done
        [[ $# -gt 0 ]] && shift
        av_options "${props[@]}"
        av_call RunAgent 'sasa{sv}' "$name" $# "$@" "${AV_OPTIONS[@]}"
}

# Prints a property value: strings, numbers and booleans as text, arrays
# and dictionaries as compact JSON.
av_get() {
        busctl --address="$AV_BUS" --json=short get-property org.agentvisor1 "$1" "$2" "$3" |
                jq -r '.data | if type == "array" or type == "object" then tojson else tostring end'
}

av_agent_path() {
        av_call_json GetAgent s "$1" | jq -er '.data[0]'
}

av_supervisor_path() {
        av_call_json ListSupervisors | jq -er --arg n "$1" '.data[0][] | select(.[0] == $n) | .[5]'
}

# av_prop AGENT PROP
av_prop() {
        local path
        path=$(av_agent_path "$1") || return 1
        av_get "$path" org.agentvisor1.Agent "$2"
}

# av_mprop PROP: a Manager property.
av_mprop() {
        av_get /org/agentvisor1 org.agentvisor1.Manager "$1"
}

# av_sprop SUPERVISOR PROP
av_sprop() {
        local path
        path=$(av_supervisor_path "$1") || return 1
        av_get "$path" org.agentvisor1.Supervisor "$2"
}

# av_wait_value KIND NAME PROP REGEX [TIMEOUT]: polls every 50 ms until the
# whole value matches the extended regex. KIND: agent, supervisor, manager.
av_wait_value() {
        local kind=$1 name=$2 prop=$3 want=$4 timeout=${5:-10} i n value=
        n=$(( ${timeout%.*} * 20 + 1 ))
        for ((i = 0; i < n; i++)); do
                case $kind in
                agent) value=$(av_prop "$name" "$prop" 2>/dev/null) || value= ;;
                supervisor) value=$(av_sprop "$name" "$prop" 2>/dev/null) || value= ;;
                manager) value=$(av_mprop "$prop" 2>/dev/null) || value= ;;
                esac
                [[ $value =~ ^($want)$ ]] && return 0
                sleep 0.05
        done
        av_fail "timed out after ${timeout}s waiting for $kind $name: $prop to be '$want'; last value: '$value'"
}

# av_wait_prop AGENT PROP REGEX [TIMEOUT]
av_wait_prop() {
        av_wait_value agent "$@"
}

av_wait_sprop() {
        av_wait_value supervisor "$@"
}

av_wait_mprop() {
        av_wait_value manager "" "$@"
}

# The directory of an agent's cgroup in the cgroup2 hierarchy.
av_cgroup_dir() {
        local cg
        cg=$(av_prop "$1" ControlGroup) || return 1
        [[ -n $cg ]] || av_fail "agent $1 has an empty ControlGroup" || return 1
        echo "$(av_cgroup2_root)$cg"
}

# Asserts an agent's cgroup (v2 and the v1 controllers) is gone, allowing a
# moment for removal after the end was reported. CG is the property value.
av_assert_cgroup_gone() {
        local cg=$1 root
        for root in $(av_cgroup_roots); do
                av_wait_until 5 "cgroup $root...$cg to be removed" \
                        bash -c '! find -H "$1" -maxdepth 8 -type d -path "*$2" 2>/dev/null | grep -q .' _ "$root" "$cg" ||
                        return 1
        done
}

# --- Watching signals ----------------------------------------------------

# Follows every signal from org.agentvisor1 into $T/monitor.log; returns
# once the subscription is in place.
av_monitor_start() {
        AV_MON=$T/monitor.log
        timeout 85 stdbuf -oL gdbus monitor --address "$AV_BUS" --dest org.agentvisor1 \
                </dev/null >"$AV_MON" 2>&1 3>&- &
        AV_BG_PIDS+=($!)
        av_wait_until 5 "gdbus monitor to subscribe" grep -q 'is owned by' "$AV_MON"
}

# av_monitor_wait REGEX [TIMEOUT]: waits for a monitored line to match.
av_monitor_wait() {
        av_wait_until "${2:-10}" "a bus signal matching /$1/" grep -qE -- "$1" "$AV_MON" || {
                echo "signals seen:" >&2
                tail -n 20 "$AV_MON" >&2
                return 1
        }
}

av_monitor_count() {
        grep -cE -- "$1" "$AV_MON" || true
}

# --- Other helpers -------------------------------------------------------

# A TCP listener on 127.0.0.1 with a bounded lifetime; sets AV_PORT.
av_tcp_listener() {
        python3 -c '
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
s.settimeout(0.5)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
end = time.monotonic() + 85
while time.monotonic() < end:
    try:
        c, _ = s.accept()
        c.close()
    except socket.timeout:
        pass
' "$T/port" </dev/null >/dev/null 2>&1 3>&- &
        AV_BG_PIDS+=($!)
        av_wait_until 5 "the TCP listener to start" test -s "$T/port" || return 1
        AV_PORT=$(cat "$T/port")
}

# Lines in a file, 0 when it does not exist.
av_count_lines() {
        if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi
}

# The ticking agents of freeze.bats and reexec-carry.bats write an
# increasing number into $T/out/count: av_counter reads it (0 before the
# first tick), av_counter_moves waits up to 3 s for it to change,
# av_counter_still fails if it changes within a second (a frozen agent).
av_counter() {
        cat "$T/out/count" 2>/dev/null || echo 0
}

av_counter_moves() {
        local first
        first=$(av_counter)
        av_wait_until 3 "the counter to move on from $first" bash -c '[[ $(cat "$1" 2>/dev/null) != "$2" ]]' _ \
                "$T/out/count" "$first"
}

av_counter_still() {
        local first
        first=$(av_counter)
        sleep 1
        [[ $(av_counter) == "$first" ]] || av_fail "the counter moved from $first to $(av_counter) while frozen"
}

# av_fd_count PID: the fds a process holds.
av_fd_count() {
        local fds=("/proc/$1/fd/"*)
        echo "${#fds[@]}"
}
