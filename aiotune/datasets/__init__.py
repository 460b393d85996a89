"""Training data of every supported shape → validated example batches → a streamed request body.

``open_training_data(data)`` picks a reader by shape (it does no I/O):

============================================  =====================================  ==========
shape                                         read as                                replayable
============================================  =====================================  ==========
``TrainingData`` (already opened)             itself                                 its own
``str`` / ``Path`` of a local file            CSV / JSON / JSONL, sniffed (_files)   yes
``str`` ``http(s)://`` URL, Google Sheets     downloaded, then like a file (_urls)   yes
``Dataset`` model or ``{"examples": {...}}``  rows                                   yes
``Mapping`` or pandas ``DataFrame``           columns ``input_key`` / ``output_key``  yes
list / tuple / other re-iterable              rows: dicts, pairs, TuningExamples     yes
iterator / generator                          rows, one pass                         no
async iterable                                rows, one pass                         no
============================================  =====================================  ==========

Value rules and limits: :mod:`aiotune.datasets._common`. Every problem is a
:class:`~aiotune.DatasetError` naming the source, row, line (files) and column.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

from ._body import CreateBody, stream_create_body, summarize
from ._common import DatasetLimits, DatasetSummary, TrainingData
from ._files import FileSource, sniff_format
from ._memory import AsyncRows, Columns, Rows, is_dataset, unwrap_dataset
from ._urls import UrlSource, normalize_sheets_url

__all__ = [
    "CreateBody",
    "DatasetLimits",
    "DatasetSummary",
    "TrainingData",
    "normalize_sheets_url",
    "open_training_data",
    "sniff_format",
    "stream_create_body",
    "validate_training_data",
]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def open_training_data(
    data: Any,
    *,
    input_key: str = "text_input",
    output_key: str = "output",
    http_client: httpx.AsyncClient | None = None,
    limits: DatasetLimits | None = None,
) -> TrainingData:
    """A :class:`TrainingData` reader for ``data`` (see the module docstring for the shapes)."""
    if isinstance(data, TrainingData):
        return data
    kw: dict[str, Any] = {
        "input_key": input_key,
        "output_key": output_key,
        "limits": limits or DatasetLimits(),
    }
    if isinstance(data, str):
        if _SCHEME.match(data):
            return UrlSource(data, http_client=http_client, **kw)
        return FileSource(Path(data), **kw)
    if isinstance(data, Path):
        return FileSource(data, **kw)
    if isinstance(data, (bytes, bytearray)):
        raise TypeError("training_data as bytes is not supported; pass a path, URL or rows")
    if is_dataset(data):
        return Rows(unwrap_dataset(data), description="Dataset", **kw)
    if isinstance(data, Mapping) or (hasattr(data, "keys") and hasattr(data, "__getitem__")):
        return Columns(data, description=type(data).__name__, **kw)
    if isinstance(data, AsyncIterable):
        return AsyncRows(data, description=type(data).__name__, **kw)
    if isinstance(data, Iterable):
        return Rows(data, description=type(data).__name__, **kw)
    raise TypeError(
        f"unsupported training_data type {type(data).__name__}: pass rows (dicts, pairs, "
        "TuningExamples), a Mapping/DataFrame of columns, a CSV/JSON/JSONL path or URL, "
        "or an (async) iterable of rows"
    )


async def validate_training_data(
    data: Any,
    *,
    input_key: str = "text_input",
    output_key: str = "output",
    limits: DatasetLimits | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> DatasetSummary:
    """Read and check ``data`` like a create would, send nothing, and summarise it.

    Raises :class:`~aiotune.DatasetError` at the first problem (with source, row and column).
    """
    src = open_training_data(
        data, input_key=input_key, output_key=output_key, http_client=http_client, limits=limits
    )
    return await summarize(src)
