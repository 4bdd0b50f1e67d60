#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what is missing, then builds and tests agentvisor three ways:
#   build           gcc, debugoptimized, every suite (with "package": the
#                   Debian package built, upgraded over agents, purged)
#   build-release   gcc, release (-O3), suite unit
#   build-sanitize  ASan+UBSan, suites unit, kernel, e2e
#   build-fuzz      clang + libFuzzer, suite fuzz
# Prints "N passed, M failed" per build and exits non-zero if anything
# failed. Run as root from anywhere: tools/test.sh (from another user:
# sudo tools/test.sh)
set -uo pipefail

cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
        # Minimal images run as root and have no sudo: only other users are
        # pointed to it.
        if command -v sudo >/dev/null; then
                echo "test.sh: the kernel and e2e suites need root (cgroups, seccomp, other users); run it as root, or from this user: sudo $0" >&2
        else
                echo "test.sh: the kernel and e2e suites need root (cgroups, seccomp, other users); run it as root (there is no sudo here: su -c $0)" >&2
        fi
        exit 1
fi

bash tools/install-deps.sh || exit 1

# Sanitizer runs are slower; meson's default timeouts are scaled by this.
timeout_multiplier=2
summary=()
failed_any=0

# setup DIR [meson options...]: configures DIR, or reconfigures it in place.
setup() {
        local dir=$1
        shift
        if [[ -f $dir/build.ninja ]]; then
                meson setup --reconfigure "$dir" "$@"
        else
                meson setup "$dir" "$@"
        fi
}

# count FIELD LOG: the number meson test printed in its summary for FIELD.
count() {
        local n
        n=$(sed -n "s/^$1:[[:space:]]*\([0-9]\+\)[[:space:]]*$/\1/p" "$2" | tail -n 1)
        echo "${n:-0}"
}

# run NAME ENV-ASSIGNMENTS -- MESON-OPTIONS -- SUITES
run() {
        local name=$1
        shift
        local -a envs=() opts=() suites=()
        while [[ $1 != -- ]]; do envs+=("$1"); shift; done
        shift
        while [[ $1 != -- ]]; do opts+=("$1"); shift; done
        shift
        suites=("$@")

        echo
        echo "=== $name: configure and build"
        # A clean rebuild each time, so that every warning is seen: -Werror
        # covers the compiler, this check the linker and the compiler driver.
        if ! (export "${envs[@]}" && setup "$name" "${opts[@]}" && ninja -C "$name" -t clean >/dev/null &&
              ninja -C "$name" 2>&1 | tee "$name/build-output.log"; exit "${PIPESTATUS[0]}"); then
                summary+=("$name: build failed")
                failed_any=1
                return
        fi
        if grep -q 'warning:' "$name/build-output.log"; then
                grep 'warning:' "$name/build-output.log" | sort -u
                summary+=("$name: the build printed warnings (build warnings are errors)")
                failed_any=1
                return
        fi

        local -a suite_args=()
        local s
        for s in "${suites[@]}"; do suite_args+=(--suite "$s"); done

        echo "=== $name: meson test ${suites[*]:-(all suites)}"
        local log=$name/test-summary.log
        env "${envs[@]}" meson test -C "$name" --no-rebuild --print-errorlogs \
                --timeout-multiplier "$timeout_multiplier" "${suite_args[@]}" 2>&1 | tee "$log"
        local rc=${PIPESTATUS[0]}

        local passed failed
        passed=$(( $(count Ok "$log") + $(count 'Expected Fail' "$log") ))
        failed=$(( $(count Fail "$log") + $(count 'Unexpected Pass' "$log") + $(count Timeout "$log") ))
        local skipped
        skipped=$(count Skipped "$log")
        local note=
        if [[ $rc -ne 0 && $failed -eq 0 ]]; then
                # meson test itself failed (no such suite, a crash): count it.
                failed=1
                note=" (meson test exited $rc)"
        elif [[ $((passed + failed + skipped)) -eq 0 ]]; then
                # A suite that silently has no tests is a hole, not a pass.
                failed=1
                note=" (no tests in suites: ${suites[*]:-all})"
        fi
        [[ $failed -eq 0 ]] || failed_any=1
        summary+=("$name: $passed passed, $failed failed, $skipped skipped$note")
}

start=$SECONDS

run build CC=gcc -- --buildtype=debugoptimized --

# -O3 finds what -O2 does not (format truncation, array bounds): built with
# every warning an error, and the unit suite run on it.
run build-release CC=gcc -- --buildtype=release -- unit

run build-sanitize CC=gcc \
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        -- --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
        -- unit kernel e2e

run build-fuzz CC=clang \
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        -- --buildtype=debugoptimized -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        -- fuzz

echo
echo "=== summary ($(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s)"
printf '%s\n' "${summary[@]}"
exit $failed_any
