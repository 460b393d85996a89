"""A scripted stand-in for ``aiotune.datasets`` (same interface), so the create path's retry
rules can be unit-tested deterministically: replayable or one-shot sources, and a
``DatasetError`` raised mid-upload. Integration tests use the real module."""

from __future__ import annotations

import types
from collections.abc import AsyncIterator
from typing import Any

import orjson

from aiotune import DatasetError


class Source:
    def __init__(
        self, rows: list[tuple[str, str]], *, replayable: bool = True, fail_at: int | None = None
    ) -> None:
        self.rows = rows
        self.replayable = replayable
        self.fail_at = fail_at
        self.bodies = 0


def open_training_data(
    data: Any,
    *,
    input_key: str = "text_input",
    output_key: str = "output",
    http_client: Any = None,
    limits: Any = None,
) -> Source:
    if isinstance(data, Source):
        return data
    return Source([(str(a), str(b)) for a, b in data])


async def stream_create_body(body: dict[str, Any], src: Source) -> AsyncIterator[bytes]:
    if not src.replayable and src.bodies:
        raise AssertionError("a one-shot source was read twice")
    src.bodies += 1
    if not src.rows:
        raise DatasetError("no examples", source="<fake>")
    full = dict(body)
    task = dict(full.get("tuningTask", {}))
    examples = [{"textInput": a, "output": b} for a, b in src.rows]
    task["trainingData"] = {"examples": {"examples": examples}}
    full["tuningTask"] = task
    raw = orjson.dumps(full)

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(raw), 16):
            if src.fail_at is not None and i >= src.fail_at:
                raise DatasetError("bad row", source="<fake>", row=7, column="output")
            yield raw[i : i + 16]

    return chunks()


def module() -> types.ModuleType:
    mod = types.ModuleType("aiotune.datasets")
    mod.open_training_data = open_training_data  # type: ignore[attr-defined]
    mod.stream_create_body = stream_create_body  # type: ignore[attr-defined]
    return mod
