"""A pladmed probe on python-socketio (as real probes run it), driven by JSON commands on stdin; everything
it observes is printed as JSON lines on stdout.

Commands:
  {"cmd": "connect", "url": ..., "token": ..., "headers": {...}}   -> {"event": "connected"} | {"event": "connect_error", "data": ...}
  {"cmd": "emit", "event": ..., "data": ...}                       -> nothing (no ack, as probes send credits)
  {"cmd": "upload", "operation_id": ..., "path": ..., "unique_code": ..., "format": "warts"|"gzip"}
                                                                   -> {"event": "ack", "data": [...]} | {"event": "no_ack"}
  {"cmd": "disconnect"}                                            -> {"event": "disconnected"}
Jobs the server sends print as {"event": "job", "name": "traceroute"|"ping"|"dns", "data": {...}}.
"""
import json
import sys
import threading
import time

import socketio

client = socketio.Client(reconnection=False)
state = {"connected": False, "error": None}
lock = threading.Lock()


def say(message):
    with lock:
        sys.stdout.write(json.dumps(message, sort_keys=True) + "\n")
        sys.stdout.flush()


for name in ("traceroute", "ping", "dns"):
    client.on(name, (lambda n: lambda data: say({"event": "job", "name": n, "data": data}))(name))


@client.on("connect")
def on_connect():
    state["connected"] = True


@client.on("connect_error")
def on_connect_error(data=None):
    state["error"] = data if data is not None else {}


def wait(predicate, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline and not predicate():
        time.sleep(0.01)
    return predicate()


for line in sys.stdin:
    command = json.loads(line)
    if command["cmd"] == "connect":
        try:
            client.connect(command["url"], headers=command.get("headers", {}), transports=["websocket"],
                           socketio_path="socket.io")
        except socketio.exceptions.ConnectionError as error:
            state["error"] = {"message": str(error)}
        wait(lambda: state["connected"] or state["error"] is not None, 5)
        if state["connected"]:
            say({"event": "connected"})
        else:
            say({"event": "connect_error", "data": state["error"]})
    elif command["cmd"] == "emit":
        client.emit(command["event"], command["data"])
        time.sleep(0.05)
    elif command["cmd"] == "upload":
        with open(command["path"], "rb") as handle:
            content = handle.read()
        try:
            ack = client.call("results", {"operation_id": command["operation_id"], "content": content,
                                          "unique_code": command["unique_code"], "format": command["format"]},
                              timeout=5)
            say({"event": "ack", "data": ack if isinstance(ack, list) else [ack]})
        except socketio.exceptions.TimeoutError:
            say({"event": "no_ack"})
    elif command["cmd"] == "disconnect":
        client.disconnect()
        say({"event": "disconnected"})
