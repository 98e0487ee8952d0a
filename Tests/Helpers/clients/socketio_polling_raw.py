"""Raw Engine.IO HTTP long-polling checks (and the upgrade to WebSocket) against a server on 127.0.0.1:PORT
configured like socketio-echo (maxPayload 1000000, CORS *; any heartbeat, read from the open packet); prints
the outcomes as JSON. Every check is written from the engine.io-protocol specification.
"""
import base64
import json
import queue
import sys
import threading
import time

import requests
import websocket

port = int(sys.argv[1])
base = f"http://127.0.0.1:{port}/socket.io/"
result = {}
RS = "\x1e"


def answer(response):
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return {"status": response.status_code, "body": body}


class Session:
    """A polling session whose background poller answers pings and queues every other packet."""

    def __init__(self, auto=True):
        response = requests.get(base, params={"EIO": "4", "transport": "polling"}, timeout=3)
        self.open_response = response
        self.handshake = json.loads(response.text[1:])
        self.sid = self.handshake["sid"]
        self.packets = queue.Queue()
        self.stop = False
        self.ended = None
        if auto:
            threading.Thread(target=self.poll_forever, daemon=True).start()

    def url(self, transport="polling"):
        return f"{base}?EIO=4&transport={transport}&sid={self.sid}"

    def get(self):
        return requests.get(self.url(), timeout=5)

    def post(self, *packets, raw=None):
        data = raw if raw is not None else RS.join(packets).encode()
        return requests.post(self.url(), data=data, headers={"Content-Type": "text/plain;charset=UTF-8"}, timeout=5)

    def poll_forever(self):
        while not self.stop:
            response = self.get()
            if response.status_code != 200:
                self.ended = answer(response)
                return
            for packet in response.text.split(RS):
                if packet == "2":
                    self.post("3")
                else:
                    self.packets.put(packet)
            if "1" in response.text.split(RS):
                self.ended = "close packet"
                return

    def expect(self, predicate, seconds=3.0):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                packet = self.packets.get(timeout=0.05)
            except queue.Empty:
                continue
            if predicate(packet):
                return packet
        return None


# The handshake: an open packet offering the websocket upgrade, plain text, CORS.
session = Session()
result["open_status"] = session.open_response.status_code
result["open_content_type"] = session.open_response.headers.get("Content-Type")
result["open_cors"] = session.open_response.headers.get("Access-Control-Allow-Origin")
result["handshake"] = {k: session.handshake[k] for k in ("upgrades", "pingInterval", "pingTimeout", "maxPayload")}

# Socket.IO over polling: CONNECT, the auth event, an event, an ack, a binary event with its attachment.
result["post_connect"] = answer(session.post('40{"token":"t"}'))
result["connected"] = session.expect(lambda p: p.startswith("40{")) is not None
result["auth_event"] = session.expect(lambda p: p.startswith('42["auth"'))
session.post('42["message",1,"two"]')
result["event"] = session.expect(lambda p: "message-back" in p)
session.post('421["message-with-ack",{"a":[true]}]')
result["ack"] = session.expect(lambda p: p.startswith("431"))
attachment = bytes(range(256)) * 4
session.post('451-["message",{"_placeholder":true,"num":0}]', "b" + base64.b64encode(attachment).decode())
result["binary_header"] = session.expect(lambda p: p.startswith("451-"))
echoed = session.expect(lambda p: p.startswith("b"))
result["binary_attachment_equal"] = echoed is not None and base64.b64decode(echoed[1:]) == attachment
# Heartbeats: the poller answers pings; after two ping intervals the session is alive.
time.sleep(2 * session.handshake["pingInterval"] / 1000)
result["alive_after_heartbeats"] = session.ended is None
# A body above maxPayload: 413, the session goes on.
result["oversize_status"] = session.post(raw=b"4" + b"x" * 1_000_001).status_code
session.post('42["message","still"]')
result["alive_after_oversize"] = session.expect(lambda p: "still" in p) is not None
# The client's close packet: the pending GET gets a noop, the sid is gone.
session.post("1")
time.sleep(0.3)
session.stop = True
result["after_close"] = answer(session.get())

# Protocol errors, each with the official code and message.
result["errors"] = {
    "no_transport": answer(requests.get(base, params={"EIO": "4"}, timeout=3)),
    "bad_transport": answer(requests.get(base, params={"EIO": "4", "transport": "carrier-pigeon"}, timeout=3)),
    "eio3": answer(requests.get(base, params={"EIO": "3", "transport": "polling"}, timeout=3)),
    "no_eio": answer(requests.get(base, params={"transport": "polling"}, timeout=3)),
    "post_handshake": answer(requests.post(base, params={"EIO": "4", "transport": "polling"}, data=b"40", timeout=3)),
    "unknown_sid": answer(requests.get(base, params={"EIO": "4", "transport": "polling", "sid": "nope"}, timeout=3)),
    "websocket_without_upgrade": answer(requests.get(base, params={"EIO": "4", "transport": "websocket"}, timeout=3)),
}
quiet = Session(auto=False)
result["errors"]["put"] = answer(requests.put(quiet.url(), data=b"40", timeout=3))
preflight = requests.options(base, headers={"Origin": "http://example.com", "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "content-type"}, timeout=3)
result["preflight"] = {"status": preflight.status_code,
                       "origin": preflight.headers.get("Access-Control-Allow-Origin"),
                       "methods": preflight.headers.get("Access-Control-Allow-Methods"),
                       "headers": preflight.headers.get("Access-Control-Allow-Headers")}

# An invalid packet: 400 and the session is closed.
broken = Session(auto=False)
result["invalid_packet"] = answer(broken.post("9nonsense"))
result["after_invalid"] = answer(broken.get())

# Two GETs at once: the second is refused, the session closes, the first receives a close packet.
overlap = Session(auto=False)
first = {}
thread = threading.Thread(target=lambda: first.setdefault("response", overlap.get()))
thread.start()
time.sleep(0.1)
result["second_get"] = answer(overlap.get())
thread.join(3)
result["first_get"] = first["response"].text if "response" in first else None

# No pong: the session ends after pingInterval + pingTimeout.
silent = Session(auto=False)
silent.post("40")
started = time.time()
while True:
    response = silent.get()
    if response.status_code != 200 or "1" in response.text.split(RS):
        break
result["silent_closed_after_ms"] = int((time.time() - started) * 1000)

# The upgrade: websocket with the sid, 2probe/3probe, the pending GET released with a noop, 5, then events
# travel over the websocket and polling requests for the sid are refused.
upgrade = Session(auto=False)
upgrade.post("40")
first_poll = upgrade.get().text  # the CONNECT answer and the auth event
pending = {}
poll_thread = threading.Thread(target=lambda: pending.setdefault("response", upgrade.get()))
poll_thread.start()
ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket&sid={upgrade.sid}", timeout=3)
ws.send("2probe")
result["probe_answer"] = ws.recv()
poll_thread.join(3)
result["released_poll"] = pending["response"].text if "response" in pending else None
ws.send("5")
ws.send('42["message","over websocket"]')
frame = ws.recv()
while frame == "2":
    ws.send("3")
    frame = ws.recv()
result["upgraded_event"] = frame
result["poll_after_upgrade"] = answer(upgrade.get())
second_ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket&sid={upgrade.sid}", timeout=3)
try:
    second_ws.send("2probe")
    reply = second_ws.recv()
    result["second_websocket_closed"] = reply in ("", None)
except Exception:
    result["second_websocket_closed"] = True
ws.close()

print(json.dumps(result, sort_keys=True))
