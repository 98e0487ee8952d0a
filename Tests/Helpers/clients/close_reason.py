"""A raw Engine.IO/Socket.IO WebSocket probe session (websocket-client): joins the default namespace with TOKEN,
answers pings, prints "joined", and at the server's close frame prints {"code": ..., "reason": ...} and exits.

Usage: python close_reason.py PORT TOKEN
"""
import json
import struct
import sys

import websocket

port, token = sys.argv[1], sys.argv[2]
ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket&token={token}",
                                 header=["total_credits: 100", "in_use_credits: 0"], timeout=60)
assert ws.recv().startswith("0"), "no Engine.IO open packet"
ws.send("40")
assert ws.recv().startswith("40"), "not admitted to the namespace"
print("joined", flush=True)
while True:
    opcode, data = ws.recv_data(control_frame=True)
    if opcode == websocket.ABNF.OPCODE_CLOSE:
        code = struct.unpack(">H", data[:2])[0] if len(data) >= 2 else None
        print(json.dumps({"code": code, "reason": data[2:].decode()}), flush=True)
        break
    if opcode == websocket.ABNF.OPCODE_TEXT and data == b"2":
        ws.send("3")
