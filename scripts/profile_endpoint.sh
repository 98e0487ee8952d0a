#!/bin/bash
# Profiles one endpoint of a release `pladmed serve` on a fresh SQLite file seeded with an account, 20 probes and
# one ping of theirs (what `make bench-compare` seeds is 100 probes, 10 connected). Requests carry the account's
# token. Prints the server's CPU time and context switches per request, then the heaviest frames (inclusive) of
# a `perf record -g` taken during the load.
#   scripts/profile_endpoint.sh PATH [ENV=VALUE ...]
# e.g. scripts/profile_endpoint.sh /probes PLADMED_PROBE_LIST_MAX_AGE=0
set -eu
path=$1; shift
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/.build/release
work=$(mktemp -d)
probe_client=""
trap 'kill $server $probe_client 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env SECRET_KEY=dev PLADMED_SQLITE_PATH="$work/p.sqlite" PLADMED_LOGIN_RATE_PER_ADDRESS=0 PLADMED_LOGIN_RATE_PER_ACCOUNT=0 "$@" \
    "$bin/pladmed" serve --host 127.0.0.1 --port "$port" > "$work/server.log" 2>&1 &
server=$!
until curl -sf "http://127.0.0.1:$port/health" > /dev/null; do sleep 0.1; done
curl -sf -X POST "http://127.0.0.1:$port/register" -d '{"email":"seed@example.com","password":"Secure_Pass1"}' > /dev/null
token=$(curl -sf -X POST "http://127.0.0.1:$port/login" -d '{"email":"seed@example.com","password":"Secure_Pass1"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
for _ in $(seq 20); do
    probe_token=$(curl -sf -X POST "http://127.0.0.1:$port/probes" -H "access_token: $token" -d '{"location":{"latitude":1,"longitude":2}}' |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
done
# The last probe connects (python-socketio, as probes do), so that the ping below has somewhere to go.
"$repo/.venv/socketio-5.0.4/bin/python" -c '
import socketio, sys, time
client = socketio.Client(reconnection=False)
client.connect(f"http://127.0.0.1:{sys.argv[1]}?token={sys.argv[2]}", headers={"total_credits": "100", "in_use_credits": "0"},
               transports=["websocket"])
time.sleep(3600)' "$port" "$probe_token" > /dev/null 2>&1 &
probe_client=$!
until curl -sf "http://127.0.0.1:$port/probes" | grep -q '"connected":true'; do sleep 0.1; done
SECRET_KEY=dev PLADMED_SQLITE_PATH="$work/p.sqlite" "$bin/pladmed" superuser create root@example.com 'R00t!secret' > /dev/null 2>&1
admin=$(curl -sf -X POST "http://127.0.0.1:$port/login" -d '{"email":"root@example.com","password":"R00t!secret"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
id=$(curl -sf "http://127.0.0.1:$port/users/me" -H "access_token: $token" | python3 -c 'import json, sys; print(json.load(sys.stdin)["_id"])')
curl -sf -X POST "http://127.0.0.1:$port/credits" -H "access_token: $admin" -d "{\"id\":\"$id\",\"credits\":100}" > /dev/null
probe=$(curl -sf "http://127.0.0.1:$port/probes" |
    python3 -c 'import json, sys; print(next(p["identifier"] for p in json.load(sys.stdin) if p["connected"]))')
curl -sf -X POST "http://127.0.0.1:$port/ping" -H "access_token: $token" \
    -d "{\"probes\":[\"$probe\"],\"params\":{\"cron\":\"* * * * *\",\"stop_time\":\"01/01/2020 00:00\",\"times_per_minute\":1,\"ips\":[\"192.0.2.1\"]}}" > /dev/null
ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
before=$(ticks)
perf stat -e context-switches -p "$server" -o "$work/stat" -- sleep 5.5 > /dev/null 2>&1 &
stat=$!
perf record -F 1999 -g -p "$server" -o "$work/perf.data" -- sleep 5.5 > /dev/null 2>&1 &
record=$!
sleep 0.2
rps=$("$bin/pladmed-bench" http --base-url "http://127.0.0.1:$port" --path "$path" --header "access_token: $token" --seconds 5 --connections 10 |
    awk -F'|' '/^\| http/ {gsub(/ /, "", $5); print $5}')
wait $stat $record
after=$(ticks)
switches=$(awk '/context-switches/ {gsub(",", "", $1); print $1}' "$work/stat")
python3 - "$rps" "$before" "$after" "$switches" "$path" <<'PY'
import sys
rps, before, after, switches, path = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
requests = rps * 5
print(f"{path}: {rps:.0f} requests/s, server CPU {1e6 * (after - before) / 100 / requests:.0f} us/request, "
      f"{switches / requests:.2f} context switches/request")
PY
# Inclusive shares of the frames that are ours or our dependencies' entry points (not the loops that run them).
perf report -i "$work/perf.data" --children --sort symbol -g none 2>/dev/null | grep -v '^#' | grep -v '^$' |
    awk '{share = $1; $1 = ""; $2 = ""; $3 = ""; print share "\t" $0}' | swift demangle --simplified |
    grep -E 'Pladmed|SQLite|Database|HS256|Token|JSONEncoder\.encode|JSONDecoder\.decode|Converter|Middleware|Router|Responder|readFromSocket|writev' |
    grep -v 'thunk\|partial apply' | head -${TOP:-14} | cut -c1-150
