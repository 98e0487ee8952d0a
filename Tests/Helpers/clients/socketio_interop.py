"""Drives a Socket.IO server on 127.0.0.1:PORT (configured like socketio-echo) with the python-socketio client
installed in this interpreter, and prints the outcomes as JSON.

Usage: python socketio_interop.py PORT [websocket|polling|upgrade]
  websocket: WebSocket only (as probes connect); polling: HTTP long-polling only; upgrade: polling first,
  then the upgrade to WebSocket (the client's default). The outcome names the transport finally used.
"""
import json
import sys
import threading
import time

import socketio

port = int(sys.argv[1])
mode = sys.argv[2] if len(sys.argv) > 2 else "websocket"
transports = {"websocket": ["websocket"], "polling": ["polling"], "upgrade": ["polling", "websocket"]}[mode]
url = f"http://127.0.0.1:{port}"
result = {"version": socketio.__version__ if hasattr(socketio, "__version__") else "?"}


def wait(predicate, seconds=5.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


# Events, acks and a 200 KB binary attachment on "/" and "/custom".
client = socketio.Client()
received = {"/": [], "/custom": []}
auth = {}
for namespace in ("/", "/custom"):
    client.on("message-back", (lambda ns: lambda *args: received[ns].append(list(args)))(namespace), namespace=namespace)
    client.on("auth", (lambda ns: lambda data: auth.__setitem__(ns, data))(namespace), namespace=namespace)
client.connect(url, transports=transports, namespaces=["/", "/custom"])
wait(lambda: len(auth) == 2)
if mode == "upgrade":
    wait(lambda: client.transport() == "websocket", 3)
result["connected"] = sorted(auth)
result["auth"] = auth.get("/")
client.emit("message", (1, "2", {"3": [True]}))
client.emit("message", (7,), namespace="/custom")
result["ack"] = client.call("message-with-ack", (4, "five", {"six": None}))
result["ack_custom"] = client.call("message-with-ack", ("custom",), namespace="/custom")
payload = bytes(range(256)) * 800  # 204,800 bytes
client.emit("message", (payload, {"label": "binary"}))
wait(lambda: len(received["/"]) >= 2 and len(received["/custom"]) >= 1)
result["transport"] = client.transport()
result["back"] = received["/"][0] if received["/"] else None
binary = received["/"][1] if len(received["/"]) > 1 else None
result["binary_equal"] = bool(binary) and binary[0] == payload and binary[1] == {"label": "binary"}
result["back_custom"] = received["/custom"][0] if received["/custom"] else None
client.disconnect()

# An unknown namespace is refused with a connect_error.
refused = socketio.Client()
errors = []
refused.on("connect_error", lambda data=None: errors.append(data), namespace="/random")
try:
    refused.connect(url, transports=transports, namespaces=["/random"])
    wait(lambda: errors, 3)
except socketio.exceptions.ConnectionError as error:
    errors.append({"message": str(error)})
result["refused"] = errors[0] if errors else None
try:
    refused.disconnect()
except Exception:
    pass

print(json.dumps(result, sort_keys=True))
