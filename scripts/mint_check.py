"""Tries the audit's credit mint against a backend on 127.0.0.1:PORT and prints how many credits it made per second.

    python mint_check.py PORT SECONDS [IN_FLIGHT [SUPERUSER_EMAIL:PASSWORD]]

A user registers a probe, connects it (python-socketio, as probes do) and schedules a ping on it with
times_per_minute 1e-12 (next to nothing to pay), then the probe uploads the sample warts result again and again
with fresh unique codes, IN_FLIGHT at a time (default 1), for SECONDS. With a superuser, the user is first granted
10 credits (a backend that charges at least 1 credit per probe would otherwise refuse the operation). Prints JSON: the credits the user had after
the operation, what it was charged, what they had after the uploads, the uploads acknowledged as stored, and the credits
minted per second (the balance gained over what the user had before the operation).
"""
import json
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import socketio

PORT, SECONDS = int(sys.argv[1]), float(sys.argv[2])
IN_FLIGHT = int(sys.argv[3]) if len(sys.argv) > 3 else 1
SUPERUSER = sys.argv[4].split(":", 1) if len(sys.argv) > 4 else None
BASE = f"http://127.0.0.1:{PORT}"
WARTS = open(__file__.rsplit("/", 2)[0] + "/Fixtures/warts/sample-backend-warts_example.warts", "rb").read()


def call(method, path, body=None, token=None):
    request = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    if token:
        request.add_header("access_token", token)
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


email = f"minter-{uuid.uuid4().hex[:8]}@example.com"
call("POST", "/register", {"email": email, "password": "Secure_Pass1"})
token = call("POST", "/login", {"email": email, "password": "Secure_Pass1"})[1]["access_token"]
if SUPERUSER:
    root = call("POST", "/login", {"email": SUPERUSER[0], "password": SUPERUSER[1]})[1]["access_token"]
    me = call("GET", "/users/me", token=token)[1]
    call("POST", "/credits", {"id": me["_id"], "credits": 10}, root)
probe_token = call("POST", "/probes", {"location": {"latitude": 1, "longitude": 2}}, token)[1]["token"]
probe_id = call("GET", "/probes/me", token=token)[1][-1]["identifier"]
client = socketio.Client()
client.connect(f"{BASE}?token={probe_token}", headers={"total_credits": "1000000", "in_use_credits": "0"}, transports=["websocket"])
before_credits = call("GET", "/users/me", token=token)[1]["credits"]
status, operation = call("POST", "/ping", {"probes": [probe_id], "params": {
    "cron": "* * * * *", "stop_time": "01/01/2020 00:00", "times_per_minute": 1e-12, "ips": ["8.8.8.8"]}}, token)
if status != 201:
    client.disconnect()
    print(json.dumps({"operation": status, "answer": operation}))
    sys.exit(0)
stored = [0]
deadline = time.monotonic() + SECONDS
lock = threading.Lock()


def upload_loop():
    while time.monotonic() < deadline:
        done = threading.Event()
        answer = []
        client.emit("results", {"operation_id": operation["_id"], "content": WARTS, "unique_code": uuid.uuid4().hex, "format": "warts"},
                    callback=lambda *args: (answer.append(args), done.set()))
        done.wait(10)
        if answer and answer[0] and answer[0][0] == operation["_id"]:
            with lock:
                stored[0] += 1


started = time.monotonic()
threads = [threading.Thread(target=upload_loop) for _ in range(IN_FLIGHT)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
elapsed = time.monotonic() - started
end_credits = call("GET", "/users/me", token=token)[1]["credits"]
client.disconnect()
print(json.dumps({"credits_before": before_credits, "charged": operation.get("credits"), "credits_after_uploads": end_credits,
                  "acknowledged_as_stored": stored[0], "minted_per_second": (end_credits - before_credits) / elapsed, "seconds": elapsed}))
