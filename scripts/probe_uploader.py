"""A probe that uploads results in a loop: connects with TOKEN, waits for a traceroute job, then uploads
WARTS with unique codes PREFIX-0, PREFIX-1, ... and prints each acknowledged code on its own line, until the
server goes away.

Usage: python probe_uploader.py PORT TOKEN WARTS PREFIX
"""
import sys
import threading
import time

import socketio

port, token, path, prefix = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
content = open(path, "rb").read()
client = socketio.Client(reconnection=False)
job = threading.Event()
operation = {}


@client.on("traceroute")
def on_job(data):
    operation["id"] = data["_id"]
    job.set()


client.connect(f"http://127.0.0.1:{port}?token={token}", headers={"total_credits": "100000", "in_use_credits": "0"},
               transports=["websocket"])
print("connected", flush=True)
job.wait(30)
n = 0
while client.connected:
    code = f"{prefix}-{n}"
    try:
        ack = client.call("results", {"operation_id": operation["id"], "content": content, "unique_code": code,
                                      "format": "warts"}, timeout=2)
    except Exception:
        break
    if ack == operation["id"]:
        print(f"acked {code}", flush=True)
    n += 1
sys.stdout.flush()
import os
os._exit(0)
