"""A wire-faithful local emulator of the Generative Language API v1beta tuning surface.

::

    from aiotune.emulator import Emulator, EmulatorConfig, Fault, VirtualClock

    emu = Emulator(step_time=0.5)                 # nothing bound to an event loop yet
    async with emu.serve() as base_url:           # uvicorn on a free loopback port (asyncio)
        client = aiotune.AsyncClient(api_key="any", base_url=base_url)
    client = aiotune.AsyncClient(api_key="any", transport=emu.transport())  # in-process

    clock = VirtualClock()                        # tests: time moves only when told
    emu = Emulator(step_time=1.0, clock=clock)
    clock.advance(10)                             # ten training steps later

Or from a shell: ``python -m aiotune.emulator --port 8765`` (``aiotune emulator`` is the same),
then point any client at ``http://127.0.0.1:8765`` -- the official ``google-generativeai`` client
too (``transport="rest"``, ``client_options={"api_endpoint": url}``).

What it models (details in the submodules): tuned-model CRUD, operations (get/list under v1beta
and v1, cancel under v1), base models, ``generateContent`` / ``streamGenerateContent`` /
``generateText`` answered from the tuned model's own training examples (:mod:`._inference`),
the service's validation and error envelope (:mod:`._validation`), API-key isolation
(:mod:`._state`), simulated training computed from timestamps (:mod:`._simulation`), and fault
injection on ``emu.faults`` (:mod:`._faults`: scripted or random 429 / 503 / latency / "commit,
then drop the connection", and training failures). A display name or description containing
``[fail@K]`` also makes that job fail at step K.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace

import anyio
import httpx

from ._app import DropConnection, build_app
from ._faults import DROP, Fault, Faults
from ._simulation import Clock, SystemClock, VirtualClock
from ._state import BASE_MODELS, Store

__all__ = [
    "BASE_MODELS",
    "DROP",
    "Clock",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "Faults",
    "SystemClock",
    "VirtualClock",
]


@dataclass(frozen=True)
class EmulatorConfig:
    """Emulator settings.

    ``step_time``: seconds per training step (``0``: jobs finish at once). ``api_keys``: if set,
    only these keys (and bearer tokens) are valid; others get the real service's errors.
    ``fail_at_step``: every job fails at this step. ``seed``: seeds the fault dice.
    """

    step_time: float = 0.5
    api_keys: frozenset[str] | None = None
    fail_at_step: int | None = None
    max_input_chars: int = 40_000
    max_output_chars: int = 5_000
    seed: int | None = None


class _Transport(httpx.ASGITransport):
    """In-process transport for the API's paths (``/v1beta/...``, ``/v1/...``, any host); other
    requests -- a training-data URL, say -- go to the network as usual. An injected "drop"
    fault surfaces as a dropped connection."""

    _network: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.startswith(("/v1beta/", "/v1/")):
            if self._network is None:
                self._network = httpx.AsyncHTTPTransport()
            return await self._network.handle_async_request(request)
        try:
            return await super().handle_async_request(request)
        except DropConnection as exc:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            ) from exc

    async def aclose(self) -> None:
        if self._network is not None:
            await self._network.aclose()


class Emulator:
    """One emulated service: its state, clock, faults and ASGI app.

    Keyword options override the fields of ``config`` (an :class:`EmulatorConfig`).
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        step_time: float | None = None,
        api_keys: Iterable[str] | None = None,
        clock: Clock | None = None,
        fail_at_step: int | None = None,
        max_input_chars: int | None = None,
        max_output_chars: int | None = None,
        seed: int | None = None,
    ) -> None:
        cfg = config or EmulatorConfig()
        if isinstance(api_keys, str):
            raise TypeError("api_keys is a collection of keys, not one string")
        cfg = replace(
            cfg,
            step_time=cfg.step_time if step_time is None else step_time,
            api_keys=cfg.api_keys if api_keys is None else frozenset(api_keys),
            fail_at_step=cfg.fail_at_step if fail_at_step is None else fail_at_step,
            max_input_chars=cfg.max_input_chars if max_input_chars is None else max_input_chars,
            max_output_chars=cfg.max_output_chars if max_output_chars is None else max_output_chars,
            seed=cfg.seed if seed is None else seed,
        )
        if cfg.step_time < 0:
            raise ValueError("step_time cannot be negative")
        self.config = cfg
        self.clock: Clock = clock or SystemClock()
        self.faults = Faults(seed=cfg.seed)
        self.store = Store(
            clock=self.clock,
            step_time=cfg.step_time,
            fail_at_step=cfg.fail_at_step,
            max_input_chars=cfg.max_input_chars,
            max_output_chars=cfg.max_output_chars,
            training_failure=self.faults.next_training_failure,
        )
        self.app = build_app(self.store, self.faults, cfg.api_keys)

    def __repr__(self) -> str:
        return f"<Emulator step_time={self.config.step_time} jobs={len(self.store.jobs)}>"

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport that calls the app in-process (any base URL works); requests
        outside the API's paths (e.g. a training-data URL) go to the network."""
        return _Transport(app=self.app)

    @asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve the app with uvicorn (asyncio only) and yield its base URL.

        The server does not touch signal handlers (the caller owns them) and shuts down when
        the block exits.
        """
        import uvicorn

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP (not 0): asyncio then sets TCP_NODELAY on accepted connections; without
        # it every response waits ~40 ms for a delayed ACK (uvicorn writes head and body apart)
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            bound = sock.getsockname()[1]
            config = uvicorn.Config(
                self.app,
                log_level="critical",
                lifespan="off",
                access_log=False,
                timeout_graceful_shutdown=2,
            )

            class _Server(uvicorn.Server):
                @contextmanager
                def capture_signals(self) -> Iterator[None]:
                    yield  # leave the process's signal handlers alone

            server = _Server(config)
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
