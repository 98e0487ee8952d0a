#!/usr/bin/env bash
# Installs what building and testing need when it is missing: Debian packages (as root, or through sudo)
# and the test oracles from PyPI in .venv/. Safe to run again: it only installs what is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

# cron and dig: the real probe software (../shared/peers/pladmed-client) runs its measurements from cron, with
# scamper and dig; openssl makes the test and `make start` certificates.
APT_PACKAGES=(libsqlite3-dev libmongoc-dev libbson-dev libssl-dev scamper iproute2 redis-server nginx cron bind9-dnsutils openssl)
# The official Engine.IO / Socket.IO protocol suites' runner (../shared/peers/socketio-protocol-suites), as its
# README installs them: without recommended packages.
APT_BARE_PACKAGES=(mocha chai node-ws node-fetch)
# The operating checks' real parts: a Prometheus that scrapes us, a headless Chromium that drives /docs, a chronyd
# serving NTP. A test whose package cannot be installed is skipped and says why; the rest goes on.
APT_OPTIONAL_PACKAGES=(prometheus chromium chromium-driver chrony)
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
    # Packages must not start their services (chronyd would steer the clock from public servers, nginx would take
    # port 80): without a policy-rc.d already in place, one refuses every start for the time of the install.
    local policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy"
    fi
    local status=0
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${flags[@]}" "${missing[@]}" >/dev/null || status=$?
    [ -z "$policy" ] || $sudo rm -f "$policy"
    return $status
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

# Swagger UI's files for /docs, from PyPI at build time (none is committed): .build/swagger-ui/.
venv .venv/swagger-ui scripts/requirements-swagger-ui.txt
ui_source=$(.venv/swagger-ui/bin/python -c 'import os, swagger_ui; print(os.path.join(os.path.dirname(swagger_ui.__file__), "static"))')
mkdir -p .build/swagger-ui
for file in swagger-ui.css swagger-ui-bundle.js favicon-32x32.png favicon-16x16.png oauth2-redirect.html LICENSE; do
    cmp -s "$ui_source/$file" ".build/swagger-ui/$file" || cp "$ui_source/$file" ".build/swagger-ui/$file"
done

if [ "$want_venv" = "--venv" ]; then
    install --no-install-recommends -- "${APT_OPTIONAL_PACKAGES[@]}" || echo "could not install ${APT_OPTIONAL_PACKAGES[*]}: their checks are skipped"
    venv .venv/operating scripts/requirements-operating.txt
    venv .venv scripts/requirements-test.txt
    venv .venv/socketio-5.0.4 scripts/requirements-socketio-5.0.4.txt
    venv .venv/socketio-current scripts/requirements-socketio-current.txt
    venv .venv/secantus scripts/requirements-secantus.txt
    venv .venv/schemathesis scripts/requirements-schemathesis.txt
    # The original backend, a live peer of the tests (../shared/peers/original, beside this checkout).
    if [ -f ../shared/peers/original/requirements.lock ]; then
        venv .venv/original ../shared/peers/original/requirements.lock
    fi
    # The real probe software's pins (../shared/peers/pladmed-client/README.md).
    venv .venv/pladmed-client scripts/requirements-pladmed-client.txt
fi
