"""A dumb tuning-API sink for the pipeline benchmark (raw asyncio, stdlib only).

    .venv/bin/python benchmarks/sink.py [--port 0]

Prints ``sink listening on http://127.0.0.1:PORT`` once it accepts connections, then serves
HTTP/1.1 keep-alive until killed:

* ``POST /v1beta/tunedModels?tunedModelId=ID`` reads and discards the body (``Content-Length``
  or chunked), counting its bytes and the ``"textInput"`` keys in it (= examples sent), and
  answers a long-running Operation that aiotune and google-generativeai 0.8.6 both accept;
* ``GET /v1beta/tunedModels/ID/operations/OP`` answers that operation, done, with the model;
* ``GET /v1beta/tunedModels/ID`` answers an ``ACTIVE`` model;
* ``GET /stats/ID`` answers ``{"bytes": ..., "examples": ...}`` of the last create of ``ID``.

It parses nothing else and validates nothing, so it costs the clients as little as possible.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

META_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.CreateTunedModelMetadata"
MODEL_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.TunedModel"
MARK = b'"textInput"'
READ = 1 << 20

stats: dict[str, dict[str, int]] = {}
_ids = itertools.count()


class _Counter:
    """Bytes and occurrences of ``MARK`` in a body that arrives in pieces."""

    def __init__(self) -> None:
        self.bytes = self.examples = 0
        self._tail = b""

    def feed(self, piece: bytes) -> None:
        self.bytes += len(piece)
        # a mark cut by the piece boundary lies wholly inside tail + piece[:len(MARK) - 1]
        self.examples += piece.count(MARK) + (self._tail + piece[: len(MARK) - 1]).count(MARK)
        self._tail = (self._tail + piece)[-(len(MARK) - 1) :]


async def _feed(reader: asyncio.StreamReader, counter: _Counter, size: int) -> None:
    """Read exactly ``size`` bytes into ``counter``, in pieces."""
    while size:
        piece = await reader.read(min(size, READ))
        if not piece:
            raise asyncio.IncompleteReadError(b"", size)
        counter.feed(piece)
        size -= len(piece)


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> _Counter:
    counter = _Counter()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size = int((await reader.readline()).split(b";", 1)[0], 16)
            if size == 0:
                while (await reader.readline()).strip():  # trailers
                    pass
                return counter
            await _feed(reader, counter, size)
            await reader.readexactly(2)  # CRLF after the chunk
    await _feed(reader, counter, int(headers.get("content-length", "0")))
    return counter


def operation(model_id: str, done: bool = False) -> dict[str, Any]:
    model = f"tunedModels/{model_id}"
    op: dict[str, Any] = {
        "name": f"{model}/operations/op-{model_id}",
        "metadata": {"@type": META_TYPE, "tunedModel": model, "totalSteps": 10},
    }
    if done:
        op["done"] = True
        op["response"] = {"@type": MODEL_TYPE, **tuned_model(model_id)}
    return op


def tuned_model(model_id: str) -> dict[str, Any]:
    return {
        "name": f"tunedModels/{model_id}",
        "baseModel": "models/gemini-1.5-flash-001-tuning",
        "state": "ACTIVE",
    }


def route(method: str, target: str, counter: _Counter) -> tuple[int, Any]:
    url = urlsplit(target)
    parts = url.path.strip("/").split("/")
    if method == "POST" and url.path.rstrip("/") == "/v1beta/tunedModels":
        model_id = parse_qs(url.query).get("tunedModelId", [f"sink-{next(_ids)}"])[0]
        stats[model_id] = {"bytes": counter.bytes, "examples": counter.examples}
        return 200, operation(model_id)
    if method == "GET" and parts[:2] == ["v1beta", "tunedModels"] and len(parts) == 5:
        return 200, operation(parts[2], done=True)
    if method == "GET" and parts[:2] == ["v1beta", "tunedModels"] and len(parts) == 3:
        return 200, tuned_model(parts[2])
    if method == "GET" and parts[0] == "stats" and len(parts) == 2 and parts[1] in stats:
        return 200, stats[parts[1]]
    return 404, {"error": {"code": 404, "message": f"{method} {url.path}", "status": "NOT_FOUND"}}


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while line := await reader.readline():
            method, target, _ = line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while (raw := await reader.readline()).strip():
                key, _, value = raw.decode("latin-1").partition(":")
                headers[key.strip().lower()] = value.strip()
            status, data = route(method, target, await read_body(reader, headers))
            body = json.dumps(data).encode()
            writer.write(
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
                f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


async def serve(host: str, port: int) -> None:
    server = await asyncio.start_server(handle, host, port, limit=1 << 20)
    bound = server.sockets[0].getsockname()
    print(f"sink listening on http://{bound[0]}:{bound[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="A dumb tuning-API sink.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
