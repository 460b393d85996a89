"""What every training-data source shares: limits, the summary, and turning a row into a pair.

Value rules (the same for every shape, so a dataset means the same thing whatever its form):

* ``str`` is kept as is (CSV cells are never type-inferred: ``"007"`` stays ``"007"``);
* ``int`` and ``float`` become ``str(value)`` (``1`` → ``"1"``, ``3.0`` → ``"3.0"``), as the
  official SDK does for columns; ``bytes`` are decoded as UTF-8;
* ``None``, NaN (float NaN, ``pandas.NA``, ``NaT``) and ``bool`` are errors, never ``"None"``,
  ``"nan"`` or ``"True"``;
* an empty ``output`` is an error (the service requires one); an empty input is allowed;
* inputs over ``max_input_chars`` (40,000) or outputs over ``max_output_chars`` (5,000) are errors.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from .._exceptions import DatasetError

__all__ = [
    "DatasetLimits",
    "DatasetSummary",
    "Pair",
    "TrainingData",
    "check_pair",
    "check_text_pair",
    "encode_rows",
    "to_text",
]

Pair = tuple[str, str]


@dataclass(frozen=True)
class DatasetLimits:
    """Per-example limits (the service's, by default) and optional totals (none by default)."""

    max_input_chars: int = 40_000
    max_output_chars: int = 5_000
    max_examples: int | None = None
    max_bytes: int | None = None
    #: largest download accepted for a URL dataset (bytes)
    max_download_bytes: int = 2 * 1024**3
    #: seconds for each network operation of a URL download
    url_timeout: float = 60.0


@dataclass(frozen=True)
class DatasetSummary:
    """What :func:`validate_training_data` found (nothing was sent)."""

    source: str
    examples: int
    total_input_chars: int
    total_output_chars: int
    max_input_chars: int
    max_output_chars: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class TrainingData:
    """A training-data source: iterate it in validated batches of ``(text_input, output)``.

    ``description`` names it in errors (a file name, a URL without its query, or the shape);
    ``replayable`` says whether it can be iterated again (a retried create needs that).
    """

    description: str = "training data"
    replayable: bool = True

    def __init__(self, *, input_key: str, output_key: str, limits: DatasetLimits) -> None:
        self.input_key = input_key
        self.output_key = output_key
        self.limits = limits

    def batches(self, size: int = 5000) -> AsyncGenerator[list[Pair], None]:
        """Validated batches of at most ``size`` pairs; raises :class:`DatasetError`."""
        raise NotImplementedError

    async def encoded_batches(self, size: int = 5000) -> AsyncGenerator[tuple[int, bytes], None]:
        """Like :meth:`batches`, each batch as ``(count, chunk)``: the wire JSON of its examples
        without the enclosing ``[]``, every chunk after the first led by a comma, so the chunks
        concatenate into one JSON array body."""
        lead = b""
        async with aclosing(self.batches(size)) as batches:
            async for batch in batches:
                if batch:
                    rows = [{"textInput": a, "output": b} for a, b in batch]
                    yield len(batch), encode_rows(rows, lead)
                    lead = b","

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description!r}>"


def encode_rows(rows: list[dict[str, str]], lead: bytes = b"") -> bytes:
    """``lead`` + the JSON of wire examples without the enclosing ``[]``, in one copy."""
    return b"".join((lead, memoryview(orjson.dumps(rows))[1:-1]))


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def to_text(value: object, *, what: str) -> str:
    """``value`` as text by the module's rules; ``ValueError`` says why not."""
    if isinstance(value, str):
        return value
    if _is_missing(value):
        raise ValueError(f"{what} is missing ({value!r})")
    if isinstance(value, bool):
        raise ValueError(f"{what} is a boolean ({value!r}); expected text")
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{what} is bytes that are not valid UTF-8") from exc
    # numpy scalars and other number-likes: int/float subclasses are handled above
    name = type(value).__name__
    if name.startswith(("int", "float", "uint")) and hasattr(value, "item"):
        return str(value.item())
    if name == "str_":
        return str(value)
    raise ValueError(f"{what} is a {name}; expected text")


def check_pair(
    text_input: object,
    output: object,
    limits: DatasetLimits,
    *,
    source: str,
    row: int,
    line: int | None = None,
    input_column: str | None = None,
    output_column: str | None = None,
) -> Pair:
    """Validate one example; a :class:`DatasetError` names where it is."""
    column = input_column
    try:
        a = to_text(text_input, what="input")
        column = output_column
        b = to_text(output, what="output")
    except ValueError as exc:
        raise DatasetError(str(exc), source=source, row=row, line=line, column=column) from None
    return check_text_pair(
        a,
        b,
        limits,
        source=source,
        row=row,
        line=line,
        input_column=input_column,
        output_column=output_column,
    )


def check_text_pair(
    a: str,
    b: str,
    limits: DatasetLimits,
    *,
    source: str,
    row: int,
    line: int | None = None,
    input_column: str | None = None,
    output_column: str | None = None,
) -> Pair:
    """The checks on a pair that is already text (the hot path of file readers)."""
    if not b:
        raise DatasetError(
            "output is empty", source=source, row=row, line=line, column=output_column
        )
    if len(a) > limits.max_input_chars:
        raise DatasetError(
            f"input has {len(a):,} characters; the limit is {limits.max_input_chars:,}",
            source=source,
            row=row,
            line=line,
            column=input_column,
        )
    if len(b) > limits.max_output_chars:
        raise DatasetError(
            f"output has {len(b):,} characters; the limit is {limits.max_output_chars:,}",
            source=source,
            row=row,
            line=line,
            column=output_column,
        )
    return (a, b)
