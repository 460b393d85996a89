"""Many concurrent jobs (create + wait for the result) against the aiotune emulator on loopback.

    .venv/bin/python benchmarks/bench_jobs.py [--jobs 10 100 1000] [--runs 3]

Each case gets a fresh emulator (``python -m aiotune.emulator --port 0 --step-time 0.004``, its own
process: a job trains for 0.1 s, so waiting for it takes a few polls) and a fresh client
interpreter. Clients:

* ``aiotune-httpx``: ``aiotune.AsyncClient(max_in_flight=10)`` on an ``httpx.AsyncClient``
  (10 connections) with a request-counting event hook;
* ``aiotune-aiohttp``: the same on ``httpx_aiohttp.AiohttpTransport`` (if installed);
* ``official``: google-generativeai 0.8.6 over REST, ``create_tuned_model`` + ``op.result()`` in
  a ``ThreadPoolExecutor(10)`` (one shared client, like an app would), with the same fast polling.

Each job sends 20 examples. Measured: wall time, requests sent, client CPU seconds (all threads),
emulator CPU seconds, peak TCP connections the client held open, errors.
Writes ``results/jobs.json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
from _common import (
    DEFAULT_OUT,
    PYTHON,
    cpu_s,
    median_of,
    run_child,
    server,
    table,
    write_json,
)

BASE_MODEL = "models/gemini-1.5-flash-001-tuning"
EXAMPLES = [(f"question {i}: why is the sky blue?", f"answer {i}") for i in range(20)]
CONNECTIONS = 10
CLIENTS = ("aiotune-httpx", "aiotune-aiohttp", "official")
# 20 examples x 5 epochs / batch 4 = 25 steps; at 4 ms a step a job trains for 0.1 s, so waiting for
# it takes a few polls. (With --step-time 0 the create response is already done: 1 request a job.)
STEP_TIME = 0.004


class ConnectionWatch:
    """Samples this process's established TCP connections to ``port`` every 50 ms."""

    def __init__(self, port: int) -> None:
        self.port, self.peak = port, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        open_ = sum(
            1
            for c in psutil.Process().net_connections("tcp")
            if c.raddr and c.raddr.port == self.port and c.status == psutil.CONN_ESTABLISHED
        )
        self.peak = max(self.peak, open_)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.sample()

    def __enter__(self) -> ConnectionWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def aiotune_jobs(
    url: str, n: int, transport_name: str, watch: ConnectionWatch
) -> dict[str, Any]:
    import httpx

    import aiotune

    sent = 0

    async def count(_: httpx.Request) -> None:
        nonlocal sent
        sent += 1

    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    transport: httpx.AsyncBaseTransport | None = None
    if transport_name == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        transport = AiohttpTransport(limits=limits)
    http = httpx.AsyncClient(
        transport=transport, limits=limits, timeout=60, event_hooks={"request": [count]}
    )
    polling = aiotune.PollingPolicy(initial=0.01, multiplier=1.5, maximum=0.1)
    errors: list[str] = []
    async with (
        http,
        aiotune.AsyncClient(
            "bench", base_url=url, http_client=http, polling=polling, max_in_flight=CONNECTIONS
        ) as client,
    ):

        async def one(i: int) -> None:
            try:
                op = await client.create_tuned_model(BASE_MODEL, EXAMPLES, id=f"job-{i}")
                model = await op
                if model.state != aiotune.TunedModelState.ACTIVE:
                    errors.append(f"job-{i}: {model.state}")
            except Exception as exc:
                errors.append(f"job-{i}: {exc!r}")

        await asyncio.gather(*(one(i) for i in range(n)))
        watch.sample()  # the pool's connections are still open here
    return {"requests": sent, "errors": errors}


def official_jobs(url: str, n: int, watch: ConnectionWatch) -> dict[str, Any]:
    import google.generativeai as genai
    import requests
    from google.api_core import retry
    from google.api_core.future.polling import _OperationNotComplete

    counter = itertools.count()
    original = requests.Session.request

    def counted(self: requests.Session, *args: Any, **kwargs: Any) -> Any:
        next(counter)
        return original(self, *args, **kwargs)

    requests.Session.request = counted  # type: ignore[method-assign]
    genai.configure(api_key="bench", transport="rest", client_options={"api_endpoint": url})
    polling = retry.Retry(
        predicate=retry.if_exception_type(_OperationNotComplete),
        initial=0.01,
        multiplier=1.5,
        maximum=0.1,
    )
    errors: list[str] = []

    def one(i: int) -> None:
        try:
            op = genai.create_tuned_model(BASE_MODEL, EXAMPLES, id=f"job-{i}")
            model = op.result(timeout=300, polling=polling)
            if model.state.name != "ACTIVE":
                errors.append(f"job-{i}: {model.state}")
        except Exception as exc:
            errors.append(f"job-{i}: {exc!r}")

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        list(pool.map(one, range(n)))
    watch.sample()
    return {"requests": next(counter), "errors": errors}


