"""``TuningOperation``: an awaitable handle on a tuning job's long-running operation.

* ``await op`` (same as ``await op.result()``) polls until the job ends and returns the
  :class:`~aiotune.types.TunedModel`, or raises :class:`~aiotune.TuningFailedError` /
  :class:`~aiotune.OperationCancelledError` carrying the server's ``google.rpc.Status``.
* ``result(timeout=...)`` is the overall deadline: sleeps are clamped to the time left and the
  poll in flight is cut at the deadline, which raises :class:`~aiotune.OperationTimeoutError`.
  The job itself goes on; await again or reattach by ``op.name``.
* Polling runs in the awaiting task (no background tasks) with the client's
  :class:`~aiotune.PollingPolicy` (capped exponential backoff with jitter, on tenacity). Each
  poll request has its own request retries (:class:`~aiotune.RetryPolicy`). Tasks awaiting the
  same operation object share one in-flight poll.
* **Cancelling the awaiting task (or a ``fail_after`` around it) never cancels the job.** Only
  ``await op.cancel()`` does: ``POST /v1/{name}:cancel`` (the v1beta surface has no cancel).
* ``watch()`` yields a :class:`~aiotune.TuningProgress` whenever progress changes and ends after
  yielding the final event (``done=True``); it does not raise on failure -- ``await op`` after
  it returns the model or raises, without another request.
* ``done()``, ``cancelled()``, ``metadata`` and ``progress`` read the last known state (no I/O);
  ``await op.refresh()`` fetches it. A state fetched at create/reattach time is fresh, so the
  first poll of ``result()`` / ``watch()`` comes after the first polling sleep.
* Locks and events are created lazily, so an operation binds to no loop until it polls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from typing import Any, Protocol

import anyio

from ._exceptions import (
    APIStatusError,
    OperationCancelledError,
    OperationTimeoutError,
    TuningFailedError,
)
from ._progress import TuningProgress
from ._retry import PollingPolicy
from .types import CreateTunedModelMetadata, Operation, TunedModel

__all__ = ["TuningOperation"]

_CANCELLED = 1
_UNKNOWN = 2


class _Backend(Protocol):
    """What an operation needs from its client (kept private: no import cycle)."""

    async def _fetch_operation(self, name: str) -> Operation: ...

    async def _post_cancel(self, name: str) -> None: ...


class TuningOperation:
    """A tuning job's operation. Awaitable; see the module docstring for the semantics."""

    def __init__(self, backend: _Backend, operation: Operation, polling: PollingPolicy) -> None:
        self._backend = backend
        self._op = operation
        self._polling = polling
        self._inflight: anyio.Event | None = None
        self._generation = 0
        self._fetched_at = float("-inf")

    # -- last known state (no I/O) ---------------------------------------------------------
    @property
    def name(self) -> str:
        """``tunedModels/{id}/operations/{op}``: store it and reattach with ``get_operation``."""
        return self._op.name

    @property
    def tuned_model(self) -> str:
        """``tunedModels/{id}`` this job creates."""
        return self._op.tuned_model_name

    @property
    def operation(self) -> Operation:
        """The raw ``Operation`` last seen."""
        return self._op

    @property
    def metadata(self) -> CreateTunedModelMetadata | None:
        return self._op.metadata

    @property
    def progress(self) -> TuningProgress:
        return TuningProgress.from_operation(self._op)

    def done(self) -> bool:
        return self._op.done

    def cancelled(self) -> bool:
        return self._op.done and self._op.error is not None and self._op.error.code == _CANCELLED

    def __repr__(self) -> str:
        p = self.progress
        state = "done" if p.done else f"{p.completed_steps}/{p.total_steps} steps"
        return f"<TuningOperation {self.name!r} {state}>"

    # -- polling -----------------------------------------------------------------------------
    def _apply(self, op: Operation) -> None:
        if self._op.done and not op.done:  # never go back from a final state
            return
        self._op = op
        self._generation += 1
        self._fetched_at = anyio.current_time()

    async def _poll(self, since: float | None = None) -> None:
        """Fetch the operation once, sharing a poll already in flight from another task.

        With ``since``: skip the request if another task fetched the state after that time
        (so N tasks awaiting one operation cost about one poll per cadence, not N).
        """
        if since is not None and self._fetched_at >= since:
            return
        while not self._op.done:
            event = self._inflight
            if event is None:
                event = self._inflight = anyio.Event()
                try:
                    self._apply(await self._backend._fetch_operation(self.name))
                finally:
                    self._inflight = None
                    event.set()
                return
            generation = self._generation
            await event.wait()
            if self._generation != generation:
                return
            # the task running that poll failed or was cancelled: poll ourselves

    async def refresh(self) -> TuningProgress:
        """Fetch the latest state once (no request when already done)."""
        await self._poll()
        return self.progress

    def _cadence(self, deadline: float | None) -> tuple[Any, list[float]]:
        """A polling sleep clamped to ``deadline`` that records when each sleep began."""
        base_sleep = self._polling.sleep or anyio.sleep
        began = [anyio.current_time()]

        async def sleep(seconds: float) -> None:
            began[0] = anyio.current_time()
            if deadline is not None:
                seconds = min(seconds, max(deadline - began[0], 0.0))
            await base_sleep(seconds)

        return sleep, began

    async def _wait_done(self, deadline: float | None) -> None:
        sleep, began = self._cadence(deadline)
        async for attempt in self._polling.retrying(sleep=sleep):
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    await self._poll(since=began[0])
            outcome = attempt.retry_state.outcome
            if outcome is not None and not outcome.failed:
                attempt.retry_state.set_result(self._op.done)

    async def result(self, timeout: float | None = None) -> TunedModel:  # noqa: ASYNC109
        """Wait for the job to end; return the tuned model or raise its error.

        ``timeout`` (seconds, ``None`` = no limit) bounds the whole wait and is never
        overslept; it raises :class:`~aiotune.OperationTimeoutError` and leaves the job running.
        """
        if timeout is not None and timeout < 0:
            raise ValueError(f"timeout must be >= 0 seconds or None, got {timeout!r}")
        if not self._op.done:
            deadline = None if timeout is None else anyio.current_time() + timeout
            with anyio.move_on_after(timeout):
                await self._wait_done(deadline)
            if not self._op.done:
                raise OperationTimeoutError(
                    f"{self.name} did not finish within {timeout} s; the job goes on on the "
                    "server (await it again, or reattach with client.get_operation(name))",
                    operation=self.name,
                    timeout=float(timeout or 0.0),
                )
        return self._outcome()

    def __await__(self) -> Generator[Any, None, TunedModel]:
        return self.result().__await__()

    def _outcome(self) -> TunedModel:
        op = self._op
        if op.error is not None:
            cls = OperationCancelledError if op.error.code == _CANCELLED else TuningFailedError
            raise cls(
                op.error.message or "no message",
                operation=self.name,
                code=op.error.code,
                details=op.error.details,
            )
        if op.response is None:
            raise TuningFailedError(
                "the operation finished with neither a response nor an error",
                operation=self.name,
                code=_UNKNOWN,
            )
        return op.response

    async def watch(self) -> AsyncIterator[TuningProgress]:
        """Yield progress whenever it changes; end after the final (``done``) event."""
        last: TuningProgress | None = None
        sleep, began = self._cadence(None)
        async for attempt in self._polling.retrying(sleep=sleep):
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    await self._poll(since=began[0])
            outcome = attempt.retry_state.outcome
            if outcome is not None and outcome.failed:
                continue  # tenacity re-raises the poll's error on the next step
            progress = self.progress
            if progress != last:
                last = progress
                yield progress
            attempt.retry_state.set_result(progress.done)

    async def cancel(self) -> bool:
        """Ask the server to cancel the job (``POST /v1/{name}:cancel``, best effort).

        Returns ``False`` without a request if the job already ended, and ``False`` if the
        server does not implement cancellation (501); ``True`` once the request is accepted.
        The job then ends with :class:`~aiotune.OperationCancelledError` (if the server honours
        it before the job completes).
        """
        if self._op.done:
            return False
        try:
            await self._backend._post_cancel(self.name)
        except APIStatusError as exc:
            if exc.status_code == 501:
                return False
            raise
        await self._poll()
        return True
