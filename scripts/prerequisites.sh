#!/usr/bin/env bash
# Installs what building and testing need when it is missing: Debian packages (as root, or through sudo)
# and the test oracles from PyPI in .venv/. Safe to run again: it only installs what is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libsqlite3-dev libmongoc-dev libbson-dev libssl-dev scamper iproute2)
# The official Engine.IO / Socket.IO protocol suites' runner (../shared/peers/socketio-protocol-suites), as its
# README installs them: without recommended packages.
APT_BARE_PACKAGES=(mocha chai node-ws node-fetch)
want_venv="${1:-}"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
updated=""

# install [apt-get flags] -- PACKAGES: installs those of PACKAGES that are absent.
install() {
    local flags=() missing=()
    while [ "$1" != "--" ]; do flags+=("$1"); shift; done
    shift
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    echo "installing Debian packages: ${missing[*]}"
    [ -n "$updated" ] || { $sudo apt-get update -qq; updated=1; }
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${flags[@]}" "${missing[@]}" >/dev/null
}

extra=()
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || extra+=(python3-venv)
install -- "${APT_PACKAGES[@]}" "${extra[@]}"
install --no-install-recommends -- "${APT_BARE_PACKAGES[@]}"

# venv DIR REQUIREMENTS: a venv holding exactly those requirements, rebuilt when they change.
venv() {
    local dir=$1 requirements=$2 stamp="$1/.requirements.txt"
    if [ ! -x "$dir/bin/python" ] || ! cmp -s "$requirements" "$stamp"; then
        echo "installing $requirements into $dir/"
        python3 -m venv "$dir"
        "$dir/bin/pip" install -q --disable-pip-version-check -r "$requirements"
        cp "$requirements" "$stamp"
    fi
}

if [ "$want_venv" = "--venv" ]; then
    venv .venv scripts/requirements-test.txt
    venv .venv/socketio-5.0.4 scripts/requirements-socketio-5.0.4.txt
    venv .venv/socketio-current scripts/requirements-socketio-current.txt
    venv .venv/secantus scripts/requirements-secantus.txt
    venv .venv/schemathesis scripts/requirements-schemathesis.txt
    # The original backend, a live peer of the tests (../shared/peers/original, beside this checkout).
    if [ -f ../shared/peers/original/requirements.lock ]; then
        venv .venv/original ../shared/peers/original/requirements.lock
    fi
fi
