"""In-memory shapes: rows (dicts, pairs, examples), columns (Mappings, DataFrames), iterables.

Rows: a ``Mapping`` is read by ``input_key`` / ``output_key`` (for the default keys the wire
names ``textInput`` / ``output`` are accepted too); a 2-item ``tuple`` or ``list`` is
``(input, output)``; any object with ``text_input`` and ``output`` attributes (e.g.
``aiotune.types.TuningExample``) is read by attribute. Columns: ``data[input_key]`` and
``data[output_key]`` must be sequences of equal length (a ragged pair is an error, not truncated).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Iterable, Iterator, Mapping
from typing import Any

from .._exceptions import DatasetError
from ._common import DatasetLimits, Pair, TrainingData, check_pair

__all__ = ["AsyncRows", "Columns", "Rows", "row_to_pair", "unwrap_dataset"]


def _available(row: Mapping[Any, Any]) -> str:
    return ", ".join(repr(k) for k in list(row.keys())[:20]) or "none"


def row_to_pair(
    item: object,
    input_key: str,
    output_key: str,
    limits: DatasetLimits,
    *,
    source: str,
    row: int,
    line: int | None = None,
) -> Pair:
    """One row of any row shape → a validated pair."""
    if isinstance(item, Mapping):
        ik = input_key
        if ik not in item and ik == "text_input" and "textInput" in item:
            ik = "textInput"
        for key in (ik, output_key):
            if key not in item:
                raise DatasetError(
                    f"no {key!r} key; available keys: {_available(item)} "
                    "(choose them with input_key= / output_key=)",
                    source=source,
                    row=row,
                    line=line,
                    column=key,
                )
        return check_pair(
            item[ik],
            item[output_key],
            limits,
            source=source,
            row=row,
            line=line,
            input_column=ik,
            output_column=output_key,
        )
    if isinstance(item, (tuple, list)):
        if len(item) != 2:
            raise DatasetError(
                f"a row must be an (input, output) pair; this one has {len(item)} items",
                source=source,
                row=row,
                line=line,
            )
        return check_pair(item[0], item[1], limits, source=source, row=row, line=line)
    if hasattr(item, "text_input") and hasattr(item, "output"):
        return check_pair(
            item.text_input,
            item.output,
            limits,
            source=source,
            row=row,
            line=line,
            input_column="text_input",
            output_column="output",
        )
    raise DatasetError(
        "a row must be a dict, an (input, output) pair or a TuningExample, "
        f"not a {type(item).__name__}",
        source=source,
        row=row,
        line=line,
    )


def unwrap_dataset(data: Any) -> Any:
    """The example list of a Dataset (model or dict, ``{"examples": {"examples": [...]}}``)."""
    inner = getattr(data, "examples", None) if not isinstance(data, Mapping) else data["examples"]
    if isinstance(inner, Mapping):
        inner = inner.get("examples", [])
    elif inner is not None and hasattr(inner, "examples"):
        inner = inner.examples
    return [] if inner is None else inner


def is_dataset(data: Any) -> bool:
    if isinstance(data, Mapping):
        return set(data.keys()) == {"examples"} and isinstance(data["examples"], Mapping)
    return type(data).__name__ == "Dataset" and hasattr(data, "examples")


class Rows(TrainingData):
    """A sync iterable of rows. Replayable unless it is an iterator (e.g. a generator)."""

    def __init__(self, rows: Iterable[Any], *, description: str, **kw: Any) -> None:
        super().__init__(**kw)
        self._rows = rows
        self.description = description
        self.replayable = not isinstance(rows, Iterator)

    async def batches(self, size: int = 5000) -> AsyncGenerator[list[Pair], None]:
        batch: list[Pair] = []
        ik, ok, limits, src = self.input_key, self.output_key, self.limits, self.description
        for n, item in enumerate(self._rows, 1):
            batch.append(row_to_pair(item, ik, ok, limits, source=src, row=n))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


class AsyncRows(TrainingData):
    """An async iterable of rows (one pass only)."""

    replayable = False

    def __init__(self, rows: AsyncIterable[Any], *, description: str, **kw: Any) -> None:
        super().__init__(**kw)
        self._rows = rows
        self.description = description

    async def batches(self, size: int = 5000) -> AsyncGenerator[list[Pair], None]:
        batch: list[Pair] = []
        ik, ok, limits, src = self.input_key, self.output_key, self.limits, self.description
        n = 0
        async for item in self._rows:
            n += 1
            batch.append(row_to_pair(item, ik, ok, limits, source=src, row=n))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


def _column(data: Any, key: str, source: str) -> list[Any]:
    try:
        values = data[key]
    except (KeyError, IndexError, TypeError):
        keys = ", ".join(repr(k) for k in list(data.keys())[:20]) or "none"
        raise DatasetError(
            f"no {key!r} column; available columns: {keys} "
            "(choose them with input_key= / output_key=)",
            source=source,
            column=key,
        ) from None
    if getattr(values, "ndim", 1) != 1:  # e.g. a DataFrame with two columns of this name
        raise DatasetError(
            f"column {key!r} must be one-dimensional (is the name used twice?)",
            source=source,
            column=key,
        )
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise DatasetError(
            f"column {key!r} must be a sequence of values, not a {type(values).__name__}",
            source=source,
            column=key,
        )
    tolist = getattr(values, "tolist", None)  # pandas Series / numpy arrays: native Python values
    return list(tolist() if callable(tolist) else values)


class Columns(TrainingData):
    """A Mapping (or DataFrame) of columns; ``input_key`` / ``output_key`` choose two."""

    def __init__(self, data: Any, *, description: str, **kw: Any) -> None:
        super().__init__(**kw)
        self._data = data
        self.description = description

    async def batches(self, size: int = 5000) -> AsyncGenerator[list[Pair], None]:
        src, ik, ok = self.description, self.input_key, self.output_key
        inputs = _column(self._data, ik, src)
        outputs = _column(self._data, ok, src)
        if len(inputs) != len(outputs):
            raise DatasetError(
                f"columns have different lengths: {ik!r} has {len(inputs)} values, "
                f"{ok!r} has {len(outputs)}",
                source=src,
            )
        for start in range(0, len(inputs), size):
            yield [
                check_pair(
                    a,
                    b,
                    self.limits,
                    source=src,
                    row=start + i + 1,
                    input_column=ik,
                    output_column=ok,
                )
                for i, (a, b) in enumerate(
                    zip(inputs[start : start + size], outputs[start : start + size], strict=True)
                )
            ]
