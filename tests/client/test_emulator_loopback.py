"""Integration on a loopback port: the emulator served by uvicorn (asyncio only), the client
over real sockets: 1,000 concurrent jobs through 10 connections, faults, exactly-once create."""

from __future__ import annotations

import anyio
import httpx
import pytest

import aiotune

pytest.importorskip("aiotune.emulator")
pytest.importorskip("aiotune.datasets")

from aiotune.emulator import Emulator

from .test_emulator import BASE_MODEL, DATA, KEY

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # uvicorn serves on asyncio


async def test_1000_jobs_through_10_connections_on_loopback() -> None:
    emu = Emulator(step_time=0.001)
    async with emu.serve(host="127.0.0.1", port=0) as base_url:
        timeout = httpx.Timeout(30.0, pool=5.0)
        polling = aiotune.PollingPolicy(initial=0.05, maximum=0.2)
        async with aiotune.AsyncClient(
            KEY, base_url=base_url, max_in_flight=10, timeout=timeout, polling=polling
        ) as client:
            results: list[aiotune.TunedModel] = []

            async def job(i: int) -> None:
                op = await client.create_tuned_model(
                    BASE_MODEL, DATA[:4], id=f"job-{i}", epoch_count=1
                )
                results.append(await op)

            with anyio.fail_after(120):
                async with anyio.create_task_group() as tg:
                    for i in range(1000):
                        tg.start_soon(job, i)
            assert len(results) == 1000
            http = client._transport._http
            assert http is not None
            assert len(http._transport._pool.connections) <= 10  # type: ignore[attr-defined]


async def test_faults_over_real_sockets_exactly_one_job() -> None:
    emu = Emulator(step_time=0.001)
    emu.faults.retry_after = 0.01
    emu.faults.script("POST", "/v1beta/tunedModels", [429, "drop"])
    async with emu.serve(host="127.0.0.1", port=0) as base_url:
        retry = aiotune.RetryPolicy(max_retries=3, initial=0.001, maximum=0.01)
        polling = aiotune.PollingPolicy(initial=0.01, maximum=0.05)
        async with aiotune.AsyncClient(KEY, base_url=base_url, retry=retry, polling=polling) as c:
            op = await c.create_tuned_model(BASE_MODEL, DATA, display_name="over sockets")
            assert [m.name async for m in c.list_tuned_models()] == [op.tuned_model]
            assert (await op).state is aiotune.TunedModelState.ACTIVE
            http = c._transport._http
            assert http is not None
            pool = http._transport._pool  # type: ignore[attr-defined]
            assert all(conn.is_idle() or conn.is_closed() for conn in pool.connections)
