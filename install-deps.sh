#!/bin/sh
# Install, from Debian 12's packages, whatever pytt needs to build and test that is missing.
# Used by ./demo.sh and ./test.sh; safe to run again (it installs nothing that is present).
# `./install-deps.sh --bench` also installs the Python packages that the real-program benchmark
# (bench/run_real_bench.py) runs; without them it skips those programs, saying why.
set -eu
PKGS="gcc make cmake pkg-config libdw-dev libelf-dev libunwind-dev libcapstone-dev libzstd-dev
libreadline-dev libncurses-dev zlib1g-dev libbz2-dev python3 python3.11 python3.11-dbg gdb clang libclang-rt-14-dev zstd util-linux tmux"
if [ "${1:-}" = "--bench" ]; then
    PKGS="$PKGS python3-pytest python3-pyflakes python3-sphinx python3-flask python3-jinja2
python3-numpy python3-yaml python3-pygments python3-pip"
fi
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "pytt: installing missing Debian packages:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
