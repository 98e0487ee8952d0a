"""Raw Engine.IO / Socket.IO checks against a server on 127.0.0.1:PORT configured like socketio-echo
(pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1000000, connectTimeout 1000 ms), with a plain
websocket client; prints the outcomes as JSON.
"""
import json
import sys
import time

import websocket

port = int(sys.argv[1])
url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
result = {}


def open_socket():
    ws = websocket.create_connection(url, timeout=3)
    result.setdefault("open", ws.recv())
    return ws


def closed_after(ws, send=None, seconds=2.0):
    """Whether the server closes the connection (answering pings meanwhile is not done)."""
    if send is not None:
        for frame in send if isinstance(send, list) else [send]:
            if isinstance(frame, bytes):
                ws.send_binary(frame)
            else:
                ws.send(frame)
    deadline = time.time() + seconds
    try:
        while time.time() < deadline:
            frame = ws.recv()
            if frame == "" or frame is None:
                return True
    except Exception:
        return True
    return False


def receive(ws):
    """The next frame that is not a heartbeat ping (pings are answered)."""
    while True:
        frame = ws.recv()
        if frame == "2":
            ws.send("3")
            continue
        return frame


ws = open_socket()
ws.send("40")
result["connect"] = receive(ws)
result["auth_event"] = receive(ws)
ws.send('421["message-with-ack",1,{"a":"b"}]')
result["ack"] = receive(ws)
ws.send('42["message","x"]')
result["event"] = receive(ws)
ws.send('451-["message",{"_placeholder":true,"num":0}]')
ws.send_binary(b"\x00\x01\x02")
result["binary_header"] = receive(ws)
result["binary_attachment"] = list(receive(ws))
ws.send("40/random,")
result["invalid_namespace"] = receive(ws)
ws.send("2probe")
result["pong"] = receive(ws)
ws.close()

result["closes_on_event_before_connect"] = closed_after(open_socket(), '42["message"]')
result["closes_on_malformed_packet"] = closed_after(open_socket(), ["40", "4x"])
result["closes_on_empty_event"] = closed_after(open_socket(), ["40", "42[]"])
result["closes_on_binary_without_packet"] = closed_after(open_socket(), ["40", b"\x01"])
result["closes_without_connect"] = closed_after(open_socket(), None, seconds=2.5)
ws = open_socket()
ws.send("40")
ws.recv()
started = time.time()
result["closes_without_pong"] = closed_after(ws, None, seconds=2.0)
result["closed_after_ms"] = int((time.time() - started) * 1000)
ws = open_socket()
ws.send("40")
ws.recv()
try:
    ws.send("42" + json.dumps(["message", "x" * 1_100_000]))
    result["oversize_close"] = closed_after(ws, None, seconds=2.0)
except Exception:
    result["oversize_close"] = True
print(json.dumps({k: (list(v) if isinstance(v, bytes) else v) for k, v in result.items()}, sort_keys=True))
