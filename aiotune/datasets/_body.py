"""The create request body, streamed: the TunedModel JSON with its examples written in batches.

``stream_create_body`` reads the first batch before it returns, so an empty dataset or a bad
first row fails before anything is sent. The body then encodes each batch with one orjson call.
A bad row found later raises :class:`~aiotune.DatasetError` while the body is being sent: the
upload stops, the server receives an incomplete JSON document, and nothing is created.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any

import orjson

from .._exceptions import DatasetError
from ._common import DatasetSummary, TrainingData

__all__ = ["CreateBody", "stream_create_body", "summarize"]

_MARK = "__aiotune_training_examples__"
#: examples per chunk: small enough that no worker-thread hop holds the GIL long (event-loop
#: lag stays low), big enough that per-chunk overhead is negligible (see benchmarks/)
_BATCH = 2000


class CreateBody:
    """An async iterable of the body's bytes (pass it to httpx as ``content=``)."""

    def __init__(
        self,
        head: bytes,
        tail: bytes,
        first: tuple[int, bytes],
        rest: AsyncGenerator[tuple[int, bytes], None],
        src: TrainingData,
    ) -> None:
        self._head, self._tail, self._first, self._rest, self._src = head, tail, first, rest, src
        self._started = False
        self.examples_sent = 0
        self.bytes_sent = 0

    def _count(self, count: int, chunk: bytes) -> bytes:
        limits = self._src.limits
        self.examples_sent += count
        self.bytes_sent += len(chunk)
        if limits.max_examples is not None and self.examples_sent > limits.max_examples:
            raise DatasetError(
                f"more than {limits.max_examples:,} examples (DatasetLimits.max_examples)",
                source=self._src.description,
            )
        if limits.max_bytes is not None and self.bytes_sent > limits.max_bytes:
            raise DatasetError(
                f"the request body exceeds {limits.max_bytes:,} bytes (DatasetLimits.max_bytes)",
                source=self._src.description,
            )
        return chunk

    async def aclose(self) -> None:
        """Release the reader (a file, a download) if the body will not be sent."""
        await self._rest.aclose()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._started:
            raise RuntimeError("a create body can be sent once; build a new one to retry")
        self._started = True
        try:
            count, chunk = self._first
            yield self._count(count, self._head + chunk)
            async for count, chunk in self._rest:  # each led by its comma (encoded_batches)
                if count:
                    yield self._count(count, chunk)
            yield self._tail
        finally:
            await self.aclose()


async def stream_create_body(
    tuned_model: dict[str, Any], src: TrainingData, *, batch_size: int = _BATCH
) -> CreateBody:
    """The body of ``POST /v1beta/tunedModels`` for ``tuned_model`` (without ``trainingData``)."""
    task = dict(tuned_model.get("tuningTask") or {})
    task.pop("trainingData", None)
    task["trainingData"] = _MARK
    encoded = orjson.dumps({**tuned_model, "tuningTask": task})
    # the key makes the match unambiguous: inside a JSON string (a description equal to the
    # marker, say) the quotes would be escaped
    head, sep, tail = encoded.partition(b'"trainingData":"' + _MARK.encode() + b'"')
    assert sep, "marker not found"
    head += b'"trainingData":'
    rest = src.encoded_batches(batch_size)
    try:
        first = await anext(rest, None)
    except BaseException:
        await rest.aclose()
        raise
    if first is None:
        await rest.aclose()
        raise DatasetError("the dataset has no examples", source=src.description)
    return CreateBody(head + b'{"examples":{"examples":[', b"]}}" + tail, first, rest, src)


async def summarize(src: TrainingData) -> DatasetSummary:
    n = tin = tout = max_in = max_out = 0
    async with aclosing(src.batches(_BATCH)) as batches:
        async for batch in batches:
            n += len(batch)
            for a, b in batch:
                la, lb = len(a), len(b)
                tin, tout = tin + la, tout + lb
                max_in, max_out = max(max_in, la), max(max_out, lb)
    if not n:
        raise DatasetError("the dataset has no examples", source=src.description)
    if src.limits.max_examples is not None and n > src.limits.max_examples:
        raise DatasetError(
            f"{n:,} examples; the limit is {src.limits.max_examples:,} "
            "(DatasetLimits.max_examples)",
            source=src.description,
        )
    return DatasetSummary(src.description, n, tin, tout, max_in, max_out)
