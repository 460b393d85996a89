"""URL datasets (through an injected httpx client, no internet), Sheets links, and property-based
round trips of arbitrary text through CSV / JSON / JSONL writers → aiotune → request body."""

from __future__ import annotations

import csv
import io
from contextlib import aclosing
from pathlib import Path

import anyio
import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiotune import DatasetError
from aiotune.datasets import (
    DatasetLimits,
    TrainingData,
    normalize_sheets_url,
    open_training_data,
    stream_create_body,
)

pytestmark = pytest.mark.anyio

SHEET = "https://docs.google.com/spreadsheets/d/ABC"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{SHEET}/edit?usp=sharing", f"{SHEET}/export?format=csv"),
        (f"{SHEET}/edit#gid=123", f"{SHEET}/export?format=csv&gid=123"),
        (f"{SHEET}/edit?gid=5#gid=123", f"{SHEET}/export?format=csv&gid=5"),
        (SHEET, f"{SHEET}/export?format=csv"),
        (
            "https://docs.google.com/spreadsheets/d/e/2PACX-1vX/pubhtml?gid=7",
            "https://docs.google.com/spreadsheets/d/e/2PACX-1vX/pub?output=csv&gid=7",
        ),
        ("https://example.com/data.csv", "https://example.com/data.csv"),
    ],
)
def test_sheets_urls(url: str, expected: str) -> None:
    assert normalize_sheets_url(url) == expected


def test_incomplete_sheets_url_names_itself() -> None:
    with pytest.raises(DatasetError, match="incomplete Google Sheets URL") as info:
        normalize_sheets_url("https://docs.google.com/spreadsheets/u/0/")
    assert info.value.source == "https://docs.google.com/spreadsheets/u/0/"


async def first_batch(src: TrainingData) -> list[tuple[str, str]]:
    async with aclosing(src.batches()) as batches:
        return await anext(batches)


async def test_url_datasets_through_the_given_client() -> None:
    files = {
        "/data.csv": b"text_input,output\na,1\nb,2\n",
        "/data.json": b'[{"text_input": "a", "output": "1"}, {"text_input": "b", "output": "2"}]',
        "/rows": b'{"text_input": "a", "output": "1"}\n{"text_input": "b", "output": "2"}\n',
        "/spreadsheets/d/ABC/export": b"text_input,output\na,1\nb,2\n",
    }
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        body = files.get(request.url.path)
        return httpx.Response(200, content=body) if body is not None else httpx.Response(404)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        for path in ("/data.csv", "/data.json?token=secret", "/rows"):
            src = open_training_data(f"https://files.example{path}", http_client=http)
            assert "secret" not in src.description
            assert [p async for b in src.batches() for p in b] == [("a", "1"), ("b", "2")]
        src = open_training_data(
            "https://docs.google.com/spreadsheets/d/ABC/edit#gid=9", http_client=http
        )
        assert [p async for b in src.batches() for p in b] == [("a", "1"), ("b", "2")]
        assert seen[-1] == "https://docs.google.com/spreadsheets/d/ABC/export?format=csv&gid=9"
        with pytest.raises(DatasetError, match="HTTP 404"):
            await first_batch(open_training_data("https://files.example/missing", http_client=http))
        capped = open_training_data(
            "https://files.example/data.csv",
            http_client=http,
            limits=DatasetLimits(max_download_bytes=10),
        )
        with pytest.raises(DatasetError, match="exceeds 10 bytes"):
            await first_batch(capped)


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
pairs = st.lists(st.tuples(text, text.filter(bool)), min_size=1, max_size=15)


async def body_examples(data: object) -> list[tuple[str, str]]:
    body = await stream_create_body({"baseModel": "models/x"}, open_training_data(data))
    parsed = orjson.loads(b"".join([c async for c in body]))
    return [
        (e.get("textInput", ""), e["output"])
        for e in parsed["tuningTask"]["trainingData"]["examples"]["examples"]
    ]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=pairs)
def test_text_round_trips_through_every_file_format(
    tmp_path: Path, rows: list[tuple[str, str]]
) -> None:
    csv_file, json_file, jsonl_file = tmp_path / "r.csv", tmp_path / "r.json", tmp_path / "r.jsonl"
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(["text_input", "output"])
    writer.writerows(rows)
    csv_file.write_text(buf.getvalue(), encoding="utf-8", newline="")
    dicts = [{"text_input": a, "output": b} for a, b in rows]
    json_file.write_bytes(orjson.dumps(dicts))
    jsonl_file.write_bytes(b"\n".join(orjson.dumps(d) for d in dicts) + b"\n")
    for f in (json_file, jsonl_file, csv_file):
        assert anyio.run(body_examples, f) == rows, f


def test_url_descriptions_keep_the_port_and_drop_secrets() -> None:
    from aiotune.datasets._urls import describe_url

    assert describe_url("https://user:pw@example.com:8443/d/a.csv?sig=s3cret#x") == (
        "https://example.com:8443/d/a.csv"
    )
    assert describe_url("http://127.0.0.1/a.csv") == "http://127.0.0.1/a.csv"
