"""A wire-faithful local emulator of the Generative Language API v1beta tuning surface.

::

    emu = Emulator(step_time=0.5)                 # nothing bound to an event loop yet
    async with emu.serve() as base_url:           # uvicorn on a free loopback port (asyncio)
        client = aiotune.AsyncClient(api_key="any", base_url=base_url)
    client = aiotune.AsyncClient(api_key="any", transport=emu.transport())  # in-process

Or from a shell: ``python -m aiotune.emulator --port 8765`` (``aiotune emulator`` is the same),
then point any client at ``http://127.0.0.1:8765`` -- the official ``google-generativeai`` client
too (``transport="rest"``, ``client_options={"api_endpoint": url}``).

What it models (details in the submodules): tuned-model CRUD, operations (get/list under v1beta
and v1, cancel under v1), base models, ``generateContent`` / ``streamGenerateContent`` /
``generateText`` answered from the tuned model's own training examples (nearest by word overlap),
the service's validation and error envelope, API-key isolation, simulated training
(:mod:`._simulation`), and fault injection (:mod:`._faults`). A display name or description
containing ``[fail@K]`` makes that job fail at step K.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields

import anyio
import httpx

from ._app import DropConnection, build_app
from ._faults import DROP, Faults
from ._simulation import Clock, SystemClock, VirtualClock
from ._state import BASE_MODELS, Store

__all__ = ["BASE_MODELS", "DROP", "Clock", "Emulator", "EmulatorConfig", "Faults", "VirtualClock"]


@dataclass(frozen=True)
class EmulatorConfig:
    """Emulator settings. ``api_keys``: if set, only these keys are valid (others get 400)."""

    step_time: float = 0.5
    api_keys: frozenset[str] | None = None
    fail_at_step: int | None = None
    max_input_chars: int = 40_000
    max_output_chars: int = 5_000
    seed: int | None = None


class _Transport(httpx.ASGITransport):
    """In-process transport; an injected "drop" fault surfaces as a dropped connection."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except DropConnection as exc:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            ) from exc


class Emulator:
    """One emulated service: its state, clock, faults and ASGI app."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        clock: Clock | None = None,
        **options: object,
    ) -> None:
        names = {f.name for f in fields(EmulatorConfig)}
        unknown = set(options) - names
        if unknown:
            raise TypeError(f"unknown emulator option(s): {', '.join(sorted(unknown))}")
        if "api_keys" in options and options["api_keys"] is not None:
            options["api_keys"] = frozenset(options["api_keys"])  # type: ignore[arg-type]
        base = config or EmulatorConfig()
        self.config = EmulatorConfig(**{**{n: getattr(base, n) for n in names}, **options})  # type: ignore[arg-type]
        self.clock: Clock = clock or SystemClock()
        self.faults = Faults(seed=self.config.seed)
        self.store = Store(
            clock=self.clock,
            step_time=self.config.step_time,
            fail_at_step=self.config.fail_at_step,
            max_input_chars=self.config.max_input_chars,
            max_output_chars=self.config.max_output_chars,
        )
        self.app = build_app(self.store, self.faults, self.config.api_keys)

    def __repr__(self) -> str:
        return f"<Emulator step_time={self.config.step_time} jobs={len(self.store.jobs)}>"

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport that calls the app in-process (any base URL works)."""
        return _Transport(app=self.app)

    @asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve the app with uvicorn (asyncio only) and yield its base URL."""
        import uvicorn

        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        bound = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="critical",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # uvicorn < 0.29
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(server.serve, [sock])
                while not server.started:
                    if server.should_exit:
                        raise RuntimeError("the emulator's server failed to start")
                    await anyio.sleep(0.005)
                try:
                    yield f"http://{host if ':' not in host else f'[{host}]'}:{bound}"
                finally:
                    server.should_exit = True
        finally:
            sock.close()
