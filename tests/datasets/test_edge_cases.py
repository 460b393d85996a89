"""File, DataFrame and URL edge cases: each must read right or fail with a precise error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from aiotune import DatasetError
from aiotune.datasets import DatasetLimits, open_training_data, stream_create_body

pytestmark = pytest.mark.anyio


async def rows_of(data: Any, **kw: Any) -> list[tuple[str, str]]:
    return [p async for batch in open_training_data(data, **kw).batches(2) for p in batch]


async def body_rows(data: Any, **kw: Any) -> list[tuple[str, str]]:
    body = await stream_create_body({}, open_training_data(data, **kw), batch_size=2)
    parsed = orjson.loads(b"".join([c async for c in body]))
    examples = parsed["tuningTask"]["trainingData"]["examples"]["examples"]
    return [(e.get("textInput", ""), e["output"]) for e in examples]


async def both_paths(data: Any, **kw: Any) -> list[tuple[str, str]]:
    rows = await rows_of(data, **kw)
    assert await body_rows(data, **kw) == rows
    return rows


async def test_a_json_document_with_a_byte_order_mark(tmp_path: Path, no_blocking: None) -> None:
    f = tmp_path / "data.json"
    f.write_bytes(b"\xef\xbb\xbf" + orjson.dumps([{"text_input": "a", "output": "1"}]))
    assert await both_paths(f) == [("a", "1")]


async def test_blank_lines_before_the_csv_header(tmp_path: Path) -> None:
    f = tmp_path / "data.csv"
    f.write_text("\n\r\ntext_input,output\na,1\n")
    assert await both_paths(f) == [("a", "1")]


async def test_a_duplicated_csv_column_is_ambiguous(tmp_path: Path) -> None:
    f = tmp_path / "data.csv"
    f.write_text("text_input,output,output\na,1,2\n")
    for read in (rows_of, body_rows):
        with pytest.raises(DatasetError, match="2 columns named 'output'") as info:
            await read(f)
        assert (info.value.line, info.value.column) == (1, "output")


async def test_a_dataframe_with_a_duplicated_column_is_ambiguous() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        [["a", "x", "y"], ["b", "z", "w"]], columns=["text_input", "output", "output"]
    )
    with pytest.raises(DatasetError, match="one-dimensional") as info:
        await rows_of(df)
    assert info.value.column == "output"


async def test_an_unreadable_path_is_a_dataset_error(tmp_path: Path) -> None:
    f = tmp_path / "data.csv"
    f.write_text("text_input,output\na,1\n")
    with pytest.raises(DatasetError, match="cannot read the file") as info:
        await rows_of(f / "inner.csv")  # a file used as a directory: NotADirectoryError
    assert info.value.source == str(f / "inner.csv")


async def test_json_lines_with_a_first_row_longer_than_the_sniff_window(
    tmp_path: Path, no_blocking: None
) -> None:
    f = tmp_path / "rows.txt"  # no .jsonl name: the format is sniffed
    long = "x" * 70_000
    rows = [{"text_input": long, "output": "1"}, {"text_input": "b", "output": "2"}]
    f.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    limits = DatasetLimits(max_input_chars=100_000)
    assert await both_paths(f, limits=limits) == [(long, "1"), ("b", "2")]


async def test_invalid_utf8_names_its_own_line(tmp_path: Path) -> None:
    f = tmp_path / "data.csv"
    f.write_bytes(b"text_input,output\n" + b"a,1\n" * 5000 + b"b,\xff\n")
    for read in (rows_of, body_rows):
        with pytest.raises(DatasetError, match="not valid UTF-8") as info:
            await read(f)
        assert info.value.line == 5002


async def test_a_redirect_is_followed_with_a_client_that_does_not_by_default() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "docs.google.com":  # Sheets exports always redirect
            return httpx.Response(307, headers={"location": "https://cdn.example/x.csv"})
        return httpx.Response(200, content=b"text_input,output\na,1\n")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        sheet = "https://docs.google.com/spreadsheets/d/ABC/edit"
        assert await rows_of(sheet, http_client=http) == [("a", "1")]


async def test_a_csv_name_wins_over_a_bracketed_header(tmp_path: Path) -> None:
    f = tmp_path / "export.csv"
    f.write_text("[text_input],[output]\na,1\n")
    assert await both_paths(f, input_key="[text_input]", output_key="[output]") == [("a", "1")]
