"""A probe that uploads results in a loop: connects with TOKEN, waits for a traceroute job, then uploads
WARTS with unique codes PREFIX-0, PREFIX-1, ... and prints each acknowledged code on its own line ("acked CODE"),
and "connected" / "disconnected" as the connection comes and goes.

Without --reconnect it stops when the server goes away. With --reconnect it reconnects (python-socketio's own
reconnection, as probes use it) and goes on, retrying a code that got no answer.

Usage: python probe_uploader.py PORT TOKEN WARTS PREFIX [--reconnect]
"""
import os
import sys
import threading

import socketio

arguments = [a for a in sys.argv[1:] if a != "--reconnect"]
reconnect = "--reconnect" in sys.argv[1:]
port, token, path, prefix = arguments
content = open(path, "rb").read()
client = socketio.Client(reconnection=reconnect, reconnection_delay=0.2, reconnection_delay_max=1, randomization_factor=0)
job = threading.Event()
ready = threading.Event()
operation = {}


@client.on("traceroute")
def on_job(data):
    operation["id"] = data["_id"]
    job.set()


@client.event
def connect():
    print("connected", flush=True)
    ready.set()


@client.event
def disconnect():
    ready.clear()
    print("disconnected", flush=True)


client.connect(f"http://127.0.0.1:{port}?token={token}", headers={"total_credits": "100000", "in_use_credits": "0"},
               transports=["websocket"])
job.wait(30)
n = 0
while True:
    if not reconnect and not client.connected:
        break
    if reconnect and not ready.wait(1):
        continue
    code = f"{prefix}-{n}"
    try:
        ack = client.call("results", {"operation_id": operation["id"], "content": content, "unique_code": code,
                                      "format": "warts"}, timeout=2)
    except Exception:
        if not reconnect:
            break
        continue
    if ack == operation["id"]:
        print(f"acked {code}", flush=True)
    n += 1
sys.stdout.flush()
os._exit(0)
