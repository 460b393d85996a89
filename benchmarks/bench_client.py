"""Client-side benchmarks against a local uvicorn server (see README.md for results).

    .venv/bin/python benchmarks/bench_client.py [--quick]

1. GET throughput of plain httpx with ``max_connections`` = concurrency (1, 100, 1000) versus
   aiotune's ``AsyncClient`` (``max_in_flight=10``) at the same concurrency.
2. 1,000 concurrent jobs: create + ``await op`` through ``max_in_flight=10``: wall time,
   requests per job, CPU seconds.
3. CPU per small create: httpx (default transport) vs httpx-aiohttp's ``AiohttpTransport``
   (if installed) plugged in with ``AsyncClient(transport=...)``.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx

import aiotune

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / "_bench_server.py"), str(port)])
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


async def gather(n: int, fn: Any, *args: Any) -> float:
    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(fn, i, *args)
    return time.perf_counter() - start


async def plain_httpx(url: str, concurrency: int, total: int) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:
        sem = anyio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with sem:
                (await http.get(f"{url}/v1beta/tunedModels/m{i}")).raise_for_status()

        return total / await gather(total, one)


async def aiotune_gets(url: str, concurrency: int, total: int, **kw: Any) -> float:
    async with aiotune.AsyncClient("k", base_url=url, **kw) as client:
        sem = anyio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with sem:
                await client.get_tuned_model(f"m{i}")

        return total / await gather(total, one)


async def many_jobs(url: str, jobs: int, **kw: Any) -> dict[str, float]:
    polling = aiotune.PollingPolicy(initial=0.05, maximum=0.2)
    cpu0 = time.process_time()
    async with aiotune.AsyncClient("k", base_url=url, polling=polling, max_in_flight=10, **kw) as c:

        async def one(i: int) -> None:
            op = await c.create_tuned_model("models/b", [("a", "b")] * 20, id=f"job-{i}")
            await op

        wall = await gather(jobs, one)
    return {"wall_s": wall, "cpu_s": time.process_time() - cpu0}


async def create_cpu(url: str, n: int, **kw: Any) -> float:
    async with aiotune.AsyncClient("k", base_url=url, max_in_flight=10, **kw) as c:
        cpu0 = time.process_time()
        for i in range(n):
            await c.create_tuned_model("models/b", [("a", "b")] * 20, id=f"cpu-{i}")
        return (time.process_time() - cpu0) / n * 1000


async def get_cpu(url: str, n: int, **kw: Any) -> float:
    async with aiotune.AsyncClient("k", base_url=url, max_in_flight=10, **kw) as c:
        await c.get_tuned_model("warm")
        cpu0 = time.process_time()
        for i in range(n):
            await c.get_tuned_model(f"m{i}")
        return (time.process_time() - cpu0) / n * 1000


async def main(quick: bool) -> None:
    proc, url = start_server()
    total = 300 if quick else 2000
    try:
        print("== GET throughput (requests/s) ==")
        for conc in (1, 100, 1000):
            n = min(total, max(conc, 200 if quick else 1000))
            print(
                f"plain httpx, max_connections={conc:>4}, {conc:>4} in flight: "
                f"{await plain_httpx(url, conc, n):7.0f}"
            )
            print(
                f"aiotune, max_in_flight=10,          {conc:>4} in flight: "
                f"{await aiotune_gets(url, conc, n):7.0f}"
            )
        print("== CPU per sequential GET (ms) ==")
        print(f"httpx default transport: {await get_cpu(url, 500):.2f}")
        try:
            from httpx_aiohttp import AiohttpTransport
        except ImportError:
            print("httpx-aiohttp not installed")
        else:
            cpu = await get_cpu(url, 500, transport=AiohttpTransport())
            print(f"httpx-aiohttp transport: {cpu:.2f}")
        try:
            import aiotune.datasets  # noqa: F401
        except ImportError:
            print("(aiotune.datasets not available: skipping create benchmarks)")
            return
        jobs = 200 if quick else 1000
        print(f"== {jobs} concurrent jobs (create + await), max_in_flight=10 ==")
        print(await many_jobs(url, jobs))
        print("== CPU per create (ms) ==")
        print(f"httpx default transport: {await create_cpu(url, 200):.2f}")
        try:
            from httpx_aiohttp import AiohttpTransport
        except ImportError:
            print("httpx-aiohttp not installed")
        else:
            cpu = await create_cpu(url, 200, transport=AiohttpTransport())
            print(f"httpx-aiohttp transport: {cpu:.2f}")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    anyio.run(main, parser.parse_args().quick)
