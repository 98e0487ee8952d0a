"""Sends requests to 127.0.0.1:PORT the way Node's HTTP agent pools connections (under node-fetch, which the official
Socket.IO suites use): an idle connection is reused for the next request unless its last answer said
`Connection: close`; some requests carry `Connection: close` themselves, as node-fetch's do. A server that closes
such a connection without saying so makes the next request on it fail ("socket hang up").

    python http_pooling_client.py PORT METHOD:PATH...

Prints JSON: {"answers": [[method, path, close_asked, status, connection_header]...], "failures": [...]}.
"""
import json
import socket
import sys

HOST = "127.0.0.1"
PORT = int(sys.argv[1])
pool = []


def read_answer(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("socket hang up")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("socket hang up")
        body += chunk
    return status, headers


def request(method, path, close):
    sock = pool.pop() if pool else socket.create_connection((HOST, PORT), timeout=20)
    text = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nContent-Length: 0\r\n"
    if close:
        text += "Connection: close\r\n"
    sock.sendall((text + "\r\n").encode())
    status, headers = read_answer(sock)
    connection = headers.get("connection", "")
    if connection.lower() == "close":
        sock.close()
    else:
        pool.append(sock)
    return status, connection


answers, failures = [], []
for round_ in range(3):
    for target in sys.argv[2:]:
        method, _, path = target.partition(":")
        for close in (False, True, False):
            try:
                status, connection = request(method, path, close)
                answers.append([method, path, close, status, connection])
            except (OSError, ConnectionError) as error:
                failures.append([method, path, close, str(error)])
print(json.dumps({"answers": answers, "failures": failures}))
