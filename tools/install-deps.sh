#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what building, testing and the demo need on Debian 12 (bookworm).
# Does nothing when everything is there already, except under CI=true, where
# it always refreshes the package lists and installs.
set -euo pipefail

packages=(
        gcc clang meson ninja-build pkg-config
        libsystemd-dev libseccomp-dev libcgroup-dev libcmocka-dev
        dbus-daemon dbus-bin systemd
        bats jq scdoc libxml2-utils util-linux procps libglib2.0-bin strace
        libclang-rt-14-dev python3 bubblewrap
)

# --- Debian packaging (debian/, tests/test-deb-upgrade.sh, suite "package") ---
# dpkg-buildpackage and dh (dpkg-dev comes with debhelper); the package's
# other build dependencies are in the list above. dbus (the system bus
# configuration) is a dependency of the package, so that dpkg -i can install
# it.
packages+=(debhelper dpkg-dev dbus)
# --- end of Debian packaging ---

missing=()
for p in "${packages[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        [[ $status == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 && ${CI:-} != true ]]; then
        echo "install-deps: all ${#packages[@]} packages are installed"
        exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
        echo "install-deps: missing packages: ${missing[*]}" >&2
        echo "install-deps: run as root (sudo $0) to install them" >&2
        exit 1
fi

echo "install-deps: installing ${missing[*]:-(CI: all)}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