def child(client: str, url: str, n: int) -> dict[str, Any]:
    port = int(url.rsplit(":", 1)[1])
    if client == "official":
        import google.generativeai  # noqa: F401 - import outside the timed section
    else:
        import httpx  # noqa: F401

        import aiotune
        import aiotune.datasets

        aiotune.AsyncClient  # noqa: B018 - load the lazy package outside the timed section
    cpu0, t0 = cpu_s(), time.perf_counter()
    with ConnectionWatch(port) as watch:
        if client == "official":
            result = official_jobs(url, n, watch)
        else:
            result = asyncio.run(aiotune_jobs(url, n, client.removeprefix("aiotune-"), watch))
    result.update(wall_s=time.perf_counter() - t0, cpu_s=cpu_s() - cpu0, connections=watch.peak)
    return result


def available(client: str) -> bool:
    module = {"aiotune-aiohttp": "httpx_aiohttp", "official": "google.generativeai"}.get(client)
    return module is None or importlib.util.find_spec(module) is not None


def emulator_cmd(step_time: float) -> list[str]:
    """The emulator as shipped."""
    return [PYTHON, "-m", "aiotune.emulator", "--port", "0", "--step-time", str(step_time)]


def run_case(client: str, n: int, runs: int, step_time: float = STEP_TIME) -> dict[str, Any]:
    case: dict[str, Any] = {"client": client, "jobs": n, "runs": []}
    emulator = emulator_cmd(step_time)
    for r in range(runs):
        with server(emulator, "aiotune emulator listening on") as (url, pid):
            emu = psutil.Process(pid)
            emu_cpu0 = sum(emu.cpu_times()[:2])
            result = run_child("bench_jobs.py", [client, url, str(n)], timeout=1800)
            result["server_cpu_s"] = sum(emu.cpu_times()[:2]) - emu_cpu0
        errors = result.get("errors")
        result["n_errors"] = len(errors) if isinstance(errors, list) else 1
        if isinstance(errors, list):
            result["errors"] = errors[:5]
        case["runs"].append(result)
        shown = {k: v for k, v in result.items() if k != "errors"}
        print(f"  {client:16} {n:>5} jobs run {r}: {shown}", file=sys.stderr, flush=True)
    for key in ("wall_s", "cpu_s", "server_cpu_s", "requests", "connections"):
        case[key] = median_of(case["runs"], key)
    case["errors"] = sum(r["n_errors"] for r in case["runs"])
    return case


def run(
    jobs: list[int],
    runs: int,
    out: Path,
    official_max: int = 1000,
    official: bool = True,
    step_time: float = STEP_TIME,
) -> dict[str, Any]:
    clients = [c for c in CLIENTS if available(c) and (official or c != "official")]
    cases = []
    for n in jobs:
        for client in clients:
            if client == "official" and n > official_max:
                continue
            k = 1 if client == "official" and n >= 1000 else runs
            cases.append(run_case(client, n, k, step_time))
    data = {
        "connections": CONNECTIONS,
        "examples_per_job": len(EXAMPLES),
        "step_time_s": step_time,
        "emulator": " ".join(emulator_cmd(step_time)[1:]),
        "clients": clients,
        "runs": runs,
        "cases": cases,
    }
    write_json(out / "jobs.json", data)
    return data


def report(data: dict[str, Any]) -> str:
    rows = [
        [c["client"], c["jobs"], len(c["runs"]), c["wall_s"], c["requests"],
         c["requests"] / c["jobs"] if c["requests"] else None, c["cpu_s"],
         c["cpu_s"] / c["jobs"] * 1000 if c["cpu_s"] else None, c["server_cpu_s"], c["connections"], c["errors"]]
        for c in data["cases"]
    ]  # fmt: skip
    header = ["client", "jobs", "runs", "wall s", "requests", "req/job", "client CPU s",
              "CPU ms/job", "emulator CPU s", "peak conns", "errors"]  # fmt: skip
    return table(header, rows)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        client, url, n = sys.argv[2:5]
        print(json.dumps(child(client, url, int(n))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--official-max", type=int, default=1000, help="largest N for the official SDK"
    )
    parser.add_argument("--no-official", action="store_true")
    parser.add_argument(
        "--step-time", type=float, default=STEP_TIME, help="emulator seconds per step"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    data = run(
        args.jobs, args.runs, args.out, args.official_max, not args.no_official, args.step_time
    )
    print(report(data))


if __name__ == "__main__":
    main()
