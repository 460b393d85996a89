"""Integration: the client against the shipped emulator, in-process (ASGI transport) and on a
loopback port (uvicorn), with the real dataset readers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

import aiotune

pytest.importorskip("aiotune.emulator")
pytest.importorskip("aiotune.datasets")

from aiotune.emulator import Emulator

pytestmark = pytest.mark.anyio

KEY = "emu-key-SECRET-42"
BASE_MODEL = "models/gemini-1.5-flash-001-tuning"
DATA = [(f"{i}", f"{i + 1}") for i in range(12)]
FAST_POLL = aiotune.PollingPolicy(initial=0.005, maximum=0.02)
FAST_RETRY = aiotune.RetryPolicy(initial=0.001, maximum=0.01)


@pytest.fixture
async def emu_client() -> AsyncIterator[tuple[Any, aiotune.AsyncClient]]:
    emu = Emulator(step_time=0.002)
    async with aiotune.AsyncClient(
        KEY,
        base_url="http://emulator",
        transport=emu.transport(),
        polling=FAST_POLL,
        retry=FAST_RETRY,
    ) as client:
        yield emu, client


async def test_whole_life_cycle_in_process(emu_client: tuple[Any, aiotune.AsyncClient]) -> None:
    _, client = emu_client
    bases = [m.name async for m in client.list_models()]
    assert BASE_MODEL in bases
    assert "createTunedModel" in (await client.get_model(BASE_MODEL)).supported_generation_methods

    op = await client.create_tuned_model(
        BASE_MODEL, DATA, display_name="Number generator", epoch_count=2, batch_size=4
    )
    assert op.name.startswith("tunedModels/number-generator-")
    events = [p async for p in op.watch()]
    assert events[-1].done
    assert events[-1].completed_steps == events[-1].total_steps == 6  # ceil(12 * 2 / 4)
    model = await op
    assert model.state is aiotune.TunedModelState.ACTIVE

    again = await client.get_operation(op.name)  # reattach
    assert again.done()
    assert (await again).name == model.name
    assert [o.name async for o in client.list_operations(model.name)] == [op.name]

    assert (await client.get_tuned_model(model.name)).display_name == "Number generator"
    assert model.name in [m.name async for m in client.list_tuned_models(page_size=1)]
    updated = await client.update_tuned_model(model.name, {"description": "counts"})
    assert updated.description == "counts"
    text = await client.generate_text(model.name, "3")
    assert isinstance(text, str)
    assert text

    await client.delete_tuned_model(model.name)
    with pytest.raises((aiotune.NotFoundError, aiotune.PermissionDeniedError)):
        await client.get_tuned_model(model.name)


async def test_cancel_and_conflict_and_bad_requests(
    emu_client: tuple[Any, aiotune.AsyncClient],
) -> None:
    _emu, client = emu_client
    op = await client.create_tuned_model(BASE_MODEL, DATA * 50, id="long-job", epoch_count=50)
    assert await op.cancel() is True
    with pytest.raises(aiotune.OperationCancelledError):
        await op.result(timeout=5)
    assert op.cancelled()
    with pytest.raises(aiotune.ConflictError):
        await client.create_tuned_model(BASE_MODEL, DATA, id="long-job")
    with pytest.raises((aiotune.BadRequestError, aiotune.NotFoundError)):
        await client.create_tuned_model("models/no-such-model", DATA)
    with pytest.raises(aiotune.DatasetError):
        await client.create_tuned_model(BASE_MODEL, [])


async def test_awaiting_task_cancelled_job_goes_on(
    emu_client: tuple[Any, aiotune.AsyncClient],
) -> None:
    _, client = emu_client
    op = await client.create_tuned_model(BASE_MODEL, DATA, epoch_count=3)
    with anyio.move_on_after(0.001):
        await op
    model = await (await client.get_operation(op.name)).result(timeout=10)
    assert model.state is aiotune.TunedModelState.ACTIVE
