"""File -> create request body -> sink: a hand-written floor, aiotune and the official SDK.

    .venv/bin/python benchmarks/bench_pipeline.py [--sizes 10000 100000 1000000] [--runs 3]

For each format (CSV, JSONL), size and pipeline, every run is a fresh interpreter
(``bench_pipeline.py child ...``), so the peak RSS is that case's alone. The child times the
pipeline only (imports excluded): open the file, build and send the body, get the create
response (the long-running Operation; training is never awaited). The sink (``sink.py``, another
process) counts the bytes and examples it received.

Pipelines:

* ``floor``: stdlib ``csv`` / line-by-line JSONL + ``orjson``, batches of 5,000 rows encoded with
  one ``orjson.dumps`` each, streamed as an async generator to ``httpx.AsyncClient.post`` (parsing
  runs on the event loop: the simplest fast code, not a polite one);
* ``aiotune``: ``AsyncClient(...).create_tuned_model(..., training_data=Path(file))``;
* ``official``: ``google.generativeai.create_tuned_model(..., Path(file))`` over REST. It reads
  only ``.json`` as JSON; anything else (``.jsonl`` included) is parsed as CSV, so its JSONL case
  is n/a.

The async pipelines also run a ticker (sleep 5 ms, record the oversleep): the max event-loop lag.
Writes ``results/pipeline.json`` and prints markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib.util
import json
import platform
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import gen_data
import orjson
from _common import (
    DEFAULT_OUT,
    cpu_s,
    median_of,
    peak_rss_mb,
    run_child,
    sink,
    sink_stats,
    table,
    write_json,
)

PIPELINES = ("floor", "aiotune", "official")
FORMATS = ("csv", "jsonl")
BASE_MODEL = "models/gemini-1.5-flash-001-tuning"
BATCH = 5000
HEAD = (
    b'{"baseModel":"'
    + BASE_MODEL.encode()
    + b'","tuningTask":{"trainingData":{"examples":{"examples":['
)
TAIL = b']}},"hyperparameters":{}}}'
OFFICIAL_JSONL = "n/a: the official SDK parses any file not ending in .json as CSV (a .jsonl file gives KeyError 'text_input' or an empty dataset)"


# -- the floor -------------------------------------------------------------------------------
def csv_batches(path: Path) -> Iterator[bytes]:
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        i, o = header.index("text_input"), header.index("output")
        batch: list[dict[str, str]] = []
        for row in reader:
            batch.append({"textInput": row[i], "output": row[o]})
            if len(batch) == BATCH:
                yield orjson.dumps(batch)[1:-1]
                batch = []
        if batch:
            yield orjson.dumps(batch)[1:-1]


def jsonl_batches(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        batch: list[dict[str, str]] = []
        for line in f:
            row = orjson.loads(line)
            batch.append({"textInput": row["text_input"], "output": row["output"]})
            if len(batch) == BATCH:
                yield orjson.dumps(batch)[1:-1]
                batch = []
        if batch:
            yield orjson.dumps(batch)[1:-1]


async def floor_body(path: Path) -> AsyncIterator[bytes]:
    batches = csv_batches(path) if path.suffix == ".csv" else jsonl_batches(path)
    yield HEAD
    for n, chunk in enumerate(batches):
        yield b"," + chunk if n else chunk
        await asyncio.sleep(0)  # let the ticker (and httpx) run between batches
    yield TAIL


async def run_floor(path: Path, url: str, model_id: str) -> str:
    import httpx

    async with httpx.AsyncClient(timeout=None) as http:
        r = await http.post(
            f"{url}/v1beta/tunedModels",
            params={"tunedModelId": model_id},
            content=floor_body(path),
            headers={"content-type": "application/json", "x-goog-api-key": "bench"},
        )
        r.raise_for_status()
        return str(r.json()["name"])


# -- aiotune and the official SDK ------------------------------------------------------------
async def run_aiotune(path: Path, url: str, model_id: str) -> str:
    import aiotune

    async with aiotune.AsyncClient(api_key="bench", base_url=url) as client:
        op = await client.create_tuned_model(BASE_MODEL, training_data=path, id=model_id)
        return op.name


def run_official(path: Path, url: str, model_id: str) -> str:
    import google.generativeai as genai

    genai.configure(api_key="bench", transport="rest", client_options={"api_endpoint": url})
    op = genai.create_tuned_model(BASE_MODEL, path, id=model_id, request_options={"timeout": 900})
    return str(op.name)


async def with_ticker(job: Coroutine[Any, Any, str]) -> tuple[str, float]:
    """Run ``job`` next to a 5 ms ticker; return its result and the max oversleep (ms)."""
    worst = 0.0

    async def tick() -> None:
        nonlocal worst
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            worst = max(worst, time.perf_counter() - t - 0.005)

    ticker = asyncio.create_task(tick())
    try:
        return await job, worst * 1000
    finally:
        ticker.cancel()


def child(pipeline: str, path: Path, url: str, model_id: str) -> dict[str, Any]:
    if pipeline == "official":
        import google.generativeai  # noqa: F401 - import outside the timed section
    else:
        import httpx  # noqa: F401

        import aiotune
        import aiotune.datasets

        aiotune.AsyncClient  # noqa: B018 - load the lazy package outside the timed section
    base_rss, cpu0, t0 = peak_rss_mb(), cpu_s(), time.perf_counter()
    lag: float | None = None
    if pipeline == "official":
        name = run_official(path, url, model_id)
    else:
        fn: Callable[[Path, str, str], Coroutine[Any, Any, str]] = (
            run_floor if pipeline == "floor" else run_aiotune
        )
        name, lag = asyncio.run(with_ticker(fn(path, url, model_id)))
    wall = time.perf_counter() - t0
    assert name.startswith(f"tunedModels/{model_id}/operations/"), name
    return {
        "wall_s": wall,
        "cpu_s": cpu_s() - cpu0,
        "peak_rss_mb": peak_rss_mb(),
        "base_rss_mb": base_rss,
        "max_lag_ms": lag,
    }


# -- the driver ------------------------------------------------------------------------------
def official_available() -> bool:
    return importlib.util.find_spec("google.generativeai") is not None


def run_case(url: str, pipeline: str, fmt: str, n: int, path: Path, runs: int) -> dict[str, Any]:
    case: dict[str, Any] = {"pipeline": pipeline, "format": fmt, "rows": n, "runs": []}
    if pipeline == "official" and fmt == "jsonl":
        case["na"] = OFFICIAL_JSONL
        return case
    for r in range(runs):
        model_id = f"{pipeline[:3]}-{fmt}-{n}-{r}"
        result = run_child("bench_pipeline.py", [pipeline, str(path), url, model_id])
        if "error" not in result:
            result.update(sink_stats(url, model_id))
        case["runs"].append(result)
        print(f"  {pipeline:8} {fmt:5} {n:>9,} run {r}: {result}", file=sys.stderr, flush=True)
    for key in ("wall_s", "cpu_s", "peak_rss_mb", "base_rss_mb", "bytes", "examples"):
        case[key] = median_of(case["runs"], key)
    lags = [r["max_lag_ms"] for r in case["runs"] if r.get("max_lag_ms") is not None]
    case["max_lag_ms"] = max(lags) if lags else None
    case["errors"] = [r["error"] for r in case["runs"] if "error" in r]
    return case


def run(
    sizes: list[int],
    runs: int,
    data_dir: Path,
    out: Path,
    official: bool = True,
    official_big_runs: int = 1,
    big: int = 1_000_000,
) -> dict[str, Any]:
    pipelines = [p for p in PIPELINES if official or p != "official"]
    cases = []
    with sink() as url:
        for n in sizes:
            files = gen_data.generate(n, data_dir)
            for fmt in FORMATS:
                for pipeline in pipelines:
                    k = official_big_runs if pipeline == "official" and n >= big else runs
                    cases.append(run_case(url, pipeline, fmt, n, files[fmt], k))
    data = {
        "python": platform.python_version(),
        "sizes": sizes,
        "runs": runs,
        "official_big_runs": official_big_runs,
        "pipelines": pipelines,
        "cases": cases,
    }
    write_json(out / "pipeline.json", data)
    return data


def report(data: dict[str, Any]) -> str:
    floors = {(c["format"], c["rows"]): c for c in data["cases"] if c["pipeline"] == "floor"}
    rows = []
    for c in data["cases"]:
        floor = floors.get((c["format"], c["rows"]))
        ratio = (
            c["wall_s"] / floor["wall_s"]
            if floor and c.get("wall_s") and floor.get("wall_s")
            else None
        )
        mb = c["bytes"] / 1e6 if c.get("bytes") else None
        wall = c.get("wall_s") if "na" not in c else None
        rows.append(
            [c["format"], c["rows"], c["pipeline"], len(c["runs"]), wall, ratio, c.get("peak_rss_mb"),
             c.get("cpu_s"), mb, c.get("examples"), c.get("max_lag_ms"), "n/a: reads .jsonl as CSV" if c.get("na") else "; ".join(c.get("errors", []))]
        )  # fmt: skip
    header = ["format", "rows", "pipeline", "runs", "wall s", "x floor", "peak RSS MB", "CPU s",
              "body MB", "examples recv", "max loop lag ms", "note"]  # fmt: skip
    return table(header, rows)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        pipeline, path, url, model_id = sys.argv[2:6]
        print(json.dumps(child(pipeline, Path(path), url, model_id)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--official-big-runs", type=int, default=1, help="runs of the official SDK at >= 1M rows"
    )
    parser.add_argument("--no-official", action="store_true")
    parser.add_argument("--data-dir", type=Path, default=gen_data.DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    official = official_available() and not args.no_official
    data = run(args.sizes, args.runs, args.data_dir, args.out, official, args.official_big_runs)
    print(report(data))


if __name__ == "__main__":
    main()
