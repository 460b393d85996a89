"""A minimal HTTP/1.1 server on a loopback port (anyio sockets, so asyncio and trio) that
serves :class:`FakeAPI` and can hang at a chosen stage, for cancellation and pool tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
from anyio.abc import SocketStream, TaskGroup

from .fake import FakeAPI


class RawServer:
    def __init__(self, fake: FakeAPI) -> None:
        self.fake = fake
        self.hang_paths: set[str] = set()  # hang before answering requests to these paths
        self.open_connections = 0
        self.hanging = anyio.Event()

    async def _read_request(self, stream: SocketStream, buf: bytearray) -> httpx.Request | None:
        while b"\r\n\r\n" not in buf:
            try:
                chunk = await stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                return None
            buf.extend(chunk)
        head, _, rest = bytes(buf).partition(b"\r\n\r\n")
        buf[:] = rest
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = [tuple(line.split(": ", 1)) for line in lines[1:]]
        hmap = {k.lower(): v for k, v in headers}
        if "content-length" in hmap:
            size = int(hmap["content-length"])
            body = await self._read_exact(stream, buf, size)
        elif hmap.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                line = await self._read_line(stream, buf)
                size = int(line.split(b";")[0], 16)
                data = await self._read_exact(stream, buf, size + 2)
                if size == 0:
                    break
                body += data[:-2]
        else:
            body = b""
        return httpx.Request(method, "http://loopback" + target, headers=headers, content=body)

    async def _read_line(self, stream: SocketStream, buf: bytearray) -> bytes:
        while b"\r\n" not in buf:
            buf.extend(await stream.receive())
        line, _, rest = bytes(buf).partition(b"\r\n")
        buf[:] = rest
        return line

    async def _read_exact(self, stream: SocketStream, buf: bytearray, size: int) -> bytes:
        while len(buf) < size:
            buf.extend(await stream.receive())
        data = bytes(buf[:size])
        del buf[:size]
        return data

    async def handle(self, stream: SocketStream) -> None:
        self.open_connections += 1
        buf = bytearray()
        try:
            async with stream:
                while True:
                    request = await self._read_request(stream, buf)
                    if request is None:
                        return
                    if request.url.path in self.hang_paths:
                        self.hanging.set()
                        await stream.receive()  # until the client goes away
                        return
                    response = self.fake.handler(request)
                    body = response.read()
                    head = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
                    head += f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
                    await stream.send(head.encode() + body)
        except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
            pass
        finally:
            self.open_connections -= 1

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._serve, listener, tg)
            try:
                yield f"http://127.0.0.1:{port}"
            finally:
                tg.cancel_scope.cancel()

    async def _serve(self, listener: anyio.abc.SocketListener, tg: TaskGroup) -> None:
        async with listener:
            await listener.serve(self.handle, task_group=tg)
