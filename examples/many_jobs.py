"""Launch many tuning jobs at once with bounded concurrency, collecting one result per job.

One client (one connection pool) serves every job; ``max_in_flight`` queues requests inside
aiotune, and the task group's limiter bounds how many jobs are being created at the same time.

    python examples/many_jobs.py 50
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import anyio

import aiotune

DATA = Path(__file__).parent / "data" / "support_tickets.csv"


async def tune_one(
    client: aiotune.AsyncClient, n: int, limiter: anyio.CapacityLimiter, results: dict[int, object]
) -> None:
    async with limiter:  # at most `limiter.total_tokens` creates in flight
        op = await client.create_tuned_model(
            "models/gemini-1.5-flash-001-tuning", DATA, display_name=f"triage {n}", epoch_count=1
        )
    try:
        results[n] = await op  # waiting costs a poll now and then, not a slot
    except aiotune.AiotuneError as exc:  # one failed job does not sink the others
        results[n] = exc


async def main(jobs: int = 20, step_time: float = 0.01) -> dict[int, object]:
    results: dict[int, object] = {}
    async with contextlib.AsyncExitStack() as stack:
        if os.environ.get("GOOGLE_API_KEY"):
            client = aiotune.AsyncClient(max_in_flight=10)
        else:
            from aiotune.emulator import Emulator

            base_url = await stack.enter_async_context(Emulator(step_time=step_time).serve())
            client = aiotune.AsyncClient(api_key="demo-key", base_url=base_url, max_in_flight=10)
        await stack.enter_async_context(client)
        limiter = anyio.CapacityLimiter(8)
        async with anyio.create_task_group() as tg:
            for n in range(jobs):
                tg.start_soon(tune_one, client, n, limiter, results)
    ok = sum(isinstance(r, aiotune.types.TunedModel) for r in results.values())
    print(f"{ok}/{jobs} jobs succeeded")
    return results


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 20)
