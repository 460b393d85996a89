"""Every training-data shape gives the same examples; every problem is a precise DatasetError."""

from __future__ import annotations

import csv
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest

from aiotune import DatasetError
from aiotune.datasets import (
    DatasetLimits,
    open_training_data,
    sniff_format,
    stream_create_body,
    validate_training_data,
)
from aiotune.types import Dataset, TuningExample, TuningExamples

pytestmark = pytest.mark.anyio

PAIRS = [("a", "1"), ("b", "2"), ("c", "3")]


async def pairs_of(data: Any, **kw: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    async for batch in open_training_data(data, **kw).batches(2):
        out += batch
    return out


async def agen() -> AsyncIterator[Any]:
    for a, b in PAIRS:
        yield {"text_input": a, "output": b}


def _files(tmp: Path) -> dict[str, Path]:
    rows = [{"text_input": a, "output": b} for a, b in PAIRS]
    (tmp / "t.csv").write_text("text_input,output\na,1\nb,2\nc,3\n")
    (tmp / "bom.csv").write_bytes(b"\xef\xbb\xbftext_input,output\r\na,1\r\nb,2\r\nc,3\r\n")
    (tmp / "t1.json").write_bytes(orjson.dumps(rows))
    (tmp / "t2.json").write_bytes(
        orjson.dumps({"text_input": ["a", "b", "c"], "output": ["1", "2", "3"]})
    )
    (tmp / "t3.json").write_bytes(orjson.dumps([list(p) for p in PAIRS]))
    (tmp / "t.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    (tmp / "noext").write_bytes(b"\n".join(orjson.dumps(r) for r in rows))
    (tmp / "jsonl-named.json").write_bytes(b"\n".join(orjson.dumps(r) for r in rows))
    (tmp / "wire.json").write_bytes(
        orjson.dumps({"examples": {"examples": [{"textInput": a, "output": b} for a, b in PAIRS]}})
    )
    return {p.name: p for p in tmp.iterdir()}


@pytest.mark.parametrize(
    "make",
    [
        lambda t: [("a", "1"), {"text_input": "b", "output": "2"}, TuningExample(text_input="c", output="3")],
        lambda t: {"text_input": ["a", "b", "c"], "output": ["1", "2", "3"]},
        lambda t: pd.DataFrame({"text_input": ["a", "b", "c"], "output": ["1", "2", "3"]}),
        lambda t: Dataset(examples=TuningExamples(examples=[TuningExample(text_input=a, output=b) for a, b in PAIRS])),
        lambda t: {"examples": {"examples": [{"text_input": a, "output": b} for a, b in PAIRS]}},
        lambda t: (p for p in PAIRS),
        lambda t: agen(),
        lambda t: str(t["t.csv"]),
        lambda t: t["t.csv"],
        lambda t: t["bom.csv"],
        lambda t: t["t1.json"],
        lambda t: t["t2.json"],
        lambda t: t["t3.json"],
        lambda t: t["t.jsonl"],
        lambda t: t["noext"],
        lambda t: t["jsonl-named.json"],
        lambda t: t["wire.json"],
    ],
    ids=["mixed-rows", "columns", "dataframe", "dataset-model", "dataset-dict", "generator", "async",
         "csv-str", "csv-path", "csv-bom", "json-rows", "json-columns", "json-pairs", "jsonl",
         "jsonl-no-extension", "jsonl-named-json", "json-wire-dataset"],
)  # fmt: skip
async def test_every_shape_gives_the_same_examples(
    tmp_path: Path, make: Any, no_blocking: None
) -> None:
    assert await pairs_of(make(_files(tmp_path))) == PAIRS


async def test_columns_convert_numbers_like_the_official_sdk() -> None:
    data = {"text_input": [1, 2.5, 3.0], "output": ["x", "y", "z"]}
    assert await pairs_of(data) == [("1", "x"), ("2.5", "y"), ("3.0", "z")]
    df = pd.DataFrame({"q": [1, 2], "a": [0.5, 1.0]})
    assert await pairs_of(df, input_key="q", output_key="a") == [("1", "0.5"), ("2", "1.0")]


async def test_csv_cells_stay_raw(tmp_path: Path) -> None:
    f = tmp_path / "raw.csv"
    with f.open("w", newline="") as fh:
        csv.writer(fh).writerows(
            [
                ["text_input", "output", "extra"],
                ["007", "NA", "x"],
                ['say "hi", twice', "multi\nline", ""],
            ]
        )
    assert await pairs_of(f) == [("007", "NA"), ('say "hi", twice', "multi\nline")]


@pytest.mark.parametrize(
    ("data", "needle", "where"),
    [
        (
            [{"text_input": "a", "output": None}],
            "output is missing",
            {"row": 1, "column": "output"},
        ),
        (
            [{"text_input": "a", "output": math.nan}],
            "output is missing",
            {"row": 1, "column": "output"},
        ),
        ([("a", "1"), ("b", "")], "output is empty", {"row": 2}),
        ([("a", "1"), (None, "2")], "input is missing", {"row": 2}),
        ([("a", True)], "boolean", {"row": 1}),
        ([("a", "1", "x")], "pair", {"row": 1}),
        (["ab"], "not a str", {"row": 1}),
        (
            [{"input": "a", "output": "1"}],
            "available keys: 'input', 'output'",
            {"row": 1, "column": "text_input"},
        ),
        ({"text_input": ["a", "b"], "output": ["1"]}, "different lengths", {}),
        ({"text_input": "abc", "output": "123"}, "sequence of values", {"column": "text_input"}),
        ({"x": [1]}, "available columns: 'x'", {"column": "text_input"}),
        (
            pd.DataFrame({"text_input": ["a", None], "output": ["1", "2"]}),
            "input is missing",
            {"row": 2},
        ),
        ([("a" * 40_001, "b")], "40,000", {"row": 1}),
        ([("a", "b" * 5_001)], "5,000", {"row": 1}),
        ([], "no examples", {}),
    ],
)
async def test_bad_data_is_a_precise_error(data: Any, needle: str, where: dict[str, Any]) -> None:
    with pytest.raises(DatasetError) as info:
        await validate_training_data(data)
    err = info.value
    assert isinstance(err, ValueError)
    assert needle in str(err)
    for key, value in where.items():
        assert getattr(err, key) == value


async def test_file_errors_name_file_row_line_and_column(tmp_path: Path, no_blocking: None) -> None:
    f = tmp_path / "data.csv"
    f.write_text('text_input,output\na,1\n"multi\nline",2\nragged\n')
    with pytest.raises(DatasetError) as info:
        await validate_training_data(f)
    assert (info.value.source, info.value.row, info.value.line) == (str(f), 3, 5)
    assert "1 cells; the header has 2" in str(info.value)

    f.write_text("question,answer\na,1\n")
    with pytest.raises(DatasetError, match="the header has: 'question', 'answer'"):
        await validate_training_data(f)
    assert await pairs_of(f, input_key="question", output_key="answer") == [("a", "1")]

    j = tmp_path / "data.jsonl"
    j.write_bytes(b'{"text_input": "a", "output": "1"}\n\n{"text_input": "b"\n')
    with pytest.raises(DatasetError) as info:
        await validate_training_data(j)
    assert (info.value.row, info.value.line) == (2, 3)

    with pytest.raises(DatasetError, match="no such file"):
        await validate_training_data(tmp_path / "missing.csv")
    (tmp_path / "latin1.csv").write_bytes(b"text_input,output\ncaf\xe9,1\n")
    with pytest.raises(DatasetError, match="not valid UTF-8"):
        await validate_training_data(tmp_path / "latin1.csv")


def test_sniffing() -> None:
    assert sniff_format(b"text_input,output\n") == "csv"
    assert sniff_format(b'\xef\xbb\xbf  [{"a": 1}]') == "json"
    assert sniff_format(b'{"a": 1}\n{"a": 2}\n') == "jsonl"
    assert sniff_format(b'{\n "a": [1]\n}') == "json"
    assert sniff_format(b"", "x.jsonl?sig=1") == "jsonl"


async def test_unsupported_shapes() -> None:
    with pytest.raises(TypeError):
        open_training_data(5)
    with pytest.raises(DatasetError, match="scheme 'gs'"):
        open_training_data("gs://bucket/data.csv")


async def test_replayable() -> None:
    assert open_training_data(PAIRS).replayable
    assert not open_training_data(iter(PAIRS)).replayable
    assert not open_training_data(agen()).replayable
    assert open_training_data("x.csv").replayable


async def test_body_streams_batches_and_limits(tmp_path: Path) -> None:
    rows = [(f"in {i}", f"out {i}") for i in range(12_345)]
    body = await stream_create_body(
        {"baseModel": "models/x", "tuningTask": {"hyperparameters": {}}}, open_training_data(rows)
    )
    chunks = [c async for c in body]
    assert len(chunks) > 2  # streamed in batches
    parsed = orjson.loads(b"".join(chunks))
    examples = parsed["tuningTask"]["trainingData"]["examples"]["examples"]
    assert [(e["textInput"], e["output"]) for e in examples] == rows
    assert parsed["baseModel"] == "models/x" and body.examples_sent == len(rows)

    with pytest.raises(DatasetError, match="no examples"):
        await stream_create_body({}, open_training_data([]))
    limited = open_training_data(rows, limits=DatasetLimits(max_examples=10_000))
    body = await stream_create_body({}, limited)
    with pytest.raises(DatasetError, match="more than 10,000"):
        async for _ in body:
            pass


async def test_a_bad_row_after_the_upload_started_aborts_it() -> None:
    rows: list[Any] = [("q", "a")] * 7000 + [("q", None)]
    body = await stream_create_body({}, open_training_data(rows))  # the first batch is fine
    sent: list[bytes] = []

    async def upload() -> None:
        async for chunk in body:
            sent.append(chunk)

    with pytest.raises(DatasetError) as info:
        await upload()
    assert info.value.row == 7001
    assert sent  # something was already sent: the server gets an incomplete body


async def test_big_file_streams(tmp_path: Path, no_blocking: None) -> None:
    f = tmp_path / "big.csv"
    with f.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text_input", "output"])
        w.writerows((f"question {i}, with a comma", f"answer {i}") for i in range(200_000))
    summary = await validate_training_data(f)
    assert summary.examples == 200_000
    assert summary.max_output_chars == len("answer 199999")


async def body_pairs(data: Any, **kw: Any) -> list[tuple[str, str]]:
    body = await stream_create_body({}, open_training_data(data, **kw), batch_size=2)
    parsed = orjson.loads(b"".join([c async for c in body]))
    return [
        (e.get("textInput", ""), e["output"])
        for e in parsed["tuningTask"]["trainingData"]["examples"]["examples"]
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
async def test_the_encoded_file_path_matches_the_row_path(
    tmp_path: Path, suffix: str, no_blocking: None
) -> None:
    """Files are parsed, checked and encoded in worker threads on a fast path: same result."""
    f = tmp_path / f"mixed{suffix}"
    if suffix == ".jsonl":
        lines = [
            {"text_input": "plain", "output": "1"},
            {"textInput": "camel alias", "output": "2"},
            ["a pair", "3"],
            {"text_input": 7, "output": 8.5},
            {"text_input": "", "output": "empty input is fine"},
            {"text_input": 'ünïcödé \u2028 "quoted"', "output": "\U0001f600"},
        ]
        f.write_bytes(b"\xef\xbb\xbf" + b"\n".join(orjson.dumps(x) for x in lines) + b"\n\n")
    else:
        f.write_text(
            '\ufefftext_input,output\nplain,1\n"a, comma","multi\nline"\n\n007,0.50\n',
            encoding="utf-8",
        )
    assert await body_pairs(f) == await pairs_of(f)
    assert len(await body_pairs(f)) == (6 if suffix == ".jsonl" else 3)


@pytest.mark.parametrize(
    ("line", "needle", "column"),
    [
        (b'{"text_input": "x", "output": null}', "missing", "output"),
        (b'{"text_input": "x", "output": ""}', "empty", "output"),
        (b'{"text_input": "x", "output": "' + b"y" * 5001 + b'"}', "5,001 characters", "output"),
        (b'{"text_input": "x"}', "no 'output' key", "output"),
        (b'{"text_input": "x", "output": true}', "bool", "output"),
        (b"{not json", "invalid JSON", None),
    ],
)
async def test_the_encoded_jsonl_path_reports_row_and_line(
    tmp_path: Path, line: bytes, needle: str, column: str | None
) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_bytes(b'{"text_input": "ok", "output": "ok"}\n\n' * 3 + line + b"\n")
    with pytest.raises(DatasetError, match=needle) as info:
        await body_pairs(f)
    assert (info.value.source, info.value.row, info.value.line, info.value.column) == (
        str(f),
        4,
        7,
        column,
    )


async def test_a_description_equal_to_the_body_marker_is_just_text() -> None:
    from aiotune.datasets._body import _MARK

    tuned = {"displayName": _MARK, "description": _MARK, "tuningTask": {"hyperparameters": {}}}
    body = await stream_create_body(tuned, open_training_data(PAIRS))
    parsed = orjson.loads(b"".join([c async for c in body]))
    assert (parsed["displayName"], parsed["description"]) == (_MARK, _MARK)
    examples = parsed["tuningTask"]["trainingData"]["examples"]["examples"]
    assert [(e["textInput"], e["output"]) for e in examples] == PAIRS
