#!/usr/bin/env bash
# Runs the real probe software (../shared/peers/pladmed-client, unmodified) in a private mount namespace, as its
# README says, so that nothing of the machine is touched: the client's code at /src, its state at /safe_storage,
# cron's spool, /run (cron's pid file), /etc/crontab and /etc/cron.d (the machine's own jobs) and /etc/resolv.conf
# (DNS jobs ask 127.0.0.1) are all bind mounts of folders under WORK, seen only inside. A cron daemon of its own runs
# the client's measurements. Runs in the foreground until killed: killing it (the `unshare` process) kills the
# namespace's first process, and with it everything the client and cron started.
#
#   pladmed_client.sh WORK CLIENT_SRC VENV BACKEND TOKEN CA_FILE PORT_BASE
#
# BACKEND is host:port of a TLS endpoint (the client only speaks wss://); CA_FILE the certificate it must trust;
# PORT_BASE the first of the three local ports the client and its cron jobs talk on (several clients side by side).
# The client's output goes to WORK/client.log, cron's to WORK/cron.log (appended: run again on the same WORK, the
# client starts from the state it left, as a restarted probe does).
set -euo pipefail
work=$1 client_src=$2 venv=$3 backend=$4 token=$5 ca_file=$6 port_base=$7

if [ "${PLADMED_CLIENT_INSIDE:-}" != 1 ]; then
    # The mount points must exist on the machine (empty folders; the mounts themselves stay inside).
    mkdir -p /src /safe_storage
    rm -rf "$work"/run
    mkdir -p "$work"/src "$work"/safe_storage/results "$work"/safe_storage/tmp "$work"/spool "$work"/run "$work"/cron.d
    cp -R "$client_src"/. "$work"/src/
    : > "$work"/crontab
    echo "nameserver 127.0.0.1" > "$work"/resolv.conf
    chgrp crontab "$work"/spool && chmod 1730 "$work"/spool
    export PLADMED_CLIENT_INSIDE=1
    # A PID namespace too, whose first process dies with unshare (--kill-child): the kernel then ends everything in
    # it, cron's jobs included (cron runs each in a session of its own, out of reach of a process group kill).
    exec unshare --mount --propagation private --pid --fork --kill-child --mount-proc -- "$0" "$@"
fi

mount --bind "$work"/src /src
mount --bind "$work"/safe_storage /safe_storage
mount --bind "$work"/spool /var/spool/cron/crontabs
mount --bind "$work"/run /run
mount --bind "$work"/crontab /etc/crontab
mount --bind "$work"/cron.d /etc/cron.d
mount --bind "$work"/resolv.conf /etc/resolv.conf

finish_operation=$port_base finish_task=$((port_base + 1)) time_sync=$((port_base + 2))
# Debian's cron clears the environment: root's crontab carries what the jobs need (python-crontab keeps these lines).
printf '%s\n' "SHELL=/bin/sh" "PATH=$venv/bin:/usr/bin:/bin:/usr/sbin:/sbin" "FINISH_TASK_PORT=$finish_task" \
    "FINISH_OPERATION_PORT=$finish_operation" "TIME_SYNC_PORT=$time_sync" | crontab -

cron -f -L 15 >> "$work"/cron.log 2>&1 &
cron=$!
trap 'kill $cron 2>/dev/null || true' EXIT
# cron notices a crontab change by the spool's modification time in whole seconds: a change made in the second it
# loaded the spool would never run. Wait for its pid file (it has loaded), then for the next second.
until [ -s /run/crond.pid ]; do
    kill -0 $cron 2>/dev/null || { echo "cron did not start: $(cat "$work"/cron.log)" >&2; exit 1; }
    sleep 0.05
done
loaded=$(date +%s)
while [ "$(date +%s)" -le "$loaded" ]; do sleep 0.05; done

cd /src
TOKEN=$token OPERATIONS_RATE=62Kbps BACKEND_FQDNS=$backend NTP_SERVER=127.0.0.1 TIME_SYNC_PORT=$time_sync \
    FINISH_OPERATION_PORT=$finish_operation FINISH_TASK_PORT=$finish_task SSL_CERT_FILE=$ca_file PYTHONUNBUFFERED=1 \
    "$venv"/bin/python main.py >> "$work"/client.log 2>&1
