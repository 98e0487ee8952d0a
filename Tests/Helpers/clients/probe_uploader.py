"""A probe that uploads results in a loop: connects with TOKEN, waits for a traceroute job, then uploads
WARTS with unique codes PREFIX-0, PREFIX-1, ... to the operation of the last job, and prints each acknowledged code
on its own line ("acked CODE"), each job ("job OPERATION_ID"), and "connected SID" / "disconnected" as the connection
comes and goes.

Without --reconnect it stops when the server goes away (printing "disconnected"), and only then. With --reconnect it reconnects (python-socketio's own
reconnection, as probes use it) and goes on, retrying a code that got no answer. It connects over WebSocket only,
or with --polling as python-socketio does by default: long-polling first, then the upgrade to WebSocket.

Usage: python probe_uploader.py PORT TOKEN WARTS PREFIX [--reconnect] [--polling]
"""
import os
import sys
import threading

import socketio

arguments = [a for a in sys.argv[1:] if a not in ("--reconnect", "--polling")]
reconnect = "--reconnect" in sys.argv[1:]
transports = ["polling", "websocket"] if "--polling" in sys.argv[1:] else ["websocket"]
port, token, path, prefix = arguments
content = open(path, "rb").read()
client = socketio.Client(reconnection=reconnect, reconnection_delay=0.2, reconnection_delay_max=1, randomization_factor=0)
job = threading.Event()
ready = threading.Event()
operation = {}


@client.on("traceroute")
def on_job(data):
    operation["id"] = data["_id"]
    print(f"job {data['_id']}", flush=True)
    job.set()


@client.event
def connect():
    print(f"connected {client.eio.sid}", flush=True)
    ready.set()


@client.event
def disconnect():
    ready.clear()
    print("disconnected", flush=True)


client.connect(f"http://127.0.0.1:{port}?token={token}", headers={"total_credits": "100000", "in_use_credits": "0"},
               transports=transports)
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
        # An ack that did not come in time (a loaded store) is retried; only a lost connection ends a probe that
        # does not reconnect.
        if not reconnect and not client.connected:
            break
        continue
    if ack == operation["id"]:
        print(f"acked {code}", flush=True)
    n += 1
print("disconnected", flush=True)
os._exit(0)
