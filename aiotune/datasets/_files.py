"""CSV, JSON and JSONL files, read in worker threads in large batches (never on the event loop).

The format is sniffed from the content, not only the name: after an optional UTF-8 byte-order
mark and whitespace, ``[`` or ``{`` means JSON -- JSON Lines when the first line is a complete
JSON value and more follows, else one JSON document -- and anything else is CSV with a header
row. ``.jsonl`` / ``.ndjson`` names are JSON Lines directly, ``.csv`` names CSV.

CSV and JSONL stream: memory stays flat whatever the file size. A JSON document (a top-level
array or object) is parsed whole with orjson in a worker thread; use JSONL for huge datasets.
CSV cells are kept exactly as written (no type inference); each row must have as many cells as
the header.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncGenerator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import orjson

from .._exceptions import DatasetError
from ._common import Pair, TrainingData, check_text_pair, encode_rows
from ._memory import Columns, Rows, is_dataset, row_to_pair, unwrap_dataset

__all__ = ["FileSource", "sniff_format"]

_SNIFF_BYTES = 64 * 1024
_MAX_FIRST_LINE = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
csv.field_size_limit(1 << 30)


def sniff_format(head: bytes, name: str = "") -> str:
    """``"csv"``, ``"json"`` or ``"jsonl"`` for a file starting with ``head``."""
    lower = name.lower().split("?", 1)[0]
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lower.endswith(".csv"):  # a header may start with "[" or "{" ("[input],[output]")
        return "csv"
    text = head.removeprefix(_BOM).lstrip()
    if not text[:1] or text[:1] not in b"[{":
        return "csv"
    first, sep, rest = text.partition(b"\n")
    if sep and rest.strip():
        try:
            orjson.loads(first)
        except orjson.JSONDecodeError:
            return "json"
        return "jsonl"
    return "json"


class _Reader:
    """A thread-side file reader: ``pull(n)`` parses and checks up to ``n`` rows as pairs, or as
    wire dicts with ``as_wire=True``; ``pull_encoded(n)`` also encodes them, all in the worker
    thread, so the event loop only forwards bytes."""

    file: Any

    def pull(self, n: int, as_wire: bool = False) -> list[Any]:
        raise NotImplementedError

    def pull_encoded(self, n: int, lead: bytes) -> tuple[int, bytes]:
        rows = self.pull(n, as_wire=True)
        return len(rows), encode_rows(rows, lead) if rows else b""

    def close(self) -> None:
        self.file.close()


class _CsvReader(_Reader):
    """CSV with a header row; cells are kept exactly as written."""

    def __init__(self, path: Path, src: TrainingData) -> None:
        self.src = src
        self.source = src.description
        self.file = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed in close()
        self.reader = csv.reader(self.file)
        self.path = path
        self.row = 0
        try:
            header = next(self.reader, None)
            while header == []:  # blank lines before the header
                header = next(self.reader, None)
        except UnicodeDecodeError as exc:
            self.close()
            raise DatasetError(
                f"the file is not valid UTF-8 ({exc.reason})",
                source=self.source,
                line=_bad_utf8_line(path),
            ) from None
        except csv.Error as exc:
            self.close()
            raise DatasetError(f"bad CSV header: {exc}", source=self.source, line=1) from None
        if header is None:
            self.close()
            raise DatasetError("the file is empty (no header row)", source=self.source)
        self.width = len(header)
        for key in (src.input_key, src.output_key):
            problem = None
            if key not in header:
                problem = f"no {key!r} column; the header has: {', '.join(map(repr, header))} "
                problem += "(choose columns with input_key= / output_key=)"
            elif header.count(key) > 1:
                problem = f"the header has {header.count(key)} columns named {key!r}"
            if problem:
                self.close()
                line = self.reader.line_num
                raise DatasetError(problem, source=self.source, line=line, column=key)
        self.i = header.index(src.input_key)
        self.o = header.index(src.output_key)

    def pull(self, n: int, as_wire: bool = False) -> list[Any]:
        out: list[Any] = []
        append, reader, width, i, o = out.append, self.reader, self.width, self.i, self.o
        limits, source = self.src.limits, self.source
        ik, ok = self.src.input_key, self.src.output_key
        max_in, max_out = limits.max_input_chars, limits.max_output_chars
        first = self.row + 1  # the row number of out[k] is first + k (blank lines don't count)
        try:
            for cells in reader:
                if len(cells) != width:
                    if not cells:  # a blank line
                        continue
                    raise DatasetError(
                        f"the row has {len(cells)} cells; the header has {width}",
                        source=source,
                        row=first + len(out),
                        line=reader.line_num,
                    )
                a, b = cells[i], cells[o]
                if not b or len(a) > max_in or len(b) > max_out:
                    check_text_pair(
                        a,
                        b,
                        limits,
                        source=source,
                        row=first + len(out),
                        line=reader.line_num,
                        input_column=ik,
                        output_column=ok,
                    )
                append({"textInput": a, "output": b} if as_wire else (a, b))
                if len(out) >= n:
                    break
        except UnicodeDecodeError as exc:  # decoded in 8 KiB blocks: find the line itself
            raise DatasetError(
                f"the file is not valid UTF-8 ({exc.reason})",
                source=source,
                line=_bad_utf8_line(self.path),
            ) from None
        except csv.Error as exc:
            raise DatasetError(f"bad CSV: {exc}", source=source, line=reader.line_num) from None
        self.row += len(out)
        return out


def _bad_utf8_line(path: Path) -> int | None:
    """The number of the first line that is not valid UTF-8 (an error path only)."""
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


class _JsonlReader(_Reader):
    """JSON Lines: one JSON row (an object or an ``[input, output]`` pair) per line."""

    def __init__(self, path: Path, src: TrainingData) -> None:
        self.src = src
        self.file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self.line = 0
        self.row = 0

    def pull(self, n: int, as_wire: bool = False) -> list[Any]:
        out: list[Any] = []
        append, src = out.append, self.src
        ik, ok, limits = src.input_key, src.output_key, src.limits
        max_in, max_out = limits.max_input_chars, limits.max_output_chars
        for raw in self.file:
            self.line += 1
            if self.line == 1:
                raw = raw.removeprefix(_BOM)
            if not raw.strip():
                continue
            self.row += 1
            try:
                item = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise DatasetError(
                    f"invalid JSON: {exc}", source=src.description, row=self.row, line=self.line
                ) from None
            # the common row, {"text_input": str, "output": str} within limits, takes no detour
            a = item.get(ik) if type(item) is dict else None
            b = item.get(ok) if a is not None else None
            if type(a) is not str or type(b) is not str or not b:
                a, b = row_to_pair(
                    item, ik, ok, limits, source=src.description, row=self.row, line=self.line
                )
            elif len(a) > max_in or len(b) > max_out:
                check_text_pair(a, b, limits, source=src.description, row=self.row,
                                line=self.line, input_column=ik, output_column=ok)  # fmt: skip
            append({"textInput": a, "output": b} if as_wire else (a, b))
            if len(out) >= n:
                break
        return out


def _open_reader(fmt: str, path: Path, src: TrainingData) -> _Reader:
    return _CsvReader(path, src) if fmt == "csv" else _JsonlReader(path, src)


def _read_head(path: Path) -> bytes:
    """The first bytes, and at least the whole first line when it is JSON (a JSONL row can be
    longer than the sniff window; without its end, JSON Lines would look like one document)."""
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
        if b"\n" not in head and head.removeprefix(_BOM).lstrip()[:1] in (b"[", b"{"):
            head += f.readline(_MAX_FIRST_LINE) + f.read(_SNIFF_BYTES)
        return head


def _load_json(path: Path, description: str) -> Any:
    try:
        with open(path, "rb") as f:
            raw = f.read()
        return orjson.loads(memoryview(raw)[3:] if raw.startswith(_BOM) else raw)
    except orjson.JSONDecodeError as exc:
        raise DatasetError(f"invalid JSON: {exc}", source=description) from None


class FileSource(TrainingData):
    """A local CSV, JSON or JSONL file (``str`` or ``pathlib.Path``)."""

    def __init__(
        self, path: Path, *, description: str | None = None, fmt: str | None = None, **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.path = path
        self.description = description or str(path)
        self._fmt = fmt

    def _kw(self) -> dict[str, Any]:
        return {"input_key": self.input_key, "output_key": self.output_key, "limits": self.limits}

    async def _sniff(self) -> str:
        try:
            head = await anyio.to_thread.run_sync(_read_head, self.path)
        except FileNotFoundError:
            raise DatasetError("no such file", source=self.description) from None
        except IsADirectoryError:
            raise DatasetError("is a directory, not a file", source=self.description) from None
        except OSError as exc:  # permissions, a file used as a directory, ...
            raise DatasetError(
                f"cannot read the file: {exc.strerror or exc}", source=self.description
            ) from None
        return sniff_format(head, str(self.path))

    async def batches(self, size: int = 5000) -> AsyncGenerator[list[Pair], None]:
        fmt = self._fmt or await self._sniff()
        if fmt == "json":
            data = await anyio.to_thread.run_sync(_load_json, self.path, self.description)
            inner: TrainingData
            if is_dataset(data):
                data = unwrap_dataset(data)
            if isinstance(data, dict):
                inner = Columns(data, description=self.description, **self._kw())
            elif isinstance(data, list):
                inner = Rows(data, description=self.description, **self._kw())
            else:
                raise DatasetError(
                    f"a JSON dataset must be an array of rows or an object of columns, "
                    f"not {type(data).__name__}",
                    source=self.description,
                )
            async with aclosing(inner.batches(size)) as batches:
                async for batch in batches:
                    yield batch
            return
        reader = await anyio.to_thread.run_sync(_open_reader, fmt, self.path, self)
        try:
            while batch := await anyio.to_thread.run_sync(reader.pull, size):
                yield batch
        finally:
            reader.close()

    async def encoded_batches(self, size: int = 5000) -> AsyncGenerator[tuple[int, bytes], None]:
        """CSV and JSONL rows are parsed, checked and encoded in one worker-thread hop per batch."""
        fmt = self._fmt or await self._sniff()
        if fmt == "json":
            async with aclosing(super().encoded_batches(size)) as items:
                async for item in items:
                    yield item
            return
        reader = await anyio.to_thread.run_sync(_open_reader, fmt, self.path, self)
        lead = b""
        try:
            while True:
                count, chunk = await anyio.to_thread.run_sync(reader.pull_encoded, size, lead)
                if not count:
                    break
                yield count, chunk
                lead = b","
        finally:
            reader.close()
