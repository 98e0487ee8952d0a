"""A python-socketio server (the current 5.x, on aiohttp) configured like socketio-echo, bound to
127.0.0.1 on a free port, so that our Swift client can be judged by a third-party server. Prints
"listening on 127.0.0.1:PORT" once it serves. pingInterval 1 s (python-socketio counts whole seconds; heartbeats happen during a test), pingTimeout
3 s (a busy machine cannot miss it), handlers `auth`, `message` -> `message-back`, `message-with-ack`, on `/` and
`/custom`; `kick` makes the server drop the connection (for reconnection tests).
"""
import asyncio
import sys

import socketio
from aiohttp import web

server = socketio.AsyncServer(async_mode="aiohttp", ping_interval=1, ping_timeout=3, max_http_buffer_size=1_000_000,
                              cors_allowed_origins="*", namespaces=["/", "/custom"])
app = web.Application()
server.attach(app)


def install(namespace):
    @server.on("connect", namespace=namespace)
    async def connect(sid, environ, auth=None):
        await server.emit("auth", auth, to=sid, namespace=namespace)

    @server.on("message", namespace=namespace)
    async def message(sid, *args):
        await server.emit("message-back", args if len(args) != 1 else args[0], to=sid, namespace=namespace)

    @server.on("message-with-ack", namespace=namespace)
    async def message_with_ack(sid, *args):
        return args

    @server.on("kick", namespace=namespace)
    async def kick(sid, *args):
        await server.eio.disconnect(server.manager.eio_sid_from_sid(sid, namespace))


install("/")
install("/custom")


async def main():
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"listening on 127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
