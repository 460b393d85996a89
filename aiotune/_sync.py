"""``aiotune.Client``: a thin synchronous facade for scripts and notebooks.

It runs an :class:`~aiotune.AsyncClient` on a private event loop in a daemon thread, through an
anyio ``BlockingPortal`` (the machinery behind ``anyio.from_thread.start_blocking_portal``; a
daemon thread is used so that a forgotten ``close()`` cannot hang interpreter exit). The thread
starts on first use and stops on ``close()`` / leaving the ``with`` block. It works from inside a
running event loop too (e.g. Jupyter), because the calls block only the calling thread.

Methods mirror the async client. ``create_tuned_model`` / ``get_operation`` return a
:class:`SyncTuningOperation` with ``result(timeout=)``, ``done()``, ``cancel()``, ``cancelled()``
and ``watch()`` (a plain iterator). Unlike the async operation, ``done()`` refreshes the state
(one request unless already done), like the official SDK. Ctrl-C while waiting cancels the
local wait only; the tuning job goes on.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

import anyio
from anyio.from_thread import BlockingPortal
from typing_extensions import Self

from ._client import AsyncClient
from ._operation import TuningOperation
from ._progress import TuningProgress
from .types import CreateTunedModelMetadata, Model, Operation, TunedModel

__all__ = ["Client", "SyncTuningOperation"]

T = TypeVar("T")


class _Portal:
    """An event loop in a daemon thread, driven through a BlockingPortal."""

    def __init__(self, backend: str) -> None:
        self._ready = threading.Event()
        self._portal: BlockingPortal | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._main, args=(backend,), daemon=True, name="aiotune-sync-client"
        )
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def _main(self, backend: str) -> None:
        async def serve() -> None:
            async with BlockingPortal() as portal:
                self._portal = portal
                self._ready.set()
                await portal.sleep_until_stopped()

        try:
            anyio.run(serve, backend=backend)
        except BaseException as exc:  # pragma: no cover - start-up failure
            self._error = exc
            self._ready.set()

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        assert self._portal is not None
        future = self._portal.start_task_soon(fn, *args)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # e.g. KeyboardInterrupt: stop the async side too
            raise

    def stop(self) -> None:
        if self._portal is not None:
            self._portal.call(self._portal.stop, True)
        self._thread.join()


class SyncTuningOperation:
    """Blocking view of a :class:`~aiotune.TuningOperation`."""

    def __init__(self, client: Client, op: TuningOperation) -> None:
        self._client = client
        self._op = op

    @property
    def name(self) -> str:
        return self._op.name

    @property
    def tuned_model(self) -> str:
        return self._op.tuned_model

    @property
    def operation(self) -> Operation:
        return self._op.operation

    @property
    def metadata(self) -> CreateTunedModelMetadata | None:
        return self._op.metadata

    @property
    def progress(self) -> TuningProgress:
        return self._op.progress

    def refresh(self) -> TuningProgress:
        return self._client._call(self._op.refresh)

    def done(self) -> bool:
        """Refresh (unless already done) and say whether the job has ended."""
        if not self._op.done():
            self.refresh()
        return self._op.done()

    def cancelled(self) -> bool:
        return self._op.cancelled()

    def result(self, timeout: float | None = None) -> TunedModel:
        return self._client._call(self._op.result, timeout)

    def cancel(self) -> bool:
        return self._client._call(self._op.cancel)

    def watch(self) -> Iterator[TuningProgress]:
        return self._client._iterate(self._op.watch())

    def __repr__(self) -> str:
        return f"<SyncTuningOperation {self.name!r}>"


class Client:
    """Synchronous client: ``with aiotune.Client() as client: client.create_tuned_model(...)``.

    Takes the same arguments as :class:`~aiotune.AsyncClient` (plus ``backend``: the anyio
    backend of the private loop, ``"asyncio"`` by default).
    """

    def __init__(self, api_key: str | None = None, *, backend: str = "asyncio", **kwargs: Any):
        self._async = AsyncClient(api_key, **kwargs)
        self._backend = backend
        self._portal: _Portal | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def async_client(self) -> AsyncClient:
        return self._async

    def __repr__(self) -> str:
        return f"Client({self._async!r})"

    def _call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        with self._lock:
            if self._closed:
                raise RuntimeError("this aiotune.Client is closed; create a new one")
            if self._portal is None:
                self._portal = _Portal(self._backend)
            portal = self._portal
        return portal.call(fn, *args)

    def _iterate(self, agen: AsyncIterator[T]) -> Iterator[T]:
        async def step() -> tuple[bool, T | None]:
            try:
                return True, await agen.__anext__()
            except StopAsyncIteration:
                return False, None

        async def close() -> None:
            aclose = getattr(agen, "aclose", None)
            if aclose is not None:
                await aclose()

        try:
            while True:
                more, item = self._call(step)
                if not more:
                    return
                yield item  # type: ignore[misc]
        finally:
            if not self._closed:
                self._call(close)

    def close(self) -> None:
        """Close the connection pool and stop the private loop. Idempotent."""
        with self._lock:
            if self._closed:
                return
            portal, self._portal = self._portal, None
            self._closed = True
        if portal is not None:
            try:
                portal.call(self._async.aclose)
            finally:
                portal.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- API ---------------------------------------------------------------------------------
    def create_tuned_model(
        self, source_model: Any, training_data: Any, **kwargs: Any
    ) -> SyncTuningOperation:
        async def go() -> TuningOperation:
            return await self._async.create_tuned_model(source_model, training_data, **kwargs)

        return SyncTuningOperation(self, self._call(go))

    def get_operation(self, name: str, **kwargs: Any) -> SyncTuningOperation:
        async def go() -> TuningOperation:
            return await self._async.get_operation(name, **kwargs)

        return SyncTuningOperation(self, self._call(go))

    def list_operations(self, tuned_model: Any, **kwargs: Any) -> Iterator[SyncTuningOperation]:
        for op in self._iterate(self._async.list_operations(tuned_model, **kwargs)):
            yield SyncTuningOperation(self, op)

    def get_tuned_model(self, name: Any, **kwargs: Any) -> TunedModel:
        async def go() -> TunedModel:
            return await self._async.get_tuned_model(name, **kwargs)

        return self._call(go)

    def list_tuned_models(self, **kwargs: Any) -> Iterator[TunedModel]:
        return self._iterate(self._async.list_tuned_models(**kwargs))

    def update_tuned_model(
        self, name: Any, updates: Mapping[str, Any], **kwargs: Any
    ) -> TunedModel:
        async def go() -> TunedModel:
            return await self._async.update_tuned_model(name, updates, **kwargs)

        return self._call(go)

    def delete_tuned_model(self, name: Any, **kwargs: Any) -> None:
        async def go() -> None:
            await self._async.delete_tuned_model(name, **kwargs)

        self._call(go)

    def get_model(self, name: Any, **kwargs: Any) -> Model:
        async def go() -> Model:
            return await self._async.get_model(name, **kwargs)

        return self._call(go)

    def list_models(self, **kwargs: Any) -> Iterator[Model]:
        return self._iterate(self._async.list_models(**kwargs))

    def generate_text(self, model: Any, prompt: str, **kwargs: Any) -> str:
        async def go() -> str:
            return await self._async.generate_text(model, prompt, **kwargs)

        return self._call(go)

    def generate_content(self, model: Any, contents: Any, **kwargs: Any) -> Any:
        async def go() -> Any:
            return await self._async.generate_content(model, contents, **kwargs)

        return self._call(go)
