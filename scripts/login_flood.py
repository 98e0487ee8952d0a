"""Floods a backend on 127.0.0.1:PORT with logins and times another path meanwhile.

    python login_flood.py PORT SECONDS CLIENTS [PROBE_PATH]

Registers one account, then CLIENTS threads log in with it (keep-alive connections) for SECONDS while one more
thread GETs PROBE_PATH (e.g. /health) in a loop. Prints JSON: logins per second, and the probe path's latency
p50 and p99 in milliseconds (when given).
"""
import http.client
import json
import sys
import threading
import time
import uuid

PORT, SECONDS, CLIENTS = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
PROBE = sys.argv[4] if len(sys.argv) > 4 else None
email = f"flood-{uuid.uuid4().hex[:8]}@example.com"
body = json.dumps({"email": email, "password": "Secure_Pass1"})


def post(connection, path):
    connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    answer = connection.getresponse()
    answer.read()
    return answer.status


post(http.client.HTTPConnection("127.0.0.1", PORT, timeout=30), "/register")
deadline = time.monotonic() + SECONDS
logins, statuses, latencies = [0], {}, []
lock = threading.Lock()


def flood():
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    while time.monotonic() < deadline:
        status = post(connection, "/login")
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                logins[0] += 1


def probe():
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    while time.monotonic() < deadline:
        start = time.monotonic()
        connection.request("GET", PROBE)
        connection.getresponse().read()
        latencies.append((time.monotonic() - start) * 1000)
        time.sleep(0.005)


threads = [threading.Thread(target=flood) for _ in range(CLIENTS)] + ([threading.Thread(target=probe)] if PROBE else [])
started = time.monotonic()
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
elapsed = time.monotonic() - started
latencies.sort()
report = {"logins_per_second": logins[0] / elapsed, "statuses": statuses, "seconds": elapsed}
if latencies:
    report.update(probe=PROBE, samples=len(latencies), p50_ms=latencies[len(latencies) // 2],
                  p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))])
print(json.dumps(report))
